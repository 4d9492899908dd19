"""What two notes share, as evidence a person would accept from a Related entry's reason line: the
gate a candidate passes before it is listed (``PairEvidence.listable``), and what the reasons show.

Issue 15: a score adds up many small things, and a blind reading found 41% of the entries ranking
v2.1 wrote wrong: one shared word in two senses, a shared given name, a hub note listed on link
overlap alone, a one-word note name "mentioned" by every note using the word. A candidate is listed on
``EVIDENCE`` (two) pieces of evidence of these:

- a mention either way of a name the vault uses as that note's name (``ScoreMatrices.name_used``),
  unless the mentioning note mentions many notes (``mentions.passing_mentioners``: a list, an
  outline or a busy journal day mentions each in passing);
- each phrase both notes state, or tag both carry that fewer than ``SPECIFIC`` notes carry and
  that is a subject (``topical_tags``: not ``#todo`` or ``#excalidraw``), two counting twice; not
  the phrase of a mentioned name, nor one both notes write only as the text of a link (judged as
  the link);
- ``GATE_WORDS`` shared words or more adding ``WORDS_WEIGHT`` to the score, not counting words of
  either note's names (two people called Alex share a name word, not a subject; "home" in a ride
  note is a mention of ``Home`` or nothing) or of both notes' links' text (two notes writing
  [[person]] share a link, judged as one), nor words of a shared phrase (one phrase is one piece,
  not a phrase and its words);
- each note both link to that fewer than ``SPECIFIC`` notes link to (two count twice), unless the
  candidate is a hub itself (``SPECIFIC`` links or more either way: an index note is not suggested
  on link overlap).

A phrase or words count only when both notes hold content of their own (an empty or title-only note
is listed on a mention and a link, or two links). Why two: of the 190 entries of ranking v2.1 read
blind, those resting on one of the first three alone were 13 good, 21 meh and 25 wrong (a passing
mention of a one-word name, a template's heading, two common words); on two or more, 17 good, 12
meh and 9 wrong. A link alone: 7 good, 5 meh, 3 wrong there, but on the blocks a sync writes with
it, notes joined by one link to a concept ("both link [[loved]]", a book and a ride both linking
[[Base training]]) read as chance.

Counts, not shares of the vault: a hub is a hub and a phrase a phrase in any vault size.

Ranking v3.1 (v3's blind review: wrong 11%, good 47%, most "meh" a passing mention or a hub) counts
each thing once: a mention, not also its name's words or phrase; a link, not also the phrase its
text makes; a tag only if its notes share words (``topical_tags``); a mention by a note mentioning
many is a passing one; a note linked with many needs more (``magnet_damping``). Replaying the 190
labelled v3 entries (``benchmarks/review/replay.py``), what v3.1 keeps of them went from 88 good /
76 meh / 19 wrong to 50 / 29 / 1 (docs/related_quality.md, "Ranking v3.1").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from vaultlink.core.rank.features import PHRASE, TAG, WORD
from vaultlink.core.rank.matrices import LINK_LABEL
from vaultlink.core.rank.mentions import passing_mentioners
from vaultlink.core.rank.sparse import Matrix

if TYPE_CHECKING:
    from vaultlink.core.rank.index import RankIndex

SPECIFIC = 20
"""A note both notes link to (a tag both carry) is evidence when fewer than this many notes link to
it (carry it); a note with this many links or more is a hub, never listed on shared links alone."""
EVIDENCE = 2
"""How many pieces of evidence list a note (the module docstring)."""
GATE_WORDS = 2
"""How many shared words (not of both notes' names) list a note without a phrase, tag, mention or link."""
WORDS_WEIGHT = 0.1
"""And how much they must add to the score together (a cosine's share: "good" and "end" shared by
a recipe and a podcast note add 0.03). A weight of the pair's own text, the same in any vault size."""


@dataclass(frozen=True)
class PairEvidence:
    """What each pair (left[k], right[k]) of notes shares."""

    named_here: np.ndarray
    """left writes right's name (a name the vault uses as one)."""
    names_this: np.ndarray
    """right writes left's name."""
    features: Matrix
    """Pairs × features: what each shared feature adds to the score (``ScoreMatrices.shared_features``)."""
    both_labels: Matrix
    """Pairs × features: 1 where the word is of both notes' names or links' text (``ScoreMatrices.labels``)."""
    links: Matrix
    """Pairs × link nodes: 1 where both notes link to the node and fewer than ``SPECIFIC`` notes do."""
    hub: np.ndarray
    """right has ``SPECIFIC`` links or more, either way."""
    damping: np.ndarray
    """How many more pieces of evidence right needs than ``EVIDENCE`` (``magnet_damping``)."""
    content: np.ndarray
    """Both notes hold content of their own (``_own_content``)."""
    named: Matrix
    """Pairs × features: the words of the name a pair's mention is of, and the phrases of those words
    (``_mentioned_names``): one mention is one piece of evidence, not a mention and the words or
    phrase of the name it writes ("mentioned here, fediverse" is one piece)."""
    name_words: Matrix
    """Pairs × features: the words of either note's names. One note writing the other's name is a
    mention, judged as one (``named_here``: a one-word name the vault does not use as a name is no
    mention), never shared words as well: "home" written by a ride note is no subject it shares
    with ``Home``."""
    link_text: Matrix
    """Pairs × features: the words both notes write as a link's text, and the phrases of those words:
    two notes linking [[buenos aires]] share a link, judged as a link, not also the phrase "buenos
    aires" its text makes."""
    left: np.ndarray
    """Each pair's left note (its row)."""
    right: np.ndarray
    """Each pair's right note (its row)."""

    @classmethod
    def of(cls, index: RankIndex, left: np.ndarray, right: np.ndarray) -> PairEvidence:
        m = index.matrices
        used = m.name_used
        if not len(left):
            none = np.zeros(0, dtype=bool)
            empty = sp.csr_matrix((0, m.text.shape[1]))
            no_links = sp.csr_matrix((0, m.out_links.shape[1]))
            return cls(none, none, empty, empty, no_links, none, left, none, empty, empty, empty, left, right)
        shared = sp.csr_matrix(m.out_links[left].multiply(m.out_links[right]))
        specific = sp.diags((m.in_degree < SPECIFIC).astype(np.float64))
        links = sp.csr_matrix(shared @ specific)
        links.eliminate_zeros()
        links.sort_indices()
        named_here = np.asarray(m.mentions[left, right] != 0).ravel() & used[right]
        names_this = np.asarray(m.mentions[right, left] != 0).ravel() & used[left]
        return cls(
            named_here,
            names_this,
            m.shared_features(left, right),
            sp.csr_matrix(m.labels[left].multiply(m.labels[right])),
            links,
            m.degree[right] >= SPECIFIC,
            magnet_damping(m.degree[right]),
            _own_content(index, left) & _own_content(index, right),
            _mentioned_names(index, left, right, named_here, names_this),
            sp.csr_matrix((m.names[left] != 0) + (m.names[right] != 0)),
            _with_phrases(index, _link_labels(m.labels[left]).multiply(_link_labels(m.labels[right]))),
            left,
            right,
        )

    def listable(self, index: RankIndex) -> np.ndarray:
        """Which pairs rest on evidence enough to list (the module docstring)."""
        present = self.features  # CSR, sorted, no explicit zeros
        kind = index.vocabulary.kinds()[present.indices]
        rare_tag = (kind == TAG) & (index.matrices.df[present.indices] < SPECIFIC) & index.topical[present.indices]
        of_name = _has(self.named, present)
        row = np.repeat(np.arange(present.shape[0]), np.diff(present.indptr))
        phrase = (kind == PHRASE) & ~of_name & ~_has(self.link_text, present)
        phrases = np.bincount(row[phrase | rare_tag], minlength=present.shape[0])
        phrased = np.where(self.content, np.minimum(phrases, 2), 0)
        _, worded = self.shared_words(index)
        passing = passing_mentioners(index.matrices.mentions)
        mentioned = (self.named_here & ~passing[self.left]) | (self.names_this & ~passing[self.right])
        linked = np.where(self.hub, 0, np.minimum(np.diff(self.links.indptr), 2))
        return np.asarray(mentioned.astype(np.int64) + phrased + worded + linked >= EVIDENCE + self.damping)

    def shared_words(self, index: RankIndex) -> tuple[np.ndarray, np.ndarray]:
        """Which entries of ``features`` are shared words that count (not of either note's names,
        nor of both notes' links' text, nor of a shared phrase), and which pairs share enough of
        them to count as one piece (``GATE_WORDS`` adding ``WORDS_WEIGHT``): the reasons show
        only those."""
        present = self.features
        kind = index.vocabulary.kinds()[present.indices]
        shown = _phrase_words_of(index, present, kind)
        word = (kind == WORD) & ~_has(self.both_labels, present) & ~_has(shown, present)
        word &= ~_has(self.named, present) & ~_has(self.name_words, present)
        row = np.repeat(np.arange(present.shape[0]), np.diff(present.indptr))
        n = present.shape[0]
        words = np.bincount(row[word], minlength=n)
        weight = np.bincount(row[word], weights=present.data[word], minlength=n)
        return word, (words >= GATE_WORDS) & (weight >= WORDS_WEIGHT) & self.content


def magnet_damping(degree: np.ndarray) -> np.ndarray:
    """How many more pieces of evidence a note with ``degree`` links (either way) needs to be listed:
    one more from ``SPECIFIC`` links, and one more each time they double. A note linked with many
    is in many notes' candidates (it shares links, words and mentions with all of them), so it would
    be in many blocks on the evidence that lists any note: the more blocks it would be in, the more
    it needs. Its own links, so a save changes it only for the notes it links (exact under the
    watcher's patch, whose link degrees are the new ones everywhere)."""
    ratio = np.maximum(degree.astype(np.float64), 1.0) / SPECIFIC
    return np.where(ratio >= 1.0, np.floor(np.log2(ratio)) + 1, 0).astype(np.int64)


TOPICAL = 0.5
"""A tag is a subject when at least this share of the pairs of notes carrying it share words
(``topical_tags``)."""


def topical_tags(index: RankIndex) -> np.ndarray:
    """Each feature: is it a tag fewer than ``SPECIFIC`` notes carry whose notes mostly share words
    (``TOPICAL`` of their pairs a text cosine of ``WORDS_WEIGHT``, tags left out)? A tag spread over
    notes that share nothing else marks a state or a format, not a subject: ``#todo``, ``#draft``,
    ``#incomplete``, ``#excalidraw`` (on vaultofknowledge 0.00-0.16 of their pairs share words; its
    ``#cryptography`` 0.80, sample_vault's topic tags all 1.00). Found from the vault itself, as
    the boilerplate lines are; never from a list of known tags."""
    m = index.matrices
    width = m.text.shape[1]
    kinds = index.vocabulary.kinds()[:width]
    tags = np.flatnonzero((kinds == TAG) & (m.df[:width] >= 2) & (m.df[:width] < SPECIFIC))
    topical = np.zeros(width, dtype=bool)
    if not len(tags):
        return topical
    words = sp.diags((kinds != TAG).astype(np.float64))
    at = np.flatnonzero(np.isin(m.text.indices, tags))  # no copy of the text matrix: a mask of its entries
    rows_of = np.searchsorted(m.text.indptr, at, side="right") - 1
    tag_of = m.text.indices[at]
    order = np.lexsort((rows_of, tag_of))
    rows_of, tag_of = rows_of[order], tag_of[order]
    bounds = np.searchsorted(tag_of, tags), np.searchsorted(tag_of, tags, side="right")
    for tag, lo, hi in zip(tags.tolist(), *bounds, strict=True):
        rows = rows_of[lo:hi]
        if len(rows) < 2:
            continue
        text = sp.csr_matrix(m.text[rows] @ words)
        cosines = (text @ text.T).toarray()[np.triu_indices(len(rows), 1)]
        topical[tag] = np.mean(cosines >= WORDS_WEIGHT) >= TOPICAL
    return topical


def _mentioned_names(
    index: RankIndex, left: np.ndarray, right: np.ndarray, named_here: np.ndarray, names_this: np.ndarray
) -> Matrix:
    """Pairs × features: each word of right's names where left writes one of them, and of left's
    where right does (``_with_phrases``)."""
    names = index.matrices.names
    here = sp.diags(named_here.astype(np.float64)) @ (names[right] != 0)
    this = sp.diags(names_this.astype(np.float64)) @ (names[left] != 0)
    return _with_phrases(index, here + this)


def _link_labels(labels: Matrix) -> Matrix:
    """``labels`` (``ScoreMatrices.labels`` rows) where the word is a link's text."""
    marked = sp.csr_matrix(labels, dtype=np.int8, copy=True)
    marked.data &= LINK_LABEL
    marked.eliminate_zeros()
    return marked


def _with_phrases(index: RankIndex, words: Matrix) -> Matrix:
    """Pairs × features: 1 for each of ``words`` (pairs × word features, non-zero where marked) and for
    each phrase all of whose words are marked."""
    width = words.shape[1]
    marked = sp.csr_matrix(words != 0, dtype=np.float64)
    phrase_words = index.vocabulary.phrase_words()[:width, :width]
    held = sp.csr_matrix(marked @ phrase_words.T)  # pairs × phrases: how many of its words are marked
    whole = np.asarray(phrase_words.sum(axis=1)).ravel()
    held.data = (held.data >= whole[held.indices]).astype(np.float64)
    return sp.csr_matrix((marked + held) != 0)


def _phrase_words_of(index: RankIndex, present: Matrix, kind: np.ndarray) -> Matrix:
    """Pairs × features: the words of the phrases (and tags) each pair shares (``present``, whose
    entries are of ``kind``): one shared phrase is one piece of evidence, not a phrase and its words."""
    data = np.asarray(kind != WORD, dtype=np.int8)
    phrases = sp.csr_matrix((data, present.indices.copy(), present.indptr.copy()), present.shape)
    phrases.eliminate_zeros()  # in place: hence the copies
    width = present.shape[1]
    words = index.vocabulary.phrase_words()[:width, :width]
    return sp.csr_matrix(phrases @ words)


def _own_content(index: RankIndex, rows: np.ndarray) -> np.ndarray:
    """Each row's note: does its text hold a word that counts and is not one of its names' words (an
    empty or title-only note holds none: its title's words and phrases are all it says)?"""
    text = index.matrices.text[rows]
    own = (index.vocabulary.kinds()[text.indices] == WORD) & ~_has(index.matrices.names[rows], text)
    at = np.repeat(np.arange(len(rows)), np.diff(text.indptr))
    return np.bincount(at[own], minlength=len(rows)) > 0


def _has(marks: Matrix, present: Matrix) -> np.ndarray:
    """For each stored entry of ``present`` (CSR, sorted), is it stored in ``marks`` too (same shape)?"""
    both = sp.csr_matrix(present.multiply(marks != 0))
    both.sort_indices()
    rows = np.repeat(np.arange(present.shape[0]), np.diff(present.indptr))
    keys = rows.astype(np.int64) * present.shape[1] + present.indices
    marked_rows = np.repeat(np.arange(both.shape[0]), np.diff(both.indptr))
    marked = marked_rows.astype(np.int64) * both.shape[1] + both.indices
    return np.isin(keys, marked)
