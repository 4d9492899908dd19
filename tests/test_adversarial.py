"""Issue 23: what adversarial testing broke, each case reproduced (the writer's cases are in
``test_adversarial_writes.py``): crafted caches, other programs' files, hostile settings and notes."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import ONE_CITER, VaultFactory, snapshot
from vaultlink import app
from vaultlink.cache_file import CACHE_FILE
from vaultlink.cli import cli
from vaultlink.core import blocks
from vaultlink.core.codec import decode_parsed, encode_parsed
from vaultlink.writer import WriteRefused, write_file

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


# --- never hang, never die on one file -----------------------------------------------------------------------


def _finishes(target: Callable[[], object], seconds: float = 60.0) -> object:
    """``target()``'s result; fails (instead of hanging the suite) if it has not returned in time."""
    done: list[object] = []
    thread = threading.Thread(target=lambda: done.append(target()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert done, f"still running after {seconds} s"
    return done[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_note_is_reported_not_waited_on(make_vault: VaultFactory) -> None:
    vault = make_vault(NOTES)
    os.mkfifo(vault / "x.md")
    try:
        scan = _finishes(lambda: app.check_vault(vault))
        assert isinstance(scan, app.VaultScan)
        assert [d.path for d in scan.diagnostics if d.code == "unreadable"] == ["x.md"]
        report = _finishes(lambda: app.sync(vault))
        assert isinstance(report, app.SyncReport) and "Journal.md" in report.changed
        assert _finishes(lambda: app.clean(vault))
    finally:
        with contextlib.suppress(OSError):  # let a reader that did block go
            os.close(os.open(vault / "x.md", os.O_WRONLY | os.O_NONBLOCK))


def _sync_in_a_child(vault: Path, seconds: float) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(
            [sys.executable, "-m", "vaultlink", "sync", str(vault)], capture_output=True, text=True, timeout=seconds
        )
    except subprocess.TimeoutExpired:
        return None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.slow
def test_a_fifo_at_the_lock_file_is_reported_not_waited_on(make_vault: VaultFactory) -> None:
    vault = make_vault(NOTES)
    (vault / STATE).mkdir()
    os.mkfifo(vault / STATE / "lock")
    done = _sync_in_a_child(vault, 10)
    assert done is not None, "sync waited on the FIFO"
    assert done.returncode != 0 and "lock" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_json_frontmatter_nested_past_the_recursion_limit_is_one_diagnostic(make_vault: VaultFactory) -> None:
    deep = (
        "{\n" + '"a": ' + "[" * 1000 + "]" * 1000 + ",\n" + '"b": ' + '{"c": ' * 1000 + "1" + "}" * 1000 + "\n}\n# J\n"
    )
    vault = make_vault({**NOTES, "Deep.md": deep})
    report = app.sync(vault)
    assert [d.path for d in report.diagnostics if d.code == "frontmatter"] == ["Deep.md"]
    assert "Journal.md" in report.changed
    assert (vault / "Deep.md").read_text() == deep  # broken frontmatter: never rewritten


@pytest.mark.slow
def test_a_link_1500_folders_deep_is_synced_and_cleaned(make_vault: VaultFactory) -> None:
    vault = make_vault({**NOTES, "Deep.md": "# Deep\n\n[[" + "f/" * 1500 + "x]]\n", **ONE_CITER})
    try:
        first = app.sync(vault)
        assert [p.count("/") for p in first.created] == [1500, 0]
        assert app.sync(vault).pending == 0
        cleaned = app.clean(vault)
        assert sorted(cleaned.deleted) == sorted(first.created)
        assert not (vault / "f").exists()
    finally:
        _remove_deep(vault / "f")


def _remove_deep(folder: Path) -> None:
    """``shutil.rmtree`` recurses once per level: a folder 1,500 deep is removed with a loop."""
    while folder.exists():
        deepest = folder
        while (sub := next((p for p in deepest.iterdir() if p.is_dir()), None)) is not None:
            deepest = sub
        for p in deepest.iterdir():
            p.unlink()
        deepest.rmdir()


@pytest.mark.parametrize(
    ("rel", "text", "message"),
    [
        (".vaultlink.toml", 'ignore = ["!"]\n', "setting 'ignore' holds an invalid pattern '!'"),
        (".vaultlink.toml", "x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        (".obsidian/app.json", "[" * 5000 + "]" * 5000, "nested too deeply"),
        (".obsidian/app.json", '{"a": ' * 5000 + "1" + "}" * 5000, "nested too deeply"),
        (
            ".obsidian/app.json",
            json.dumps({"newFileLocation": "folder", "newFileFolderPath": "in\0box"}),
            "newFileFolderPath must be a folder's path",
        ),
        (".obsidian/app.json", json.dumps({"newFileFolderPath": 5}), "newFileFolderPath must be a folder's path"),
        (".obsidian/app.json", json.dumps({"useMarkdownLinks": "yes"}), "useMarkdownLinks must be true or false"),
        (".obsidian/app.json", json.dumps({"userIgnoreFilters": [1, None]}), "userIgnoreFilters must be a list"),
        (".obsidian/app.json", json.dumps({"newFileLocation": ["folder"]}), "newFileLocation must be a word"),
    ],
)
def test_hostile_settings_are_one_line_naming_the_file(
    make_vault: VaultFactory, rel: str, text: str, message: str
) -> None:
    vault = make_vault({**NOTES, "C.md": "# C\n\n[[Missing]]\n", rel: text})
    before = snapshot(vault)
    for command in (["check"], ["sync"], ["clean"]):
        result = CliRunner().invoke(cli, [*command, str(vault)])
        assert (result.exit_code != 0 and result.exception is None) or isinstance(result.exception, SystemExit)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and str(vault / rel) in lines[0] and message in lines[0], result.output
    assert snapshot(vault) == before


def test_a_nul_in_a_path_is_refused_for_that_file_alone(make_vault: VaultFactory) -> None:
    vault = make_vault(NOTES)
    with pytest.raises(WriteRefused, match="NUL"):
        write_file(vault, "in\0box/Missing.md", b"stub\n", None)


class _SliceCounter(list):  # type: ignore[type-arg]
    """A list that counts the items its slices copy."""

    copied = 0

    def __getitem__(self, index: Any) -> Any:
        found = super().__getitem__(index)
        if isinstance(index, slice):
            _SliceCounter.copied += len(found)
        return found


@pytest.mark.parametrize("unit", ["See also\n", "Related\n", "Related\n\n", "Related\nSee also\n- x\n"])
def test_finding_the_related_heading_copies_no_list_per_line(monkeypatch: pytest.MonkeyPatch, unit: str) -> None:
    """A note of plain "See also"/"Related" lines: each such line looked for its list in a copy of
    every line after it, quadratic in the note (4.9 MB did not plan in 20 minutes; timed in
    ``benchmarks/bench_heading_lines.py``)."""
    real = blocks._lines
    monkeypatch.setattr(blocks, "_lines", lambda *args: _SliceCounter(real(*args)))
    _SliceCounter.copied = 0
    text = "# Big\n\n" + unit * 2000
    blocks.find_related_anchor(text, 0)
    assert _SliceCounter.copied <= text.count("\n")


# --- convergence ---------------------------------------------------------------------------------------------

MULTI_LINE_NAMES: dict[str, str] = {
    "A.md": '---\ntitle: |\n  Sourdough\n  starter\naliases: ["levain\\rculture"]\n---\n# X\n\n'
    "About the rye flour. About the rye flour. About the sourdough starter.\n",
    "B.md": "# B\n\nAbout the rye flour. About the rye flour. Sourdough starter and levain culture. "
    "Sourdough starter.\n",
    "C.md": '+++\ntitle = """Rye\nflour"""\n+++\n# C\n\nAbout the rye flour. About the rye flour.\n',
    **{f"F{i}.md": f"# F{i}\n\nKnitting socks {i}.\n" for i in range(4)},
}


def test_a_multi_line_title_or_alias_is_written_on_one_line_and_cleaned(make_vault: VaultFactory) -> None:
    vault = make_vault(MULTI_LINE_NAMES)
    before = snapshot(vault)
    first = app.sync(vault)
    assert first.changed and first.skipped == []
    assert "Sourdough starter" in (vault / "A.md").read_text() or "Sourdough starter" in (vault / "B.md").read_text()
    assert app.sync(vault).pending == 0
    cleaned = app.clean(vault)
    assert cleaned.skipped == []
    assert snapshot(vault) == before


def test_a_link_through_a_symlinked_folder_inside_the_vault_does_not_flip_flop(make_vault: VaultFactory) -> None:
    vault = make_vault({**NOTES, "real/Here.md": "# Here\n", "Cites.md": "# Cites\n\n[[alias/Idea]]\n"})
    (vault / "alias").symlink_to(vault / "real", target_is_directory=True)
    app.sync(vault)
    after_first = snapshot(vault)
    for _ in range(2):
        again = app.sync(vault)
        assert again.created == [] and again.deleted == []
        assert snapshot(vault) == after_first
    assert not (vault / "real" / "Idea.md").exists()
