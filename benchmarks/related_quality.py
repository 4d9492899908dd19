"""Link prediction on real vaults: does vaultlink's Related ranking find the links a writer made?

Run by hand: ``python benchmarks/related_quality.py [VAULT ...] [--seed 1 2 3] [--proxies] [--json]``.
Without a vault it measures every vault in ``../shared/vaults/`` (those present) and ``sample_vault``.

In each vault the linked note pairs (unordered {a, b}, a links to b or b to a, as vaultlink's own scan
resolves them) are counted; a seeded random share of them is hidden in a temporary copy of the vault
(every occurrence of the link, in both notes, becomes its visible text as plain prose); vaultlink and
two baselines (TF-IDF cosine over the note text, Adamic-Adar over the remaining links) then rank, for
each note of a hidden pair, every other note not still linked to it. For each hidden pair both
directions are measured (the rank of b in a's list and of a in b's): recall@5, recall@10 and MRR,
per seed, their mean, and the ratio to the best baseline against issue 15's target (1.2× on every
shared vault; sample_vault exempt). With ``--proxies``, the precision proxies of what a plain sync
writes (``quality/written.py``) are measured too. The input vaults are only read. Method and
measured tables: ``docs/related_quality.md``.

To measure another ranker, change ``vaultlink_ranker`` (``quality/common.py``, the one place
vaultlink's ranking is called), or add it as an extra row in the same run: ``--ranker
package.module:factory``, where ``factory(scan) -> rank`` and ``rank(path, exclude) -> [paths, best
first]``; when the factory also has ``related_all`` (``quality.common.Writer``), ``--proxies``
measures what a sync ranked by it would write.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import written
from quality.baselines import BASELINES, CJK_BASELINE, baselines_for
from quality.common import (
    EXEMPT,
    MAX_RANK,
    Pair,
    RankerFactory,
    copy_vault,
    default_vaults,
    load_ranker,
    scan_vault,
    vaultlink_ranker,
)
from quality.hiding import choose_hidden, linked_pairs, partners_of, write_hidden_copy

from vaultlink.app import VaultScan
from vaultlink.core.resolve import Outcome

BASELINE_NAMES = frozenset(BASELINES) | frozenset(CJK_BASELINE)
KS = (5, 10)
TARGET_RATIO = 1.2
"""Issue 15: on every shared vault, vaultlink's recall@10 and MRR are at least this multiple of the
best baseline's."""


# --- measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    recall_at_5: float
    recall_at_10: float
    mrr: float


def rank_of(ranked: Sequence[str], target: str) -> int | None:
    """The 1-based rank of ``target`` within the first ``MAX_RANK`` entries, None if not there."""
    for i, path in enumerate(ranked[:MAX_RANK], 1):
        if path == target:
            return i
    return None


def metrics(ranks: Sequence[int | None]) -> Metrics:
    """recall@5, recall@10 and MRR of a set of (query, target) cases, from the target's ranks."""
    if not ranks:
        return Metrics(0.0, 0.0, 0.0)
    n = len(ranks)
    recall = [sum(1 for r in ranks if r is not None and r <= k) / n for k in KS]
    mrr = sum(1 / r for r in ranks if r is not None) / n
    return Metrics(recall[0], recall[1], mrr)


@dataclass(frozen=True)
class Case:
    """One hidden pair seen from one side: where does ``target`` land in ``query``'s list?"""

    query: str
    target: str


def cases_of(hidden: Iterable[Pair]) -> list[Case]:
    """Both directions of every hidden pair."""
    return [case for a, b in sorted(hidden) for case in (Case(a, b), Case(b, a))]


@dataclass
class SeedRun:
    seed: int
    hidden_pairs: int
    not_hidden: int
    """Pairs chosen but still linked after rewriting (a link form this benchmark can't undo); left out."""
    cases: list[Case]
    ranks: dict[str, list[int | None]] = field(default_factory=dict)
    listed: dict[str, Listed] = field(default_factory=dict)
    seconds: float = 0.0

    def metrics(self) -> dict[str, Metrics]:
        return {name: metrics(ranks) for name, ranks in self.ranks.items()}


@dataclass(frozen=True)
class Listed:
    """What a sync would list for the query notes (their Related blocks at default settings: top 5,
    cut as the ranker cuts), held against the hidden links: how many entries, how many of them are
    a hidden partner (each is one case found). Most good entries are no hidden
    link, so only comparisons between rankers mean something: an entry a ranker stops listing that
    was no hidden link, while ``found`` holds, is more likely noise."""

    queries: int
    entries: int
    hits: int
    cases: int

    @property
    def precision(self) -> float:
        return self.hits / self.entries if self.entries else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.cases if self.cases else 0.0


def listed(ranker: Any, scan: VaultScan, cases: Sequence[Case], still_linked: Mapping[str, set[str]]) -> Listed:
    """``ranker.related_all``'s lists for the query notes of ``cases``, as a sync would write them."""
    lists = ranker.related_all(
        top=scan.config.related_top, min_score=scan.config.related_min_score, exclude=still_linked, reasons=False
    )
    queries = {c.query for c in cases}
    hidden = {(c.query, c.target) for c in cases}
    entries = [(q, s.path) for q in sorted(queries) for s in lists.get(q, [])]
    hits = sum(1 for e in entries if e in hidden)
    return Listed(len(queries), len(entries), hits, len(cases))


def measure(
    scan: VaultScan, cases: Sequence[Case], rankers: Mapping[str, RankerFactory]
) -> tuple[dict[str, list[int | None]], dict[str, Listed]]:
    """Each ranker's rank of each case's target, candidates being the notes not linked to the query;
    and, for a ranker that can say what a sync writes, what it would list (``Listed``)."""
    still_linked = partners_of(linked_pairs(scan.links))
    out: dict[str, list[int | None]] = {}
    written: dict[str, Listed] = {}
    for name, factory in rankers.items():
        rank = factory(scan)
        lists: dict[str, list[str]] = {}
        for case in cases:
            if case.query not in lists:
                exclude = frozenset(still_linked.get(case.query, ()))
                lists[case.query] = [p for p in rank(case.query, exclude) if p not in exclude and p != case.query]
        out[name] = [rank_of(lists[c.query], c.target) for c in cases]
        if hasattr(rank, "related_all"):
            written[name] = listed(rank, scan, cases, still_linked)
    return out, written


def run_seed(
    pristine: Path, scan: VaultScan, seed: int, fraction: float, rankers: Mapping[str, RankerFactory], work: Path
) -> tuple[SeedRun, VaultScan]:
    """Hide a seeded share of the links in a fresh copy of ``pristine`` and rank with each ranker."""
    start = time.perf_counter()
    pairs = linked_pairs(scan.links)
    chosen = choose_hidden(pairs, fraction, seed)
    copy = work / f"seed-{seed}" / pristine.name
    shutil.copytree(pristine, copy, symlinks=True, ignore=shutil.ignore_patterns(".vaultlink"))
    write_hidden_copy(scan, chosen, copy)
    hidden_scan = scan_vault(copy)
    remaining = linked_pairs(hidden_scan.links)
    hidden = [p for p in chosen if p not in remaining]
    new = remaining - pairs
    if new:
        print(f"warning: hiding made {len(new)} new linked pairs, e.g. {sorted(new)[:3]}", file=sys.stderr)
    cases = cases_of(hidden)
    ranks, written_lists = measure(hidden_scan, cases, rankers)
    run = SeedRun(seed, len(hidden), len(chosen) - len(hidden), cases, ranks, written_lists)
    run.seconds = time.perf_counter() - start
    return run, hidden_scan


@dataclass
class VaultRun:
    """Every seed's run on one vault, and (with ``--proxies``) the written blocks' proxies by ranker."""

    vault: Path
    notes: int
    pairs: int
    runs: list[SeedRun]
    misses: list[str] = field(default_factory=list)
    proxies: dict[str, written.Proxies] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.vault.resolve().name

    @property
    def exempt(self) -> bool:
        return self.name in EXEMPT

    def mean(self) -> dict[str, Metrics]:
        return mean_metrics(self.runs)


def measure_vault(
    vault: Path,
    seeds: Sequence[int],
    fraction: float,
    rankers: Mapping[str, RankerFactory],
    work: Path,
    *,
    misses_shown: int = 0,
    with_proxies: bool = False,
) -> VaultRun:
    """Link prediction on one vault for every seed; then, if asked, what a sync writes there."""
    pristine = copy_vault(vault, work / "pristine")
    scan = scan_vault(pristine)
    pairs = linked_pairs(scan.links)
    result = VaultRun(vault, len(scan.linked_notes), len(pairs), [])
    every = {**rankers, **baselines_for(scan)}
    for seed in seeds:
        run, _ = run_seed(pristine, scan, seed, fraction, every, work)
        result.runs.append(run)
        if misses_shown:
            result.misses.append(misses(run, scan, misses_shown))
        shutil.rmtree(work / f"seed-{seed}")
    if with_proxies:
        for name, factory in rankers.items():
            if name == "vaultlink" or hasattr(factory, "related_all"):
                chosen = None if name == "vaultlink" else factory
                blocks = written.written_by_sync(vault, work / "written" / name, chosen)
                result.proxies[name] = written.proxies(blocks)
    shutil.rmtree(work, ignore_errors=True)
    return result


# --- reporting ----------------------------------------------------------------------------------


def ratio(results: Mapping[str, Metrics], method: str = "vaultlink", metric: str = "recall_at_10") -> tuple[float, str]:
    """``method``'s ``metric`` over the best baseline's, and that baseline's name."""
    baselines = [n for n in results if n in BASELINE_NAMES]
    best = max(baselines, key=lambda name: getattr(results[name], metric))
    base = getattr(results[best], metric)
    return (getattr(results[method], metric) / base if base else math.inf), best


def table(
    results: Mapping[str, Metrics], pairs: int | str, queries: int | str, lists: Mapping[str, ListedMean] | None = None
) -> str:
    lines = [
        "| method | recall@5 | recall@10 | MRR | hidden pairs | queries | listed / note | listed precision "
        "| listed recall |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in results.items():
        got = (lists or {}).get(name)
        extra = f"{got.per_note:.2f} | {got.precision:.3f} | {got.recall:.3f}" if got else " | "
        lines.append(
            f"| {name} | {m.recall_at_5:.3f} | {m.recall_at_10:.3f} | {m.mrr:.3f} | {pairs} | {queries} | {extra} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class ListedMean:
    """``Listed`` as shares, averaged over seeds."""

    per_note: float
    precision: float
    recall: float


def mean_listed(runs: Sequence[SeedRun]) -> dict[str, ListedMean]:
    names = [n for n in runs[0].listed if all(n in r.listed for r in runs)]
    return {
        name: ListedMean(
            statistics.fmean(r.listed[name].entries / max(r.listed[name].queries, 1) for r in runs),
            statistics.fmean(r.listed[name].precision for r in runs),
            statistics.fmean(r.listed[name].recall for r in runs),
        )
        for name in names
    }


def mean_metrics(runs: Sequence[SeedRun]) -> dict[str, Metrics]:
    names = list(runs[0].ranks)
    per_run = [r.metrics() for r in runs]
    return {
        name: Metrics(
            statistics.fmean(m[name].recall_at_5 for m in per_run),
            statistics.fmean(m[name].recall_at_10 for m in per_run),
            statistics.fmean(m[name].mrr for m in per_run),
        )
        for name in names
    }


def verdict(results: Mapping[str, Metrics], method: str = "vaultlink", exempt: bool = False) -> str:
    """``method``'s recall@10 and MRR against the best baseline's, and whether each meets the target."""
    parts = []
    for metric, label in (("recall_at_10", "recall@10"), ("mrr", "MRR")):
        value, best = ratio(results, method, metric)
        met = "exempt" if exempt else ("met" if value >= TARGET_RATIO else "NOT met")
        parts.append(f"{label} {value:.2f}× {best} ({met})")
    return f"{method} / best baseline: " + ", ".join(parts) + f"; target ≥ {TARGET_RATIO}×"


def summary_table(vaults: Sequence[VaultRun]) -> str:
    """Every vault's mean over its seeds, each method with its ratios to the best baseline."""
    lines = [
        f"| vault | notes | linked pairs | method | recall@5 | recall@10 | MRR | recall@10 / best baseline "
        f"| MRR / best baseline | target ≥ {TARGET_RATIO}× | listed / note | listed precision | listed recall |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for v in vaults:
        mean = v.mean()
        lists = mean_listed(v.runs)
        for name, m in mean.items():
            got = lists.get(name)
            cells = ["", "", ""]
            if name not in BASELINE_NAMES:
                r10, b10 = ratio(mean, name, "recall_at_10")
                rr, br = ratio(mean, name, "mrr")
                ok = r10 >= TARGET_RATIO and rr >= TARGET_RATIO
                cells = [
                    f"{r10:.2f}× ({b10})",
                    f"{rr:.2f}× ({br})",
                    "exempt" if v.exempt else ("met" if ok else "NOT met"),
                ]
            lines.append(
                f"| {v.name} | {v.notes} | {v.pairs} | {name} | {m.recall_at_5:.3f} | {m.recall_at_10:.3f} "
                f"| {m.mrr:.3f} | "
                + " | ".join(cells)
                + " | "
                + (f"{got.per_note:.2f} | {got.precision:.3f} | {got.recall:.3f} |" if got else " | | |")
            )
    return "\n".join(lines)


def misses(run: SeedRun, scan: VaultScan, limit: int) -> str:
    """Cases vaultlink ranks below 10 (or not at all), those a baseline finds first, with how the
    hidden link was written."""
    forms: dict[Pair, list[str]] = defaultdict(list)
    for r in scan.links:
        if r.resolution.outcome is Outcome.NOTE and r.resolution.target != r.source:
            pair = (min(r.source, r.resolution.target), max(r.source, r.resolution.target))
            forms[pair].append(f"{r.link.kind.value} {r.link.raw}")
    names = list(run.ranks)
    missed = [i for i, case in enumerate(run.cases) if (run.ranks["vaultlink"][i] or MAX_RANK + 1) > 10]

    def best_other(i: int) -> int:
        return min((run.ranks[n][i] or MAX_RANK + 1) for n in names if n != "vaultlink")

    lines = [f"vaultlink misses (rank > 10), seed {run.seed}: {len(missed)} of {len(run.cases)} cases"]
    for i in sorted(missed, key=lambda i: (best_other(i), run.cases[i].query))[:limit]:
        case = run.cases[i]
        ranks = ", ".join(f"{n} {run.ranks[n][i] or '-'}" for n in names)
        pair = (min(case.query, case.target), max(case.query, case.target))
        lines.append(f"- {case.query} -> {case.target}  [{ranks}]  via {'; '.join(sorted(set(forms[pair])))}")
    return "\n".join(lines)


def report(v: VaultRun) -> str:
    """One vault's tables: each seed, their mean, and the misses asked for."""
    out = [f"## {v.name}: {v.notes} notes, {v.pairs} linked pairs ({v.vault})"]
    for run in v.runs:
        distinct = len({c.query for c in run.cases})
        out.append(
            f"\nseed {run.seed}: {run.hidden_pairs} pairs hidden ({run.not_hidden} could not be), "
            f"{len(run.cases)} queries over {distinct} notes, {run.seconds:.1f} s\n"
        )
        out.append(table(run.metrics(), run.hidden_pairs, len(run.cases), mean_listed([run])))
        out.append("\n" + verdict(run.metrics(), exempt=v.exempt))
    if len(v.runs) > 1:
        out.append(f"\nmean over seeds {', '.join(str(r.seed) for r in v.runs)}:\n")
        pairs = f"{statistics.fmean(r.hidden_pairs for r in v.runs):.0f}"
        out.append(table(v.mean(), pairs, "—", mean_listed(v.runs)))
        out.append("\n" + verdict(v.mean(), exempt=v.exempt))
    out.extend("\n" + m for m in v.misses)
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vaults", type=Path, nargs="*", help="default: ../shared/vaults/* and sample_vault")
    parser.add_argument("--seed", type=int, nargs="+", default=[1, 2, 3], help="one run per seed (default 1 2 3)")
    parser.add_argument("--hide", type=float, default=0.2, help="share of linked pairs to hide (default 0.2)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument("--ranker", action="append", default=[], metavar="MODULE:FUNCTION", help="an extra row")
    parser.add_argument("--misses", type=int, default=0, metavar="N", help="list N cases vaultlink ranks below 10")
    parser.add_argument("--proxies", action="store_true", help="also measure the precision proxies of a sync")
    args = parser.parse_args(argv)
    if not 0 < args.hide < 1:
        parser.error("--hide must be between 0 and 1")
    rankers: dict[str, RankerFactory] = {"vaultlink": vaultlink_ranker}
    rankers.update(load_ranker(spec) for spec in args.ranker)
    vaults = args.vaults or default_vaults()
    missing = [v for v in vaults if not v.is_dir()]
    for v in missing:
        print(f"skipped {v}: not a folder", file=sys.stderr)

    results: list[VaultRun] = []
    for vault in (v for v in vaults if v.is_dir()):
        with tempfile.TemporaryDirectory(prefix="vaultlink-quality-") as tmp:
            results.append(
                measure_vault(
                    vault,
                    args.seed,
                    args.hide,
                    rankers,
                    Path(tmp),
                    misses_shown=args.misses,
                    with_proxies=args.proxies,
                )
            )
        if not args.json:
            print(report(results[-1]) + "\n", flush=True)
    if args.json:
        print(json.dumps(as_json(args, results), indent=2))
        return
    print(f"## Every vault, mean over seeds {' '.join(map(str, args.seed))}, hide {args.hide}\n")
    print(summary_table(results))
    rows = [(v.name, name, p) for v in results for name, p in v.proxies.items()]
    if rows:
        print("\n## What a plain sync writes (precision proxies)\n")
        print(written.proxies_table(rows))
        print("\nWhat the entries rest on (share of entries):\n")
        print(written.kinds_table(rows))


def as_json(args: argparse.Namespace, results: Sequence[VaultRun]) -> Any:
    def encode(results: Mapping[str, Metrics]) -> dict[str, dict[str, float]]:
        return {
            name: {"recall@5": m.recall_at_5, "recall@10": m.recall_at_10, "mrr": m.mrr} for name, m in results.items()
        }

    def summary(results: Mapping[str, Metrics], exempt: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"methods": encode(results), "ratios": {}}
        for name in results:
            if name in BASELINE_NAMES:
                continue
            r10, best = ratio(results, name, "recall_at_10")
            rr, best_mrr = ratio(results, name, "mrr")
            out["ratios"][name] = {
                "recall@10": r10 if math.isfinite(r10) else None,  # None: every baseline scored 0
                "recall@10_baseline": best,
                "mrr": rr if math.isfinite(rr) else None,
                "mrr_baseline": best_mrr,
                "target_met": None if exempt else bool(r10 >= TARGET_RATIO and rr >= TARGET_RATIO),
            }
        vaultlink = out["ratios"]["vaultlink"]
        out.update(  # vaultlink's, as before issue 15
            best_baseline=vaultlink["recall@10_baseline"],
            ratio=vaultlink["recall@10"],
            target_met=vaultlink["target_met"],
        )
        return out

    return {
        "hide": args.hide,
        "max_rank": MAX_RANK,
        "vaults": [
            {
                "vault": str(v.vault),
                "name": v.name,
                "notes": v.notes,
                "linked_pairs": v.pairs,
                "seeds": [
                    {
                        "seed": r.seed,
                        "hidden_pairs": r.hidden_pairs,
                        "not_hidden": r.not_hidden,
                        "queries": len(r.cases),
                        "seconds": round(r.seconds, 2),
                        **summary(r.metrics(), v.exempt),
                    }
                    for r in v.runs
                ],
                "mean": summary(v.mean(), v.exempt),
                "proxies": {name: written.proxies_json(p) for name, p in v.proxies.items()},
            }
            for v in results
        ],
    }


if __name__ == "__main__":
    main()
