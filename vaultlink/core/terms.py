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
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

from vaultlink.core.note import Term, TermKind

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


def _content_runs(text: str) -> Iterable[list[str]]:
    """Runs of content words, broken at punctuation, stopwords and numbers."""
    for clause in _CLAUSE_BREAK.split(text):
        run: list[str] = []
        for token in _TOKEN.findall(clause):
            word = _POSSESSIVE.sub("", token)
            if word[0].isdigit() or word.casefold() in STOPWORDS or len(word) < _MIN_WORD_LEN:
                if run:
                    yield run
                run = []
            else:
                run.append(word)
        if run:
            yield run


class WordBag(NamedTuple):
    """A note's content words: one casefolded surface form per stem (``stem`` of it gives the
    stem back), sorted, with how often the note uses the stem. What ranking reads as its text."""

    words: tuple[str, ...]
    counts: tuple[int, ...]


def phrase_candidates(texts: Iterable[str]) -> list[Term]:
    """Every 2–3-word content phrase in ``texts``, counted, labelled with its first surface form."""
    return analyse_prose(texts)[0]


def analyse_prose(texts: Iterable[str], names: Iterable[str] = ()) -> tuple[list[Term], WordBag]:
    """The phrase candidates of ``texts`` and the word bag of ``texts`` and ``names``, in one pass.

    Each word is stemmed once per run (stems are cached), since this loop is the bulk of
    parsing time.
    """
    counts: Counter[str] = Counter()
    entity_votes: Counter[str] = Counter()
    surfaces: dict[str, str] = {}
    word_counts: Counter[str] = Counter()
    word_forms: dict[str, str] = {}

    def count_words(run: list[str]) -> list[str]:
        """Count a run's words into the bag; their stems."""
        forms = [word_form(w) for w in run]
        stems = [stem(w) for w in forms]
        word_counts.update(stems)
        for key, form in zip(stems, forms, strict=True):
            word_forms.setdefault(key, form)
        return stems

    for text in texts:
        for run in _content_runs(text):
            stems = count_words(run)
            capital = [w[0].isupper() for w in run]
            upper = [w.isupper() for w in run]
            for size in range(2, _MAX_WORDS + 1):
                for i in range(len(run) - size + 1):
                    key = " ".join(stems[i : i + size])
                    counts[key] += 1
                    if all(capital[i : i + size]) and not all(upper[i : i + size]):
                        entity_votes[key] += 1
                    if key not in surfaces:
                        surfaces[key] = " ".join(run[i : i + size])
    terms = []
    for key, count in counts.items():
        entity = entity_votes[key] * 2 > count
        label = surfaces[key] if entity else surfaces[key].casefold()
        terms.append(Term(key, label, TermKind.ENTITY if entity else TermKind.PHRASE, count))
    for run in _content_runs("\n".join(names)):
        count_words(run)
    ordered = sorted(word_counts)
    # Interned: a vault holds each common word in thousands of notes, one string object is enough.
    words = tuple(sys.intern(word_forms[k]) for k in ordered)
    return terms, WordBag(words, tuple(word_counts[k] for k in ordered))


def name_stems(name: str) -> tuple[str, ...]:
    """The stems of a note name's content words, as ``analyse_prose`` counts them: a name is
    mentioned by a note whose word bag holds all of them."""
    return tuple(stem(word_form(w)) for run in _content_runs(name) for w in run)


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


def select_terms(phrases: list[Term], tags: list[Term], names: list[Term], limit: int) -> tuple[Term, ...]:
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
    return tuple(interned_terms(sorted(chosen.values(), key=lambda t: t.key)))


def interned_terms(terms: Iterable[Term]) -> list[Term]:
    """The terms with their key and label interned: a phrase many notes state is one string."""
    return [Term(sys.intern(t.key), sys.intern(t.label), t.kind, t.count) for t in terms]
