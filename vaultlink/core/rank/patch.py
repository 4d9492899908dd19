"""A ranking patched for a few changed notes: what the watcher ranks with right after a save.

Rebuilding a ``RankIndex`` costs ~0.4 s on 10,000 notes (the mention matrix, the transposes, the
stacked right-hand side), for a save that changed one note. ``patched(base, changed, links)`` is
``base`` with these rows replaced, in about 20 ms:

- the changed notes': their words weigh by their new document frequencies, their mentions are
  found against every name ``base`` finds mentions of, their links are the new ones;
- the notes they gained or lost a link with: new links, words weighed by the new frequencies;
- the notes stating a word that starts or stops counting (its frequency crossed ``min_df``): a
  phrase two notes share for the first time relates them at once;
- the notes mentioning a note whose mention count moved (it weighs every mention of it).

Link degrees (Adamic-Adar weights) are the new ones everywhere. What stays ``base``'s: the other
notes' rows where a word's weight moved a little (its frequency changed, away from ``min_df``) or
crossed the upper bound (hundreds of notes state it), and which words of a long name are its
rarest. Scores stay symmetric (a pair with a replaced row is scored from the new rows on both
sides). So a save that keeps its note's words (other counts, other links) ranks exactly as a
rebuild; any other ranks close to it. The watcher writes these lists at once and checks every
list against a rebuilt index in the batch right after (``LiveVault``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from vaultlink.core.note import Note
from vaultlink.core.rank.features import NoteRow
from vaultlink.core.rank.index import RankIndex
from vaultlink.core.rank.links import link_node, link_weights
from vaultlink.core.rank.matrices import (
    LINK_WEIGHT,
    ScoreMatrices,
    bag_matrix,
    idf,
    kept_features,
    label_matrix,
    name_matrix,
    weighted,
)
from vaultlink.core.rank.mentions import Mentionable, weighed_mentions
from vaultlink.core.rank.sparse import Matrix, columns_of, normalise, presence_matrix, stacked, with_rows
from vaultlink.core.resolve import ResolvedLink

__all__ = ["PatchedIndex", "patched", "prepare"]


def patched(
    base: RankIndex, changed: Mapping[str, tuple[Note, NoteRow]], links: Iterable[ResolvedLink]
) -> PatchedIndex | None:
    """``base`` with the ``changed`` notes (by path: the note and its row, from ``base``'s
    vocabulary) put in; ``links`` are every link from or to a changed note, resolved as they are
    now. None when a patch can't stand for the new ranking: a note ``base`` doesn't rank (new, or
    a stub) or whose names changed (the other notes' mentions of it would move)."""
    rows: dict[int, tuple[Note, NoteRow]] = {}
    for path, (note, row) in changed.items():
        at = base.row_of.get(path)
        if at is None or note.is_stub or not base.rows[at].same_names(row):
            return None
        rows[at] = (note, row)
    return PatchedIndex(base, rows, links) if rows else None


def prepare(base: RankIndex) -> None:
    """Do now what every patch of ``base`` reads, so that the first patch doesn't pay for it
    (~60 ms on 10,000 notes: every name a mention can be of, the postings of rare words)."""
    _prepared(base)


class PatchedIndex(RankIndex):
    """A ``RankIndex`` answering with some rows replaced; see the module docstring. It shares
    ``base``'s arrays and never changes them."""

    def __init__(
        self, base: RankIndex, changed: Mapping[int, tuple[Note, NoteRow]], links: Iterable[ResolvedLink]
    ) -> None:
        # Deliberately not RankIndex.__init__: that is the rebuild.
        saved = np.array(sorted(changed), dtype=np.int64)
        new_rows = [changed[int(r)][1] for r in saved]
        notes, rows = list(base.notes), list(base.rows)
        for r in saved:
            notes[r], rows[r] = changed[int(r)]
        old = base.matrices
        width = len(old.weights)
        weights, df, moved_words = _weights_after(base, saved, new_rows)
        links = list(links)
        moved, adjacency, degree = _link_rows(base, saved, links)
        # The notes whose links changed are weighed anew (with the words' new weights: they
        # are planned now, being linked from or to a saved note); so are the notes stating a
        # word that starts or stops counting: a word two notes share for the first time
        # relates them at once.
        weighed = np.union1d(moved, _started_or_stopped(base, moved_words, weights))
        weighed_rows = [rows[r] for r in weighed]
        bag = bag_matrix(weighed_rows, len(weights))
        names = name_matrix(weighed_rows, len(weights), weights)
        singulars = presence_matrix([row.singulars for row in new_rows], len(base.vocabulary.singulars))
        present = _mentionable_of(base).columns.presence(singulars, [notes[r].pairs for r in saved])
        mentioning, mentions = _mentions_after(base, saved, present)
        self.matrices = ScoreMatrices(
            text=with_rows(old.text, weighed, normalise(weighted(bag, weights))[:, :width]),
            names=with_rows(old.names, weighed, names[:, :width]),
            links=with_rows(old.links, moved, adjacency),
            mentions=with_rows(old.mentions, mentioning, mentions),
            mention_sym=_symmetric_with(old, mentioning, mentions),
            degree=degree,
            weights=weights[:width],
            df=df[:width],
            link_nodes=old.link_nodes,
            out_links=with_rows(old.out_links, saved, _out_rows(base, saved, links)),
            one_word=old.one_word,  # a patch never changes names (``patched``)
            labels=with_rows(old.labels, saved, label_matrix(new_rows, len(weights))[:, :width]),
        )
        self.notes, self.rows = notes, rows
        self.paths, self.row_of, self.vocabulary, self.config = base.paths, base.row_of, base.vocabulary, base.config
        self.mentionable, self.feature_keys = base.mentionable, base.feature_keys
        self.right = base.right  # right for every column but the replaced rows' (``_scores``)
        self._replaced = weighed
        self._right_replaced = self.matrices.right(weighed)
        self._reweighed = _reweighed(base, degree, 2 * width)

    def _scores(self, rows: np.ndarray) -> Matrix:
        """Scores with ``base``'s columns, except those of the replaced rows, scored anew."""
        left = self.matrices.left(rows)
        product = left @ self.right
        if self._reweighed is not None:
            columns, gained = self._reweighed
            product = product + left[:, columns] @ gained
        kept = sp.coo_matrix(product)
        fresh = sp.coo_matrix(left @ self._right_replaced)
        keep = ~np.isin(kept.col, self._replaced)
        rows = np.concatenate([kept.row[keep], fresh.row])
        columns = np.concatenate([kept.col[keep], self._replaced[fresh.col]])
        return sp.csr_matrix((np.concatenate([kept.data[keep], fresh.data]), (rows, columns)), shape=kept.shape)


# --- the replaced rows ------------------------------------------------------------------------------


def _reweighed(base: RankIndex, degree: np.ndarray, offset: int) -> tuple[np.ndarray, Matrix] | None:
    """What ``base``'s right-hand side gains where a node's Adamic-Adar weight moved with its
    degree: the rows of those nodes (the link rows start at ``offset``), and for each the gain
    times the notes linked with it. None if no weight moved. (Wrong for the replaced rows'
    columns: ``PatchedIndex._scores`` scores those anew.)"""
    before, after = link_weights(base.matrices.degree), link_weights(degree)
    nodes = np.flatnonzero(before != after)
    if not len(nodes):
        return None
    neighbours = sp.csr_matrix(_prepared(base).links_by_node[:, nodes].T)
    return offset + nodes, sp.csr_matrix(sp.diags((after - before)[nodes] * LINK_WEIGHT) @ neighbours)


def _weights_after(
    base: RankIndex, saved: np.ndarray, new_rows: Sequence[NoteRow]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every word's weight (idf, 0 if it relates nothing) as ``base`` has it, except for the words
    the saved notes gained or lost (returned last): those from their new document frequencies;
    and every word's document frequency now. As wide as the vocabulary now (a new word weighs in
    its note's row length)."""
    width = len(base.vocabulary.ids)
    old = base.matrices
    df = np.zeros(width, dtype=old.df.dtype)
    df[: len(old.df)] = old.df
    weights = np.zeros(width)
    weights[: len(old.weights)] = old.weights
    before = np.concatenate([base.rows[r].words for r in saved])
    now = np.concatenate([row.words for row in new_rows])
    np.subtract.at(df, before, 1)
    np.add.at(df, now, 1)
    moved = np.union1d(before, now)
    n = len(base.paths)
    weights[moved] = idf(df[moved], n) * kept_features(df[moved], base.config, n)
    return weights, df, moved


def _started_or_stopped(base: RankIndex, words: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The notes of ``base`` stating one of ``words`` that starts or stops counting at ``min_df``
    with ``weights``. (One that stops counting by growing too common is left to the rebuild:
    hundreds of notes state it.)"""
    before = base.matrices.weights
    known = words[words < len(before)]
    crossed = known[(before[known] > 0) != (weights[known] > 0)]
    postings, owners = _prepared(base).rare_words
    starts, ends = np.searchsorted(postings, crossed, "left"), np.searchsorted(postings, crossed, "right")
    found = [owners[a:b] for a, b in zip(starts, ends, strict=True) if b > a]
    return np.unique(np.concatenate(found)).astype(np.int64) if found else np.zeros(0, dtype=np.int64)


def _symmetric_with(old: ScoreMatrices, rows: np.ndarray, mentions: Matrix) -> Matrix:
    """``old.mention_sym`` (mentions either way) after ``rows`` of the mention matrix became
    ``mentions``: those rows move, and the rows of the notes they mention(ed)."""
    n = old.mentions.shape[0]
    change = sp.coo_matrix(sp.csr_matrix(mentions) - old.mentions[rows])  # exactly 0 where nothing moved
    spread = sp.csr_matrix((change.data, (rows[change.row], change.col)), shape=(n, n))
    moved = np.union1d(rows, change.col)
    return with_rows(old.mention_sym, moved, old.mention_sym[moved] + spread[moved] + spread.T.tocsr()[moved])


def _mentions_after(base: RankIndex, saved: np.ndarray, present: Matrix) -> tuple[np.ndarray, Matrix]:
    """The rows of the mention matrix that move, and their new rows: the saved notes' (the names
    columns, ``present``, hold), and those of the other notes mentioning a note the saved
    ones started or stopped mentioning (its mention count weighs every mention of it). Weighed
    as ``mentions.mention_matrix`` weighs them."""
    n, old = len(base.paths), base.matrices.mentions
    binary = _mentioned(base, saved, present)
    outgoing = np.diff(old.indptr)
    outgoing[saved] = np.diff(binary.indptr)
    before = np.bincount(old.indices, minlength=n)
    incoming = before - np.bincount(old[saved].indices, minlength=n) + np.bincount(binary.indices, minlength=n)
    recounted = np.flatnonzero(incoming != before)
    # The notes mentioning a recounted one are among those it shares a mention with either way.
    rows = np.union1d(saved, base.matrices.mention_sym[recounted].indices)
    pattern = with_rows(old[rows], np.searchsorted(rows, saved), binary)
    pattern.data[:] = 1.0
    return rows, weighed_mentions(pattern, outgoing[rows], incoming)


def _mentioned(base: RankIndex, saved: np.ndarray, present: Matrix) -> Matrix:
    """Saved × notes: 1 where a saved note has every column (``present``) of one of a note's names."""
    owners, names, lengths = _prepared(base).names
    hits = sp.coo_matrix((present != 0).astype(np.float64) @ names.T)
    found = hits.data == lengths[hits.col]
    mentioner, mentioned = saved[hits.row[found]], owners[hits.col[found]]
    other = mentioner != mentioned
    at = np.searchsorted(saved, mentioner[other])
    binary = sp.csr_matrix((np.ones(len(at)), (at, mentioned[other])), shape=(len(saved), len(base.paths)))
    binary.data[:] = 1.0  # a note naming b twice (two of b's names) mentions it once
    return binary


@dataclass(frozen=True)
class _Prepared:
    """What every patch of one index reads (``prepare``)."""

    names: tuple[np.ndarray, Matrix, np.ndarray]
    """Every name the index finds mentions of, as ``mentions.mention_matrix`` reads them: each name's
    owner (row), names × mention columns (the rarest a mentioning note must have), and how many."""
    links_by_node: Matrix
    """The link matrix by columns (CSC): each node's notes."""
    rare_words: tuple[np.ndarray, np.ndarray]
    """The words in ``min_df`` notes or one fewer (they start or stop counting with one note
    more or less), each as often as notes state it, ascending; and those notes (rows)."""


_PREPARED: weakref.WeakKeyDictionary[RankIndex, _Prepared] = weakref.WeakKeyDictionary()


def _prepared(base: RankIndex) -> _Prepared:
    found = _PREPARED.get(base)
    if found is None:
        found = _PREPARED[base] = _Prepared(_name_table(base), base.matrices.links.tocsc(), _rare_words(base))
    return found


def _rare_words(base: RankIndex) -> tuple[np.ndarray, np.ndarray]:
    df, low = base.matrices.df, base.config.min_df
    if low <= 1:  # every stated word counts (up to the upper bound)
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    words = np.concatenate([row.words for row in base.rows]) if base.rows else np.zeros(0, dtype=np.int64)
    owners = np.repeat(np.arange(len(base.rows), dtype=np.int32), [len(row.words) for row in base.rows])
    rare = (df[words] >= max(1, low - 1)) & (df[words] <= low)
    words, owners = words[rare], owners[rare]
    order = np.argsort(words, kind="stable")
    return words[order].astype(np.int32), owners[order]


def _mentionable_of(base: RankIndex) -> Mentionable:
    assert base.mentionable is not None, "a patched index needs its base's rows (keep_rows)"
    return base.mentionable


def _name_table(base: RankIndex) -> tuple[np.ndarray, Matrix, np.ndarray]:
    found = _mentionable_of(base)
    indices, indptr = stacked(found.ranked)
    table = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(found.ranked), len(found.df)))
    return found.owners, table, np.diff(indptr).astype(np.float64)


def _link_rows(
    base: RankIndex, saved: np.ndarray, links: Iterable[ResolvedLink]
) -> tuple[np.ndarray, Matrix, np.ndarray]:
    """The notes whose links may have changed (the saved notes and the notes they gained or lost
    a link with), their new rows of the link matrix over ``base``'s nodes, and every node's
    degree now. A node new since ``base`` shares no neighbour in it: left out of the rows,
    counted in degrees."""
    n = len(base.paths)
    new: dict[int, set[int | str]] = {int(r): set() for r in saved}
    for r in links:
        key = link_node(r)
        if key is None:
            continue
        a, b = _node(base, r.source), _node(base, key)
        if a is not None and a == b:
            continue
        if a in new:
            new[a].add(key if b is None else b)
        if b in new:
            new[b].add(r.source if a is None else a)
    links_before = base.matrices.links
    degree = base.matrices.degree.copy()
    rows: dict[int, set[int]] = {}
    for s, now in new.items():
        before = set(columns_of(links_before, s).tolist())
        rows[s] = {node for node in now if isinstance(node, int)}
        degree[s] = len(now)
        for other in (rows[s] ^ before) - new.keys():
            degree[other] += 1 if other in rows[s] else -1
            if other < n:
                rows.setdefault(other, set(columns_of(links_before, other).tolist())).symmetric_difference_update({s})
    moved = np.array(sorted(rows), dtype=np.int64)
    columns = [np.array(sorted(rows[int(r)]), dtype=np.int64) for r in moved]
    indices, indptr = stacked(columns)
    adjacency = sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(moved), links_before.shape[1]))
    return moved, adjacency, degree


def _out_rows(base: RankIndex, saved: np.ndarray, links: Iterable[ResolvedLink]) -> Matrix:
    """The saved notes' new rows of ``ScoreMatrices.out_links``: the nodes each links to (a node new
    since ``base`` left out, as in ``_link_rows``)."""
    at = {int(r): k for k, r in enumerate(saved)}
    found: list[set[int]] = [set() for _ in saved]
    for r in links:
        key, source = link_node(r), base.row_of.get(r.source)
        if key is None or source not in at:
            continue
        target = _node(base, key)
        if target is not None and target != source:
            found[at[source]].add(target)
    indices, indptr = stacked([np.array(sorted(f), dtype=np.int64) for f in found])
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(saved), base.matrices.out_links.shape[1]))


def _node(base: RankIndex, key: str) -> int | None:
    found = base.row_of.get(key)
    return base.matrices.link_nodes.get(key) if found is None else found
