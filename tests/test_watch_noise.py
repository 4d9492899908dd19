"""Which paths the watcher ignores (``watch.is_noise``): editors' temp, swap and backup files,
sync-conflict copies, dot-files; never a note."""

from __future__ import annotations

import pytest

from vaultlink.watch import is_noise

# --- is_noise ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    [
        ".note.md.swp",
        "folder/.note.md.swp",
        "note.md.swp",
        "note.md.swx",
        "note.md~",
        "folder/note.md~",
        "4913",
        "folder/4913",
        "x.tmp",
        "note.md.tmp",
        ".note.md.tmp",
        "NOTE.MD.TMP",
        "note.md.bak",
        "#note.md#",
        "note.sync-conflict-20240101-120000-ABCDEFG.md",
        "note (conflicted copy 2024-01-01).md",
        "note.md.crswap",
        ".obsidian/workspace.json",
        ".vaultlink/lock",
        ".vaultlink-tmp-123.md",
        ".trash/old.md",
        "a/.hidden/b.md",
    ],
)
def test_is_noise(rel: str) -> None:
    assert is_noise(rel)


@pytest.mark.parametrize(
    "rel",
    [
        "note.md",
        "folder/note.md",
        "Notes - Pale Blue Dot.md",
        "49130.md",
        "4913.md",
        "temp notes.md",
        "tmp.md",
        "swap meet.md",
        "2026-01-01 conflict resolution.md",
        "a/b/c/deep note.markdown",
        "backup.md",
        "folder",
    ],
)
def test_is_not_noise(rel: str) -> None:
    assert not is_noise(rel)
