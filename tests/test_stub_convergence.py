"""A sync converges in one run: the stubs it makes never change where another link leads, so the
next run (with or without the cache, over writable or read-only notes) has nothing to do."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import ONE_CITER, SHARED, VaultFactory

from vaultlink import app

CURRENT_FOLDER = {".obsidian/app.json": json.dumps({"newFileLocation": "current"})}
# [[Ghost]] from two folders, with new notes in the linking note's folder: one stub in each.
TWO_FOLDERS: dict[str, str | bytes] = {  # one citer makes a stub here: convergence, not the policy
    **ONE_CITER,
    **CURRENT_FOLDER,
    "a/One.md": "# One\n\nup:: [[Ghost]]\n",
    "a/Two.md": "# Two\n\nup:: [[Ghost]]\n",
    "b/Three.md": "# Three\n\nup:: [[Ghost]]\n",
}
CLICKEAR = SHARED / "vaults" / "clickear-knowledge-garden"


def read_only(vault: Path) -> None:
    for note in vault.rglob("*.md"):
        note.chmod(0o444)


def settles(vault: Path) -> None:
    """Nothing left to do, whatever the cache holds."""
    assert app.sync(vault, cache=app.NO_CACHE, dry_run=True).pending == 0
    assert app.sync(vault).pending == 0


@pytest.mark.parametrize("notes_mode", ["writable", "read-only"])
def test_a_name_cited_from_two_folders_gets_a_stub_in_each_and_keeps_them(
    make_vault: VaultFactory, notes_mode: str
) -> None:
    """Before: each stub answered ``[[Ghost]]`` from the other folder too, the link turned
    ambiguous, no stub was wanted, both went; the run after made them again, forever."""
    vault = make_vault(TWO_FOLDERS)
    if notes_mode == "read-only":
        read_only(vault)
    first = app.sync(vault)
    assert sorted(first.created) == ["a/Ghost.md", "b/Ghost.md"]
    settles(vault)
    assert (vault / "a" / "Ghost.md").is_file() and (vault / "b" / "Ghost.md").is_file()


def test_a_stub_does_not_capture_a_link_that_led_elsewhere(make_vault: VaultFactory) -> None:
    """``[](GHOST.MD)`` in sub/ leads to the missing sub/GHOST.MD; the stub GHOST.md made for
    ``[[GHOST]]`` must not answer it (then the two notes would share a link on the next run)."""
    vault = make_vault(
        {**ONE_CITER, "Gamma.md": "# Gamma\n\n[[GHOST]]\n", "sub/Delta.md": "# Delta\n\n[x](GHOST.MD)\n"}
    )
    assert app.sync(vault).created == ["GHOST.md"]
    settles(vault)
    broken = [d.message for d in app.check_vault(vault).diagnostics if d.path == "sub/Delta.md"]
    assert broken == ["[x](GHOST.MD) has no note; it would be sub/GHOST.MD"]


def test_a_note_the_user_wrote_still_answers_by_name(make_vault: VaultFactory) -> None:
    """The rule is about vaultlink's stubs only: a real GHOST.md answers sub/'s link by name."""
    vault = make_vault({"GHOST.md": "# Ghost\n\nReal.\n", "sub/Delta.md": "# Delta\n\n[x](GHOST.MD)\n"})
    app.sync(vault)
    assert not [d for d in app.check_vault(vault).diagnostics if d.code == "broken-link"]


def test_an_edited_stub_is_a_note(make_vault: VaultFactory) -> None:
    """Once the user writes into a stub it is theirs, and links find it by Obsidian's rules."""
    vault = make_vault(TWO_FOLDERS)
    app.sync(vault)
    ghost = vault / "a" / "Ghost.md"
    ghost.write_text("# Ghost\n\nNow mine.\n")
    report = app.sync(vault)
    assert report.deleted == ["b/Ghost.md"]  # b/Three's [[Ghost]] finds the user's a/Ghost.md by name now
    settles(vault)


@pytest.mark.slow
@pytest.mark.skipif(not CLICKEAR.is_dir(), reason="../shared/ is not beside the project")
def test_a_real_vault_of_read_only_notes_settles_after_one_sync(tmp_path: Path) -> None:
    vault = tmp_path / "clickear"
    shutil.copytree(CLICKEAR, vault, symlinks=True)
    for folder, _, files in os.walk(vault):
        for name in files:
            if name.endswith(".md"):
                path = Path(folder, name)
                path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o222)
    first = app.sync(vault)
    assert first.created and not first.changed
    second = app.sync(vault, cache=app.NO_CACHE)
    assert (second.created, second.deleted, second.changed) == ([], [], [])
