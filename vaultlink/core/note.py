"""The records the core passes around: notes, links, terms and diagnostics.

All are immutable so that a parsed vault can be shared, cached and compared safely. The
small, numerous ones (links, terms, diagnostics) are named tuples: a vault has hundreds of
thousands of them, and a frozen dataclass costs several times more to build. The dataclasses
have slots: without, each instance carries a dict of its own (300 bytes; a 100,000-note sync
holds half a million suggestions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


def path_stem(path: str) -> str:
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
    (percent-encoded), since mistune's AST carries no source positions.
    """

    target: str
    kind: LinkKind
    raw: str
    heading: str = ""
    block: str = ""
    display: str = ""


class Term(NamedTuple):
    """A concept candidate found in one note.

    ``key`` is the normalised (casefolded, stemmed) identity used to match notes;
    ``label`` is a readable surface form; ``count`` how often the note states it.
    """

    key: str
    label: str
    kind: TermKind
    count: int  # type: ignore[assignment]  # shadows tuple.count, which no caller needs


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Diagnostic(NamedTuple):
    """Something about the vault a user should know, always naming the file."""

    path: str
    code: str
    message: str
    severity: Severity = Severity.ERROR

    def line(self) -> str:
        """The one-line form printed by the CLI."""
        return f"{self.path}: {self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed note. ``path`` is vault-relative with ``/`` separators and is the note's id.

    ``body_offset`` indexes the body (after any frontmatter) in the BOM-less text with its
    managed blocks removed, which is where it starts in the text with them too (blocks are
    never in the frontmatter);
    ``words``/``word_counts`` are the note's word bag, parallel tuples;
    ``is_stub`` marks a stub vaultlink created and nobody has edited since.
    """

    path: str
    title: str
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    headings: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    terms: tuple[Term, ...] = ()
    frontmatter_format: str = ""
    metadata_keys: tuple[str, ...] = field(default=())
    body_offset: int = 0
    is_stub: bool = False
    words: tuple[str, ...] = ()
    """The note's content words (title, file name and aliases included), one casefolded surface
    form per stem, sorted by stem: what ranking compares (``terms.WordBag``)."""
    word_counts: tuple[int, ...] = ()

    @property
    def stem(self) -> str:
        """File name without folder and extension (Obsidian's link name)."""
        return path_stem(self.path)


@dataclass(frozen=True, slots=True)
class ParsedNote:
    """What parsing one file gives: the note (unless it had to be skipped) and diagnostics."""

    path: str
    note: Note | None
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One entry of a note's Related list: the related note, its score, and why (``core/rank.py``)."""

    path: str
    score: float
    reasons: tuple[str, ...]
