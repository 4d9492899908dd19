"""What counts as evidence: the author's own text, as a reader sees it (GUIDE, "What counts as
evidence"). The one place that decides it; parsing reads a note through it, so its words, terms,
links and tags, and with them the ranking, the concept graph and the reasons, never see the rest:

- vaultlink's own managed blocks (taken out before anything is read: ``parse.parse_text``);
- comments, Obsidian's ``%% … %%`` (inline or over several lines; one left open hides the rest
  of the note, as in Obsidian) and HTML's ``<!-- … -->``: hidden in reading view;
- template placeholders, ``{{title}}`` and Templater's ``<% … %>``: filled in when a note is made
  from a template, never the author's words;
- code, fenced, indented or inline (mistune's tokens, ``NOT_PROSE``), and raw HTML;
- image alt text (``![github last commit](…)``: a badge) and what an embed is called
  (``![[Pasted image 2022.png]]``): the reader sees the image or the embedded note, not its name;
- bare URLs and domains (``https://twitter.com/x``, ``twitter.com/x``, ``github.com``): an
  address, not words (a link's own text stays).

Comments and placeholders hold no links either: ``hidden_spans`` are blanked (``visible``) before
the markdown is parsed. ``%%`` or ``{{`` inside code is code, not a comment. A blanked span keeps its
line breaks, so every other line of the note stays where it was.
"""

from __future__ import annotations

import re

from vaultlink.core.blocks import code_fences

NOT_PROSE = frozenset({"block_code", "codespan", "block_html", "inline_html"})
"""mistune's tokens whose text is no evidence: code and raw HTML (so HTML comments)."""

# Each hidden kind's opener (a group each) and how it closes: the closer, whether an opener left
# open hides the rest of the note, and whether the span may hold a line break.
_OPENERS = re.compile(r"(%%)|(<!--)|(<%)|(\{\{)")
_CLOSERS: tuple[tuple[str, bool, bool], ...] = (
    ("%%", True, True),  # Obsidian hides an unclosed comment's rest of the note
    ("-->", False, True),  # unclosed: raw HTML to mistune, no text either way
    ("%>", False, True),
    ("}}", False, False),  # one line: a stray "{{" in prose hides nothing
)
# An inline code span: a run of backticks up to the same run, within a paragraph (no blank line).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\r?\n)[\s\S])*?(?<!`)\1(?!`)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")

_TLDS = "com|org|net|io|me|app|dev|co|de|uk|fr|info|edu|gov|ai|xyz|social|pub|tv|gg|ly|so|sh|to|us|ca|eu"
BARE_URL = re.compile(
    r"(?:https?|ftp)://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"]"  # with a scheme
    r"|(?<![\w.@/-])(?:[\w-]+\.)+(?:" + _TLDS + r")\b(?!\.\w)(?:/[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"])?"  # a domain
)
"""An address written as text: a URL with a scheme, or a domain (with its path, if any)."""


def hidden_spans(body: str) -> list[tuple[int, int]]:
    """(start, end) of every comment and template placeholder of ``body``, outside code."""
    spans: list[tuple[int, int]] = []
    m = _OPENERS.search(body)
    if m is None:
        return spans
    code = [(f.start, f.end) for f in code_fences(body)]
    code += [c.span() for c in _CODE_SPAN.finditer(body) if not _inside(c.start(), code)]
    code.sort()
    while m is not None:
        start = m.start()
        skip = _inside(start, code)
        if skip:
            m = _OPENERS.search(body, skip)
            continue
        closer, hides_rest, multiline = _CLOSERS[(m.lastindex or 1) - 1]
        end = body.find(closer, m.end())
        if end >= 0 and not multiline and _LINE_BREAK.search(body, m.end(), end):
            end = -1
        if end < 0:
            if not hides_rest:
                m = _OPENERS.search(body, m.end())
                continue
            spans.append((start, len(body)))
            break
        spans.append((start, end + len(closer)))
        m = _OPENERS.search(body, end + len(closer))
    return spans


def _inside(at: int, regions: list[tuple[int, int]]) -> int:
    """The end of the region of ``regions`` holding ``at``, or 0."""
    for start, end in regions:
        if start <= at < end:
            return end
        if start > at:
            break
    return 0


def visible(body: str) -> str:
    """``body`` with each of its ``hidden_spans`` replaced by the line breaks it held."""
    spans = hidden_spans(body)
    if not spans:
        return body
    out: list[str] = []
    at = 0
    for start, end in spans:
        out.append(body[at:start])
        out.extend(_LINE_BREAK.findall(body, start, end))
        at = end
    out.append(body[at:])
    return "".join(out)


def shown_words(text: str) -> str:
    """A run of a note's text as evidence: its bare URLs and domains taken out."""
    return BARE_URL.sub(" ", text) if "." in text else text
