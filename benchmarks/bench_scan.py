"""Time reading a vault: the floor, scanning, graph building, GraphML export, a dry sync.

Run by hand (never as a timed test): ``python benchmarks/bench_scan.py VAULT [--repeat 5]``.
Prints the median of each stage and its ratio to the floor measured in the same run. The floor is
the least any tool must do: read every note and split it into words, in Python.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from vaultlink import app
from vaultlink.config import load_config
from vaultlink.vault import list_notes

sys.path.insert(0, str(Path(__file__).parent))
from benchlib import floor


def timed(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root: Path = args.vault
    out = Path(tempfile.mkdtemp()) / "graph.graphml"
    scan = app.scan_vault(root)
    stages: list[tuple[str, Callable[[], object]]] = [
        ("floor (read + split words)", lambda: floor(root, list_notes(root, load_config(root)).paths)),
        ("scan (parse + resolve)", lambda: app.scan_vault(root)),
        ("graph build (from a scan)", lambda: app.concept_graph(scan)),
        ("graph export (scan + build + write)", lambda: app.export_graph(root, out)),
        ("sync --dry-run (scan + rank + plan)", lambda: app.sync(root, dry_run=True)),
    ]
    print(f"vault: {root} ({len(scan.notes)} notes), cores: {os.cpu_count()}, repeat: {args.repeat}")
    base = 0.0
    for name, fn in stages:
        median = timed(fn, args.repeat)
        base = base or median
        print(f"{name:40s} median {median * 1000:9.1f} ms   {median / base:6.1f}x floor")


if __name__ == "__main__":
    main()
