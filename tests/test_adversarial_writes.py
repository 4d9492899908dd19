"""Issue 23, writes: what adversarial testing broke in the writer, each case reproduced.

A program holding a note open (a logger, ``tee -a``, an editor between truncating and writing),
a folder swapped for a symbolic link mid-run, another user's note.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ONE_CITER, VaultFactory, snapshot
from tests.faultkit import temp_files
from vaultlink import app, platform, safe_io
from vaultlink.core.digest import digest
from vaultlink.writer import WriteRefused, write_file

linux_leases = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.fcntl_module() is None, reason="read leases are Linux's (fcntl)"
)

NOTES: dict[str, str] = {
    "Journal.md": "# Journal\n\nAbout the tomato seedlings. About the tomato seedlings.\n",
    "Garden.md": "# Garden\n\nFrom [[Journal]]. About the tomato seedlings. About the tomato seedlings.\n",
    "Other.md": "# Other\n\nAbout the tomato seedlings. About the compost heap.\n",
}


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault(NOTES)


@linux_leases
def test_a_note_held_open_for_appending_is_left_alone_and_no_line_is_lost(vault: Path) -> None:
    """``tee -a Journal.md``: the writer keeps the file open. Replacing the note would leave it
    writing into a file no name leads to."""
    with open(vault / "Journal.md", "ab", buffering=0) as tee:
        tee.write(b"line 1\n")
        report = app.sync(vault, cache=app.NO_CACHE)
        tee.write(b"line 2\n")
    text = (vault / "Journal.md").read_bytes()
    assert text.endswith(b"line 1\nline 2\n"), text
    if sys.platform.startswith("linux"):
        assert ("Journal.md", safe_io.OPEN_FOR_WRITING) in report.skipped
    # Once the writer has closed it, the next sync writes the note's blocks.
    again = app.sync(vault, cache=app.NO_CACHE)
    assert "Journal.md" in again.changed
    assert b"line 1\nline 2\n" in (vault / "Journal.md").read_bytes()


@linux_leases
def test_a_slow_save_through_one_handle_is_never_replaced_half_seen(vault: Path) -> None:
    """An editor truncates the note, pauses, then writes the text (``--grace 0`` under watch does
    not wait): the empty note must not be replaced under it."""
    saved = NOTES["Journal.md"] + "\nA paragraph typed before the save.\n"
    with open(vault / "Journal.md", "wb", buffering=0) as editor:  # truncated, still open
        report = app.sync(vault, cache=app.NO_CACHE)
        editor.write(saved.encode())
    assert (vault / "Journal.md").read_text() == saved
    assert "Journal.md" not in report.changed


@linux_leases
def test_a_writer_that_opens_the_note_during_the_replace_loses_nothing(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A program opens the note for appending in the instant before the rename: its open waits on
    the lease, the guard sees the lease broken, renames the old file back, and the line lands."""
    path = vault / "Journal.md"
    real_replace = os.replace
    opened: list[threading.Thread] = []

    def append_line() -> None:
        with open(path, "ab") as late:
            late.write(b"appended during the replace\n")

    def open_then_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if os.fspath(dst) == os.fspath(path) and not opened:
            opened.append(threading.Thread(target=append_line))
            opened[0].start()
            time.sleep(0.3)  # the thread is now waiting in open() for the lease
        real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", open_then_replace)
    with pytest.raises(WriteRefused, match="written to by another program"):
        write_file(vault, "Journal.md", b"vaultlink's version\n", digest(NOTES["Journal.md"].encode()))
    opened[0].join(5)
    assert path.read_bytes() == NOTES["Journal.md"].encode() + b"appended during the replace\n"
    assert temp_files(vault) == []


def test_a_note_written_to_while_it_is_replaced_is_put_back(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where there are no leases, the old file's size and mtime are compared after the replace: a
    line written into the old file in that instant sends it back to its path."""
    path = vault / "Journal.md"
    held = open(path, "ab", buffering=0)  # noqa: SIM115 (closed below)
    monkeypatch.setattr(safe_io.OpenWriterGuard, "_take_lease", lambda self: None)
    real_replace = os.replace

    def write_then_replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        real_replace(src, dst, *args, **kwargs)
        if os.fspath(dst) == os.fspath(path):
            held.write(b"written after the hash check\n")

    monkeypatch.setattr(os, "replace", write_then_replace)
    try:
        with pytest.raises(WriteRefused, match="written to by another program"):
            write_file(vault, "Journal.md", b"vaultlink's version\n", digest(NOTES["Journal.md"].encode()))
    finally:
        held.close()
    assert path.read_bytes() == NOTES["Journal.md"].encode() + b"written after the hash check\n"
    assert temp_files(vault) == []


# --- a folder swapped for a symbolic link while sync runs ----------------------------------------------------


@pytest.fixture
def swap_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """``(vault, outside)``: ``vault/area/`` is moved out of the vault and replaced by a symbolic
    link to a copy outside it, just as the writer makes its temp file in ``area/``."""
    root = tmp_path / "vault"
    (root / "area").mkdir(parents=True)
    (root / "area" / "Note.md").write_text("# Note\n\nSee [[area/New]].\n")
    outside = tmp_path / "outside"
    real_mkstemp = tempfile.mkstemp

    def swap_then_mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        folder = Path(kwargs.get("dir") or args[2])
        if folder == root / "area" and not outside.exists():
            shutil.copytree(root / "area", outside)
            os.rename(root / "area", tmp_path / "moved")
            (root / "area").symlink_to(outside, target_is_directory=True)
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", swap_then_mkstemp)
    yield root, outside


def test_a_folder_swapped_for_a_link_out_gets_no_note_and_no_temp_file(swap_folder: tuple[Path, Path]) -> None:
    root, outside = swap_folder
    before = (root / "area" / "Note.md").read_bytes()
    with pytest.raises(WriteRefused):
        write_file(root, "area/Note.md", b"rewritten\n", digest(before))
    assert snapshot(outside) == {"Note.md": before}


def test_a_stub_is_never_created_through_a_folder_swapped_for_a_link_out(swap_folder: tuple[Path, Path]) -> None:
    root, outside = swap_folder
    with pytest.raises(WriteRefused):
        write_file(root, "area/New.md", b"a stub\n", None)
    assert sorted(snapshot(outside)) == ["Note.md"]


# --- ownership -----------------------------------------------------------------------------------------------

NOBODY = 65534
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to change owners")


@as_root
def test_root_keeps_a_notes_owner_and_group(vault: Path) -> None:
    os.chown(vault / "Journal.md", NOBODY, NOBODY)
    report = app.sync(vault, cache=app.NO_CACHE)
    assert "Journal.md" in report.changed
    st = (vault / "Journal.md").stat()
    assert (st.st_uid, st.st_gid) == (NOBODY, NOBODY)


def _open_to_others(path: Path) -> bool:
    """Can another user reach ``path`` (every folder above it searchable by others)?"""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents] if p.exists())


def _python_for_others() -> str | None:
    """A Python 3.11+ that another user may run (the venv's may sit in root's home)."""
    for candidate in (sys.executable, shutil.which("python3") or "", "/usr/bin/python3"):
        if candidate and _open_to_others(Path(candidate).resolve()):
            version = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info >= (3, 11))"], capture_output=True, text=True
            )
            if version.stdout.strip() == "True":
                return candidate
    return None


@as_root
def test_another_users_note_is_left_alone_and_reported() -> None:
    """Run as a normal user, in a folder anyone may write: a note owned by someone else (0644) would
    become the runner's own if replaced."""
    python = _python_for_others()
    project = Path(__file__).resolve().parents[1]
    if python is None or not _open_to_others(project):
        pytest.skip("no Python and project another user may read")
    base = Path(tempfile.mkdtemp(prefix="vaultlink-owner-", dir="/tmp"))
    try:
        base.chmod(0o755)
        root = base / "vault"
        root.mkdir(mode=0o777)
        root.chmod(0o777)
        (root / "Theirs.md").write_bytes(b"# Theirs\n")  # owned by root, 0644
        (root / "Theirs.md").chmod(0o644)
        code = textwrap.dedent(
            f"""
            from pathlib import Path
            from vaultlink.core.digest import digest
            from vaultlink.writer import WriteRefused, write_file
            try:
                write_file(Path({str(root)!r}), "Theirs.md", b"replaced\\n", digest(b"# Theirs\\n"))
            except WriteRefused as exc:
                print("refused:", exc)
            """
        )
        env = {**os.environ, "PYTHONPATH": str(project)}
        done = subprocess.run([python, "-c", code], user=NOBODY, env=env, capture_output=True, text=True, cwd="/tmp")
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"refused: {safe_io.OTHER_OWNER}"
        assert (root / "Theirs.md").read_bytes() == b"# Theirs\n"
        assert (root / "Theirs.md").stat().st_uid == 0
    finally:
        shutil.rmtree(base)


# --- folders: only those vaultlink made are removed ------------------------------------------------------------


@pytest.mark.parametrize("command", ["sync", "clean"])
def test_a_users_empty_folder_is_never_removed_with_a_stub(make_vault: VaultFactory, command: str) -> None:
    """Obsidian's ``inbox/`` (new notes go there), empty but for a stub vaultlink put in it."""
    vault = make_vault({**NOTES, "Cites.md": "# Cites\n\n[[inbox/Idea]]\n", **ONE_CITER})
    (vault / "inbox").mkdir()  # the user's, before any sync
    app.sync(vault)
    assert (vault / "inbox" / "Idea.md").is_file()
    if command == "sync":
        (vault / "Cites.md").write_text("# Cites\n\nNo link any more.\n")
        assert app.sync(vault).deleted == ["inbox/Idea.md"]
    else:
        assert "inbox/Idea.md" in app.clean(vault).deleted
    assert (vault / "inbox").is_dir()


@pytest.mark.parametrize("command", ["sync", "clean"])
def test_folders_vaultlink_made_for_a_stub_are_removed_with_it(make_vault: VaultFactory, command: str) -> None:
    vault = make_vault({**NOTES, "Cites.md": "# Cites\n\n[[new/deeper/Idea]]\n", **ONE_CITER})
    app.sync(vault)
    assert (vault / "new" / "deeper" / "Idea.md").is_file()
    if command == "sync":
        (vault / "Cites.md").write_text("# Cites\n\nNo link any more.\n")
        assert app.sync(vault).deleted == ["new/deeper/Idea.md"]
    else:
        app.clean(vault)
    assert not (vault / "new").exists()
    assert not (vault / ".vaultlink" / "made-folders").exists()


def test_a_folder_made_for_a_stub_that_could_not_be_written_is_removed(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while the stub is written: the folders made for it go again."""
    vault = make_vault(NOTES)
    real_fdopen = os.fdopen

    def full(fd: int, *args: Any, **kwargs: Any) -> Any:
        os.close(fd)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fdopen", full)
    with pytest.raises(OSError):
        write_file(vault, "new/deeper/Idea.md", b"stub\n", None)
    monkeypatch.setattr(os, "fdopen", real_fdopen)
    assert not (vault / "new").exists()


def test_a_folder_made_for_a_stub_is_removed_when_its_second_level_cannot_be_made(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(NOTES)
    real_mkdir = os.mkdir
    made: list[str] = []

    def second_fails(path: Any, *args: Any, **kwargs: Any) -> None:
        if made:
            raise OSError(28, "No space left on device")
        made.append(os.fspath(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", second_fails)
    with pytest.raises(OSError):
        write_file(vault, "new/deeper/Idea.md", b"stub\n", None)
    monkeypatch.undo()
    assert made and not (vault / "new").exists()
