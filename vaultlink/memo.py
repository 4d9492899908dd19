"""The sync memo: when no note changed since a sync that left nothing to do, the next sync ends
after a ``stat`` of each note. The cache keeps the vault's fingerprint (every note's digest, the
config, the sync options, the listing's problems) and that sync's outcome."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from vaultlink.cache import ScanCache, fingerprint
from vaultlink.core.config import Config
from vaultlink.core.digest import digest
from vaultlink.core.note import Diagnostic
from vaultlink.core.parse import parse_key, parse_note
from vaultlink.core.plan import EditKind, Plan, SyncOptions
from vaultlink.report import SyncReport
from vaultlink.vault import Listing, note_stamp, read_note_file


def _sync_fingerprint(
    digests: Iterable[tuple[str, str]], config: Config, listing: Listing, options: SyncOptions
) -> str:
    ignored = ("ignored: " + p for p in listing.ignored)  # links find them: one coming or going matters
    return fingerprint(digests, repr(config), repr(options), *(d.line() for d in listing.diagnostics), *ignored)


def unchanged_since_sync(
    root: Path, config: Config, listing: Listing, options: SyncOptions, store: ScanCache | None
) -> SyncReport | None:
    """The last sync's outcome if no note changed since it left nothing to do, else None.

    Notes whose stat stamp proves them unchanged are not read; the few the stamp can't
    vouch for (changed too close to when it was taken) are read and hashed.
    """
    finished = store.finished_sync() if store is not None else None
    if store is None or finished is None:
        return None
    digests: list[tuple[str, str]] = []
    for rel in listing.paths:
        row = store.rows.get(rel)
        stamp = listing.stamps.get(rel) or note_stamp(root, rel)
        if row is None or stamp is None:
            return None
        if not row.trusted(stamp):
            file = read_note_file(root, rel, config.max_bytes)
            if isinstance(file, Diagnostic) or digest(file.data) != row.digest:
                return None
            store.record(rel, file.stamp, row.digest, row.parse_key or parse_key(file.data), None)
        digests.append((rel, row.digest))
    if _sync_fingerprint(digests, config, listing, options) != finished[0]:
        return None
    return _report_from_json(finished[1])


def remember_sync(
    store: ScanCache,
    root: Path,
    config: Config,
    listing: Listing,
    options: SyncOptions,
    plan: Plan,
    report: SyncReport,
) -> None:
    """Record what sync wrote, and, if every planned edit landed, the vault's fingerprint: the
    next run over an unchanged vault then ends early with this report."""
    applied = set(report.changed) | set(report.created) | set(report.deleted)
    for edit in plan.edits:
        if edit.path not in applied:
            continue
        if edit.kind is EditKind.DELETE:
            store.forget(edit.path)
            continue
        assert edit.new_text is not None
        data = edit.new_text.encode("utf-8")
        stamp = note_stamp(root, edit.path)
        if stamp is None:
            continue
        # A note keeps its cached parse (its key is unchanged); a new stub has none yet, so
        # parse it now, while it is tiny and in hand, or the next command parses it instead.
        parsed = parse_note(edit.path, data, config) if edit.kind is EditKind.CREATE else None
        store.record(edit.path, stamp, digest(data), parse_key(data), parsed)
    paths = (set(listing.paths) | set(report.created)) - set(report.deleted)
    rows = [(rel, store.rows.get(rel)) for rel in paths]
    if len(applied) < len(plan.edits) or any(row is None for _, row in rows):
        store.set_finished_sync(None)
        return
    digests = [(rel, row.digest) for rel, row in rows if row is not None]
    scanned = report.scanned + len(report.created) - len(report.deleted)
    outcome = json.dumps({"scanned": scanned, "skipped": report.skipped, "held": report.held}, ensure_ascii=False)
    store.set_finished_sync(_sync_fingerprint(digests, config, listing, options), outcome)


def _report_from_json(text: str) -> SyncReport | None:
    try:
        data = json.loads(text)
        return SyncReport(
            scanned=int(data["scanned"]),
            skipped=[(str(p), str(r)) for p, r in data["skipped"]],
            held=[str(p) for p in data.get("held", [])],
            unchanged=True,
        )
    except (ValueError, TypeError, KeyError):
        return None  # not what we wrote: do the full run
