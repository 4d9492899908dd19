"""The baselines vaultlink's ranking is measured against, computed on the same scan: TF-IDF cosine
over each note's text, and Adamic-Adar over the links."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from quality.common import MAX_RANK, Ranker, RankerFactory
from vaultlink.app import VaultScan
from vaultlink.core.blocks import remove_all_blocks
from vaultlink.core.note import link_name
from vaultlink.core.resolve import Outcome, ResolvedLink


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
    return _tfidf(scan, {"stop_words": "english"})


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")
_WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's token_pattern


def cjk_bigram_tokens(text: str) -> list[str]:
    """scikit-learn's word tokens outside runs of CJK characters (English stop words left out), and
    each run of CJK characters as its overlapping character bigrams (a lone character as itself), as
    CJK search engines index text that has no spaces between words."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # type: ignore[import-untyped,unused-ignore]

    text = text.lower()
    tokens = [w for w in _WORD.findall(_CJK.sub(" ", text)) if w not in ENGLISH_STOP_WORDS]
    for run in _CJK.findall(text):
        tokens.extend([run] if len(run) == 1 else [run[k : k + 2] for k in range(len(run) - 1)])
    return tokens


def tfidf_cjk_ranker(scan: VaultScan) -> Ranker:
    """Baseline 3, on vaults written in Chinese, Japanese or Korean: TF-IDF as baseline 1, but a run of
    CJK characters (one "word" to scikit-learn's tokenizer, often a whole sentence) is read as its
    character bigrams. Without it, baseline 1 on such a vault is a strawman."""
    return _tfidf(scan, {"analyzer": cjk_bigram_tokens})


def _tfidf(scan: VaultScan, settings: Mapping[str, object]) -> Ranker:
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise SystemExit("the TF-IDF baseline needs scikit-learn: python3 -m pip install scikit-learn") from exc
    paths = [n.path for n in scan.linked_notes]
    row = {p: i for i, p in enumerate(paths)}
    vectors = TfidfVectorizer(sublinear_tf=True, **settings).fit_transform(
        [note_text(scan, p) for p in paths]
    )  # rows are L2-normalised, so a dot product is the cosine

    def rank(path: str, exclude: frozenset[str]) -> list[str]:
        if path not in row:
            return []
        sims = (vectors @ vectors[row[path]].T).tocoo()
        return top_ranked({paths[i]: float(s) for i, s in zip(sims.row, sims.data, strict=True)}, exclude | {path})

    return rank


def writes_cjk(scan: VaultScan, share: float = 0.05) -> bool:
    """Do at least ``share`` of the notes hold CJK text?"""
    notes = scan.linked_notes
    return sum(1 for n in notes if _CJK.search(scan.sources.read(n.path).text)) >= share * max(len(notes), 1)


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
CJK_BASELINE: dict[str, RankerFactory] = {"tf-idf cjk bigrams": tfidf_cjk_ranker}
"""Measured only on a vault that ``writes_cjk``; a baseline like the others there."""


def baselines_for(scan: VaultScan) -> dict[str, RankerFactory]:
    return {**BASELINES, **(CJK_BASELINE if writes_cjk(scan) else {})}
