"""VaultModel: the parsed vault's notes and resolved links, kept in memory and updated in place,
for the watcher.

``update(changed, removed)`` re-resolves only the links that can have changed and returns the
notes whose managed blocks may have to change through links: the changed notes and the notes
they link to or are linked from (before and after). When note names change (notes added,
removed, renamed, turned into or out of stubs), every link is resolved again. Related lists are
not the model's business: ``rank.RankIndex`` ranks, and the watcher compares lists
(``core/related_lists.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from vaultlink.core.config import Config
from vaultlink.core.neighbours import Neighbours, note_targets
from vaultlink.core.note import Note
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
        ignored: Iterable[str] = (),
    ) -> None:
        """``links``, if given, are the notes' links already resolved (and stubs demoted),
        as a scan has them: they are not resolved a second time. ``unreadable`` are the note
        files that exist but can't be read: links find them (``NoteIndex``)."""
        self.config = config
        self.unreadable: set[str] = set(unreadable)
        self.notes: dict[str, Note] = {n.path: n for n in notes}
        self._stubs: dict[str, str] = {fold(p): p for p, n in self.notes.items() if n.is_stub}
        self.links: dict[str, list[ResolvedLink]] = {}
        self.ignored = frozenset(ignored)  # note files out of scope: links find them (``NoteIndex``)
        self.index = NoteIndex(self.notes.values(), config, self.unreadable, self.ignored)
        if links is None:
            self.links = self._resolve(sorted(self.notes))
        else:
            self.links = {path: [] for path in self.notes}
            for r in links:
                self.links[r.source].append(r)
        # Indexes over the links, kept in step with them so a batch never walks every link.
        self.neighbours = Neighbours()
        self.citing: dict[str, set[str]] = defaultdict(set)  # folded missing path -> notes citing it
        for resolved in self.links.values():
            self._index_links(resolved, +1)
        self.names_changed = False
        """Whether the last update changed what links resolve to (notes added, removed, renamed)."""

    def stub_paths(self) -> dict[str, str]:
        """Unedited stubs, by folded path."""
        return self._stubs

    def _index_links(self, resolved: list[ResolvedLink], sign: int) -> None:
        if sign > 0:
            self.neighbours.add(resolved)
        else:
            self.neighbours.remove(resolved)
        for r in resolved:
            if r.resolution.outcome is Outcome.MISSING:
                key = fold(r.resolution.target)
                if sign > 0:
                    self.citing[key].add(r.source)
                else:
                    self.citing[key].discard(r.source)
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

    def links_touching(self, paths: Iterable[str]) -> list[ResolvedLink]:
        """Every link from or to one of ``paths``, as resolved now."""
        out: list[ResolvedLink] = []
        for path in paths:
            out += self.links.get(path, ())
            for source in self.neighbours.incoming.get(path, ()):
                out += [r for r in self.links.get(source, ()) if r.resolution.target == path]
        return out

    def all_links(self) -> list[ResolvedLink]:
        """Every resolved link, in source-path order (as a full scan lists them)."""
        return [r for path in sorted(self.links) for r in self.links[path]]

    # --- updating ------------------------------------------------------------------------------

    def update(
        self,
        changed: Iterable[Note],
        removed: Iterable[str],
        unreadable: Iterable[str] | None = None,
        ignored: Iterable[str] | None = None,
    ) -> set[str]:
        """Apply new versions of ``changed`` notes and drop ``removed`` ones (and take the note
        files now unreadable, and now out of scope, if given); return the paths of the notes whose blocks may differ
        now through links (the changed notes and their neighbours, before and after)."""
        changed = list(changed)
        removed_set = set(removed) - {n.path for n in changed}
        touched_paths = {n.path for n in changed} | (removed_set & self.notes.keys())
        now_unreadable = self.unreadable if unreadable is None else set(unreadable)
        now_ignored = self.ignored if ignored is None else frozenset(ignored)
        names_changed = (
            bool(removed_set & self.notes.keys())
            or now_unreadable != self.unreadable
            or now_ignored != self.ignored
            or any(n.path not in self.notes or _names(self.notes[n.path]) != _names(n) for n in changed)
        )
        self.unreadable, self.ignored = now_unreadable, now_ignored
        self.names_changed = names_changed
        affected = set(touched_paths)
        for path in removed_set:
            self.notes.pop(path, None)
            self._stubs.pop(fold(path), None)
        for note in changed:
            self.notes[note.path] = note
            if note.is_stub:
                self._stubs[fold(note.path)] = note.path
            else:
                self._stubs.pop(fold(note.path), None)
        affected |= self._update_links(touched_paths, removed_set, names_changed)
        return affected & self.notes.keys()

    def _resolve(self, sources: Iterable[str]) -> dict[str, list[ResolvedLink]]:
        index = self.index
        stubs = [p for p, n in self.notes.items() if n.is_stub]
        out: dict[str, list[ResolvedLink]] = {}
        for path in sources:
            note = self.notes[path]
            resolved = [
                ResolvedLink(path, link, resolve_link(link, path, index), line) for link, line in note.located_links()
            ]
            out[path] = demote_stub_links(resolved, stubs)
        return out

    def _update_links(self, touched: set[str], removed: set[str], names_changed: bool) -> set[str]:
        """Re-resolve what may have changed; swap the links of sources whose links did."""
        if names_changed:
            self.index = NoteIndex(self.notes.values(), self.config, self.unreadable, self.ignored)
        sources = set(self.notes) if names_changed else touched & self.notes.keys()
        fresh = self._resolve(sorted(sources))
        affected: set[str] = set()
        for path in sorted(sources | removed):
            before = self.links.get(path, [])
            after = fresh.get(path, [])
            if path not in touched and before == after:
                continue
            affected |= {path} | note_targets(before) | note_targets(after)
            self._index_links(before, -1)
            if path in self.notes:
                self.links[path] = after
                self._index_links(after, +1)
            else:
                self.links.pop(path, None)
        return affected
