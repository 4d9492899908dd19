"""The records the core passes around: notes, links, terms and diagnostics.

All are immutable so that a parsed vault can be shared, cached and compared safely. The
small, numerous ones (links, terms, diagnostics) are named tuples: a vault has hundreds of
thousands of them, and a frozen dataclass costs several times more to build. The dataclasses
have slots: without, each instance carries a dict of its own (300 bytes; a 100,000-note sync
holds half a million suggestions).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, overload
from urllib.parse import unquote


def link_name(path: str) -> str:
    """A vault path's file name without folder and extension (Obsidian's link name)."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[0] if "." in name else name


class LinkKind(StrEnum):
    """How a link was written in the note."""

    WIKILINK = "wikilink"
    EMBED = "embed"
    MARKDOWN = "markdown"
    PATH = "path"


class TermKind(StrEnum):
    """Where a concept term came from."""

    TAG = "tag"
    ALIAS = "alias"
    PHRASE = "phrase"
    ENTITY = "entity"


class Link(NamedTuple):
    """One link as the note states it, before resolution.

    ``target`` is the link path as written (URL-decoded for markdown links, without
    ``#heading``/``^block``/``|alias``); ``raw`` is the exact source text of a wikilink,
    embed or bare path, and for a markdown link its URL as mistune normalised it
    (percent-encoded), since mistune's AST carries no source positions. Where it stands is
    the note's business (``Note.link_lines``): equal links of many notes are one record.
    """

    target: str
    kind: LinkKind
    raw: str
    heading: str = ""
    block: str = ""
    display: str = ""

    def written(self) -> str:
        """The link as a message names it: its raw text, but a markdown link as
        ``[display](url)`` with its URL decoded (``My Note.md``, not ``My%20Note.md``)."""
        if self.kind is LinkKind.MARKDOWN or (self.kind is LinkKind.EMBED and not self.raw.startswith("![[")):
            bang = "!" if self.kind is LinkKind.EMBED else ""
            return f"{bang}[{self.display}]({unquote(self.raw)})"
        return self.raw


class Term(NamedTuple):
    """A concept candidate found in one note.

    ``key`` is the normalised (casefolded, stemmed) identity used to match notes;
    ``label`` is a readable surface form; ``count`` how often the note states it.
    """

    key: str
    label: str
    kind: TermKind
    count: int  # type: ignore[assignment]  # shadows tuple.count, which no caller needs


_KINDS = tuple(TermKind)  # a kind's number in a packed code is its place here
_KIND_NUMBERS = {kind: number for number, kind in enumerate(_KINDS)}
_LABEL_STORED = 1  # bit 0 of a code: the label is stored (else it is the key)
_KIND_SHIFT, _KIND_MASK = 1, 3  # bits 1-2: the kind
_COUNT_SHIFT = 3  # the rest: the count
_MAX_CHAR = sys.maxunicode
LABEL_SEPARATOR = "\x1f"
"""Joins the stored labels; when a label contains it, the labels are kept as a tuple instead."""


@dataclass(frozen=True, slots=True)
class PackedTerms(Sequence[Term]):
    """A note's terms, stored compactly and read as ``Term`` records, decoded on access.

    A 100,000-note vault holds about four million terms; as named tuples of two strings they
    were 60% of every note's memory (~150 bytes a term). Packed, a term costs its key (a
    pointer to a string shared with the other notes stating it, see ``shared``, and with
    ranking's vocabulary), one character of ``codes`` (kind, count, whether the label is
    stored; a count from 6,912 up makes a lone surrogate, which str and pickle keep as is) and
    its label's characters when the label is not the key. Build with ``PackedTerms.of(terms)``:
    equal term sequences give equal packings, so equality is the terms' equality.

    ``keys`` and ``count_at`` are there for the hot paths, which need no label.
    """

    keys: tuple[str, ...] = ()
    codes: str | tuple[int, ...] = ""
    """One code per term (``count << 3 | kind << 1 | label stored``): characters, or integers
    when a count is too large for a character."""
    labels: str | tuple[str, ...] = ""
    """The labels that differ from their key, in order: joined by ``LABEL_SEPARATOR``, or a tuple
    when one of them contains it."""

    @classmethod
    def of(cls, terms: Iterable[Term]) -> PackedTerms:
        """The terms packed (their keys as given: see ``shared`` and ``interned``)."""
        keys: list[str] = []
        codes: list[int] = []
        labels: list[str] = []
        for key, label, kind, count in terms:
            stored = label != key
            keys.append(key)
            codes.append(count << _COUNT_SHIFT | _KIND_NUMBERS[kind] << _KIND_SHIFT | stored)
            if stored:
                labels.append(label)
        if any(code < 0 for code in codes):
            raise ValueError("a term's count is negative")
        packed_codes = "".join(map(chr, codes)) if max(codes, default=0) <= _MAX_CHAR else tuple(codes)
        joined = LABEL_SEPARATOR.join(labels)
        packed_labels = tuple(labels) if joined.count(LABEL_SEPARATOR) != max(len(labels) - 1, 0) else joined
        return cls(tuple(keys), packed_codes, packed_labels)

    def _codes(self) -> Iterable[int]:
        return map(ord, self.codes) if isinstance(self.codes, str) else self.codes

    def _labels(self) -> Iterator[str]:
        return iter(self.labels) if isinstance(self.labels, tuple) else iter(self.labels.split(LABEL_SEPARATOR))

    def interned(self) -> PackedTerms:
        """The same terms with their keys interned: a phrase many notes state is one string."""
        return PackedTerms(tuple(map(sys.intern, self.keys)), self.codes, self.labels)

    def shared(self, keys: dict[str, str]) -> PackedTerms:
        """The same terms with each key replaced by the equal one in ``keys`` (added if new).

        Like ``interned``, without the interpreter's table of interned strings, which never
        shrinks: most phrases are stated by one note only, and at 100,000 notes their entries
        there cost about 120 MB for as long as the process runs. ``keys`` can be dropped once
        the vault is read.
        """
        return PackedTerms(tuple([keys.setdefault(key, key) for key in self.keys]), self.codes, self.labels)

    def count_at(self, index: int) -> int:
        """The count of term ``index``, without decoding the term."""
        code = self.codes[index]
        return (ord(code) if isinstance(code, str) else code) >> _COUNT_SHIFT

    def counted_keys(self) -> Iterator[tuple[str, TermKind, int]]:
        """Each term's key, kind and count, without its label: cheaper than the terms."""
        for key, code in zip(self.keys, self._codes(), strict=True):
            yield key, _KINDS[code >> _KIND_SHIFT & _KIND_MASK], code >> _COUNT_SHIFT

    def __iter__(self) -> Iterator[Term]:
        # One comprehension, records made by tuple.__new__ (no Python-level __new__ call):
        # decoding costs about twice a tuple of terms' iteration instead of four times.
        # The shifts and mask are _KIND_SHIFT, _KIND_MASK and _COUNT_SHIFT, inlined.
        labels, new, kinds = self._labels(), tuple.__new__, _KINDS
        return iter(
            [
                new(Term, (key, next(labels) if code & _LABEL_STORED else key, kinds[code >> 1 & 3], code >> 3))
                for key, code in zip(self.keys, self._codes(), strict=True)
            ]
        )

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> Term: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Term, ...]: ...

    def __getitem__(self, index: int | slice) -> Term | tuple[Term, ...]:
        terms = tuple(self)  # decodes them all: for occasional use, not in a loop
        return terms[index]


NO_TERMS = PackedTerms()


WordCounts = bytes | tuple[int, ...]
"""A word bag's counts: bytes when each count fits in one (a byte a word instead of a tuple's
eight), else a tuple. Either reads as a sequence of ints."""


def packed_counts(counts: Iterable[int]) -> WordCounts:
    """``counts`` as ``WordCounts``: the same counts always give the same value (bytes if they can)."""
    values = tuple(counts)
    try:
        return bytes(values)
    except ValueError:  # a count over 255 (a word used that often in one note) or below 0
        return values


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(NamedTuple):
    """Something about the vault a user should know, always naming the file, and the line
    (``lineno``, from 1) when it is about one place in it, such as a link; 0 when not."""

    path: str
    code: str
    message: str
    severity: Severity = Severity.ERROR
    lineno: int = 0

    def line(self) -> str:
        """The one-line form printed by the CLI: ``path:line: code: message``, as compilers
        write it so that editors can jump to the place (``path: code: message`` without a line)."""
        where = f"{self.path}:{self.lineno}" if self.lineno else self.path
        return f"{where}: {self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note. ``path`` is vault-relative with ``/`` separators and is the note's id.

    ``body_offset`` indexes the body (after any frontmatter) in the BOM-less text with its
    managed blocks removed, which is where it starts in the text with them too (blocks are
    never in the frontmatter);
    ``terms`` are packed (``PackedTerms``), read as ``Term`` records;
    ``words``/``word_counts`` are the note's word bag, parallel (the counts packed: ``packed_counts``);
    ``is_stub`` marks a stub vaultlink created and nobody has edited since.
    """

    path: str
    title: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    terms: PackedTerms = NO_TERMS
    frontmatter_format: str = ""
    metadata_keys: tuple[str, ...] = field(default=())
    body_offset: int = 0
    is_stub: bool = False
    words: tuple[str, ...] = ()
    """The note's content words (title, file name and aliases included), one casefolded surface
    form per stem (German's as written), sorted by stem: what ranking compares (``terms.WordBag``)."""
    word_counts: WordCounts = b""
    forms: tuple[str, ...] = ()
    """The note's other words as mentions are found on them: surface forms made singular that
    are not the singular of one of ``words`` (``terms.WordBag.forms``)."""
    pairs: bytes = b""
    """Which of its content words follow each other, packed (``terms.packed_pairs``)."""
    lines: bytes = b""
    """Digests of its shown lines, packed (``evidence.line_digests``): what boilerplate is counted on."""
    boilerplate: bytes = b""
    """Those of ``lines`` it was read without, as boilerplate (``evidence.without_lines``)."""
    link_lines: tuple[int, ...] = ()
    """The line each of ``links`` stands on, from 1, in the note's text with its managed blocks
    taken out (what the parse read: ``link_lines.file_line`` gives the line in the file)."""

    def located_links(self) -> Iterator[tuple[Link, int]]:
        """Each link with its line (0 where the record holds none, as in a note built by hand)."""
        lines = self.link_lines if len(self.link_lines) == len(self.links) else (0,) * len(self.links)
        return zip(self.links, lines, strict=True)
    language: str = "en"
    """The language its words were read in (``language.note_language``): what stems them."""


@dataclass(frozen=True, slots=True)
class ParsedNote:
    """What parsing one file gives: the note (unless it had to be skipped) and diagnostics."""

    path: str
    note: Note | None
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One entry of a note's Related list: the related note, its score, and why (``core/rank/``)."""

    path: str
    score: float
    reasons: tuple[str, ...]
