"""The concepts with the most edges in each vault's concept graph, as markdown tables (issue 19:
do the concepts mean something?). Run by hand:

    python benchmarks/top_concepts.py [VAULT ...] [--top 20]

Default: vaultofknowledge and every vault in ../shared/vaults/. A concept's degree is the number of
notes that mention it (every edge a concept has is a mention); the graph is what ``vaultlink graph``
writes, without the Related edges (ranking is not needed to count concepts).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vaultlink import app
from vaultlink.core.graph import build_graph

SHARED = Path(__file__).resolve().parents[2] / "shared" / "vaults"


def top_concepts(vault: Path, top: int) -> str:
    scan = app.scan_vault(vault, app.NO_CACHE, keep_texts=False)
    graph = build_graph(scan.linked_notes, scan.links, scan.config)
    concepts = [(graph.degree(n), data) for n, data in graph.nodes(data=True) if data["kind"] == "concept"]
    concepts.sort(key=lambda item: (-item[0], item[1]["label"]))
    lines = [
        f"### {vault.name} ({len(scan.notes):,} notes, {len(concepts):,} concepts)",
        "",
        "| # | concept | kind | notes |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {i} | {data['label']} | {data['term_kind']} | {degree} |"
        for i, (degree, data) in enumerate(concepts[:top], 1)
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vaults", nargs="*", type=Path)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    vaults = args.vaults or sorted(p for p in SHARED.iterdir() if p.is_dir())
    if not vaults:
        sys.exit(f"no vaults given and none in {SHARED}")
    for vault in vaults:
        print(top_concepts(vault, args.top))


if __name__ == "__main__":
    main()
