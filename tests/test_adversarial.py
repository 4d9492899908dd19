"""Issue 23: what adversarial testing broke, each case reproduced (the writer's cases are in
``test_adversarial_writes.py``): crafted caches, other programs' files, hostile settings and notes."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import VaultFactory, snapshot
from vaultlink import app
from vaultlink.cache import CACHE_FILE
from vaultlink.core.codec import decode_parsed, encode_parsed

STATE = ".vaultlink"
NOTES: dict[str, str] = {
    "Journal.md": "# Journal\n\nAbout the tomato seedlings. About the tomato seedlings.\n",
    "Garden.md": "# Garden\n\nFrom [[Journal]] and [[Missing]]. About the tomato seedlings. About the compost.\n",
    "Other.md": "# Other\n\nAbout the compost. About the compost.\n",
}


def _mark_as_stub(cache: Path, rel: str) -> None:
    """Set ``is_stub`` in ``rel``'s cached parse, keeping its parse key (the row still matches the
    file's bytes, so it is used)."""
    with sqlite3.connect(cache) as db:
        (text,) = db.execute("SELECT parsed FROM files WHERE path = ?", (rel,)).fetchone()
        parsed = decode_parsed(text)
        assert parsed.note is not None
        crafted = dataclasses.replace(parsed, note=dataclasses.replace(parsed.note, is_stub=True))
        db.execute("UPDATE files SET parsed = ? WHERE path = ?", (encode_parsed(crafted), rel))
    db.close()


@pytest.mark.parametrize("command", ["sync", "clean"])
def test_a_crafted_cache_row_never_deletes_a_real_note(make_vault: VaultFactory, command: str) -> None:
    vault = make_vault(NOTES)
    app.sync(vault)
    journal = (vault / "Journal.md").read_bytes()
    _mark_as_stub(vault / STATE / CACHE_FILE, "Journal.md")
    (vault / "Other.md").write_text(NOTES["Other.md"] + "More about the compost.\n")  # the full run, not the early out
    report = app.sync(vault) if command == "sync" else app.clean(vault)
    assert "Journal.md" not in report.deleted
    assert (vault / "Journal.md").exists()
    if command == "sync":
        assert (vault / "Journal.md").read_bytes() == journal
    else:  # clean still removes its blocks, byte for byte
        assert (vault / "Journal.md").read_text() == NOTES["Journal.md"]


def _foreign_database(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO photos (name) VALUES ('holiday.jpg')")
    db.close()
    return path.read_bytes()


@pytest.mark.parametrize("command", ["sync", "clean"])
def test_another_programs_cache_sqlite_in_the_cache_dir_is_never_deleted(
    make_vault: VaultFactory, tmp_path: Path, command: str
) -> None:
    vault = make_vault(NOTES)
    folder = tmp_path / "shared-cache"
    theirs = _foreign_database(folder / CACHE_FILE)
    options = app.CacheOptions(folder=folder)
    report = app.sync(vault, cache=options) if command == "sync" else app.clean(vault, cache=options)
    assert (folder / CACHE_FILE).read_bytes() == theirs
    if command == "sync":
        assert report.changed  # the vault was synced all the same, without a cache
        assert any("not a cache vaultlink made" in w.message for w in report.warnings)


def test_garbage_named_cache_sqlite_in_the_cache_dir_is_never_deleted(make_vault: VaultFactory, tmp_path: Path) -> None:
    vault = make_vault(NOTES)
    folder = tmp_path / "shared-cache"
    folder.mkdir()
    (folder / CACHE_FILE).write_bytes(b"not a database at all\n")
    app.sync(vault, cache=app.CacheOptions(folder=folder))
    app.clean(vault, cache=app.CacheOptions(folder=folder))
    assert (folder / CACHE_FILE).read_bytes() == b"not a database at all\n"


def test_vaultlinks_own_cache_in_the_cache_dir_is_still_removed_by_clean(
    make_vault: VaultFactory, tmp_path: Path
) -> None:
    vault = make_vault(NOTES)
    folder = tmp_path / "cache"
    app.sync(vault, cache=app.CacheOptions(folder=folder))
    assert (folder / CACHE_FILE).exists()
    app.clean(vault, cache=app.CacheOptions(folder=folder))
    assert not folder.exists()


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE files ADD COLUMN extra TEXT",
        "CREATE TRIGGER no_insert BEFORE INSERT ON files BEGIN SELECT RAISE(ABORT, 'no'); END",
        "CREATE TRIGGER no_update BEFORE UPDATE ON files BEGIN SELECT RAISE(ABORT, 'no'); END",
    ],
)
def test_a_cache_with_another_schema_is_rebuilt(make_vault: VaultFactory, change: str) -> None:
    vault = make_vault(NOTES)
    app.sync(vault)
    with sqlite3.connect(vault / STATE / CACHE_FILE) as db:
        db.execute(change)
    db.close()
    (vault / "Other.md").write_text(NOTES["Other.md"] + "More about the compost.\n")
    first = app.sync(vault)
    assert [w for w in first.warnings if "rebuilt" in w.message]
    second = app.sync(vault)
    assert second.warnings == [] and second.unchanged is True
    assert snapshot(vault)  # the vault is still there
