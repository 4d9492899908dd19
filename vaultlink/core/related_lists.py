"""RelatedLists: the watcher's Related lists between batches, and the ranking they come from.

Pure (no files, no clock): ``live.LiveVault`` reads and writes, this keeps each note's list as
last planned, which lists name each note, the ranking of the model as it is now (rebuilt when
asked for after a change, unchanged notes keeping their rows), and, during a save's first
phase, that ranking patched with the saved notes (``rank.patched``). Lists planned from a
patched ranking are *provisional*: the batch after checks them against a rebuilt ranking.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Mapping

from vaultlink.core.config import Config
from vaultlink.core.model import VaultModel
from vaultlink.core.note import Note, Suggestion
from vaultlink.core.plan import SyncOptions
from vaultlink.core.rank import RELATIVE, NoteRow, RankIndex, Vocabulary, note_row, patched, prepare

CHECK_SLICE = 512
"""How many deferred lists a batch checks before it looks whether new events wait (~0.25 s of
ranking on 10,000 notes)."""


class RelatedLists:
    def __init__(self, model: VaultModel, config: Config, options: SyncOptions, *, patches: bool = True) -> None:
        """``patches``: prepare each rebuilt ranking for the next save to patch (the watcher
        defers the lists a save can't move)."""
        self.model = model
        self.config = config
        self.options = options
        self.patches = patches
        self.planned: dict[str, list[Suggestion]] = {}
        """Each note's Related list as last planned."""
        self.provisional: set[str] = set()
        """The notes whose planned lists came from a patched ranking."""
        self._listing: dict[str, set[str]] = defaultdict(set)  # note -> the notes whose planned list names it
        self.vocabulary = Vocabulary()
        self._rows: dict[str, tuple[Note, NoteRow]] = {}  # each note's ranking row, while it is that note
        self._index: RankIndex | None = None  # the ranking of the model as it is now (None: stale)
        self._fresh: dict[str, list[Suggestion]] = {}  # Related lists computed from ``_index``
        self._patched: RankIndex | None = None  # the first phase's ranking, while it runs
        self._check_from = ""  # where the next check of deferred lists starts (see ``changed``)
        self.unsuggested: set[str] = set()
        """Notes the user's scope keeps out of every Related list (``core/scope.py``)."""

    # --- the ranking ----------------------------------------------------------------------------

    @property
    def built(self) -> RankIndex | None:
        """The ranking of the model as it was last built, if the model has not changed since."""
        return self._index

    def ranking(self) -> RankIndex:
        """The ranking of the model as it is now; unchanged notes keep their rows."""
        if self._index is None:
            rows = {path: self._row(note) for path, note in self.model.notes.items()}
            for path in self._rows.keys() - self.model.notes.keys():
                del self._rows[path]
            self._index = RankIndex(
                self.model.notes.values(), self.model.all_links(), self.config, vocabulary=self.vocabulary, rows=rows
            )
            if self.patches:
                prepare(self._index)  # the next save patches it
        return self._index

    def stale(self) -> None:
        """The model changed: every list is computed again from a rebuilt ranking."""
        self._index = None
        self._fresh = {}
        self._patched = None

    def patch(self, previous: RankIndex, changed: list[Note]) -> None:
        """Rank with ``previous`` (the ranking before this batch) patched with the ``changed``
        notes' new rows, until ``end_patch``; if a patch can't stand for the new ranking
        (``rank.patched``), with a rebuilt one."""
        rows = {note.path: (note, self._row(note)) for note in changed}
        self._patched = patched(previous, rows, self.model.links_touching(rows.keys()))

    def end_patch(self) -> None:
        self._patched = None

    def _row(self, note: Note) -> NoteRow:
        """The note's ranking row, computed once per version of the note."""
        cached = self._rows.get(note.path)
        if cached is None or cached[0] is not note:
            cached = self._rows[note.path] = (note, note_row(note, self.vocabulary))
        return cached[1]

    # --- the lists ------------------------------------------------------------------------------

    def lists_for(self, only: set[str] | None) -> dict[str, list[Suggestion]]:
        """The Related lists of ``only`` these notes (None: all), from the current ranking."""
        wanted = set(self.model.notes) if only is None else only & self.model.notes.keys()
        if self._patched is not None:
            return self._computed(wanted, reasons=True)  # provisional: not kept
        missing = wanted - self._fresh.keys()
        if missing:
            self._fresh.update(self._computed(missing, reasons=True))
        return {p: self._fresh[p] for p in wanted}

    def _computed(self, paths: set[str], *, reasons: bool) -> dict[str, list[Suggestion]]:
        index = self._patched or self.ranking()
        return index.related_all(
            top=self.options.top,
            min_score=self.options.min_score,
            exclude={p: self.model.neighbours.of(p) | self.unsuggested for p in paths},
            only=paths,
            reasons=reasons,
            listing=True,
        )

    def record(self, planned: Mapping[str, list[Suggestion]]) -> None:
        """Keep the lists as planned, which lists name each note, and whether they are
        provisional (planned from a patched ranking)."""
        for path, listed in planned.items():
            for s in self.planned.get(path, ()):
                self._listing[s.path].discard(path)
            for s in listed:
                self._listing[s.path].add(path)
            self.planned[path] = listed
        if self._patched is not None:
            self.provisional |= planned.keys()
        else:
            self.provisional -= planned.keys()

    def through(self, saved: set[str]) -> set[str]:
        """Notes whose Related list can differ through their scores with the ``saved`` notes:
        those listing one of them, and those a saved note now scores high enough to enter
        (scores are symmetric, so one row of each saved note tells). Never-planned notes too."""
        index = self._patched or self.ranking()
        out = self.model.notes.keys() - self.planned.keys()
        for path in saved:
            out |= self._listing.get(path, set())
        # Seen from the other note's row, the last digit may differ: hence the 2e-6.
        floor = self.options.min_score - 2e-6  # no list holds a score below min_score
        for path in saved & index.row_of.keys():
            for scored in index.related(path, top=len(index.paths), min_score=floor, reasons=False):
                previous = self.planned.get(scored.path)
                if previous is None:
                    continue
                # The score to beat: the last listed one, or while the list has room the share of its
                # best one a listed note needs (min_score at least).
                lowest = previous[-1].score if len(previous) >= self.options.top else self.options.min_score
                if previous and len(previous) < self.options.top:
                    lowest = max(lowest, RELATIVE * previous[0].score)
                if scored.score >= lowest - 2e-6 and path not in self.model.neighbours.of(scored.path):
                    out.add(scored.path)
        return out

    def changed(self, paths: set[str], interrupted: Callable[[], bool]) -> tuple[set[str], set[str]]:
        """(the notes among ``paths`` whose Related list now differs from the one last planned, the
        notes not checked). Checked ``CHECK_SLICE`` notes at a time, at least one slice, until
        ``interrupted()``. Lists are compared by paths and scores: reasons, the costly part, follow
        the scores of the same two rows; except for lists planned from a patched ranking, whose
        reasons came from patched rows."""
        assert self._patched is None
        todo = sorted(paths & self.model.notes.keys())
        # Start where the last check stopped: while saves keep coming, each check does a slice or
        # two, and every list gets its turn instead of the first notes of the alphabet every time.
        at = bisect.bisect_left(todo, self._check_from)
        todo = todo[at:] + todo[:at]
        changed: set[str] = set()
        for start in range(0, len(todo), CHECK_SLICE):
            if start and interrupted():
                self._check_from = todo[start]
                return changed, set(todo[start:])
            part = set(todo[start : start + CHECK_SLICE])
            fresh = self._computed(part, reasons=False)
            changed |= {path for path, listed in fresh.items() if _scored(self.planned.get(path)) != _scored(listed)}
            provisional = (self.provisional & part) - changed
            reasoned = self.lists_for(provisional)
            changed |= {path for path, listed in reasoned.items() if self.planned.get(path) != listed}
            self.provisional -= part  # each one is either right or planned again in this batch
        self.provisional &= self.model.notes.keys()
        return changed, set()


def _scored(listed: list[Suggestion] | None) -> list[tuple[str, float]] | None:
    return None if listed is None else [(s.path, s.score) for s in listed]
