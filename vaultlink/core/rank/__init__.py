"""Ranking: ``RankIndex(notes, links, config).related(path)`` -> the notes most related to one note, with reasons.

Ranking v2.1. The score of two notes a and b is the sum of four symmetric parts:

- **text**: cosine of their TF-IDF word vectors (sublinear tf, stemmed content words, words
  carried by too many notes dropped);
- **names**: the words of each note's names (file name, title, aliases) found in the other
  note's text, weighted the same way: how people refer to a note;
- **mentions**: a note that states every content word of the other's name mentions it
  (Obsidian's "unlinked mentions"), weighted down for names many notes mention and for notes
  that mention many names. Words are compared here as written, made singular, not stemmed
  ("colour" does not mention ``Colourfulness``), and the words of a longer name must follow
  each other ("sourdough starter" mentions ``Sourdough Starter``, "a starter for sourdough"
  does not);
- **links**: Adamic-Adar over the explicit links: shared neighbours, each counting less the
  more notes it links with.

The weights were chosen on the link-prediction benchmark (``benchmarks/related_quality.py``,
``docs/related_quality.md``). Everything is a sparse matrix (scipy), and rows are scored in
chunks whose products are bounded, so ranking every note of a large vault never builds a dense
n×n matrix. One row is computed by the same arithmetic whether it is ranked alone or in a
chunk, so ``related`` and ``related_all`` agree bit for bit; scores are rounded to 6 decimals
before ordering, and ties are broken by path.

The package, one job a module:

- ``features``: a note's row (its feature ids, tf, singular words, names) from a shared ``Vocabulary``;
- ``mentions``: which notes state another's name, and how a mention weighs;
- ``links``: the link graph's nodes and Adamic-Adar weights;
- ``matrices``: ``ScoreMatrices``, built from the rows; ``ScoreMatrices.right`` writes the score;
- ``pairs``: what two notes share, and whether it is evidence enough to list one beside the other;
- ``reasons``: the reason line of each suggestion;
- ``index``: ``RankIndex``, which ranks one note or all of them in bounded chunks;
- ``patch``: a ``RankIndex`` with a few saved notes' rows replaced (the watcher's, after a save);
- ``sparse``: CSR helpers that spare scipy's copies.
"""

from vaultlink.core.note import Suggestion
from vaultlink.core.rank.features import NoteRow, Vocabulary, note_row
from vaultlink.core.rank.index import RELATIVE, RankIndex
from vaultlink.core.rank.matrices import (
    LINK_WEIGHT,
    MENTION_WEIGHT,
    NAME_WEIGHT,
    TEXT_WEIGHT,
    WORD_MAX_DF,
    ScoreMatrices,
)
from vaultlink.core.rank.mentions import unpacked_pairs
from vaultlink.core.rank.pairs import SPECIFIC, PairEvidence
from vaultlink.core.rank.patch import PatchedIndex, patched, prepare
from vaultlink.core.rank.reasons import MAX_REASONS, ROUND
from vaultlink.core.reason_words import BOTH_LINK, BOTH_TAGGED, NAMED_HERE, NAMES_THIS_NOTE

__all__ = [
    "BOTH_LINK",
    "BOTH_TAGGED",
    "LINK_WEIGHT",
    "MAX_REASONS",
    "MENTION_WEIGHT",
    "NAMED_HERE",
    "NAMES_THIS_NOTE",
    "NAME_WEIGHT",
    "RELATIVE",
    "ROUND",
    "SPECIFIC",
    "TEXT_WEIGHT",
    "WORD_MAX_DF",
    "NoteRow",
    "PairEvidence",
    "PatchedIndex",
    "RankIndex",
    "ScoreMatrices",
    "Suggestion",
    "Vocabulary",
    "note_row",
    "patched",
    "prepare",
    "unpacked_pairs",
]
