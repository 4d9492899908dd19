"""core/layout.py: the force layout the graph page comes with. Its speed is measured in
benchmarks/bench_graph_page.py; here, what it computes."""

from __future__ import annotations

import itertools

import numpy as np
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink.core.layout import force_layout

Case = tuple[int, list[tuple[int, int]], int]


def clique_edges(members: range) -> tuple[list[int], list[int]]:
    pairs = list(itertools.combinations(members, 2))
    return [a for a, _ in pairs], [b for _, b in pairs]


def scattered(n: int, seed: int = 3) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-10, 10, size=(n, 2))


def layout(sources: list[int], targets: list[int], start: np.ndarray, steps: int = 150) -> np.ndarray:
    return force_layout(np.array(sources, dtype=np.int64), np.array(targets, dtype=np.int64), start, steps=steps)


def test_two_cliques_end_apart_each_one_together() -> None:
    s1, t1 = clique_edges(range(0, 12))
    s2, t2 = clique_edges(range(12, 24))
    where = layout(s1 + s2, t1 + t2, scattered(24))
    first, second = where[:12], where[12:]
    spread = max(np.linalg.norm(part - part.mean(0), axis=1).max() for part in (first, second))
    assert np.linalg.norm(first.mean(0) - second.mean(0)) > 2 * spread


def test_a_chain_keeps_its_order() -> None:
    n = 8
    start = np.column_stack([np.arange(n) * 1.0, np.zeros(n)]) + scattered(n) * 0.01
    where = layout(list(range(n - 1)), list(range(1, n)), start)
    distance = np.linalg.norm(where - where[0], axis=1)
    assert distance[-1] == distance.max()


def test_no_two_nodes_end_on_one_point() -> None:
    s, t = clique_edges(range(30))
    where = layout(s, t, np.zeros((30, 2)) + scattered(30) * 1e-6)
    gaps = np.linalg.norm(where[:, None, :] - where[None, :, :], axis=2) + np.eye(30)
    extent = np.ptp(where, axis=0).max()
    assert gaps.min() > 1e-3 * extent


def test_edge_direction_and_repeats_do_not_matter() -> None:
    start = scattered(5)
    once = layout([0, 1, 2], [1, 2, 3], start)
    both_ways = layout([0, 1, 2, 1, 2, 3, 0], [1, 2, 3, 0, 1, 2, 1], start)
    assert np.allclose(once, both_ways)


def test_one_node_or_none_stays_where_it_was() -> None:
    assert layout([], [], np.array([[4.0, 5.0]])).tolist() == [[4.0, 5.0]]
    assert layout([], [], np.zeros((0, 2))).shape == (0, 2)


@settings(max_examples=examples(30), deadline=None)
@given(
    st.integers(min_value=2, max_value=40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n),
            st.integers(0, 1000),
        )
    )
)
def test_any_graph_gets_finite_centred_positions_the_same_each_time(case: Case) -> None:
    n, edges, seed = case
    sources, targets = [a for a, _ in edges], [b for _, b in edges]
    start = scattered(n, seed)
    where = layout(sources, targets, start, steps=40)
    assert where.shape == (n, 2)
    assert np.isfinite(where).all()
    assert np.allclose(where.mean(axis=0), 0, atol=1e-6 * max(1.0, np.ptp(where)))
    assert np.array_equal(where, layout(sources, targets, start, steps=40))
    assert np.array_equal(start, scattered(n, seed))  # the start is not moved in place
