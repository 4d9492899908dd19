"""Unlinked mentions: which notes state another note's name (Obsidian's "unlinked mentions"), as a
notes × notes matrix.

A note mentions a name when it has every column of it: each of the name's content words (as
written, made singular, not stemmed) and each pair of them that follow each other (so "a
starter for sourdough" does not mention ``Sourdough Starter``). A mention is weighted down for
names many notes mention and for notes that mention many names (``weighed_mentions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from vaultlink.core.rank.features import ROW_BATCH, NoteRow
from vaultlink.core.rank.sparse import Matrix, indptr_of, joined

MAX_NAME_WORDS = 6
"""A name's mention is checked on its rarest columns (words or pairs), up to this many (long
names are rare anyway)."""
MENTION_CHUNK = 2_000_000
"""About how many candidate (note, name) pairs one step of ``mention_matrix`` holds: a name's
candidates are its rarest word's postings, and all names' at once are the index's largest
transient at 100,000 notes."""


@dataclass(frozen=True)
class MentionColumns:
    """The columns mentions are checked on: each singular word (its id in ``Vocabulary.singulars``, the
    first ``singular_width``), then each pair code some note's name holds (``codes``, ascending). A
    note mentions a name when it has every column of the name (``mentionable``)."""

    singular_width: int
    codes: np.ndarray

    @classmethod
    def of(cls, rows: Sequence[NoteRow], singular_width: int) -> MentionColumns:
        every = [pairs for row in rows for pairs in row.name_pairs]
        return cls(singular_width, np.unique(np.concatenate(every)) if every else np.zeros(0, dtype=np.uint32))

    def presence(self, singulars: Matrix, pairs: Sequence[bytes]) -> Matrix:
        """Notes × columns: ``singulars`` (notes × singular words, 1 where stated; a wider one, from a
        vocabulary grown since, is cut) and the pair codes of the notes' ``pairs`` (``Note.pairs``)
        that are columns."""
        rows: list[np.ndarray] = []
        columns: list[np.ndarray] = []
        for start in range(0, len(pairs), ROW_BATCH) if len(self.codes) else ():
            batch = [unpacked_pairs(p) for p in pairs[start : start + ROW_BATCH]]
            codes = np.concatenate(batch)
            at = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
            found = self.codes[at] == codes
            rows.append(np.repeat(np.arange(start, start + len(batch)), [len(b) for b in batch])[found])
            columns.append(at[found])
        stated = sp.csr_matrix(
            (np.ones(sum(map(len, rows)), dtype=np.int8), (joined(rows), joined(columns))),
            shape=(singulars.shape[0], len(self.codes)),
        )
        own = singulars if singulars.shape[1] == self.singular_width else singulars[:, : self.singular_width]
        return sp.hstack([own, stated], format="csr")


def unpacked_pairs(packed: bytes) -> np.ndarray:
    """A note's pair codes (``terms.packed_pairs``) as an array: a view of ``packed``, no copy."""
    return np.frombuffer(packed, dtype="<u4")


@dataclass(frozen=True)
class Mentionable:
    """What the mention matrix was found from, for a patched index to find a saved note's
    mentions the same way: the columns, how many notes have each (``df``), and every name a note
    can mention as its owner's row and its columns rarest first (``mentionable``)."""

    columns: MentionColumns
    df: np.ndarray
    owners: np.ndarray
    ranked: list[np.ndarray]


def mentionable(
    rows: Sequence[NoteRow], columns: MentionColumns, df: np.ndarray, upper: float
) -> tuple[list[int], list[np.ndarray]]:
    """Each name a note can mention, as its owner's row and its columns (its words' singular ids, then
    its pairs' columns) rarest first (``df``, the notes having each column; ties keep that order), up to
    ``MAX_NAME_WORDS`` of them. A name whose rarest word is in more than ``upper`` notes
    (``WORD_MAX_DF`` in a large vault) mentions nothing, however rare its pairs: that bounds the
    work, and so many mentions weigh next to nothing anyway. Every name at once, in numpy: the
    watcher rebuilds this for each check."""
    singulars = [name for row in rows for name in row.names]
    if not singulars:
        return [], []
    pairs = [codes for row in rows for codes in row.name_pairs]
    owners = np.repeat(np.arange(len(rows)), [len(row.names) for row in rows])
    singular_lengths, pair_lengths = np.array([len(f) for f in singulars]), np.array([len(p) for p in pairs])
    word_columns = np.concatenate(singulars)
    pair_columns = columns.singular_width + np.searchsorted(columns.codes, joined(pairs))
    usable = np.minimum.reduceat(df[word_columns], indptr_of(singular_lengths)[:-1]) <= upper
    names = np.arange(len(singulars))
    name_of = np.concatenate([np.repeat(names, singular_lengths), np.repeat(names, pair_lengths)])
    every = np.concatenate([word_columns, pair_columns])
    every = every[np.lexsort((df[every], name_of))]  # by name, rarest first; ties keep their order
    starts = indptr_of(singular_lengths + pair_lengths)[:-1]
    checked = np.minimum(singular_lengths + pair_lengths, MAX_NAME_WORDS)
    kept = zip(starts.tolist(), checked.tolist(), usable.tolist(), strict=True)
    ranked = [every[a : a + k] for a, k, ok in kept if ok]
    return owners[usable].tolist(), ranked


def mention_matrix(n: int, owners: Sequence[int], ranked: Sequence[np.ndarray], present: Matrix) -> Matrix:
    """Notes × notes: a → b weighs as ``weighed_mentions`` says when a has every column
    (``present``: notes × ``MentionColumns``, CSC, 1 where the note has it) of one of b's names
    (``mentionable``): each of its words, and each pair of them that follow each other.

    Candidates come from the postings of each name's rarest column and are narrowed by its next
    rarest, so the work follows the rare columns' postings, never notes × names."""
    if not owners:
        return sp.csr_matrix((n, n))
    postings = np.diff(present.indptr)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for start, stop in _name_chunks([int(postings[words[0]]) for words in ranked]):
        mentioners, names = _mentions_among(present, ranked[start:stop])
        found.append((mentioners, np.array(owners[start:stop], dtype=np.int64)[names]))
    mentioner = np.concatenate([m for m, _ in found])
    mentioned = np.concatenate([m for _, m in found])
    other = mentioner != mentioned
    binary = sp.csr_matrix((np.ones(int(other.sum())), (mentioner[other], mentioned[other])), shape=(n, n))
    binary.data[:] = 1.0  # a note naming b twice (two of b's names) mentions it once
    outgoing = np.diff(binary.indptr)
    incoming = np.bincount(binary.indices, minlength=n)
    return weighed_mentions(binary, outgoing, incoming)


PASSING_NAMES = 20
"""A note mentioning this many notes or more (a list, an outline, a busy journal day) mentions each in
passing (``passing_mentioners``)."""


def passing_mentioners(mentions: Matrix) -> np.ndarray:
    """Each note (a row of ``mentions``, notes × notes): are its mentions passing ones, made by a note
    that mentions ``PASSING_NAMES`` notes or more? v3's readers marked most such entries "meh": a
    course outline naming overflow pages in one line among many topics, a journal day listing a
    book's name among unrelated bullets. A count, the same in any vault size; the score keeps them."""
    return np.asarray(np.diff(mentions.indptr) >= PASSING_NAMES)


def weighed_mentions(pattern: Matrix, outgoing: np.ndarray, incoming: np.ndarray) -> Matrix:
    """Each mention a → b of ``pattern`` (rows × notes, 1 where a mentions b) weighed
    ``2 / (log(2 + names a mentions) · log(2 + notes mentioning b))``; ``outgoing`` holds each
    row's count, ``incoming`` each note's."""
    left = sp.diags(1.0 / np.log(2.0 + outgoing))
    right = sp.diags(1.0 / np.log(2.0 + incoming))
    return sp.csr_matrix(left @ pattern @ right * 2.0)


def _name_chunks(postings: Sequence[int]) -> Iterable[tuple[int, int]]:
    """(start, stop) runs of names whose rarest words' postings add up to about ``MENTION_CHUNK``."""
    start, total = 0, 0
    for k, count in enumerate(postings):
        if total and total + count > MENTION_CHUNK:
            yield start, k
            start, total = k, 0
        total += count
    if start < len(postings):
        yield start, len(postings)


def _mentions_among(present: Matrix, ranked: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(note, name) pairs where the note (a row of ``present``, notes × words) states every word
    of the name (its words rarest first): candidates from the rarest word, narrowed by the next."""
    hits = present[:, [words[0] for words in ranked]]
    for k in range(1, max(len(words) for words in ranked)):
        hits = hits.multiply(present[:, [words[min(k, len(words) - 1)] for words in ranked]])
    found = sp.coo_matrix(hits)
    return found.row.astype(np.int64), found.col.astype(np.int64)
