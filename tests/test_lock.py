"""``vaultlink.lock`` on what is not a plain lock file, and under Windows' rules (played on Linux):
a held file can't be deleted, and its locked bytes can't be read through another handle."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from test_platform import open_in_this_process

from vaultlink import lock as lock_module
from vaultlink.errors import VaultLocked
from vaultlink.lock import LOCK_NAME, STATE_DIR, holds_lock, vault_lock

_real_unlink = os.unlink


needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see which files are open")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_at_the_lock_is_refused_at_once(tmp_path: Path) -> None:
    (tmp_path / STATE_DIR).mkdir()
    os.mkfifo(tmp_path / STATE_DIR / LOCK_NAME)
    with pytest.raises(VaultLocked, match="is not a regular file"), vault_lock(tmp_path, "sync"):
        pytest.fail("locked a FIFO")
    assert not holds_lock(tmp_path)


def test_a_folder_at_the_lock_is_refused(tmp_path: Path) -> None:
    (tmp_path / STATE_DIR / LOCK_NAME).mkdir(parents=True)
    with pytest.raises(VaultLocked, match="is a folder"), vault_lock(tmp_path, "sync"):
        pytest.fail("locked a folder")


@needs_proc
def test_where_a_held_file_cant_be_deleted_the_lock_file_goes_after_closing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused: list[str] = []

    def unlink_as_windows(path: str | os.PathLike[str], **kwargs: object) -> None:
        if open_in_this_process(path):
            refused.append(os.fspath(path))
            raise PermissionError(13, "being used by another process")
        _real_unlink(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(lock_module.os, "unlink", unlink_as_windows)
    with vault_lock(tmp_path, "sync"):
        assert holds_lock(tmp_path)
    assert refused == [str(tmp_path / STATE_DIR / LOCK_NAME)]
    assert not (tmp_path / STATE_DIR).exists()


def test_the_holder_record_is_read_through_the_held_descriptor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows keeps a locked file's bytes from every other handle, the holder's own too: the
    record of another host is still seen (and honoured) when read through the locking one."""
    (tmp_path / STATE_DIR).mkdir()
    other = {"pid": 1, "host": socket.gethostname() + "-elsewhere", "command": "watch", "started": 0}
    (tmp_path / STATE_DIR / LOCK_NAME).write_text(json.dumps(other))
    monkeypatch.setattr(lock_module, "_read_lock", lambda _lock: None)  # no second handle can read it
    with pytest.raises(VaultLocked, match="-elsewhere"), vault_lock(tmp_path, "sync"):
        pytest.fail("took a lock another host holds")


def test_a_holder_record_that_cant_be_read_still_refuses_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lock_module, "_read_lock", lambda _lock: None)  # Windows: unreadable while held
    monkeypatch.setattr(lock_module.time, "sleep", lambda _s: None)
    with vault_lock(tmp_path, "watch"), pytest.raises(VaultLocked) as refused, vault_lock(tmp_path, "sync"):
        pytest.fail("two runs held the lock")
    assert str(refused.value).count("\n") == 0
    assert "locked by another vaultlink run" in str(refused.value)


def test_the_record_names_this_run(tmp_path: Path) -> None:
    with vault_lock(tmp_path, "sync"):
        record = json.loads((tmp_path / STATE_DIR / LOCK_NAME).read_text())
    assert record["pid"] == os.getpid() and record["command"] == "sync" and record["host"] == socket.gethostname()
