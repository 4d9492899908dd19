"""File names Windows refuses or mangles: one rule for the stubs the planner may ask for
(``core/stubs.name_problem``) and for every file the writer makes on Windows. Standard library
only: the writer runs it, and the writer must import without vaultlink's dependencies."""

from __future__ import annotations

import re

from vaultlink.core.note import link_name

_REFUSED_CHARS = '<>:"\\|?*'
_WINDOWS_RESERVED = re.compile(
    r"(?:CON|PRN|AUX|NUL|CONIN\$|CONOUT\$|COM[0-9¹²³]|LPT[0-9¹²³])(?:\..*)?", re.IGNORECASE
)


def name_parts(path: str) -> list[str]:
    """The folders of ``path`` and its file name without the extension (``[[Publish.]]`` asks
    for ``Publish..md``: the name is ``Publish.``)."""
    *folders, name = path.split("/")
    return [*folders, link_name(name) if "." in name else name]


def windows_part_problem(part: str) -> str:
    bad = sorted({c for c in part if c in _REFUSED_CHARS})
    if bad:
        return f"{part!r} has {' '.join(bad)}, which Windows refuses in a file name"
    if any(ord(c) < 32 or ord(c) == 127 for c in part):
        return f"{part!r} has a control character"
    if part != part.rstrip(". "):
        return f"{part!r} ends with a dot or a space, which Windows drops"
    if _WINDOWS_RESERVED.fullmatch(part):
        return f"{part!r} is a name Windows reserves for a device"
    return ""


def windows_name_problem(path: str) -> str:
    """What Windows refuses or mangles in a file's ``path`` (a character, a control character, a
    trailing dot or space, a device name such as ``NUL``), or "". The writer asks it of every
    file it writes on Windows; ``name_problem`` asks it, and more, of every stub everywhere."""
    return next((problem for part in name_parts(path) if (problem := windows_part_problem(part))), "")
