"""Where each link of a note stands: its line, as editors and compilers count them (from 1; LF,
CRLF or a lone CR ends a line), so that ``check`` can name ``path:line`` (issue 20).

mistune's tokens carry no source positions, so the parse finds each link's text again in the
body, in the order the tokens come (``lines_of_links``). It reads a note without vaultlink's
managed blocks, and so counts lines without them (a block rewritten keeps the parse:
``parse.parse_key``); ``file_line`` puts back the lines the blocks hold.
"""

from __future__ import annotations

from urllib.parse import unquote

from vaultlink.core.blocks import code_fences, newline_of, scan_blocks
from vaultlink.core.note import Link, LinkKind


def _breaks(text: str, start: int, end: int) -> int:
    """Line breaks in ``text[start:end]``: LF, CRLF or a lone CR, as CommonMark counts lines."""
    crlf = text.count("\r\n", start, end)
    return text.count("\n", start, end) + text.count("\r", start, end) - crlf


def line_at(text: str, offset: int) -> int:
    """The line ``offset`` of ``text`` is on (from 1); an offset between a CR and its LF (where
    a frontmatter may end) is on the line they end."""
    split = text.startswith("\n", offset) and text.endswith("\r", 0, offset)
    return 1 + _breaks(text, 0, offset) - split


def lines_of_links(links: list[Link], shown: str, first_line: int) -> tuple[int, ...]:
    """The line each link stands on, ``shown`` (the body as mistune read it) starting on
    ``first_line``. mistune's tokens carry no positions, but they come in the order of the
    text: each link is the first occurrence of its text after the one before it (so a link
    written twice gets each its own line), outside fenced code. A markdown link is looked for
    as ``(url`` with its URL as written or decoded; a reference link (``[x][ref]``) is given
    its definition's line, which may come later (the links after it are looked for from the
    reference on); a link not found at all, the line of the one before it."""
    fences = [(f.start, f.end) for f in code_fences(shown)]
    out: list[int] = []
    at, line = 0, first_line
    for link in links:
        found, end = _find_link(shown, link, at, fences)
        if found < 0:
            out.append(line)
        elif end < 0:  # a reference's definition
            out.append(line + _breaks(shown, at, found))
        else:
            line += _breaks(shown, at, found)
            at = end
            out.append(line)
    return tuple(out)


def _find_link(text: str, link: Link, start: int, fences: list[tuple[int, int]]) -> tuple[int, int]:
    """Where ``link`` is written in ``text`` from ``start`` on, and where what was found ends;
    for a markdown link found only as its bare URL (a reference's definition), -1 for the end."""
    if link.kind in (LinkKind.WIKILINK, LinkKind.PATH) or link.raw.startswith("![["):
        tiers: tuple[tuple[str, ...], ...] = ((link.raw,),)
    else:
        urls = dict.fromkeys((link.raw, unquote(link.raw)))
        tiers = (tuple(f"({u}" for u in urls) + tuple(f"(<{u}" for u in urls), tuple(urls))
    for tier, needles in enumerate(tiers):
        hits = [(f, f + len(n)) for n in needles if (f := _find_outside(text, n, start, fences)) >= 0]
        if hits:
            found, end = min(hits)
            return found, end if tier == 0 else -1
    return -1, -1


def _find_outside(text: str, needle: str, start: int, fences: list[tuple[int, int]]) -> int:
    """The first occurrence of ``needle`` in ``text`` from ``start`` on that is in no fence, or -1."""
    found = text.find(needle, start) if needle else -1
    while found >= 0:
        fence = next((f for f in fences if f[0] <= found < f[1]), None)
        if fence is None:
            return found
        found = text.find(needle, fence[1])
    return found


def file_line(text: str, line: int) -> int:
    """The line of ``text`` (a note's text as in its file, BOM-less) that is ``line`` of the
    text with its managed blocks taken out, as the parse read it (``Note.link_lines``). The
    parse leaves the blocks out so that rewriting one does not make the note parse anew
    (``parse_key``); the lines they hold are added back here, for the few notes a message names."""
    shift = 0
    for span in scan_blocks(text).blocks:
        nl = newline_of(text)  # each block goes with the line ending before it, as ``remove_span`` takes it
        start = span.start - len(nl) if text.endswith(nl, 0, span.start) else span.start
        if 1 + _breaks(text, 0, start) - shift >= line:
            break
        shift += _breaks(text, start, span.end)
    return line + shift
