"""The scan cache: ``.vaultlink/cache.sqlite`` in the vault, or ``--cache-dir``.

It makes the next run cheap and is never needed for correctness (deleting it changes no
output):

- a parsed note is reused only for the same path, config, vaultlink version and
  ``parse_key`` (computed from the bytes just read), so a stale row can't be used;
- a file's content digest is trusted without reading the file only when its stat stamp is
  unchanged and was taken well after the file's last change (git's "racy" rule: a save in
  the same clock tick as the stamp would otherwise go unseen). That is used for one thing:
  to see that nothing at all changed since a sync finished, and skip the whole run;
- a cache that is corrupt, unreadable or from another version is discarded with a warning
  (``cache_file.py`` opens, checks, rebuilds and removes the file; this module is its rows).

Only each file's stamp, digest and parse key are held in memory; parses stay in the database,
are fetched one by one when asked for, and new ones are written in batches as they come (a
100,000-note vault's parses are about half a gigabyte of JSON). A run killed mid-scan leaves
the batches it committed: every row stands on its own (a parse is used only for the bytes
whose key it was stored with), so they are as good as rows a finished run wrote.

The ``answers`` table holds what the last sync left for the questions (``answers.py``): one
key, one JSON value, replaced all at once.

Rows are JSON (``core.codec``), never pickle: the file sits in the vault, where other
people's sync tools may write, and unpickling a crafted file would run code.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from vaultlink import __version__
from vaultlink.core.codec import decode_parsed, encode_parsed
from vaultlink.core.config import Config
from vaultlink.core.note import Diagnostic, ParsedNote, Severity
from vaultlink.vault import FileStamp

FORMAT = f"vaultlink-cache/12 vaultlink/{__version__}"
# A stamp is trusted only if the file's mtime is older than the stat by more than the file
# system's time granularity: whole-second times (FAT, HFS+, ext3) may be 2 s coarse; others
# are at worst a kernel tick (10 ms) coarse.
COARSE_RACY_NS = 2_500_000_000
FINE_RACY_NS = 100_000_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    stamped_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    parse_key TEXT,
    parsed TEXT
);
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
COLUMNS = {
    "meta": ["key", "value"],
    "files": ["path", "size", "mtime_ns", "ctime_ns", "inode", "stamped_ns", "digest", "parse_key", "parsed"],
    "answers": ["key", "value"],
}
"""Each table's columns, as ``SCHEMA`` makes them (``cache_file`` checks a file against them)."""


@dataclass(frozen=True, slots=True)
class FileRow:
    """What the cache knows of one note file."""

    stamp: FileStamp
    digest: str
    parse_key: str | None
    has_parse: bool
    """A parse is stored for ``parse_key`` (in the database, or about to be: ``ScanCache.parsed``)."""

    def trusted(self, stamp: FileStamp) -> bool:
        """Does ``stamp`` prove the file still holds ``digest``?"""
        mtime = self.stamp.mtime_ns
        margin = COARSE_RACY_NS if mtime % 1_000_000_000 == 0 else FINE_RACY_NS
        return stamp == self.stamp and mtime < self.stamp.seen_ns - margin


def config_key(config: Config) -> str:
    """Changes whenever anything that changes how notes are read changes."""
    return hashlib.sha256(f"{FORMAT}\0{config!r}".encode()).hexdigest()


BATCH = 1_000
"""Rows written per transaction while a scan goes on: what a cold scan holds of parses' JSON."""


@dataclass(frozen=True, slots=True)
class _Change:
    """A row to write (``row`` None: to delete). ``parsed`` is the parse's JSON to store; with
    ``keep_parse`` the stored parse stays (the file's parse key is unchanged)."""

    row: FileRow | None
    parsed: str | None = None
    keep_parse: bool = False


class ScanCache:
    """The cache of one vault: every file's stamp, digest and parse key loaded at open (one row
    per note), the parses fetched when asked for; what changes is written in batches of
    ``BATCH`` rows as it comes, and the rest by ``save``."""

    def __init__(self, path: Path, connection: sqlite3.Connection, config: Config, *, writable: bool = True) -> None:
        self.path = path
        self.writable = writable
        self._db = connection
        self.rows: dict[str, FileRow] = {}
        self._pending: dict[str, _Change] = {}
        self._write_failed = False
        self._answers: dict[str, str] | None = None
        """The answers to write (``set_answers``): they replace every stored one."""
        self._meta: dict[str, str] = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        if self._meta.get("config") != config_key(config):
            if writable:
                self._db.execute("DELETE FROM files")  # committed with the new meta, by the first write
                self._db.execute("DELETE FROM answers")
            self._meta = {"format": FORMAT, "config": config_key(config)}
            self._meta_dirty = True
        else:
            self._meta_dirty = False
            self._load_rows()

    def _load_rows(self) -> None:
        """Every row but its parse (only whether it has one, and that it is text)."""
        for path_, size, mtime, ctime, inode, stamped, digest, key, kind in self._db.execute(
            "SELECT path, size, mtime_ns, ctime_ns, inode, stamped_ns, digest, parse_key, typeof(parsed) FROM files"
        ):
            if not _row_types_ok(path_, (size, mtime, ctime, inode, stamped), digest, key, kind):
                raise ForeignCache("damaged (a row holds values of the wrong type)")
            self.rows[path_] = FileRow(FileStamp(size, mtime, ctime, inode, stamped), digest, key, kind == "text")

    # --- reading ---------------------------------------------------------------------------------

    def parsed(self, rel: str, parse_key: str) -> ParsedNote | None:
        """The cached parse of ``rel`` if its bytes still have ``parse_key``."""
        row = self.rows.get(rel)
        if row is None or row.parse_key != parse_key or not row.has_parse:
            return None
        text = self._stored_parse(rel, parse_key)
        if text is None:
            return None
        try:
            parsed = decode_parsed(text)
        except ValueError:
            return None
        return parsed if parsed.path == rel else None

    def _stored_parse(self, rel: str, parse_key: str) -> str | None:
        """The parse's JSON, not yet written or from the database; None if the database holds
        none for ``parse_key`` (another run may have written the row since it was loaded)."""
        change = self._pending.get(rel)
        if change is not None and change.parsed is not None:
            return change.parsed
        try:
            found = self._db.execute("SELECT parse_key, parsed FROM files WHERE path = ?", (rel,)).fetchone()
        except sqlite3.Error:
            return None
        if found is None or found[0] != parse_key or type(found[1]) is not str:
            return None
        text: str = found[1]
        return text

    def trusted_digest(self, rel: str, stamp: FileStamp | None) -> str | None:
        row = self.rows.get(rel)
        return row.digest if row is not None and stamp is not None and row.trusted(stamp) else None

    # --- writing ---------------------------------------------------------------------------------

    def record(self, rel: str, stamp: FileStamp, digest: str, parse_key: str, parsed: ParsedNote | None) -> None:
        """Remember one file as just read, or just written by vaultlink (``parsed`` None: keep
        the parse already cached if the file's ``parse_key`` is unchanged)."""
        old = self.rows.get(rel)
        known = old is not None and old.digest == digest and old.parse_key == parse_key and old.trusted(stamp)
        if known and (parsed is None or (old is not None and old.has_parse)):
            return  # nothing new to remember
        keep = parsed is None and old is not None and old.parse_key == parse_key and old.has_parse
        row = FileRow(stamp, digest, parse_key, keep or (parsed is not None and self.writable))
        self.rows[rel] = row
        if not self.writable:
            return  # never saved: remember what was seen, not the parse
        if keep:
            earlier = self._pending.get(rel)
            text = earlier.parsed if earlier is not None else None  # a parse not written yet stays too
            self._queue(rel, _Change(row, text, keep_parse=text is None))
        else:
            self._queue(rel, _Change(row, encode_parsed(parsed) if parsed is not None else None))

    def forget(self, rel: str) -> None:
        if rel in self.rows:
            del self.rows[rel]
            if self.writable:
                self._queue(rel, _Change(None))

    def keep_only(self, paths: Iterable[str]) -> None:
        """Drop the rows of files that are gone."""
        keep = set(paths)
        for rel in [p for p in self.rows if p not in keep]:
            self.forget(rel)

    def _queue(self, rel: str, change: _Change) -> None:
        """Write ``change`` with the next batch; a full batch is written now. After a failure
        the rows wait for ``save``, which tries once more and reports it."""
        self._pending[rel] = change
        if len(self._pending) >= BATCH and not self._write_failed:
            try:
                self._write_pending()
            except sqlite3.Error:
                self._write_failed = True

    # --- the last finished sync ------------------------------------------------------------------

    def finished_sync(self) -> tuple[str, str] | None:
        """(fingerprint, report JSON) of the last sync that left nothing to do."""
        fingerprint, report = self._meta.get("synced"), self._meta.get("synced_report")
        return (fingerprint, report) if fingerprint and report else None

    def set_finished_sync(self, fingerprint: str | None, report: str = "") -> None:
        self._meta["synced"] = fingerprint or ""
        self._meta["synced_report"] = report
        self._meta_dirty = True

    # --- the questions' answers (``answers.py``) --------------------------------------------------

    def answers(self, keys: Iterable[str], prefix: str = "") -> dict[str, str]:
        """The stored answers under ``keys`` and, with ``prefix``, every one whose key starts with
        it: read in one statement, so all of one sync's (``set_answers``), or none when the
        database can't be read."""
        keys = list(keys)
        if self._answers is not None:
            return {k: v for k, v in self._answers.items() if k in keys or (prefix and k.startswith(prefix))}
        clauses = [f"key IN ({', '.join('?' * len(keys))})"] if keys else []
        if prefix:
            clauses.append("substr(key, 1, ?) = ?")
        query = "SELECT key, value FROM answers WHERE " + (" OR ".join(clauses) or "0")
        params = [*keys, *([len(prefix), prefix] if prefix else [])]
        try:
            rows = self._db.execute(query, params).fetchall()
        except sqlite3.Error:
            return {}
        return {k: v for k, v in rows if type(k) is str and type(v) is str}

    def set_answers(self, answers: dict[str, str]) -> None:
        """Replace every stored answer by ``answers`` (written by ``save``, in one transaction)."""
        self._answers = dict(answers)

    def save(self) -> Diagnostic | None:
        """Write what is not written yet, in one transaction; a warning if that failed."""
        if not self.writable:
            return None
        try:
            self._write_pending()
        except sqlite3.Error as exc:
            return cache_warning(self.path, f"could not be updated ({exc}); the next run reads more")
        return None

    def _write_pending(self) -> None:
        """One transaction: the meta if it changed (first, so rows never land under another
        config's meta), then the pending rows."""
        with self._db:
            if self._meta_dirty:
                self._db.execute("DELETE FROM meta")  # a key dropped in memory (a reset) goes too
                self._db.executemany("INSERT INTO meta VALUES (?, ?)", self._meta.items())
            changes = self._pending.items()
            self._db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p, c in changes if c.row is None])
            self._db.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(p, *_columns(c.row), c.parsed) for p, c in changes if c.row is not None and not c.keep_parse],
            )
            self._db.executemany(
                _KEEP_PARSE, [(p, *_columns(c.row)) for p, c in changes if c.row is not None and c.keep_parse]
            )
            if self._answers is not None:
                self._db.execute("DELETE FROM answers")
                self._db.executemany("INSERT INTO answers VALUES (?, ?)", self._answers.items())
        self._pending.clear()
        self._answers = None
        self._meta_dirty = False

    def close(self) -> None:
        self._db.close()


# A row whose stored parse stays: every column but ``parsed`` is set (inserted without a parse
# if the row is not there after all).
_KEEP_PARSE = """
INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)
ON CONFLICT(path) DO UPDATE SET
    size = excluded.size, mtime_ns = excluded.mtime_ns, ctime_ns = excluded.ctime_ns, inode = excluded.inode,
    stamped_ns = excluded.stamped_ns, digest = excluded.digest, parse_key = excluded.parse_key
"""


def _row_types_ok(path: object, stamp: tuple[object, ...], digest: object, key: object, parse_type: object) -> bool:
    """``parse_type``: SQLite's ``typeof`` of the stored parse."""
    return (
        type(path) is str
        and all(type(v) is int for v in stamp)
        and type(digest) is str
        and (key is None or type(key) is str)
        and parse_type in ("null", "text")
    )


def _columns(row: FileRow) -> tuple[int | str | None, ...]:
    """The row's columns but its path and its parse."""
    s = row.stamp
    return (s.size, s.mtime_ns, s.ctime_ns, s.inode, s.seen_ns, row.digest, row.parse_key)


def cache_warning(path: Path, message: str) -> Diagnostic:
    return Diagnostic(str(path), "cache", message, Severity.WARNING)


class ForeignCache(Exception):
    """The cache file is not one this version of vaultlink can use; the message says why."""


def fingerprint(entries: Iterable[tuple[str, str]], *extra: str) -> str:
    """One digest of (path, content digest) pairs plus whatever else a result depends on."""
    h = hashlib.sha256()
    for part in extra:
        h.update(part.encode("utf-8", "surrogatepass") + b"\0")
    for rel, digest in sorted(entries):
        h.update(f"{rel}\0{digest}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()
