"""The user's scope (GUIDE property 9): what vaultlink may do with each note, and which missing
notes are daily notes to come. Pure: the adapter reads the settings (``vaultlink/config.py``,
``vaultlink/obsidian.py``) and each note's text (``scan.py``), this decides.

A note's scope comes from the ``[[rules]]`` of ``.vaultlink.toml`` (in order, the last rule that
says something about a flag wins) and from its own frontmatter: ``vaultlink: false`` opts it out
of being written and suggested. Templates and ignored folders are not here: they are never read
as notes at all (``vault.IgnoreRules``), only found as link targets.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pathspec

from vaultlink.core.config import Config, Rule
from vaultlink.core.note import Link

OPT_OUT_KEY = "vaultlink"
CREATE_MARK = "create if missing"
"""The house style's words asking for a note: "file against ~/vault/x.md (or create if missing)"."""


@dataclass(frozen=True, slots=True)
class NoteScope:
    """What vaultlink may do with one note. The default allows everything."""

    write: bool = True
    """Its Related and Backlinks blocks are kept (else removed, once, and never written again)."""
    suggest: bool = True
    """It may be listed in other notes' Related blocks."""
    stubs: bool = True
    """Its links may ask for stubs."""
    asks: frozenset[str] = frozenset()
    """The raw text of the links it asks to be created ("(or create if missing)"): a stub
    even with a single citer."""


FULL_SCOPE = NoteScope()


class RuleSet:
    """The ``[[rules]]``, compiled once: each note's flags by glob, gitignore syntax."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = [(pathspec.PathSpec.from_lines("gitignore", [r.glob]), r) for r in rules]

    def flags(self, path: str) -> tuple[bool, bool, bool]:
        """(write, suggest, stubs) for the note at ``path``."""
        write = suggest = stubs = True
        for spec, rule in self.rules:
            if not spec.match_file(path):
                continue
            write = write if rule.write is None else rule.write
            suggest = suggest if rule.suggest is None else rule.suggest
            stubs = stubs if rule.stubs is None else rule.stubs
        return write, suggest, stubs

    def may_write(self, path: str) -> bool:
        return self.flags(path)[0]


def opted_out(metadata: Mapping[str, Any]) -> bool:
    """Does the frontmatter say ``vaultlink: false`` (YAML's ``no``/``off`` read as false too)?"""
    value = metadata.get(OPT_OUT_KEY)
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no", "off"))


def note_scope(path: str, rules: RuleSet, metadata: Mapping[str, Any], text: str, links: Iterable[Link]) -> NoteScope:
    """The note's scope from the rules, its frontmatter and the links its text asks to create."""
    write, suggest, stubs = rules.flags(path)
    if opted_out(metadata):
        write = suggest = False
    asks = asked_links(text, links)
    scope = NoteScope(write, suggest, stubs, asks)
    return FULL_SCOPE if scope == FULL_SCOPE else scope


_CREATE = re.compile(re.escape(CREATE_MARK), re.IGNORECASE)


def asked_links(text: str, links: Iterable[Link]) -> frozenset[str]:
    """The raw links stated on a line that says "create if missing" (any case)."""
    if not _CREATE.search(text):  # most notes: no lowered copy of the text
        return frozenset()
    lines = [line for line in text.splitlines() if CREATE_MARK in line.lower()]
    return frozenset(link.raw for link in links if link.raw and any(link.raw in line for line in lines))


# --- daily notes -------------------------------------------------------------------------------

# moment.js tokens Obsidian's date formats use, longest first, as patterns.
_TOKENS = [
    ("YYYY", r"\d{4}"),
    ("gggg", r"\d{4}"),
    ("GGGG", r"\d{4}"),
    ("MMMM", r"[^\W\d_]+"),
    ("dddd", r"[^\W\d_]+"),
    ("MMM", r"[^\W\d_]+\.?"),
    ("ddd", r"[^\W\d_]+\.?"),
    ("DDDD", r"\d{3}"),
    ("YY", r"\d{2}"),
    ("MM", r"\d{2}"),
    ("DD", r"\d{2}"),
    ("Do", r"\d{1,2}(?:st|nd|rd|th|\.)?"),
    ("ww", r"\d{2}"),
    ("WW", r"\d{2}"),
    ("HH", r"\d{2}"),
    ("mm", r"\d{2}"),
    ("ss", r"\d{2}"),
    ("dd", r"[^\W\d_]+"),
    ("M", r"\d{1,2}"),
    ("D", r"\d{1,2}"),
    ("w", r"\d{1,2}"),
    ("W", r"\d{1,2}"),
    ("Q", r"[1-4]"),
    ("d", r"[0-6]"),
    ("E", r"[1-7]"),
    ("e", r"[0-6]"),
]
_TOKEN = re.compile(r"\[[^\]]*\]|" + "|".join(re.escape(t) for t, _ in _TOKENS))
_PATTERNS = dict(_TOKENS)


def date_pattern(form: str) -> re.Pattern[str] | None:
    """A pattern for the names a moment.js date ``form`` gives (``[...]`` is literal text);
    None for a format without a date token."""
    parts: list[str] = []
    position, tokens = 0, 0
    for found in _TOKEN.finditer(form):
        parts.append(re.escape(form[position : found.start()]))
        token = found.group()
        if token.startswith("["):
            parts.append(re.escape(token[1:-1]))
        else:
            parts.append(_PATTERNS[token])
            tokens += 1
        position = found.end()
    parts.append(re.escape(form[position:]))
    return re.compile("".join(parts), re.IGNORECASE) if tokens else None


class DailyNotes:
    """Obsidian's daily notes: a missing note named by the date format, in the daily folder or
    linked by name alone (``[[2026-12-04]]``), is a day to come, expected, not a broken link."""

    def __init__(self, config: Config) -> None:
        self.folder = config.daily_folder.strip("/")
        self.pattern = date_pattern(config.daily_format) if config.daily_format else None
        self.config = config

    def is_daily(self, path: str) -> bool:
        """Is ``path`` (a missing note's) the daily note of some date?"""
        if self.pattern is None:
            return False
        bare = self.config.without_extension(path)
        if self.pattern.fullmatch(bare):
            return True  # linked by name or by its path from the root
        folder = self.folder + "/" if self.folder else ""
        if folder and bare.startswith(folder) and self.pattern.fullmatch(bare[len(folder) :]):
            return True
        return bool(self.pattern.fullmatch(posixpath.basename(bare))) and "/" not in self.config.daily_format
