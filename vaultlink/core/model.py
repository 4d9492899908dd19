"""VaultModel: the parsed vault kept in memory and updated in place, for the watcher.

``update(changed, removed)`` re-resolves only the links that can have changed, adjusts the
concept graph edge by edge, and returns the notes whose managed blocks may have to change:
the changed notes, the notes they link to or are linked from (before and after), and every
note that states a concept whose document frequency changed (``sharing_only`` tells those
apart: their graph edges moved, not their links). When the note count moves the concept
bounds, or when note names change, the affected set widens accordingly. ``graph`` always
equals ``build_graph`` over the same notes; the tests hold it to that. Related lists are
not the model's business: ``rank.RankIndex`` ranks, and the watcher compares lists.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import networkx as nx

from vaultlink.core.config import Config
from vaultlink.core.graph import (
    add_links,
    concept_attrs,
    concept_bounds,
    concept_id,
    concept_rank,
    mention_attrs,
    missing_attrs,
    missing_id,
    note_attrs,
    note_id,
)
from vaultlink.core.note import Note, Term
from vaultlink.core.resolve import NoteIndex, Outcome, ResolvedLink, demote_stub_links, fold, resolve_link


def _names(note: Note) -> tuple[object, ...]:
    """What other notes' links resolve by: the path, the aliases, and being a stub."""
    return (note.path, note.aliases, note.is_stub)


class VaultModel:
    def __init__(
        self,
        notes: Iterable[Note],
        config: Config,
        links: Iterable[ResolvedLink] | None = None,
        unreadable: Iterable[str] = (),
    ) -> None:
        """``links``, if given, are the notes' links already resolved (and stubs demoted),
        as a scan has them: they are not resolved a second time. ``unreadable`` are the note
        files that exist but can't be read: links find them (``NoteIndex``)."""
        self.config = config
        self.unreadable: set[str] = set(unreadable)
        self.notes: dict[str, Note] = {n.path: n for n in notes}
        self._stubs: dict[str, str] = {fold(p): p for p, n in self.notes.items() if n.is_stub}
        self.links: dict[str, list[ResolvedLink]] = {}
        self.df: Counter[str] = Counter()
        self.stating: dict[str, set[str]] = defaultdict(set)  # term key -> non-stub notes stating it
        self.graph: nx.DiGraph[str] = nx.DiGraph()
        for path in sorted(self.notes):
            note = self.notes[path]
            if not note.is_stub:
                self.graph.add_node(note_id(path), **note_attrs(note))
                self._count_terms(note, +1)
        self.index = NoteIndex(self.notes.values(), config, self.unreadable)
        if links is None:
            self.links = self._resolve(sorted(self.notes))
        else:
            self.links = {path: [] for path in self.notes}
            for r in links:
                self.links[r.source].append(r)
        # Indexes over the links, kept in step with them so a batch never walks every link.
        self.outgoing: dict[str, set[str]] = defaultdict(set)  # note -> notes it links to
        self.incoming: dict[str, set[str]] = defaultdict(set)  # note -> notes linking to it
        self.citing: dict[str, set[str]] = defaultdict(set)  # folded missing path -> notes citing it
        for path, resolved in self.links.items():
            self._index_links(path, resolved, +1)
        for path in sorted(self.links):
            add_links(self.graph, self.links[path])
        self.bounds = concept_bounds(self.linked_count, config)
        self._refresh_concepts(set(self.df))
        self.names_changed = False
        """Whether the last update changed what links resolve to (notes added, removed, renamed)."""
        self.sharing_only: set[str] = set()
        """Of the notes the last update affected, those only because they state a term that was
        gained, lost or relabelled: their scores with each other moved with its document frequency."""

    @property
    def linked_count(self) -> int:
        """Notes that take part in the graph (all but unedited stubs): its note nodes."""
        return len(self.notes) - len(self.stub_paths())

    def stub_paths(self) -> dict[str, str]:
        """Unedited stubs, by folded path."""
        return self._stubs

    def _index_links(self, path: str, resolved: list[ResolvedLink], sign: int) -> None:
        for r in resolved:
            target = r.resolution.target
            if r.resolution.outcome is Outcome.NOTE:
                for index, key, value in ((self.outgoing, path, target), (self.incoming, target, path)):
                    if sign > 0:
                        index[key].add(value)
                    else:
                        index[key].discard(value)
                        if not index[key]:
                            del index[key]
            elif r.resolution.outcome is Outcome.MISSING:
                key = fold(target)
                if sign > 0:
                    self.citing[key].add(path)
                else:
                    self.citing[key].discard(path)
                    if not self.citing[key]:
                        del self.citing[key]

    def missing_targets(self, paths: Iterable[str]) -> set[str]:
        """The (folded) missing notes that the links of ``paths`` ask for."""
        return {
            fold(r.resolution.target)
            for p in paths
            for r in self.links.get(p, [])
            if r.resolution.outcome is Outcome.MISSING
        }

    def all_links(self) -> list[ResolvedLink]:
        """Every resolved link, in source-path order (as a full scan lists them)."""
        return [r for path in sorted(self.links) for r in self.links[path]]

    # --- updating ------------------------------------------------------------------------------

    def update(
        self, changed: Iterable[Note], removed: Iterable[str], unreadable: Iterable[str] | None = None
    ) -> set[str]:
        """Apply new versions of ``changed`` notes and drop ``removed`` ones (and take the note
        files now unreadable, if given); return the paths of the notes whose Related or
        Backlinks blocks may differ now."""
        changed = list(changed)
        removed_set = set(removed) - {n.path for n in changed}
        touched_paths = {n.path for n in changed} | (removed_set & self.notes.keys())
        old = {p: self.notes[p] for p in touched_paths if p in self.notes}
        now_unreadable = self.unreadable if unreadable is None else set(unreadable)
        names_changed = (
            bool(removed_set & self.notes.keys())
            or now_unreadable != self.unreadable
            or any(n.path not in self.notes or _names(self.notes[n.path]) != _names(n) for n in changed)
        )
        self.unreadable = now_unreadable
        self.names_changed = names_changed
        affected = set(touched_paths)
        count_before = self.linked_count
        touched_terms: set[str] = set()  # terms whose document frequency or label may have changed
        new_versions = {n.path: n for n in changed}
        for note in old.values():
            if not note.is_stub:
                touched_terms |= _changed_terms(note, new_versions.get(note.path))
                self._count_terms(note, -1)
                successor = new_versions.get(note.path)
                if successor is None or successor.is_stub:
                    # gone as a note; links to it are re-resolved (names changed) and become missing
                    self.graph.remove_node(note_id(note.path))
        for path in removed_set:
            self.notes.pop(path, None)
            self._stubs.pop(fold(path), None)
        for note in changed:
            self.notes[note.path] = note
            if note.is_stub:
                self._stubs[fold(note.path)] = note.path
            else:
                self._stubs.pop(fold(note.path), None)
            if not note.is_stub:
                self.graph.add_node(note_id(note.path), **note_attrs(note))
                self._count_terms(note, +1)
                touched_terms |= _changed_terms(old.get(note.path), note)
        affected |= self._update_links(touched_paths, removed_set, names_changed)
        bounds = concept_bounds(self.linked_count, self.config)
        if bounds != self.bounds or self.linked_count != count_before:
            # The note count moved: every idf and possibly the concept bounds changed.
            self.bounds = bounds
            touched_terms = set(self.df) | touched_terms
            affected |= set(self.notes)
        for path in touched_paths & self.notes.keys():
            note = self.notes[path]
            if not note.is_stub:
                self._add_mentions(note)
        sharing = self._refresh_concepts(touched_terms)
        self.sharing_only = sharing - affected
        affected |= sharing
        return affected & self.notes.keys()

    def _count_terms(self, note: Note, sign: int) -> None:
        for term in note.terms:
            self.df[term.key] += sign
            if sign > 0:
                self.stating[term.key].add(note.path)
            else:
                self.stating[term.key].discard(note.path)
                if not self.df[term.key]:
                    del self.df[term.key]
                    del self.stating[term.key]

    def _resolve(self, sources: Iterable[str]) -> dict[str, list[ResolvedLink]]:
        index = self.index
        stubs = [p for p, n in self.notes.items() if n.is_stub]
        out: dict[str, list[ResolvedLink]] = {}
        for path in sources:
            note = self.notes[path]
            resolved = [ResolvedLink(path, link, resolve_link(link, path, index)) for link in note.links]
            out[path] = demote_stub_links(resolved, stubs)
        return out

    def _update_links(self, touched: set[str], removed: set[str], names_changed: bool) -> set[str]:
        """Re-resolve what may have changed; swap the link edges of sources whose links did."""
        if names_changed:
            self.index = NoteIndex(self.notes.values(), self.config, self.unreadable)
        sources = set(self.notes) if names_changed else touched & self.notes.keys()
        fresh = self._resolve(sorted(sources))
        affected: set[str] = set()
        missing: set[str] = set()
        for path in sorted(sources | removed):
            before = self.links.get(path, [])
            after = fresh.get(path, [])
            if path not in touched and before == after:
                continue
            affected |= {path} | _note_targets(before) | _note_targets(after)
            missing |= {_missing_node(r) for r in before if r.resolution.outcome is Outcome.MISSING}
            self._replace_link_edges(path, before, after)
            self._index_links(path, before, -1)
            if path in self.notes:
                self.links[path] = after
                self._index_links(path, after, +1)
            else:
                self.links.pop(path, None)
        for node in missing & set(self.graph):
            self._relabel_missing(node)
        return affected

    def _replace_link_edges(self, path: str, before: list[ResolvedLink], after: list[ResolvedLink]) -> None:
        node = note_id(path)
        if node in self.graph:
            for target in [t for t in self.graph.successors(node) if self.graph.nodes[t]["kind"] != "concept"]:
                self.graph.remove_edge(node, target)
        if path in self.notes and not self.notes[path].is_stub:
            add_links(self.graph, after)
        for r in before:  # drop missing-note nodes nobody links any more
            if r.resolution.outcome is Outcome.MISSING:
                missing = _missing_node(r)
                if missing in self.graph and not self.graph.in_degree(missing):
                    self.graph.remove_node(missing)

    def _relabel_missing(self, missing: str) -> None:
        """A missing note is named as its first citer (in path order) spells it, as in a full build."""
        first = min(self.graph.nodes[s]["path"] for s in self.graph.predecessors(missing))
        for r in self.links.get(first, []):
            if r.resolution.outcome is Outcome.MISSING and _missing_node(r) == missing:
                self.graph.add_node(missing, **missing_attrs(r.resolution.target))
                return

    def _add_mentions(self, note: Note) -> None:
        node = note_id(note.path)
        for target in [t for t in self.graph.successors(node) if self.graph.nodes[t]["kind"] == "concept"]:
            self.graph.remove_edge(node, target)
        low, high = self.bounds
        n = self.linked_count
        for term in note.terms:
            if low <= self.df[term.key] <= high:
                self.graph.add_edge(node, concept_id(term.key), **mention_attrs(term, self.df[term.key], n))

    def _refresh_concepts(self, keys: set[str]) -> set[str]:
        """Bring each concept's node, label, df and mention weights up to date; return the
        notes that state any of them."""
        low, high = self.bounds
        n = self.linked_count
        affected: set[str] = set()
        for key in keys:
            node = concept_id(key)
            stating = self.stating.get(key, set())
            affected |= stating
            if node in self.graph:
                affected |= {self.graph.nodes[p]["path"] for p in self.graph.predecessors(node)}
            if not low <= self.df.get(key, 0) <= high:
                if node in self.graph:
                    self.graph.remove_node(node)
                continue
            terms = {path: _term(self.notes[path], key) for path in stating}
            best = min(stating, key=lambda p: concept_rank(terms[p], p))
            self.graph.add_node(node, **concept_attrs(terms[best], self.df[key]))
            for path, term in terms.items():
                self.graph.add_edge(note_id(path), node, **mention_attrs(term, self.df[key], n))
        return affected


def _changed_terms(before: Note | None, after: Note | None) -> set[str]:
    """Terms the note gained or lost, or whose label or kind changed: these move document
    frequencies or concept labels (a term only counted a different number of times moves
    this note's mention weights, which ``_add_mentions`` redoes)."""
    old = {t.key: t for t in before.terms} if before is not None and not before.is_stub else {}
    new = {t.key: t for t in after.terms} if after is not None and not after.is_stub else {}
    touched = set(old.keys() ^ new.keys())
    for key in old.keys() & new.keys():
        a, b = old[key], new[key]
        if (a.label, a.kind) != (b.label, b.kind):
            touched.add(key)
    return touched


def _term(note: Note, key: str) -> Term:
    return next(t for t in note.terms if t.key == key)


def _note_targets(links: Iterable[ResolvedLink]) -> set[str]:
    return {r.resolution.target for r in links if r.resolution.outcome is Outcome.NOTE}


def _missing_node(r: ResolvedLink) -> str:
    return missing_id(r.resolution.target)
