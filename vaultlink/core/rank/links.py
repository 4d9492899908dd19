"""The explicit links as ranking reads them: a graph over notes and missing notes, weighted by
Adamic-Adar (a shared neighbour counts less the more notes it links with)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import scipy.sparse as sp

from vaultlink.core.rank.sparse import Matrix
from vaultlink.core.resolve import Outcome, ResolvedLink, fold


def link_node(r: ResolvedLink) -> str | None:
    """The node a link's target is in the link graph: a note's path, or a missing note's folded
    path (None: an ambiguous or unresolved link joins nothing)."""
    outcome = r.resolution.outcome
    if outcome is Outcome.NOTE:
        return r.resolution.target
    if outcome is Outcome.MISSING:
        return "\0missing:" + fold(r.resolution.target)
    return None


def link_adjacency(links: Iterable[ResolvedLink], row_of: Mapping[str, int]) -> tuple[Matrix, Matrix, dict[str, int]]:
    """Nodes × nodes (the notes first, in row order, then stubs and missing notes): 1 where an
    explicit link joins them, either way; notes × nodes: 1 where the note itself links to the node
    (what "both link [[X]]" reads); and the nodes after the notes, by ``link_node`` key."""
    extra: dict[str, int] = {}
    sources: list[int] = []
    targets: list[int] = []
    first_extra = len(row_of)
    for r in links:
        key = link_node(r)
        if key is None:
            continue
        target = row_of.get(key)
        if target is None:
            target = extra.setdefault(key, first_extra + len(extra))
        source = row_of.get(r.source)
        if source is None:
            source = extra.setdefault(r.source, first_extra + len(extra))
        sources.append(source)
        targets.append(target)
    size = first_extra + len(extra)
    a, b = np.array(sources, dtype=np.int64), np.array(targets, dtype=np.int64)
    apart = a != b
    rows, cols = np.concatenate([a[apart], b[apart]]), np.concatenate([b[apart], a[apart]])
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    matrix.data[:] = 1.0  # a pair linked several times, or both ways, is one edge
    n = len(row_of)
    own = apart & (a < n)
    out = sp.csr_matrix((np.ones(int(own.sum())), (a[own], b[own])), shape=(n, size))
    out.data[:] = 1.0
    out.sort_indices()
    return matrix, out, extra


def link_weights(degree: np.ndarray) -> np.ndarray:
    """Each node's weight by its degree: 1 / log(degree) with two or more neighbours (Adamic-Adar)."""
    weights = np.zeros_like(degree, dtype=np.float64)
    many = degree >= 2
    weights[many] = 1.0 / np.log(degree[many])
    return weights
