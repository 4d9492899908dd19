"""Issue 23, the watcher's cases: reproduced with ``LiveVault`` driven batch by batch, and with
the ``watch`` command itself where the case is about how the watch ends."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import SMALL_VAULT, VaultFactory, snapshot
from tests.test_security import SECRET
from vaultlink import app
from vaultlink.errors import VaultlinkError, VaultLocked
from vaultlink.live import LiveVault
from vaultlink.lock import vault_lock
from vaultlink.watch import WatchSettings, is_noise


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def start(root: Path) -> LiveVault:
    live = LiveVault(root, grace=0.0, clock=Clock())
    live.sync_all()
    return live


def outside_folder(tmp_path: Path) -> Path:
    """A folder beside the vault holding ``secret.md`` (``test_security``'s secret note)."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.md").write_bytes(SECRET)
    return tmp_path / "outside"


def in_vault(root: Path, text: str) -> list[str]:
    """The vault's files holding ``text`` (not the symbolic links themselves, which lead to it)."""
    return [rel for rel, data in snapshot(root).items() if text.encode() in data and not (root / rel).is_symlink()]


def test_a_symlink_out_of_the_vault_made_under_watch_is_not_read(make_vault: VaultFactory, tmp_path: Path) -> None:
    outside = outside_folder(tmp_path)
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / "Leak.md").symlink_to(outside / "secret.md")
    live.update(["Leak.md"])
    assert in_vault(vault, "Leak from outside") == []
    assert not (vault / "Leak from outside.md").exists()
    assert app.sync(vault, dry_run=True).pending == 0


def test_a_symlinked_folder_out_of_the_vault_made_under_watch_is_not_read(
    make_vault: VaultFactory, tmp_path: Path
) -> None:
    outside = outside_folder(tmp_path)
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / "out").symlink_to(outside, target_is_directory=True)
    live.update(["out", "out/secret.md"])
    assert not (vault / "Leak from outside.md").exists()
    assert app.sync(vault, dry_run=True).pending == 0


def test_a_run_on_a_folder_inside_a_watched_vault_is_refused(make_vault: VaultFactory) -> None:
    """Watchers on a vault and on a folder inside it rewrote each other's blocks forever (each
    ranks among different notes). The inner run is refused while the outer one holds its lock."""
    vault = make_vault(SMALL_VAULT)
    before = snapshot(vault / "sub")
    with vault_lock(vault, "watch"):
        with pytest.raises(VaultLocked, match=r"is inside the vault .*'vaultlink watch'"):
            app.sync(vault / "sub")
        with pytest.raises(VaultLocked, match="is inside the vault"), vault_lock(vault / "sub", "watch"):
            pytest.fail("locked a vault inside a locked vault")
    assert snapshot(vault / "sub") == before
    assert not (vault / "sub" / ".vaultlink").exists()
    assert app.sync(vault / "sub").pending > 0  # once the outer run has ended, the folder is a vault of its own


def test_a_watch_around_a_vault_another_run_holds_is_refused(make_vault: VaultFactory) -> None:
    """The other order: the inner vault's run started first; a watch on the enclosing vault is
    refused (a one-off sync of it is not: it does not walk for inner vaults)."""
    vault = make_vault(SMALL_VAULT)
    with vault_lock(vault / "sub", "watch"):
        with pytest.raises(VaultLocked, match=r"holds the vault .*sub, which 'vaultlink watch'"):
            app.watch(vault, WatchSettings(), threading.Event(), NoListener())
        assert not (vault / ".vaultlink").exists()


def test_a_finished_run_on_the_enclosing_vault_does_not_refuse(make_vault: VaultFactory) -> None:
    vault = make_vault(SMALL_VAULT)
    app.sync(vault)
    (vault / ".vaultlink" / "lock").write_text("")  # left by a run killed on a platform that keeps it
    assert app.sync(vault / "sub").scanned > 0


def test_the_vault_folder_deleted_under_watch_is_reported(make_vault: VaultFactory) -> None:
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    shutil.rmtree(vault)
    with pytest.raises(VaultlinkError, match="vault"):
        live.update(["Alpha.md"])


def test_settings_edited_under_watch_are_taken_up(make_vault: VaultFactory) -> None:
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / ".vaultlink.toml").write_text("backlinks = false\n")
    live.update([".vaultlink.toml"])
    assert app.sync(vault, dry_run=True).pending == 0


class NoListener:
    """A watch listener that is told nothing (the watch is refused before it starts)."""

    def __getattr__(self, _name: str) -> Callable[..., None]:
        return lambda *_args, **_kwargs: None


def test_the_settings_files_are_not_noise_to_the_watcher() -> None:
    assert not is_noise(".vaultlink.toml") and not is_noise(".obsidian/app.json")
    assert is_noise(".obsidian/workspace.json") and is_noise("sub/.vaultlink.toml")


def test_a_bad_settings_edit_under_watch_is_reported_and_the_old_settings_stay(make_vault: VaultFactory) -> None:
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / ".vaultlink.toml").write_text("backlinks = [\n")
    with pytest.raises(VaultlinkError, match=r"\.vaultlink\.toml"):
        live.update([".vaultlink.toml"])
    (vault / ".vaultlink.toml").unlink()
    assert live.update([".vaultlink.toml"]).pending == 0


@pytest.mark.slow
def test_the_watch_command_ends_saying_so_when_its_vault_is_deleted(make_vault: VaultFactory, tmp_path: Path) -> None:
    vault = make_vault(SMALL_VAULT)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        proc = subprocess.Popen(
            [sys.executable, "-m", "vaultlink", "watch", str(vault), "--debounce", "0.2", "--grace", "0"],
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=env,
        )
    try:
        deadline = time.monotonic() + 20
        while "watching" not in out.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the observer's watches are set up
        shutil.rmtree(vault)
        assert proc.wait(15) != 0
        assert proc.stderr is not None
        err = proc.stderr.read().decode()
        errors = [line for line in err.splitlines() if line.startswith("Error:")]
        assert len(errors) == 1 and "the vault folder is gone" in errors[0], err
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
