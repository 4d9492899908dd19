"""What a sync leaves for the questions: ``check``'s problems and every note's Related list, kept in
the cache with the vault state they were worked out from. A later ``check`` or ``related`` over a
vault in that same state answers from them after a ``stat`` of each note, instead of reading and
ranking every note again (issue 22).

The **state** is one digest (``cache.fingerprint``) of what a scan makes of the vault: each listed
note's parse key (``parse.parse_key``: its bytes but its managed blocks, which a scan never reads)
or why it can't be read (``scan.file_state``), the config, the listing's problems and ignored
notes, and the record of notes gone under watch. A scan's notes, links, scopes and problems, and
so the ranking, are a function of these (property 8). At question time a note's parse key is
taken from the cache only when its stat stamp proves the file unchanged (``FileRow.trusted``);
any other note is read and its key worked out. So answers are used for the state they were made
for or not at all: a stale, foreign or damaged entry means a full scan, never a wrong answer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from vaultlink.cache import FORMAT, ScanCache, fingerprint
from vaultlink.config import load_config
from vaultlink.core.config import Config
from vaultlink.core.note import Diagnostic, Note, Severity, Suggestion
from vaultlink.core.parse import parse_key
from vaultlink.core.plan import EditKind, Plan
from vaultlink.core.resolve import fold
from vaultlink.progress import Progress
from vaultlink.report import SyncReport
from vaultlink.scan import (
    CacheOptions,
    VaultScan,
    VaultSources,
    file_state,
    gone_notes,
    list_vault,
    open_vault_cache,
    read_vault,
)
from vaultlink.vault import Listing, note_stamp, read_note_file, vault_root

STATE = "state"
NOTES = "notes"
PROBLEMS = "problems"
RANKED = "ranked"
RELATED = "related:"
"""Keys of the answers: the state they hold for; the notes (path, aliases, is a stub) and the files
that can't be read; the scan's problems; the (top, min_score) the lists were ranked with; and,
``RELATED`` + path, each ranked note's Related list. Each question reads them in one statement
with the state, so never half of one sync's answers and half of another's."""
LIST_KEYS = 500
"""Lists asked for by key at most; more are read all at once."""


def state_key(read_as: Iterable[tuple[str, str]], config: Config, listing: Listing, gone: Mapping[str, str]) -> str:
    """The state of a vault whose notes were read as ``read_as`` (path, ``scan.file_state``)."""
    return fingerprint(
        read_as,
        FORMAT,
        repr(config),
        *(d.line() for d in listing.diagnostics),
        *("ignored: " + p for p in listing.ignored),
        *(f"gone: {k}\0{v}" for k, v in sorted(gone.items())),
    )


def current_state(root: Path, config: Config, listing: Listing, store: ScanCache) -> str:
    """The vault's state now: each note's parse key from the cache where its stamp vouches for
    it, else from its bytes, read now."""
    read_as: list[tuple[str, str]] = []
    for rel in listing.paths:
        row = store.rows.get(rel)
        stamp = listing.stamps.get(rel) or note_stamp(root, rel)
        if row is not None and row.parse_key is not None and stamp is not None and row.trusted(stamp):
            read_as.append((rel, row.parse_key))
        else:
            read_as.append((rel, file_state(read_note_file(root, rel, config.max_bytes))))
    listed = {fold(p) for p in (*listing.paths, *listing.ignored)}
    return state_key(read_as, config, listing, gone_notes(root, listed))


def remember_answers(
    store: ScanCache,
    scan: VaultScan,
    listing: Listing,
    problems: Iterable[Diagnostic],
    ranked: tuple[int, float],
    related: Mapping[str, list[Suggestion]],
    plan: Plan,
    report: SyncReport,
) -> None:
    """Keep what ``scan`` (of ``listing``) answers: its ``problems`` (as read, before any plan)
    and the Related lists ranked with ``ranked`` (top, min_score), for the vault as the edits of
    ``plan`` that landed (``report``) left it. Those change blocks, which no scan reads, and
    stubs, which change nothing a scan makes of the vault but its notes (GUIDE property 6: links
    to an unedited stub are links to a missing note, ``resolve.demote_stub_links``)."""
    landed = {*report.changed, *report.created, *report.deleted}
    read_as = dict(scan.read_as)
    notes = {n.path: (n.aliases, n.is_stub) for n in scan.notes}
    for edit in (e for e in plan.edits if e.path in landed):
        if edit.kind is EditKind.DELETE:
            read_as.pop(edit.path, None)
            notes.pop(edit.path, None)
        elif edit.new_text is not None:
            read_as[edit.path] = parse_key(edit.new_text.encode("utf-8"))
            notes.setdefault(edit.path, ((), True))  # created: a stub
    answers = {
        STATE: state_key(read_as.items(), scan.config, listing, scan.gone),
        NOTES: _dumps([[p, list(aliases), stub] for p, (aliases, stub) in sorted(notes.items())] + [scan.unreadable]),
        PROBLEMS: _dumps([_problem(d) for d in problems]),
        RANKED: _dumps(list(ranked)),
    }
    for path, suggestions in related.items():
        answers[RELATED + path] = _dumps([[s.path, s.score, list(s.reasons)] for s in suggestions])
    store.set_answers(answers)


@dataclass(frozen=True)
class Answers:
    """The answers kept for the vault's state now."""

    store: ScanCache
    state: str
    scan: VaultScan
    """A scan of names and problems only: each note's path, aliases and whether it is a stub, the
    unreadable files, the problems (``find_note`` and ``check`` read no more). No texts, no
    words, no links: not for anything else."""
    ranked: tuple[int, float]

    def related(self, paths: Iterable[str]) -> dict[str, list[Suggestion]] | None:
        """The Related lists of ``paths`` as ``app.rank_all`` gives them (a stub has none), or None
        if one is missing or damaged. Asked while the cache is open."""
        stubs = {n.path for n in self.scan.notes if n.is_stub}
        paths = list(paths)
        if len(paths) > LIST_KEYS:
            found = self.store.answers([STATE], RELATED)
        else:
            found = self.store.answers([STATE, *(RELATED + p for p in paths)])
        if found.get(STATE) != self.state:
            return None  # another sync's, since
        out: dict[str, list[Suggestion]] = {}
        for path in paths:
            text = found.get(RELATED + path)
            if text is None and path not in stubs:
                return None
            try:
                entries = _list(json.loads(text)) if text is not None else []
                out[path] = [_suggestion(_list(e)) for e in entries]
            except (ValueError, TypeError):
                return None
        return out

    def ranked_paths(self) -> list[str]:
        """The notes ranked (all but stubs), in ``rank_all``'s order."""
        return sorted(n.path for n in self.scan.notes if not n.is_stub)


def kept_answers(
    root: Path, config: Config, listing: Listing, store: ScanCache | None, scan: VaultScan | None = None
) -> Answers | None:
    """The answers kept for the vault as it is now (``listing``), or as ``scan`` (of ``listing``)
    read it, or None."""
    if store is None:
        return None
    found = store.answers([STATE, NOTES, PROBLEMS, RANKED])
    stored = found.get(STATE)
    if scan is not None:
        now = state_key(scan.read_as.items(), config, listing, scan.gone)
    else:
        now = current_state(root, config, listing, store)
    if stored is None or stored != now:
        return None
    try:
        *notes, unreadable = _list(json.loads(found.get(NOTES, "")))
        problems = [_diagnostic(d) for d in _list(json.loads(found.get(PROBLEMS, "")))]
        top, min_score = _list(json.loads(found.get(RANKED, "")))
        scan = VaultScan(
            root,
            config,
            VaultSources(root, config.max_bytes, keep=False),
            notes=[_note(_list(n)) for n in notes],
            diagnostics=problems,
            unreadable=[_str(p) for p in _list(unreadable)],
            ignored=list(listing.ignored),
        )
        return Answers(store, stored, scan, (int(top), float(min_score)))
    except (ValueError, TypeError, KeyError):
        return None  # not what we wrote: scan the vault


def kept_lists(
    store: ScanCache | None, scan: VaultScan, listing: Listing, ranked: tuple[int, float]
) -> dict[str, list[Suggestion]] | None:
    """Every Related list ranked with ``ranked`` (top, min_score) kept for the vault as ``scan``
    (of ``listing``) read it, or None. Asked while the cache is open."""
    answers = kept_answers(scan.root, scan.config, listing, store, scan)
    return answers.related(answers.ranked_paths()) if answers is not None and answers.ranked == ranked else None


T = TypeVar("T")


def answered_or_scan(
    path: str | os.PathLike[str], cache: CacheOptions, progress: Progress, answer: Callable[[Answers], T | None]
) -> tuple[VaultScan, T | None]:
    """``answer`` of the answers the cache keeps for the vault as it is now (asked while the
    cache is open), with their scan; else, or if it gives None, a scan of the vault
    (``scan_vault``) and None."""
    root = vault_root(path)
    config = load_config(root)
    warnings: list[Diagnostic] = []
    with open_vault_cache(root, config, cache, warnings) as store:
        listing = list_vault(root, config, warnings)
        answers = kept_answers(root, config, listing, store)
        found = answer(answers) if answers is not None else None
        if answers is not None and found is not None:
            scan = answers.scan
        else:
            scan = read_vault(root, config, listing, store, progress, keep_texts=False)
    progress.close()
    scan.warnings.extend(warnings)
    return scan, found


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _note(fields: list[Any]) -> Note:
    path, aliases, stub = fields
    if not isinstance(stub, bool):
        raise ValueError("not a flag")
    return Note(_str(path), "", tuple(_str(a) for a in _list(aliases)), is_stub=stub)


def _suggestion(fields: list[Any]) -> Suggestion:
    path, score, reasons = fields
    if not isinstance(score, float):
        raise ValueError("not a score")
    return Suggestion(_str(path), score, tuple(_str(r) for r in _list(reasons)))


def _problem(diagnostic: Diagnostic) -> dict[str, Any]:
    fields = diagnostic._asdict()
    fields["severity"] = diagnostic.severity.value
    return fields


def _diagnostic(fields: object) -> Diagnostic:
    if not isinstance(fields, dict) or not all(isinstance(v, str | int | None) for v in fields.values()):
        raise ValueError("not a problem")
    return Diagnostic(**{**fields, "severity": Severity(fields["severity"])})
