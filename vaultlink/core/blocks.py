"""Managed blocks: the only text vaultlink ever writes inside a user's note.

A block is delimited by HTML comments, invisible in Obsidian's reading view and on GitHub::

    <!-- vaultlink:related -->
    - [[Age of research]] — research taste, generalization
    <!-- /vaultlink:related -->
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from vaultlink.core.frontmatter import frontmatter_extent

_MARKER = re.compile(r"<!--\s*(/?)vaultlink:([a-z][a-z0-9-]*)\s*-->")
# What may follow a marker on its line: blanks, then the line's end or the text's.
_LINE_REST = re.compile(r"[ \t]*(?:\r\n|\r|\n|\Z)")
# A run that may make a fence line, and the rest of its line.
_FENCE_RUN = re.compile(r"(`{3,}|~{3,})([^\r\n]*)")


@dataclass(frozen=True)
class BlockSpan:
    """One well-formed managed block: ``start``/``end`` index the text from its start
    marker's first character to just past its end marker."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class BlockScan:
    blocks: tuple[BlockSpan, ...]
    problems: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def scan_blocks(text: str) -> BlockScan:
    """Find managed blocks; report damage (unclosed, unopened, nested or repeated markers).

    Only the body is searched, and only outside fenced code: a marker in the frontmatter or
    in a code sample (a note documenting vaultlink) is the user's text, never a block.
    Planning a note scans its few texts (as read, with one block, with both) several times
    each: the last few scans are kept.
    """
    blocks: list[BlockSpan] = []
    problems: list[str] = []
    open_name = ""
    open_at = -1
    seen: set[str] = set()
    for m, alone in _markers(text):
        closing, name = m.group(1) == "/", m.group(2)
        if not alone and not (closing and name == open_name):
            continue  # the user's text, unless it is the end of the open block with text typed after it
        if not closing:
            if open_name:
                problems.append(f"managed block '{open_name}' is not closed before another starts")
                return BlockScan(tuple(blocks), tuple(problems))
            open_name, open_at = name, m.start()
            continue
        if open_name != name:
            problems.append(f"end marker of managed block '{name}' without its start")
            return BlockScan(tuple(blocks), tuple(problems))
        if name in seen:
            problems.append(f"managed block '{name}' appears more than once")
        seen.add(name)
        blocks.append(BlockSpan(name, open_at, m.end()))
        open_name = ""
    if open_name:
        problems.append(f"managed block '{open_name}' has no end marker")
    return BlockScan(tuple(blocks), tuple(problems))


def _markers(text: str) -> list[tuple[re.Match[str], bool]]:
    """The block markers of the body that start their line, outside fenced code, each with
    whether it stands alone on its line.

    vaultlink writes each marker on a line of its own. A marker after other text on its line
    (inline code, a blockquote's ``>``, a list item's text) or indented by four spaces or more
    (an indented code block) is the user's writing about vaultlink, never a block; so is one
    followed by text, except the end marker of an open block: a user typing at the very end of
    a note that ends with a block (no newline after it) types on the end marker's line, and the
    block must still end there (``scan_blocks``).
    """
    if _MARKER.search(text) is None:  # the common case, and cheap: no frontmatter or fence work
        return []
    start = body_start(text)
    code = _Ranges((f.start, f.end) for f in code_fences(text, start))
    return [
        (m, _LINE_REST.match(text, m.end()) is not None)
        for m in _MARKER.finditer(text, start)
        if _fence_line_start(text, m.start()) >= 0 and m.start() not in code
    ]


class _Ranges:
    """Sorted, disjoint, half-open ranges of a text, and a fast test for a position in one."""

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in ranges:
            self.starts.append(start)
            self.ends.append(end)

    def __contains__(self, position: int) -> bool:
        i = bisect.bisect_right(self.starts, position) - 1
        return i >= 0 and position < self.ends[i]


def body_start(text: str) -> int:
    """Where the body starts: after a BOM and any frontmatter, which never hold blocks."""
    bom = 1 if text.startswith("\ufeff") else 0
    return bom + frontmatter_extent(text[bom:])


@dataclass(frozen=True)
class CodeFence:
    """A fenced code block: ``start`` is its opening fence line's first character, ``end``
    the end of its closing fence line's content, or of the text if it is never ``closed``
    (CommonMark: then the code runs to the end of the document)."""

    start: int
    end: int
    closed: bool


def code_fences(text: str, start: int = 0) -> list[CodeFence]:
    """The fenced code blocks from ``start`` on, by CommonMark's rules for top-level fences:
    three or more backticks or tildes indented at most three spaces; closed by a line of the
    same character, at least as long, with nothing but spaces or tabs after it; an info
    string after backticks holds no backtick (else the line is inline code, not a fence).
    Lines end at LF, CRLF or a lone CR, as CommonMark's do."""
    fences: list[CodeFence] = []
    if not _may_hold_fences(text):
        return fences
    open_at, opener = -1, ""
    for m in _FENCE_RUN.finditer(text, start):
        line_start = _fence_line_start(text, m.start())
        if line_start < 0:
            continue
        run, rest = m.group(1), m.group(2)
        if not opener:
            if not (run[0] == "`" and "`" in rest):
                open_at, opener = line_start, run
        elif run[0] == opener[0] and len(run) >= len(opener) and not rest.strip(" \t"):
            fences.append(CodeFence(open_at, m.end(), True))
            opener = ""
    if opener:
        fences.append(CodeFence(open_at, len(text), False))
    return fences


def _may_hold_fences(text: str) -> bool:
    return "```" in text or "~~~" in text


def _fence_line_start(text: str, run_start: int) -> int:
    """Where the line starts if the run (of a fence, or a block marker) at ``run_start`` follows
    nothing but up to three spaces on its line (a line starts after LF, CR, or the text's start or BOM); else -1."""
    line_start = run_start
    while line_start > 0 and run_start - line_start < 4 and text[line_start - 1] == " ":
        line_start -= 1
    if run_start - line_start > 3:
        return -1
    if line_start == 0 or text[line_start - 1] in "\r\n" or (line_start == 1 and text[0] == "\ufeff"):
        return line_start
    return -1


def start_marker(name: str) -> str:
    return f"<!-- vaultlink:{name} -->"


def end_marker(name: str) -> str:
    return f"<!-- /vaultlink:{name} -->"


def newline_of(text: str) -> str:
    """The note's line ending (its first one), so a CRLF note gets CRLF block lines and an
    old-Mac note (CR only) CR ones."""
    first = text.find("\n")
    if first < 0:
        return "\r" if "\r" in text else "\n"
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def render_block(name: str, lines: list[str], nl: str) -> str:
    return nl.join([start_marker(name), *lines, end_marker(name)])


def content_end_of_text(text: str) -> int:
    """Where a block is appended: just before the note's final line ending, if any, so that
    the final newline (or its absence) stays the note's last byte(s).

    A note that ends inside fenced code never closed ends in code (CommonMark), where a block
    would be the user's text: the block goes at the end of the line before that fence. (If
    nothing precedes the fence, the end is returned and the caller's check refuses the edit.)
    """
    nl = newline_of(text)
    end = len(text) - len(nl) if text.endswith(nl) else len(text)
    fences = code_fences(text, body_start(text)) if _may_hold_fences(text) else []
    if not fences or fences[-1].closed:
        return end
    opener = fences[-1].start
    ending = _line_ending_before(text, opener)
    return opener - ending if ending else end


def _line_ending_before(text: str, line_start: int) -> int:
    """The length of the line ending just before ``line_start`` (0 at the text's start)."""
    if line_start >= 2 and text[line_start - 2 : line_start] == "\r\n":
        return 2
    return 1 if line_start >= 1 and text[line_start - 1] in "\r\n" else 0


def set_block(text: str, name: str, lines: list[str], anchor: int) -> str:
    """The text with block ``name`` holding ``lines``: spliced in place if it exists,
    inserted at ``anchor`` (the end of a line's content) if not, removed if ``lines`` is empty.

    An inserted block is exactly ``line ending + block``, so removing it gives back the
    original bytes. Only well-formed blocks may be touched: callers check ``scan_blocks``.
    """
    nl = newline_of(text)
    span = next((b for b in scan_blocks(text).blocks if b.name == name), None)
    if span is not None:
        if not lines:
            return remove_span(text, span)
        return text[: span.start] + render_block(name, lines, nl) + text[span.end :]
    if not lines:
        return text
    return text[:anchor] + nl + render_block(name, lines, nl) + text[anchor:]


def remove_span(text: str, span: BlockSpan) -> str:
    """Remove a block together with the line ending vaultlink put before it (the note's own
    line ending, which the block cannot change since it never holds the first one)."""
    nl = newline_of(text)
    start = span.start - len(nl) if text[: span.start].endswith(nl) else span.start
    return text[:start] + text[span.end :]


def remove_all_blocks(text: str) -> str:
    """The text with every managed block removed, as it was before vaultlink wrote it."""
    return remove_spans(text, scan_blocks(text).blocks)


def remove_spans(text: str, spans: tuple[BlockSpan, ...]) -> str:
    """The text without ``spans`` (the blocks ``scan_blocks`` found in this very text)."""
    for span in reversed(spans):
        text = remove_span(text, span)
    return text


@dataclass(frozen=True)
class RelatedAnchor:
    """Where the user's own Related list ends, and the vault-path prefix its entries use
    (``~/rdco-vault/…``), if they are written that way."""

    position: int
    path_prefix: str = ""


DEFAULT_RELATED_HEADING = "Related"


def heading_line(heading: str) -> str:
    """The line vaultlink writes at the top of a block: ``## Related``, or the heading set instead."""
    return f"## {heading}"


def heading_problem(heading: str) -> str:
    """Why ``heading`` can't head a block (a setting's value), or "": it must be one line of text,
    no ``#`` (vaultlink writes ``## ``) and no HTML comment that could open or close a block."""
    if not heading.strip():
        return "must not be empty"
    if any(c in heading for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        return "must be one line"
    if heading.lstrip().startswith("#"):
        return "is the heading's text, without '#' (vaultlink writes '## ' before it)"
    if "<!--" in heading or "-->" in heading:
        return "must not hold '<!--' or '-->'"
    return ""


@functools.lru_cache(maxsize=8)
def _heading_patterns(heading: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A user's own Related heading line (``## Related``, a plain ``See also``, or the heading set),
    and a word in every such line: most notes hold none, and then no line is split."""
    names = ["related", "related notes", "see also"]
    if heading.casefold() not in names:
        names.append(re.escape(heading))
    line = rf"^\s{{0,3}}(?:#{{1,6}}\s+)?(?:\*\*)?({'|'.join(names)}):?(?:\*\*)?:?\s*#*\s*$"
    word = r"[rs](?:elated|ee also)" + ("" if len(names) == 3 else "|" + names[-1])
    return re.compile(line, re.I), re.compile(word, re.I)

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_PATH_ENTRY = re.compile(r"^\s{0,3}[-*+]\s+~/([^/\s]+)/")
_LINE_CONTENT = re.compile(r"[^\r\n]*")


class _Line(NamedTuple):
    start: int
    end: int
    """Where the line's content ends, before its line ending."""
    content: str
    in_code: bool
    """Part of fenced code (its fence lines included)."""


def _lines(text: str, start: int, blocks: _Ranges) -> list[_Line]:
    """Every line from ``start`` (ending at LF, CRLF or a lone CR, as ``code_fences`` reads
    them), but those inside ``blocks``."""
    code = _Ranges((f.start, f.end) for f in code_fences(text, start))
    out: list[_Line] = []
    pos = start
    while pos < len(text):
        match = _LINE_CONTENT.match(text, pos)
        assert match is not None  # the pattern matches the empty string too
        end = match.end()
        if pos not in blocks:
            out.append(_Line(pos, end, match.group(), pos in code))
        pos = end + (2 if text.startswith("\r\n", end) else 1)
    return out


def find_related_anchor(
    text: str, body_start: int, heading: str = DEFAULT_RELATED_HEADING
) -> RelatedAnchor | None:
    """The end of the user's Related section's list: a ``## Related`` heading (or ``heading``, the
    one vaultlink writes), or a plain ``Related`` line followed by a list (the seed-003 house
    style). Fenced code (closed or not, as CommonMark reads it) and managed blocks are not searched."""
    user_heading, heading_word = _heading_patterns(heading)
    blocks = _Ranges((b.start, b.end) for b in scan_blocks(text).blocks)
    if all(m.start() in blocks for m in heading_word.finditer(text, body_start)):
        return None  # most notes: no heading's word outside vaultlink's own blocks, no line to split
    lines = _lines(text, body_start, blocks)
    for i, line in enumerate(lines):
        if line.in_code or not user_heading.match(line.content):
            continue
        entries = _list_after(lines, i + 1)
        if not entries and not _MD_HEADING.match(line.content):
            continue  # a plain "Related" line is a heading only when a list follows it
        position = entries[-1].end if entries else line.end
        prefixes = [m.group(1) for e in entries if (m := _PATH_ENTRY.match(e.content))]
        return RelatedAnchor(position, prefixes[0] if prefixes else "")
    return None


def _list_after(lines: list[_Line], i: int) -> list[_Line]:
    """The list lines (items and their indented continuations) starting at line ``i``,
    allowing blank lines before the first item and between items. Fenced code ends the
    list, so that a block inserted after its last line is never inside code."""
    entries: list[_Line] = []
    for k in range(i, len(lines)):  # not ``lines[i:]``: a copy per heading line is quadratic
        line = lines[k]
        content = line.content
        if line.in_code:
            break
        if _LIST_ITEM.match(content) or (entries and content.startswith(("  ", "\t")) and content.strip()):
            entries.append(line)
        elif content.strip():
            break
    return entries
