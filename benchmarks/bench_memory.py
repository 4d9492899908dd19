"""Where a cold sync's memory goes: RSS at each step of ``app.sync``, and the peak in between.

Run by hand (never as a test):

    python benchmarks/make_vault.py 20000 /tmp/v20k
    python benchmarks/bench_memory.py /tmp/v20k            # syncs a copy, the original is untouched

The copy is synced in this process, as the CLI would. A thread
samples every 50 ms this process's RSS ("self") and that plus the proportional set size of its
children, the parser's worker processes ("tree", what bench_sync.py's "all processes" sums); each
line gives the values at a step's start and the peaks since the line before. Steps: reading (and
parsing), the ranking index's build (until "ranking" starts), ranking, planning, writing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found


def rss_mb() -> float:
    return _kb(f"/proc/{os.getpid()}/status", "VmRSS:") / 1024


def tree_mb() -> float:
    pss = sum(_kb(f"/proc/{c}/smaps_rollup", "Pss:") for c in _children(os.getpid()))
    return rss_mb() + pss / 1024


class Sampler:
    """Peaks of ``rss_mb`` and ``tree_mb`` since the last ``line``."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.peak_self = self.peak_tree = 0.0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            self.peak_self = max(self.peak_self, rss_mb())
            self.peak_tree = max(self.peak_tree, tree_mb())
            time.sleep(0.05)

    def line(self, label: str) -> None:
        print(
            f"{time.perf_counter() - self.start:7.1f} s  {label:18s} self {rss_mb():6.0f} MB  tree {tree_mb():6.0f} MB"
            f"  | peak since: self {self.peak_self:6.0f} MB  tree {self.peak_tree:6.0f} MB",
            flush=True,
        )
        self.peak_self = self.peak_tree = 0.0


class StepLines:
    """A ``Progress`` that prints a line as each step starts."""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler

    def step(self, label: str, total: int) -> Any:
        self.sampler.line(label)
        return lambda done: None

    def close(self) -> None:
        self.sampler.line("(step closed)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path)
    args = parser.parse_args()
    from vaultlink import app, parallel

    # The sampling thread would make parse_many choose "spawn" (it forks only a single-threaded
    # process); the CLI forks, so this measures what it does.
    parallel.threading = types.SimpleNamespace(active_count=lambda: 1, Thread=threading.Thread)  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="bench_memory-") as tmp:
        copy = Path(tmp) / args.vault.name
        shutil.copytree(args.vault, copy, ignore=shutil.ignore_patterns(".vaultlink"))
        sampler = Sampler()
        ranking = app.rank_all

        def rank_all(*a: Any, **k: Any) -> Any:
            sampler.line("ranking index")
            return ranking(*a, **k)

        app.rank_all = rank_all  # type: ignore[assignment]
        sampler.line("start")
        report = app.sync(copy, progress=StepLines(sampler))
        sampler.line("end")
        print(f"{report.scanned} notes, {len(report.changed)} changed, {len(report.created)} created")


if __name__ == "__main__":
    main()
