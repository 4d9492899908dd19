"""LiveVault: a vault held in memory between the watcher's batches.

Only the paths a batch names are read again; a file whose bytes hash to what vaultlink last
read or wrote is unchanged (that is how the watcher recognises its own writes); the model is
updated in place, and only the notes it reports as affected are planned. Notes the user
changed less than ``grace`` seconds ago are not written; their edits wait (``due``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from vaultlink.apply import drop_unsafe_creates, try_edit
from vaultlink.config import CONFIG_NAME, OBSIDIAN_APP
from vaultlink.core.digest import digest
from vaultlink.core.evidence import LineCounts
from vaultlink.core.link_style import LinkStyle
from vaultlink.core.model import VaultModel
from vaultlink.core.note import Diagnostic, Note
from vaultlink.core.parse import parse_note, parse_text
from vaultlink.core.plan import (
    Edit,
    EditKind,
    LinkIndex,
    Plan,
    Source,
    SourcesInMemory,
    SyncOptions,
    SyncOverrides,
    plan_sync,
    sync_options,
)
from vaultlink.core.related_lists import RelatedLists
from vaultlink.core.resolve import ResolvedLink, fold
from vaultlink.core.scope import NoteScope
from vaultlink.core.stubs import WantedStub, hold_new_stubs, near_names, stub_aware_style, wanted_stubs
from vaultlink.editors import EDITOR_RECHECK, editor_has_open
from vaultlink.errors import VaultNotFound
from vaultlink.gone import GoneRecord
from vaultlink.report import SyncReport
from vaultlink.scan import NO_CACHE, CacheOptions, load_note, scan_vault
from vaultlink.vault import IgnoreRules, list_notes, walk_problem

# How long a note that turned empty is taken for a save in progress, even without --grace.
EMPTY_HOLD = 1.0


class LiveVault:
    def __init__(
        self,
        root: Path,
        options: SyncOptions | SyncOverrides | None = None,
        *,
        grace: float = 90.0,
        clock: Callable[[], float] = time.monotonic,
        cache: CacheOptions = NO_CACHE,
        defer: bool = True,
    ) -> None:
        self.given = (options, cache)  # to read the vault again when its settings change
        scan = scan_vault(root, cache)
        self.warnings = scan.warnings
        self.root = scan.root
        self.config = scan.config
        self.options = sync_options(self.config, options)
        self.rules = IgnoreRules(self.config)
        self.sources: dict[str, Source] = scan.sources.kept()
        self.readonly: dict[str, str] = dict(scan.readonly)
        self.scopes: dict[str, NoteScope] = dict(scan.scopes)
        self.near: dict[str, str] | None = None  # near_names of the notes, while names stay
        self.gone = GoneRecord(self.root, scan.listed)  # deleted or renamed by the user: never stubs again
        self.listed: set[str] = set(scan.listed)
        self.unreadable: set[str] = set(scan.unreadable)  # note files that exist but can't be read
        self.ignored: set[str] = set(scan.ignored)  # note files out of scope: link targets, never read
        self.model = VaultModel(scan.notes, self.config, scan.links, self.unreadable, scan.ignored)
        self.lines = LineCounts(n.lines for n in scan.notes)
        self.boilerplate = self.lines.boilerplate()  # the scan's: counted on the same notes
        self.grace = grace
        self.clock = clock
        self.user_changed_at: dict[str, float] = {}
        self.link_style: LinkStyle | None = None
        self.emptied: dict[str, float] = {}  # note -> when it was first seen empty
        self.due: dict[str, float] = {}
        self.defer = defer
        self.deferred: set[str] = set()  # notes whose lists the next batch checks (see update)
        self.lists = RelatedLists(self.model, self.config, self.options, patches=defer)
        self.lists.unsuggested = {p for p, scope in self.scopes.items() if not scope.suggest}

    # --- the batch ------------------------------------------------------------------------------

    def sync_all(self) -> SyncReport:
        """Plan and write every note (the watcher's first step, a full sync)."""
        start = time.perf_counter()
        report = SyncReport(scanned=len(self.model.notes))
        self._write(self._plan(None, None), report)
        if self.defer:
            self.lists.ranking()  # ready for the first save to patch (the sync's stubs made it stale)
        report.seconds = time.perf_counter() - start
        return report

    def update(self, paths: Iterable[str], interrupted: Callable[[], bool] = lambda: False) -> SyncReport:
        """Handle one batch of changed paths (vault-relative; folders too).

        A batch with nothing changed checks the lists a save deferred, ``CHECK_SLICE`` notes at a
        time; once ``interrupted()`` (the watcher: new events are waiting), it stops between slices,
        and the notes not yet checked stay deferred: a save made meanwhile waits for one slice,
        not for every list of the vault (~5 s on 10,000 notes)."""
        if not self.root.is_dir():
            raise VaultNotFound(f"{self.root}: the vault folder is gone (deleted or moved); nothing more to watch")
        paths = list(paths)
        if any(p.strip("/") in (CONFIG_NAME, OBSIDIAN_APP) for p in paths):
            return self._reload()
        start = time.perf_counter()
        report = SyncReport()
        now = self.clock()
        changed: list[Note] = []
        removed: list[str] = []
        # Notes whose wait is over are read again (one may have been empty mid-save) and
        # planned again; a note still not writable goes back on the list in _write.
        due_now = {p for p, when in self.due.items() if when <= now}
        for rel in due_now:
            del self.due[rel]
        for rel in sorted(self._expand(paths) | due_now):
            report.scanned += 1
            self._read_one(rel, now, changed, removed, report)
        new = {n.path: self.sources[n.path].digest for n in changed if n.path not in self.model.notes}
        self.gone.end_batch(removed, new, [n.path for n in changed])
        changed = self._settle_boilerplate(changed, removed)
        touched = [n.path for n in changed] + removed
        stub_scope = self.model.missing_targets(touched)
        # A batch that failed half-way may have left a patched ranking or unchecked lists behind.
        self.lists.end_patch()
        carried, self.deferred = self.deferred | self.lists.provisional, set()
        changed_any = (
            bool(changed or removed) or self.unreadable != self.model.unreadable or self.ignored != self.model.ignored
        )
        affected = self.model.update(changed, removed, self.unreadable, self.ignored) if changed_any else set()
        if changed_any:
            previous = self.lists.built
            self.lists.stale()
            # Scores moved with the saved notes, and with every document frequency and name count
            # they changed. The lists that can move through the saved notes are planned now; all
            # others are checked in the next batch (at once if not deferring). Planned now from the
            # previous ranking patched with the saved notes (a rebuild costs ~0.4 s on 10k notes);
            # the next batch rebuilds it and rewrites any list the patch got wrong.
            # ``previous`` is the ranking of the model just before this batch, whatever lists are
            # still deferred: they stay deferred, to be checked against the rebuilt ranking.
            if self.defer and not self.model.names_changed and previous is not None:
                self.lists.patch(previous, changed)
            affected |= self.lists.through(set(touched))
            if self.defer and not self.model.names_changed:
                self.deferred = set(self.model.notes) - affected
            else:
                affected |= self.lists.changed(set(self.model.notes), interrupted=lambda: False)[0]
        elif carried:
            changed_lists, self.deferred = self.lists.changed(carried, interrupted)
            affected |= changed_lists
        affected &= self.model.notes.keys()
        stub_scope |= self.model.missing_targets(touched)
        affected |= due_now & self.model.notes.keys()
        if changed_any and self.model.names_changed:
            self.deferred = set()  # every note is planned now
            # Notes came, went or were renamed: link names elsewhere may have to grow or
            # shrink to stay unambiguous, so every note is planned (rare: not on a save).
            self._write(self._plan(None, None), report)
        elif affected or changed_any:
            self._write(self._plan(affected, stub_scope), report)
        if report.created or report.deleted:
            # A stub came or went: link names elsewhere may have to grow or shrink to stay
            # unambiguous, so this (rare) batch plans every note once more.
            self.deferred = set()
            self._write(self._plan(None, None), report)
        self.lists.end_patch()  # it served this batch's first phase only
        self.deferred |= self.lists.provisional  # the next batch checks their lists against a rebuilt ranking
        report.deferred = len(self.deferred)
        report.seconds = time.perf_counter() - start
        return report

    def _reload(self) -> SyncReport:
        """The vault's settings changed: read it again with them, as a new watcher would, and
        sync it whole (rare; a settings file that can't be read raises, and the old settings stay)."""
        options, cache = self.given
        fresh = LiveVault(self.root, options, grace=self.grace, clock=self.clock, cache=cache, defer=self.defer)
        vars(self).update(vars(fresh))
        return self.sync_all()

    def next_due(self) -> float | None:
        """When the earliest waiting note has waited out its grace period, on ``clock``'s scale
        (now, if notes were deferred to the batch after a save)."""
        return self.clock() if self.deferred else min(self.due.values(), default=None)

    # --- reading ------------------------------------------------------------------------------

    def _expand(self, paths: Iterable[str]) -> set[str]:
        """Note paths behind the batch's paths: a folder stands for every note known under it
        and every note file now in it (folder moves and deletes)."""
        out: set[str] = set()
        for rel in paths:
            rel = rel.strip("/")
            if not rel or rel.startswith("../"):
                continue
            if (self.root / rel).is_dir() and not walk_problem(self.root, rel):
                out |= {f"{rel}/{p}" for p in list_notes(self.root / rel, self.config).paths}
            prefix = rel + "/"
            out |= {p for p in self.model.notes if p.startswith(prefix)}
            if self.config.is_note_name(rel):
                out.add(rel)
        for rel in {p for p in out if self.rules.ignores_path(p)}:
            out.discard(rel)
            self._track_ignored(rel)
        return out

    def _track_ignored(self, rel: str) -> None:
        """An out-of-scope note file came or went (not a hidden one: links never find those)."""
        if not any(part.startswith(".") for part in rel.split("/")):
            present = (self.root / rel).is_file()
            (self.ignored.add if present else self.ignored.discard)(rel)
            (self.listed.add if present else self.listed.discard)(fold(rel))

    def _read_one(self, rel: str, now: float, changed: list[Note], removed: list[str], report: SyncReport) -> None:
        path = self.root / rel
        problem = walk_problem(self.root, rel)  # sync's rules: no reading through links out of the vault
        if problem and path.exists():
            report.diagnostics.append(Diagnostic(rel, "symlink", f"{problem}; skipped"))
        if problem or not path.is_file():
            if rel in self.model.notes:
                removed.append(rel)
                report.removed.append(rel)
                known = self.sources.get(rel)
                self.gone.removed[rel] = known.digest if known is not None else ""
                self._forget(rel)
            self.listed.discard(fold(rel))
            self.unreadable.discard(rel)
            return
        self.listed.add(fold(rel))
        try:
            data = path.read_bytes()
        except OSError:
            return  # gone or unreadable mid-save: the next event brings it back
        known = self.sources.get(rel)
        if known is not None and known.digest == digest(data):
            self.emptied.pop(rel, None)
            return  # our own write, or a save that changed nothing
        if not data and known is not None and known.text:
            since = self.emptied.setdefault(rel, now)
            hold = max(self.grace, EMPTY_HOLD)
            if now - since < hold:
                self.due[rel] = since + hold  # empty for a moment mid-save: look again later
                return
        self.emptied.pop(rel, None)
        loaded = load_note(self.root, rel, self.config, self.boilerplate)
        report.diagnostics.extend(loaded.diagnostics)
        if loaded.note is None or loaded.source is None:
            if rel in self.model.notes:
                removed.append(rel)
                self._forget(rel)
            self.unreadable.add(rel)  # still a file links find (no stub may be planned over it)
            return
        self.unreadable.discard(rel)
        self.sources[rel] = loaded.source
        if loaded.readonly:
            self.readonly[rel] = loaded.readonly
        else:
            self.readonly.pop(rel, None)
        self._set_scope(rel, loaded.scope)
        self.user_changed_at[rel] = now
        changed.append(loaded.note)
        report.reparsed.append(rel)

    def _settle_boilerplate(self, changed: list[Note], removed: list[str]) -> list[Note]:
        """``changed`` with every note read again whose lines the batch made boilerplate or no
        longer (``LineCounts.settle``), so each note is read as a scan of the vault now reads it."""
        saved = {n.path: n for n in changed}
        self.boilerplate, again = self.lines.settle(self.boilerplate, self.model.notes, saved, removed)
        for rel in again:
            parsed = parse_note(rel, self.sources[rel].text.encode("utf-8"), self.config, self.boilerplate).note
            if parsed is not None:
                saved[rel] = parsed
        return list(saved.values())

    def _forget(self, rel: str) -> None:
        self.sources.pop(rel, None)
        self.readonly.pop(rel, None)
        self.scopes.pop(rel, None)
        self.lists.unsuggested.discard(rel)
        self.user_changed_at.pop(rel, None)
        self.due.pop(rel, None)

    def _set_scope(self, rel: str, scope: NoteScope | None) -> None:
        if scope is None:
            self.scopes.pop(rel, None)
        else:
            self.scopes[rel] = scope
        if scope is None or scope.suggest:
            self.lists.unsuggested.discard(rel)
        else:
            self.lists.unsuggested.add(rel)

    # --- planning and writing -------------------------------------------------------------------

    def _plan(self, only: set[str] | None, stub_scope: set[str] | None) -> Plan:
        """Plan ``only`` these notes and these stubs (None: all, from scratch)."""
        if only is None or stub_scope is None:
            self.link_style = self.near = None  # names may have changed: rebuilt on the next incremental plan
            model = self.model
            index = LinkIndex.build(
                model.notes.values(), model.all_links(), self.config, self.options, self.scopes, self.gone.keys()
            )
        else:
            index = self._link_index(stub_scope)
        plan = plan_sync(
            self.model.notes,
            SourcesInMemory(self.sources),
            [],  # with an index, plan_sync reads no link
            self.lists.lists_for(only),
            self.config,
            self.options,
            self.readonly,
            only=only,
            stub_scope=stub_scope,
            index=index,
            scopes=self.scopes,
        )
        self.lists.record(plan.related)
        return drop_unsafe_creates(plan, self.listed, self.rules)

    def _link_index(self, scope: set[str]) -> LinkIndex:
        """The planner's view of the links from the model's own indexes, with the stubs in
        ``scope`` only: no walk over every link."""
        model = self.model
        if self.near is None:
            self.near = near_names(p for p, n in model.notes.items() if not n.is_stub)
        stubs = model.stub_paths()
        citing = sorted({source for key in scope for source in model.citing.get(key, ())})
        cited = self._wanted([r for source in citing for r in model.links[source]], stubs)
        in_scope = {key: stub for key, stub in cited.items() if key in scope}
        wanted, held = hold_new_stubs(in_scope, stubs, self.options.stub_limit)
        if self.link_style is None:
            all_wanted, _ = hold_new_stubs(self._wanted(model.all_links(), stubs), stubs, self.options.stub_limit)
            self.link_style = stub_aware_style(model.notes.values(), all_wanted, self.config)
        return LinkIndex(model.neighbours, wanted, stubs, self.link_style, held)

    def _wanted(self, links: Iterable[ResolvedLink], stubs: Collection[str]) -> dict[str, WantedStub]:
        assert self.near is not None
        wanted = wanted_stubs(links, self.options.stub_policy(self.config), self.scopes, self.near, stubs)
        gone = self.gone.keys()
        return {key: stub for key, stub in wanted.items() if key not in gone}

    def _write(self, plan: Plan, report: SyncReport) -> None:
        now = self.clock()
        report.skipped.extend(plan.skipped)
        report.held = list(dict.fromkeys([*report.held, *plan.held]))
        stubs_made: list[Note] = []
        stubs_gone: list[str] = []
        for edit in plan.edits:
            changed_at = self.user_changed_at.get(edit.path)
            if changed_at is not None and now - changed_at < self.grace:
                self._wait(edit.path, changed_at + self.grace, report)
                continue
            if edit.kind is not EditKind.CREATE and editor_has_open(self.root, edit.path):
                self._wait(edit.path, now + EDITOR_RECHECK, report)
                continue
            self.due.pop(edit.path, None)
            refused = try_edit(self.root, edit)
            if refused:
                report.skipped.append((edit.path, refused))
                continue
            self._remember_write(edit, report, stubs_made, stubs_gone)
        if stubs_made or stubs_gone:
            self.model.update(stubs_made, stubs_gone)  # once per batch: it re-resolves every link
            self.lists.stale()

    def _wait(self, rel: str, until: float, report: SyncReport) -> None:
        """Leave the note unwritten until ``until``, when it is read and planned again."""
        self.due[rel] = until
        if rel not in report.waiting:
            report.waiting.append(rel)

    def _remember_write(self, edit: Edit, report: SyncReport, made: list[Note], gone: list[str]) -> None:
        """Record what we wrote, so the event it causes is recognised as ours."""
        if edit.kind is EditKind.DELETE:
            self._forget(edit.path)
            self.listed.discard(fold(edit.path))
            gone.append(edit.path)
            report.deleted.append(edit.path)
            return
        assert edit.new_text is not None
        data = edit.new_text.encode("utf-8")
        self.sources[edit.path] = Source(edit.path, edit.new_text, digest(data))
        if edit.kind is EditKind.CREATE:
            self.listed.add(fold(edit.path))
            stub = parse_text(edit.path, edit.new_text, self.config).note
            assert stub is not None
            made.append(stub)
            report.created.append(edit.path)
        else:
            report.changed.append(edit.path)

