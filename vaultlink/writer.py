"""Safe writes into the vault: contained, atomic, and never over a user's concurrent edit.
(The vault's lock and state folder are ``lock.py``.)"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from vaultlink import platform
from vaultlink.core.digest import digest
from vaultlink.core.file_names import windows_name_problem
from vaultlink.lock import STATE_DIR
from vaultlink.made_folders import FolderRecord
from vaultlink.safe_io import (
    APPEARED,
    LINKED_FOLDER,
    FolderChain,
    OpenWriterGuard,
    keep_owner,
    occupied,
    open_chain,
    refuse_other_owner,
)
from vaultlink.safe_io import WriteRefused as WriteRefused  # the writer's own refusal, re-exported

_DRIVE = re.compile(r"[A-Za-z]:")
# Temp files are ".vaultlink-tmp-XXXXXXXX.tmp": distinctive enough that the next run can
# remove what a killed run left without ever touching a file of the user's.
TEMP_PREFIX = ".vaultlink-tmp-"
TEMP_SUFFIX = ".tmp"
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"
_TEMP_NAME = re.compile(re.escape(TEMP_PREFIX) + r"[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX))
READ_ONLY = "read-only (no write permission); left alone"
CHANGED = "changed since it was read; left alone"
DELETED = "deleted since it was read; left alone"
HELD_OPEN = "held open by another program, so Windows refuses to replace it; left alone (try again later)"


def contained_path(root: Path, rel: str) -> Path:
    """The absolute path of ``rel``, refusing anything that would land outside the vault:
    ``..``, absolute paths, and folders or files that are symlinks leading out."""
    if not rel or rel.startswith(("/", "\\")) or ".." in rel.replace("\\", "/").split("/") or _DRIVE.match(rel):
        raise WriteRefused("path leaves the vault")
    if "\0" in rel:
        raise WriteRefused("path holds a NUL character; no file can have that name")
    if platform.windows() and (problem := windows_name_problem(rel)):
        raise WriteRefused(f"{problem}; not written")
    real_root = root.resolve()
    path = root / rel
    parent = path.parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.resolve().is_relative_to(real_root):
        raise WriteRefused("folder leads outside the vault")
    if path.is_symlink():
        raise WriteRefused("note is a symbolic link; not written through")
    return path


def _current_digest(path: Path) -> str | None:
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None


def write_file(root: Path, rel: str, data: bytes, expected: str | None) -> None:
    """Atomically replace (or create, when ``expected`` is None) one file.

    The file's bytes are hashed again just before the replace: if they are not what the
    plan was made from, the user changed the file meanwhile and it is left alone; so is a
    file that is no longer the one found at the start (swapped for a symbolic link or
    another file), a file the user made read-only, another user's file, and a file another
    program has open for writing (``safe_io.OpenWriterGuard``). The folders on the way are
    opened without following links. A new file never replaces one that appeared meanwhile,
    and folders made for it are removed again if it can't be written.
    """
    path = contained_path(root, rel)
    *folders, name = rel.split("/")
    try:
        chain = open_chain(root, folders, create=expected is None, keep=expected is None)
    except FileNotFoundError as exc:  # the note's folder is gone
        raise WriteRefused(DELETED) from exc
    try:
        if expected is None:
            _create(path, chain, name, data)
            _record_made(root, chain)
            return
        try:
            seen = chain.lstat(name)
        except FileNotFoundError as exc:
            raise WriteRefused(DELETED) from exc
        if stat.S_ISLNK(seen.st_mode):
            raise WriteRefused("note is a symbolic link; not written through")
        _refuse_read_only(seen)
        refuse_other_owner(seen)
        try:
            guard = OpenWriterGuard(chain, name, seen)  # opens the note by path: its folder may have moved
        except FileNotFoundError as exc:
            raise WriteRefused(DELETED) from exc
        try:
            check = lambda: _unchanged(path, expected, seen)  # noqa: E731
            replace_file(path, data, stat.S_IMODE(seen.st_mode), check, chain=chain, guard=guard, owner=seen)
        except FileNotFoundError as exc:  # the note or its folder moved away while it was being written
            raise WriteRefused(DELETED) from exc
        finally:
            guard.close()
    finally:
        chain.close()


def _record_made(root: Path, chain: FolderChain) -> None:
    """Remember the folders made for a new file: only those are ever removed again."""
    depths = range(len(chain.names) - chain.created + 1, len(chain.names) + 1)
    FolderRecord(root / STATE_DIR).add({"/".join(chain.names[:d]): chain.identity(d) for d in depths})


def _remove_made_folders(root: Path, chain: FolderChain) -> None:
    """After a delete: remove the folders above it that it left empty, deepest first, as long as
    each is one vaultlink made (``FolderRecord``); a user's empty folder stays."""
    record = FolderRecord(root / STATE_DIR)
    made = record.load()
    removed: list[str] = []
    for depth in range(len(chain.names), 0, -1):
        rel = "/".join(chain.names[:depth])
        if made.get(rel) != chain.identity(depth) or not chain.remove_folder(depth):
            break
        removed.append(rel)
    record.drop(removed)


def _create(path: Path, chain: FolderChain, name: str, data: bytes) -> None:
    try:
        chain.lstat(name)
    except FileNotFoundError:
        pass
    else:
        chain.remove_empty(chain.created)
        raise WriteRefused(occupied(path, name))
    try:
        replace_file(path, data, 0o666 & ~_umask(), no_clobber=True, chain=chain)
    except WriteRefused as exc:
        chain.remove_empty(chain.created)
        if str(exc) == APPEARED:
            raise WriteRefused(occupied(path, name)) from exc
        raise
    except BaseException:
        chain.remove_empty(chain.created)
        raise


def _refuse_read_only(st: os.stat_result) -> None:
    """A note with no write permission for anyone was made read-only on purpose: never
    replaced or deleted. (Mode bits, not ``os.access``: root may write anything.)"""
    if stat.S_ISREG(st.st_mode) and not stat.S_IMODE(st.st_mode) & 0o222:
        raise WriteRefused(READ_ONLY)


def read_only_reason(root: Path, rel: str) -> str:
    """Why ``rel`` would be left alone as read-only, or "" (for a dry run's report)."""
    try:
        _refuse_read_only((root / rel).lstat())
    except WriteRefused as exc:
        return str(exc)
    except OSError:
        pass
    return ""


def _unchanged(path: Path, expected: str, seen: os.stat_result) -> bool:
    """Does ``path`` still hold ``expected``, in the very file ``seen`` at the start? The
    identity is checked on both sides of the hash: the hash reads through a symbolic link,
    and a file swapped in after the hash must not be replaced either. (Between this check
    and the rename there is no way, with ``rename(2)``, to close the last instant.)"""
    _same_file(path, seen)
    current = _current_digest(path)
    if current is None:
        raise WriteRefused(DELETED)
    if current != expected:
        return False
    _same_file(path, seen)
    return True


def _same_file(path: Path, seen: os.stat_result) -> None:
    try:
        now = path.lstat()
    except FileNotFoundError as exc:
        raise WriteRefused(DELETED) from exc
    if stat.S_ISLNK(now.st_mode):
        raise WriteRefused("became a symbolic link since it was read; left alone")
    if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (seen.st_dev, seen.st_ino):
        raise WriteRefused("replaced by another file since it was read; left alone")


def replace_file(
    path: Path,
    data: bytes,
    mode: int | None = None,
    check: Callable[[], bool] | None = None,
    *,
    no_clobber: bool = False,
    chain: FolderChain | None = None,
    guard: OpenWriterGuard | None = None,
    owner: os.stat_result | None = None,
) -> None:
    """Atomically put ``data`` at ``path``: temp file in the same folder, fsync, ``os.replace``.

    ``mode`` defaults to the existing file's (or the umask's for a new file). ``check`` runs
    just before the replace; if it fails the file is left alone (WriteRefused). With
    ``no_clobber`` the file is created with a hard link, which fails if anything is there.
    With ``chain`` (the note's folder, opened) the rename happens in that very folder; the
    ``guard`` sees the old file around the replace; ``owner`` is the old file's stat, whose
    owner and group the new file keeps where the process may give them.

    The temp file is removed again through a handle on its folder, not by path: a folder
    renamed meanwhile would otherwise keep it.
    """
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
    folder = _open_folder(path.parent) if chain is None or chain.fd is None else os.dup(chain.fd)
    try:
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
        temp = _TempFile(tmp, os.fstat(fd), folder)
        try:
            with os.fdopen(fd, "wb") as f:
                if owner is not None:
                    keep_owner(f.fileno(), owner)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            if chain is not None and not temp.in_folder():
                raise WriteRefused(LINKED_FOLDER)
            os.chmod(tmp, mode)
            if check is not None and not check():
                raise WriteRefused(CHANGED)
            _swap_in(temp, path, guard, no_clobber=no_clobber)
        finally:
            temp.remove()
        _fsync_folder(path.parent, folder)
    finally:
        if folder is not None:
            os.close(folder)


def _swap_in(temp: _TempFile, path: Path, guard: OpenWriterGuard | None, *, no_clobber: bool) -> None:
    """The temp file takes the note's name. By path: the temp file exists only in the opened
    folder (``_TempFile.in_folder``), so a rename through a folder swapped meanwhile finds no
    source and fails instead of landing elsewhere."""
    if no_clobber:
        _link_new(temp.path, path)
        return
    if guard is not None:
        guard.before_replace(_temp_name())
    if not platform.replace_held_open(temp.path, path):
        raise WriteRefused(HELD_OPEN)
    if guard is not None:
        guard.after_replace(temp.st)


def _temp_name() -> str:
    """A name ``is_temp_name`` accepts (as ``mkstemp``'s): a leftover is removed by the next run."""
    return TEMP_PREFIX + "".join(secrets.choice(_TEMP_CHARS) for _ in range(8)) + TEMP_SUFFIX


@dataclass(frozen=True)
class _TempFile:
    """A temp file just made, and its folder's descriptor (None if it could not be opened)."""

    path: str
    st: os.stat_result
    folder: int | None

    def in_folder(self) -> bool:
        """Is the temp file in the opened folder (not made through a folder swapped meanwhile)?"""
        if self.folder is None:
            return True
        try:
            now = os.stat(os.path.basename(self.path), dir_fd=self.folder, follow_symlinks=False)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (self.st.st_dev, self.st.st_ino)

    def remove(self) -> None:
        """Unlink the temp file wherever its folder is now; a failure leaves it for the next
        run to remove (``remove_temp_file``), never masks what happened to the note."""
        with contextlib.suppress(OSError):
            if self.folder is None:
                os.unlink(self.path)
                return
            if self.in_folder():  # ours, not a namesake
                os.unlink(os.path.basename(self.path), dir_fd=self.folder)
            else:  # made through a folder swapped for a link: removed where it is, if still ours
                now = os.lstat(self.path)
                if (now.st_dev, now.st_ino) == (self.st.st_dev, self.st.st_ino):
                    os.unlink(self.path)


def _open_folder(folder: Path) -> int | None:
    try:
        return os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return None


def is_temp_name(name: str) -> bool:
    """Is ``name`` one of vaultlink's temp files? (``mkstemp`` puts 8 characters of
    ``[a-z0-9_]`` between prefix and suffix; a test pins that.)"""
    return _TEMP_NAME.fullmatch(name) is not None


def remove_temp_file(root: Path, rel: str) -> None:
    """Remove a temp file left by a run that was killed mid-write. Only while holding the
    vault's lock: then no other run is writing, and every such file is a leftover."""
    if not is_temp_name(rel.rsplit("/", 1)[-1]):
        raise ValueError(f"{rel}: not a vaultlink temp file")
    if not stat.S_ISREG((root / rel).lstat().st_mode):
        return  # a symbolic link or a folder with that name is not a file vaultlink made
    contained_path(root, rel).unlink()


def _link_new(tmp: str, path: Path) -> None:
    try:
        os.link(tmp, path)
    except FileExistsError as exc:
        raise WriteRefused(APPEARED) from exc
    except OSError:  # no hard links on this file system: check, then rename
        if path.exists() or path.is_symlink():
            raise WriteRefused(APPEARED) from None
        os.replace(tmp, path)


def delete_file(root: Path, rel: str, expected: str) -> None:
    """Delete a file only if it still holds the bytes the plan saw, in the folder reached
    without following links; drop folders this leaves empty."""
    path = contained_path(root, rel)
    *folders, name = rel.split("/")
    try:
        chain = open_chain(root, folders)
    except FileNotFoundError as exc:
        raise WriteRefused(DELETED) from exc
    try:
        try:
            seen = chain.lstat(name)
        except FileNotFoundError as exc:
            raise WriteRefused(DELETED) from exc
        if not stat.S_ISREG(seen.st_mode):
            raise WriteRefused("not a regular file; left alone")
        _refuse_read_only(seen)
        refuse_other_owner(seen)
        if _current_digest(path) != expected:
            raise WriteRefused(CHANGED)
        _same_file(path, seen)
        if chain.fd is not None:
            os.unlink(name, dir_fd=chain.fd)
        else:
            path.unlink()
        _remove_made_folders(root, chain)
    finally:
        chain.close()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path, fd: int | None = None) -> None:
    """Make a rename in ``folder`` durable (through ``fd`` when the folder is already open).
    Not on Windows: a folder can't be opened there, and NTFS makes the rename durable itself."""
    if platform.windows():
        return
    with contextlib.suppress(OSError):
        if fd is not None:
            os.fsync(fd)
            return
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
