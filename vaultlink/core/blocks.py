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


def strip_managed_blocks(text: str) -> str:
    """The text with every well-formed managed block blanked out.

    What vaultlink wrote must never be read back as the user's own words or links
    (GUIDE property 6). Each block is replaced by its own newlines so line numbers
    of the rest of the note are kept.
    """
    scan = scan_blocks(text)
    if not scan.blocks:
        return text
    parts: list[str] = []
    pos = 0
    for block in scan.blocks:
        parts.append(text[pos : block.start])
        parts.append("\n" * text.count("\n", block.start, block.end))
        pos = block.end
    parts.append(text[pos:])
    return "".join(parts)
