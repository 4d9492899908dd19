"""A note's explicit neighbours: the notes it links to and the notes linking to it. The one place
they are worked out from resolved links, for the planner (Backlinks, notes left out of Related
lists), the ranking's exclusions and the watcher's model (kept up to date link by link)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from vaultlink.core.resolve import Outcome, ResolvedLink


class Neighbours:
    """Each note's outgoing and incoming links to notes (links to missing notes, ambiguous or
    refused ones join nothing)."""

    def __init__(self, links: Iterable[ResolvedLink] = ()) -> None:
        self.outgoing: defaultdict[str, set[str]] = defaultdict(set)
        """Note -> the notes it links to."""
        self.incoming: defaultdict[str, set[str]] = defaultdict(set)
        """Note -> the notes linking to it."""
        self.add(links)

    def add(self, links: Iterable[ResolvedLink]) -> None:
        for r in links:
            if r.resolution.outcome is Outcome.NOTE:
                self.outgoing[r.source].add(r.resolution.target)
                self.incoming[r.resolution.target].add(r.source)

    def remove(self, links: Iterable[ResolvedLink]) -> None:
        """Forget ``links`` (a note left with no neighbour that way is dropped from the index)."""
        for r in links:
            if r.resolution.outcome is Outcome.NOTE:
                for index, key, value in ((self.outgoing, r.source, r.resolution.target),
                                          (self.incoming, r.resolution.target, r.source)):  # fmt: skip
                    index[key].discard(value)
                    if not index[key]:
                        del index[key]

    def of(self, path: str) -> set[str]:
        """The notes ``path`` links to or is linked from: never in its Related list."""
        return self.outgoing.get(path, set()) | self.incoming.get(path, set())

    def either_way(self) -> dict[str, set[str]]:
        """``of`` every note that has a neighbour."""
        return {path: self.of(path) for path in self.outgoing.keys() | self.incoming.keys()}


def note_targets(links: Iterable[ResolvedLink]) -> set[str]:
    """The notes ``links`` lead to."""
    return {r.resolution.target for r in links if r.resolution.outcome is Outcome.NOTE}
