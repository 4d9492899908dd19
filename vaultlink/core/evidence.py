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
  address, not words (a link's own text stays);
- boilerplate: a line written verbatim in many notes (``LineCounts``: a template's headings and
  prompts, a footer, a type line such as "- A [[person]]."), found from the vault itself, never
  from a list of known strings. Its words are no evidence; its links (and their text) and tags
  still are.

Comments and placeholders hold no links either: ``hidden_spans`` are blanked (``visible``) before
the markdown is parsed. ``%%`` or ``{{`` inside code is code, not a comment. A blanked span keeps its
line breaks, so every other line of the note stays where it was.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from vaultlink.core.blocks import code_fences
from vaultlink.core.markdown import WIKILINK_PATTERN

if TYPE_CHECKING:
    from vaultlink.core.note import Note

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
    if not any(opener in body for opener in ("%%", "<!--", "<%", "{{")):  # most notes: faster than the regex
        return spans
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


# --- boilerplate: lines repeated verbatim across the vault ------------------------------------------

BOILERPLATE_NOTES = 5
"""A line written in this many notes at least is a pattern (a template's heading or prompt, a footer,
a type line), not something the author says about any two of them..."""
BOILERPLATE_SHARE = 0.001
"""... or, in a vault of over 5,000 notes, in this share of them: in 100,000 notes a short line such as
"- Physics" is in a few dozen by chance, and a footer in thousands."""

_THREE_WORD_CHARACTERS = re.compile(r"\w\W*\w\W*\w")
_DIGEST_BYTES = 8
_LINKS = re.compile(WIKILINK_PATTERN + r"|!?\[[^\]\n]*\]\([^)\n]*\)")


def line_key(line: str) -> str:
    """A line as boilerplate is counted: its blanks collapsed; "" for a line of under three word
    characters (a rule, a bullet, "---"), which says nothing either way."""
    key = " ".join(line.split())
    return key if _THREE_WORD_CHARACTERS.search(key) else ""


def _keyed_lines(shown: str) -> list[tuple[str, str]]:
    """Each line of ``shown`` (its ending kept) with its ``line_key``, "" for a line of fenced code: code
    is no evidence anyway, and taking a fence's line out would turn its code into prose."""
    code = [(f.start, f.end) for f in code_fences(shown)]
    out: list[tuple[str, str]] = []
    at = 0
    for line in shown.splitlines(keepends=True):
        out.append((line, "" if code and _inside(at, code) else line_key(line)))
        at += len(line)
    return out


def line_digest(key: str) -> int:
    """A ``line_key``'s 64-bit digest (two lines colliding in a vault's millions is a 1 in 10^7 chance)."""
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=_DIGEST_BYTES).digest())


def line_digests(shown: str) -> bytes:
    """The digests of a note's shown lines (``visible`` of its body) as the note keeps them: distinct,
    ascending, 8 bytes each, little-endian (numpy's ``<u8``)."""
    digests = array("Q", sorted({line_digest(key) for _, key in _keyed_lines(shown) if key}))
    if sys.byteorder == "big":
        digests.byteswap()
    return digests.tobytes()


def unpacked_digests(packed: bytes) -> array[int]:
    """The digests ``line_digests`` packed."""
    digests = array("Q", packed)
    if sys.byteorder == "big":
        digests.byteswap()
    return digests


def boilerplate_min_notes(notes: int) -> int:
    """How many notes a line must be in to be boilerplate, in a vault of ``notes`` notes."""
    return max(BOILERPLATE_NOTES, math.ceil(BOILERPLATE_SHARE * notes))


class LineCounts:
    """How many notes have each line digest (``line_digests``), and how many notes have a line at
    all (what ``BOILERPLATE_SHARE`` is a share of: empty notes and stubs aside). Kept by the watcher
    save by save; a scan counts every note once."""

    def __init__(self, lines: Iterable[bytes] = ()) -> None:
        self.counts: Counter[int] = Counter()
        self.notes = 0
        for packed in lines:
            self.add(packed)

    def add(self, lines: bytes) -> None:
        if lines:
            self.counts.update(unpacked_digests(lines))
            self.notes += 1

    def remove(self, lines: bytes) -> None:
        if lines:
            self.counts.subtract(unpacked_digests(lines))
            self.notes -= 1

    def boilerplate(self) -> frozenset[int]:
        """The line digests that are boilerplate: in ``boilerplate_min_notes`` notes at least."""
        least = boilerplate_min_notes(self.notes)
        return frozenset(d for d, n in self.counts.items() if n >= least)

    def settle(
        self, found: frozenset[int], notes: Mapping[str, Note], saved: Mapping[str, Note], removed: Collection[str]
    ) -> tuple[frozenset[int], list[str]]:
        """A watcher's batch: count the ``saved`` notes' lines instead of their old ones (``notes``)
        and forget the ``removed``'s. The boilerplate now, and the notes to read again so each is
        read as a scan now would: a saved note read with other boilerplate, and every other note
        holding a line that became boilerplate or stopped being it (``found`` was the old set)."""
        for rel in [*saved, *removed]:
            old = notes.get(rel)
            if old is not None:
                self.remove(old.lines)
        for note in saved.values():
            self.add(note.lines)
        now = self.boilerplate()
        flipped = now ^ found
        again = [rel for rel, n in saved.items() if boilerplate_of(n.lines, now) != n.boilerplate]
        if flipped:
            skip = {*saved, *removed}
            again += [rel for rel, n in notes.items() if rel not in skip and boilerplate_of(n.lines, flipped)]
        return now, again


def boilerplate_of(lines: bytes, found: frozenset[int]) -> bytes:
    """Which of a note's line digests (``line_digests``) are boilerplate (``found``), packed alike."""
    if not found or not lines:
        return b""
    digests = unpacked_digests(lines)
    kept = array("Q", [d for d in digests if d in found])
    if sys.byteorder == "big":
        kept.byteswap()
    return kept.tobytes()


def without_lines(shown: str, hidden: bytes) -> str:
    """``shown`` with each line whose digest is in ``hidden`` (packed) replaced by its links: its
    words are no evidence, but what a link says is the author's ("- [[agora]]" in 195 notes is a
    choice each time). Its links and tags themselves ``parse.parse_text`` reads from ``shown``."""
    if not hidden:
        return shown
    digests = set(unpacked_digests(hidden))
    out = []
    for line, key in _keyed_lines(shown):
        if key and line_digest(key) in digests:
            ending = line[len(line.rstrip("\r\n")) :]
            line = " ".join(_LINKS.findall(line)) + ending
        out.append(line)
    return "".join(out)
