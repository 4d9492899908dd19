"""Helpers for the fault, bad-input and security tests.

- Vault snapshots that leave out ``.vaultlink/`` (vaultlink's own state: lock, cache) and, where asked,
  leftover temp files, so "same vault" means "same notes".
- ``Recorder``: a ``sys.audit`` hook that records every file operation (SQLite databases included) and
  every attempt to run a process or open a network connection while it is active, so a test can assert
  where vaultlink read and wrote, and that it never executed or fetched anything.
"""

from __future__ import annotations

import os
import stat
import sys
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from vaultlink import writer
from vaultlink.lock import STATE_DIR

STATE = STATE_DIR


def is_state(rel: str) -> bool:
    return rel == STATE or rel.startswith(STATE + "/")


def is_temp(rel: str) -> bool:
    """Named as vaultlink names its temp files (exactly: look-alikes are the user's files)."""
    return writer.is_temp_name(rel.rsplit("/", 1)[-1])


def snapshot(root: Path, *, temps: bool = False) -> dict[str, bytes]:
    """Every file under ``root`` by relative path with its bytes, hidden ones too, except ``.vaultlink/``
    and (unless ``temps``) vaultlink's temp files. A symlink is recorded as ``b"-> target"``."""
    files: dict[str, bytes] = {}
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            if is_state(rel) or (is_temp(rel) and not temps):
                continue
            if path.is_symlink():
                files[rel] = b"-> " + os.fsencode(os.readlink(path))
            else:
                files[rel] = path.read_bytes()
    return files


def folders(root: Path) -> set[str]:
    """Every folder under ``root`` except ``.vaultlink/``, relative, the root itself as "."."""
    found = {Path(f).relative_to(root).as_posix() for f, _d, _n in os.walk(root)}
    return {f for f in found if not is_state(f)}


def temp_files(root: Path) -> list[str]:
    """vaultlink's temp files anywhere under ``root`` (relative paths)."""
    return sorted(
        Path(folder, name).relative_to(root).as_posix()
        for folder, _dirs, names in os.walk(root)
        for name in names
        if is_temp(name)
    )


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


# --- audit hook ---------------------------------------------------------------------------------------------

# Events that change the file system: the argument positions holding paths.
_WRITE_EVENTS = {
    "os.rename": (0, 1),  # os.rename and os.replace
    "os.link": (0, 1),
    "os.symlink": (1,),
    "os.remove": (0,),  # os.remove and os.unlink
    "os.rmdir": (0,),
    "os.mkdir": (0,),
    "os.chmod": (0,),
    "os.chown": (0,),
    "os.truncate": (0,),
    "os.utime": (0,),
    "shutil.rmtree": (0,),
    "shutil.move": (0, 1),
    "shutil.copyfile": (1,),
}
_READ_EVENTS = {"os.scandir": (0,), "os.listdir": (0,)}
# Running a program, loading code, or reaching the network.
_FORBIDDEN_PREFIXES = (
    "subprocess.",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.startfile",
    "os.fork",
    "os.forkpty",
    "pty.",
    "socket.",
    "urllib.",
    "http.",
    "ftplib.",
    "smtplib.",
    "webbrowser.",
    "ctypes.dlopen",
)
_NX_ARGMAP = "<class 'networkx.utils.decorators.argmap'> compilation"
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


@dataclass
class Recorder:
    """What happened while recording: paths read and written (as given), and forbidden events."""

    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    forbidden: list[tuple[str, str]] = field(default_factory=list)

    def writes_outside(self, *roots: Path) -> list[str]:
        return [p for p in self.writes if not _inside_any(p, roots)]

    def reads_outside(self, *roots: Path) -> list[str]:
        """Reads outside ``roots`` and outside the Python installation and the project's own code."""
        allowed = (*roots, *_code_roots())
        return [p for p in self.reads if not _inside_any(p, allowed)]


_active: list[Recorder] = []
_installed = False


# Where the events that take a ``dir_fd`` have it: path argument position -> dir_fd argument position
# (CPython passes -1 when none was given; a relative path is then relative to the current folder).
_DIR_FDS = {
    "os.remove": {0: 1},
    "os.rmdir": {0: 1},
    "os.rename": {0: 2, 1: 3},
    "os.link": {0: 2, 1: 3},
    "os.mkdir": {0: 2},
    "os.chmod": {0: 2},
    "os.symlink": {1: 2},
}


def _path_arg(value: object, dir_fd: object = -1) -> str | None:
    if not isinstance(value, (str, bytes, os.PathLike)):
        return None  # a file descriptor
    path = os.fsdecode(value)
    if isinstance(dir_fd, int) and dir_fd >= 0 and not os.path.isabs(path):
        try:
            return os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)  # Linux: the folder's path now
        except OSError:
            return f"<unknown folder (dir_fd {dir_fd})>/{path}"  # never raise in an audit hook
    return os.path.abspath(path)


def _event_paths(event: str, args: tuple[object, ...], positions: tuple[int, ...]) -> list[str]:
    dir_fds = _DIR_FDS.get(event, {})
    found = []
    for i in positions:
        fd = args[dir_fds[i]] if i in dir_fds and dir_fds[i] < len(args) else -1
        if i < len(args) and (path := _path_arg(args[i], fd)):
            found.append(path)
    return found


def _hook(event: str, args: tuple[object, ...]) -> None:
    if not _active:
        return
    rec = _active[-1]
    if event == "open":
        path = _path_arg(args[0])
        if path is None:
            return
        mode, flags = args[1], args[2]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        (rec.writes if writes else rec.reads).append(path)
    elif event in _WRITE_EVENTS:
        rec.writes.extend(_event_paths(event, args, _WRITE_EVENTS[event]))
    elif event == "sqlite3.connect":
        _record_database(rec, args[0])
    elif event in _READ_EVENTS:
        rec.reads.extend(_event_paths(event, args, _READ_EVENTS[event]))
    elif event in ("exec", "compile"):
        # Importing a module compiles and runs a file's code; anything else is code made at run time.
        code = args[0] if event == "exec" else None
        filename = getattr(code, "co_filename", "") if event == "exec" else args[1]
        # networkx compiles its own decorator wrappers the first time each is called.
        if not (isinstance(filename, str) and (os.path.isfile(filename) or filename.startswith(_NX_ARGMAP))):
            rec.forbidden.append((event, repr(args)[:200]))
    elif event.startswith(_FORBIDDEN_PREFIXES) and event != "socket.gethostname":
        rec.forbidden.append((event, repr(args)[:200]))


def _record_database(rec: Recorder, database: object) -> None:
    """An SQLite database opened by path (written) or by a ``file:`` URI with ``mode=ro`` (read)."""
    if isinstance(database, str) and database.startswith("file:"):
        uri = urllib.parse.urlparse(database)
        path = _path_arg(urllib.parse.unquote(uri.path))
        if path is not None:
            (rec.reads if "mode=ro" in uri.query else rec.writes).append(path)
    elif database != ":memory:" and (path := _path_arg(database)) is not None:
        rec.writes.append(path)


@contextmanager
def recording() -> Iterator[Recorder]:
    """Record file, process and network events (audit hooks cannot be removed: one is installed once
    and does nothing while no recording is active)."""
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True
    rec = Recorder()
    _active.append(rec)
    try:
        yield rec
    finally:
        _active.remove(rec)


def _code_roots() -> tuple[Path, ...]:
    """Where Python may legitimately read its own modules from while vaultlink runs."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(writer.__file__).resolve().parents[1])}
    roots.update(p for p in sys.path if p and os.path.isdir(p))
    return tuple(Path(r) for r in roots)


def _inside_any(path: str, roots: tuple[Path, ...]) -> bool:
    real = Path(os.path.realpath(path))
    return any(real.is_relative_to(Path(os.path.realpath(r))) for r in roots)
