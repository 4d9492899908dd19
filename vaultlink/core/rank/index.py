"""``RankIndex``: the ranking of a set of notes, asked for one note's Related list or every note's."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from vaultlink.core.config import Config
from vaultlink.core.note import Note, Suggestion, link_name
from vaultlink.core.rank.features import NoteRow, Vocabulary
from vaultlink.core.rank.matrices import ScoreMatrices, build_matrices
from vaultlink.core.rank.mentions import Mentionable
from vaultlink.core.rank.pairs import PairEvidence, topical_tags
from vaultlink.core.rank.reasons import ROUND, reasons_of
from vaultlink.core.rank.sparse import Matrix
from vaultlink.core.resolve import ResolvedLink

CHUNK_PRODUCTS = 4_000_000
"""About how many multiply-adds one chunk of rows may cost: bounds the memory of a chunk's scores."""
RELATIVE = 0.5
"""A listed note scores at least this share of the best-scoring note listed beside it: what is
listed does not hinge on an absolute score, which means something else in a vault of 9 notes and
one of 100,000 (issue 15). ``min_score`` is a floor the user may set on top."""
CANDIDATES = 4
"""How many times ``top`` best-scoring notes are put to the evidence gate (``pairs``) for a list."""
PAIR_BATCH = 4_096
"""Candidate pairs put to the gate at a time: bounds the memory of what they share."""


class RankIndex:
    """The ranking of a set of notes (stubs left out) and their resolved links."""

    notes: list[Note]
    """The ranked notes, by path: row k is ``notes[k]``."""
    paths: list[str]
    row_of: dict[str, int]
    vocabulary: Vocabulary
    config: Config
    rows: list[NoteRow]
    """Each note's row (empty without ``keep_rows``)."""
    matrices: ScoreMatrices
    mentionable: Mentionable | None
    """What the mentions were found from (None without ``keep_rows``): a patch finds a saved
    note's mentions the same way."""
    feature_keys: list[str]
    """Each feature column's key: a stem, a phrase or a #tag."""
    right: Matrix
    """The right-hand side of every score (``ScoreMatrices.right``)."""

    def __init__(
        self,
        notes: Iterable[Note],
        links: Iterable[ResolvedLink],
        config: Config,
        *,
        vocabulary: Vocabulary | None = None,
        rows: Mapping[str, NoteRow] | None = None,
        keep_rows: bool = True,
    ) -> None:
        """``vocabulary`` and ``rows`` (by path, for these very notes) let a caller that
        rebuilds the index often skip recomputing the rows of unchanged notes. Without
        ``keep_rows``, ``self.rows`` is emptied once the matrices are built from it (ranking never
        reads it; a 100,000-note index holds 300 MB of rows), and the index can't be patched."""
        self.notes = sorted((n for n in notes if not n.is_stub), key=lambda n: n.path)
        self.paths = [n.path for n in self.notes]
        self.row_of = {p: i for i, p in enumerate(self.paths)}
        self.vocabulary = vocabulary if vocabulary is not None else Vocabulary()
        self.config = config
        self.rows, self.matrices, self.mentionable = build_matrices(
            self.notes, links, config, self.vocabulary, rows or {}, self.row_of, keep_rows=keep_rows
        )
        self.feature_keys = list(self.vocabulary.ids)
        self.right = self.matrices.right()

    # --- ranking ------------------------------------------------------------------------------

    def related(
        self,
        path: str,
        *,
        top: int = 5,
        min_score: float = 0.0,
        exclude: Collection[str] = (),
        reasons: bool = True,
        listing: bool = False,
    ) -> list[Suggestion]:
        """The ``top`` notes most related to ``path``, best first: never the note itself, nor a
        path in ``exclude`` (the notes it links to), nor one scoring below ``min_score``.
        ``listing``: what a Related block lists (a sync, the watcher): only notes on evidence enough
        (``pairs.PairEvidence.listable``) scoring at least ``RELATIVE`` of the best of them; without
        it, every note by score (link prediction, the watcher's search for lists a save moves).
        Without ``reasons`` each suggestion's reasons are left empty (faster)."""
        row = self.row_of.get(path)
        if row is None:
            return []
        return self._rank_rows(np.array([row]), top, min_score, {path: exclude}, reasons, listing)[path]

    def related_all(
        self,
        *,
        top: int = 5,
        min_score: float = 0.0,
        exclude: Mapping[str, Collection[str]] | None = None,
        only: Collection[str] | None = None,
        reasons: bool = True,
        listing: bool = False,
        advance: Callable[[int], None] | None = None,
    ) -> dict[str, list[Suggestion]]:
        """``related`` of every note (or of those in ``only``), scored in bounded chunks;
        ``advance`` hears how many notes each chunk ranked."""
        exclude = exclude or {}
        paths = self.paths if only is None else sorted(set(only) & self.row_of.keys())
        rows = np.array([self.row_of[p] for p in paths], dtype=np.int64)
        out: dict[str, list[Suggestion]] = {p: [] for p in only or ()}  # stubs and unknown paths: none
        for chunk in self._chunks(rows):
            out.update(self._rank_rows(chunk, top, min_score, exclude, reasons, listing))
            if advance is not None:
                advance(len(chunk))
        return out

    def _listed(
        self, picked: list[tuple[int, list[int], list[float]]], top: int
    ) -> list[tuple[int, list[int], list[float]]]:
        """Each row's candidates (best first) cut to what a Related block lists: those on evidence
        enough, scoring at least ``RELATIVE`` of the first of them, ``top`` at most."""
        left = np.array([row for row, chosen, _ in picked for _ in chosen], dtype=np.int64)
        right = np.array([c for _, chosen, _ in picked for c in chosen], dtype=np.int64)
        ok: list[bool] = []
        for start in range(0, len(left), PAIR_BATCH):  # what pairs share is as large as their texts
            part = slice(start, start + PAIR_BATCH)
            ok += PairEvidence.of(self, left[part], right[part]).listable(self).tolist()
        out: list[tuple[int, list[int], list[float]]] = []
        at = 0
        for row, chosen, values in picked:
            kept = [(c, v) for k, (c, v) in enumerate(zip(chosen, values, strict=True)) if ok[at + k]]
            at += len(chosen)
            kept = [(c, v) for c, v in kept if v >= RELATIVE * kept[0][1]][:top]
            out.append((row, [c for c, _ in kept], [v for _, v in kept]))
        return out

    def scores_with(self, path: str) -> dict[str, float]:
        """Every other note's positive score with ``path`` (rounded), from ``path``'s own row."""
        row = self.row_of.get(path)
        if row is None:
            return {}
        scores = self._scores(np.array([row]))
        values = np.round(scores.data, ROUND)
        return {self.paths[c]: float(v) for c, v in zip(scores.indices, values, strict=True) if c != row and v > 0}

    def score(self, path: str, other: str) -> float:
        """The two notes' score, as ``related`` rounds it (0 if either is unknown)."""
        a, b = self.row_of.get(path), self.row_of.get(other)
        if a is None or b is None:
            return 0.0
        return float(np.round(self._scores(np.array([a]))[0, b], ROUND))

    @cached_property
    def topical(self) -> np.ndarray:
        """Each feature: a tag that is a subject, not a state or format (``pairs.topical_tags``)."""
        return topical_tags(self)

    @cached_property
    def _extra_nodes(self) -> dict[int, str]:
        return {column: key for key, column in self.matrices.link_nodes.items()}

    def node_name(self, node: int) -> str:
        """The name to write in ``[[…]]`` for a link node: a note's or stub's file name, or a missing
        note's target (as folded)."""
        key = self.paths[node] if node < len(self.paths) else self._extra_nodes.get(node, "")
        return link_name(key.removeprefix("\0missing:"))

    def _scores(self, rows: np.ndarray) -> Matrix:
        """The rows' scores with every note (rows × notes)."""
        return sp.csr_matrix(self.matrices.left(rows) @ self.right)

    def _chunks(self, rows: np.ndarray) -> Iterable[np.ndarray]:
        """``rows`` in runs whose estimated products stay under ``CHUNK_PRODUCTS``."""
        if not len(rows):
            return
        per_column = np.diff(self.right.indptr).astype(np.float64)
        cost = np.zeros(len(rows))
        for start in range(0, len(rows), 4096):  # estimated in slices, so never all rows at once
            cost[start : start + 4096] = (self.matrices.left(rows[start : start + 4096]) != 0) @ per_column + 1.0
        start, total = 0, 0.0
        for k, c in enumerate(cost):
            if total and total + c > CHUNK_PRODUCTS:
                yield rows[start:k]
                start, total = k, 0.0
            total += c
        yield rows[start:]

    def _rank_rows(
        self,
        rows: np.ndarray,
        top: int,
        min_score: float,
        exclude: Mapping[str, Collection[str]],
        reasons: bool,
        listing: bool,
    ) -> dict[str, list[Suggestion]]:
        scores = self._scores(rows)
        out: dict[str, list[Suggestion]] = {}
        picked: list[tuple[int, list[int], list[float]]] = []  # (row, chosen rows, their scores)
        for k, row in enumerate(rows):
            path = self.paths[row]
            lo, hi = scores.indptr[k], scores.indptr[k + 1]
            cols, values = scores.indices[lo:hi], np.round(scores.data[lo:hi], ROUND)
            keep = (cols != row) & (values > 0) & (values >= min_score)
            skipped = [self.row_of[p] for p in exclude.get(path, ()) if p in self.row_of]
            if skipped:
                keep &= ~np.isin(cols, skipped)
            cols, values = cols[keep], values[keep]
            best = np.lexsort((cols, -values))[: top * CANDIDATES if listing else top]
            picked.append((int(row), [int(c) for c in cols[best]], values[best].tolist()))
        if listing:
            picked = self._listed(picked, top)
        why: list[list[tuple[str, ...]]] = (
            reasons_of(self, picked) if reasons else [[() for _ in chosen] for _, chosen, _ in picked]
        )
        for (of, chosen, scores_of), said in zip(picked, why, strict=True):
            out[self.paths[of]] = [
                Suggestion(self.paths[c], v, r) for c, v, r in zip(chosen, scores_of, said, strict=True)
            ]
        return out
