"""Issue 15's ranking changes as ``--ranker`` prototypes, each alone and together.

``python benchmarks/related_quality.py --proxies --ranker rankers.proto:Gate`` (or
``benchmarks/written_blocks.py --ranker …``). Every prototype starts from ranking v2.1's parts
(``parts.py``) and changes what its ``Settings`` say:

- ``evidence``: rank a copy of the vault whose bodies keep only the author's visible text (``evidence.py``);
- ``phrase_mentions``: mentions found as phrases, weighed by the phrase's rarity, one-word names only
  where the vault uses them as names (``mentions.py``);
- ``gate``: a pair is listed only on evidence a person would accept from its reason line: a mention
  either way, a shared phrase, two shared words that are not parts of both notes' names (two people
  called Alex share a name word, not a subject) nor the text of links both make (judged as links), a
  tag both carry that few notes carry, or a note both link to that fewer than ``SPECIFIC_LINKS`` notes
  link to ("both link [[X]]"; being linked from the same journal day is no evidence) when the listed
  note is not itself a hub;
- ``magnets``: a note that would be in many blocks needs more: its score with every note is divided by
  1 + log(blocks it would be in / ``MAGNET_FREE``·blocks), once above that share;
- ``relative``: a note lists what scores at least this share of its own best (not an absolute score);
- ``no_df_ratio``: a feature relates notes up to 1,000 notes, whatever the vault's size (no 5% ratio);
- ``readable``: reasons name the shared link targets few notes link to (``both link [[X]]``) and the
  shared tags few notes carry (``both tagged #x``, evidence for the gate too), show phrases, and show
  words only when there are two or more; never "shared links" unnamed.

Lists are computed for every note at once (the top ``CANDIDATES`` by score, the notes linked either way
left out), then gated, damped and cut.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from rankers import evidence, mentions
from rankers.parts import Matrix, Parts
from vaultlink import app
from vaultlink.app import VaultScan
from vaultlink.core.neighbours import Neighbours
from vaultlink.core.note import Suggestion, TermKind, link_name
from vaultlink.core.rank import MAX_REASONS, NAMED_HERE, NAMES_THIS_NOTE, ROUND, WORD_MAX_DF, RankIndex
from vaultlink.core.rank.links import link_node
from vaultlink.core.rank.reasons import reasons_of
from vaultlink.core.resolve import Outcome
from vaultlink.core.terms import name_keys, tag_key
from vaultlink.scan import VaultSources

CANDIDATES = 100
SPECIFIC_LINKS = 20
"""A note both notes link to (or a tag both carry) is evidence when fewer than this many notes link
to it (carry it). A note with this many links or more is a hub: it is not listed on shared links
alone. Counts, not shares: a hub is a hub in any vault."""
MAGNET_FREE = 0.02
"""A note in up to this share of the blocks (and at least ``MAGNET_FLOOR`` of them) is not damped."""
MAGNET_FLOOR = 3


@dataclass(frozen=True)
class Settings:
    evidence: bool = False
    phrase_mentions: bool = False
    gate: bool = False
    magnets: bool = False
    relative: float = 0.0
    no_df_ratio: bool = False
    readable: bool = False
    strict_names: str = ""
    """"gate": a one-word name the vault does not use as a name is no mention for the gate and the
    reasons; "score": nor in the score (``phrase_mentions`` on)."""
    name_use: float = mentions.NAME_USE
    gate_words: int = 2
    """How many shared words (not parts of both names) are evidence enough for the gate; 0: words
    alone never are."""


@dataclass
class Lists:
    """Every note's candidates: ``rows`` × ``CANDIDATES`` column numbers (-1: none) and scores."""

    cols: np.ndarray
    scores: np.ndarray
    passes: np.ndarray  # the gate's verdict on each candidate


class Prototype:
    """``Prototype(scan)`` ranks like v2.1 with ``settings`` changed; a ranker for link prediction
    (``__call__``) and for a sync (``related_all``)."""

    settings: ClassVar[Settings] = Settings()

    def __init__(self, scan: VaultScan) -> None:
        s = self.settings
        self.scan = scan
        source = scan
        if s.evidence:
            with tempfile.TemporaryDirectory(prefix="vaultlink-evidence-") as tmp:
                source = app.scan_vault(evidence.filtered_copy(scan, Path(tmp)), app.NO_CACHE)
                kept = VaultSources(source.root, source.config.max_bytes)
                for n in source.notes:
                    kept.add(source.sources.read(n.path))
                source.sources = kept
        self.source = source
        self.index = RankIndex(source.notes, source.links, source.config)
        parts = Parts.of(self.index)
        if s.no_df_ratio:
            kept = (parts.df >= source.config.min_df) & (parts.df <= WORD_MAX_DF)
            parts = parts.reweighted(kept)
        self.parts = parts
        self.paths = self.index.paths
        self.mentions = sp.csr_matrix(parts.mentions)  # what the score adds
        self.listable = self.mentions  # what the gate and the reasons take for a mention
        if s.phrase_mentions or s.strict_names:
            found = mentions.mentions(source, self.index.notes, name_use=s.name_use)
            if s.phrase_mentions:
                self.mentions = found.strict if s.strict_names == "score" else found.matrix
            self.listable = found.strict if s.strict_names else self.mentions
        self.mention_sym = (self.mentions + self.mentions.T).tocsr()
        linked = Neighbours(scan.links).either_way()
        self.linked = {
            self.index.row_of[p]: {self.index.row_of[q] for q in qs if q in self.index.row_of}
            for p, qs in linked.items()
            if p in self.index.row_of
        }
        keys = parts.keys
        tag = np.array([k.startswith("#") for k in keys], dtype=bool)
        self.phrase = np.array([" " in k for k in keys], dtype=bool) & ~tag
        self.tag = tag & (parts.df < SPECIFIC_LINKS)  # a tag few notes carry: "both tagged #x"
        self.feature = self.phrase | tag  # not a word
        self.name_words = _name_word_matrix(self.index, len(keys))
        self.link_words = _link_word_matrix(self.index, len(keys))
        self.out_links, self.in_degree = _out_links(source, self.index, parts.links.shape[1])
        self.lists = self._lists()

    # --- the lists -----------------------------------------------------------------------------

    def _lists(self) -> Lists:
        n = len(self.paths)
        cols = np.full((n, CANDIDATES), -1, dtype=np.int64)
        scores = np.zeros((n, CANDIDATES))
        for start in range(0, n, 256):
            rows = np.arange(start, min(n, start + 256))
            block = self.parts.scores(rows, self.mention_sym)
            for k, row in enumerate(rows):
                lo, hi = block.indptr[k], block.indptr[k + 1]
                c, v = block.indices[lo:hi], np.round(block.data[lo:hi], ROUND)
                keep = (c != row) & (v > 0)
                skip = self.linked.get(int(row))
                if skip:
                    keep &= ~np.isin(c, list(skip))
                c, v = c[keep], v[keep]
                best = np.lexsort((c, -v))[:CANDIDATES]
                cols[row, : len(best)], scores[row, : len(best)] = c[best], v[best]
        passes = cols >= 0
        if self.settings.gate:
            passes &= self._gate(cols)
        lists = Lists(cols, np.where(passes, scores, 0.0), passes)
        if self.settings.magnets:
            lists.scores = self._damped(lists)
        return lists

    def _pairs(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        valid = cols >= 0
        left = np.repeat(np.arange(cols.shape[0]), cols.shape[1])[valid.ravel()]
        return left, cols[valid], valid

    def _gate(self, cols: np.ndarray) -> np.ndarray:
        left, right, valid = self._pairs(cols)
        ok = np.zeros(len(left), dtype=bool)
        for start in range(0, len(left), 200_000):
            sl = slice(start, start + 200_000)
            ok[sl] = self._evidence(left[sl], right[sl]).acceptable(self.settings.gate_words)
        out = np.zeros(cols.shape, dtype=bool)
        out[valid] = ok
        return out

    def _evidence(self, left: np.ndarray, right: np.ndarray) -> PairEvidence:
        p = self.parts
        text_l, text_r = p.text[left], p.text[right]
        shared = sp.csr_matrix(
            text_l.multiply(text_r) + p.names[left].multiply(text_r) + text_l.multiply(p.names[right])
        )
        shared.eliminate_zeros()
        both_names = sp.csr_matrix(self.name_words[left].multiply(self.name_words[right]))
        both_links = sp.csr_matrix(self.link_words[left].multiply(self.link_words[right]))
        present = (shared != 0).astype(np.int8)
        phrases = present @ self.phrase.astype(np.float64)
        tags = present @ self.tag.astype(np.float64)
        not_words = present @ self.feature.astype(np.float64)
        not_evidence = ((both_names + both_links) != 0).astype(np.int8)
        words = np.asarray((present - present.multiply(not_evidence)).sum(axis=1)).ravel() - not_words
        links = sp.csr_matrix(self.out_links[left].multiply(self.out_links[right]))
        adamic = np.asarray(links @ (self.in_degree < SPECIFIC_LINKS).astype(np.float64)).ravel()
        mention_lr = np.asarray(self.listable[left, right]).ravel() > 0
        mention_rl = np.asarray(self.listable[right, left]).ravel() > 0
        hub = p.degree[right] >= SPECIFIC_LINKS
        return PairEvidence(mention_lr, mention_rl, phrases, tags, words, adamic, hub, shared, links)

    def _damped(self, lists: Lists) -> np.ndarray:
        """Scores divided by 1 + log(share of blocks / MAGNET_FREE) for notes above that share."""
        chosen = self._cut(lists.cols, lists.scores, lists.passes, top=5, min_score=self.index.config.related_min_score)
        counts = Counter(c for row in chosen for c in row)
        blocks = sum(1 for row in chosen if row)
        free = max(MAGNET_FLOOR, MAGNET_FREE * blocks)
        factor = np.ones(len(self.paths) + 1)
        for note, count in counts.items():
            if count > free:
                factor[note] = 1.0 / (1.0 + np.log(count / free))
        damped = lists.scores * factor[lists.cols]  # cols -1 reads the last entry: 1.0, score 0 anyway
        return np.round(damped, ROUND)

    def _cut(
        self, cols: np.ndarray, scores: np.ndarray, passes: np.ndarray, top: int, min_score: float
    ) -> list[list[int]]:
        out: list[list[int]] = []
        for row in range(cols.shape[0]):
            ok = passes[row] & (scores[row] > 0)
            c, v = cols[row][ok], scores[row][ok]
            order = np.lexsort((c, -v))
            c, v = c[order], v[order]
            floor = self.settings.relative * v[0] if self.settings.relative and len(v) else min_score
            out.append([int(x) for x, y in zip(c, v, strict=True) if y >= floor][:top])
        return out

    # --- the ranker interfaces ------------------------------------------------------------------

    def __call__(self, path: str, exclude: frozenset[str]) -> list[str]:
        row = self.index.row_of.get(path)
        if row is None:
            return []
        ok = self.lists.passes[row] & (self.lists.scores[row] > 0)
        c, v = self.lists.cols[row][ok], self.lists.scores[row][ok]
        return [self.paths[int(x)] for x in c[np.lexsort((c, -v))] if self.paths[int(x)] not in exclude]

    def related_all(
        self, *, top: int, min_score: float, exclude: Mapping[str, Collection[str]] | None = None, reasons: bool = True
    ) -> dict[str, list[Suggestion]]:
        lists = self.lists
        chosen = self._cut(lists.cols, lists.scores, lists.passes, top, min_score)
        left = np.array([row for row, picked in enumerate(chosen) for _ in picked], dtype=np.int64)
        right = np.array([c for picked in chosen for c in picked], dtype=np.int64)
        score = {
            (int(r), int(c)): float(v)
            for r in range(len(chosen))
            for c, v in zip(lists.cols[r], lists.scores[r], strict=True)
        }
        why = self._reasons(left, right) if len(left) and reasons else [()] * len(left)
        out: dict[str, list[Suggestion]] = {p: [] for p in self.paths}
        for k, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
            out[self.paths[a]].append(Suggestion(self.paths[b], score[a, b], why[k]))
        return out

    # --- reasons -------------------------------------------------------------------------------

    def _reasons(self, left: np.ndarray, right: np.ndarray) -> list[tuple[str, ...]]:
        ev = self._evidence(left, right)
        if not self.settings.readable:
            return self._v21_reasons(left, right, ev)
        keys = self.parts.keys
        node_names = _node_names(self.source, self.index)
        out: list[tuple[str, ...]] = []
        labels: dict[str, str] = {}
        forms: dict[int, str] = {}
        for k, a in enumerate(left.tolist()):
            if k == 0 or a != left[k - 1]:
                note = self.index.notes[a]
                labels = {t.key: t.label for t in note.terms if t.kind is not TermKind.TAG and " " in t.key}
                tagged = _tag_labels(note.tags)
                forms = dict(zip(self.index.vocabulary.ids_of_forms(note.words)[0].tolist(), note.words, strict=True))
            reasons: list[str] = []
            if ev.mention_lr[k]:
                reasons.append(NAMED_HERE)
            if ev.mention_rl[k]:
                reasons.append(NAMES_THIS_NOTE)
            lo, hi = ev.shared.indptr[k], ev.shared.indptr[k + 1]
            cols = ev.shared.indices[lo:hi][np.argsort(-ev.shared.data[lo:hi], kind="stable")]
            phrases = [labels[keys[c]] for c in cols if keys[c] in labels]
            shown = " ".join(phrases).casefold().split()
            tags = [tagged[keys[c]] for c in cols if self.tag[c] and keys[c] in tagged]
            words = [forms.get(int(c), keys[c]) for c in cols if not self.feature[c]]
            words = [w for w in words if w not in shown]
            lo, hi = ev.links.indptr[k], ev.links.indptr[k + 1]
            nodes = sorted(ev.links.indices[lo:hi].tolist(), key=lambda z: (self.in_degree[z], z))
            specific = [z for z in nodes if self.in_degree[z] < SPECIFIC_LINKS and z in node_names]
            named = [f"[[{node_names[z]}]]" for z in specific[:2]]
            reasons += phrases[: MAX_REASONS - len(reasons)]
            if named and len(reasons) < MAX_REASONS:
                reasons.append("both link " + ", ".join(named))
            if tags and len(reasons) < MAX_REASONS:
                reasons.append("both tagged " + ", ".join(tags[:2]))
            if len(words) >= 2 or reasons:
                reasons += words
            out.append(tuple(reasons[:MAX_REASONS]))
        return out

    def _v21_reasons(self, left: np.ndarray, right: np.ndarray, ev: PairEvidence) -> list[tuple[str, ...]]:
        """v2.1's own reasons, with this prototype's mentions in place of v2.1's."""
        picked: list[tuple[int, list[int], list[float]]] = []
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            if not picked or picked[-1][0] != a:
                picked.append((a, [], []))
            picked[-1][1].append(b)
            picked[-1][2].append(0.0)
        flat = [r for rows in reasons_of(self.index, picked) for r in rows]
        if not (self.settings.phrase_mentions or self.settings.strict_names):
            return flat
        out = []
        for k, reasons in enumerate(flat):
            rest = [r for r in reasons if r not in (NAMED_HERE, NAMES_THIS_NOTE)]
            named = [NAMED_HERE] * bool(ev.mention_lr[k]) + [NAMES_THIS_NOTE] * bool(ev.mention_rl[k])
            out.append(tuple((named + rest)[:MAX_REASONS]))
        return out


@dataclass
class PairEvidence:
    mention_lr: np.ndarray
    mention_rl: np.ndarray
    phrases: np.ndarray
    tags: np.ndarray
    words: np.ndarray
    adamic: np.ndarray  # how many link targets both notes link to that few notes link to
    hub: np.ndarray
    shared: Matrix
    links: Matrix

    def acceptable(self, gate_words: int = 2) -> np.ndarray:
        specific_links = (self.adamic > 0) & ~self.hub
        words = (self.words >= gate_words) if gate_words else np.zeros(len(self.words), dtype=bool)
        shared = (self.phrases > 0) | (self.tags > 0)
        return self.mention_lr | self.mention_rl | shared | words | specific_links


def _name_word_matrix(index: RankIndex, width: int) -> Matrix:
    """notes × features: 1 where the feature is a word of one of the note's names."""
    rows = index.rows
    indices = np.concatenate([r.name_words for r in rows]) if rows else np.zeros(0, dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum([len(r.name_words) for r in rows])])
    return sp.csr_matrix((np.ones(len(indices), dtype=np.int8), indices, indptr), shape=(len(rows), width))


def _link_word_matrix(index: RankIndex, width: int) -> Matrix:
    """notes × features: 1 where the feature is a word of the text of one of the note's links (its
    display text, else its target's name). Two notes that both write [[person]] share a link, judged by
    the link rule (a hub is no evidence), not two words."""
    ids = index.vocabulary.ids
    rows: list[int] = []
    cols: list[int] = []
    for row, note in enumerate(index.notes):
        seen: set[int] = set()
        for link in note.links:
            for stems in (name_keys(link.display or link_name(link.target)).stems,):
                seen.update(ids[s] for s in stems if s in ids and ids[s] < width)
        rows.extend([row] * len(seen))
        cols.extend(sorted(seen))
    ones = np.ones(len(rows), dtype=np.int8)
    return sp.csr_matrix((ones, (rows, cols)), shape=(len(index.notes), width))


def _tag_labels(tags: Sequence[str]) -> dict[str, str]:
    """Each tag feature's key (a nested tag's parents too, as ``terms.tag_terms`` makes them) -> the
    tag as the note writes it."""
    out: dict[str, str] = {}
    for tag in tags:
        levels = tag.lstrip("#").split("/")
        for depth in range(1, len(levels) + 1):
            written = "/".join(levels[:depth])
            out.setdefault("#" + tag_key(written), "#" + written)
    return out


def _out_links(scan: VaultScan, index: RankIndex, width: int) -> tuple[Matrix, np.ndarray]:
    """notes × link nodes (``Parts.links``' columns): 1 where the note links to the node (its own
    links, not links to it); and each node's in-degree (how many notes link to it)."""
    rows: list[int] = []
    cols: list[int] = []
    for r in scan.links:
        key = link_node(r)
        source = index.row_of.get(r.source)
        column = None if key is None else index.row_of.get(key, index.matrices.link_nodes.get(key))
        if source is not None and column is not None and column != source:
            rows.append(source)
            cols.append(column)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index.paths), width))
    matrix.data[:] = 1.0
    return matrix, np.asarray((matrix != 0).sum(axis=0)).ravel()


def _node_names(scan: VaultScan, index: RankIndex) -> dict[int, str]:
    """Link nodes by column (``Parts.links``) -> the name to write in ``[[…]]``: a note's or stub's
    file name, or a missing note's target as first written."""
    out = {i: link_name(p) for i, p in enumerate(index.paths)}
    for r in scan.links:
        key = link_node(r)
        column = index.matrices.link_nodes.get(key) if key is not None else None
        if column is not None and column not in out:
            out[column] = link_name(r.resolution.target if r.resolution.outcome is Outcome.NOTE else r.link.target)
    return out


# --- the prototypes: each change alone, then together -----------------------------------------------


class Same(Prototype):
    """No change: v2.1 through the prototype's own machinery (checks the machinery)."""


class Evidence(Prototype):
    settings = Settings(evidence=True)


class PhraseMentions(Prototype):
    """Mentions found as phrases, every name counted (one-word names too): a change of the score only."""

    settings = Settings(phrase_mentions=True)


class StrictNames(Prototype):
    """Phrase mentions, one-word names only where the vault uses them as names, in the score too."""

    settings = Settings(phrase_mentions=True, strict_names="score")


class Gate(Prototype):
    settings = Settings(gate=True)


class GateStrict(Prototype):
    """The gate, where a one-word name the vault does not use as a name is no mention; the score keeps
    every phrase mention."""

    settings = Settings(phrase_mentions=True, strict_names="gate", gate=True)


class Magnets(Prototype):
    settings = Settings(magnets=True)


class Relative(Prototype):
    settings = Settings(relative=0.5, no_df_ratio=True)


class Readable(Prototype):
    settings = Settings(readable=True)


class Together(Prototype):
    settings = Settings(
        evidence=True,
        phrase_mentions=True,
        strict_names="score",
        gate=True,
        magnets=True,
        relative=0.5,
        no_df_ratio=True,
        readable=True,
    )


class TogetherNoWords(Prototype):
    """Together, where shared words alone are never evidence enough to list a note."""

    settings = dataclasses.replace(Together.settings, gate_words=0)


class TogetherWords3(Prototype):
    """Together, where shared words list a note only when there are three of them."""

    settings = dataclasses.replace(Together.settings, gate_words=3)
