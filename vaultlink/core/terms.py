"""Concept extraction: the key phrases, named entities, tags and aliases a note states.

A note's candidates are two- and three-word runs of content words inside one clause
(RAKE-style: stopwords and punctuation break a run), so "research taste" and "value
function" are candidates while "of the" never is. Words are stemmed (Snowball) so
"value functions" and "value function" are one concept. A run whose words are all
Capitalised is a named entity ("Ilya Sutskever").

Which candidates become concepts is decided over the whole vault (``graph.py``): a term
stated by only one note, or by nearly all of them, relates nothing.
"""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import groupby, pairwise
from operator import not_
from typing import NamedTuple

import snowballstemmer

from vaultlink.core.note import PackedTerms, Term, TermKind

STOPWORDS = frozenset(
    """
    a about above after again against all almost also although always am among an and another any
    anyone anything are aren't around as at be became because become been before being below between
    both but by can can't cannot could couldn't did didn't do does doesn't doing don't done down
    during each either else enough etc even ever every few first for from further get gets getting
    go goes going got had hadn't has hasn't have haven't having he he'd he'll he's her here here's
    hers herself him himself his how how's however i i'd i'll i'm i've if in into is isn't it it's
    its itself just let's like made make makes many may maybe me might more most much must mustn't
    my myself need needs never new no nor not now of off often on once one only or other others
    ought our ours ourselves out over own per perhaps put quite rather really same say says see seem
    seems several shall shan't she she'd she'll she's should shouldn't since so some something still
    such take than that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've thing things this those though through thus to too two under until up
    upon us use used using very via was wasn't way we we'd we'll we're we've well were weren't what
    what's when when's where where's whether which while who who's whom whose why why's will with
    within without won't would wouldn't yet you you'd you'll you're you've your yours yourself
    yourselves
    """.split()
)

_CLAUSE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”‘’«»…—–|/\\<>=+*#~`^]+|\s-\s|\n")
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
_TOKEN = re.compile(r"\d[\w.,]*|" + _WORD.pattern)
_POSSESSIVE = re.compile(r"['’]s$")
_MAX_WORDS = 3
_MIN_WORD_LEN = 2


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one casefolded word."""
    return str(_stemmer().stemWord(word))


def word_form(word: str) -> str:
    """A word as it is stemmed and kept: casefolded, typographic apostrophe made plain."""
    return word.casefold().replace("’", "'")


def phrase_key(words: Iterable[str]) -> str:
    """The identity of a phrase: casefolded, stemmed words joined by single spaces."""
    return " ".join(stem(word_form(w)) for w in words)


@lru_cache(maxsize=200_000)
def singular(form: str) -> str:
    """A casefolded word with a plural ending taken off: "metrics" → "metric", "categories" →
    "category", "classes" → "class" ("class", "status" and "analysis" stay as they are).

    How a note's name is found in another note's words (an unlinked mention). Plurals only:
    the stemmer also folds derived words into their root ("colourfulness" and "lightness" into
    "colour" and "light"), so that every note saying "colour" would mention ``Colourfulness``.
    """
    if len(form) <= 3 or not form.endswith("s") or form.endswith(("ss", "us", "is")):
        return form
    if form.endswith("ies") and len(form) > 4:
        return form[:-3] + "y"
    if form.endswith(("sses", "xes", "ches", "shes", "zes")):
        return form[:-2]
    return form[:-1]


class _Word(NamedTuple):
    """One content word as prose analysis needs it (computed once per distinct token)."""

    text: str  # as written, possessive 's removed
    form: str  # ``word_form`` of it
    stem: str
    capital: bool
    upper: bool
    singular: str  # ``singular`` of ``form``
    code: int  # a 32-bit hash of ``singular``: what ``pair_codes`` combines


# Clause breaks and tokens in one scan. No token character is a break character (within a
# clause "3.5" is "3" and "5", "don’t" is "don" and "t"), so this finds exactly the tokens of
# ``_TOKEN`` in each clause ``_CLAUSE_BREAK`` splits off, with the breaks between them.
_SCAN = re.compile(rf"({_CLAUSE_BREAK.pattern})|(\d\w*|[^\W\d_][\w'-]*[^\W_]|[^\W\d_])")


@lru_cache(maxsize=262_144)
def _content_word(token: str) -> _Word | None:
    """The token as a content word, or None if it breaks a run (a number, stopword, 1 letter)."""
    word = _POSSESSIVE.sub("", token)
    if word[0].isdigit() or word.casefold() in STOPWORDS or len(word) < _MIN_WORD_LEN:
        return None
    form = word_form(word)
    one = singular(form)
    return _Word(word, form, stem(form), word[0].isupper(), word.isupper(), one, zlib.crc32(one.encode()))


def _content_runs(text: str) -> list[list[_Word]]:
    """Runs of content words, broken at punctuation, stopwords and numbers."""
    words = [_content_word(token) if token else None for _brk, token in _SCAN.findall(text)]
    return [list(filter(None, run)) for breaks, run in groupby(words, not_) if not breaks]


class WordBag(NamedTuple):
    """A note's content words: one casefolded surface form per stem (``stem`` of it gives the
    stem back), sorted, with how often the note uses the stem. What ranking reads as its text.

    ``forms`` are the note's other words as mentions are found on them (``singular``), sorted:
    those that are not the singular of one of ``words`` ("colourfulness" beside "colour"). ``pairs``
    says which words follow each other (``pair_codes``), so that a name of several words is
    mentioned only where they are written together."""

    words: tuple[str, ...]
    counts: tuple[int, ...]
    forms: tuple[str, ...] = ()
    pairs: bytes = b""


def phrase_candidates(texts: Iterable[str]) -> list[Term]:
    """Every 2–3-word content phrase in ``texts``, counted, labelled with its first surface form."""
    return analyse_prose(texts)[0]


def analyse_prose(texts: Iterable[str], names: Iterable[str] = ()) -> tuple[list[Term], WordBag]:
    """The phrase candidates of ``texts`` and the word bag of ``texts`` and ``names``, in one pass.

    Each word is stemmed once per run (stems are cached), since this loop is the bulk of
    parsing time.
    """
    entity_votes: Counter[str] = Counter()
    seen: list[_Word] = []  # every content word, in order
    phrases: list[str] = []  # every 2–3-word phrase key, in order (by run: its pairs, then its triples)
    firsts: list[tuple[str, str]] = []  # (key, surface) of each of ``phrases``
    pairs: set[int] = set()
    for text in texts:
        start = len(seen)
        for run in _content_runs(text):
            seen += run
            if len(run) < 2:
                continue
            stems, written = [w.stem for w in run], [w.text for w in run]
            keys2, surfaces2 = _joined(stems, stems[1:]), _joined(written, written[1:])
            keys3, surfaces3 = _joined(keys2, stems[2:]), _joined(surfaces2, written[2:])
            phrases += keys2
            phrases += keys3
            firsts += zip(keys2, surfaces2, strict=True)
            firsts += zip(keys3, surfaces3, strict=True)
            if sum(w.capital for w in run) > 1:
                entity_votes.update(_entity_keys(run, keys2, keys3))
        pairs.update(pair_codes(seen[start:]))
    counts = Counter(phrases)  # keys in first-seen order: the order equal-ranked terms keep
    surfaces = dict(reversed(firsts))  # each key's first surface form
    terms = []
    for key, count in counts.items():
        entity = entity_votes[key] * 2 > count
        label = surfaces[key] if entity else surfaces[key].casefold()
        terms.append(Term(key, label, TermKind.ENTITY if entity else TermKind.PHRASE, count))
    # The names sorted: a note's names come as a set, whose order changes with every process
    # (str hashes are salted), and a word only a name states takes the form it is seen in first.
    for run in _content_runs("\n".join(sorted(set(names)))):
        seen += run
    word_counts = Counter(w.stem for w in seen)
    word_forms = dict(reversed([(w.stem, w.form) for w in seen]))  # each stem's first form
    ordered = sorted(word_counts)
    # Interned: a vault holds each common word in thousands of notes, one string object is enough.
    words = tuple(sys.intern(word_forms[k]) for k in ordered)
    other_forms = {w.singular for w in seen}.difference(map(singular, words))
    forms = tuple(sys.intern(f) for f in sorted(other_forms))
    return terms, WordBag(words, tuple(word_counts[k] for k in ordered), forms, packed_pairs(pairs))


_PAIR_FACTOR = 0x9E3779B1  # odd: a word's code times it stays a bijection on 32 bits


def pair_codes(words: Sequence[_Word]) -> list[int]:
    """A 32-bit code for each two content words that follow each other in ``words`` (their singulars,
    stopwords, numbers and punctuation between them skipped: "cradles of civilization" pairs
    "cradle" with "civilization"). A rare collision of two codes only makes a mention looser."""
    return [(a.code * _PAIR_FACTOR + b.code) & 0xFFFFFFFF for a, b in pairwise(words)]


def packed_pairs(codes: Iterable[int]) -> bytes:
    """Pair codes as a note keeps them: distinct, ascending, 4 bytes each, little-endian (numpy's
    ``<u4``). With ``array``, not numpy: parsing never needs numpy, and a warm sync never loads it."""
    packed = array("I", sorted(set(codes)))
    if packed.itemsize != 4:  # "I" is 4 bytes on every platform Python supports; say so if not
        raise RuntimeError(f"unsigned int is {packed.itemsize} bytes here")
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _joined(left: list[str], right: list[str]) -> list[str]:
    """Each of ``left`` followed by the word of ``right`` at its place (``right`` may be shorter)."""
    return [f"{a} {b}" for a, b in zip(left, right, strict=False)]


def _entity_keys(run: list[_Word], keys2: list[str], keys3: list[str]) -> Iterable[str]:
    """The run's phrases written as a name: every word Capitalised, not all of them CAPITALS."""
    for size, keys in ((2, keys2), (3, keys3)):
        for i, key in enumerate(keys):
            window = run[i : i + size]
            if all(w.capital for w in window) and not all(w.upper for w in window):
                yield key


class NameKeys(NamedTuple):
    """A note name's content words as ranking reads them (``analyse_prose`` counts them alike)."""

    stems: tuple[str, ...]
    singulars: tuple[str, ...]
    """Their singulars (``singular``): a name is mentioned by a note whose words (a
    ``WordBag``'s words made singular, and its forms) hold all of them, ..."""
    pairs: tuple[int, ...]
    """... and whose pairs hold all of the codes of their pairs (``pair_codes``)."""


def name_keys(name: str) -> NameKeys:
    words = [w for run in _content_runs(name) for w in run]
    return NameKeys(tuple(w.stem for w in words), tuple(w.singular for w in words), tuple(pair_codes(words)))


def tag_key(tag: str) -> str:
    """A tag's identity: each level's words stemmed, so ``#Research-Taste`` meets "research taste"."""
    levels = tag.lstrip("#").split("/")
    return "/".join(phrase_key(re.split(r"[\s_-]+", level.strip())) for level in levels if level.strip())


def tag_terms(tags: Iterable[str]) -> list[Term]:
    """Tag concepts, one per tag and one per parent of a nested tag (``a/b`` also gives ``a``)."""
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for tag in tags:
        key = tag_key(tag)
        parts = key.split("/")
        label_parts = tag.lstrip("#").split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            counts[sub] += 1
            labels.setdefault(sub, "/".join(label_parts[:depth]))
    return [Term(key, labels[key], TermKind.TAG, n) for key, n in counts.items() if key]


def name_terms(names: Iterable[str]) -> list[Term]:
    """A note's aliases (and multi-word title) as concepts, so other notes that mention
    them in prose share a concept with it."""
    terms: dict[str, Term] = {}
    for name in names:
        words = _WORD.findall(name)
        if not 2 <= len(words) <= _MAX_WORDS:
            continue
        key = phrase_key(words)
        terms.setdefault(key, Term(key, name.strip(), TermKind.ALIAS, 1))
    return list(terms.values())


def _rank(term: Term) -> tuple[int, int, int, int]:
    kind_order = {TermKind.TAG: 3, TermKind.ALIAS: 3, TermKind.ENTITY: 2, TermKind.PHRASE: 1}
    return (term.count, kind_order[term.kind], len(term.key), -len(term.key.split()))


def select_terms(phrases: list[Term], tags: list[Term], names: list[Term], limit: int) -> PackedTerms:
    """All tag and name terms, plus the ``limit`` strongest phrases (most repeated first,
    entities before plain phrases). Bounding phrases per note keeps memory linear."""
    chosen: dict[str, Term] = {t.key: t for t in tags}
    for term in names:
        chosen.setdefault(term.key, term)
    for term in sorted(phrases, key=_rank, reverse=True)[:limit]:
        if term.key in chosen:
            old = chosen[term.key]
            chosen[term.key] = Term(old.key, old.label, old.kind, old.count + term.count)
        else:
            chosen[term.key] = term
    return PackedTerms.of(sorted(chosen.values(), key=lambda t: t.key))
