"""The scan cache's file (``cache.sqlite``): open it, writable or read-only; check that it is
vaultlink's and sound (its schema, its format); rebuild it when it is not; remove it (``clean``).
A file vaultlink can't tell it made is never deleted. The rows in it are ``cache.py``'s."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from vaultlink.cache import COLUMNS, FORMAT, SCHEMA, ForeignCache, ScanCache, cache_warning
from vaultlink.core.config import Config
from vaultlink.core.note import Diagnostic
from vaultlink.lock import STATE_DIR
from vaultlink.made_folders import RECORD_NAME

CACHE_FILE = "cache.sqlite"


def open_cache(folder: Path, config: Config, *, writable: bool = True) -> tuple[ScanCache | None, Diagnostic | None]:
    """The cache in ``folder`` (made if missing), or None and a warning saying why not.

    A cache that is damaged, has another schema or was written by another version is deleted
    and started anew, but only a file vaultlink can tell it made (``made_by_vaultlink``):
    another program's ``cache.sqlite`` in a ``--cache-dir`` is left as it is, and the run goes
    on without a cache. Not ``writable``: an existing cache is read, nothing is created or
    changed (for commands that promise to write nothing).
    """
    path = folder / CACHE_FILE
    if not writable:
        return _open_read_only(path, config)
    if path.exists() and not made_by_vaultlink(path):
        return None, cache_warning(path, f"{NOT_OURS}; left alone, running without a cache")
    try:
        _make_folder(folder)
    except OSError as exc:
        return None, cache_warning(path, f"cannot be created ({exc.strerror or exc}); running without a cache")
    try:
        return ScanCache(path, _connect(path), config), None
    except ForeignCache as exc:
        reason = str(exc)
    except sqlite3.DatabaseError as exc:
        reason = f"damaged ({exc})"
    except sqlite3.Error as exc:
        return None, cache_warning(path, f"cannot be opened ({exc}); running without a cache")
    try:
        path.unlink(missing_ok=True)
        return ScanCache(path, _connect(path), config), cache_warning(path, f"{reason}; discarded and rebuilt")
    except (OSError, sqlite3.Error) as exc:
        return None, cache_warning(path, f"{reason} and cannot be replaced ({exc}); running without a cache")


NOT_OURS = "is not a cache vaultlink made (another program's file, or damaged past telling)"
_FORMAT_FAMILY = "vaultlink-cache/"


def made_by_vaultlink(path: Path) -> bool:
    """May vaultlink delete the ``cache.sqlite`` at ``path``? Yes if it sits in a vault's own
    ``.vaultlink/`` folder (which only vaultlink makes), or if it is a SQLite database whose
    ``meta`` table names a vaultlink cache format (any version); a file that can't be opened
    elsewhere is someone else's until proven otherwise."""
    if path.parent.name == STATE_DIR:
        return True
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
    except (OSError, sqlite3.Error):
        return False
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return row is not None and isinstance(row[0], str) and row[0].startswith(_FORMAT_FAMILY)


def _open_read_only(path: Path, config: Config) -> tuple[ScanCache | None, Diagnostic | None]:
    if not path.is_file():
        return None, None
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        return None, cache_warning(path, f"cannot be opened ({exc}); running without a cache")
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None or row[0] != FORMAT:
            raise ForeignCache("was written by another version")
        return ScanCache(path, db, config, writable=False), None
    except (ForeignCache, sqlite3.Error) as exc:
        db.close()
        return None, cache_warning(path, f"not used ({exc}); running without a cache")


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=5.0)
    try:
        db.executescript(SCHEMA)
        _check_schema(db)
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None:
            db.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))
            db.commit()
        elif row[0] != FORMAT:
            raise ForeignCache(f"was written by another version ({row[0]})")
    except BaseException:
        db.close()
        raise
    return db


def _check_schema(db: sqlite3.Connection) -> None:
    """Exactly vaultlink's tables, their columns, and nothing else (a trigger, a view, an
    extra column): any of those makes every later write fail, so the cache is rebuilt instead."""
    objects = db.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex_%'"
    ).fetchall()
    if sorted(objects) != sorted(("table", name) for name in COLUMNS):
        raise ForeignCache("damaged (its schema is not vaultlink's)")
    for table, columns in COLUMNS.items():
        if [row[1] for row in db.execute(f"PRAGMA table_info({table})")] != columns:
            raise ForeignCache(f"damaged (table {table} is not vaultlink's)")


GITIGNORE = "*\n"


def _make_folder(folder: Path) -> None:
    """The cache folder, with a ``.gitignore`` so a vault kept in git never commits the cache."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        with contextlib.suppress(OSError):
            ignore.write_text(GITIGNORE)


def remove_cache(folder: Path) -> None:
    """Delete the cache, the ``.gitignore`` made for it, and the folder if that leaves it
    empty (``clean`` leaves no trace); a ``cache.sqlite`` vaultlink can't tell it made stays."""
    with contextlib.suppress(OSError):
        cache = folder / CACHE_FILE
        if cache.exists() and not made_by_vaultlink(cache):
            return
        cache.unlink(missing_ok=True)
        if folder.name == STATE_DIR:  # the folders vaultlink made and could not remove are the user's now
            (folder / RECORD_NAME).unlink(missing_ok=True)
        ignore = folder / ".gitignore"
        if ignore.is_file() and ignore.read_text() == GITIGNORE:
            ignore.unlink()
        folder.rmdir()
