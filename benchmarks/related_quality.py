"""Link prediction on a real vault: does vaultlink's Related ranking find the links a writer made?

Run by hand: ``python benchmarks/related_quality.py VAULT [--seed 1 2 3] [--hide 0.2] [--json]``.

The vault's linked note pairs (unordered {a, b}, a links to b or b to a, as vaultlink's own scan
resolves them) are counted; a seeded random share of them is hidden in a temporary copy of the vault
(every occurrence of the link, in both notes, becomes its visible text as plain prose); vaultlink and
two baselines (TF-IDF cosine over the note text, Adamic-Adar over the remaining links) then rank, for
each note of a hidden pair, every other note not still linked to it. For each hidden pair both
directions are measured (the rank of b in a's list and of a in b's): recall@5, recall@10 and MRR.
The input vault is only read. Method and measured tables: ``docs/related_quality.md``.

To measure another ranker, change ``vaultlink_ranker`` (the one place vaultlink's ranking is
called), or add it as an extra row in the same run: ``--ranker package.module:factory``, where
``factory(scan) -> rank`` and ``rank(path, exclude) -> [paths, best first]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from vaultlink import app
from vaultlink.app import VaultScan
from vaultlink.core.blocks import remove_all_blocks
from vaultlink.core.markdown import WIKILINK_PATTERN
from vaultlink.core.note import Link, LinkKind, Note, link_name
from vaultlink.core.rank import RankIndex
from vaultlink.core.resolve import NoteIndex, Outcome, ResolvedLink, resolve_link

MAX_RANK = 100
"""Ranks are counted up to here; a target ranked lower (or not at all) scores 0 in MRR."""
KS = (5, 10)
TARGET_RATIO = 1.2
"""Issue 5: vaultlink's recall@10 must be at least this multiple of the best baseline's."""

Pair = tuple[str, str]
"""An unordered note pair, as its two paths in sorted order."""
Ranker = Callable[[str, frozenset[str]], list[str]]
"""rank(query note path, paths to leave out) -> candidate note paths, best first."""
RankerFactory = Callable[[VaultScan], Ranker]
"""Builds a ranker from the scan of the vault with its hidden links removed."""


def scan_vault(path: Path) -> VaultScan:
    """vaultlink's own scan, parsing every note afresh (no scan cache read or written)."""
    return app.scan_vault(path, app.NO_CACHE)


# --- the rankers --------------------------------------------------------------------------------


def vaultlink_ranker(scan: VaultScan) -> Ranker:
    """vaultlink's Related ranking: the one place this benchmark calls it. Point it at a new ranker
    here; it is asked for its full list (up to ``MAX_RANK``), not cut by ``related_min_score``."""
    index = RankIndex(scan.notes, scan.links, scan.config)

    def rank(path: str, exclude: frozenset[str]) -> list[str]:
        return [s.path for s in index.related(path, top=MAX_RANK, min_score=0.0, exclude=exclude, reasons=False)]

    return rank


def top_ranked(scores: Mapping[str, float], exclude: Collection[str], limit: int = MAX_RANK) -> list[str]:
    """The ``limit`` best-scoring paths (positive scores only), ties broken by path as vaultlink does."""
    ranked = sorted(
        ((round(score, 9), path) for path, score in scores.items() if score > 0 and path not in exclude),
        key=lambda item: (-item[0], item[1]),
    )
    return [path for _, path in ranked[:limit]]


def note_text(scan: VaultScan, path: str) -> str:
    """What the TF-IDF baseline reads of a note: its file name, then its whole text (frontmatter
    included) without vaultlink's managed blocks, which are vaultlink's output, not the writer's."""
    return f"{link_name(path)}\n{remove_all_blocks(scan.sources.read(path).text)}"


def tfidf_ranker(scan: VaultScan) -> Ranker:
    """Baseline 1: cosine similarity of TF-IDF vectors (scikit-learn's standard settings, English
    stop words, sublinear tf) over the text of every note in the graph."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise SystemExit("the TF-IDF baseline needs scikit-learn: python3 -m pip install scikit-learn") from exc
    paths = [n.path for n in scan.linked_notes]
    row = {p: i for i, p in enumerate(paths)}
    vectors = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(
        [note_text(scan, p) for p in paths]
    )  # rows are L2-normalised, so a dot product is the cosine

    def rank(path: str, exclude: frozenset[str]) -> list[str]:
        if path not in row:
            return []
        sims = (vectors @ vectors[row[path]].T).tocoo()
        return top_ranked({paths[i]: float(s) for i, s in zip(sims.row, sims.data, strict=True)}, exclude | {path})

    return rank


def link_adjacency(links: Iterable[ResolvedLink]) -> dict[str, set[str]]:
    """The undirected link graph: notes by path, and missing notes (link targets with no note
    yet, a shared neighbour all the same) by a key no path can have."""
    adjacency: dict[str, set[str]] = defaultdict(set)
    for r in links:
        if r.resolution.outcome is Outcome.NOTE:
            target = r.resolution.target
        elif r.resolution.outcome is Outcome.MISSING:
            target = "\0missing:" + r.resolution.target.casefold()
        else:
            continue
        if target != r.source:
            adjacency[r.source].add(target)
            adjacency[target].add(r.source)
    return adjacency


def adamic_adar_scores(adjacency: Mapping[str, Collection[str]], query: str) -> dict[str, float]:
    """Adamic-Adar index of ``query`` with every node two hops away: the sum over shared
    neighbours z of 1 / log(degree(z)) (as networkx.adamic_adar_index, without its n² pairs)."""
    scores: dict[str, float] = defaultdict(float)
    for z in adjacency.get(query, ()):
        neighbours = adjacency[z]
        if len(neighbours) < 2:
            continue
        weight = 1.0 / math.log(len(neighbours))
        for other in neighbours:
            if other != query:
                scores[other] += weight
    return scores


def adamic_adar_ranker(scan: VaultScan) -> Ranker:
    """Baseline 2: Adamic-Adar over the links that remain."""
    adjacency = link_adjacency(scan.links)
    notes = {n.path for n in scan.linked_notes}

    def rank(path: str, exclude: frozenset[str]) -> list[str]:
        scores = adamic_adar_scores(adjacency, path)
        return top_ranked({p: s for p, s in scores.items() if p in notes}, exclude | {path})

    return rank


BASELINES: dict[str, RankerFactory] = {"tf-idf cosine": tfidf_ranker, "adamic-adar": adamic_adar_ranker}


# --- hiding links -------------------------------------------------------------------------------


def linked_pairs(links: Iterable[ResolvedLink]) -> set[Pair]:
    """Unordered pairs of distinct existing notes joined by at least one resolved link."""
    pairs: set[Pair] = set()
    for r in links:
        if r.resolution.outcome is Outcome.NOTE and r.resolution.target != r.source:
            a, b = sorted((r.source, r.resolution.target))
            pairs.add((a, b))
    return pairs


def choose_hidden(pairs: Collection[Pair], fraction: float, seed: int) -> list[Pair]:
    """A seeded random ``fraction`` of the pairs (rounded, at least one when there are any)."""
    if not pairs:
        return []
    count = min(len(pairs), max(1, round(fraction * len(pairs))))
    return sorted(random.Random(seed).sample(sorted(pairs), count))


_WIKILINK = re.compile(WIKILINK_PATTERN)
# [text](dest "title"), ![alt](dest): text may hold one level of brackets and escapes; dest is
# <anything but angle brackets> or a run without spaces holding balanced parentheses.
_MARKDOWN_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))*)"
    r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"""
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def wikilink_parts(raw: str) -> tuple[Link, str] | None:
    """A wikilink or embed's Link and the text vaultlink reads in its place (its display text, else
    its target as written, else its heading), split exactly as vaultlink's parser splits it."""
    embed = raw.startswith("!")
    inner = (raw[3:-2] if embed else raw[2:-2]).replace("\\|", "|")
    target, _, display = inner.partition("|")
    target, _, anchor = target.partition("#")
    target = target.strip()
    visible = display or target or anchor.partition("^")[0].strip()
    if not target:
        return None
    return Link(target, LinkKind.EMBED if embed else LinkKind.WIKILINK, raw), visible


def markdown_link_target(url: str) -> str:
    """The note path a markdown link's destination names ("" for a URL with a scheme)."""
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    url = re.sub(r"\\(.)", r"\1", url)
    if _SCHEME.match(url) or url.startswith("//"):
        return ""
    return unquote(urlsplit(url).path)


def hide_links(text: str, note: Note, partners: Collection[str], index: NoteIndex) -> str:
    """``text`` (the note's whole file, BOM included) with every link from ``note`` to one of
    ``partners`` replaced by its visible text: a wikilink or embed by its display text or target as
    written, a markdown link or image by its text, a bare vault path by the target's name.

    Each occurrence is resolved with vaultlink's own resolver, so only links that really lead to a
    partner are touched. The frontmatter is left alone (vaultlink reads no links there).
    """
    start = (1 if text.startswith("\ufeff") else 0) + note.body_offset
    body = text[start:]

    def wikilink(m: re.Match[str]) -> str:
        parts = wikilink_parts(m.group(0))
        if parts is None:
            return m.group(0)
        link, visible = parts
        return visible if _leads_to(link, note.path, partners, index) else m.group(0)

    def markdown(m: re.Match[str]) -> str:
        target = markdown_link_target(m.group(3))
        if not target:
            return m.group(0)
        link = Link(target, LinkKind.EMBED if m.group(1) else LinkKind.MARKDOWN, m.group(3))
        return m.group(2) if _leads_to(link, note.path, partners, index) else m.group(0)

    body = _WIKILINK.sub(wikilink, body)
    body = _MARKDOWN_LINK.sub(markdown, body)
    for link in note.links:
        if link.kind is LinkKind.PATH and _leads_to(link, note.path, partners, index):
            body = body.replace(link.raw, link_name(link.target))
    return text[:start] + body


def _leads_to(link: Link, source: str, partners: Collection[str], index: NoteIndex) -> bool:
    resolution = resolve_link(link, source, index)
    return resolution.outcome is Outcome.NOTE and resolution.target in partners


def partners_of(pairs: Iterable[Pair]) -> dict[str, set[str]]:
    """Each note's partners in the given pairs."""
    out: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        out[a].add(b)
        out[b].add(a)
    return out


def write_hidden_copy(scan: VaultScan, hidden: Collection[Pair], dest: Path) -> None:
    """Rewrite, in the copy at ``dest`` of the scanned vault, every note of a hidden pair."""
    index = NoteIndex(scan.notes, scan.config)
    notes = {n.path: n for n in scan.notes}
    for path, partners in partners_of(hidden).items():
        text = hide_links(scan.sources.read(path).text, notes[path], partners, index)
        (dest / path).write_bytes(text.encode("utf-8"))


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
    seconds: float = 0.0

    def metrics(self) -> dict[str, Metrics]:
        return {name: metrics(ranks) for name, ranks in self.ranks.items()}


def measure(
    scan: VaultScan, cases: Sequence[Case], rankers: Mapping[str, RankerFactory]
) -> dict[str, list[int | None]]:
    """Each ranker's rank of each case's target, candidates being the notes not linked to the query."""
    still_linked = partners_of(linked_pairs(scan.links))
    out: dict[str, list[int | None]] = {}
    for name, factory in rankers.items():
        rank = factory(scan)
        lists: dict[str, list[str]] = {}
        for case in cases:
            if case.query not in lists:
                exclude = frozenset(still_linked.get(case.query, ()))
                lists[case.query] = [p for p in rank(case.query, exclude) if p not in exclude and p != case.query]
        out[name] = [rank_of(lists[c.query], c.target) for c in cases]
    return out


def run_seed(
    pristine: Path, scan: VaultScan, seed: int, fraction: float, rankers: Mapping[str, RankerFactory], work: Path
) -> tuple[SeedRun, VaultScan]:
    """Hide a seeded share of the links in a fresh copy of ``pristine`` and rank with each ranker."""
    start = time.perf_counter()
    pairs = linked_pairs(scan.links)
    chosen = choose_hidden(pairs, fraction, seed)
    copy = work / f"seed-{seed}" / pristine.name
    shutil.copytree(pristine, copy, symlinks=True)
    write_hidden_copy(scan, chosen, copy)
    hidden_scan = scan_vault(copy)
    remaining = linked_pairs(hidden_scan.links)
    hidden = [p for p in chosen if p not in remaining]
    new = remaining - pairs
    if new:
        print(f"warning: hiding made {len(new)} new linked pairs, e.g. {sorted(new)[:3]}", file=sys.stderr)
    cases = cases_of(hidden)
    run = SeedRun(seed, len(hidden), len(chosen) - len(hidden), cases, measure(hidden_scan, cases, rankers))
    run.seconds = time.perf_counter() - start
    return run, hidden_scan


# --- reporting ----------------------------------------------------------------------------------


def ratio(results: Mapping[str, Metrics], baselines: Iterable[str]) -> tuple[float, str]:
    """vaultlink's recall@10 over the best baseline's, and that baseline's name."""
    best = max(baselines, key=lambda name: results[name].recall_at_10)
    base = results[best].recall_at_10
    return (results["vaultlink"].recall_at_10 / base if base else math.inf), best


def table(results: Mapping[str, Metrics], pairs: int | str, queries: int | str) -> str:
    lines = [
        "| method | recall@5 | recall@10 | MRR | hidden pairs | queries |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in results.items():
        lines.append(f"| {name} | {m.recall_at_5:.3f} | {m.recall_at_10:.3f} | {m.mrr:.3f} | {pairs} | {queries} |")
    return "\n".join(lines)


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


def verdict(results: Mapping[str, Metrics]) -> str:
    value, best = ratio(results, [n for n in BASELINES if n in results])
    met = "met" if value >= TARGET_RATIO else "NOT met"
    return f"vaultlink recall@10 / best baseline ({best}): {value:.2f}× (target ≥ {TARGET_RATIO}×: {met})"


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


def load_ranker(spec: str) -> tuple[str, RankerFactory]:
    """``package.module:function`` -> (row name, factory)."""
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"--ranker {spec}: expected module:function")
    factory: RankerFactory = getattr(importlib.import_module(module), name)
    return name, factory


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--seed", type=int, nargs="+", default=[1], help="one run per seed (default 1)")
    parser.add_argument("--hide", type=float, default=0.2, help="share of linked pairs to hide (default 0.2)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    parser.add_argument("--ranker", action="append", default=[], metavar="MODULE:FUNCTION", help="an extra row")
    parser.add_argument("--misses", type=int, default=0, metavar="N", help="list N cases vaultlink ranks below 10")
    args = parser.parse_args(argv)
    if not 0 < args.hide < 1:
        parser.error("--hide must be between 0 and 1")
    rankers: dict[str, RankerFactory] = {"vaultlink": vaultlink_ranker}
    rankers.update(load_ranker(spec) for spec in args.ranker)
    rankers.update(BASELINES)

    with tempfile.TemporaryDirectory(prefix="vaultlink-quality-") as tmp:
        src = args.vault.resolve()
        pristine = Path(tmp, "pristine", src.name)
        shutil.copytree(src, pristine, symlinks=True, ignore=shutil.ignore_patterns(".git", ".vaultlink"))
        scan = scan_vault(pristine)
        pairs = linked_pairs(scan.links)
        runs: list[SeedRun] = []
        reports: list[str] = []
        for seed in args.seed:
            run, _ = run_seed(pristine, scan, seed, args.hide, rankers, Path(tmp))
            runs.append(run)
            if args.misses:
                reports.append(misses(run, scan, args.misses))
            shutil.rmtree(Path(tmp, f"seed-{seed}"))

    if args.json:
        print(json.dumps(as_json(args, scan, pairs, runs), indent=2))
        return
    print(f"vault: {args.vault} ({len(scan.linked_notes)} notes, {len(pairs)} linked pairs), hide {args.hide}")
    for run in runs:
        distinct = len({c.query for c in run.cases})
        print(
            f"\nseed {run.seed}: {run.hidden_pairs} pairs hidden ({run.not_hidden} could not be), "
            f"{len(run.cases)} queries over {distinct} notes, {run.seconds:.1f} s\n"
        )
        print(table(run.metrics(), run.hidden_pairs, len(run.cases)))
        print("\n" + verdict(run.metrics()))
    if len(runs) > 1:
        mean = mean_metrics(runs)
        print(f"\nmean over seeds {', '.join(str(r.seed) for r in runs)}:\n")
        print(table(mean, f"{statistics.fmean(r.hidden_pairs for r in runs):.0f}", "—"))
        print("\n" + verdict(mean))
    for report in reports:
        print("\n" + report)


def as_json(args: argparse.Namespace, scan: VaultScan, pairs: Collection[Pair], runs: Sequence[SeedRun]) -> Any:
    def encode(results: Mapping[str, Metrics]) -> dict[str, dict[str, float]]:
        return {
            name: {"recall@5": m.recall_at_5, "recall@10": m.recall_at_10, "mrr": m.mrr} for name, m in results.items()
        }

    def summary(results: Mapping[str, Metrics]) -> dict[str, Any]:
        value, best = ratio(results, [n for n in BASELINES if n in results])
        return {
            "methods": encode(results),
            "best_baseline": best,
            "ratio": value if math.isfinite(value) else None,  # None: every baseline scored 0
            "target_met": value >= TARGET_RATIO,
        }

    return {
        "vault": str(args.vault),
        "notes": len(scan.linked_notes),
        "linked_pairs": len(pairs),
        "hide": args.hide,
        "max_rank": MAX_RANK,
        "seeds": [
            {
                "seed": r.seed,
                "hidden_pairs": r.hidden_pairs,
                "not_hidden": r.not_hidden,
                "queries": len(r.cases),
                "seconds": round(r.seconds, 2),
                **summary(r.metrics()),
            }
            for r in runs
        ],
        "mean": summary(mean_metrics(runs)),
    }


if __name__ == "__main__":
    main()
