"""Concept extraction: the key phrases, named entities, tags and aliases a note states.

A note's candidates are two- and three-word runs of content words inside one clause
(RAKE-style: stopwords and punctuation break a run), so "research taste" and "value
function" are candidates while "of the" never is. Words are stemmed (Snowball) so
"value functions" and "value function" are one concept. A run whose words are all
Capitalised is a named entity ("Ilya Sutskever").

Which candidates become concepts is decided over the whole vault (``graph.py``): a term
stated by only one note, or by nearly all of them, relates nothing.

Each note is read in its language (``language.py``): its stopwords and Snowball stemmer, no named
entities where every noun is Capitalised (German); Chinese and Japanese runs are cut into words by
``segment.py``, and CJK punctuation breaks clauses. English text goes exactly the way it always
went (``STOPWORDS``, the English stemmer), so an English vault's output does not move.
"""

from __future__ import annotations

import re
import sys
import zlib
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache, partial
from itertools import groupby, pairwise
from operator import not_
from typing import NamedTuple

from vaultlink.core import language as lang
from vaultlink.core.note import PackedTerms, Term, TermKind
from vaultlink.core.segment import CJK_RUN, Piece, grams, pieces

STOPWORDS = lang.ENGLISH_STOPWORDS

_CJK_BREAKS = "。，、！？；：「」『』（）【】《》〈〉〔〕・～"
_CLAUSE_BREAK = re.compile(rf"[.,;:!?()\[\]{{}}\"“”‘’«»…—–|/\\<>=+*#~`^{_CJK_BREAKS}]+|\s-\s|\n")
_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
_TOKEN = re.compile(r"\d[\w.,]*|" + _WORD.pattern)
_POSSESSIVE = re.compile(r"['’]s$")
_MAX_WORDS = 3
_MIN_WORD_LEN = 2


@lru_cache(maxsize=200_000)
def stem(word: str, language: str = lang.DEFAULT) -> str:
    """The stem of one casefolded word of a note in ``language``: by the Snowball stemmer of the
    language its script is read in (``language.script_language``); a CJK word is its own stem."""
    if language == lang.DEFAULT and word.isascii():
        return str(_english.stemWord(word))
    if CJK_RUN.match(word):
        return word
    stemmer = lang.stemmer(lang.script_language(language, word))
    return str(stemmer.stemWord(word)) if stemmer else word


_english = lang.stemmer(lang.DEFAULT)


def word_form(word: str) -> str:
    """A word as it is stemmed and kept: casefolded, typographic apostrophe made plain."""
    return word.casefold().replace("’", "'")


def phrase_key(words: Iterable[str], language: str = lang.DEFAULT) -> str:
    """The identity of a phrase: casefolded, stemmed words joined by single spaces."""
    return " ".join(stem(word_form(w), language) for w in words)


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
def _english_word(token: str) -> _Word | None:
    """``_content_word`` in English: a cache keyed by the token alone (one argument is its fast path,
    and this runs for every token of every English note)."""
    return _content_word(token, lang.DEFAULT)


@lru_cache(maxsize=64)
def _word_reader(language: str) -> Callable[[str], _Word | None]:
    """``_content_word`` of a token in ``language``, cached."""
    if language == lang.DEFAULT:
        return _english_word
    return lru_cache(maxsize=65_536)(partial(_content_word, language=language))


def _content_word(token: str, language: str) -> _Word | None:
    """The token as a content word, or None if it breaks a run (a number, stopword, 1 letter)."""
    word = _POSSESSIVE.sub("", token)
    if word[0].isdigit() or len(word) < _MIN_WORD_LEN or word.casefold() in _stopwords(language, word):
        return None
    form = word_form(word)
    one = singular(form)
    capital = word[0].isupper() and language not in lang.CAPITALISED_NOUNS
    return _Word(word, form, stem(form, language), capital, word.isupper(), one, zlib.crc32(one.encode()))


def _stopwords(language: str, word: str) -> frozenset[str]:
    if language == lang.DEFAULT:
        return STOPWORDS
    read_as = lang.script_language(language, word)
    return STOPWORDS if read_as == lang.DEFAULT else lang.stopwords(read_as)


@lru_cache(maxsize=65_536)
def _cjk_word(text: str, form: str) -> _Word:
    return _Word(text, form, form, False, False, form, zlib.crc32(form.encode()))


def _content_runs(text: str, language: str = lang.DEFAULT, cjk: bool | None = None) -> list[list[_Word]]:
    """Runs of content words, broken at punctuation, stopwords and numbers (``cjk``: does the text
    hold a CJK run, when the caller knows)."""
    read = _word_reader(language)
    if not (CJK_RUN.search(text) if cjk is None else cjk):
        words = [read(token) if token else None for _brk, token in _SCAN.findall(text)]
    else:  # CJK runs (odd parts) cut into words; the text between them as any other
        words = []
        for k, part in enumerate(CJK_RUN.split(text)):
            if k % 2:
                words += [_cjk_word(p.text, p.form) if p.content else None for p in pieces(part, language)]
            else:
                words += [read(token) if token else None for _brk, token in _SCAN.findall(part)]
    return [list(filter(None, run)) for breaks, run in groupby(words, not_) if not breaks]


class WordBag(NamedTuple):
    """A note's content words: one casefolded surface form per stem (German's as written), sorted by
    stem, with how often the note uses the stem. What ranking reads as its text.

    ``forms`` are the note's other words as mentions are found on them (``singular``), sorted:
    those that are not the singular of one of ``words`` ("colourfulness" beside "colour"). ``pairs``
    says which words follow each other (``pair_codes``), so that a name of several words is
    mentioned only where they are written together."""

    words: tuple[str, ...]
    counts: tuple[int, ...]
    forms: tuple[str, ...] = ()
    pairs: bytes = b""


def phrase_candidates(texts: Iterable[str], language: str = lang.DEFAULT) -> list[Term]:
    """Every 2–3-word content phrase in ``texts``, counted, labelled with its first surface form."""
    return analyse_prose(texts, (), language)[0]


def analyse_prose(
    texts: Iterable[str], names: Iterable[str] = (), language: str = lang.DEFAULT
) -> tuple[list[Term], WordBag]:
    """The phrase candidates of ``texts`` and the word bag of ``texts`` and ``names``, in one pass,
    read as ``language``.

    Each word is stemmed once per run (stems are cached), since this loop is the bulk of
    parsing time.
    """
    entity_votes: Counter[str] = Counter()
    seen: list[_Word] = []  # every content word, in order
    phrases: list[str] = []  # every 2–3-word phrase key, in order (by run: its pairs, then its triples)
    firsts: list[tuple[str, str]] = []  # (key, surface) of each of ``phrases``
    pairs: set[int] = set()
    grammed: set[str] = set()  # the CJK character pairs mentions are found on (``mention_grams``)
    for text in texts:
        start = len(seen)
        cjk = CJK_RUN.search(text) is not None
        if cjk:
            pairs.update(mention_grams(text, grammed, language))
        for run in _content_runs(text, language, cjk):
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
        pairs.update(pair_codes(_latin(seen[start:]) if grammed else seen[start:]))
    counts = Counter(phrases)  # keys in first-seen order: the order equal-ranked terms keep
    surfaces = dict(reversed(firsts))  # each key's first surface form
    terms = []
    as_written = language in lang.CAPITALISED_NOUNS  # "Roggen Sauerteig", not "roggen sauerteig"
    for key, count in counts.items():
        entity = entity_votes[key] * 2 > count
        label = surfaces[key] if entity or as_written else surfaces[key].casefold()
        if grammed:  # CJK words are written together: "天然酵母", not "天然 酵母"
            label = _CJK_SPACE.sub("", label)
        terms.append(Term(key, label, TermKind.ENTITY if entity else TermKind.PHRASE, count))
    # The names sorted: a note's names come as a set, whose order changes with every process
    # (str hashes are salted), and a word only a name states takes the form it is seen in first.
    named = "\n".join(sorted(set(names)))
    for run in _content_runs(named, language):
        seen += run
    if grammed or CJK_RUN.search(named):
        mention_grams(named, grammed, language)
    word_counts = Counter(w.stem for w in seen)
    word_forms = dict(reversed([(w.stem, _shown(w) if as_written else w.form) for w in seen]))  # each first
    ordered = sorted(word_counts)
    # Interned: a vault holds each common word in thousands of notes, one string object is enough.
    words = tuple(sys.intern(word_forms[k]) for k in ordered)
    kept = map(word_form, words) if as_written else words
    other_forms = ({w.singular for w in seen} | grammed).difference(map(singular, kept))
    forms = tuple(sys.intern(f) for f in sorted(other_forms))
    return terms, WordBag(words, tuple(word_counts[k] for k in ordered), forms, packed_pairs(pairs))


def _shown(word: _Word) -> str:
    """A word as written (a German noun's capital), unless its form is no casefolding of it (ja verbs)."""
    written = word.text.replace("’", "'")
    return written if word_form(written) == word.form else word.form


_CJK_SPACE = re.compile(rf"(?<={CJK_RUN.pattern[1:-2]}) (?={CJK_RUN.pattern[1:-2]})")


_LAST_TOKEN = re.compile(r"([^\W\d_][\w'-]*[^\W_]|[^\W\d_])[ \t]*$")
_FIRST_TOKEN = re.compile(r"[ \t]*([^\W\d_][\w'-]*[^\W_]|[^\W\d_])")


def mention_grams(text: str, into: set[str], language: str) -> list[int]:
    """The character pairs of ``text``'s CJK runs (``segment.grams``), added to ``into``, and the pair
    code of each with the next: a name written in CJK is mentioned where a note holds all of its
    pairs and codes, that is where it is a substring of the note (``name_keys``). A content word
    written right before or after a run (``mysql架构``, ``Tokyo 旅行``) pairs with its nearest pair,
    so that such a name is not mentioned by a note saying "mysql" here and "架构" there."""
    codes = []
    parts = CJK_RUN.split(text)
    for k in range(1, len(parts), 2):
        found = grams(parts[k])
        into.update(found)
        words = [_cjk_word(g, g) for g in found]
        before, after = _LAST_TOKEN.search(parts[k - 1]), _FIRST_TOKEN.match(parts[k + 1])
        left = _word_reader(language)(before.group(1)) if before else None
        right = _word_reader(language)(after.group(1)) if after else None
        codes += pair_codes([*filter(None, [left]), *words, *filter(None, [right])])
    return codes


def _latin(words: Sequence[_Word]) -> list[_Word]:
    """``words`` without the CJK ones: their pairs are the character pairs' (``mention_grams``)."""
    return [w for w in words if not CJK_RUN.match(w.form)]


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


def name_keys(name: str, language: str = lang.DEFAULT) -> NameKeys:
    """A name read in ``language``; in CJK, its character pairs stand for its words in a mention."""
    words = [w for run in _content_runs(name, language) for w in run]
    if not CJK_RUN.search(name):
        return NameKeys(tuple(w.stem for w in words), tuple(w.singular for w in words), tuple(pair_codes(words)))
    grammed: set[str] = set()
    codes = mention_grams(name, grammed, language)
    latin = _latin(words)
    singulars = tuple(w.singular for w in latin) + tuple(sorted(grammed))
    return NameKeys(tuple(w.stem for w in words), singulars, tuple(pair_codes(latin) + codes))


def tag_key(tag: str, language: str = lang.DEFAULT) -> str:
    """A tag's identity: each level's words stemmed, so ``#Research-Taste`` meets "research taste"."""
    levels = tag.lstrip("#").split("/")
    return "/".join(
        phrase_key(re.split(r"[\s_-]+", level.strip()), language) for level in levels if level.strip()
    )


def tag_terms(tags: Iterable[str], language: str = lang.DEFAULT) -> list[Term]:
    """Tag concepts, one per tag and one per parent of a nested tag (``a/b`` also gives ``a``)."""
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for tag in tags:
        key = tag_key(tag, language)
        parts = key.split("/")
        label_parts = tag.lstrip("#").split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            counts[sub] += 1
            labels.setdefault(sub, "/".join(label_parts[:depth]))
    return [Term(key, labels[key], TermKind.TAG, n) for key, n in counts.items() if key]


def name_terms(names: Iterable[str], language: str = lang.DEFAULT) -> list[Term]:
    """A note's aliases (and multi-word title) as concepts, so other notes that mention
    them in prose share a concept with it."""
    terms: dict[str, Term] = {}
    for name in names:
        words = _WORD.findall(name)
        if CJK_RUN.search(name):  # each CJK run as its words
            words = [p.form for k, part in enumerate(CJK_RUN.split(name)) for p in _name_part(k, part, language)]
        if not 2 <= len(words) <= _MAX_WORDS:
            continue
        key = phrase_key(words, language)
        terms.setdefault(key, Term(key, name.strip(), TermKind.ALIAS, 1))
    return list(terms.values())


def _name_part(k: int, part: str, language: str) -> Iterable[Piece]:
    """The words of one part of a name split at its CJK runs (odd ``k``: a run), as ``Piece``s."""
    if k % 2:
        return pieces(part, language)
    return [Piece(w, w, True) for w in _WORD.findall(part)]


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
