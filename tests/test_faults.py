"""Faults while vaultlink writes: a full disk, permission denied, a read-only note, a note or folder changed
under it between read and write, a process killed mid-write, and two processes at once.

For every fault: the file it hits is reported (``SyncReport.skipped``), the run goes on, every other file
ends exactly as an uninterrupted run leaves it (or as it was), no temp file stays behind, and the next
sync converges. Faults are injected at the OS calls ``vaultlink/writer.py`` makes (``tempfile.mkstemp``,
the temp file's ``write``, ``os.fsync``, ``os.chmod``, ``os.replace``, ``os.link``). The random SIGKILLs
of whole runs are in ``test_kill.py``; the writer's own unit tests in ``test_writer.py``.
"""

from __future__ import annotations

import errno
import importlib.util
import io
import json
import os
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import slow_but
from faultkit import folders, mode_of, snapshot, temp_files

import vaultlink.scan
from vaultlink import app, writer
from vaultlink.apply import WRITE_THREADS
from vaultlink.errors import VaultLocked
from vaultlink.lock import LOCK_NAME, STATE_DIR, holds_lock, vault_lock

ROOT = Path(__file__).resolve().parents[1]
ENOSPC = os.strerror(errno.ENOSPC)
EACCES = os.strerror(errno.EACCES)
LOCK = Path(STATE_DIR) / LOCK_NAME
# Hand-written notes added to the generated ones: a stub in new nested folders, and a CRLF note.
EXTRA = {
    "plans.md": b"# Plans\n\nFile against ~/vault/plans/deep/new-plan.md (or create if missing). See [[crlf note]].\n",
    "area1/crlf note.md": b"# CRLF\r\n\r\nSee [[Missing crlf target]].\r\n",
}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("make_vault", ROOT / "benchmarks" / "make_vault.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Generator


@dataclass(frozen=True)
class Case:
    original: dict[str, bytes]
    original_folders: set[str]
    reference: dict[str, bytes]
    reference_folders: set[str]
    planned: set[str]  # files the uninterrupted sync writes or creates
    source: Path


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Case:
    source = tmp_path_factory.mktemp("faults") / "vault"
    _generator()(40, 3).write(source)
    for rel, data in EXTRA.items():
        (source / rel).write_bytes(data)
    reference_root = tmp_path_factory.mktemp("faults-reference") / "vault"
    shutil.copytree(source, reference_root)
    report = app.sync(reference_root)
    assert report.skipped == [] and report.created and report.changed
    assert "plans/deep/new-plan.md" in report.created
    assert "area1/crlf note.md" in report.changed
    return Case(
        snapshot(source),
        folders(source),
        snapshot(reference_root),
        folders(reference_root),
        set(report.changed) | set(report.created),
        source,
    )


@pytest.fixture
def vault(case: Case, tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    shutil.copytree(case.source, root)
    return root


def assert_per_file_outcome(case: Case, root: Path, report: app.SyncReport, reason: str) -> set[str]:
    """Each planned file is either written (reported written, reference bytes) or skipped (reported with
    ``reason``, original bytes or absent); nothing else changed; no temp file; no folder left over.
    Returns the skipped paths."""
    after = snapshot(root)
    written = set(report.changed) | set(report.created)
    skipped = {path for path, _ in report.skipped}
    assert written | skipped == case.planned
    assert not written & skipped
    assert {why for _, why in report.skipped} <= {reason}
    for rel in case.planned:
        expected = case.reference if rel in written else case.original
        assert after.get(rel) == expected.get(rel), rel
    for rel in set(case.original) - case.planned:
        assert after[rel] == case.original[rel], rel
    assert set(after) <= set(case.original) | set(case.reference)
    assert temp_files(root) == []
    assert folders(root) <= case.reference_folders
    stub_folders = {rel.rsplit("/", 1)[0] for rel in written - set(case.original) if "/" in rel}
    assert folders(root) - case.original_folders <= {f for s in stub_folders for f in _and_parents(s)}
    assert not (root / LOCK).exists()
    return skipped


def _and_parents(folder: str) -> set[str]:
    parts = folder.split("/")
    return {"/".join(parts[: i + 1]) for i in range(len(parts))}


def assert_next_sync_converges(case: Case, root: Path) -> None:
    report = app.sync(root)
    assert report.skipped == []
    assert snapshot(root) == case.reference
    assert folders(root) == case.reference_folders
    assert temp_files(root) == []


# --- a full disk ---------------------------------------------------------------------------------------------


def _full() -> OSError:
    return OSError(errno.ENOSPC, ENOSPC)


class _FullFile(io.RawIOBase):
    """A temp file on a full disk: writes fail, closing works."""

    def __init__(self, f: io.BufferedWriter) -> None:
        self._f = f

    def write(self, _data: Any) -> int:
        raise _full()

    def fileno(self) -> int:
        return self._f.fileno()

    def close(self) -> None:
        self._f.close()
        super().close()


class DiskFills:
    """From the ``k``-th call of one OS operation on, that operation fails with ENOSPC."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, op: str, k: int) -> None:
        self.calls = 0
        self.k = k
        real: dict[str, Callable[..., Any]] = {
            "mkstemp": tempfile.mkstemp,
            "fsync": os.fsync,
            "chmod": os.chmod,
            "replace": os.replace,
            "link": os.link,
            "write": os.fdopen,
        }
        target = real[op]

        def failing(*args: Any, **kwargs: Any) -> Any:
            if op == "fsync" and not stat.S_ISREG(os.fstat(args[0]).st_mode):
                return target(*args, **kwargs)  # a folder's fsync: vaultlink ignores its failure anyway
            if op == "write" and (args[1:2] or [kwargs.get("mode", "r")])[0] != "wb":
                return target(*args, **kwargs)  # the lock file, not a note's temp file
            self.calls += 1
            if self.calls < self.k:
                return target(*args, **kwargs)
            if op == "write":
                return _FullFile(target(*args, **kwargs))
            raise _full()

        if op == "mkstemp":
            monkeypatch.setattr(tempfile, "mkstemp", failing)
        elif op == "write":
            monkeypatch.setattr(os, "fdopen", failing)
        else:
            monkeypatch.setattr(os, op, failing)


@pytest.mark.parametrize(
    ("op", "k"),
    slow_but([("write", 1), ("mkstemp", 9), ("write", 9), ("fsync", 9), ("chmod", 9), ("replace", 9)], ("replace", 9)),
)
def test_disk_full_from_the_kth_write_on_reports_each_file_and_touches_nothing_else(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch, op: str, k: int
) -> None:
    with monkeypatch.context() as patch:
        DiskFills(patch, op, k)
        report = app.sync(vault)
    skipped = assert_per_file_outcome(case, vault, report, ENOSPC)
    # One call per file written, so the first k-1 files got written; new stubs are linked, not replaced.
    hit = case.planned & set(case.original) if op == "replace" else case.planned
    assert len(skipped) == len(hit) - (k - 1)
    assert_next_sync_converges(case, vault)


def test_disk_full_for_hard_links_falls_back_and_creates_every_stub(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.link`` failing (ENOSPC, or a file system without hard links) falls back to check-then-rename."""
    with monkeypatch.context() as patch:
        DiskFills(patch, "link", 1)
        report = app.sync(vault)
    assert assert_per_file_outcome(case, vault, report, ENOSPC) == set()
    assert snapshot(vault) == case.reference


def test_disk_full_during_clean_reports_each_file_and_the_next_clean_restores(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.sync(vault)
    with monkeypatch.context() as patch:
        DiskFills(patch, "fsync", 5)
        report = app.clean(vault)
    assert report.skipped and {why for _, why in report.skipped} == {ENOSPC}
    after = snapshot(vault)
    for rel in after:
        assert after[rel] in (case.original.get(rel), case.reference.get(rel)), rel
    assert temp_files(vault) == []
    assert app.clean(vault).skipped == []
    assert snapshot(vault) == case.original
    assert folders(vault) == case.original_folders


# --- permission denied, read-only notes ----------------------------------------------------------------------


def test_permission_denied_in_one_folder_is_reported_per_file(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder vaultlink may not write in (simulated: the tests may run as root, who may write anywhere)."""
    denied = vault / "area1"
    real = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> tuple[int, str]:
        if Path(kwargs["dir"]) == denied:
            raise PermissionError(errno.EACCES, EACCES, str(denied))
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "mkstemp", mkstemp)
        report = app.sync(vault)
    skipped = assert_per_file_outcome(case, vault, report, EACCES)
    assert skipped == {rel for rel in case.planned if rel.startswith("area1/")}
    assert_next_sync_converges(case, vault)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write in a 0555 folder")
def test_read_only_folder_is_reported_per_file(case: Case, vault: Path) -> None:
    (vault / "area1").chmod(0o555)
    try:
        report = app.sync(vault)
    finally:
        (vault / "area1").chmod(0o755)
    skipped = assert_per_file_outcome(case, vault, report, EACCES)
    assert skipped == {rel for rel in case.planned if rel.startswith("area1/")}


def test_read_only_note_if_written_keeps_its_mode_and_the_run_goes_on(case: Case, vault: Path) -> None:
    note = vault / "area1" / "crlf note.md"
    note.chmod(0o444)
    report = app.sync(vault)
    assert set(report.changed) | set(report.created) | {p for p, _ in report.skipped} == case.planned
    assert mode_of(note) == 0o444
    others = case.planned - {"area1/crlf note.md"}
    assert all(snapshot(vault)[rel] == case.reference[rel] for rel in others)


def test_read_only_note_is_left_alone_and_reported(case: Case, vault: Path) -> None:
    note = vault / "area1" / "crlf note.md"
    note.chmod(0o444)
    report = app.sync(vault)
    assert note.read_bytes() == case.original["area1/crlf note.md"]
    assert report.skipped == [("area1/crlf note.md", writer.READ_ONLY)]
    after = snapshot(vault)
    assert all(after[rel] == case.reference[rel] for rel in case.planned - {"area1/crlf note.md"})


@pytest.mark.slow
def test_read_only_note_is_named_on_one_line_by_the_cli(vault: Path) -> None:
    (vault / "area1" / "crlf note.md").chmod(0o444)
    done = _sync_cli(vault)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"skipped area1/crlf note.md: {writer.READ_ONLY}"]


def test_read_only_note_is_not_cleaned_and_is_reported(case: Case, vault: Path) -> None:
    app.sync(vault)
    synced = (vault / "area1" / "crlf note.md").read_bytes()
    (vault / "area1" / "crlf note.md").chmod(0o444)
    report = app.clean(vault)
    assert report.skipped == [("area1/crlf note.md", writer.READ_ONLY)]
    assert (vault / "area1" / "crlf note.md").read_bytes() == synced
    after = snapshot(vault)
    assert all(after[rel] == case.original[rel] for rel in set(case.original) - {"area1/crlf note.md"})


def test_read_only_stub_is_not_deleted_by_clean(vault: Path) -> None:
    app.sync(vault)
    stub = vault / "plans" / "deep" / "new-plan.md"
    stub.chmod(0o444)
    report = app.clean(vault)
    assert ("plans/deep/new-plan.md", writer.READ_ONLY) in report.skipped
    assert stub.is_file()


def test_dry_run_reports_a_read_only_note_instead_of_its_diff(case: Case, vault: Path) -> None:
    (vault / "area1" / "crlf note.md").chmod(0o444)
    report = app.sync(vault, dry_run=True)
    assert report.skipped == [("area1/crlf note.md", writer.READ_ONLY)]
    assert "crlf note.md" not in report.diff
    assert "area1/crlf note.md" not in report.changed
    assert snapshot(vault) == case.original


# --- a note or folder changed under vaultlink between read and write -------------------------------------------


def _before_first_replace(monkeypatch: pytest.MonkeyPatch, action: Callable[[str], None], when: str = "") -> None:
    """Run ``action(dst)`` once, just before the first ``os.replace``/``os.link`` whose target contains ``when``:
    after the note was read, planned, its temp file written and its hash re-checked."""
    done: list[bool] = []
    real_replace, real_link = os.replace, os.link

    def wrap(real: Callable[..., Any]) -> Callable[..., Any]:
        def call(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
            if not done and when in os.fspath(dst):
                done.append(True)
                action(os.fspath(dst))
            return real(src, dst, *args, **kwargs)

        return call

    monkeypatch.setattr(os, "replace", wrap(real_replace))
    monkeypatch.setattr(os, "link", wrap(real_link))


def test_note_replaced_by_a_folder_between_read_and_write_is_reported(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = "area1/crlf note.md"
    real = writer._current_digest

    def swap_then_hash(path: Path) -> str | None:
        if path == vault / rel and path.is_file():
            path.unlink()
            path.mkdir()
            (path / "inside.md").write_bytes(b"the user's\n")
        return real(path)

    monkeypatch.setattr(writer, "_current_digest", swap_then_hash)
    report = app.sync(vault)
    monkeypatch.undo()
    assert [p for p, _ in report.skipped] == [rel]
    assert (vault / rel / "inside.md").read_bytes() == b"the user's\n"
    after = snapshot(vault)
    for other in case.planned - {rel}:
        assert after[other] == case.reference[other], other
    assert temp_files(vault) == []


def test_note_replaced_by_an_atomic_save_between_read_and_write_is_kept(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor's save: new file written beside the note, renamed over it (new inode, new bytes)."""
    rel = "area1/crlf note.md"
    saved = case.original[rel] + b"Typed while vaultlink ran.\r\n"

    def editor_saves(_dst: str) -> None:
        tmp = vault / "area1" / ".crlf note.md.swp"
        tmp.write_bytes(saved)
        os.rename(tmp, vault / rel)

    with monkeypatch.context() as patch:
        real = writer._current_digest
        fired: list[bool] = []

        def save_then_hash(path: Path) -> str | None:
            if path == vault / rel and not fired:
                fired.append(True)
                editor_saves(str(path))
            return real(path)

        patch.setattr(writer, "_current_digest", save_then_hash)
        report = app.sync(vault)
    assert (vault / rel).read_bytes() == saved
    assert report.skipped == [(rel, "changed since it was read; left alone")]
    assert temp_files(vault) == []
    second = app.sync(vault)
    assert second.changed == [rel] and second.skipped == []
    assert (vault / rel).read_bytes().startswith(saved.rstrip(b"\r\n"))


def test_note_replaced_by_a_symlink_just_before_the_replace_is_left_alone(
    case: Case, vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The note is swapped for a symlink to a file with the same bytes right after its hash re-check (which
    would read through the link): the file's identity (lstat: still that regular file, same inode) is checked
    again after the hash. (The instant between that check and ``os.replace`` can't be closed with
    ``rename(2)``; the writer's own tests swap before the hash too.)"""
    rel = "area1/crlf note.md"
    outside = tmp_path / "outside.md"
    outside.write_bytes(case.original[rel])
    real = writer._current_digest

    def hash_then_swap(path: Path) -> str | None:
        digest = real(path)
        if path == vault / rel and not path.is_symlink():
            path.unlink()
            path.symlink_to(outside)
        return digest

    with monkeypatch.context() as patch:
        patch.setattr(writer, "_current_digest", hash_then_swap)
        report = app.sync(vault)
    assert outside.read_bytes() == case.original[rel]  # nothing is written through the link
    assert (vault / rel).is_symlink(), "the user's symlink was replaced by a regular file"
    assert report.skipped == [(rel, "became a symbolic link since it was read; left alone")]
    assert temp_files(vault) == []


def test_note_replaced_by_a_copy_after_the_hash_recheck_is_left_alone(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same bytes, another file (an editor's save without changes): not the file the plan was checked
    against, so it is left for the next run."""
    rel = "area1/crlf note.md"
    real = writer._current_digest

    def copy_after_hash(path: Path) -> str | None:
        digest = real(path)
        if path == vault / rel:
            copy = path.with_name(".copy")
            copy.write_bytes(path.read_bytes())
            os.replace(copy, path)
        return digest

    with monkeypatch.context() as patch:
        patch.setattr(writer, "_current_digest", copy_after_hash)
        report = app.sync(vault)
    assert (rel, "replaced by another file since it was read; left alone") in report.skipped
    assert (vault / rel).read_bytes() == case.original[rel]
    assert_next_sync_converges(case, vault)


def test_folder_renamed_before_its_notes_are_written_is_reported_per_file(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user renames ``area1/`` while vaultlink writes other folders: its notes are reported, found
    untouched under the new name, and the next sync treats the renamed folder like any other."""

    def rename(_dst: str) -> None:
        os.rename(vault / "area1", vault / "renamed")

    with monkeypatch.context() as patch:
        _before_first_replace(patch, rename, when="/area0/")
        report = app.sync(vault)
    moved = {rel for rel in case.planned if rel.startswith("area1/")}
    assert_moved_notes_are_whole(case, vault, report, moved)
    assert not (vault / "area1").exists()
    after = snapshot(vault)
    for rel in case.planned - moved:
        assert after[rel] == case.reference[rel], rel
    assert temp_files(vault) == []
    # The next sync equals a sync of a vault that had the folder's new name all along.
    expected = vault.parent / "expected" / "vault"
    shutil.copytree(case.source, expected)
    os.rename(expected / "area1", expected / "renamed")
    app.sync(expected)
    assert app.sync(vault).skipped == []
    assert snapshot(vault) == snapshot(expected)


def test_folder_renamed_while_one_of_its_notes_is_written_leaves_no_temp_file(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def rename(_dst: str) -> None:
        os.rename(vault / "area1", vault / "renamed")

    with monkeypatch.context() as patch:
        _before_first_replace(patch, rename, when="/area1/")
        report = app.sync(vault)
    assert all(snapshot(vault)[rel] == case.reference[rel] for rel in case.planned if rel.startswith("area0/"))
    assert_moved_notes_are_whole(case, vault, report, {rel for rel in case.planned if rel.startswith("area1/")})
    assert temp_files(vault) == []


def assert_moved_notes_are_whole(case: Case, vault: Path, report: app.SyncReport, moved: set[str]) -> None:
    """Each note of ``area1/``, renamed to ``renamed/`` mid-run, is either reported and untouched,
    or was written before the rename (notes are written several at once, so some may be)."""
    assert report.skipped, "the rename made no note fail"
    assert {why for _, why in report.skipped} == {"deleted since it was read; left alone"}
    skipped = {p for p, _ in report.skipped}
    assert skipped <= moved
    after = snapshot(vault)
    for rel in moved:
        expected = case.original[rel] if rel in skipped else case.reference[rel]
        assert after["renamed/" + rel.removeprefix("area1/")] == expected, rel


# --- killed mid-write ---------------------------------------------------------------------------------------

# Run the CLI with os.fsync replaced by a SIGKILL of the process itself: it dies with its first temp
# file fully written, before any note is replaced.
KILLED_AT_FIRST_FSYNC = """
import os, signal, sys
os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)
from vaultlink.cli import main
sys.argv = ["vaultlink", "sync", sys.argv[1]]
main()
"""


def _killed_at_first_fsync(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", KILLED_AT_FIRST_FSYNC, str(root)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.slow
def test_killed_with_a_temp_file_written_leaves_every_note_and_the_next_sync_converges(case: Case, vault: Path) -> None:
    killed = _killed_at_first_fsync(vault)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert snapshot(vault) == case.original
    leftovers = temp_files(vault)
    assert 1 <= len(leftovers) <= WRITE_THREADS  # one per note being written at once
    assert (vault / LOCK).exists()  # the dead process's lock: stale, taken over below
    report = app.sync(vault)
    assert report.skipped == []
    assert snapshot(vault) == case.reference
    assert not (vault / LOCK).exists()
    assert temp_files(vault) == []  # the leftover, removed by the run that took the lock over


# Files of the user's whose names look like vaultlink's temp files but are not exactly its pattern
# (".vaultlink-tmp-" + 8 of [a-z0-9_] + ".tmp"), and a symlink that has the pattern.
LOOK_ALIKES = {
    "area1/.vaultlink-abcdefgh.tmp": b"named like an older vaultlink's temp file\n",
    "area1/.vaultlink-tmp-abcdefgh.tmp.md": b"a note\n",
    "area1/.vaultlink-tmp-ABCDEFGH.tmp": b"upper case\n",
    "area1/.vaultlink-tmp-abcdefghi.tmp": b"nine characters\n",
    "area1/vaultlink-tmp-abcdefgh.tmp": b"no dot\n",
}


@pytest.mark.slow
def test_temp_file_left_by_a_killed_run_is_removed_by_the_next_run(case: Case, vault: Path, tmp_path: Path) -> None:
    assert _killed_at_first_fsync(vault).returncode == -signal.SIGKILL
    leftovers = temp_files(vault)  # one or more: notes are written several at once
    for rel, data in LOOK_ALIKES.items():
        (vault / rel).write_bytes(data)
    (tmp_path / "target").write_bytes(b"not vaultlink's\n")
    (vault / "area1" / ".vaultlink-tmp-zzzzzzzz.tmp").symlink_to(tmp_path / "target")
    app.check_vault(vault)
    app.sync(vault, dry_run=True)
    assert temp_files(vault) == sorted([*leftovers, "area1/.vaultlink-tmp-zzzzzzzz.tmp"])  # no lock: not touched
    app.sync(vault)
    assert temp_files(vault) == ["area1/.vaultlink-tmp-zzzzzzzz.tmp"]  # a symlink is never vaultlink's
    assert (tmp_path / "target").read_bytes() == b"not vaultlink's\n"
    after = snapshot(vault)
    assert {rel: after[rel] for rel in LOOK_ALIKES} == LOOK_ALIKES


@pytest.mark.slow
def test_temp_file_that_cannot_be_removed_is_one_warning_naming_it(
    case: Case, vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _killed_at_first_fsync(vault).returncode == -signal.SIGKILL
    leftovers = temp_files(vault)  # one or more: notes are written several at once

    def refuse(root: Path, rel: str) -> None:
        raise PermissionError(errno.EACCES, EACCES, str(root / rel))

    with monkeypatch.context() as patch:
        patch.setattr(vaultlink.scan, "remove_temp_file", refuse)
        report = app.sync(vault)
    assert sorted(w.line() for w in report.warnings) == [
        f"{vault / leftover}: temp-file: temp file left by an interrupted run; cannot be removed ({EACCES})"
        for leftover in sorted(leftovers)
    ]
    assert snapshot(vault) == case.reference  # the run went on
    assert temp_files(vault) == leftovers


# --- two processes at once ----------------------------------------------------------------------------------

# Holds the vault's lock until told to stop (a line on stdin); says "locked" once it holds it.
HOLD_LOCK = """
import sys
from pathlib import Path
from vaultlink.lock import vault_lock
with vault_lock(Path(sys.argv[1]), "sync"):
    print("locked", flush=True)
    sys.stdin.readline()
"""


def _python(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )


@contextmanager
def lock_held(root: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the vault's lock, for the duration."""
    holder = _python("-c", HOLD_LOCK, str(root), stdin=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == "locked\n", holder.stderr.read() if holder.stderr else ""
        yield holder
    finally:
        if holder.poll() is None:
            holder.stdin.close()
        holder.wait(timeout=60)


def _sync_cli(root: Path) -> subprocess.CompletedProcess[str]:
    proc = _python("-m", "vaultlink", "sync", str(root))
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_second_process_is_refused_while_the_first_holds_the_lock(case: Case, vault: Path) -> None:
    with lock_held(vault) as holder:
        refused = _sync_cli(vault)
        assert refused.returncode == 2
        assert f"pid {holder.pid} on {socket.gethostname()}" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1
        assert snapshot(vault) == case.original
    assert not (vault / LOCK).exists()
    done = _sync_cli(vault)
    assert done.returncode == 0, done.stderr
    assert snapshot(vault) == case.reference


@pytest.mark.slow
def test_lock_of_a_killed_process_is_taken_over(case: Case, vault: Path) -> None:
    with lock_held(vault) as holder:
        holder.kill()  # SIGKILL: no chance to remove its lock
        holder.wait(timeout=60)
        held_by = json.loads((vault / LOCK).read_text())
        assert held_by["pid"] == holder.pid
    done = _sync_cli(vault)
    assert done.returncode == 0, done.stderr
    assert snapshot(vault) == case.reference
    assert not (vault / LOCK).exists()


@pytest.mark.slow
def test_two_syncs_started_together_end_in_the_reference_vault(case: Case, vault: Path) -> None:
    """Whichever way they interleave: each finishes or is refused by the lock, and the vault ends right."""
    first, second = _python("-m", "vaultlink", "sync", str(vault)), _python("-m", "vaultlink", "sync", str(vault))
    results = [(p.wait(timeout=300), *p.communicate()) for p in (first, second)]
    for code, _out, err in results:
        assert code == 0 or (code == 2 and "locked by 'vaultlink sync'" in err), err
    assert 0 in [code for code, _, _ in results]
    assert snapshot(vault) == case.reference
    assert temp_files(vault) == []
    assert not (vault / LOCK).exists()


def _write_stale_lock(vault: Path) -> Path:
    """A lock file naming a dead process of this host, held by nobody."""
    lock = vault / LOCK
    lock.parent.mkdir(exist_ok=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock.write_text(json.dumps({"pid": dead.pid, "host": socket.gethostname(), "command": "sync", "started": 0}))
    return lock


def _after_opening_the_lock_file(monkeypatch: pytest.MonkeyPatch, action: Callable[[], None]) -> None:
    """Run ``action`` once, right after this process opens the lock file and before it locks it."""
    real_open = os.open
    done: list[bool] = []

    def open_then_act(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        fd = real_open(path, flags, mode, **kwargs)
        if Path(path).name == LOCK_NAME and not done:
            done.append(True)
            action()
        return fd

    monkeypatch.setattr("vaultlink.lock.os.open", open_then_act)


def _start_holder(vault: Path, holders: list[subprocess.Popen[str]]) -> subprocess.Popen[str]:
    holder = _python("-c", HOLD_LOCK, str(vault), stdin=subprocess.PIPE)
    holders.append(holder)
    assert holder.stdout is not None
    assert holder.stdout.readline() == "locked\n", holder.stderr.read() if holder.stderr else ""
    return holder


def _stop(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    if not holder.stdin.closed:
        holder.stdin.close()
    holder.wait(timeout=60)


def test_two_processes_taking_over_one_stale_lock_do_not_both_hold_it(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both see a stale lock; the other process takes it over between our opening the lock file and our
    locking it. (The first version of this test lost the race between reading the stale lock and removing
    it, which the flock-based lock no longer does: it never removes another run's lock file.)"""
    _write_stale_lock(vault)
    holders: list[subprocess.Popen[str]] = []

    def another_run_takes_it_over() -> None:
        _start_holder(vault, holders)

    refused = _refused_after_opening(vault, monkeypatch, another_run_takes_it_over, holders)
    assert f"pid {holders[0].pid} on {socket.gethostname()}" in refused


def _refused_after_opening(
    vault: Path, monkeypatch: pytest.MonkeyPatch, race: Callable[[], None], holders: list[subprocess.Popen[str]]
) -> str:
    """Run ``race`` between our opening the lock file and our locking it; the lock must be refused.
    Returns the refusal's message; stops every holder ``race`` started."""
    _after_opening_the_lock_file(monkeypatch, race)
    try:
        with pytest.raises(VaultLocked) as refused, vault_lock(vault, "sync"):
            pytest.fail("this process took the lock while another process held it")
        return str(refused.value)
    finally:
        for holder in holders:
            _stop(holder)


def test_lock_released_and_taken_again_while_we_open_it_is_not_held_twice(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """We open the lock file of a run that is just finishing; it removes that file and lets go; a third run
    makes a new lock file and holds it. Locking the file we opened succeeds, but it is no longer the lock."""
    holders: list[subprocess.Popen[str]] = []
    first = _start_holder(vault, holders)

    def first_finishes_and_another_starts() -> None:
        _stop(first)
        _start_holder(vault, holders)

    refused = _refused_after_opening(vault, monkeypatch, first_finishes_and_another_starts, holders)
    assert f"pid {holders[1].pid} on" in refused


def test_lock_file_replaced_again_and_again_is_one_clear_line(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each time this process opens the lock file, it is removed before it can be locked: vaultlink gives up
    after a few tries and says so."""
    lock = vault / LOCK
    real_open = os.open

    def open_then_remove(path: Any, flags: int, mode: int = 0o777, **kwargs: Any) -> int:
        fd = real_open(path, flags, mode, **kwargs)
        if Path(path).name == LOCK_NAME:
            os.unlink(path)
        return fd

    monkeypatch.setattr("vaultlink.lock.os.open", open_then_remove)
    with pytest.raises(VaultLocked) as refused, vault_lock(vault, "sync"):
        pytest.fail("locked a file that was gone")
    assert str(refused.value) == f"{lock}: the lock file was replaced 5 times while taking it; try again"
    monkeypatch.undo()
    with vault_lock(vault, "sync"):
        assert holds_lock(vault)
    assert not lock.exists()


def test_file_system_without_locks_is_one_clear_line(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_locks(_fd: int, _op: int) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr("portalocker.portalocker.LOCKER", no_locks)  # the lock's primitive on POSIX
    with pytest.raises(VaultLocked) as refused:
        app.sync(vault)
    assert str(refused.value) == f"{vault / LOCK}: cannot lock the vault: {os.strerror(errno.ENOLCK)}"


# Takes the vault's lock, forks a child that outlives it (as a parse worker may), and waits.
LOCK_THEN_FORK = """
import os, sys, time
from pathlib import Path
from vaultlink.lock import holds_lock, vault_lock
root = Path(sys.argv[1])
with vault_lock(root, "sync"):
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(w, b"%d" % holds_lock(root))
        time.sleep(120)
        os._exit(0)
    print(child, "locked; the child holds it:", os.read(r, 1).decode(), flush=True)
    sys.stdin.readline()
"""


@pytest.mark.slow
def test_forked_child_of_a_killed_run_does_not_keep_the_vault_locked(case: Case, vault: Path) -> None:
    holder = _python("-c", LOCK_THEN_FORK, str(vault), stdin=subprocess.PIPE)
    assert holder.stdout is not None
    child = 0
    try:
        line = holder.stdout.readline()
        assert line.endswith(" locked; the child holds it: 0\n"), line
        child = int(line.split()[0])
        holder.kill()
        holder.wait(timeout=60)
        report = app.sync(vault)
        os.kill(child, 0)  # the child still runs, with its copy of the lock file's descriptor closed
        assert report.skipped == []
        assert snapshot(vault) == case.reference
    finally:
        if child:
            os.kill(child, signal.SIGKILL)
        holder.kill()
        holder.wait(timeout=60)


# A sync whose forks tell the test, through an inherited pipe, that a child process exists.
FORKS_TELL = """
import os, sys
tell = int(sys.argv[1])
real_fork = os.fork
def fork():
    pid = real_fork()
    if pid == 0:
        os.write(tell, b"f")
    return pid
os.fork = fork
from vaultlink.cli import main
sys.argv = ["vaultlink", "sync", "--check", sys.argv[2]]
main()
"""


def _session_members(sid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid:  # state, ppid, pgrp, session
                members.append(int(entry))
    return members


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc needed")
def test_killed_run_leaves_no_worker_process_behind(tmp_path: Path) -> None:
    parallel = pytest.importorskip("vaultlink.parallel")
    vault = tmp_path / "vault"
    _generator()(parallel.PARALLEL_MIN + 50, 5).write(vault)
    read_end, write_end = os.pipe()
    proc = _python("-c", FORKS_TELL, str(write_end), str(vault), pass_fds=(write_end,), start_new_session=True)
    os.close(write_end)
    try:
        if os.read(read_end, 1) != b"f":
            pytest.skip("this sync started no worker process")
        proc.kill()  # SIGKILL, while its workers parse
        proc.wait(timeout=60)
        # Now only the workers hold the pipe's write end: it reads empty once they are all gone. A worker
        # that notices its parent's death ends within a moment; 5 s only bounds the wait for one that does not.
        gone = False
        while select.select([read_end], [], [], 5)[0]:
            if os.read(read_end, 64) == b"":
                gone = True
                break
        assert gone, f"worker processes still running: {_session_members(proc.pid)}"
    finally:
        os.close(read_end)
        for pid in _session_members(proc.pid):  # what the killed run left, all started by this test
            os.kill(pid, signal.SIGKILL)
