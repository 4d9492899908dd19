"""The use cases (sync, clean, graph, check, related, watch), wiring the pure core to the
adapters: reading (``scan.py``), applying (``apply.py``), the sync memo (``memo.py``). No
printing, no exiting: the CLI does both. Each use case loads the vault's config once."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections import Counter
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from vaultlink.answers import Answers, answered_or_scan, kept_lists, remember_answers
from vaultlink.apply import (
    FileWrites,
    apply_edits,
    drop_unsafe_creates,
    leave_changed_alone,
    preview_edits,
)
from vaultlink.cache_file import remove_cache
from vaultlink.config import load_config
from vaultlink.core.config import Config
from vaultlink.core.neighbours import Neighbours
from vaultlink.core.note import NO_TERMS, Diagnostic, Link, LinkKind, Note, Suggestion
from vaultlink.core.plan import (
    LinkIndex,
    Plan,
    SyncOptions,
    SyncOverrides,
    plan_clean,
    plan_sync,
    sync_options,
)
from vaultlink.core.resolve import NoteIndex, Outcome
from vaultlink.core.resolve import resolve_link as resolve_one
from vaultlink.errors import OutputError, VaultlinkError
from vaultlink.lock import vault_lock
from vaultlink.memo import remember_sync, unchanged_since_sync
from vaultlink.progress import NO_PROGRESS, Progress
from vaultlink.report import SyncReport
from vaultlink.scan import (
    NO_CACHE,
    READ_CACHE,
    USE_CACHE,
    CacheOptions,
    VaultScan,
    list_vault,
    open_vault_cache,
    read_vault,
    scan_vault,
)
from vaultlink.vault import IgnoreRules, vault_root

if TYPE_CHECKING:
    import networkx as nx

    from vaultlink.core.graph import GraphSummary
    from vaultlink.watch import WatchSettings

__all__ = [
    "NO_CACHE",
    "READ_CACHE",
    "USE_CACHE",
    "CacheOptions",
    "FileWrites",
    "NoteNotFound",
    "SyncOptions",
    "SyncOverrides",
    "SyncReport",
    "VaultScan",
    "WatchListener",
    "check_vault",
    "clean",
    "concept_graph",
    "export_graph",
    "find_note",
    "note_names",
    "rank_all",
    "related_notes",
    "scan_vault",
    "sync",
    "watch",
]


def concept_graph(
    scan: VaultScan, progress: Progress = NO_PROGRESS, related: dict[str, list[Suggestion]] | None = None
) -> nx.DiGraph[str]:
    """The vault's concept graph, with each note's Related list (as sync ranks it, or ``related``,
    the lists the last sync kept for this very state) as edges."""
    from vaultlink.core.graph import add_related, build_graph  # networkx: only for the commands that need it

    graph = build_graph(scan.linked_notes, scan.links, scan.config)
    options = SyncOptions.from_config(scan.config)
    add_related(
        graph, related if related is not None else rank_all(scan, options.top, options.min_score, progress=progress)
    )
    return graph


def export_graph(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    cache: CacheOptions = READ_CACHE,
    progress: Progress = NO_PROGRESS,
) -> tuple[GraphSummary, VaultScan]:
    """Build the concept graph of the vault at ``path``, with each note's Related list as sync
    would write it, and write it to ``out`` in the format its extension names (``export.py``)."""
    from vaultlink.core.graph import summarize
    from vaultlink.export import graph_format, write_graph

    graph_format(out)  # an unknown extension fails before the vault is read
    root = vault_root(path)
    config = load_config(root)
    options = SyncOptions.from_config(config)
    warnings: list[Diagnostic] = []
    with open_vault_cache(root, config, cache, warnings) as store:
        listing = list_vault(root, config, warnings)
        scan = read_vault(root, config, listing, store, progress, keep_texts=False)
        kept = kept_lists(store, scan, listing, (options.top, options.min_score))
    scan.warnings.extend(warnings)
    graph = concept_graph(scan, progress, kept)
    progress.close()
    try:
        write_graph(graph, Path(out))
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the graph: {exc.strerror or exc}") from exc
    return summarize(graph), scan


def check_vault(
    path: str | os.PathLike[str], cache: CacheOptions = READ_CACHE, progress: Progress = NO_PROGRESS
) -> VaultScan:
    """Everything wrong with a vault: broken, ambiguous and refused links, bad files. From the
    answers the last sync kept when the vault is as it left it (then the scan's notes are names
    only: ``answers.Answers.scan``)."""
    scan, _ = answered_or_scan(path, cache, progress, lambda answers: answers.scan)
    return scan


def sync(
    path: str | os.PathLike[str],
    options: SyncOptions | SyncOverrides | None = None,
    *,
    dry_run: bool = False,
    cache: CacheOptions = USE_CACHE,
    progress: Progress = NO_PROGRESS,
    writes: FileWrites | None = None,
) -> SyncReport:
    """Bring every Related block, Backlinks block and stub up to date, with ``options`` (or the
    vault's own settings, with any ``SyncOverrides``).

    With ``dry_run`` nothing is written (and no lock is taken); the report carries a
    unified diff of what would change. When no note changed since a sync that left nothing
    to do, the cache says so and the run ends after a stat of each note (``memo.py``).
    ``progress`` hears of each slow step (reading, ranking, writing).
    """
    root = vault_root(path)
    with contextlib.nullcontext() if dry_run else vault_lock(root, "sync"):
        config = load_config(root)
        resolved = sync_options(config, options)
        warnings: list[Diagnostic] = []
        with open_vault_cache(root, config, cache.read_only() if dry_run else cache, warnings) as store:
            listing = list_vault(root, config, warnings)
            unchanged = unchanged_since_sync(root, config, listing, resolved, store)
            if unchanged is not None:
                report = unchanged
            else:
                scan = read_vault(root, config, listing, store, progress, keep_texts=False)
                problems = list(scan.diagnostics)
                plan, related = _sync_plan(scan, resolved, progress)
                report = _carry_out(scan, plan, writes, dry_run=dry_run, progress=progress)
                progress.close()
                if store is not None and not dry_run:
                    remember_sync(store, root, config, listing, resolved, plan, report)
                    ranked = (resolved.top, resolved.min_score)
                    remember_answers(store, scan, listing, problems, ranked, related, plan, report)
        report.warnings.extend(warnings)
        return report


def clean(
    path: str | os.PathLike[str],
    *,
    dry_run: bool = False,
    cache: CacheOptions = USE_CACHE,
    writes: FileWrites | None = None,
) -> SyncReport:
    """Remove every managed block, every stub nobody edited, and vaultlink's cache."""
    if dry_run:
        scan = scan_vault(path, cache.read_only(), keep_texts=False)
        return _carry_out(scan, _clean_plan(scan), writes, dry_run=True)
    root = vault_root(path)
    with vault_lock(root, "clean"):
        scan = scan_vault(root, cache.read_only(), keep_texts=False)
        report = _carry_out(scan, _clean_plan(scan), writes, dry_run=False)
    if cache.enabled:
        remove_cache(cache.folder_for(root))
    report.warnings.extend(scan.warnings)
    return report


def _clean_plan(scan: VaultScan) -> Plan:
    plan = plan_clean(scan.notes, scan.sources, scan.readonly)
    return leave_changed_alone(_without_blocks_out_of_scope(plan, scan), scan.sources)


def _without_blocks_out_of_scope(plan: Plan, scan: VaultScan) -> Plan:
    """``plan`` and the removal of the blocks left in files now out of scope (a template, an
    ignored folder), written there before they were: nothing else of them is ever read."""
    notes = [Note(path, "") for path in scan.with_blocks]
    unblock = plan_clean(notes, scan.sources, {})
    plan.edits.extend(unblock.edits)
    plan.skipped.extend(unblock.skipped)
    return plan


def _sync_plan(
    scan: VaultScan, options: SyncOptions, progress: Progress = NO_PROGRESS
) -> tuple[Plan, dict[str, list[Suggestion]]]:
    """The plan of a sync, and the Related lists it was planned from."""
    related = rank_all(scan, options.top, options.min_score, progress=progress)
    scan.notes = [_without_words(n) for n in scan.notes]
    notes = {n.path: n for n in scan.notes}
    index = LinkIndex.build(scan.notes, scan.links, scan.config, options, scan.scopes, scan.gone)
    plan = plan_sync(
        notes, scan.sources, scan.links, related, scan.config, options, scan.readonly, index=index, scopes=scan.scopes
    )
    plan.related = {}  # the watcher's; sync never reads them
    plan = _without_blocks_out_of_scope(plan, scan)
    plan = leave_changed_alone(drop_unsafe_creates(plan, scan.listed, IgnoreRules(scan.config)), scan.sources)
    return plan, related


def _without_words(note: Note) -> Note:
    """The note without what ranking reads and planning does not (its words and terms: two thirds
    of a note's memory), so a sync's plan, every new text in it, does not come on top of them."""
    return dataclasses.replace(note, words=(), word_counts=b"", forms=(), pairs=b"", terms=NO_TERMS)


def _carry_out(
    scan: VaultScan, plan: Plan, writes: FileWrites | None, *, dry_run: bool, progress: Progress = NO_PROGRESS
) -> SyncReport:
    """Apply ``plan`` through ``writes`` (or, dry, preview it) and report what was done."""
    advance = progress.step("writing" if not dry_run else "comparing", len(plan.edits))
    if dry_run:
        refusals, diff = preview_edits(scan.root, plan.edits, scan.sources, advance)
    else:
        refusals, diff = apply_edits(scan.root, plan.edits, advance, writes), ""
    return SyncReport.of(len(scan.notes), plan, refusals, scan.diagnostics, diff)


class NoteNotFound(VaultlinkError):
    pass


def find_note(scan: VaultScan, name: str) -> Note:
    """A note named the way a user would type it: a path, a file name or an alias. A note's own
    path, as written (with or without ``.md``), is that note, even where another note's path
    differs from it only in case (what completion offers for such notes: ``note_names``)."""
    exact = next((n for n in scan.notes if n.path in (name, f"{name}.md")), None)
    if exact is not None:
        return exact
    index = NoteIndex(scan.notes, scan.config, scan.unreadable)
    resolution = resolve_one(Link(name, LinkKind.WIKILINK, name), "", index)
    if resolution.outcome is Outcome.NOTE:
        return next(n for n in scan.notes if n.path == resolution.target)
    if resolution.outcome is Outcome.UNREADABLE:
        raise NoteNotFound(f"{scan.root}: '{name}' is {resolution.target}, which can't be read (see 'vaultlink check')")
    if resolution.outcome is Outcome.AMBIGUOUS:
        raise NoteNotFound(f"{scan.root}: '{name}' matches several notes: {', '.join(resolution.candidates)}")
    raise NoteNotFound(f"{scan.root}: no note named '{name}'")


def note_names(path: str | os.PathLike[str], prefix: str = "") -> list[str]:
    """The names a user may type for the vault's notes whose file name (or, when ``prefix`` has a
    ``/``, path) starts with ``prefix``, any case: the file name without ``.md``, or the path
    where two notes share the name. From the listing alone (no note is read), for completion."""
    from vaultlink.core.resolve import fold
    from vaultlink.vault import list_notes

    root = vault_root(path)
    paths = [p.removesuffix(".md") for p in list_notes(root, load_config(root)).paths]
    names = Counter(fold(p.rsplit("/", 1)[-1]) for p in paths)
    key = fold(prefix)
    found: set[str] = set()
    for p in paths:
        name = p.rsplit("/", 1)[-1]
        if fold(p if "/" in prefix else name).startswith(key):
            found.add(p if "/" in prefix or names[fold(name)] > 1 else name)
    return sorted(found, key=lambda n: (fold(n), n))


def related_notes(
    path: str | os.PathLike[str],
    name: str | None,
    *,
    top: int | None,
    min_score: float | None = 0.0,
    cache: CacheOptions = READ_CACHE,
    warnings: list[Diagnostic] | None = None,
) -> dict[str, list[Suggestion]]:
    """Ranked related notes (with scores and reasons) of one note, or of every note; notes
    about vaultlink's own state (its cache) go to ``warnings``. ``top`` and ``min_score`` None:
    the vault's ``related_top`` and ``related_min_score``, what its Related blocks list. From the
    lists the last sync kept when the vault is as it left it and they were ranked with those."""

    def ranked_with(config: Config) -> tuple[int, float]:
        return (
            config.related_top if top is None else top,
            config.related_min_score if min_score is None else min_score,
        )

    def kept(answers: Answers) -> dict[str, list[Suggestion]] | None:
        if answers.ranked != ranked_with(answers.scan.config):
            return None
        return answers.related([find_note(answers.scan, name).path] if name is not None else answers.ranked_paths())

    scan, found = answered_or_scan(path, cache, NO_PROGRESS, kept)
    if warnings is not None:
        warnings.extend(scan.warnings)
    if found is not None:
        return found
    return rank_all(scan, *ranked_with(scan.config), [find_note(scan, name).path] if name is not None else None)


def rank_all(
    scan: VaultScan,
    top: int,
    min_score: float,
    only: Collection[str] | None = None,
    progress: Progress = NO_PROGRESS,
) -> dict[str, list[Suggestion]]:
    """Each note's Related list (or only those of ``only``): the notes it links to, or that link
    to it, left out (they are connected already)."""
    from vaultlink.core.rank import RankIndex  # numpy and scipy: not needed when nothing changed

    index = RankIndex(scan.notes, scan.links, scan.config, keep_rows=False)
    advance = progress.step("ranking", len(index.paths) if only is None else len(only))
    exclude = Neighbours(scan.links).either_way()
    unsuggested = {path for path, scope in scan.scopes.items() if not scope.suggest}
    if unsuggested:  # notes the user's scope keeps out of every Related list
        exclude = {path: exclude.get(path, set()) | unsuggested for path in index.paths}
    return index.related_all(top=top, min_score=min_score, exclude=exclude, only=only, listing=True, advance=advance)


class WatchListener(Protocol):
    """What the watch use case tells as it goes (the CLI prints it)."""

    def reading(self, root: Path) -> None:
        """The vault is locked and about to be read."""

    def warned(self, warnings: list[Diagnostic]) -> None:
        """Notes about vaultlink's own state (its cache), once the vault is read."""

    def synced(self, notes: int, report: SyncReport) -> None:
        """The first sync (of ``notes`` notes) is done; watching starts."""

    def batch(self, paths: set[str], report: SyncReport) -> None:
        """One batch of saves was handled."""

    def failed(self, error: Exception) -> None:
        """One batch failed; the watch goes on."""


def watch(
    path: str | os.PathLike[str],
    settings: WatchSettings,
    stop: threading.Event,
    listener: WatchListener,
    options: SyncOptions | SyncOverrides | None = None,
    *,
    cache: CacheOptions = USE_CACHE,
) -> None:
    """Keep the vault linked until ``stop`` is set: hold its lock, sync it once, then handle
    every batch of saves (``watch.run_watch``)."""
    from vaultlink.live import LiveVault  # the watcher's model and watchdog: only for watch
    from vaultlink.watch import run_watch, start_observer

    root = vault_root(path)
    with vault_lock(root, "watch"):
        listener.reading(root)
        started = start_observer(root, settings.poll)
        live = LiveVault(root, options, grace=settings.grace, cache=cache)
        listener.warned(live.warnings)
        first = live.sync_all()
        listener.synced(len(live.model.notes), first)
        run_watch(live, settings, stop, on_batch=listener.batch, on_error=listener.failed, started=started)
