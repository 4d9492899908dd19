"""Why a note is related to another: the reason line of a Related entry, from the evidence the
pair was listed on (``pairs.PairEvidence``), in words a person reads at a glance: a mention
either way, whole phrases as a note writes them, the notes both link to (``both link [[X]]``), the
tags both carry (``both tagged #x``), and words only beside these or two or more of them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from vaultlink.core.note import Term, TermKind
from vaultlink.core.rank.features import TAG
from vaultlink.core.rank.pairs import SPECIFIC, PairEvidence
from vaultlink.core.reason_words import BOTH_LINK, BOTH_TAGGED, NAMED_HERE, NAMES_THIS_NOTE

if TYPE_CHECKING:
    from vaultlink.core.rank.index import RankIndex

MAX_REASONS = 3
ROUND = 6
"""Scores (and the weights reasons are ordered by) are rounded to this many decimals."""

NAMED_LINKS = 2
"""How many of the notes both link to (the tags both carry) a reason names."""

SHOWN_WIDTH = 32
"""A phrase or word is shown in at most this many columns (a CJK character takes two), cut with
"…": without word segmentation (issue 21) a Chinese "phrase" is a whole clause, and a reason line
of 400 characters is read at no glance."""

Picked = Sequence[tuple[int, list[int], list[float]]]
"""(row, the rows chosen for its list, their scores), per ranked row."""


def reasons_of(index: RankIndex, picked: Picked) -> list[list[tuple[str, ...]]]:
    """Why each chosen note is related to its row: a mention either way first, then the key
    phrases both notes state (most repeated first), the notes both link to, the tags both carry,
    then the shared words that weigh most and no phrase already shows. What the pairs share is
    computed for all of them at once (elementwise sparse products); what depends on a row alone,
    once per row."""
    left = np.array([row for row, chosen, _ in picked for _ in chosen], dtype=np.int64)
    right = np.array([c for _, chosen, _ in picked for c in chosen], dtype=np.int64)
    evidence = PairEvidence.of(index, left, right)
    counted, worded = evidence.shared_words(index)
    out: list[list[tuple[str, ...]]] = []
    pair = 0
    for row, chosen, _ in picked:
        note = index.notes[row]
        mine = {t.key: t for t in note.terms if " " in t.key and t.kind is not TermKind.TAG}
        mine = {k: t for k, t in mine.items() if _counts(index, k)}
        tags = {"#" + t.key: "#" + t.label for t in note.terms if t.kind is TermKind.TAG}
        word_ids = index.vocabulary.ids_of_forms(note.words, note.language)[0].tolist()
        forms = dict(zip(word_ids, note.words, strict=True))  # each word as written here
        out.append(
            [
                _reasons_with(index, other, mine, tags, forms, evidence, pair + k, counted, bool(worded[pair + k]))
                for k, other in enumerate(chosen)
            ]
        )
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
    tags: Mapping[str, str],
    forms: Mapping[int, str],
    evidence: PairEvidence,
    pair: int,
    counted: np.ndarray,
    worded: bool,
) -> tuple[str, ...]:
    """The reasons of one pair: only what carries the relation (``pairs``): the mention, with the
    name as this note writes it; the shared phrases that count (not those a shared link's text
    makes: ``both link [[X]]`` shows them); the notes both link to; the tags that are subjects; and
    shared words only where they are a piece of evidence themselves (``counted``, ``worded``)."""
    reasons: list[str] = []
    if evidence.named_here[pair]:
        reasons.append(NAMED_HERE)
    if evidence.names_this[pair]:
        reasons.append(NAMES_THIS_NOTE)
    lo, hi = evidence.features.indptr[pair], evidence.features.indptr[pair + 1]
    features, weights = evidence.features.indices[lo:hi], np.round(evidence.features.data[lo:hi], ROUND)
    kinds = index.vocabulary.kinds()[features]
    link_text = set(evidence.link_text.indices[evidence.link_text.indptr[pair] : evidence.link_text.indptr[pair + 1]])
    theirs = index.notes[other].terms  # keys and counts only: no term is decoded
    shared = sorted((-theirs.count_at(k) * mine[key].count, key) for k, key in enumerate(theirs.keys) if key in mine)
    phrases = [mine[key].label for _, key in shared if index.vocabulary.ids[key] not in link_text]
    if reasons and not phrases:  # a mention of a one-word name: the name as the mentioning note writes it
        phrases = _name_as_written(index, evidence, pair, other, forms)
    reasons += [shown_label(p) for p in _whole(phrases)[: max(0, MAX_REASONS - len(reasons))]]
    named = _named_links(index, evidence, pair)
    if named and len(reasons) < MAX_REASONS:
        reasons.append(f"{BOTH_LINK} " + " and ".join(named))
    keys = [index.feature_keys[f] for f in features.tolist()]  # ties by key, not by the vocabulary's order
    ranked = sorted(zip((-weights).tolist(), keys, features.tolist(), kinds.tolist(), strict=True))
    order = [(w, f, k) for w, _, f, k in ranked]
    tagged = [
        tags[key]
        for _, f, kind in order
        if kind == TAG
        and index.matrices.df[f] < SPECIFIC
        and index.topical[f]
        and (key := index.feature_keys[f]) in tags
    ]
    if tagged and len(reasons) < MAX_REASONS:
        reasons.append(f"{BOTH_TAGGED} " + " and ".join(tagged[:NAMED_LINKS]))
    said = " ".join(r for r in reasons if r not in (NAMED_HERE, NAMES_THIS_NOTE)).casefold()
    shown = set(re.findall(r"\w+", said))  # the words of a phrase or of a linked note's name
    words: list[str] = []
    mask = dict(zip(features.tolist(), counted[lo:hi].tolist(), strict=True))
    for _, feature, _kind in order if worded else ():
        label = forms.get(feature, index.feature_keys[feature])
        parts = re.findall(r"\w+", label.casefold())
        if mask[feature] and not shown.issuperset(parts) and label not in words:
            words.append(label)
    reasons += [shown_label(w) for w in words[: max(0, MAX_REASONS - len(reasons))]]
    return tuple(reasons)


def _name_as_written(
    index: RankIndex, evidence: PairEvidence, pair: int, other: int, forms: Mapping[int, str]
) -> list[str]:
    """The mentioned note's one-word name, as the note mentioning it writes it (``forms`` are the left
    note's): "mentioned here, fediverse" (words are kept case-folded)."""
    here = bool(evidence.named_here[pair])
    named, writer = (other, None) if here else (int(evidence.left[pair]), other)
    if writer is not None:
        words = index.notes[writer].words
        forms = dict(zip(index.vocabulary.ids_of_forms(words)[0].tolist(), words, strict=True))
    names = index.matrices.names
    words = names.indices[names.indptr[named] : names.indptr[named + 1]]
    if len(words) != 1:  # a name of several words is shown as its phrase, or not at all: not one word of it
        return []
    return [forms[f] for f in words.tolist() if f in forms]


def shown_label(label: str) -> str:
    """``label`` as a reason shows it: whole up to ``SHOWN_WIDTH`` columns, else cut there with "…"."""
    width = 0
    for i, char in enumerate(label):
        width += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if width > SHOWN_WIDTH:
            return label[:i].rstrip() + "…"
    return label


def _whole(phrases: list[str]) -> list[str]:
    """``phrases`` without those another of them holds ("flancia pattern" beside "flancia pattern
    language"): whole phrases, each once."""
    folded = [f" {p.casefold()} " for p in phrases]
    return [p for p, f in zip(phrases, folded, strict=True) if not any(f != g and f in g for g in folded)]


def _named_links(index: RankIndex, evidence: PairEvidence, pair: int) -> list[str]:
    """``[[X]]`` for the notes both notes of the pair link to that fewest notes link to (ties by name)."""
    lo, hi = evidence.links.indptr[pair], evidence.links.indptr[pair + 1]
    nodes = evidence.links.indices[lo:hi].tolist()
    named = sorted((int(index.matrices.in_degree[z]), index.node_name(z)) for z in nodes)  # ties by name
    return [f"[[{name}]]" for _, name in named[:NAMED_LINKS]]
