"""Does building the concept graph stay linear? Synthetic Note records, no files.

Run by hand: ``python benchmarks/bench_graph_scale.py [--sizes 1000 10000 100000]``.
For each size, times link resolution and graph building and prints the time per note; a linear
build keeps that figure flat as the vault grows. Peak RSS is the whole process's so far.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from vaultlink.core.config import Config
from vaultlink.core.graph import build_graph
from vaultlink.core.note import Link, LinkKind, Note, PackedTerms, Term, TermKind
from vaultlink.core.resolve import resolve_all


def synthetic_notes(n: int, seed: int = 7) -> list[Note]:
    """Notes with Zipf-distributed phrases (a few common, most rare), a handful of tags and links."""
    rng = random.Random(seed)
    vocabulary = [f"topic{i} idea{i % 97}" for i in range(max(1000, n // 2))]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]
    notes = []
    for i in range(n):
        picks = set(rng.choices(vocabulary, weights, k=40))
        terms = PackedTerms.of(Term(p, p, TermKind.PHRASE, rng.randint(1, 4)) for p in sorted(picks))
        links = tuple(Link(f"note {rng.randrange(int(n * 1.05))}", LinkKind.WIKILINK, "") for _ in range(5))
        notes.append(Note(path=f"f{i % 100}/note {i}.md", title=f"note {i}", links=links, terms=terms))
    return notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    config = Config()
    for n in args.sizes:
        notes = synthetic_notes(n)
        start = time.perf_counter()
        links = resolve_all(notes, config)
        resolved = time.perf_counter()
        graph = build_graph(notes, links, config)
        built = time.perf_counter()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"{n:>7} notes: resolve {resolved - start:6.2f} s, build {built - resolved:6.2f} s, "
            f"{(built - start) / n * 1e6:6.1f} µs/note, {graph.number_of_nodes():>8} nodes, "
            f"{graph.number_of_edges():>9} edges, peak RSS {rss_mb:7.0f} MB"
        )


if __name__ == "__main__":
    main()
