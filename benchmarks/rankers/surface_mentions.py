"""A prototype ranker for ``related_quality.py --ranker rankers.surface_mentions:factory``.

vaultlink's mention part finds unlinked mentions on each note's word bag, by Snowball stem, so
"colour" mentions ``Colourfulness`` and "light" ``Lightness``. This prototype finds them on the
surface words instead, with plurals folded ("metrics" still mentions ``Metric``), closer to
Obsidian's own unlinked mentions; every other part of the ranking is vaultlink's. It reads each
note's file again (vaultlink keeps no text), so it is for measuring only.

    python benchmarks/related_quality.py VAULT --seed 1 2 3 --ranker rankers.surface_mentions:factory
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from vaultlink.app import VaultScan
from vaultlink.core import rank
from vaultlink.core.note import Note, path_stem
from vaultlink.core.terms import _POSSESSIVE, _TOKEN, STOPWORDS, word_form

Ranker = Callable[[str, Collection[str]], list[str]]


def folded(word: str) -> str:
    """The word's form with a plural ending taken off (``-ies`` → ``-y``, ``-es``, ``-s``)."""
    for suffix, replacement in (("ies", "y"), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + replacement
    return word


def surface_words(text: str, *, content_only: bool = False) -> set[str]:
    """The folded surface forms of ``text``'s words (without stopwords and 1-letter words if asked)."""
    out = set()
    for token in _TOKEN.findall(text):
        word = _POSSESSIVE.sub("", token)
        if not word or word[0].isdigit():
            continue
        if content_only and (word.casefold() in STOPWORDS or len(word) < 2):
            continue
        out.add(folded(word_form(word)))
    return out


def names_of(note: Note) -> set[str]:
    return {path_stem(note.path), note.title, *note.aliases}


def mention_matrix(notes: Sequence[Note], words: Sequence[set[str]], upper: float) -> Any:
    """``rank._mention_matrix``'s weights, a note mentioning another when its surface words hold
    every content word of one of the other's names."""
    postings: dict[str, list[int]] = {}
    for i, found in enumerate(words):
        for word in found:
            postings.setdefault(word, []).append(i)
    mentioner: list[int] = []
    mentioned: list[int] = []
    for b, note in enumerate(notes):
        hits: set[int] = set()
        for name in {frozenset(surface_words(n, content_only=True)) for n in names_of(note)}:
            if not name or any(w not in postings for w in name):
                continue
            by_rarity = sorted(name, key=lambda w: len(postings[w]))
            if len(postings[by_rarity[0]]) > upper:
                continue
            candidates = set(postings[by_rarity[0]])
            for word in by_rarity[1:]:
                candidates &= set(postings[word])
            hits |= candidates
        hits.discard(b)
        mentioner += hits
        mentioned += [b] * len(hits)
    n = len(notes)
    binary = sp.csr_matrix((np.ones(len(mentioner)), (mentioner, mentioned)), shape=(n, n))
    binary.data[:] = 1.0
    left = sp.diags(1.0 / np.log(2.0 + np.diff(binary.indptr)))
    right = sp.diags(1.0 / np.log(2.0 + np.bincount(binary.indices, minlength=n)))
    return sp.csr_matrix(left @ binary @ right * 2.0)


def factory(scan: VaultScan) -> Ranker:
    notes = sorted((n for n in scan.notes if not n.is_stub), key=lambda n: n.path)  # RankIndex's row order
    words = [
        surface_words((scan.root / n.path).read_text("utf-8", "replace") + "\n" + "\n".join(names_of(n)))
        for n in notes
    ]
    stemmed = rank._mention_matrix
    rank._mention_matrix = lambda _rows, _bag, _df, upper: mention_matrix(notes, words, upper)
    try:
        index = rank.RankIndex(scan.notes, scan.links, scan.config)
    finally:
        rank._mention_matrix = stemmed

    def ranker(path: str, exclude: Collection[str]) -> list[str]:
        return [s.path for s in index.related(path, top=100, min_score=0.0, exclude=exclude, reasons=False)]

    return ranker
