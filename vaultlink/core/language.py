"""Which language a note is written in, and which stopwords and stemmer each of its words takes.

A note's language comes from its frontmatter (``lang`` or ``language``), else from the vault's
``language`` setting, else (``"auto"``, the default) from its text: scripts first (kana makes it
Japanese, Han Chinese, Cyrillic Russian), then, among Latin-script languages, votes of a few
function words each language writes constantly and the others hardly ever. English wins unless
another language clearly outvotes it, so a short or ambiguous note reads as before. No library:
what is needed is a choice among the stemmers at hand, deterministic and cheap on every note, and
on a note of ten words any detector guesses (langdetect is random unless seeded, by its own account).

A word takes its note's language when it is written in that language's script, else its script's
own (a Latin word in a Chinese note is English, a Cyrillic word in a German note Russian). Han and
kana runs are never stemmed: ``segment.py`` cuts them into words.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import snowballstemmer

DEFAULT = "en"
AUTO = "auto"
CJK_LANGUAGES = frozenset({"zh", "ja"})

NAMES: dict[str, str] = {
    "ar": "arabic", "bg": "bulgarian", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fa": "persian",
    "fi": "finnish", "fr": "french", "ga": "irish", "he": "hebrew", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "ja": "japanese", "ko": "korean", "lt": "lithuanian",
    "nb": "norwegian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "pl": "polish", "pt": "portuguese",
    "ro": "romanian", "ru": "russian", "sk": "slovak", "sr": "serbian", "sv": "swedish", "ta": "tamil",
    "tr": "turkish", "uk": "ukrainian", "vi": "vietnamese", "yi": "yiddish", "zh": "chinese",
}  # fmt: skip
"""ISO 639-1 code -> the language's name, as Snowball and the ``stop-words`` package name it."""
SNOWBALL = {code: name for code, name in NAMES.items() if name in snowballstemmer.algorithms()}
"""The codes of the languages Snowball stems."""
STOPWORD_FILES = {code: NAMES[code] for code in """
    ar bg ca cs da de el es fa fi fr he hi hu id it ja ko nb nl no pl pt ro ru sk sv tr uk vi zh""".split()}
"""The codes of the languages the ``stop-words`` package has a list of (English keeps ``terms.STOPWORDS``)."""

ENGLISH_STOPWORDS = frozenset(
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
"""English stopwords: vaultlink's own list (English notes read exactly as they always have)."""

KNOWN = frozenset({DEFAULT, *SNOWBALL, *STOPWORD_FILES})

CYRILLIC_LANGUAGES = frozenset({"ru", "uk", "bg", "sr"})
GREEK_LANGUAGES = frozenset({"el"})
CAPITALISED_NOUNS = frozenset({"de", "lb"})
"""Languages that capitalise every noun: a run of Capitalised words there is no named entity."""

# Function words that mark a Latin-script language: frequent in any of its prose, rare as words of
# the others (no word is in two lists). Short notes give few votes, so each list is short and common.
_MARKERS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and of to is that with for was are this be by from which have not it you",
        "de": "der das und ist nicht eine mit dem auf für sich auch wird oder ich wir zu",
        "fr": "les est une qui dans pour avec sont elle nous vous pas",
        "es": "el los las del una por para como más pero muy está también sus",
        "it": "gli che è della nel sono anche alla questo degli delle",
        "pt": "não são também uma pelo pela dos",
        "nl": "het een dat niet voor zijn ook maar bij door wordt",
        "sv": "och är på för inte jag också",
    }.items()
}

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_KANA = "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
CJK_CHARS = _HAN + _KANA + "\u3005"  # 々, the kanji repeat mark
"""The characters ``segment.py`` cuts into words: Han and kana (Hangul is written with spaces)."""
_HAN_CHAR = re.compile(f"[{_HAN}]")
_KANA_CHAR = re.compile(f"[{_KANA}]")
_CYRILLIC_CHAR = re.compile("[\u0400-\u04ff]")
_LATIN_WORD = re.compile(r"[a-zA-Z\u00c0-\u024f]+")
_VOTING_WORD = re.compile(r"(?<![^\W\d_])[A-ZÀ-Þ]?[a-zß-ÿ]+(?![^\W\d_])")
"""A word in lower case or Title case, as function words are written ("MIT" is no German "mit")."""
_SAMPLE = 2_000
"""Characters of a note's text that are read: some 300 words, of which a language's function words are
a tenth or more; bounded, since this runs for every note parsed."""


def detect(texts: Iterable[str]) -> str:
    """The language of a note's text, as an ISO 639-1 code (``DEFAULT`` when nothing says otherwise).

    Counted with regular expressions over the text's start, not character by character in Python:
    this runs for every note a sync parses (0.1 ms a note on vaultofknowledge, one core)."""
    sample = "\n".join(texts)[:_SAMPLE]
    if not sample.isascii():
        han, kana = len(_HAN_CHAR.findall(sample)), len(_KANA_CHAR.findall(sample))
        latin_words = len(_LATIN_WORD.findall(sample))
        # A CJK character says about as much as a Latin word.
        if kana + han and kana + han >= latin_words:
            return "ja" if kana * 4 >= kana + han else "zh"
        if len(_CYRILLIC_CHAR.findall(sample)) > 5 * latin_words:  # some five letters a word
            return "ru"
    return _voted(" ".join(_VOTING_WORD.findall(sample)).lower().split())


_LANGUAGE_OF_MARKER = {word: lang for lang, words in _MARKERS.items() for word in words}


def _voted(words: list[str]) -> str:
    """The Latin-script language whose markers ``words`` hold clearly most of, else English."""
    votes = Counter(map(_LANGUAGE_OF_MARKER.__getitem__, filter(_LANGUAGE_OF_MARKER.__contains__, words)))
    best, count = max(votes.items(), key=lambda item: (item[1], item[0] == DEFAULT), default=(DEFAULT, 0))
    if best != DEFAULT and count >= max(3, len(words) / 50) and count >= 2 * votes[DEFAULT]:
        return best
    return DEFAULT


def note_language(metadata: Mapping[str, Any], texts: Iterable[str], setting: str) -> str:
    """A note's language: its frontmatter's ``lang`` or ``language`` (a known code), else the vault's
    ``setting`` (a code), else, for ``"auto"``, what ``detect`` finds."""
    for key in ("lang", "language"):
        value = metadata.get(key)
        if isinstance(value, str):
            code = normal_code(value)
            if code in KNOWN:
                return code
    if setting != AUTO:
        return setting
    return detect(texts)


def normal_code(value: str) -> str:
    """``"de-AT"`` or ``"DE_at"`` -> ``"de"``; ``"zh-Hant"`` -> ``"zh"``."""
    return re.split(r"[-_]", value.strip().casefold(), maxsplit=1)[0]


def script_language(note: str, word: str) -> str:
    """The language ``word`` (one token, not CJK) is read in, in a note of language ``note``."""
    first = word[0]
    if "\u0400" <= first <= "\u04ff":
        return note if note in CYRILLIC_LANGUAGES else "ru"
    if "\u0370" <= first <= "\u03ff":
        return "el"
    if note in CJK_LANGUAGES or note in CYRILLIC_LANGUAGES or note in GREEK_LANGUAGES:
        return DEFAULT
    return note


@lru_cache(maxsize=64)
def stemmer(language: str) -> Any:
    """The Snowball stemmer of ``language`` (PyStemmer's, in C, when installed), or None if it has none."""
    algorithm = SNOWBALL.get(language)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


@lru_cache(maxsize=64)
def stopwords(language: str) -> frozenset[str]:
    """The ``stop-words`` package's list for ``language`` (empty when it has none), loaded once."""
    name = STOPWORD_FILES.get(language)
    if name is None:
        return frozenset()
    from stop_words import get_stop_words  # lazily: an English vault never loads a list

    return frozenset(w.casefold() for w in get_stop_words(name))
