"""Words of Chinese and Japanese text, which writes none of the spaces ``terms.py`` splits on.

A run of Han and kana characters is cut by a dictionary segmenter: Chinese by rjieba (jieba's
dictionary and HMM, in Rust: 4.6 MB installed, imported in 0.3 s, no file written or downloaded),
Japanese by SudachiPy with its core dictionary, a package (mode C: the longest units, so パン屋
stays one word). Each is imported on the first run it cuts, so a vault without such text never
loads either.

Each segmenter runs on its stock dictionary only, never with the vault's note names added: a new
note would then change how every other note is cut, so no note's parse (and cache entry) would be a
function of its own bytes, and the watcher could not patch the ranking for the notes a save touched.
Names are found in CJK text as substrings instead (``grams``), which needs no segmentation at all.
(rjieba has a user dictionary, ``add_word``, process-wide: what the cache could not key on.)
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from vaultlink.core.language import CJK_CHARS, stopwords

CJK_RUN = re.compile(f"([{CJK_CHARS}]+)")
"""A run of Han and kana, as a group: ``CJK_RUN.split`` keeps the runs, at odd places."""
_KANA = re.compile("[\u3040-\u309f\u30a0-\u30fa\u31f0-\u31ff\uff66-\uff9f]")
_ZH_CONTENT = ("n", "v", "a", "b", "i", "j", "l", "s", "eng")
"""jieba's part-of-speech tags of content words: nouns, verbs, adjectives, distinguishing words (天然),
idioms, abbreviations, set phrases, places, Latin words. Not pronouns (我们), conjunctions (如果),
prepositions, particles, adverbs, numerals, measure words, time and direction words: these break a
phrase as English stopwords do. (The ``stop-words`` Chinese list holds single characters only.)"""
_ZH_NOT = frozenset({"vshi", "vyou"})  # 是, 有
_ZH_STOP = frozenset("需要 没有 进行 就是 还是 可能 应该 能够 已经 觉得 知道 认为 表示 包括 所有 这样 那样".split())
"""Verbs and words of every subject that jieba tags as content."""
_JA_CONTENT = frozenset({"名詞", "動詞", "形容詞", "形状詞"})
_JA_INFLECTED = frozenset({"動詞", "形容詞"})


class Piece(NamedTuple):
    """One word of a CJK run: as written, the form it is counted as, and whether it is a content word
    (a stopword, a particle or a single character breaks a phrase, as an English stopword does)."""

    text: str
    form: str
    content: bool


@lru_cache(maxsize=65_536)
def pieces(run: str, language: str) -> tuple[Piece, ...]:
    """The words of one run of Han and kana (``CJK_RUN``): Japanese when the note is, or the run
    has kana; Chinese otherwise."""
    if language == "ja" or _KANA.search(run):
        return _japanese(run)
    stop = _zh_stopwords()
    return tuple(
        Piece(w, w, len(w) > 1 and tag.startswith(_ZH_CONTENT) and tag not in _ZH_NOT and w not in stop)
        for w, tag in _jieba().tag(run)
    )


@lru_cache(maxsize=1)
def _zh_stopwords() -> frozenset[str]:
    return stopwords("zh") | _ZH_STOP


_SUDACHI_CHUNK = 8_000
"""Characters SudachiPy is given at a time: it refuses more than 49,149 bytes (a CJK character is 3
or 4 in UTF-8). A run this long without punctuation is cut at a chunk's end, a word at most."""


def _japanese(run: str) -> tuple[Piece, ...]:
    stop = stopwords("ja")
    out = []
    chunks = (run[i : i + _SUDACHI_CHUNK] for i in range(0, len(run), _SUDACHI_CHUNK))
    for morpheme in (m for chunk in chunks for m in _sudachi().tokenize(chunk)):
        text = morpheme.surface()
        pos = morpheme.part_of_speech()
        form = morpheme.dictionary_form() if pos[0] in _JA_INFLECTED else text
        content = (
            pos[0] in _JA_CONTENT and pos[1] not in ("非自立可能", "数詞") and len(form) > 1 and form not in stop
        )
        out.append(Piece(text, form, content))
    return tuple(out)


def grams(run: str) -> list[str]:
    """The overlapping character pairs of a CJK run (the run itself if one character): a name is
    mentioned where the text holds each of its pairs, each next to the following one, which is the
    name written as a substring, whatever the segmenter made of either."""
    return [run[i : i + 2] for i in range(len(run) - 1)] or [run]


@lru_cache(maxsize=1)
def _jieba() -> Any:
    import rjieba

    return rjieba


@lru_cache(maxsize=1)
def _sudachi() -> Any:
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(mode=SplitMode.C)
