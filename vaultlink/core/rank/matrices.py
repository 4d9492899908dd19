"""The score's matrices, built from the notes' rows: ``ScoreMatrices`` is the one type both a full
build (``build_matrices``) and a patched index (``patch.py``) rank through, and ``ScoreMatrices.right``
is the one place the four parts of the score are weighed and added."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from vaultlink.core.config import Config
from vaultlink.core.note import Note
from vaultlink.core.rank.features import ROW_BATCH, NoteRow, Vocabulary, note_row
from vaultlink.core.rank.links import link_adjacency, link_weights
from vaultlink.core.rank.mentions import Mentionable, MentionColumns, mention_matrix, mentionable
from vaultlink.core.rank.sparse import (
    NO_IDS,
    NO_TF,
    Matrix,
    indptr_of,
    joined,
    narrowed,
    normalise,
    presence,
    presence_matrix,
    stacked,
    stacked_rows,
)
from vaultlink.core.resolve import ResolvedLink

TEXT_WEIGHT = 1.0
NAME_WEIGHT = 1.0
MENTION_WEIGHT = 1.2
LINK_WEIGHT = 0.3
WORD_MAX_DF = 1_000
"""A word in more notes than this relates nothing, however large the vault: it keeps the work per
note bounded (each note's scores cost the postings of its words), so ranking grows linearly. A
count, not a share of the notes: a share drops every word five notes of a nine-note vault share
(issue 15); below this count, idf alone weighs a common word down."""
ONE_WORD, AMBIGUOUS = 1, 2
NAME_LABEL, LINK_LABEL = 1, 2
NAME_USE = 0.25
"""A note one of whose names is one word is mentioned (for listing it and for the reason) only if
the vault uses its names as names: notes link to it, at least this share of the notes writing one.
"Simple", "Views" or "Settings" (a file name, or a frontmatter title a template left) are written by
hundreds of notes that do not mean the note; "Photoresistors" by the few that do. A share of the
word's own uses, so it means the same in any vault size. A one-word name two notes have (two
``Temperature`` notes) is never one: a mention can't tell which note it means."""


@dataclass(frozen=True)
class ScoreMatrices:
    """The four parts of the score, one row per note (in the index's row order): the score of
    notes a and b is ``left(a) @ right(b)``. Never changed once made (a patched index makes new
    ones, sharing the unchanged arrays)."""

    text: Matrix
    """Notes × features: unit TF-IDF rows (sublinear tf × ``weights``)."""
    names: Matrix
    """Notes × features: the words of each note's names, weighted by ``weights``, unit rows."""
    links: Matrix
    """Notes × link nodes (the notes, then ``link_nodes``): 1 where an explicit link joins them."""
    mentions: Matrix
    """Notes × notes: a → b where a states one of b's names (``mentions.weighed_mentions``)."""
    mention_sym: Matrix
    """``mentions`` either way (mentions + mentions.T): the mention part of the score."""
    degree: np.ndarray
    """Each link node's degree (its Adamic-Adar weight is ``links.link_weights``)."""
    weights: np.ndarray
    """Each feature's weight: idf, 0 for one that relates nothing (too rare or too common)."""
    df: np.ndarray
    """How many notes state each feature."""
    link_nodes: Mapping[str, int] = field(default_factory=dict)
    """The link nodes after the notes (stubs, missing notes), by ``links.link_node`` key."""
    out_links: Matrix = field(default_factory=lambda: sp.csr_matrix((0, 0)))
    """Notes × link nodes: 1 where the note itself links to the node (``links`` is either way)."""
    one_word: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    """Each note: ``ONE_WORD`` if one of its names is one word (its mentions are mostly of that name,
    ``NAME_USE``), ``AMBIGUOUS`` if another note has that name too (a mention can't tell which)."""
    labels: Matrix = field(default_factory=lambda: sp.csr_matrix((0, 0)))
    """Notes × features: non-zero where the word is one of the note's names' (``NAME_LABEL``) or its
    links' text (``LINK_LABEL``; both: their sum): shared by two notes, such a word is no subject
    they share (``pairs``)."""

    @cached_property
    def in_degree(self) -> np.ndarray:
        """How many notes link to each link node."""
        return np.bincount(self.out_links.indices, minlength=self.out_links.shape[1])

    @cached_property
    def name_used(self) -> np.ndarray:
        """Each note: is a mention of it a mention of the note (``NAME_USE``)?"""
        n = self.mentions.shape[0]
        writing = np.bincount(self.mentions.indices, minlength=n)
        linking = self.in_degree[:n]
        used = (linking >= 1) & (linking >= NAME_USE * writing)
        return np.asarray((self.one_word == 0) | ((self.one_word == ONE_WORD) & used))

    def left(self, rows: np.ndarray) -> Matrix:
        """The rows' text, names, links and mentions side by side (not kept for all rows: memory)."""
        return sp.hstack([part[rows] for part in (self.text, self.names, self.links, self.mention_sym)], format="csr")

    def right(self, rows: np.ndarray | None = None) -> Matrix:
        """The right-hand side of every score (or its columns for ``rows``): ``left(a) @ right``
        is a's score with every note, the sum of

        - text · text (TF-IDF cosine) + names · text both ways, times their weights;
        - Adamic-Adar over the links: each shared neighbour's ``link_weights``;
        - the mentions either way.

        Every part as one product: one sparse multiply per chunk instead of four products and
        three sums of large results."""
        n = self.text.shape[0]
        parts = (self.text, self.names, self.links)
        text, names, links = parts if rows is None else tuple(part[rows] for part in parts)
        mix = text * TEXT_WEIGHT + names * NAME_WEIGHT
        links_t = sp.csr_matrix(sp.diags(link_weights(self.degree))) @ links.T * LINK_WEIGHT
        identity = sp.identity(n, format="csr")
        mentions_t = (identity if rows is None else sp.csr_matrix(identity[:, rows])) * MENTION_WEIGHT
        # vstack([mix.T, (text * NAME_WEIGHT).T, links_t, mentions_t]), built without a copy of each block
        blocks = [(mix, True, 1.0), (text, True, NAME_WEIGHT), (links_t, False, 1.0), (mentions_t, False, 1.0)]
        return stacked_rows(blocks)

    def shared_features(self, left: np.ndarray, right: np.ndarray) -> Matrix:
        """Pairs × features: what each shared feature of (left[k], right[k]) adds to their score
        (text, and names both ways), summed in the order the score adds them, so the rounded
        weights are the score's."""
        text_l, text_r = self.text[left], self.text[right]
        words = (
            text_l.multiply(text_r) * TEXT_WEIGHT
            + text_l.multiply(self.names[right]) * NAME_WEIGHT
            + self.names[left].multiply(text_r) * NAME_WEIGHT
        )
        words = sp.csr_matrix(words)
        words.eliminate_zeros()
        words.sort_indices()
        return words


def build_matrices(
    notes: Sequence[Note],
    links: Iterable[ResolvedLink],
    config: Config,
    vocabulary: Vocabulary,
    given: Mapping[str, NoteRow],
    row_of: Mapping[str, int],
    *,
    keep_rows: bool,
) -> tuple[list[NoteRow], ScoreMatrices, Mentionable | None]:
    """The rows of ``notes`` (``given`` ones reused; ``row_of`` is each note's row), their score
    matrices, and what the mentions were found from (None without ``keep_rows``: the rows are
    then emptied once the matrices are built from them, and a patch needs them). The order of
    the steps keeps the peak memory low: each large transient is let go before the next is made."""
    n = len(notes)
    if keep_rows:
        rows = [given.get(note.path) or note_row(note, vocabulary) for note in notes]
        parts = _BagParts()
        singulars = presence_matrix([r.singulars for r in rows], len(vocabulary.singulars))
    else:
        rows, parts = _rows_without_words(notes, given, vocabulary)
        singulars = _presence_of_parts(parts, len(vocabulary.singulars))
    columns = MentionColumns.of(rows, singulars.shape[1])
    # By columns: the mention check reads postings. Converted at once, so that the row and
    # column forms are not held together.
    present = columns.presence(singulars, [note.pairs for note in notes]).tocsc()
    del singulars
    mention_df = np.diff(present.indptr)  # notes having each column; for a patched index too
    upper = max(upper_df(config, n), min(WORD_MAX_DF, n))
    owners, ranked = mentionable(rows, columns, mention_df, upper)
    mentions = mention_matrix(n, owners, ranked, present)
    del present
    found = Mentionable(columns, mention_df, np.array(owners, dtype=np.int64), ranked) if keep_rows else None
    width = len(vocabulary.ids)  # features no note here states are empty columns
    bag = bag_matrix(rows, width) if keep_rows else _bag_of_parts(parts, width)
    df = np.bincount(bag.indices, minlength=width)
    weights = idf(df, n) * kept_features(df, config, n)
    names = name_matrix(rows, width, weights)
    one_word = one_word_names(rows)
    labels = label_matrix(rows, width)
    if not keep_rows:
        rows = []
    tf_idf = weighted(bag, weights)
    del bag  # before the normalising copies: it is as large as the text matrix (memory at 100k notes)
    text = normalise(tf_idf)
    del tf_idf
    adjacency, out_links, nodes = link_adjacency(links, row_of)
    link_matrix = sp.csr_matrix(adjacency[:n])
    degree = np.asarray(adjacency.sum(axis=1)).ravel()  # each node's, for a patched index too
    del adjacency
    mention_sym = (mentions + mentions.T).tocsr()
    for matrix in (text, names, mentions, link_matrix):
        matrix.sort_indices()
    matrices = ScoreMatrices(
        text, names, link_matrix, mentions, mention_sym, degree, weights, df, nodes, out_links, one_word, labels
    )
    return rows, matrices, found


# --- weighing features ------------------------------------------------------------------------


def upper_df(config: Config, n: int) -> float:
    """The most notes a word may be in and still relate them (``WORD_MAX_DF``)."""
    return max(config.min_df, WORD_MAX_DF)


def kept_features(df: np.ndarray, config: Config, n: int) -> np.ndarray:
    """Which features relate notes: stated by at least ``min_df`` notes and not by too many."""
    return np.asarray((df >= config.min_df) & (df <= upper_df(config, n)))


def idf(df: np.ndarray, n: int) -> np.ndarray:
    found: np.ndarray = np.log((n + 1) / np.maximum(df, 1).astype(np.float64))
    return found


def weighted(bag: Matrix, weights: np.ndarray) -> Matrix:
    """Sublinear tf × ``weights`` (idf, 0 for features that relate nothing); ``normalise`` makes it
    the TF-IDF text matrix."""
    matrix = sp.csr_matrix(bag @ sp.diags(weights))
    matrix.eliminate_zeros()
    return matrix


def name_matrix(rows: Sequence[NoteRow], width: int, weights: np.ndarray) -> Matrix:
    """Notes × features: the words of each note's names, weighted by ``weights`` (idf, 0 for
    words that relate nothing), unit rows."""
    words, indptr = stacked([r.name_words for r in rows])
    matrix = sp.csr_matrix((weights[words], words, indptr), shape=(len(rows), width))
    matrix.eliminate_zeros()
    return normalise(matrix)


def one_word_names(rows: Sequence[NoteRow]) -> np.ndarray:
    """``ScoreMatrices.one_word`` of ``rows``."""
    words = [{int(name[0]) for name in row.names if len(name) == 1} for row in rows]
    owners = Counter(w for found in words for w in found)
    kinds = [AMBIGUOUS if any(owners[w] > 1 for w in found) else ONE_WORD if found else 0 for found in words]
    return np.array(kinds, dtype=np.int8)


def label_matrix(rows: Sequence[NoteRow], width: int) -> Matrix:
    """``ScoreMatrices.labels`` of ``rows``: ``NAME_LABEL`` for a word of the note's names, plus
    ``LINK_LABEL`` for a word of its links' text."""
    every = [np.union1d(r.name_words, r.link_words) for r in rows]
    words, indptr = stacked(every)
    kinds = [
        np.isin(u, r.name_words).astype(np.int8) * NAME_LABEL + np.isin(u, r.link_words).astype(np.int8) * LINK_LABEL
        for u, r in zip(every, rows, strict=True)
    ]
    data = np.concatenate(kinds) if kinds else np.zeros(0, dtype=np.int8)
    return sp.csr_matrix((data.astype(np.int8), words, indptr), shape=(len(rows), width))


def bag_matrix(rows: Sequence[NoteRow], width: int) -> Matrix:
    """Notes × features, each note's 1 + log(count)."""
    words, indptr = stacked([r.words for r in rows])
    tf = np.concatenate([r.tf for r in rows]) if rows else np.zeros(0)
    return sp.csr_matrix((tf, words, indptr), shape=(len(rows), width))


# --- the rows, without holding every row's arrays ---------------------------------------------


@dataclass
class _BagParts:
    """The word bag's CSR arrays in pieces, one per batch of rows, and each row's length; and the
    same of the rows' singular words."""

    words: list[np.ndarray] = field(default_factory=list)
    tf: list[np.ndarray] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    singulars: list[np.ndarray] = field(default_factory=list)
    singular_lengths: list[int] = field(default_factory=list)


def _rows_without_words(
    notes: Sequence[Note], given: Mapping[str, NoteRow], vocabulary: Vocabulary
) -> tuple[list[NoteRow], _BagParts]:
    """Each note's row with its words, tf and singular words moved into one array per ``ROW_BATCH``
    rows (what the bag and the mention check are made of), the rows keeping their names only.
    Every row's own arrays cost 8 bytes a word and 112 of headers each, and all of them at once
    were the index's largest transient."""
    rows: list[NoteRow] = []
    parts = _BagParts()
    for start in range(0, len(notes), ROW_BATCH):
        batch = [given.get(n.path) or note_row(n, vocabulary) for n in notes[start : start + ROW_BATCH]]
        words = np.concatenate([r.words for r in batch]) if batch else NO_IDS
        parts.words.append(narrowed(words, len(vocabulary.ids)))
        parts.tf.append(np.concatenate([r.tf for r in batch]) if batch else NO_TF)
        parts.lengths.extend(len(r.words) for r in batch)
        singulars = np.concatenate([r.singulars for r in batch]) if batch else NO_IDS
        parts.singulars.append(narrowed(singulars, len(vocabulary.singulars)))
        parts.singular_lengths.extend(len(r.singulars) for r in batch)
        rows.extend(NoteRow(NO_IDS, NO_TF, NO_IDS, r.names, r.name_pairs, r.name_words, r.link_words) for r in batch)
    return rows, parts


def _presence_of_parts(parts: _BagParts, width: int) -> Matrix:
    """``presence_matrix`` of the rows ``parts`` was taken from, the pieces let go as copied."""
    indices = joined(parts.singulars)
    parts.singulars.clear()
    return presence(indices, indptr_of(parts.singular_lengths), width)


def _bag_of_parts(parts: _BagParts, width: int) -> Matrix:
    """``bag_matrix`` of the rows ``parts`` was taken from, the pieces let go as they are copied."""
    total = sum(parts.lengths)
    index = np.int32 if all(w.dtype == np.int32 for w in parts.words) else np.int64
    words, tf = np.empty(total, dtype=index), np.empty(total)
    at = 0
    while parts.words:
        piece, weights = parts.words.pop(0), parts.tf.pop(0)
        words[at : at + len(piece)], tf[at : at + len(piece)] = piece, weights
        at += len(piece)
    return sp.csr_matrix((tf, words, indptr_of(parts.lengths)), shape=(len(parts.lengths), width))
