"""Writing into a vault: ``app.sync``/``app.clean`` under concurrent edits, the vault lock, and the
``sync``, ``clean`` and ``related`` commands through click's CliRunner."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import socket
import stat
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from conftest import VaultFactory, folders, lines, run
from conftest import snapshot as file_snapshot

from vaultlink import app, safe_io, writer
from vaultlink.config import load_config
from vaultlink.core.config import Config
from vaultlink.errors import VaultLocked
from vaultlink.lock import LOCK_NAME, STATE_DIR, vault_lock

# Four pairs of notes that share two rare phrases each (one pair across a subfolder), a note sharing
# one weak phrase with two others, a missing link target (a stub to create), a CRLF note with trailing
# whitespace and a note without a final newline.
VAULT: dict[str, str | bytes] = {
    "Sourdough.md": "# Sourdough\n\nA sourdough starter holds wild yeast. Feed the sourdough starter; wild yeast "
    "grows. Spelt flour helps.\nSee [[Missing idea]] (or create if missing).\n",
    "sub/Starter care.md": "# Starter care\n\nThe sourdough starter needs wild yeast. Keep the sourdough starter warm "
    "so wild yeast thrives.\n",
    "Telescope.md": "# Telescope\n\nThe dobsonian telescope fights light pollution. A dobsonian telescope; light "
    "pollution.\n",
    "Dark sites.md": "# Dark sites\n\nLight pollution ruins the dobsonian telescope. Light pollution maps; dobsonian "
    "telescope.",
    "Bike.md": "# Bike\n\nChain wear and derailleur tuning. Chain wear, derailleur tuning. Hill climbs.\n",
    "Chain.md": "# Chain\n\nMeasure chain wear before derailleur tuning. Chain wear; derailleur tuning.\n",
    "Budget.md": "# Budget\n\nIndex funds with a low expense ratio. Expense ratio; index funds.\n",
    "Funds.md": b"# Funds  \r\n\r\nIndex funds and their expense ratio. Index funds; expense ratio.  \r\n",
    "Rye.md": "# Rye\n\nRye flour before hill climbs.\n",
}
NOTES = sorted(VAULT)
LINKED = ["Bike.md", "Budget.md", "Chain.md", "Dark sites.md", "Funds.md", "Sourdough.md", "Telescope.md",
          "sub/Starter care.md"]  # fmt: skip
STUB = "Missing idea.md"
RELATED_MARK = "<!-- vaultlink:related -->"
BACK_START = "<!-- vaultlink:backlinks -->"
CHANGED_SINCE_READ = "changed since it was read"


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault(VAULT)


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under root, hidden ones too, by relative path."""
    entries: dict[str, bytes | None] = {}
    for folder, dirs, names in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d != STATE_DIR]  # vaultlink's cache, not the user's
        for name in dirs:
            entries[Path(folder, name).relative_to(root).as_posix()] = None
        for name in names:
            path = Path(folder, name)
            entries[path.relative_to(root).as_posix()] = path.read_bytes()
    return entries


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(f"{writer.TEMP_PREFIX}*.tmp"))


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def write_lock(root: Path, content: str) -> Path:
    lock = root / STATE_DIR / LOCK_NAME
    lock.parent.mkdir(exist_ok=True)
    lock.write_text(content)
    return lock


def lock_json(pid: int, host: str, command: str = "sync") -> str:
    return json.dumps({"pid": pid, "host": host, "command": command, "started": time.time() - 60})


# --- app.sync against a user editing at the same time -----------------------------------------------------


def test_note_edited_between_read_and_write_keeps_the_users_bytes(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_bytes = (vault / "Bike.md").read_bytes() + b"A line typed while sync ran.\n"
    real_write = writer.write_file

    def user_edits_bike_first(root: Path, rel: str, data: bytes, expected: str | None) -> None:
        if rel == "Bike.md":
            (root / rel).write_bytes(user_bytes)
        real_write(root, rel, data, expected)

    report = app.sync(vault, writes=app.FileWrites(write=user_edits_bike_first))

    assert (vault / "Bike.md").read_bytes() == user_bytes
    assert [path for path, _ in report.skipped] == ["Bike.md"]
    assert CHANGED_SINCE_READ in report.skipped[0][1]
    assert "Bike.md" not in report.changed
    assert sorted(report.changed) == sorted(set(LINKED) - {"Bike.md"})
    assert report.created == [STUB]
    for rel in set(LINKED) - {"Bike.md"}:
        assert RELATED_MARK in (vault / rel).read_text()
    assert temp_files(vault) == []


def user_acts_while_ranking(monkeypatch: pytest.MonkeyPatch, act: Any) -> None:
    """Run ``act`` after every note was read and before any is planned: sync keeps no note's text
    meanwhile, and planning reads each again (``scan.VaultSources``)."""
    real_rank = app.rank_all

    def rank_then_act(*args: Any, **kwargs: Any) -> Any:
        related = real_rank(*args, **kwargs)
        act()
        return related

    monkeypatch.setattr(app, "rank_all", rank_then_act)


@pytest.mark.parametrize("dry_run", [False, True])
def test_edit_between_reading_and_planning_is_kept(vault: Path, monkeypatch: pytest.MonkeyPatch, dry_run: bool) -> None:
    user_bytes = b"# Bike\n\nRewritten by the user while sync ranked.\n"
    user_acts_while_ranking(monkeypatch, lambda: (vault / "Bike.md").write_bytes(user_bytes))
    report = app.sync(vault, dry_run=dry_run)
    assert (vault / "Bike.md").read_bytes() == user_bytes
    assert ("Bike.md", "changed since it was read; left alone") in report.skipped
    assert "Bike.md" not in report.changed and "a/Bike.md" not in report.diff
    assert sorted(report.changed) == sorted(set(LINKED) - {"Bike.md"})
    assert report.created == [STUB]


def test_note_deleted_between_reading_and_planning_stays_deleted(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user_acts_while_ranking(monkeypatch, lambda: (vault / "Bike.md").unlink())
    report = app.sync(vault)
    assert not (vault / "Bike.md").exists()
    assert report.skipped == [("Bike.md", "deleted since it was read; left alone")]
    assert sorted(report.changed) == sorted(set(LINKED) - {"Bike.md"})


def test_stub_edited_between_reading_and_planning_is_kept(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stub nobody cites any more would be deleted; the user writes in it just before."""
    app.sync(vault)
    (vault / "Sourdough.md").write_text(
        str(VAULT["Sourdough.md"]).replace("See [[Missing idea]] (or create if missing).\n", "")
    )
    user_acts_while_ranking(monkeypatch, lambda: (vault / STUB).write_text("Now a note of my own.\n"))
    report = app.sync(vault)
    assert (vault / STUB).read_text() == "Now a note of my own.\n"
    assert (STUB, "changed since it was read; left alone") in report.skipped
    assert report.deleted == []


def test_clean_leaves_a_note_edited_after_reading_alone(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app.sync(vault)
    real_plan = app.plan_clean
    user_bytes = b"# Chain\n\nRewritten just before clean planned.\n"

    def user_edits_then_plan(*args: Any) -> Any:
        (vault / "Chain.md").write_bytes(user_bytes)
        return real_plan(*args)

    monkeypatch.setattr(app, "plan_clean", user_edits_then_plan)
    report = app.clean(vault)
    assert (vault / "Chain.md").read_bytes() == user_bytes
    assert ("Chain.md", "changed since it was read; left alone") in report.skipped
    assert (vault / "Bike.md").read_bytes() == VAULT["Bike.md"].encode()  # type: ignore[union-attr]


def test_second_sync_after_a_concurrent_edit_converges(vault: Path) -> None:
    real_write = writer.write_file

    def user_edits_bike_first(root: Path, rel: str, data: bytes, expected: str | None) -> None:
        if rel == "Bike.md":
            with (root / rel).open("ab") as f:
                f.write(b"A line typed while sync ran.\n")
        real_write(root, rel, data, expected)

    app.sync(vault, writes=app.FileWrites(write=user_edits_bike_first))

    second = app.sync(vault)
    assert second.changed == ["Bike.md"] and second.skipped == [] and second.created == []
    bike = (vault / "Bike.md").read_text()
    assert "A line typed while sync ran.\n" in bike
    assert bike.index("A line typed while sync ran.") < bike.index(RELATED_MARK)
    third = app.sync(vault)
    assert third.pending == 0 and third.skipped == []


def test_edit_right_before_the_replace_is_kept(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's save lands after the temp file is written, just before the final hash check.
    Without a lease: under one, the kernel holds this same-thread write for the 45 s lease-break
    time, as it holds a real editor's until the write ends (tests/test_adversarial_writes.py)."""
    bike = vault / "Bike.md"
    user_bytes = b"# Bike\n\nRewritten by the user at the last moment.\n"
    real = writer._current_digest
    monkeypatch.setattr(safe_io.OpenWriterGuard, "_take_lease", lambda self: None)

    def user_saves_bike(path: Path) -> str | None:
        if path.name == "Bike.md":
            path.write_bytes(user_bytes)
        return real(path)

    monkeypatch.setattr(writer, "_current_digest", user_saves_bike)
    report = app.sync(vault)
    assert bike.read_bytes() == user_bytes
    assert ("Bike.md", "changed since it was read; left alone") in report.skipped
    assert "Chain.md" in report.changed
    assert temp_files(vault) == []


def test_clean_keeps_a_stub_the_user_edited_meanwhile(vault: Path) -> None:
    app.sync(vault)
    stub = vault / STUB
    real_delete = writer.delete_file

    def user_edits_stub_first(root: Path, rel: str, expected: str) -> None:
        if rel == STUB:
            stub.write_bytes(b"Now I wrote something real here.\n")
        real_delete(root, rel, expected)

    report = app.clean(vault, writes=app.FileWrites(delete=user_edits_stub_first))
    assert stub.read_bytes() == b"Now I wrote something real here.\n"
    assert [path for path, _ in report.skipped] == [STUB]
    assert CHANGED_SINCE_READ in report.skipped[0][1]
    assert report.deleted == []
    assert (vault / "Bike.md").read_bytes() == VAULT["Bike.md"].encode()  # type: ignore[union-attr]


def test_a_failing_write_is_reported_and_the_others_go_on(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def full_disk_for_chain(src: str, dst: str | Path) -> None:
        if Path(dst).name == "Chain.md":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst)

    monkeypatch.setattr("vaultlink.writer.os.replace", full_disk_for_chain)
    report = app.sync(vault)
    assert report.skipped == [("Chain.md", os.strerror(errno.ENOSPC))]
    assert (vault / "Chain.md").read_bytes() == VAULT["Chain.md"].encode()  # type: ignore[union-attr]
    assert "Bike.md" in report.changed
    assert temp_files(vault) == []


def test_sync_keeps_each_notes_mode(vault: Path) -> None:
    (vault / "Bike.md").chmod(0o640)
    (vault / "Chain.md").chmod(0o755)
    report = app.sync(vault)
    assert {"Bike.md", "Chain.md"} <= set(report.changed)
    assert stat.S_IMODE((vault / "Bike.md").stat().st_mode) == 0o640
    assert stat.S_IMODE((vault / "Chain.md").stat().st_mode) == 0o755


def test_note_deleted_between_read_and_write_stays_deleted(vault: Path) -> None:
    real_write = writer.write_file

    def user_deletes_bike_first(root: Path, rel: str, data: bytes, expected: str | None) -> None:
        if rel == "Bike.md":
            (root / rel).unlink()
        real_write(root, rel, data, expected)

    report = app.sync(vault, writes=app.FileWrites(write=user_deletes_bike_first))
    assert not (vault / "Bike.md").exists()
    assert [path for path, _ in report.skipped] == ["Bike.md"]
    assert "deleted since it was read" in report.skipped[0][1]
    assert "Chain.md" in report.changed


def test_stub_path_taken_by_the_user_meanwhile_is_not_overwritten(vault: Path) -> None:
    real_write = writer.write_file

    def user_creates_it_first(root: Path, rel: str, data: bytes, expected: str | None) -> None:
        if rel == STUB:
            (root / rel).write_bytes(b"My own note, just created.\n")
        real_write(root, rel, data, expected)

    report = app.sync(vault, writes=app.FileWrites(write=user_creates_it_first))
    assert (vault / STUB).read_bytes() == b"My own note, just created.\n"
    assert report.created == []
    assert [path for path, _ in report.skipped] == [STUB]
    assert "appeared" in report.skipped[0][1]


# --- the vault lock -------------------------------------------------------------------------------------------


def test_sync_is_refused_while_the_lock_is_held(vault: Path) -> None:
    before = snapshot(vault)
    with vault_lock(vault, "sync"):
        with pytest.raises(VaultLocked) as caught:
            app.sync(vault)
        message = str(caught.value)
        assert str(vault / ".vaultlink" / "lock") in message
        assert f"pid {os.getpid()}" in message
        assert "sync" in message
        with pytest.raises(VaultLocked):
            app.clean(vault)
    assert snapshot(vault) == before


def test_cli_sync_while_locked_exits_2_with_one_line_naming_lock_pid_and_command(vault: Path) -> None:
    with vault_lock(vault, "clean"):
        before = snapshot(vault)
        result = run("sync", str(vault))
        assert snapshot(vault) == before
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert str(vault / ".vaultlink" / "lock") in line
    assert f"pid {os.getpid()}" in line
    assert "'vaultlink clean'" in line
    assert socket.gethostname() in line


def test_lock_file_names_the_holder_while_held(vault: Path) -> None:
    lock = vault / ".vaultlink" / "lock"
    with vault_lock(vault, "sync"):
        data = json.loads(lock.read_text())
        assert data["pid"] == os.getpid()
        assert data["host"] == socket.gethostname()
        assert data["command"] == "sync"
    assert not lock.exists()


def test_sync_holds_the_lock_while_it_writes(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, object]] = []
    real_read = app.read_vault

    def read_and_look(*args: Any, **kwargs: Any) -> app.VaultScan:
        seen.append(json.loads((vault / ".vaultlink" / "lock").read_text()))
        return real_read(*args, **kwargs)

    monkeypatch.setattr(app, "read_vault", read_and_look)
    app.sync(vault)
    assert [(s["pid"], s["command"]) for s in seen] == [(os.getpid(), "sync")]


def test_cli_sync_loads_the_vaults_config_once(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command-line overrides are applied to the config the sync itself loads."""
    (vault / ".vaultlink.toml").write_text("related_top = 1\n")
    loads: list[Path] = []

    def counting(root: Path) -> Config:
        loads.append(root)
        return load_config(root)

    for module in ("vaultlink.app", "vaultlink.scan"):
        monkeypatch.setattr(f"{module}.load_config", counting)
    result = run("sync", str(vault), "--min-score", "0", "--json")
    assert result.exit_code == 0, result.output
    assert len(loads) == 1
    assert json.loads(result.output)["changed"]  # the run did its work, with the vault's related_top
    blocks = [re.search(r"<!-- vaultlink:related -->(.*?)<!--", (vault / rel).read_text(), re.S) for rel in NOTES]
    assert max(block.group(1).count("\n- ") for block in blocks if block) == 1


def test_stale_lock_of_a_dead_process_is_taken_over(vault: Path) -> None:
    lock = write_lock(vault, lock_json(dead_pid(), socket.gethostname()))
    report = app.sync(vault)
    assert report.pending > 0 and report.skipped == []
    assert RELATED_MARK in (vault / "Bike.md").read_text()
    assert not lock.exists()
    assert (vault / ".vaultlink").is_dir()  # it existed before the sync


def test_cli_sync_takes_over_a_stale_lock(vault: Path) -> None:
    lock = write_lock(vault, lock_json(dead_pid(), socket.gethostname()))
    result = run("sync", str(vault))
    assert result.exit_code == 0, result.output
    assert not lock.exists()


def test_lock_of_a_dead_pid_on_another_host_is_not_taken_over(vault: Path) -> None:
    lock = write_lock(vault, lock_json(dead_pid(), "some-other-host.example"))
    before = snapshot(vault)
    result = run("sync", str(vault))
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert str(lock) in line and "some-other-host.example" in line
    assert snapshot(vault) == before


GARBAGE = ["", "not json at all", '{"pid": "x"}', "[1, 2]", '{"pid": 1}']


@contextmanager
def flock_held(lock: Path) -> Iterator[None]:
    """The lock held as another run holds it: ``flock`` on its own open file (a separate open file conflicts
    even within one process)."""
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield
    finally:
        os.close(fd)


@pytest.mark.parametrize("garbage", GARBAGE)
def test_unreadable_lock_file_of_a_run_holding_it_refuses_with_a_clear_line(vault: Path, garbage: str) -> None:
    """(Before the lock was a ``flock``, any unreadable lock file refused: nothing told whether its run was alive.)"""
    lock = write_lock(vault, garbage)
    before = snapshot(vault)
    with flock_held(lock):
        with pytest.raises(VaultLocked, match="unreadable lock file"):
            app.sync(vault)
        result = run("sync", str(vault))
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert str(lock) in line
    assert "unreadable lock file" in line
    assert snapshot(vault) == before
    assert lock.read_text() == garbage


@pytest.mark.parametrize("garbage", GARBAGE)
def test_unreadable_lock_file_nobody_holds_is_taken_over(vault: Path, garbage: str) -> None:
    """E.g. a run killed between creating its lock file and writing who it is: the kernel released its lock."""
    lock = write_lock(vault, garbage)
    report = app.sync(vault)
    assert report.pending > 0 and report.skipped == []
    assert not lock.exists()


def test_sync_removes_the_lock_and_the_state_folder_it_created(vault: Path) -> None:
    app.sync(vault, cache=app.NO_CACHE)
    assert not (vault / ".vaultlink").exists()


def test_sync_leaves_only_its_cache_in_the_state_folder(vault: Path) -> None:
    app.sync(vault)
    assert sorted(p.name for p in (vault / ".vaultlink").iterdir()) == [".gitignore", "cache.sqlite"]
    assert (vault / ".vaultlink" / ".gitignore").read_text() == "*\n"


def test_sync_leaves_a_state_folder_that_already_existed(vault: Path) -> None:
    (vault / ".vaultlink").mkdir()
    (vault / ".vaultlink" / "cache.json").write_text("{}")
    app.sync(vault, cache=app.NO_CACHE)
    assert sorted(p.name for p in (vault / ".vaultlink").iterdir()) == ["cache.json"]


def test_sync_leaves_an_empty_state_folder_that_already_existed(vault: Path) -> None:
    (vault / ".vaultlink").mkdir()
    app.sync(vault, cache=app.NO_CACHE)
    assert (vault / ".vaultlink").is_dir()
    assert list((vault / ".vaultlink").iterdir()) == []


def test_lock_is_released_when_sync_fails(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> app.VaultScan:
        raise RuntimeError("scan failed")

    monkeypatch.setattr(app, "read_vault", boom)
    with pytest.raises(RuntimeError):
        app.sync(vault)
    assert not (vault / ".vaultlink" / "lock").exists()
    monkeypatch.undo()
    assert app.sync(vault).pending > 0


def state_folder_is_a_file(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (root / ".vaultlink").write_text("not a folder")


def lock_not_creatable(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a read-only vault (the tests may run as root, where chmod does not bite)."""
    (root / ".vaultlink").mkdir()
    real_open = os.open

    def refuse_lock(path: str | Path, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if Path(path).name == LOCK_NAME:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("vaultlink.lock.os.open", refuse_lock)


@pytest.mark.parametrize("setup", [state_folder_is_a_file, lock_not_creatable])
def test_sync_that_cannot_create_the_lock_exits_2_with_one_line(
    vault: Path, monkeypatch: pytest.MonkeyPatch, setup: object
) -> None:
    setup(vault, monkeypatch)  # type: ignore[operator]
    before = snapshot(vault)
    result = run("sync", str(vault))
    assert snapshot(vault) == before
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ") and ".vaultlink" in line


@pytest.mark.parametrize("flag", ["--dry-run", "--check"])
def test_dry_run_and_check_take_no_lock(vault: Path, flag: str) -> None:
    with vault_lock(vault, "sync"):
        before = snapshot(vault)
        result = run("sync", str(vault), flag)
        assert snapshot(vault) == before
    assert result.exit_code == (0 if flag == "--dry-run" else 1), result.output
    assert "locked" not in result.output
    assert "9 notes scanned, 8 would change, 1 stubs created" in result.output


def test_dry_run_creates_no_state_folder(vault: Path) -> None:
    app.sync(vault, dry_run=True)
    assert not (vault / ".vaultlink").exists()


# --- vaultlink sync ---------------------------------------------------------------------------------------


def test_sync_prints_one_summary_line(vault: Path) -> None:
    result = run("sync", str(vault))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == ["9 notes scanned, 8 changed, 1 stubs created, 0 stubs removed, 0 skipped"]
    assert result.stderr == ""
    for rel in LINKED:
        assert RELATED_MARK in (vault / rel).read_text(), rel
    assert (vault / STUB).is_file()


def test_sync_twice_changes_nothing_the_second_time(vault: Path) -> None:
    assert run("sync", str(vault)).exit_code == 0
    after_first = snapshot(vault)
    result = run("sync", str(vault))
    assert result.exit_code == 0
    assert lines(result.stdout) == ["10 notes scanned, 0 changed, 0 stubs created, 0 stubs removed, 0 skipped"]
    assert snapshot(vault) == after_first


def test_sync_reports_skipped_notes_on_stderr(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = writer.write_file

    def user_edits_bike_first(root: Path, rel: str, data: bytes, expected: str | None) -> None:
        if rel == "Bike.md":
            (root / rel).write_bytes(b"mine\n")
        real_write(root, rel, data, expected)

    monkeypatch.setattr("vaultlink.apply.SAFE_WRITES", app.FileWrites(write=user_edits_bike_first))
    result = run("sync", str(vault))
    assert result.exit_code == 0
    assert lines(result.stderr) == ["skipped Bike.md: changed since it was read; left alone"]
    assert lines(result.stdout) == ["9 notes scanned, 7 changed, 1 stubs created, 0 stubs removed, 1 skipped"]


def test_sync_json_is_one_valid_object(vault: Path) -> None:
    result = run("sync", str(vault), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["scanned"] == 9
    assert sorted(payload["changed"]) == LINKED
    assert payload["created"] == [STUB]
    assert payload["deleted"] == []
    assert payload["skipped"] == []


def test_sync_dry_run_prints_a_unified_diff_and_writes_nothing(vault: Path) -> None:
    before = snapshot(vault)
    result = run("sync", str(vault), "--dry-run")
    assert result.exit_code == 0, result.output
    assert snapshot(vault) == before
    out = result.stdout
    for rel in LINKED:
        assert f"--- a/{rel}\n+++ b/{rel}\n" in out, rel
    assert f"--- /dev/null\n+++ b/{STUB}\n" in out
    assert f"+{RELATED_MARK}" in out
    assert "\\ No newline at end of file" in out  # Dark sites.md has no final newline
    assert lines(out)[-1] == "9 notes scanned, 8 would change, 1 stubs created, 0 stubs removed, 0 skipped"


def test_sync_dry_run_shows_backlinks_and_stub_and_makes_no_folder(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "Links [[B]] and [[Ghost]] (or create if missing).\n", "B.md": "# B\n"})
    before = file_snapshot(root)
    result = run("sync", str(root), "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "--- a/B.md\n+++ b/B.md\n" in out
    assert f"+{BACK_START}\n+## Backlinks\n+- [[A]]\n" in out
    assert "--- /dev/null\n+++ b/Ghost.md\n" in out
    assert "+vaultlink: stub\n" in out
    assert file_snapshot(root) == before
    assert folders(root) == {"."}


def test_sync_json_names_skipped_notes_and_is_empty_the_second_time(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "A.md": "Links [[B]] and [[Ghost]] (or create if missing).\n",
            "B.md": "# B\n",
            "Bad.md": "---\na: [\n---\n[[B]]\n",
        }
    )
    result = run("sync", str(root), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"scanned", "changed", "created", "deleted", "skipped", "held"}
    assert payload["scanned"] == 3
    assert payload["changed"] == ["B.md"]  # A and Bad both link to B: one link, too little to relate them
    assert payload["created"] == ["Ghost.md"]
    assert payload["deleted"] == []
    assert [s["path"] for s in payload["skipped"]] == ["Bad.md"]
    again = json.loads(run("sync", str(root), "--json").stdout)
    assert (again["changed"], again["created"], again["deleted"]) == ([], [], [])


def test_clean_json_reports_what_it_restored(make_vault: VaultFactory) -> None:
    files = {"A.md": "Links [[B]] and [[Ghost]] (or create if missing).\n", "B.md": "# B\n"}
    root = make_vault(files)
    run("sync", str(root))
    result = run("clean", str(root), "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["changed"], payload["deleted"]) == (["B.md"], ["Ghost.md"])
    assert file_snapshot(root) == {k: v.encode() for k, v in files.items()}


def test_dry_run_diff_shows_exactly_what_sync_then_writes(vault: Path) -> None:
    out = run("sync", str(vault), "--dry-run").stdout
    stub_part = out.split(f"+++ b/{STUB}\n", 1)[1]
    added = [line[1:] for line in stub_part.splitlines()[1:] if line.startswith("+")]
    run("sync", str(vault))
    assert (vault / STUB).read_text().splitlines() == added


def test_sync_check_exits_1_when_pending_and_0_after_sync(vault: Path) -> None:
    before = snapshot(vault)
    pending = run("sync", str(vault), "--check")
    assert pending.exit_code == 1
    assert snapshot(vault) == before
    assert "8 would change" in pending.stdout
    assert run("sync", str(vault)).exit_code == 0
    done = run("sync", str(vault), "--check")
    assert done.exit_code == 0, done.output
    assert "0 would change, 0 stubs created, 0 stubs removed" in done.stdout


# --- vaultlink clean ------------------------------------------------------------------------------------


def test_clean_restores_every_byte_and_folder(vault: Path) -> None:
    original = snapshot(vault)
    assert run("sync", str(vault)).exit_code == 0
    assert snapshot(vault) != original
    result = run("clean", str(vault))
    assert result.exit_code == 0, result.output
    assert lines(result.stdout) == ["10 notes scanned, 8 cleaned, 0 stubs created, 1 stubs removed, 0 skipped"]
    assert snapshot(vault) == original


def test_clean_of_a_stub_in_a_new_folder_removes_the_folder(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "# A\n\nSee [[ideas/later/Plan]] (or create if missing).\n"})
    original = snapshot(root)
    report = app.sync(root)
    assert report.created == ["ideas/later/Plan.md"]
    app.clean(root)
    assert snapshot(root) == original


def test_clean_dry_run_writes_nothing(vault: Path) -> None:
    run("sync", str(vault))
    synced = snapshot(vault)
    result = run("clean", str(vault), "--dry-run")
    assert result.exit_code == 0
    assert snapshot(vault) == synced
    assert f"--- a/{STUB}\n+++ /dev/null\n" in result.stdout
    assert f"-{RELATED_MARK}" in result.stdout


# --- vaultlink related ---------------------------------------------------------------------------------


def test_related_note_prints_path_then_scored_lines_with_reasons(vault: Path) -> None:
    result = run("related", str(vault), "Chain")
    assert result.exit_code == 0, result.output
    first, *rest = result.stdout.splitlines()
    assert first == "Chain.md"
    assert len(rest) == 1
    parsed = []
    for line in rest:
        head, reasons = line.split(" — ")
        score, path = head.split(maxsplit=1)
        parsed.append((float(score), path.strip(), reasons))
    assert dict((p, r) for _, p, r in parsed) == {"Bike.md": "chain wear, derailleur tuning"}
    scores = [s for s, _, _ in parsed]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_related_finds_a_note_in_a_subfolder_by_name(vault: Path) -> None:
    result = run("related", str(vault), "Starter care")
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert out[0] == "sub/Starter care.md"
    assert "Sourdough.md" in out[1] and "sourdough starter" in out[1]


def test_related_all_json_maps_every_note_to_its_best_entries(vault: Path) -> None:
    result = run("related", str(vault), "--all", "--json", "--top", "1")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    top1 = {path: [e["path"] for e in found] for path, found in entries.items()}
    assert sorted(top1) == NOTES
    assert all(isinstance(v, list) and len(v) <= 1 for v in top1.values())
    assert all(set(v) <= set(NOTES) for v in top1.values())
    assert top1["sub/Starter care.md"] == ["Sourdough.md"]
    assert top1["Sourdough.md"] == ["sub/Starter care.md"]
    assert top1["Bike.md"] == ["Chain.md"]
    [starter] = entries["sub/Starter care.md"]
    assert starter["score"] > 0 and "sourdough starter" in ", ".join(starter["reasons"])

    full = json.loads(run("related", str(vault), "--all", "--json").stdout)
    assert sorted(full) == NOTES
    assert [e["path"] for e in full["Bike.md"]] == ["Chain.md"]
    assert full["Rye.md"] == []  # one weak phrase with Bike, a word with Sourdough: too little to list
    for path, best in entries.items():
        assert best == full[path][:1]


def test_related_with_an_ambiguous_name_exits_2_naming_both(make_vault: VaultFactory) -> None:
    root = make_vault({"kitchen/Temperature.md": "oven", "sky/Temperature.md": "seeing", "a.md": "a"})
    result = run("related", str(root), "Temperature")
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert "kitchen/Temperature.md" in line and "sky/Temperature.md" in line


def test_related_takes_a_path_as_written_where_two_notes_differ_only_in_case(make_vault: VaultFactory) -> None:
    """flancian-garden holds ``Agora protocol.md`` and ``agora protocol.md``: completion offers
    each by its path, and the path as written is that note; another case of it is ambiguous."""
    root = make_vault({"Agora protocol.md": "# Agora protocol\n", "agora protocol.md": "# agora\n"})
    if len(list(root.glob("*.md"))) != 2:
        pytest.skip("a case-insensitive file system keeps one of the two")
    assert set(app.note_names(root)) == {"Agora protocol", "agora protocol"}
    for name in ("Agora protocol", "agora protocol.md"):
        result = run("related", str(root), name, "--json")
        assert result.exit_code == 0, result.output
        assert list(json.loads(result.stdout)) == [name.removesuffix(".md") + ".md"]
    assert run("related", str(root), "AGORA PROTOCOL").exit_code == 2


def test_related_with_the_name_of_an_unreadable_note_says_so(make_vault: VaultFactory) -> None:
    root = make_vault({"bin.md": b"x\x00y\n", "a.md": "a"})
    result = run("related", str(root), "bin")
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line == f"Error: {root}: 'bin' is bin.md, which can't be read (see 'vaultlink check')"


def test_related_with_an_unknown_name_exits_2(vault: Path) -> None:
    result = run("related", str(vault), "No such note")
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert "No such note" in line


@pytest.mark.parametrize("args", [[], ["Rye", "--all"]])
def test_related_needs_exactly_one_of_note_or_all(vault: Path, args: list[str]) -> None:
    result = run("related", str(vault), *args)
    assert result.exit_code == 2
    assert "Usage:" in result.output
    assert "give either a NOTE or --all" in result.output
