"""Resolve a link to a note, by Obsidian's rules.

Order, as Obsidian does it: a path (vault-relative, then relative to the linking note, then
a unique trailing part of a path), else a unique file name, else a unique alias. All
comparisons are case-insensitive and Unicode-normalised (NFC), because Obsidian's are and
because macOS hands out NFD file names. Two candidates are an *ambiguous* link, reported
and never guessed. A link to nothing is a *missing* note with the path it would have; a
link whose path leaves the vault is *refused*.

An unedited stub (a note vaultlink made for a missing target) is not a note of the user's:
links are resolved as if no stub existed, and a stub then answers exactly the links that lead
to its own path as a missing note. So making a stub never changes where another link leads,
and a second sync plans what the first did. (Obsidian, which does not know stubs, would let
``[](GHOST.MD)`` in ``sub/`` find a stub ``GHOST.md`` by name; vaultlink keeps that link a
link to the missing ``sub/GHOST.MD``, as it was before the stub, and as it will be again
once the stub goes.)
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from vaultlink.core.config import Config
from vaultlink.core.note import Diagnostic, Link, LinkKind, Note

ATTACHMENT_EXTENSIONS = frozenset(
    """
    png jpg jpeg gif bmp svg webp avif heic tif tiff ico pdf mp3 wav ogg m4a flac webm mp4 mov mkv
    ogv canvas excalidraw base csv xlsx docx pptx zip
    """.split()
)


class Outcome(StrEnum):
    NOTE = "note"
    UNREADABLE = "unreadable"
    """A note file that exists but could not be read (binary, invalid UTF-8, too large): no
    note in the graph, and no missing note to make a stub for either."""
    MISSING = "missing"
    IGNORED = "ignored"
    """A note file vaultlink's scope leaves out (an ignored folder, a template): it exists, so
    the link is not broken and asks for no stub, but it is no note of the graph."""
    AMBIGUOUS = "ambiguous"
    REFUSED = "refused"
    ATTACHMENT = "attachment"


@dataclass(frozen=True, slots=True)
class Resolution:
    """``target`` is the note's path (NOTE, UNREADABLE) or the path a new note would get (MISSING)."""

    outcome: Outcome
    target: str = ""
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ResolvedLink:
    source: str
    link: Link
    resolution: Resolution
    line: int = 0
    """Where the link stands in ``source`` (``Note.link_lines``), 0 if unknown."""


def fold(text: str) -> str:
    """Case- and normalisation-insensitive key, as Obsidian compares link paths."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold())


def _is_absolute(path: str) -> bool:
    """A POSIX or Windows absolute path (``/x``, ``\\x``, ``C:x``)."""
    return path.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", path) is not None


def _inside_vault(path: str) -> str | None:
    """The normalised vault-relative form of ``path``, or None if it leaves the vault."""
    if _is_absolute(path):
        return None
    path = path.replace("\\", "/")
    norm = posixpath.normpath(path)
    if norm == ".." or norm.startswith("../") or norm == ".":
        return None
    return norm


class NoteIndex:
    """Lookup tables over the vault's note paths, built in one linear pass.

    ``unreadable`` are the paths of note files that exist but could not be read: a link finds
    them by path and file name as it finds any note (Obsidian sees the file), and resolves to
    UNREADABLE, never to a missing note that would get a stub elsewhere.

    Unedited stubs are not in the lookup tables: ``stubs`` holds them by folded path, for the
    missing notes they stand in for (module docstring).
    """

    def __init__(
        self, notes: Iterable[Note], config: Config, unreadable: Iterable[str] = (), ignored: Iterable[str] = ()
    ) -> None:
        self.config = config
        self.by_path: dict[str, list[str]] = defaultdict(list)
        self.by_suffix: dict[str, list[str]] = defaultdict(list)
        self.by_alias: dict[str, list[str]] = defaultdict(list)
        self.unreadable = frozenset(unreadable)
        self.stubs: dict[str, str] = {}
        for note in notes:
            if note.is_stub:
                self.stubs[fold(note.path)] = note.path
                continue
            self._add_path(note.path)
            for alias in note.aliases:
                self.by_alias[fold(alias)].append(note.path)
        self.ignored = frozenset(ignored)
        for path in self.unreadable | self.ignored:
            self._add_path(path)

    def _add_path(self, path: str) -> None:
        key = fold(self.config.without_extension(path))
        self.by_path[key].append(path)
        parts = key.split("/")
        for i in range(len(parts)):  # "a/b/c" is found as "c", "b/c" and "a/b/c"
            self.by_suffix["/".join(parts[i:])].append(path)

    def exact(self, path: str) -> list[str]:
        return self.by_path.get(fold(self.config.without_extension(path)), [])

    def suffix(self, path: str) -> list[str]:
        return self.by_suffix.get(fold(self.config.without_extension(path)), [])

    def alias(self, name: str) -> list[str]:
        return self.by_alias.get(fold(name), [])


def _found(candidates: Sequence[str], index: NoteIndex) -> Resolution | None:
    """The one note (or unreadable note file) among ``candidates``, else an ambiguity, else None."""
    unique = sorted(set(candidates))
    if len(unique) == 1:
        if unique[0] in index.ignored:
            return Resolution(Outcome.IGNORED, unique[0])
        return Resolution(Outcome.UNREADABLE if unique[0] in index.unreadable else Outcome.NOTE, unique[0])
    if unique:
        return Resolution(Outcome.AMBIGUOUS, "", tuple(unique))
    return None


def _is_attachment(target: str) -> bool:
    name = posixpath.basename(target)
    return "." in name and name.rsplit(".", 1)[1].lower() in ATTACHMENT_EXTENSIONS


def _with_extension(path: str, config: Config) -> str:
    return path if config.is_note_name(path) else path + config.extensions[0]


def resolve_link(link: Link, source: str, index: NoteIndex) -> Resolution:
    """Where ``link``, written in the note at ``source``, leads: among the user's notes; a link
    to a missing note whose stub exists leads to that stub."""
    found = _resolve_among_notes(link, source, index)
    if found.outcome is Outcome.MISSING:
        stub = index.stubs.get(fold(found.target))
        if stub is not None:
            return Resolution(Outcome.NOTE, stub)
    return found


def _resolve_among_notes(link: Link, source: str, index: NoteIndex) -> Resolution:
    if _is_attachment(link.target):
        return Resolution(Outcome.ATTACHMENT, link.target)
    if link.kind is LinkKind.PATH:
        return _resolve_path(link.target, index)
    if link.kind is LinkKind.MARKDOWN or (link.kind is LinkKind.EMBED and not link.raw.startswith("![[")):
        return _resolve_markdown(link.target, source, index)
    return _resolve_wikilink(link.target, source, index)


def _resolve_path(target: str, index: NoteIndex) -> Resolution:
    inside = _inside_vault(target)
    if inside is None:
        return Resolution(Outcome.REFUSED, target)
    return _found(index.exact(inside), index) or Resolution(Outcome.MISSING, _with_extension(inside, index.config))


def _resolve_markdown(target: str, source: str, index: NoteIndex) -> Resolution:
    relative = _inside_vault(posixpath.join(posixpath.dirname(source), target))
    if relative is None or _is_absolute(target):
        return Resolution(Outcome.REFUSED, target)
    found = _found(index.exact(relative), index)
    if found:
        return found
    # Obsidian also reads markdown link paths as vault-absolute or as bare names.
    by_name = _lookup_name(target, index)
    if by_name:
        return by_name
    return Resolution(Outcome.MISSING, _with_extension(relative, index.config))


def _resolve_wikilink(target: str, source: str, index: NoteIndex) -> Resolution:
    if target.startswith(("./", "../")):
        relative = _inside_vault(posixpath.join(posixpath.dirname(source), target))
        if relative is None:
            return Resolution(Outcome.REFUSED, target)
        missing = Resolution(Outcome.MISSING, _with_extension(relative, index.config))
        return _found(index.exact(relative), index) or missing
    inside = _inside_vault(target)
    if inside is None:
        return Resolution(Outcome.REFUSED, target)
    found = _lookup_name(inside, index)
    if found:
        return found
    new_path = _new_note_path(inside, source, index.config)
    if new_path is None:
        return Resolution(Outcome.REFUSED, target)
    return Resolution(Outcome.MISSING, _with_extension(new_path, index.config))


def _lookup_name(target: str, index: NoteIndex) -> Resolution | None:
    """Vault path, then unique trailing path or file name, then alias."""
    for candidates in (index.exact(target), index.suffix(target), index.alias(target)):
        found = _found(candidates, index)
        if found:
            return found
    return None


def _new_note_path(target: str, source: str, config: Config) -> str | None:
    """Where Obsidian would create the note a bare ``[[Name]]`` asks for; None if the
    configured folder for new notes lies outside the vault."""
    if "/" in target:
        return target
    if config.new_file_location == "current":
        folder = posixpath.dirname(source)
    elif config.new_file_location == "folder":
        folder = config.new_file_folder.strip("/")
    else:
        folder = ""
    return _inside_vault(posixpath.join(folder, target)) if folder else target


def resolve_all(
    notes: Sequence[Note], config: Config, unreadable: Iterable[str] = (), ignored: Iterable[str] = ()
) -> list[ResolvedLink]:
    """Every link of every note, resolved; ``unreadable`` and ``ignored`` as for ``NoteIndex``."""
    index = NoteIndex(notes, config, unreadable, ignored)
    return [
        ResolvedLink(n.path, link, resolve_link(link, n.path, index), line)
        for n in notes
        for link, line in n.located_links()
    ]


def link_diagnostics(resolved: Iterable[ResolvedLink]) -> list[Diagnostic]:
    """Ambiguous, refused, broken links and links to unreadable notes, one diagnostic each,
    naming the linking note and the link's line."""
    out: list[Diagnostic] = []
    for r in resolved:
        res = r.resolution
        written = r.link.written()
        if res.outcome is Outcome.AMBIGUOUS:
            message = f"{written} matches {len(res.candidates)} notes: " + ", ".join(res.candidates)
            out.append(link_diagnostic(r, "ambiguous-link", message))
        elif res.outcome is Outcome.REFUSED:
            out.append(link_diagnostic(r, "outside-vault", f"{written} points outside the vault; ignored"))
        elif res.outcome is Outcome.UNREADABLE:
            message = f"{written} leads to {res.target}, which can't be read (see its own problem)"
            out.append(link_diagnostic(r, "unreadable-target", message))
        elif res.outcome is Outcome.MISSING:
            out.append(link_diagnostic(r, "broken-link", f"{written} has no note; it would be {res.target}"))
    return out


def link_diagnostic(r: ResolvedLink, code: str, message: str) -> Diagnostic:
    """A problem with one link, at the link's line of its note."""
    return Diagnostic(r.source, code, message, lineno=r.line)


def demote_stub_links(links: Iterable[ResolvedLink], stub_paths: Iterable[str]) -> list[ResolvedLink]:
    """Links that reach an unedited stub count as links to a missing note: a stub is
    vaultlink's own text and must not change the graph it was made from (GUIDE property 6)."""
    stubs = set(stub_paths)
    out = []
    for r in links:
        if r.resolution.outcome is Outcome.NOTE and r.resolution.target in stubs:
            r = ResolvedLink(r.source, r.link, Resolution(Outcome.MISSING, r.resolution.target), r.line)
        out.append(r)
    return out
