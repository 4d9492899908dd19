"""The file system side of reading a vault: which files are notes, and their bytes."""

from __future__ import annotations

import os
import posixpath
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from vaultlink.core.config import Config
from vaultlink.core.note import Diagnostic
from vaultlink.core.parse import too_large
from vaultlink.errors import VaultNotFound
from vaultlink.writer import is_temp_name


@dataclass
class Listing:
    """The vault's note paths (vault-relative, ``/``-separated, sorted) and what was skipped."""

    paths: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    temp_files: list[str] = field(default_factory=list)
    """vaultlink's own temp files found on the way (``writer.is_temp_name``): while no run
    is writing, leftovers of a run killed mid-write."""
    ignored: list[str] = field(default_factory=list)
    """Note files the ignore rules keep vaultlink from reading, but Obsidian shows (not in a
    dot-folder): never read, written or suggested, but links to them resolve (sorted)."""
    stamps: dict[str, FileStamp] = field(default_factory=dict)
    """Each listed note's stamp, taken by the walk (not for symbolic links: ``note_stamp``
    follows them). A run that only needs to know whether notes changed stats nothing again."""


def vault_root(path: str | os.PathLike[str]) -> Path:
    """The vault folder, checked to exist."""
    root = Path(path)
    if not root.is_dir():
        raise VaultNotFound(f"{root}: no such vault folder")
    return root


class IgnoreRules:
    """Dot-folders and dot-files, Obsidian's "Excluded files", Obsidian's templates (folders of
    the Templates and Templater plugins, the daily note's template) and ``.vaultlink.toml`` globs.

    The user's globs use gitignore syntax (via ``pathspec``): ``drafts/``, ``**/*.tmp.md``.
    Obsidian's filters are either a path prefix or a ``/regex/``.
    """

    def __init__(self, config: Config) -> None:
        self.spec = pathspec.PathSpec.from_lines("gitignore", config.ignore)
        self.prefixes: list[str] = []
        self.patterns: list[re.Pattern[str]] = []
        for entry in config.obsidian_ignore:
            if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
                try:
                    self.patterns.append(re.compile(entry[1:-1]))
                except re.error:
                    continue
            elif entry.strip():
                self.prefixes.append(entry.strip())
        self.templates = [t.strip("/") for t in config.templates if t.strip("/")]
        self.config = config

    def ignores_path(self, rel: str) -> bool:
        """Is ``rel`` ignored itself or through any of its folders (a path not yet walked)?"""
        parts = rel.split("/")
        return any(self.ignores("/".join(parts[: i + 1]), is_dir=i < len(parts) - 1) for i in range(len(parts)))

    def ignores(self, rel: str, is_dir: bool) -> bool:
        return self.hides(rel) or self.leaves_out(rel, is_dir)

    @staticmethod
    def hides(rel: str) -> bool:
        """Is ``rel`` a dot-file or dot-folder, which Obsidian does not show either?"""
        return rel.rsplit("/", 1)[-1].startswith(".")

    def leaves_out(self, rel: str, is_dir: bool) -> bool:
        """Is ``rel`` left out by a setting (not for being hidden)?"""
        if self._is_template(rel, is_dir):
            return True
        if self.spec.match_file(rel + "/" if is_dir else rel):
            return True
        if any(rel == p.rstrip("/") or rel.startswith(p.rstrip("/") + "/") for p in self.prefixes):
            return True
        return any(p.search(rel) for p in self.patterns)

    def _is_template(self, rel: str, is_dir: bool) -> bool:
        bare = rel if is_dir else self.config.without_extension(rel)
        return any(rel == t or bare == t or rel.startswith(t + "/") for t in self.templates)


def list_notes(root: Path, config: Config) -> Listing:
    """Walk the vault for note files, never leaving it (symlinks out are skipped)."""
    rules = IgnoreRules(config)
    listing = Listing()
    real_root = root.resolve()
    for rel, is_link, stamp, left_out in _walk(root, rules, listing.temp_files):
        if not config.is_note_name(rel):
            continue
        if left_out:
            listing.ignored.append(rel)
            continue
        if not _is_valid_name(rel):
            listing.diagnostics.append(
                Diagnostic(_printable(rel), "file-name", "file name is not valid UTF-8; skipped")
            )
            continue
        if is_link:
            problem = _symlink_problem(root / rel, real_root)
            if problem:
                listing.diagnostics.append(Diagnostic(rel, "symlink", f"{problem}; skipped"))
                continue
        listing.paths.append(rel)
        if stamp is not None:
            listing.stamps[rel] = stamp
    listing.paths.sort()
    listing.ignored.sort()
    return listing


def _walk(
    root: Path, rules: IgnoreRules, temp_files: list[str]
) -> Iterator[tuple[str, bool, FileStamp | None, bool]]:
    """(relative path, is a symlink, stamp) of every file not hidden (a dot-name), folders in
    sorted order depth first (as ``os.walk``); vaultlink's temp files go to ``temp_files``.
    Files an ignore setting leaves out are walked too (links find them), flagged. Symlinked
    folders are not entered: that is how loops and escapes out of the vault are avoided.
    A file's stamp comes from the walk's own ``lstat`` (None for a symbolic link), so
    listing a vault stats each file once."""
    folders: list[tuple[str, str, bool]] = [("", os.fspath(root), False)]
    while folders:
        prefix, folder, folder_left_out = folders.pop()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError:
            continue  # gone or unreadable meanwhile: as os.walk, skipped
        subfolders: list[tuple[str, bool]] = []
        for entry in entries:
            rel = prefix + entry.name
            if _is_folder(entry):
                if not entry.is_symlink() and not rules.hides(rel):
                    subfolders.append((entry.name, folder_left_out or rules.leaves_out(rel, is_dir=True)))
            elif is_temp_name(entry.name):
                temp_files.append(rel)
            elif not rules.hides(rel):
                left_out = folder_left_out or rules.leaves_out(rel, is_dir=False)
                yield rel, entry.is_symlink(), None if entry.is_symlink() else _entry_stamp(entry), left_out
        folders.extend(
            (f"{prefix}{name}/", os.path.join(folder, name), left_out)
            for name, left_out in sorted(subfolders, reverse=True)
        )


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _entry_stamp(entry: os.DirEntry[str]) -> FileStamp | None:
    seen = time.time_ns()
    try:
        return stamp_of(entry.stat(follow_symlinks=False), seen)
    except OSError:
        return None


def walk_problem(root: Path, rel: str) -> str:
    """Why sync's walk would not list the note (or folder) ``rel``, or "" if it would: a folder on
    its way that is a symbolic link is never entered, and a symbolically linked note is read only
    if it leads to a file inside the vault. (The watcher asks this of each path an event names.)"""
    parts = rel.split("/")
    for depth in range(1, len(parts)):
        if (root.joinpath(*parts[:depth])).is_symlink():
            return "a folder on its path is a symbolic link, which vaultlink does not enter"
    if (root / rel).is_symlink():
        return _symlink_problem(root / rel, root.resolve())
    return ""


def _symlink_problem(path: Path, real_root: Path) -> str:
    """Why a symlinked note can't be read safely, or "" if it can."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return "broken symbolic link"
    if not real.is_relative_to(real_root):
        return "symbolic link leads outside the vault"
    return "" if real.is_file() else "symbolic link to something that is not a file"


def _is_valid_name(rel: str) -> bool:
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable(rel: str) -> str:
    return rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class FileStamp:
    """What ``stat`` says of a file (if any of it differs, the file may have changed), and
    ``seen_ns``: the wall-clock time just *before* the stat, not part of the comparison."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    seen_ns: int = field(default=0, compare=False)


def stamp_of(st: os.stat_result, seen_ns: int) -> FileStamp:
    return FileStamp(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, seen_ns)


def note_stamp(root: Path, rel: str) -> FileStamp | None:
    """The note's stamp, or None if it can't be stat'ed (gone, or no permission)."""
    seen = time.time_ns()
    try:
        return stamp_of(os.stat(root / rel), seen)
    except OSError:
        return None


@dataclass(frozen=True, slots=True)
class NoteFile:
    """A note's bytes and its stamp, taken *before* the read: a change during the read then
    leaves a stamp that no longer matches, so the next run reads the file again."""

    data: bytes
    stamp: FileStamp


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def read_note_file(root: Path, rel: str, max_bytes: int) -> NoteFile | Diagnostic:
    """A note's bytes and stamp; a file over ``max_bytes`` is not read at all."""
    try:
        # Non-blocking: a FIFO named like a note would otherwise wait for a writer forever.
        with open(root / rel, "rb", opener=_open_nonblocking) as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return Diagnostic(rel, "unreadable", "not a regular file (a FIFO, socket or device); skipped")
            stamp = stamp_of(st, time.time_ns())
            if stamp.size > max_bytes:
                return too_large(rel, stamp.size, max_bytes)
            # Ask for the size stat gave, not the limit: a 5 MB request per note leaves a
            # memory mapping behind each time, and 65k of them exhaust the process's map limit.
            data = f.read(stamp.size + 1)
            if len(data) > stamp.size:  # it grew since the stat: the rest, up to the limit
                data += f.read(max_bytes + 1 - len(data))
            return NoteFile(data, stamp)
    except OSError as exc:
        return Diagnostic(rel, "unreadable", exc.strerror or str(exc))


def relative_to(root: Path, path: str | os.PathLike[str]) -> str | None:
    """``path`` as a vault-relative ``/`` path, or None if it is outside the vault."""
    try:
        rel = os.path.relpath(os.fspath(path), os.fspath(root))
    except ValueError:
        return None
    rel = rel.replace(os.sep, "/")
    if rel == "." or rel.startswith("../") or rel == "..":
        return None
    return posixpath.normpath(rel)
