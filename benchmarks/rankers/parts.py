"""Ranking v2.1's score taken apart, for prototypes to change one part at a time.

The one module that reads ``RankIndex``'s private matrices (``ScoreMatrices``) and ranking's helpers: when
ranking's code moves, only this file follows it. ``Parts.scores`` adds the parts as ``RankIndex`` does
(text, names both ways, links, mentions both ways, with its weights); a test checks it against
``RankIndex.score``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from vaultlink.core.rank import LINK_WEIGHT, MENTION_WEIGHT, NAME_WEIGHT, TEXT_WEIGHT, RankIndex
from vaultlink.core.rank.links import link_weights
from vaultlink.core.rank.matrices import bag_matrix, idf, name_matrix, weighted
from vaultlink.core.rank.sparse import normalise

Matrix = Any


@dataclass
class Parts:
    index: RankIndex
    text: Matrix  # notes × features, unit rows (TF-IDF)
    names: Matrix  # notes × features: each note's name words, idf-weighted, unit rows
    links: Matrix  # notes × link nodes (notes, then stubs and missing notes)
    link_weight: np.ndarray  # each node's Adamic-Adar weight
    degree: np.ndarray  # each node's degree
    mentions: Matrix  # notes × notes: a mentions b, weighted
    weights: np.ndarray  # each feature's weight (idf, 0 where it relates nothing)
    df: np.ndarray  # notes having each feature

    @classmethod
    def of(cls, index: RankIndex) -> Parts:
        m = index.matrices
        degree = np.asarray(m.degree).ravel()
        return cls(
            index,
            m.text,
            m.names,
            m.links,
            link_weights(degree),
            degree,
            m.mentions,
            np.asarray(m.weights),
            np.asarray(m.df),
        )

    @property
    def keys(self) -> list[str]:
        """Each feature column's key: a stem, a phrase (with a space) or a #tag."""
        return list(self.index.feature_keys)

    def reweighted(self, kept: np.ndarray) -> Parts:
        """The parts with only the features ``kept`` (a mask over the columns) relating notes, each
        weighted by its idf: the text and names matrices rebuilt from the notes' word bags."""
        index = self.index
        if not index.rows:
            raise ValueError("the index was built without keep_rows")
        width = len(self.weights)
        n = len(index.notes)
        weights = idf(self.df, n) * kept
        bag = bag_matrix(index.rows, width)
        text = normalise(weighted(bag, weights))
        names = name_matrix(index.rows, width, weights)
        return Parts(index, text, names, self.links, self.link_weight, self.degree, self.mentions, weights, self.df)

    @functools.cached_property
    def _right(self) -> tuple[Matrix, Matrix, Matrix]:
        both = (self.text * TEXT_WEIGHT + self.names * NAME_WEIGHT).T.tocsr()
        links = (sp.diags(self.link_weight) @ self.links.T * LINK_WEIGHT).tocsr()
        return both, (self.text.T * NAME_WEIGHT).tocsr(), links

    def scores(self, rows: np.ndarray, mention_sym: Matrix | None = None) -> Matrix:
        """rows × notes: every part of the score, summed with ranking's weights; ``mention_sym`` is a
        mention matrix plus its transpose (default: v2.1's)."""
        both, names_right, links_right = self._right
        m = (self.mentions + self.mentions.T).tocsr() if mention_sym is None else mention_sym
        total = self.text[rows] @ both + self.names[rows] @ names_right + self.links[rows] @ links_right
        return sp.csr_matrix(total + m[rows] * MENTION_WEIGHT)
