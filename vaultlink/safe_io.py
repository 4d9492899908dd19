"""The file-system moves behind a safe write: folders opened without following links, and the
guard that never lets a replace lose what another program writes into the note.

Folders: where the platform can (``os.supports_dir_fd``), a note's folder is reached by opening
each folder from the vault's root down with ``O_NOFOLLOW`` and checking it is the entry its
opened parent holds. Folders are made, the note stat'ed, hard-linked and deleted relative to
that opened folder (``openat``-style); the temp file must turn out to be in it, so the final
rename (by path, which audit hooks and tests can follow) has no source anywhere else. A folder
swapped for a symbolic link while a sync runs then leads nowhere. Elsewhere (Windows) the paths
are checked with ``resolve`` instead, which leaves a short race.

Writers: ``os.replace`` gives the path a new file; a program that holds the old one open (a
logger, ``tee -a``, an editor between truncating and writing) goes on writing into a file no
name leads to, and those bytes are lost. ``OpenWriterGuard`` keeps that from happening:

- On Linux it takes a read *lease* on the note (``F_SETLEASE``): the kernel refuses it while any
  process has the file open for writing, so such a note is left alone; while the lease is held,
  a program opening the note for writing waits until it is released, and the lease shows it.
- The old file gets a second name (a hard link, with a temp-file name) just before the replace.
  If, after the replace, the lease was broken or the old file changed (size, mtime), the old
  file is renamed back over the path: every byte written to it is at the note's path again, and
  vaultlink's block is simply not written this time.
- Where there are no leases (macOS, other file systems), the change check alone runs: it sees
  what was written up to the moment after the replace, not what a program still holding the
  file open writes later (a documented caveat). On Windows a file held open by another program
  can't be replaced at all: the replace is retried briefly (``platform.replace_held_open``),
  then the note is reported; the guard keeps no handle on the note there (its own would block
  the replace) and watches the old file through its second name.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
from dataclasses import dataclass, field
from pathlib import Path

from vaultlink import platform
from vaultlink.core.resolve import fold

OPEN_FOR_WRITING = "open for writing by another program; left alone"
WRITTEN_WHILE_REPLACED = "written to by another program while it was being replaced; left as that program wrote it"
LINKED_FOLDER = "a folder on its path is a symbolic link or not a folder; not written through"
OTHER_OWNER = "owned by another user; replacing it would make it yours; left alone"
APPEARED = "a file appeared at this path; not overwritten"

_DIR_FD_OPS = {os.open, os.stat, os.unlink, os.rename, os.link, os.mkdir, os.rmdir}
USES_DIR_FD = os.supports_dir_fd >= _DIR_FD_OPS and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY")
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
NOTE_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
"""Opening a note to read it: never through a link, and never waiting on a FIFO named like a note."""


class WriteRefused(Exception):
    """This one file was not written; the message says why (the run goes on)."""


@dataclass
class FolderChain:
    """The folders from the vault's root down to a note's folder, each opened relative to the one
    above without following links (``fds``, root first; empty where ``dir_fd`` is unsupported).
    ``created``: how many of the deepest folders were made by this chain."""

    path: Path
    fds: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    created: int = 0

    @property
    def fd(self) -> int | None:
        return self.fds[-1] if self.fds else None

    def close(self) -> None:
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []

    def lstat(self, name: str) -> os.stat_result:
        if self.fd is None:
            return os.lstat(self.path / name)
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    def remove_empty(self, count: int) -> None:
        """Remove up to ``count`` of the deepest folders opened, while each is empty (through its
        parent's descriptor: a folder renamed or swapped meanwhile is not looked for by path)."""
        assert not self.fds or len(self.fds) <= 1 + len(self.names), "opened without keep"
        deepest = len(self.fds) - 1 if self.fds else len(self.names)
        for depth in range(deepest, max(deepest - count, 0), -1):
            if not self.remove_folder(depth):
                return

    def remove_folder(self, depth: int) -> bool:
        """Remove the folder ``names[:depth]`` if it is empty; did it go?"""
        try:
            if self.fds:
                os.rmdir(self.names[depth - 1], dir_fd=self.fds[depth - 1])
            else:
                os.rmdir(Path(*self.path.parts[: len(self.path.parts) - (len(self.names) - depth)]))
        except OSError:
            return False
        return True

    def identity(self, depth: int) -> tuple[int, int]:
        """(device, inode) of the folder ``names[:depth]``."""
        if self.fds:
            st = os.fstat(self.fds[depth])
        else:
            st = os.stat(Path(*self.path.parts[: len(self.path.parts) - (len(self.names) - depth)]))
        return st.st_dev, st.st_ino


def open_chain(root: Path, folder_parts: list[str], *, create: bool = False, keep: bool = True) -> FolderChain:
    """Open the folders ``folder_parts`` below ``root`` (making missing ones with ``create``),
    refusing any that is a symbolic link or not a folder (WriteRefused). Without ``keep`` only
    the deepest stays open (a note 1,500 folders deep must not hold 1,500 descriptors per
    write); ``remove_empty`` needs them all."""
    chain = FolderChain(root.joinpath(*folder_parts), names=list(folder_parts))
    if not USES_DIR_FD:
        return _checked_path_chain(root, chain, create)
    here = root
    try:
        chain.fds.append(os.open(root, os.O_RDONLY | os.O_DIRECTORY))
        for part in folder_parts:
            parent = chain.fds[-1]
            try:
                chain.fds.append(open_beneath(parent, here, part, _FOLDER_FLAGS))
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o777, dir_fd=parent)
                chain.created += 1
                chain.fds.append(open_beneath(parent, here, part, _FOLDER_FLAGS))
            here = here / part
            if not keep:
                os.close(chain.fds.pop(0))
    except OSError as exc:
        _close_failed(chain, len(folder_parts))
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise WriteRefused(LINKED_FOLDER) from exc
        raise
    except BaseException:
        _close_failed(chain, len(folder_parts))
        raise
    return chain


def _close_failed(chain: FolderChain, depth: int) -> None:
    """A chain that could not be opened whole: the folders it made go again."""
    chain.remove_empty(chain.created)
    chain.close()


def open_beneath(folder: int, folder_path: Path, name: str, flags: int) -> int:
    """Open ``name`` in the opened ``folder`` without following a link. By its path (so that what
    is opened can be seen by audit hooks), then checked to be the very file the folder holds under
    that name: a path that went through a folder swapped for a link opens another file (refused)."""
    fd = os.open(folder_path / name, flags | getattr(os, "O_NOFOLLOW", 0))
    try:
        entry = os.stat(name, dir_fd=folder, follow_symlinks=False)
        opened = os.fstat(fd)
        if (entry.st_dev, entry.st_ino) != (opened.st_dev, opened.st_ino):
            raise WriteRefused(LINKED_FOLDER)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _checked_path_chain(root: Path, chain: FolderChain, create: bool) -> FolderChain:
    real_root = root.resolve()
    probe = chain.path
    missing = 0
    while not probe.exists() and probe != root:
        missing += 1
        probe = probe.parent
    if not probe.resolve().is_relative_to(real_root) or any(
        (root.joinpath(*chain.names[: k + 1])).is_symlink() for k in range(len(chain.names) - missing)
    ):
        raise WriteRefused(LINKED_FOLDER)
    if missing and create:
        chain.path.mkdir(parents=True, exist_ok=True)
        chain.created = missing
    elif missing:
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(chain.path))
    return chain


def occupied(path: Path, name: str) -> str:
    """Why a new file can't be made at ``path``: a file is there, maybe under a name that differs
    only in case or Unicode form, which a case-insensitive or normalising file system (Windows,
    macOS, a FAT stick) takes for the same name. Such a file is never overwritten."""
    try:
        there = sorted(n for n in os.listdir(path.parent) if n != name and fold(n) == fold(name))
    except OSError:
        there = []
    if there:
        return f"{there[0]} is there, which this file system takes for the same name; not overwritten"
    return APPEARED


def refuse_other_owner(st: os.stat_result) -> None:
    """A replace makes a new file, owned by whoever runs vaultlink: a note of another user's that
    the runner may write to (group or world writable folder) would change hands. Root keeps the
    owner instead (``keep_owner``)."""
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    if euid is not None and euid != 0 and st.st_uid != euid:
        raise WriteRefused(OTHER_OWNER)


def keep_owner(fd: int, st: os.stat_result) -> None:
    """Give the new file the old one's owner and group where this process may (root; or the
    group, for a member of it); silently not elsewhere."""
    if not hasattr(os, "fchown"):
        return
    with contextlib.suppress(OSError):
        os.fchown(fd, st.st_uid, st.st_gid)
        return
    with contextlib.suppress(OSError):
        os.fchown(fd, -1, st.st_gid)


def _lease_signal() -> int:
    # A lease break is signalled to its holder; SIGIO's default action ends the process.
    # SIGURG's default action is to ignore it, and vaultlink never uses out-of-band data.
    return int(getattr(signal, "SIGURG", 0))


class OpenWriterGuard:
    """Around one replace of the note ``name`` in ``chain``: refuse while another program has it
    open for writing (where leases exist), and put the old file back if it was written to while
    being replaced. See the module docstring."""

    def __init__(self, chain: FolderChain, name: str, seen: os.stat_result) -> None:
        self.chain = chain
        self.name = name
        self.fd = -1
        self.leased = False
        self.backup: str | None = None
        try:
            self.fd = os.open(chain.path / name, NOTE_READ_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise WriteRefused("became a symbolic link since it was read; left alone") from exc
            raise
        self.before = os.fstat(self.fd)
        if (self.before.st_dev, self.before.st_ino) != (seen.st_dev, seen.st_ino) or not stat.S_ISREG(
            self.before.st_mode
        ):
            self.close()
            raise WriteRefused("replaced by another file since it was read; left alone")
        if platform.windows():
            # A file held open can't be replaced on Windows, by its own reader either: let go of
            # it, and look at the old file through its second name (``before_replace``) instead.
            os.close(self.fd)
            self.fd = -1
        self._take_lease()

    def _take_lease(self) -> None:
        fcntl = platform.fcntl_module()
        if fcntl is None or not hasattr(fcntl, "F_SETLEASE"):
            return
        try:
            if _lease_signal() and hasattr(fcntl, "F_SETSIG"):
                fcntl.fcntl(self.fd, fcntl.F_SETSIG, _lease_signal())
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EBUSY):
                self.close()
                raise WriteRefused(OPEN_FOR_WRITING) from exc
            return  # not the owner, or no leases on this file system: the change check alone
        self.leased = True

    def _lease_intact(self) -> bool:
        fcntl = platform.fcntl_module()
        if not self.leased or fcntl is None:
            return True
        try:
            return bool(fcntl.fcntl(self.fd, fcntl.F_GETLEASE) == fcntl.F_RDLCK)
        except OSError:
            return False

    def before_replace(self, backup_name: str) -> None:
        """Just before the replace: the old file gets the name ``backup_name`` too (nothing
        changes if hard links are not to be had: then the old file can't be put back)."""
        if not self._lease_intact():
            raise WriteRefused(OPEN_FOR_WRITING)
        with contextlib.suppress(OSError):
            if self.chain.fd is not None:
                os.link(
                    self.name, backup_name, src_dir_fd=self.chain.fd, dst_dir_fd=self.chain.fd, follow_symlinks=False
                )
            else:
                os.link(self.chain.path / self.name, self.chain.path / backup_name, **platform.link_follow_kwargs())
            self.backup = backup_name

    def after_replace(self, new_file: os.stat_result) -> None:
        """Just after the replace: if the old file was opened for writing or written to meanwhile,
        rename it back over the path (only while the path still holds ``new_file``) and refuse."""
        written = not self._lease_intact() or _changed(self.before, self._old_file())
        if not written:
            self.release()
            written = self._reopened_for_writing() or _changed(self.before, self._old_file())
        if written and self.backup is not None:
            now = self.chain.lstat(self.name)
            if (now.st_dev, now.st_ino) == (new_file.st_dev, new_file.st_ino):
                self._rename_back()
                raise WriteRefused(WRITTEN_WHILE_REPLACED)

    def _old_file(self) -> os.stat_result:
        """The old file as it is now: through the descriptor kept on it, or (Windows) through
        its second name; as it was, if it has neither."""
        if self.fd >= 0:
            return os.fstat(self.fd)
        if self.backup is not None:
            with contextlib.suppress(OSError):
                return self.chain.lstat(self.backup)
        return self.before

    def _reopened_for_writing(self) -> bool:
        """With the lease released: does a program hold the old file open for writing now
        (one whose open was under way at the instant of the replace)?"""
        fcntl = platform.fcntl_module()
        if not self.leased or fcntl is None:
            return False
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
        except OSError as exc:
            return exc.errno in (errno.EAGAIN, errno.EBUSY)
        with contextlib.suppress(OSError):
            fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        return False

    def _rename_back(self) -> None:
        assert self.backup is not None
        if self.chain.fd is not None:
            os.replace(self.backup, self.name, src_dir_fd=self.chain.fd, dst_dir_fd=self.chain.fd)
        else:
            os.replace(self.chain.path / self.backup, self.chain.path / self.name)
        self.backup = None

    def release(self) -> None:
        fcntl = platform.fcntl_module()
        if self.leased and fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.fcntl(self.fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
            self.leased = False

    def close(self) -> None:
        """Release the lease, drop the backup name, close the old file."""
        self.release()
        if self.backup is not None:
            with contextlib.suppress(OSError):
                if self.chain.fd is not None:
                    os.unlink(self.backup, dir_fd=self.chain.fd)
                else:
                    os.unlink(self.chain.path / self.backup)
            self.backup = None
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


def _changed(before: os.stat_result, now: os.stat_result) -> bool:
    return (now.st_size, now.st_mtime_ns) != (before.st_size, before.st_mtime_ns)
