"""Managed blocks: the only text vaultlink ever writes inside a user's note.

A block is delimited by HTML comments, invisible in Obsidian's reading view and on GitHub::

    <!-- vaultlink:related -->
    - [[Age of research]] — research taste, generalization
    <!-- /vaultlink:related -->
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKER = re.compile(r"<!--\s*(/?)vaultlink:([a-z][a-z0-9-]*)\s*-->")


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


def scan_blocks(text: str) -> BlockScan:
    """Find managed blocks; report damage (unclosed, unopened, nested or repeated markers)."""
    blocks: list[BlockSpan] = []
    problems: list[str] = []
    open_name = ""
    open_at = -1
    seen: set[str] = set()
    for m in _MARKER.finditer(text):
        closing, name = m.group(1) == "/", m.group(2)
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
    the final newline (or its absence) stays the note's last byte(s)."""
    nl = newline_of(text)
    return len(text) - len(nl) if text.endswith(nl) else len(text)


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
    for span in reversed(scan_blocks(text).blocks):
        text = remove_span(text, span)
    return text


@dataclass(frozen=True)
class RelatedAnchor:
    """Where the user's own Related list ends, and the vault-path prefix its entries use
    (``~/rdco-vault/…``), if they are written that way."""

    position: int
    path_prefix: str = ""


_HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s+)?(?:\*\*)?(related|related notes|see also):?(?:\*\*)?:?\s*#*\s*$", re.I)
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+")
_PATH_ENTRY = re.compile(r"^\s{0,3}[-*+]\s+~/([^/\s]+)/")
_FENCE = re.compile(r"^\s{0,3}(```+|~~~+)(.*)$")


def _lines(text: str, start: int) -> list[tuple[int, int, str]]:
    """(line start, content end, content) of every line from ``start``."""
    out = []
    pos = start
    while pos < len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        content_end = end - 1 if end > pos and text[end - 1] == "\r" else end
        out.append((pos, content_end, text[pos:content_end]))
        pos = len(text) if nl < 0 else nl + 1
    return out


def find_related_anchor(text: str, body_start: int) -> RelatedAnchor | None:
    """The end of the user's Related section's list: a ``## Related`` heading, or a plain
    ``Related`` line followed by a list (the seed-003 house style). Code fences and
    managed blocks are not searched."""
    spans = scan_blocks(text).blocks
    lines = [ln for ln in _lines(text, body_start) if not any(s.start <= ln[0] < s.end for s in spans)]
    fence = ""
    for i, (_, end, content) in enumerate(lines):
        match = _FENCE.match(content)
        if match:
            fence = _next_fence(fence, match.group(1), match.group(2))
            continue
        if fence or not _HEADING.match(content):
            continue
        entries = _list_after(lines, i + 1)
        if not entries and not _MD_HEADING.match(content):
            continue  # a plain "Related" line is a heading only when a list follows it
        position = entries[-1][1] if entries else end
        prefixes = [m.group(1) for _, _, c in entries if (m := _PATH_ENTRY.match(c))]
        return RelatedAnchor(position, prefixes[0] if prefixes else "")
    return None


def _next_fence(open_fence: str, marker: str, rest: str) -> str:
    """CommonMark: a fence closes only with the same character, at least as long, and
    nothing but spaces after it."""
    if not open_fence:
        return marker
    closes = marker[0] == open_fence[0] and len(marker) >= len(open_fence) and not rest.strip()
    return "" if closes else open_fence


def _list_after(lines: list[tuple[int, int, str]], i: int) -> list[tuple[int, int, str]]:
    """The list lines (items and their indented continuations) starting at line ``i``,
    allowing blank lines before the first item and between items."""
    entries: list[tuple[int, int, str]] = []
    j = i
    while j < len(lines):
        content = lines[j][2]
        if _LIST_ITEM.match(content) or (entries and content.startswith(("  ", "\t")) and content.strip()):
            entries.append(lines[j])
        elif content.strip():
            break
        j += 1
    return entries
