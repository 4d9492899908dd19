"""What ranking reads of one note: its features (words, phrases, tags) and names as matrix
columns, from a ``Vocabulary`` shared by every note of an index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from vaultlink.core.note import Note, TermKind, path_stem
from vaultlink.core.terms import name_keys, plural_fold, stem

ROW_BATCH = 2_048
"""Notes whose rows are made (or whose pairs are looked up) at a time when not all are kept."""


@dataclass
class Vocabulary:
    """Feature keys by column id; kept by the watcher across rebuilds, so unchanged notes keep
    their rows. A feature key is a word's Snowball stem, a phrase's key or ``#`` and a tag."""

    ids: dict[str, int] = field(default_factory=dict)
    folds: dict[str, int] = field(default_factory=dict)
    """Ids of the plural-folded words mentions are found on (``terms.plural_fold``), apart from
    the stems: the columns of the mention check."""
    forms: dict[str, int] = field(default_factory=dict)
    """Each surface form's (``Note.words``) feature id and fold id in one integer (``word | fold
    << 32``), so a note's row needs no stemming or folding, and one lookup a word."""

    def id_of(self, key: str) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids)
        return found

    def fold_id(self, fold: str) -> int:
        found = self.folds.get(fold)
        if found is None:
            found = self.folds[fold] = len(self.folds)
        return found

    def ids_of_forms(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The feature ids and the fold ids of ``words``, parallel to them."""
        get = self.forms.get
        found = [get(w, -1) for w in words]
        if -1 in found:
            for k, word in enumerate(words):
                if found[k] == -1:
                    found[k] = self.forms[word] = self.id_of(stem(word)) | self.fold_id(plural_fold(word)) << 32
        both = np.array(found, dtype=np.int64)
        return both & 0xFFFFFFFF, both >> 32


@dataclass(frozen=True)
class NoteRow:
    """What ranking reads of one note, with feature ids (matrix columns) from a ``Vocabulary``."""

    words: np.ndarray  # feature ids, ascending
    tf: np.ndarray  # 1 + log(count), parallel to ``words``
    folds: np.ndarray  # the note's folded words' ids (``Vocabulary.folds``), ascending
    names: tuple[np.ndarray, ...]  # each name's content words as fold ids, ascending (empty names left out)
    name_pairs: tuple[np.ndarray, ...]  # each name's pair codes (``terms.pair_codes``), ascending
    name_words: np.ndarray  # every word of every name as feature ids, ascending, once

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
    phrase says more than its words apart)."""
    word_ids, word_folds = vocabulary.ids_of_forms(note.words)
    ids: list[int] = []
    counts = list(note.word_counts)
    for key, kind, count in note.terms.counted_keys():  # no label needed: no term decoded
        if kind is TermKind.TAG:
            ids.append(vocabulary.id_of("#" + key))
            counts.append(count)
        elif " " in key:
            ids.append(vocabulary.id_of(key))
            counts.append(count)
    all_ids = np.concatenate([word_ids, np.array(ids, dtype=np.int64)])
    order = np.argsort(all_ids, kind="stable")
    words = all_ids[order]
    tf = 1.0 + np.log(np.array(counts, dtype=np.float64)[order])
    # The note's folded words: its words folded, and its other forms (before the names: their
    # words are among the note's own).
    folds = np.unique(np.concatenate([word_folds, np.array([vocabulary.fold_id(f) for f in note.forms], np.int64)]))
    names: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
    name_words: set[int] = set()
    for name in {path_stem(note.path), note.title, *note.aliases}:
        stems, folded, pairs = name_keys(name)
        if stems and all(s in vocabulary.ids for s in stems):
            name_words.update(vocabulary.ids[s] for s in stems)
        if folded and all(f in vocabulary.folds for f in folded):
            names.add((tuple(sorted({vocabulary.folds[f] for f in folded})), tuple(sorted(set(pairs)))))
    ordered = sorted(names)
    return NoteRow(
        words,
        tf,
        folds,
        tuple(np.array(name, dtype=np.int64) for name, _ in ordered),
        tuple(np.array(pairs, dtype=np.uint32) for _, pairs in ordered),
        np.array(sorted(name_words), dtype=np.int64),
    )
