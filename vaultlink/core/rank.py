"""related(graph, note) -> the notes that share the most rare concepts with it, with reasons.

Ranking v1: two notes score the sum, over the concepts both mention, of the geometric mean
of their mention weights (count × idf). The concepts that contribute most are the reasons.
Only concepts inside the graph's document-frequency bounds exist, so a term carried by
nearly every note never contributes, and the work per note is bounded by its concepts'
sizes rather than by the vault's.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

import networkx as nx

from vaultlink.core.graph import note_id

MAX_REASONS = 3


@dataclass(frozen=True)
class Suggestion:
    path: str
    score: float
    reasons: tuple[str, ...]


def related(
    graph: nx.DiGraph[str],
    path: str,
    *,
    top: int = 5,
    min_score: float = 0.0,
    exclude: Collection[str] = (),
) -> list[Suggestion]:
    """The ``top`` notes most related to the note at ``path``, best first.

    Never the note itself, nor any path in ``exclude`` (e.g. the notes it already links
    to), nor a note scoring below ``min_score``. Ties are broken by path so the order is
    stable from run to run.
    """
    source = note_id(path)
    if source not in graph:
        return []
    scores: dict[str, float] = defaultdict(float)
    shares: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for concept in graph.successors(source):
        if graph.nodes[concept]["kind"] != "concept":
            continue
        w_source = graph.edges[source, concept]["weight"]
        label = graph.nodes[concept]["label"]
        for other in graph.predecessors(concept):
            if other == source:
                continue
            contribution = math.sqrt(w_source * graph.edges[other, concept]["weight"])
            scores[other] += contribution
            shares[other].append((contribution, label))
    excluded = {note_id(p) for p in exclude}
    # Scores are rounded before ordering so that summation order (which differs between a
    # graph built at once and one updated in place) can never reorder near-ties.
    ranked = sorted(
        (
            (round(score, 6), node)
            for node, score in scores.items()
            if node not in excluded and round(score, 6) >= min_score
        ),
        key=lambda item: (-item[0], item[1]),
    )
    return [
        Suggestion(graph.nodes[node]["path"], round(score, 4), _reasons(shares[node])) for score, node in ranked[:top]
    ]


def _reasons(shared: list[tuple[float, str]]) -> tuple[str, ...]:
    """The strongest shared concepts' labels, without near-repeats: of "Great Red",
    "Red Spot" and "Great Red Spot" only the longest is kept."""
    ordered = sorted(shared, key=lambda item: (-round(item[0], 6), item[1]))
    reasons: list[str] = []
    for _, label in ordered:
        folded = label.casefold()
        if any(folded in r.casefold() for r in reasons):
            continue
        reasons = [r for r in reasons if r.casefold() not in folded]
        reasons.append(label)
        if len(reasons) == MAX_REASONS:
            break
    return tuple(reasons)
