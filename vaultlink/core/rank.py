"""related(graph, note) -> the notes that share the most rare concepts with it, with reasons.

Ranking v1: two notes score the sum, over the concepts both mention, of the geometric mean
of their mention weights (count × idf). The concepts that contribute most are the reasons.
Only concepts inside the graph's document-frequency bounds exist, so a term carried by
nearly every note never contributes, and the work per note is bounded by its concepts'
sizes rather than by the vault's.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from vaultlink.core.graph import CONCEPT_PREFIX, note_id

MAX_REASONS = 3
Adjacency = dict[str, dict[str, dict[str, Any]]]


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
    # networkx's own adjacency dicts (``_succ``/``_pred``), not its read-only views: this loop
    # is the hot path of every sync and every watch batch, and the views cost ~3x here.
    pred: Adjacency = graph._pred  # type: ignore[attr-defined]
    succ: Adjacency = graph._succ  # type: ignore[attr-defined]
    concepts = [(c, attrs["weight"]) for c, attrs in succ[source].items() if c.startswith(CONCEPT_PREFIX)]
    scores: dict[str, float] = defaultdict(float)
    for concept, w_source in concepts:
        for other, attrs in pred[concept].items():
            scores[other] += math.sqrt(w_source * attrs["weight"])
    excluded = {note_id(p) for p in exclude}
    excluded.add(source)
    candidates = [(score, node) for node, score in scores.items() if node not in excluded]
    if len(candidates) > top:
        # Only near-winners need the exact (rounded) comparison below.
        cutoff = heapq.nlargest(top, (score for score, _ in candidates))[-1] - 1e-5
        candidates = [(score, node) for score, node in candidates if score >= cutoff]
    # Scores are rounded before ordering so that summation order (which differs between a
    # graph built at once and one updated in place) can never reorder near-ties.
    ranked = sorted(
        ((round(score, 6), node) for score, node in candidates if round(score, 6) >= min_score),
        key=lambda item: (-item[0], item[1]),
    )[:top]
    return [Suggestion(graph.nodes[node]["path"], score, _reasons(graph, concepts, node)) for score, node in ranked]


def _shared(graph: nx.DiGraph[str], concepts: list[tuple[str, float]], other: str) -> list[tuple[float, str]]:
    shared = []
    for concept, w_source in concepts:
        attrs = graph.pred[concept].get(other)
        if attrs is not None:
            shared.append((math.sqrt(w_source * attrs["weight"]), graph.nodes[concept]["label"]))
    return shared


def _reasons(graph: nx.DiGraph[str], concepts: list[tuple[str, float]], other: str) -> tuple[str, ...]:
    """The strongest shared concepts' labels, without near-repeats: of "Great Red",
    "Red Spot" and "Great Red Spot" only the longest is kept."""
    ordered = sorted(_shared(graph, concepts, other), key=lambda item: (-round(item[0], 6), item[1]))
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


def pair_score(graph: nx.DiGraph[str], path: str, other: str) -> float:
    """The relatedness of two notes, as ``related`` scores it (rounded the same way)."""
    a, b = note_id(path), note_id(other)
    if a not in graph or b not in graph:
        return 0.0
    pred: Adjacency = graph._pred  # type: ignore[attr-defined]
    succ: Adjacency = graph._succ  # type: ignore[attr-defined]
    total = 0.0
    for concept, attrs in succ[b].items():
        if concept.startswith(CONCEPT_PREFIX) and a in pred[concept]:
            total += math.sqrt(attrs["weight"] * pred[concept][a]["weight"])
    return round(total, 6)


def ranking_may_change(
    graph: nx.DiGraph[str],
    path: str,
    others: Collection[str],
    previous: Sequence[Suggestion],
    *,
    top: int,
    min_score: float,
    exclude: Collection[str] = (),
) -> bool:
    """Can ``related(path)`` differ from ``previous`` when only its scores with ``others``
    moved? Only if one of them is listed (its score or reasons changed), or now scores high
    enough to enter the list."""
    listed = {s.path for s in previous}
    for other in others:
        if other in exclude or other == path:
            continue
        if other in listed:
            return True
        score = pair_score(graph, path, other)
        if score >= min_score and (len(previous) < top or score >= previous[-1].score):
            return True
    return False
