"""Why a note is related to another: the reason line of a Related entry, from the evidence the
score counted (a mention either way, shared phrases, shared weighty words, shared links)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from vaultlink.core.note import Term, TermKind
from vaultlink.core.rank.sparse import Matrix

if TYPE_CHECKING:
    from vaultlink.core.rank.index import RankIndex

MAX_REASONS = 3
ROUND = 6
"""Scores (and the weights reasons are ordered by) are rounded to this many decimals."""

NAMED_HERE = "mentioned here"
NAMES_THIS_NOTE = "mentions this note"
SHARED_LINKS = "shared links"

Picked = Sequence[tuple[int, list[int], list[float]]]
"""(row, the rows chosen for its list, their scores), per ranked row."""


def reasons_of(index: RankIndex, picked: Picked) -> list[list[tuple[str, ...]]]:
    """Why each chosen note is related to its row: a mention either way first, then the key
    phrases both notes state (most repeated first), then the shared words that weigh most and
    no phrase already shows, then shared links. What the pairs share is computed for all of
    them at once (elementwise sparse products); what depends on a row alone, once per row."""
    left = np.array([row for row, chosen, _ in picked for _ in chosen], dtype=np.int64)
    right = np.array([c for _, chosen, _ in picked for c in chosen], dtype=np.int64)
    evidence = _PairEvidence.of(index, left, right)
    out: list[list[tuple[str, ...]]] = []
    pair = 0
    for row, chosen, _ in picked:
        note = index.notes[row]
        mine = {t.key: t for t in note.terms if " " in t.key and t.kind is not TermKind.TAG}
        mine = {k: t for k, t in mine.items() if _counts(index, k)}
        word_ids = index.vocabulary.ids_of_forms(note.words)[0].tolist()
        forms = dict(zip(word_ids, note.words, strict=True))  # each word as written here
        out.append([_reasons_with(index, other, mine, forms, evidence, pair + k) for k, other in enumerate(chosen)])
        pair += len(chosen)
    return out


def _counts(index: RankIndex, key: str) -> bool:
    """Does the score count this feature (a word, phrase or #tag)?"""
    column = index.vocabulary.ids.get(key)
    weights = index.matrices.weights
    return column is not None and column < len(weights) and bool(weights[column] > 0)


def _reasons_with(
    index: RankIndex,
    other: int,
    mine: Mapping[str, Term],
    forms: Mapping[int, str],
    evidence: _PairEvidence,
    pair: int,
) -> tuple[str, ...]:
    reasons: list[str] = []
    if evidence.named_here[pair]:
        reasons.append(NAMED_HERE)
    if evidence.names_this[pair]:
        reasons.append(NAMES_THIS_NOTE)
    theirs = index.notes[other].terms  # keys and counts only: no term is decoded
    shared = sorted((-theirs.count_at(k) * mine[key].count, key) for k, key in enumerate(theirs.keys) if key in mine)
    for _, key in shared:
        if len(reasons) >= MAX_REASONS:
            return tuple(reasons)
        reasons.append(mine[key].label)
    shown = " ".join(reasons).casefold().split()
    lo, hi = evidence.words.indptr[pair], evidence.words.indptr[pair + 1]
    words, weights = evidence.words.indices[lo:hi], np.round(evidence.words.data[lo:hi], ROUND)
    keys = [index.feature_keys[w] for w in words]
    for _, key, word in sorted(zip((-weights).tolist(), keys, words.tolist(), strict=True)):
        if len(reasons) >= MAX_REASONS:
            break
        if " " in key or key.startswith("#"):
            continue  # a phrase or tag: shown above if it is one to show
        label = forms.get(word, key)
        if label not in shown:
            shown.append(label)
            reasons.append(label)
    if len(reasons) < MAX_REASONS and evidence.shared_links[pair]:
        reasons.append(SHARED_LINKS)
    return tuple(reasons)


@dataclass(frozen=True)
class _PairEvidence:
    """What each pair (left[k], right[k]) of notes shares, for their reasons."""

    named_here: np.ndarray  # left mentions right's name
    names_this: np.ndarray  # right mentions left's name
    words: Matrix  # pair × feature: the shared features' part of the score (``ScoreMatrices.shared_features``)
    shared_links: np.ndarray  # both link to (or are linked from) a common note

    @classmethod
    def of(cls, index: RankIndex, left: np.ndarray, right: np.ndarray) -> _PairEvidence:
        matrices = index.matrices
        links, mentions = matrices.links, matrices.mentions
        if not len(left):
            empty = np.zeros(0, dtype=bool)
            return cls(empty, empty, sp.csr_matrix((0, matrices.text.shape[1])), empty)
        return cls(
            np.asarray(mentions[left, right] != 0).ravel(),
            np.asarray(mentions[right, left] != 0).ravel(),
            matrices.shared_features(left, right),
            np.asarray(links[left].multiply(links[right]).getnnz(axis=1) > 0).ravel(),
        )
