"""The watcher with real watchdog observers on temporary vaults: debounced batches, editor save
patterns, own writes ignored, errors survived, stop on request; and ``vaultlink watch`` as a
process: Ctrl-C and SIGTERM end it cleanly and it holds the vault lock meanwhile."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import pytest
from conftest import ROOT, SMALL_VAULT, VaultFactory, prose
from watchdog.observers.api import BaseObserver

from vaultlink import app
from vaultlink.core.note import Diagnostic
from vaultlink.live import LiveVault
from vaultlink.lock import holds_lock
from vaultlink.report import SyncReport
from vaultlink.watch import EventCollector, WatchSettings, run_watch, start_observer

Batch = tuple[set[str], SyncReport]

# Real observers, debounce waits and watcher processes: the full suite runs them, the quick loop
# does not (the watcher's logic runs in memory, on a fake clock, in test_live.py).
pytestmark = pytest.mark.slow


SHARED_WITH_BETA = "\n" + prose("bulk fermentation", "proofing basket")


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def block_names(text: str, name: str) -> set[str]:
    match = re.search(rf"<!-- vaultlink:{name} -->\n(.*?)<!-- /vaultlink:{name} -->", text, re.S)
    return set(re.findall(r"^- \[\[([^\]|#]+)", match.group(1), re.M)) if match else set()


def pending(root: Path) -> int:
    return app.sync(root, dry_run=True).pending


class Watcher:
    """run_watch in a background thread; batches and errors arrive on queues."""

    def __init__(
        self, live: LiveVault, settings: WatchSettings, started: tuple[BaseObserver, EventCollector] | None = None
    ) -> None:
        self.live = live
        self.batches: queue.Queue[Batch] = queue.Queue()
        self.errors: queue.Queue[Exception] = queue.Queue()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(
            target=run_watch,
            args=(live, settings, self.stop, self._batch, self.errors.put, self.ready.set, started),
            daemon=True,
        )

    def _batch(self, paths: set[str], report: SyncReport) -> None:
        self.batches.put((set(paths), report))

    def __enter__(self) -> Watcher:
        self.thread.start()
        assert self.ready.wait(10), "the watcher never became ready"
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive(), "run_watch did not return after stop"

    def next(self, timeout: float = 10.0) -> Batch:
        try:
            return self.batches.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no batch within {timeout} s") from None

    def until(self, predicate: Callable[[Batch], bool], timeout: float = 10.0) -> tuple[Batch, list[Batch]]:
        """The first batch matching ``predicate`` and every batch seen before it."""
        deadline = time.monotonic() + timeout
        seen: list[Batch] = []
        while True:
            batch = self.next(max(0.01, deadline - time.monotonic()))
            if predicate(batch):
                return batch, seen
            seen.append(batch)

    def drain(self, seconds: float) -> list[Batch]:
        """Every batch that arrives within ``seconds`` (to show that nothing more happens)."""
        deadline = time.monotonic() + seconds
        out: list[Batch] = []
        while (left := deadline - time.monotonic()) > 0:
            try:
                out.append(self.batches.get(timeout=left))
            except queue.Empty:
                break
        return out


def reparsed(path: str) -> Callable[[Batch], bool]:
    return lambda batch: path in batch[1].reparsed


def assert_quiet(batches: list[Batch]) -> None:
    for paths, report in batches:
        assert report.reparsed == [], (paths, report)
        assert not report.pending, (paths, report)


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault(SMALL_VAULT)


def watch(root: Path, *, grace: float = 0.0, poll: bool = False, debounce: float = 0.2) -> Watcher:
    live = LiveVault(root, grace=grace)
    live.sync_all()
    return Watcher(live, WatchSettings(debounce=debounce, grace=grace, poll=poll))


# --- what the user does ---------------------------------------------------------------------------


def test_new_note(vault: Path) -> None:
    with watch(vault) as w:
        (vault / "Omega.md").write_text("# Omega\n\nSee [[Delta]].\n", encoding="utf-8")
        (paths, report), _ = w.until(reparsed("Omega.md"))
        assert "Omega.md" in paths
        assert "Delta.md" in report.changed
        assert block_names(read(vault, "Delta.md"), "backlinks") == {"Omega"}
    assert pending(vault) == 0


def test_edit(vault: Path) -> None:
    with watch(vault) as w:
        with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
            f.write(SHARED_WITH_BETA)
        (_, report), _ = w.until(reparsed("Gamma.md"))
        assert report.reparsed == ["Gamma.md"]
        assert {"Beta.md", "Gamma.md"} <= set(report.changed)
        assert "Gamma" in block_names(read(vault, "Beta.md"), "related")
    assert pending(vault) == 0


def test_rename(vault: Path) -> None:
    with watch(vault) as w:
        os.rename(vault / "Alpha.md", vault / "Prime.md")
        (paths, report), _ = w.until(reparsed("Prime.md"))
        assert {"Alpha.md", "Prime.md"} <= paths
        assert report.removed == ["Alpha.md"]
        assert block_names(read(vault, "Beta.md"), "backlinks") == {"Prime"}
        assert block_names(read(vault, "Gamma.md"), "related") == {"Prime"}
    assert pending(vault) == 0


def test_delete(vault: Path) -> None:
    with watch(vault) as w:
        (vault / "Alpha.md").unlink()
        (_, report), _ = w.until(lambda b: "Alpha.md" in b[1].removed)
        assert "Beta.md" in report.changed
        assert block_names(read(vault, "Beta.md"), "backlinks") == set()
    assert pending(vault) == 0


def test_folder_rename(vault: Path) -> None:
    with watch(vault) as w:
        os.rename(vault / "sub", vault / "moved")
        w.until(lambda b: "moved/Epsilon.md" in b[1].reparsed and "moved/Zeta.md" in b[1].reparsed)
        assert wait_until(lambda: set(w.live.model.notes) >= {"moved/Epsilon.md", "moved/Zeta.md"})
        assert not {p for p in w.live.model.notes if p.startswith("sub/")}
    assert pending(vault) == 0


@pytest.mark.parametrize("temp_name", [".Gamma.md.tmp", "Gamma.md.tmp", ".Gamma.md.swp"])
def test_editor_atomic_save(vault: Path, temp_name: str) -> None:
    with watch(vault) as w:
        temp = vault / temp_name
        temp.write_text(read(vault, "Gamma.md") + SHARED_WITH_BETA, encoding="utf-8")
        os.replace(temp, vault / "Gamma.md")
        (paths, report), before = w.until(reparsed("Gamma.md"))
        assert before == []
        assert paths == {"Gamma.md"}
        assert report.reparsed == ["Gamma.md"]
        assert "Gamma" in block_names(read(vault, "Beta.md"), "related")
    assert pending(vault) == 0


def test_vim_style_save_with_backup_and_4913(vault: Path) -> None:
    """vim: probe file 4913, rename the note to a backup `note~`, write a new note, delete the backup."""
    with watch(vault) as w:
        probe = vault / "4913"
        probe.write_text("")
        probe.unlink()
        text = read(vault, "Gamma.md") + SHARED_WITH_BETA
        os.rename(vault / "Gamma.md", vault / "Gamma.md~")
        (vault / "Gamma.md").write_text(text, encoding="utf-8")
        (vault / "Gamma.md~").unlink()
        (paths, report), before = w.until(reparsed("Gamma.md"))
        assert before == []
        assert paths == {"Gamma.md"}
        assert report.removed == [] and report.deleted == []
        assert "Gamma" in block_names(read(vault, "Beta.md"), "related")
    assert pending(vault) == 0


def test_file_empty_for_a_moment_is_not_an_emptied_note(vault: Path) -> None:
    with watch(vault) as w:
        files = {rel: (vault / rel).read_bytes() for rel in SMALL_VAULT}
        text = read(vault, "Alpha.md")
        (vault / "Alpha.md").write_bytes(b"")  # the editor truncated; its write comes later
        (_, empty), _ = w.until(lambda b: "Alpha.md" in b[0])
        assert empty.reparsed == [] and empty.removed == [] and not empty.pending
        assert {rel: (vault / rel).read_bytes() for rel in SMALL_VAULT if rel != "Alpha.md"} == {
            rel: data for rel, data in files.items() if rel != "Alpha.md"
        }
        (vault / "Alpha.md").write_text(text + "\n" + prose("dark sky", "light pollution"), encoding="utf-8")
        (_, back), _ = w.until(reparsed("Alpha.md"))
        assert "Alpha.md" in back.changed
    assert pending(vault) == 0


def test_file_empty_for_a_moment_then_restored_leaves_the_watcher_quiet(vault: Path) -> None:
    with watch(vault) as w:
        data = (vault / "Alpha.md").read_bytes()
        (vault / "Alpha.md").write_bytes(b"")
        w.until(lambda b: "Alpha.md" in b[0])
        (vault / "Alpha.md").write_bytes(data)
        w.until(lambda b: "Alpha.md" in b[0])
        extra = w.drain(1.0)
        assert_quiet(extra)
        assert len(extra) <= 3, f"{len(extra)} empty batches in 1 s"


def test_burst_of_saves_is_one_batch_reading_the_note_once(vault: Path) -> None:
    with watch(vault) as w:
        base = read(vault, "Gamma.md")
        for i in range(10):
            (vault / "Gamma.md").write_text(base + SHARED_WITH_BETA + f"\nDraft {i}.\n", encoding="utf-8")
            time.sleep(0.005)
        (_, report), before = w.until(reparsed("Gamma.md"))
        assert before == []
        assert report.reparsed == ["Gamma.md"]
        assert "Draft 9." in read(vault, "Gamma.md")
        assert_quiet(w.drain(1.0))
    assert pending(vault) == 0


def test_own_writes_cause_no_further_work(vault: Path) -> None:
    with watch(vault) as w:
        with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
            f.write(SHARED_WITH_BETA + "\nAnd [[Phantom]] (or create if missing).\n")
        (_, report), _ = w.until(reparsed("Gamma.md"))
        assert report.changed and report.created == ["Phantom.md"]
        assert_quiet(w.drain(1.0))


def test_untouched_vault_sees_no_batches(vault: Path) -> None:
    with watch(vault) as w:
        assert w.drain(0.8) == []


def test_noise_files_cause_no_batch(vault: Path) -> None:
    noise = [
        ".Gamma.md.swp",
        "Gamma.md~",
        "4913",
        "x.tmp",
        "Gamma.sync-conflict-20240101-120000-ABCDEFG.md",
        "Gamma (conflicted copy 2024-01-01).md",
        ".obsidian/workspace.json",
        ".trash/Old.md",
    ]
    with watch(vault) as w:
        for rel in noise:
            path = vault / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("scratch\n")
        for rel in ("4913", "x.tmp"):
            (vault / rel).unlink()
        assert w.drain(0.6) == []
        # A real save afterwards: its batch names only the note.
        with (vault / "Eta.md").open("a", encoding="utf-8") as f:
            f.write("\nA sentinel line.\n")
        (paths, _), before = w.until(reparsed("Eta.md"))
        assert before == []
        assert paths == {"Eta.md"}


# watchdog reports a folder as modified whenever a file in it is created, written or renamed;
# the collector takes that folder's path, and LiveVault reads a folder path as "every note in it".
SUBFOLDER_BUG = (
    "BUG: EventCollector keeps the DirModifiedEvent watchdog emits for a note's parent folder on "
    "every save, so the batch names the folder and LiveVault re-reads (and hashes) every note in it"
)


def test_save_in_a_subfolder_reads_only_that_note(make_vault: VaultFactory) -> None:
    files = {f"notes/n{i:02}.md": f"# N{i}\n\nJust note {i}.\n" for i in range(30)}
    root = make_vault(files)
    with watch(root) as w:
        with (root / "notes/n07.md").open("a", encoding="utf-8") as f:
            f.write("\nMore words.\n")
        (paths, report), _ = w.until(reparsed("notes/n07.md"))
        assert paths == {"notes/n07.md"}
        assert report.scanned == 1


def test_noise_file_in_a_subfolder_causes_no_batch(vault: Path) -> None:
    with watch(vault) as w:
        (vault / "sub/.Zeta.md.swp").write_text("scratch\n")
        (vault / "sub/Zeta.md~").write_text("scratch\n")
        assert w.drain(0.6) == []


def test_mass_change_is_one_batch(make_vault: VaultFactory) -> None:
    files = {
        f"n/n{i:03}.md": f"# N{i}\n\nSee [[n{(i + 1) % 210:03}]].\n\n" + prose(f"topic {i % 9}") for i in range(210)
    }
    root = make_vault(files)
    with watch(root, debounce=0.3) as w:
        edited = sorted(files)[:200]
        for i, rel in enumerate(edited):
            (root / rel).write_text(files[rel] + f"\nAlso [[extra {i % 5}]].\n", encoding="utf-8")
        (_, report), before = w.until(lambda b: bool(b[1].reparsed))
        assert before == []
        assert sorted(report.reparsed) == edited
        assert len(report.created) == 5
        assert_quiet(w.drain(0.8))
    assert pending(root) == 0


def test_grace_note_is_written_when_quiet_without_another_event(vault: Path) -> None:
    with watch(vault, grace=0.6) as w:
        edited = read(vault, "Gamma.md") + SHARED_WITH_BETA
        (vault / "Gamma.md").write_text(edited, encoding="utf-8")
        (_, first), _ = w.until(reparsed("Gamma.md"))
        assert first.waiting == ["Gamma.md"]
        assert "Beta.md" in first.changed
        (paths, _), _ = w.until(lambda b: "Gamma.md" in b[1].changed)
        assert paths == set()
        assert "Beta" in block_names(read(vault, "Gamma.md"), "related")
    assert pending(vault) == 0


def test_undone_edit_does_not_make_the_watcher_spin(vault: Path) -> None:
    with watch(vault, grace=0.5) as w:
        original = read(vault, "Gamma.md")
        (vault / "Gamma.md").write_text(original + SHARED_WITH_BETA, encoding="utf-8")
        (_, first), _ = w.until(reparsed("Gamma.md"))
        assert first.waiting == ["Gamma.md"]
        (vault / "Gamma.md").write_text(original, encoding="utf-8")
        w.until(reparsed("Gamma.md"))
        extra = w.drain(1.5)
        assert_quiet(extra)
        assert len(extra) <= 3, f"{len(extra)} empty batches in 1.5 s"


def test_save_during_startup_is_not_lost(vault: Path) -> None:
    # The command's order: observer first, then the first read and sync of the vault.
    started = start_observer(vault, poll=False)
    live = LiveVault(vault, grace=0.0)
    with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
        f.write(SHARED_WITH_BETA)  # the user saves while the first sync runs
    live.sync_all()
    with Watcher(live, WatchSettings(debounce=0.2, grace=0.0), started):
        assert wait_until(lambda: "Gamma" in block_names(read(vault, "Beta.md"), "related"), 5.0)


def test_an_error_in_a_batch_is_reported_and_watching_goes_on(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    w = watch(vault)
    real_update = w.live.update
    calls = {"n": 0}

    def failing_once(paths: set[str], interrupted: Callable[[], bool] = lambda: False) -> SyncReport:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("boom")
        return real_update(paths, interrupted)

    monkeypatch.setattr(w.live, "update", failing_once)
    with w:
        with (vault / "Eta.md").open("a", encoding="utf-8") as f:
            f.write("\nFirst change.\n")
        error = w.errors.get(timeout=10)
        assert str(error) == "boom"
        assert w.thread.is_alive()
        with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
            f.write(SHARED_WITH_BETA)
        (_, report), _ = w.until(reparsed("Gamma.md"))
        assert "Beta.md" in report.changed
    assert w.errors.empty()


def test_a_batch_is_told_when_new_events_wait(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The watcher hands each batch a test of whether events came in since it began: a long check
    of deferred lists stops at it (LiveVault.update), so a new save does not wait for every list."""
    w = watch(vault)
    real_update = w.live.update
    seen: queue.Queue[tuple[bool, bool]] = queue.Queue()

    def recording(paths: set[str], interrupted: Callable[[], bool] = lambda: False) -> SyncReport:
        before = interrupted()
        if "Gamma.md" in paths:
            (vault / "Eta.md").write_text("# Eta\n\nA save while a batch runs.\n", encoding="utf-8")
            assert wait_until(interrupted, 5.0)
            seen.put((before, interrupted()))
        return real_update(paths, interrupted)

    monkeypatch.setattr(w.live, "update", recording)
    with w:
        with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
            f.write(SHARED_WITH_BETA)
        assert seen.get(timeout=10) == (False, True)
        w.until(reparsed("Eta.md"))
    assert w.errors.empty()


def test_poll_observer_detects_an_edit(vault: Path) -> None:
    with watch(vault, poll=True) as w:
        with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
            f.write(SHARED_WITH_BETA)
        (_, report), _ = w.until(reparsed("Gamma.md"))
        assert "Beta.md" in report.changed
        assert "Gamma" in block_names(read(vault, "Beta.md"), "related")


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "mid-debounce"])
def test_stop_returns_within_a_second(vault: Path, busy: bool) -> None:
    w = watch(vault, debounce=5.0)
    with w:
        if busy:  # events arrived and the watcher is waiting out a long debounce
            (vault / "Eta.md").write_text("changed\n", encoding="utf-8")
            time.sleep(0.3)  # let the event arrive; the watcher now waits out the debounce
        began = time.monotonic()
        w.stop.set()
        w.thread.join(2)
        assert not w.thread.is_alive()
        assert time.monotonic() - began < 1.0


# --- vaultlink watch, the command --------------------------------------------------------------------


def inotify_watches(pid: int) -> int | None:
    """How many inotify watches process ``pid`` holds (None where /proc can't tell)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fds.iterdir())
    except OSError:
        return None
    count = 0
    for fd in entries:
        try:
            if "inotify" in os.readlink(fd):
                count += (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text().count("inotify wd:")
        except OSError:
            continue
    return count


def observer_running(pid: int, root: Path) -> bool:
    """The command prints "watching" before its observer starts (see test_save_during_startup…);
    wait until the process has a watch on every folder of the vault."""
    watches = inotify_watches(pid)
    if watches is None:
        time.sleep(1.0)  # no /proc: give the observer a moment
        return True
    return watches >= sum(1 for _ in os.walk(root))


@pytest.fixture
def cli_watch(vault: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vaultlink", "watch", str(vault), "--debounce", "0.2", "--grace", "0"],
            stdout=stdout,
            stderr=stderr,
            cwd=ROOT,
            env=env,
        )
    try:
        ok = wait_until(lambda: "watching" in out.read_text(errors="replace") or proc.poll() is not None, 15)
        assert ok and proc.poll() is None, out.read_text() + err.read_text()
        assert wait_until(lambda: observer_running(proc.pid, vault)), err.read_text()
        yield proc, out, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_cli_watch_updates_and_stops_on_signal(
    vault: Path, cli_watch: tuple[subprocess.Popen[bytes], Path, Path], sig: signal.Signals
) -> None:
    proc, out, err = cli_watch
    assert (vault / ".vaultlink" / "lock").is_file()
    with (vault / "Gamma.md").open("a", encoding="utf-8") as f:
        f.write(SHARED_WITH_BETA)
    assert wait_until(lambda: "Gamma" in block_names(read(vault, "Beta.md"), "related")), err.read_text()
    proc.send_signal(sig)
    assert proc.wait(3) == 0, err.read_text()
    assert "stopped" in out.read_text()
    assert not (vault / ".vaultlink" / "lock").exists()
    assert pending(vault) == 0


def test_cli_watch_holds_the_vault_lock(vault: Path, cli_watch: tuple[subprocess.Popen[bytes], Path, Path]) -> None:
    proc, _, _ = cli_watch
    result = subprocess.run(
        [sys.executable, "-m", "vaultlink", "sync", str(vault)], capture_output=True, text=True, cwd=ROOT, timeout=30
    )
    assert result.returncode == 2
    assert "lock" in result.stderr and "vaultlink watch" in result.stderr and str(proc.pid) in result.stderr
    proc.send_signal(signal.SIGINT)
    assert proc.wait(3) == 0


class Recorder:
    """A ``WatchListener`` that records what the watch use case tells, and stops it once synced."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.told: list[str] = []

    def reading(self, root: Path) -> None:
        self.told.append(f"reading {root.name}, lock held: {holds_lock(root)}")

    def warned(self, warnings: list[Diagnostic]) -> None:
        self.told.append(f"{len(warnings)} warnings")

    def synced(self, notes: int, report: SyncReport) -> None:
        self.told.append(f"synced {notes} notes, wrote {len(report.changed) + len(report.created)}")
        self.stop.set()

    def batch(self, paths: set[str], report: SyncReport) -> None:
        self.told.append("batch")

    def failed(self, error: Exception) -> None:
        self.told.append(f"failed: {error}")


def test_watch_use_case_locks_syncs_and_tells_each_step(vault: Path) -> None:
    to_write = pending(vault)  # what a sync would write now
    stop = threading.Event()
    recorder = Recorder(stop)
    app.watch(vault, WatchSettings(debounce=0.1), stop, recorder, cache=app.NO_CACHE)
    synced = f"synced {len(SMALL_VAULT) + 1} notes, wrote {to_write}"
    assert recorder.told == ["reading vault, lock held: True", "0 warnings", synced]
    assert not holds_lock(vault)
    assert pending(vault) == 0
