"""The phrase-mention prototype: a note mentions another when it writes one of its names as a phrase.

Ranking v2.1 finds a mention when a note has every content word of a name (each two that follow each
other in the name following each other in the note), and checks a name only if its rarest word is in
at most 1,000 notes. Here instead:

- a name is a sequence of tokens (content words as written, plurals folded; each CJK character a token
  of its own, since CJK text has no spaces), found where the note writes that very sequence within one
  line or sentence (stopwords, numbers and punctuation other than a sentence's end skipped);
- how much a mention weighs follows how many notes write the phrase (its rarity as a phrase, not its
  rarest word's), by v2.1's formula: 2 / (log(2 + names the note mentions) · log(2 + notes mentioning
  the name)); every name is checked, however common its words;
- a one-word name (one token, or one run of at most ``CJK_WORD`` CJK characters) counts only where the
  vault uses the word as that note's name: at least ``NAME_USE`` of the notes that write the word link
  to the note (smoothed: (linking + 1) / (writing + 1)). "Simple", "Views", "Turner" or "journals" are
  written by hundreds of notes that do not mean the note; "Photoresistors" or "Quaternions" by the few
  that do. A share of the word's own uses, so it means the same in any vault size. Or where the
  mentioning note writes it as a name (``name_uses``: a whole line, or Capitalised mid-sentence). Both matrices are
  made: with every name (for the score, where a weak mention still orders candidates) and with this
  rule (for what may be listed, ``proto.py``'s gate).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rankers.evidence import split_body
from vaultlink.app import VaultScan
from vaultlink.core.note import Note, link_name
from vaultlink.core.resolve import Outcome
from vaultlink.core.terms import STOPWORDS, singular, word_form

NAME_USE = 0.25
CJK_WORD = 4
MAX_TOKENS = 12
"""Longer names are checked on their first this many tokens (they are rare anyway)."""

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_CJK_RUN = re.compile(_CJK.pattern + "+")
_WORD = re.compile(r"\d[\w'’-]*|[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
_SENTENCES = re.compile(r"\n|[.!?。！？](?=\s|$)")
_CODE = re.compile(r"^(`{3,}|~{3,}).*?^\1", re.S | re.M)
_NOT_PROSE = re.compile(r"`[^`\n]*`|<[^>\n]*>|https?://\S+")
_WIKILINK = re.compile(r"!?\[\[([^\]|#\n]*)(?:#[^\]|\n]*)?(?:\|([^\]\n]*))?\]\]")
_MDLINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")


def tokens(text: str) -> list[str]:
    """Content tokens in order: words casefolded and plural-folded (stopwords and one-letter words
    left out), numbers as written ("September 9th, 2020" is not "September 26th"), each CJK character
    a token."""
    out: list[str] = []
    for word in _WORD.findall(_CJK.sub(lambda m: f" {m.group(0)} ", text)):
        if _CJK.fullmatch(word):
            out.append(word)
            continue
        form = word_form(word).removesuffix("'s")
        if len(form) >= 2 and form not in STOPWORDS:
            out.append(singular(form))
    return out


def prose(body: str) -> str:
    """What a reader reads of a body: code, raw HTML and URLs out, links as their visible text."""
    body = _CODE.sub("\n", body)
    body = _WIKILINK.sub(lambda m: m.group(2) or m.group(1), body)
    body = _MDLINK.sub(r"\1", body)
    return _NOT_PROSE.sub(" ", body)


def sentences(text: str) -> list[list[str]]:
    """The tokens of each line or sentence: a name is found within one."""
    return [t for part in _SENTENCES.split(prose(text)) if (t := tokens(part))]


def name_tokens(note: Note) -> set[tuple[str, ...]]:
    """Each of the note's names (file name, title, aliases) as tokens, up to ``MAX_TOKENS`` of them."""
    return {t[:MAX_TOKENS] for name in {link_name(note.path), note.title, *note.aliases} if (t := tuple(tokens(name)))}


def one_word(name: tuple[str, ...]) -> bool:
    return len(name) == 1 or (len(name) <= CJK_WORD and all(_CJK.fullmatch(t) for t in name))


@dataclass(frozen=True)
class Mentions:
    """Who mentions whom, as notes × notes matrices weighted as v2.1 weighs a mention: ``matrix`` with
    every name, ``strict`` with one-word names only where the vault uses them as names (``usable``);
    ``found`` is each mention's name, ``strict_found`` the mentions ``strict`` keeps."""

    matrix: sp.csr_matrix
    strict: sp.csr_matrix
    phrase_df: Mapping[tuple[str, ...], int]
    usable: Mapping[tuple[str, ...], bool]
    found: Mapping[tuple[int, int], tuple[str, ...]]
    """(mentioning row, mentioned row) -> the name written (a usable one if there is one)."""
    strict_found: frozenset[tuple[int, int]]


_LINE_MARKUP = re.compile(r"^[\s>#*+\-]*(?:\d+[.)]\s*)?(?:\[[ xX]\]\s*)?|[\s:;,.!?]*$")
_CLAUSE = re.compile(r"[.!?:;。！？：；]\s*")


def name_uses(body: str) -> set[tuple[str, ...]]:
    """Where a note writes a word or phrase the way a name is written, so that a one-word name found
    there means the note even if the vault seldom links it: a whole line (a heading, a list item: "-
    Folder Links"), or a run of Capitalised words after a lowercase word ("as Dualism holds"; not at a
    sentence's start, not the "Turner" of "Colin Turner", a longer run, and not after CJK characters,
    which have no case to tell a name by)."""
    uses: set[tuple[str, ...]] = set()
    for line in prose(body).splitlines():
        bare = _LINE_MARKUP.sub("", line)
        whole = tuple(tokens(bare))
        written = _WORD.findall(_CJK.sub(lambda m: f" {m.group(0)} ", bare))
        if 0 < len(whole) == len(written) <= MAX_TOKENS:  # the line is the name, no other word
            uses.add(whole)
        for clause in _CLAUSE.split(line):
            words = _WORD.findall(clause)
            k = 1
            while k < len(words):
                if words[k][0].isupper():
                    end = k
                    while end < len(words) and words[end][0].isupper():
                        end += 1
                    if words[k - 1][0].islower() and (run := tuple(tokens(" ".join(words[k:end])))):
                        uses.add(run)
                    k = end
                k += 1
    return uses


def find_phrases(
    texts: Sequence[list[list[str]]], names: Mapping[tuple[str, ...], list[int]]
) -> list[set[tuple[str, ...]]]:
    """For each note (its sentences' tokens), the names of ``names`` it writes."""
    lengths = sorted({len(n) for n in names})
    found: list[set[tuple[str, ...]]] = []
    for text in texts:
        here: set[tuple[str, ...]] = set()
        for sentence in text:
            for i in range(len(sentence)):
                for k in lengths:
                    if i + k > len(sentence):
                        break
                    key = tuple(sentence[i : i + k])
                    if key in names:
                        here.add(key)
        found.append(here)
    return found


def linkers(scan: VaultScan) -> dict[str, set[str]]:
    """Each note's path -> the notes linking to it."""
    out: dict[str, set[str]] = defaultdict(set)
    for r in scan.links:
        if r.resolution.outcome is Outcome.NOTE and r.resolution.target != r.source:
            out[r.resolution.target].add(r.source)
    return out


def mentions(
    scan: VaultScan, notes: Sequence[Note], texts: Mapping[str, str] | None = None, name_use: float = NAME_USE
) -> Mentions:
    """The mention matrix of ``notes`` (in this order: rows and columns), from their bodies (``texts``
    by path, else the scan's own) and the scan's links."""
    owners: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, note in enumerate(notes):
        for name in name_tokens(note):
            owners[name].append(i)
    bodies = [split_body(texts[n.path] if texts is not None else scan.sources.read(n.path).text)[1] for n in notes]
    tokenised = [sentences(f"{n.title}\n{body}") for n, body in zip(notes, bodies, strict=True)]
    written = find_phrases(tokenised, owners)
    phrase_df: dict[tuple[str, ...], int] = defaultdict(int)
    for here in written:
        for name in here:
            phrase_df[name] += 1
    linked = linkers(scan)
    usable = {}
    for name, rows in owners.items():
        if not one_word(name):
            usable[name] = True
            continue
        links = max(len(linked.get(notes[r].path, ())) for r in rows)
        usable[name] = (links + 1) / (phrase_df.get(name, 0) + 1) >= name_use
    pairs: dict[tuple[int, int], tuple[str, ...]] = {}
    for a, here in enumerate(written):
        for name in sorted(here, key=lambda name: (not usable[name], name)):  # a usable name first
            for b in owners[name]:
                if b != a:
                    pairs.setdefault((a, b), name)
    uses = [name_uses(body) for body in bodies]
    strict = frozenset(pair for pair, name in pairs.items() if usable[name] or name in uses[pair[0]])
    n = len(notes)
    return Mentions(_weighted(pairs, n), _weighted(strict, n), dict(phrase_df), usable, pairs, strict)


def _weighted(pairs: Iterable[tuple[int, int]], n: int) -> sp.csr_matrix:
    """v2.1's weights: 2 / (log(2 + names a mentions) · log(2 + notes mentioning b))."""
    keys = list(pairs)
    if not keys:
        return sp.csr_matrix((n, n))
    rows = np.array([a for a, _ in keys])
    cols = np.array([b for _, b in keys])
    out_degree = np.bincount(rows, minlength=n)
    in_degree = np.bincount(cols, minlength=n)
    weights = 2.0 / (np.log(2.0 + out_degree[rows]) * np.log(2.0 + in_degree[cols]))
    return sp.csr_matrix((weights, (rows, cols)), shape=(n, n))
