"""Time vaultlink's sync and graph export against the floor and against obsidiantools, in one run.

Run by hand (never as a timed test):

    python benchmarks/bench_sync.py VAULT [--repeat 3] [--json]
    python benchmarks/bench_sync.py --synthetic 10000 [--seed 1]     # a make_vault.py vault

Works on temporary copies of VAULT (the original is never touched; its ``.vaultlink/`` is not
copied). Every measured step runs in a subprocess of its own, so its wall time and memory are
that step's alone. Memory is given twice: "peak RSS" is ``ru_maxrss`` from ``os.wait4``, the
largest single process (this process stays small on purpose, since a child's ``ru_maxrss``
starts from its parent's RSS at the fork); "all processes" is the peak, sampled from /proc
every 0.2 s (less often for large processes), of the summed proportional set size (PSS) of the
step's process and its descendants, which counts the parallel parser's worker processes too.
Steps, each repeated ``--repeat`` times (medians quoted, memory the largest):

- floor: list the notes, read every one and split it into words, in Python (benchlib.py);
- graph export: ``vaultlink graph COPY -o out.graphml`` on the untouched copy, no cache;
- obsidiantools (a Python peer): ``Vault(COPY).connect()``, which builds its graph, on the same
  untouched copy (``--peer-repeat`` times, default 1: it is slow; its import timed apart);
- cold sync: ``vaultlink sync COPY`` on a fresh copy with an empty cache (``--cache-dir`` when the
  CLI has it; the copy's ``.vaultlink/`` is deleted in any case);
- warm no-op sync: the same command again on the synced copy, cache warm;
- one-note update: append a sentence to one note (seeded), then the same command;
- related NOTE and check, warm: on the vault as the last one-note sync left it (``answers.py``),
  ``related`` with ``--top 5``, the vault's own (the lists a sync keeps are those it writes);
- graph export after the sync, cache warm (only when the CLI has ``--cache-dir``);
- watch update, in-process: ``LiveVault`` (vaultlink/live.py) on the synced copy, ``sync_all``,
  then for ``--updates`` seeded notes: append a sentence, time ``live.update([note])``.

"wall" is the whole process (interpreter start, imports, work); "work" is timed inside the
process after its imports, which the ratios to the floor use (the floor's process imports
nothing from vaultlink). The OS page cache is warm for every step (the copy was just written).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import floor, note_paths

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# A child runs ``child(argv)`` of this module; keep this module's imports light.
CHILD = "import sys; sys.path.insert(0, sys.argv[1]); import bench_sync; bench_sync.child(sys.argv[2:])"
WORD = re.compile(r"[^\W\d_]{3,}")

# --- the child side ---------------------------------------------------------------------------------


def append_sentence(root: Path, rel: str, rng: random.Random, paths: list[str]) -> None:
    """Append to ``rel`` a sentence of a dozen words taken from another note (so it states terms
    the vault already has, as an edit usually does)."""
    words: list[str] = []
    for _ in range(5):
        words = WORD.findall((root / rng.choice(paths)).read_text("utf-8", "replace"))
        if len(words) >= 12:
            break
    start = rng.randrange(max(1, len(words) - 11))
    sentence = " ".join(words[start : start + 12]) or "another thought"
    with open(root / rel, "a", encoding="utf-8") as f:
        f.write(f"\n\nAlso: {sentence}.\n")


def _floor_child(root: Path) -> tuple[float, dict[str, Any]]:
    start = time.perf_counter()
    paths = note_paths(root)
    words = floor(root, paths)
    return time.perf_counter() - start, {"notes": len(paths), "words": words}


def _cli_child(args: list[str]) -> tuple[float, float, dict[str, Any]]:
    start = time.perf_counter()
    import vaultlink
    from vaultlink.cli import cli

    imported = time.perf_counter()
    code: int | str | None = 0
    try:
        cli.main(args=args, prog_name="vaultlink")
    except SystemExit as exc:
        code = exc.code
    done = time.perf_counter()
    return imported - start, done - imported, {"exit": code, "vaultlink": str(Path(vaultlink.__file__).parent)}


def _peer_child(root: Path) -> tuple[float, float, dict[str, Any]]:
    start = time.perf_counter()
    import obsidiantools.api as otools  # type: ignore[import-not-found, unused-ignore]

    imported = time.perf_counter()
    vault = otools.Vault(root).connect()
    done = time.perf_counter()
    graph = vault.graph
    return imported - start, done - imported, {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}


def _live_child(root: Path, updates: int, seed: int, cache_dir: str) -> tuple[float, float, dict[str, Any]]:
    start = time.perf_counter()
    import inspect

    from vaultlink import app
    from vaultlink.live import LiveVault

    imported = time.perf_counter()
    extra: dict[str, Any] = {}
    if "cache" in inspect.signature(LiveVault).parameters:  # the CLI's cache, as 'vaultlink watch' uses it
        extra["cache"] = app.CacheOptions(folder=cache_dir or None)
    live = LiveVault(root, grace=0.0, **extra)
    loaded = time.perf_counter()
    first = live.sync_all()
    rng = random.Random(seed)
    paths = sorted(p for p, n in live.model.notes.items() if not n.is_stub)
    samples = []
    for _ in range(updates):
        rel = rng.choice(paths)
        append_sentence(root, rel, rng, paths)
        report = live.update([rel])
        written = len(report.changed) + len(report.created) + len(report.deleted)
        # Notes a save moves only through a term's weight may be left to the next batch
        # ('deferred'); that batch runs at once, and is timed apart.
        later = live.update([]) if getattr(live, "deferred", None) else None
        samples.append(
            {
                "path": rel,
                "seconds": report.seconds,
                "written": written,
                "deferred_seconds": later.seconds if later else 0.0,
                "deferred_written": len(later.changed) if later else 0,
            }
        )
    info = {
        "load_s": loaded - imported,
        "sync_all_s": first.seconds,
        "sync_all_written": len(first.changed) + len(first.created) + len(first.deleted),
        "updates": samples,
    }
    return imported - start, time.perf_counter() - imported, info


def child(argv: list[str]) -> None:
    """Run one step in this (fresh) process and write its timings as JSON to ``argv[1]``."""
    kind, result, *rest = argv
    imports = 0.0
    if kind == "floor":
        work, info = _floor_child(Path(rest[0]))
    elif kind == "cli":
        imports, work, info = _cli_child(rest)
    elif kind == "peer":
        imports, work, info = _peer_child(Path(rest[0]))
    elif kind == "live":
        imports, work, info = _live_child(Path(rest[0]), int(rest[1]), int(rest[2]), rest[3])
    else:
        raise SystemExit(f"unknown step kind {kind}")
    Path(result).write_text(json.dumps({"import_s": imports, "work_s": work, "info": info}))


# --- the parent side --------------------------------------------------------------------------------


@dataclass
class Run:
    wall_s: float
    work_s: float
    import_s: float
    rss_kb: int
    tree_kb: int
    info: dict[str, Any]


@dataclass
class Step:
    name: str
    runs: list[Run] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(run, attribute) for run in self.runs)

    @property
    def rss_mb(self) -> float:
        return max(run.rss_kb for run in self.runs) / 1024

    @property
    def tree_mb(self) -> float:
        return max(run.tree_kb for run in self.runs) / 1024

    @property
    def written(self) -> str:
        counts = [run.info["written"] for run in self.runs if "written" in run.info]
        return "" if not counts else str(counts[0]) if len(set(counts)) == 1 else f"{min(counts)}–{max(counts)}"


class Bench:
    def __init__(self, work: Path, quiet: bool) -> None:
        self.work = work
        self.quiet = quiet
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        self.steps: dict[str, Step] = {}

    def say(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)

    def measure(self, name: str, kind: str, *args: str) -> Run:
        """Run one step in a child process: its wall time, its peak RSS, its own timings."""
        out = self.work / "child"
        out.mkdir(exist_ok=True)
        result = out / "result.json"
        result.unlink(missing_ok=True)
        with open(out / "stdout", "wb") as stdout, open(out / "stderr", "wb") as stderr:
            start = time.perf_counter()
            proc = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(HERE), kind, str(result), *args],
                cwd=REPO,
                env=self.env,
                stdout=stdout,
                stderr=stderr,
            )
            status, usage, tree_kb = wait_sampling(proc.pid)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0 or not result.exists():
            tail = (out / "stderr").read_text("utf-8", "replace")[-2000:]
            raise SystemExit(f"{name}: child exited {proc.returncode}\n{tail}")
        data = json.loads(result.read_text())
        info = data["info"]
        if kind == "cli":
            if info["exit"] not in (0, None) and not (args[0] == "check" and info["exit"] == 1):  # 1: problems found
                tail = (out / "stderr").read_text("utf-8", "replace")[-2000:]
                raise SystemExit(f"{name}: vaultlink exited {info['exit']}\n{tail}")
            info.update(_sync_counts((out / "stdout").read_text("utf-8", "replace")))
        run = Run(wall, data["work_s"], data["import_s"], usage.ru_maxrss, max(tree_kb, usage.ru_maxrss), info)
        self.steps.setdefault(name, Step(name)).runs.append(run)
        self.say(
            f"  {name}: wall {wall * 1000:,.0f} ms, work {run.work_s * 1000:,.0f} ms, "
            f"peak RSS {run.rss_kb / 1024:,.0f} MB, processes {run.tree_kb / 1024:,.0f} MB"
        )
        return run


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        found.append(parent)
        try:
            tasks = list(Path(f"/proc/{parent}/task").glob("*/children"))
        except OSError:
            continue  # the process ended while being looked at
        for task in tasks:
            with contextlib.suppress(OSError):
                todo += [int(child) for child in task.read_text().split()]
    return found


def _tree_kb(pid: int) -> int:
    """Proportional set size (shared pages split between sharers) of ``pid`` and its descendants."""
    total = 0
    for member in _descendants(pid):
        try:
            text = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        total += sum(int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:"))
    return total


def wait_sampling(pid: int) -> tuple[int, os.struct_rusage, int]:
    """Wait for ``pid``; its status, its rusage, and the peak memory of its process tree (worker
    processes included, which ``ru_maxrss`` leaves out), sampled where /proc allows: every 0.2 s,
    or less often when reading the large processes' page tables costs more than 5% of a core."""
    sampling = Path("/proc/self/smaps_rollup").exists()
    peak, pause = 0, 0.02
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage, peak
        cost = 0.0
        if sampling:
            start = time.perf_counter()
            peak = max(peak, _tree_kb(pid))
            cost = time.perf_counter() - start
        time.sleep(max(pause, 20 * cost))
        pause = min(0.2, pause * 2)


def _sync_counts(stdout: str) -> dict[str, Any]:
    """What ``sync --json`` reported: notes scanned and files written."""
    try:
        payload = json.loads(stdout)
    except json.JSONDecodeError:
        return {}
    if not isinstance(payload, dict) or "scanned" not in payload:
        return {}
    written = sum(len(payload.get(key, [])) for key in ("changed", "created", "deleted"))
    return {"scanned": payload["scanned"], "written": written}


def fresh_copy(source: Path, target: Path) -> Path:
    """A writable copy of the vault without its ``.vaultlink/`` (cache, lock)."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".vaultlink"))
    for folder, _dirs, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)
    return target


def has_cache_dir(command: str, env: dict[str, str]) -> bool:
    """Does ``vaultlink COMMAND`` take ``--cache-dir``?"""
    help_text = subprocess.run(
        [sys.executable, "-m", "vaultlink", command, "--help"], cwd=REPO, env=env, capture_output=True, text=True
    ).stdout
    return "--cache-dir" in help_text


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + (" + uncommitted changes in vaultlink/" if git("status", "--porcelain", "--", "vaultlink") else "")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def run_all(args: argparse.Namespace, bench: Bench, source: Path) -> dict[str, Any]:
    work = bench.work
    sync_cache = has_cache_dir("sync", bench.env)
    graph_cache = has_cache_dir("graph", bench.env)
    out_graph = str(work / "out.graphml")
    copy = fresh_copy(source, work / "vault")
    notes = note_paths(copy)
    bench.say(f"{len(notes)} notes; sync --cache-dir: {sync_cache}, graph --cache-dir: {graph_cache}")

    for _ in range(args.repeat):
        bench.measure("floor", "floor", str(copy))
    skip = set(args.skip)
    for i in range(0 if "graph" in skip else args.repeat):
        shutil.rmtree(copy / ".vaultlink", ignore_errors=True)
        flags = ["--cache-dir", str(work / f"graph-cache-{i}")] if graph_cache else []
        bench.measure("graph export (no cache)", "cli", "graph", str(copy), "-o", out_graph, *flags)
    peer_installed = _has_module("obsidiantools")
    peer_repeat = 0 if "peer" in skip else args.peer_repeat
    if peer_repeat and peer_installed:
        for _ in range(peer_repeat):
            bench.measure("obsidiantools Vault().connect()", "peer", str(copy))
    elif peer_repeat:
        bench.say("obsidiantools is not installed: pip install -e '.[bench]'")

    cache = work / "cache"
    sync = ["sync", str(copy), "--json", *(["--cache-dir", str(cache)] if sync_cache else [])]
    for i in range(args.repeat):
        if i:
            copy = fresh_copy(source, work / "vault")
        shutil.rmtree(copy / ".vaultlink", ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        bench.measure("cold sync", "cli", *sync)
    for _ in range(0 if "warm" in skip else args.repeat):
        bench.measure("warm no-op sync", "cli", *sync)
    rng = random.Random(args.seed)
    for _ in range(0 if "update" in skip else args.repeat):
        append_sentence(copy, rng.choice(notes), rng, notes)
        bench.measure("one-note update (sync)", "cli", *sync)
    if "questions" not in skip:
        # After the one-note syncs: 'related' and 'check' on the vault as the last sync left it
        # (answers.py), 'related' with the vault's top (the CLI's own default is 10).
        note = rng.choice(notes).rsplit("/", 1)[-1].removesuffix(".md")
        cache_flags = ["--cache-dir", str(cache)] if sync_cache else []
        for _ in range(args.repeat):
            bench.measure("related NOTE (warm)", "cli", "related", str(copy), note, "--top", "5", *cache_flags)
        for _ in range(args.repeat):
            bench.measure("check (warm)", "cli", "check", str(copy), "-q", *cache_flags)
    if (sync_cache or graph_cache) and "graph" not in skip:
        flags = ["--cache-dir", str(cache)] if graph_cache else []
        for _ in range(args.repeat):
            bench.measure("graph export (after sync)", "cli", "graph", str(copy), "-o", out_graph, *flags)
    if args.updates and "live" not in skip:
        cache_arg = str(cache) if sync_cache else ""
        bench.measure("watch update (LiveVault)", "live", str(copy), str(args.updates), str(args.seed), cache_arg)
    return {"sync_cache_dir": sync_cache, "graph_cache_dir": graph_cache, "peer_installed": peer_installed}


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def report(bench: Bench, header: dict[str, Any]) -> list[str]:
    steps = bench.steps
    base = steps["floor"]
    floor_work, floor_wall = base.median("work_s"), base.median("wall_s")
    lines = [
        f"vault: {header['vault']} ({header['notes']} notes, {header['megabytes']:.1f} MB of notes)",
        f"vaultlink {header['commit']} from {header['vaultlink']}; Python {header['python']}; "
        f"cores: {header['cores']}; load average {header['load_before']:.1f} before, {header['load_after']:.1f} after; "
        f"repeat {header['repeat']}",
        "",
        "| step | runs | wall ms | work ms | imports ms | peak RSS MB | all processes MB | work × floor | wall × floor "
        "| written |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for step in steps.values():
        if step.name.startswith("watch"):
            continue
        work, wall = step.median("work_s"), step.median("wall_s")
        lines.append(
            f"| {step.name} | {len(step.runs)} | {wall * 1000:,.0f} | {work * 1000:,.0f} | "
            f"{step.median('import_s') * 1000:,.0f} | {step.rss_mb:,.0f} | {step.tree_mb:,.0f} | "
            f"{work / floor_work:.1f} | {wall / floor_wall:.1f} | {step.written} |"
        )
    targets = ["", "targets (issue 22):"]
    for name, bound in [
        ("cold sync", 25),
        ("one-note update (sync)", 3),
        ("related NOTE (warm)", 2),
        ("check (warm)", 2),
    ]:
        if name in steps:
            ratio = steps[name].median("work_s") / floor_work
            targets.append(f"- {name} ≤ {bound}× floor: {ratio:.1f}× ({'met' if ratio <= bound else 'not met'})")
    if "warm no-op sync" in steps:
        ratio = steps["warm no-op sync"].median("work_s") / floor_work
        targets.append(f"- warm no-op sync ≤ 1× floor: {ratio:.1f}× ({'met' if ratio <= 1 else 'not met'})")
    if "cold sync" in steps:
        rss = max(steps["cold sync"].rss_mb, steps["cold sync"].tree_mb)
        targets.append(f"- cold sync peak memory < 2,048 MB: {rss:,.0f} MB ({'met' if rss < 2048 else 'not met'})")
    if "watch update (LiveVault)" in steps:
        info = steps["watch update (LiveVault)"].runs[0].info
        ms = [u["seconds"] * 1000 for u in info["updates"]]
        written = [u["written"] for u in info["updates"]]
        lines += [
            "",
            f"watch update, in-process (LiveVault load {info['load_s']:.1f} s, sync_all {info['sync_all_s']:.1f} s "
            f"writing {info['sync_all_written']}, peak RSS {steps['watch update (LiveVault)'].rss_mb:,.0f} MB): "
            f"{len(ms)} one-note updates, median {statistics.median(ms):,.0f} ms, p95 {percentile(ms, 0.95):,.0f} ms, "
            f"max {max(ms):,.0f} ms; files written per update median {statistics.median(written):.0f}, "
            f"max {max(written)}",
        ]
        total = [(u["seconds"] + u.get("deferred_seconds", 0.0)) * 1000 for u in info["updates"]]
        if total != ms:
            lines.append(
                f"with the batch after it (notes deferred because only a term's weight moved them): "
                f"median {statistics.median(total):,.0f} ms, p95 {percentile(total, 0.95):,.0f} ms, "
                f"max {max(total):,.0f} ms"
            )
        median = statistics.median(ms)
        targets.append(f"- one-note update < 100 ms: median {median:,.0f} ms ({'met' if median < 100 else 'not met'})")
    peer = steps.get("obsidiantools Vault().connect()")
    if peer and "graph export (no cache)" in steps:
        graph = steps["graph export (no cache)"]
        info = peer.runs[0].info
        lines += [
            "",
            f"obsidiantools graph: {info['nodes']} nodes, {info['edges']} edges; its import "
            f"{peer.median('import_s') * 1000:,.0f} ms (not in 'work')",
        ]
        for name, bound in [("graph export (no cache)", 10), ("graph export (after sync)", 20)]:
            if name not in steps:
                continue
            graph = steps[name]
            speedup = peer.median("work_s") / graph.median("work_s")
            on_wall = peer.median("wall_s") / graph.median("wall_s")
            targets.append(
                f"- {name} ≥ {bound}× faster than obsidiantools: {speedup:.1f}× on work, "
                f"{on_wall:.1f}× on wall ({'met' if speedup >= bound else 'not met'})"
            )
    scanned = {run.info.get("scanned") for run in steps.get("cold sync", Step("")).runs} - {None}
    if scanned and scanned != {header["notes"]}:
        lines.append(f"note: the floor read {header['notes']} notes, vaultlink scanned {sorted(scanned)}")
    return lines + targets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vault", type=Path, nargs="?")
    parser.add_argument("--synthetic", type=int, metavar="N", help="generate a vault of N notes (make_vault.py)")
    parser.add_argument("--seed", type=int, default=1, help="vault generator's and edits' seed")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-repeat", type=int, default=1, help="obsidiantools runs (0: skip it)")
    parser.add_argument("--updates", type=int, default=20, help="one-note LiveVault updates (0: skip)")
    parser.add_argument(
        "--skip",
        nargs="+",
        default=[],
        choices=["graph", "peer", "warm", "update", "questions", "live"],
        help="steps to leave out",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = parser.parse_args()
    if (args.vault is None) == (args.synthetic is None):
        parser.error("give either VAULT or --synthetic N")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    work = Path(tempfile.mkdtemp(prefix="bench_sync-"))
    bench = Bench(work, quiet=False)
    try:
        if args.synthetic is not None:
            source = work / f"synthetic-{args.synthetic}"
            start = time.perf_counter()
            generate = [sys.executable, str(HERE / "make_vault.py"), str(args.synthetic), str(source)]
            subprocess.run([*generate, "--seed", str(args.seed)], check=True, stdout=subprocess.DEVNULL)
            bench.say(f"generated {args.synthetic} notes in {time.perf_counter() - start:.1f} s")
        else:
            source = args.vault
        found = note_paths(source)
        header: dict[str, Any] = {
            "vault": f"synthetic {args.synthetic} notes, seed {args.seed}" if args.synthetic else str(args.vault),
            "notes": len(found),
            "megabytes": sum((source / p).stat().st_size for p in found) / 1e6,
            "commit": commit(),
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "repeat": args.repeat,
            "load_before": os.getloadavg()[0],
        }
        header.update(run_all(args, bench, source))
        header["load_after"] = os.getloadavg()[0]
        header["vaultlink"] = next(
            (r.info["vaultlink"] for s in bench.steps.values() for r in s.runs if "vaultlink" in r.info), "?"
        )
        if args.json:
            steps = {name: [asdict(run) for run in step.runs] for name, step in bench.steps.items()}
            print(json.dumps({**header, "steps": steps}, indent=2))
        else:
            print("\n".join(report(bench, header)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
