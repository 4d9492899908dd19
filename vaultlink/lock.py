"""The vault's state folder (``.vaultlink/``) and its lock: one run at a time per vault.

The lock is an OS lock on the open file ``.vaultlink/lock``, taken through portalocker
(``flock`` on POSIX, ``msvcrt.locking`` on Windows), so the system releases it when the process
dies, however it dies: a stale lock is taken over by simply locking it. The file names its
holder for the message a second run gets. (Windows keeps a locked file's bytes unreadable to
other processes: there the second run is told the vault is locked, without by whom.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vaultlink.errors import UnsafeStateFolder, VaultLocked

STATE_DIR = ".vaultlink"
LOCK_NAME = "lock"


@dataclass(frozen=True)
class LockInfo:
    pid: int
    host: str
    command: str
    started: float


def state_folder_problem(root: Path) -> str:
    """Why ``root/.vaultlink`` must not be used, or "": a symbolic link leading out of the
    vault would put the lock and the cache outside it; a symbolic link in it (the cache file,
    its journal, the lock, the ``.gitignore``) would have them written wherever it leads, a
    note of the vault included."""
    state = root / STATE_DIR
    if state.is_symlink():
        target = state.resolve()
        if not target.is_relative_to(root.resolve()):
            return (
                f"is a symbolic link to {target}, outside the vault, and vaultlink writes nothing outside the vault; "
                "remove the link (--cache-dir keeps the cache elsewhere)"
            )
    linked = _symlink_in(state)
    if linked is None:
        return ""
    return (
        f"{linked.name} in it is a symbolic link to {linked.resolve()}, and vaultlink writes through no link "
        "in its own folder; remove the link"
    )


def _symlink_in(folder: Path) -> Path | None:
    """The first symbolic link directly in ``folder`` (by name), if any."""
    try:
        with os.scandir(folder) as entries:
            links = sorted(entry.name for entry in entries if entry.is_symlink())
    except OSError:  # no folder yet, or not a folder: nothing is written through it
        return None
    return folder / links[0] if links else None


def state_folder(root: Path) -> Path:
    """``root/.vaultlink``, checked to stay inside the vault (UnsafeStateFolder if not)."""
    state = root / STATE_DIR
    problem = state_folder_problem(root)
    if problem:
        raise UnsafeStateFolder(f"{state}: {problem}")
    return state


@dataclass(frozen=True)
class _HeldLock:
    """The open lock file of a vault this process holds: the OS lock on it is the lock itself,
    so the kernel releases it when the process dies, however it dies."""

    fd: int
    pid: int
    file: tuple[int, int]  # (st_dev, st_ino) of the lock file


_HELD: dict[Path, _HeldLock] = {}
_LOCK_ATTEMPTS = 5


def holds_lock(root: Path) -> bool:
    """Does this process hold ``root``'s lock (inside ``vault_lock``)?"""
    held = _HELD.get(root.resolve())
    return held is not None and held.pid == os.getpid()


def _forget_inherited_locks() -> None:
    """In a forked child: close its copies of the parent's lock files. That leaves the
    parent's lock held (a ``flock`` is released when the last descriptor of its open file
    closes), and a child outliving its parent can't keep the vault locked."""
    for held in _HELD.values():
        with contextlib.suppress(OSError):
            os.close(held.fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_inherited_locks)


@contextlib.contextmanager
def vault_lock(root: Path, command: str) -> Iterator[None]:
    """Hold the vault's lock (an OS lock on ``.vaultlink/lock``) for the duration. A second
    process is refused with who holds it (the lock file names it); a lock whose process died
    is free again by itself. A run nested in another run's vault is refused (``_refuse_nested_runs``)."""
    state = state_folder(root)
    _refuse_nested_runs(root.resolve(), command)
    created_state = not state.exists()
    lock = state / LOCK_NAME
    info = LockInfo(os.getpid(), socket.gethostname(), command, time.time())
    try:
        state.mkdir(exist_ok=True)
        held = _acquire(lock, info)
    except OSError as exc:
        raise VaultLocked(f"{lock}: cannot create the vault's lock file: {exc.strerror or exc}") from exc
    key = root.resolve()
    _HELD[key] = held
    try:
        yield
    finally:
        _HELD.pop(key, None)
        _release(lock, held)
        if created_state:
            with contextlib.suppress(OSError):
                state.rmdir()


_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation by os.read/os.write
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | _BINARY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
"""Never through a link; never waiting (on a FIFO put at the lock's path, opening for reading
and writing returns at once, and the regular-file check then refuses it)."""
_READ_FLAGS = os.O_RDONLY | _BINARY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_RECORD_LIMIT = 4096


def _acquire(lock: Path, info: LockInfo) -> _HeldLock:
    for _ in range(_LOCK_ATTEMPTS):
        fd = _open_lock_file(lock)
        try:
            held = _lock(fd, lock, info)
        except BaseException:
            os.close(fd)
            raise
        if held is not None:
            return held
        os.close(fd)
    raise VaultLocked(f"{lock}: the lock file was replaced {_LOCK_ATTEMPTS} times while taking it; try again")


def _open_lock_file(lock: Path) -> int:
    """Open (or make) the lock file; a FIFO, a folder or a device there is refused, not waited on."""
    try:
        fd = os.open(lock, _OPEN_FLAGS, 0o644)
    except IsADirectoryError:
        raise VaultLocked(f"{lock}: is a folder, not vaultlink's lock file; remove it") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise VaultLocked(f"{lock}: is a symbolic link, not vaultlink's lock file; remove it") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise VaultLocked(f"{lock}: is not a regular file (a FIFO or a device?), not vaultlink's lock file; remove it")
    return fd


def _lock(fd: int, lock: Path, info: LockInfo) -> _HeldLock | None:
    """Take the lock on the open lock file ``fd``; None if the file was removed meanwhile
    (its holder released it after we opened it: the lock is the file now at the path)."""
    import portalocker  # imported when a lock is taken: the writer and the CLI import this module

    try:
        portalocker.lock(fd, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
    except portalocker.AlreadyLocked:
        raise VaultLocked(_locked_message(lock, _holder_of(lock))) from None
    except portalocker.LockException as exc:
        cause = exc.__cause__
        detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(exc)
        raise VaultLocked(f"{lock}: cannot lock the vault: {detail}") from exc
    mine = os.fstat(fd)
    try:
        there = os.lstat(lock)
    except FileNotFoundError:
        return None
    if (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino):
        return None
    previous = _parse_record(_read_held(fd))
    if previous is not None and previous.host != info.host:
        # A vault shared between machines: their locks may not see each other, so a lock
        # file naming another host is honoured until someone removes it.
        raise VaultLocked(_locked_message(lock, previous))
    _write_held(fd, json.dumps(info.__dict__).encode("utf-8"))
    return _HeldLock(fd, os.getpid(), (mine.st_dev, mine.st_ino))


def _read_held(fd: int) -> bytes:
    """The lock file's bytes, through the descriptor that holds the lock (on Windows a second
    handle, even this process's own, can't read a locked range). No ``pread``: Windows has none."""
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, _RECORD_LIMIT)


def _write_held(fd: int, record: bytes) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, record)


def _release(lock: Path, held: _HeldLock) -> None:
    """Remove the lock file while still holding it (whoever opened it meanwhile then sees it
    gone and opens the new one), then let go. Never from a forked child. Where a file can't be
    deleted while open (Windows), it is deleted just after closing, unless another run has it
    open by then (the delete then fails, and that run's lock is on the very file it opened)."""
    if held.pid != os.getpid():
        return
    import portalocker

    removed = _remove_lock_file(lock, held)
    with contextlib.suppress(portalocker.LockException, OSError):
        portalocker.unlock(held.fd)
    with contextlib.suppress(OSError):
        os.close(held.fd)
    if not removed:
        _remove_lock_file(lock, held)


def _remove_lock_file(lock: Path, held: _HeldLock) -> bool:
    """Unlink the lock file if it is still ours; True unless the platform refused (held open)."""
    try:
        there = os.lstat(lock)
        if (there.st_dev, there.st_ino) == held.file:
            os.unlink(lock)
    except PermissionError:
        return False
    except OSError:
        pass
    return True


def _refuse_nested_runs(root: Path, command: str) -> None:
    """Runs on a vault and on a folder inside it (``watch ~/notes`` and ``sync ~/notes/sub``) would
    rewrite what the other writes, and for two watchers forever: the two see different vaults.
    Any run inside a vault another run holds is refused, naming that run; a watch is also refused
    over a vault inside it that another run holds (a walk of its folders, for watch only: one-off
    runs should not pay for it). A finished run leaves no lock file, so only live runs count."""
    for folder in root.parents:
        holder = _running_on(folder / STATE_DIR / LOCK_NAME)
        if holder:
            raise VaultLocked(
                f"{root}: is inside the vault {folder}, which {holder} is running on; "
                "a run on a folder inside it would undo what that run writes, and that run this one's"
            )
    if command != "watch":
        return
    for inner, subfolders, _ in os.walk(root):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))  # os.walk enters no link
        if inner == os.fspath(root):
            continue
        holder = _running_on(Path(inner) / STATE_DIR / LOCK_NAME)
        if holder:
            raise VaultLocked(
                f"{root}: holds the vault {inner}, which {holder} is running on; "
                "watching around it would undo what that run writes, and that run this one's"
            )


def _running_on(lock: Path) -> str:
    """The run that holds the lock file ``lock``, described; "" if none does (or there is no
    regular file there). Asked by taking the lock for an instant."""
    import portalocker

    if not os.path.lexists(lock):
        return ""
    try:
        fd = os.open(lock, _READ_FLAGS)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        try:
            portalocker.lock(fd, portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING)
        except portalocker.AlreadyLocked:
            return _describe(_holder_of(lock))
        except portalocker.LockException:
            return ""
        with contextlib.suppress(portalocker.LockException, OSError):
            portalocker.unlock(fd)
        return ""
    finally:
        os.close(fd)


def _holder_of(lock: Path, tries: int = 10, wait: float = 0.02) -> LockInfo | None:
    """Who holds the lock. A run writes its name into the lock file just after locking it, so a
    run refused in between reads an empty file: it looks again for a moment before giving up."""
    for _ in range(tries - 1):
        holder = _read_lock(lock)
        if holder is not None:
            return holder
        time.sleep(wait)
    return _read_lock(lock)


def _read_lock(lock: Path) -> LockInfo | None:
    """The holder named in the lock file, or None (unreadable, being written, not a regular file:
    never waited on, whatever is at the path)."""
    try:
        fd = os.open(lock, _READ_FLAGS)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return _parse_record(os.read(fd, _RECORD_LIMIT))
    except OSError:  # Windows: the holder's lock keeps the bytes unreadable
        return None
    finally:
        os.close(fd)


def _parse_record(raw: bytes) -> LockInfo | None:
    try:
        data = json.loads(raw.decode("utf-8"))
        return LockInfo(int(data["pid"]), str(data["host"]), str(data["command"]), float(data["started"]))
    except (ValueError, KeyError, TypeError):
        return None


def _locked_message(lock: Path, holder: LockInfo | None) -> str:
    if holder is None:
        return f"{lock}: the vault is locked by another vaultlink run (unreadable lock file)"
    return f"{lock}: the vault is locked by {_describe(holder)}; try again when it has finished"


def _describe(holder: LockInfo | None) -> str:
    if holder is None:
        return "another vaultlink run"
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(holder.started))
    return f"'vaultlink {holder.command}' (pid {holder.pid} on {holder.host}, since {when})"
