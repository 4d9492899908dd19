"""What ranking reads of one note: its features (words, phrases, tags) and names as matrix
columns, from a ``Vocabulary`` shared by every note of an index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from vaultlink.core.note import Link, Note, TermKind, link_name
from vaultlink.core.rank.sparse import Matrix
from vaultlink.core.terms import name_keys, singular, stem, word_form

ROW_BATCH = 2_048
"""Notes whose rows are made (or whose pairs are looked up) at a time when not all are kept."""
WORD, PHRASE, TAG = 0, 1, 2
"""The kinds of feature (``Vocabulary.kinds``): a word's stem, a phrase's key, ``#`` and a tag."""


@dataclass
class Vocabulary:
    """Feature keys by column id; kept by the watcher across rebuilds, so unchanged notes keep
    their rows. A feature key is a word's Snowball stem, a phrase's key or ``#`` and a tag."""

    ids: dict[str, int] = field(default_factory=dict)
    singulars: dict[str, int] = field(default_factory=dict)
    """Ids of the words made singular that mentions are found on (``terms.singular``), apart from
    the stems: the columns of the mention check."""
    forms: dict[str, int] = field(default_factory=dict)
    """Each surface form's (``Note.words``) feature id and singular id in one integer (``word | singular
    << 32``), so a note's row needs no stemming or making singular, and one lookup a word."""
    forms_in: dict[str, dict[str, int]] = field(default_factory=dict)
    """``forms`` of the notes in each other language (a form's stem depends on it: ``Note.language``)."""

    _kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8), repr=False)

    def kinds(self) -> np.ndarray:
        """Each feature id's kind: ``WORD``, ``PHRASE`` or ``TAG`` (kept, and grown as the vocabulary grows:
        the watcher's rebuilds share it)."""
        known = len(self._kinds)
        if known < len(self.ids):
            keys = list(self.ids)[known:]
            more = [TAG if k.startswith("#") else PHRASE if " " in k else WORD for k in keys]
            self._kinds = np.concatenate([self._kinds, np.array(more, dtype=np.int8)])
        return self._kinds

    _phrase_words: tuple[int, Matrix] = field(default_factory=lambda: (0, sp.csr_matrix((0, 0))), repr=False)

    def phrase_words(self) -> Matrix:
        """Features × features: 1 from a phrase (or a tag of several words) to each of its words that is a
        feature (rebuilt when the vocabulary has grown): the words a shared phrase already shows."""
        known, matrix = self._phrase_words
        if known != len(self.ids):
            rows: list[int] = []
            cols: list[int] = []
            for key, at in self.ids.items():
                if " " in key:
                    for word in key.lstrip("#").replace("/", " ").split():
                        column = self.ids.get(word)
                        if column is not None:
                            rows.append(at)
                            cols.append(column)
            size = len(self.ids)
            matrix = sp.csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
            self._phrase_words = (size, matrix)
        return matrix

    def id_of(self, key: str) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids)
        return found

    def singular_id(self, singular: str) -> int:
        found = self.singulars.get(singular)
        if found is None:
            found = self.singulars[singular] = len(self.singulars)
        return found

    def ids_of_forms(self, words: Sequence[str], language: str = "en") -> tuple[np.ndarray, np.ndarray]:
        """The feature ids and the singular ids of ``words`` (of a note in ``language``), parallel to them."""
        forms = self.forms if language == "en" else self.forms_in.setdefault(language, {})
        get = forms.get
        found = [get(w, -1) for w in words]
        if -1 in found:
            for k, word in enumerate(words):
                if found[k] == -1:
                    form = word if language == "en" else word_form(word)  # a German noun keeps its capital
                    ids = self.id_of(stem(form, language)) | self.singular_id(singular(form)) << 32
                    found[k] = forms[word] = ids
        both = np.array(found, dtype=np.int64)
        return both & 0xFFFFFFFF, both >> 32


@dataclass(frozen=True)
class NoteRow:
    """What ranking reads of one note, with feature ids (matrix columns) from a ``Vocabulary``."""

    words: np.ndarray  # feature ids, ascending
    tf: np.ndarray  # 1 + log(count), parallel to ``words``
    singulars: np.ndarray  # the note's singular words' ids (``Vocabulary.singulars``), ascending
    names: tuple[np.ndarray, ...]  # each name's content words as singular ids, ascending (empty names left out)
    name_pairs: tuple[np.ndarray, ...]  # each name's pair codes (``terms.pair_codes``), ascending
    name_words: np.ndarray  # every word of every name as feature ids, ascending, once
    link_words: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """The words of the text of the note's links (their display text, else their target's name) as
    feature ids, ascending, once: two notes both writing [[person]] share a link, not a word."""

    def same_names(self, other: NoteRow) -> bool:
        """Are the two rows' names the same (so other notes' mentions of the note stay)?"""
        return (
            len(self.names) == len(other.names)
            and all(np.array_equal(a, b) for a, b in zip(self.names, other.names, strict=True))
            and all(np.array_equal(a, b) for a, b in zip(self.name_pairs, other.name_pairs, strict=True))
            and np.array_equal(self.name_words, other.name_words)
        )


def note_row(note: Note, vocabulary: Vocabulary) -> NoteRow:
    """The note's words, plus its multi-word terms and tags as features of their own (a shared
    phrase says more than its words apart); a tag of several words is the phrase too."""
    word_ids, word_singulars = vocabulary.ids_of_forms(note.words, note.language)
    extra: dict[int, int] = {}
    for key, kind, count in note.terms.counted_keys():  # no label needed: no term decoded
        if kind is TermKind.TAG:
            extra[vocabulary.id_of("#" + key)] = count
        if " " in key and "/" not in key:  # a phrase, or a tag of several words: #research-taste
            phrase = vocabulary.id_of(key)  # meets "research taste" written out in another note
            extra[phrase] = max(extra.get(phrase, 0), count)
    ids = list(extra)
    counts = [*note.word_counts, *extra.values()]
    all_ids = np.concatenate([word_ids, np.array(ids, dtype=np.int64)])
    order = np.argsort(all_ids, kind="stable")
    words = all_ids[order]
    tf = 1.0 + np.log(np.array(counts, dtype=np.float64)[order])
    # The note's singular words: its words made singular, and its other forms (before the names:
    # their words are among the note's own).
    forms = np.array([vocabulary.singular_id(f) for f in note.forms], np.int64)
    singulars = np.unique(np.concatenate([word_singulars, forms]))
    names: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    name_words: set[int] = set()
    for name in {link_name(note.path), note.title, *note.aliases}:
        stems, name_singulars, pairs = name_keys(name, note.language)
        if stems and all(s in vocabulary.ids for s in stems):
            name_words.update(vocabulary.ids[s] for s in stems)
        if name_singulars and all(f in vocabulary.singulars for f in name_singulars):
            names.add((tuple(sorted({vocabulary.singulars[f] for f in name_singulars})), tuple(sorted(set(pairs)))))
    ordered = sorted(names)
    return NoteRow(
        words,
        tf,
        singulars,
        tuple(np.array(name, dtype=np.int64) for name, _ in ordered),
        tuple(np.array(pairs, dtype=np.uint32) for _, pairs in ordered),
        np.array(sorted(name_words), dtype=np.int64),
        _link_words(note.links, vocabulary, note.language),
    )


def _link_words(links: Sequence[Link], vocabulary: Vocabulary, language: str) -> np.ndarray:
    """``NoteRow.link_words``: only words the vocabulary has (the note's own are in it already)."""
    ids = vocabulary.ids
    texts = (link.display or link_name(link.target) for link in links)
    found = {ids[s] for text in texts for s in _stems(text, language) if s in ids}
    return np.array(sorted(found), dtype=np.int64)


@lru_cache(maxsize=100_000)
def _stems(text: str, language: str) -> tuple[str, ...]:
    """A link text's content words' stems (link texts repeat: [[person]], [[twitter]], dates)."""
    return name_keys(text, language).stems
