"""Watch latency: from a note's save to its and its neighbours' blocks being written.

    python benchmarks/bench_watch.py [VAULT] [--notes 10000] [--saves 40] [--debounce 0.2] [--pairs 20 --gap 0.6]

Without VAULT, a synthetic vault (benchmarks/make_vault.py, seed 1) is generated in a temp
folder; with VAULT, a writable copy is used (the original is never touched). A real watchdog
observer runs; each trial appends a sentence and a link to a random note. Latency is the time from the
save until the batch that re-read the note has written its block and its neighbours' blocks,
minus the debounce (the quiet period the watcher waits on purpose). Target: p95 under 300 ms.
Notes whose Related list moves only because a term the save added or removed changed weight
(document frequency) are written by the batch right after; the time until that one is done
is reported too ("until ... written too").

Then ``--pairs`` times, two saves in a row: the second ``--gap`` seconds after the first one's
batch is written, that is while the lists it deferred are being checked; the second save's
latency (minus the debounce) is reported apart. It measures how long a save waits for a check
already under way.
"""

from __future__ import annotations

import argparse
import queue
import random
import shutil
import stat
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from vaultlink.live import LiveVault
from vaultlink.report import SyncReport
from vaultlink.watch import WatchSettings, run_watch

sys.path.insert(0, str(Path(__file__).parent))
from make_vault import Generator


def prepare(vault: Path | None, notes: int) -> Path:
    target = Path(tempfile.mkdtemp()) / "vault"
    if vault is None:
        Generator(notes, seed=1).write(target)
    else:
        shutil.copytree(vault, target, symlinks=True)
        for path in target.rglob("*"):  # a read-only original (../shared) would make every note read-only
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path, nargs="?")
    parser.add_argument("--notes", type=int, default=10000)
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--debounce", type=float, default=0.2)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--gap", type=float, default=0.6)
    args = parser.parse_args()
    root = prepare(args.vault, args.notes)
    start = time.perf_counter()
    live = LiveVault(root, grace=0.0)
    loaded = time.perf_counter()
    first = live.sync_all()
    print(f"vault {root}: {len(live.model.notes)} notes; load {loaded - start:.1f} s, first sync {first.seconds:.1f} s")

    batches: queue.Queue[tuple[float, SyncReport]] = queue.Queue()
    stop = threading.Event()
    ready = threading.Event()
    watcher = threading.Thread(
        target=run_watch,
        args=(live, WatchSettings(debounce=args.debounce, grace=0.0), stop),
        kwargs={
            "on_batch": lambda _paths, report: batches.put((time.perf_counter(), report)),
            "on_error": lambda exc: print("error:", exc),
            "on_ready": ready.set,
        },
        daemon=True,
    )
    watcher.start()
    ready.wait(10)
    rng = random.Random(2)
    paths = sorted(p for p, n in live.model.notes.items() if not n.is_stub)
    latencies: list[float] = []
    converged: list[float] = []
    written: list[int] = []
    batch_seconds: list[float] = []
    def save(trial: int) -> tuple[str, float]:
        rel = rng.choice(paths)
        other = Path(rng.choice(paths)).stem
        source = live.model.notes[rng.choice(paths)]
        sentence = source.terms[0].label if source.terms else "idea"
        saved = time.perf_counter()
        with open(root / rel, "a", encoding="utf-8") as f:
            f.write(f"\nMore on {sentence} in [[{other}]] (trial {trial}).\n")
        return rel, saved

    def batch_of(rel: str) -> tuple[float, SyncReport]:
        while True:
            done, report = batches.get(timeout=60)
            if rel in report.reparsed:
                return done, report

    def settle() -> None:
        time.sleep(args.debounce * 2)  # let the batch caused by our own writes pass
        while live.deferred:
            time.sleep(0.05)
        time.sleep(args.debounce * 2)
        while not batches.empty():
            batches.get()

    for trial in range(args.saves):
        rel, saved = save(trial)
        done, report = batch_of(rel)
        latencies.append(done - saved - args.debounce)
        settled = done
        if report.deferred:  # the notes it left for the next batch, which runs at once
            settled, _ = batches.get(timeout=60)
        converged.append(settled - saved - args.debounce)
        written.append(len(report.changed) + len(report.created) + len(report.deleted))
        batch_seconds.append(report.seconds)
        settle()
    second: list[float] = []
    for pair in range(args.pairs):
        rel, saved = save(args.saves + 2 * pair)
        done, _ = batch_of(rel)
        time.sleep(max(0.0, args.gap - (time.perf_counter() - done)))
        rel, saved = save(args.saves + 2 * pair + 1)
        done, _ = batch_of(rel)
        second.append(done - saved - args.debounce)
        settle()
    stop.set()
    watcher.join(5)
    shutil.rmtree(root.parent)  # the temp folder prepare() made
    latencies.sort()
    converged.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    p95_all = converged[max(0, round(0.95 * len(converged)) - 1)]
    print(
        f"{len(latencies)} saves: latency after debounce median {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms; "
        f"until notes moved only by a term's weight are written too: median "
        f"{statistics.median(converged) * 1000:.0f} ms, p95 {p95_all * 1000:.0f} ms; "
        f"update() median {statistics.median(batch_seconds) * 1000:.0f} ms; "
        f"files written per save median {statistics.median(written):.0f}, max {max(written)}"
    )
    if second:
        second.sort()
        print(
            f"{len(second)} saves {args.gap} s after the previous save's batch (its deferred check under way): "
            f"latency after debounce median {statistics.median(second) * 1000:.0f} ms, "
            f"p95 {second[max(0, round(0.95 * len(second)) - 1)] * 1000:.0f} ms, max {second[-1] * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
