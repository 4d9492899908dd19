"""Reading a vault: list its notes, read and parse them (the cache's parses reused), resolve
their links. ``scan_vault`` is the whole of it; the sync use case runs the steps itself, to end
early when nothing changed (``memo.py``)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from vaultlink.cache import ScanCache, cache_warning
from vaultlink.cache_file import open_cache
from vaultlink.config import load_config
from vaultlink.core.config import Config, Rule
from vaultlink.core.digest import digest
from vaultlink.core.evidence import LineCounts, boilerplate_of
from vaultlink.core.frontmatter import split_frontmatter
from vaultlink.core.note import Diagnostic, Note, ParsedNote, Severity
from vaultlink.core.parse import NO_BOILERPLATE, is_stub_text, parse_key, parse_note, shown_lines
from vaultlink.core.plan import Source, SyncOptions
from vaultlink.core.resolve import ResolvedLink, demote_stub_links, fold, resolve_all
from vaultlink.core.scope import OPT_OUT_KEY, NoteScope, RuleSet, note_scope
from vaultlink.core.stubs import link_problems, near_names
from vaultlink.gone import load_gone
from vaultlink.lock import STATE_DIR, holds_lock, state_folder_problem
from vaultlink.parallel import parse_many
from vaultlink.progress import NO_PROGRESS, Advance, Progress
from vaultlink.vault import Listing, NoteFile, list_notes, read_note_file, vault_root
from vaultlink.writer import CHANGED, DELETED, WriteRefused, remove_temp_file

# Diagnostics that make a note read-only: it was read "as well as possible", never rewritten.
_READONLY_CODES = frozenset({"frontmatter", "managed-block"})


class VaultSources:
    """Each readable note's ``Source``, for the planner (``core.plan.Sources``): kept in memory
    from the scan (``keep``), or read again from its file each time ``read`` asks for it. The
    texts of a 100,000-note vault are some 200 MB, and a sync needs each one only while it plans
    that note.

    A file read again whose bytes are no longer those the scan parsed is given as it is now
    (or empty, if it can't be read) and noted in ``changed`` with why: whatever was planned
    from it must be dropped, and the note reported as the writer reports one changed since it
    was read (``apply.leave_changed_alone``).
    """

    def __init__(self, root: Path, max_bytes: int, *, keep: bool = True) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self.keep = keep
        self.changed: dict[str, str] = {}
        self._kept: dict[str, Source] = {}
        self._digests: dict[str, str] = {}

    def add(self, source: Source) -> None:
        if self.keep:
            self._kept[source.path] = source
        else:
            self._digests[source.path] = source.digest

    def read(self, rel: str) -> Source:
        """The note's source: from memory if kept, else read from its file now."""
        if self.keep:
            return self._kept[rel]
        file = read_note_file(self.root, rel, self.max_bytes)
        if rel not in self._digests:  # a scan of names only (``answers.Answers.scan``): as it is now
            data = file.data if isinstance(file, NoteFile) else b""
            return Source(rel, data.decode("utf-8", "replace"), digest(data))
        expected = self._digests[rel]
        if isinstance(file, NoteFile) and digest(file.data) == expected:
            return Source(rel, file.data.decode("utf-8"), expected)
        gone = not (self.root / rel).exists()
        self.changed[rel] = DELETED if gone else CHANGED
        text = file.data.decode("utf-8", "replace") if isinstance(file, NoteFile) else ""
        return Source(rel, text, expected)

    def kept(self) -> dict[str, Source]:
        """Every source, as kept in memory by the scan (``keep``)."""
        assert self.keep, "sources not kept: read each one"
        return dict(self._kept)


@dataclass
class VaultScan:
    """A whole vault, read: its notes, their sources, resolved links, and every diagnostic."""

    root: Path
    config: Config
    sources: VaultSources
    notes: list[Note] = field(default_factory=list)
    links: list[ResolvedLink] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    readonly: dict[str, str] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)
    """Every note file found (folded), readable or not: no stub may be planned over one."""
    unreadable: list[str] = field(default_factory=list)
    """The note files found that could not be read: links still find them (``NoteIndex``)."""
    ignored: list[str] = field(default_factory=list)
    """The note files the scope leaves out (ignored, templates): links find them, unread."""
    warnings: list[Diagnostic] = field(default_factory=list)
    """About vaultlink's own state (the cache), not the vault: printed, never a failure."""
    scopes: dict[str, NoteScope] = field(default_factory=dict)
    """The notes whose scope is not the full one (``core/scope.py``): rules, opt-outs, asks."""
    with_blocks: dict[str, Source] = field(default_factory=dict)
    """The note files out of scope (``ignored``) that still hold blocks vaultlink wrote before
    they were (a template synced by an older vaultlink): sync and clean remove the blocks."""
    gone: dict[str, str] = field(default_factory=dict)
    """Notes the user deleted or renamed under ``watch``, by folded path: the new path, or ""
    (``gone.py``); none is at its path now."""
    read_as: dict[str, str] = field(default_factory=dict)
    """Each listed note as it was read: its parse key, or why it could not be read
    (``file_state``). What the scan made of the vault is a function of these (``answers.py``)."""

    @property
    def linked_notes(self) -> list[Note]:
        """The notes that take part in the graph: all but unedited stubs."""
        return [n for n in self.notes if not n.is_stub]


@dataclass(frozen=True)
class CacheOptions:
    """Whether and where the scan cache lives (``None``: the vault's ``.vaultlink/``).

    Not ``writable``: an existing cache is used but nothing is created or updated, for
    the commands that promise to write nothing (``check``, ``graph``, ``related``, dry runs).
    """

    enabled: bool = True
    folder: str | os.PathLike[str] | None = None
    writable: bool = True

    def read_only(self) -> CacheOptions:
        return dataclasses.replace(self, writable=False)

    def folder_for(self, root: Path) -> Path:
        return Path(self.folder) if self.folder is not None else root / STATE_DIR


USE_CACHE = CacheOptions()
NO_CACHE = CacheOptions(enabled=False)
READ_CACHE = CacheOptions(writable=False)


@contextlib.contextmanager
def open_vault_cache(
    root: Path, config: Config, options: CacheOptions, warnings: list[Diagnostic]
) -> Iterator[ScanCache | None]:
    """The vault's cache for the duration (saved at the end), or None; problems become warnings."""
    if not options.enabled:
        yield None
        return
    unsafe = state_folder_problem(root) if options.folder is None else ""
    if unsafe:
        warnings.append(cache_warning(root / STATE_DIR, f"{unsafe}; running without a cache"))
        yield None
        return
    cache, warning = open_cache(options.folder_for(root), config, writable=options.writable)
    if warning is not None:
        warnings.append(warning)
    try:
        yield cache
    finally:
        if cache is not None:
            failed = cache.save()
            if failed is not None:
                warnings.append(failed)
            cache.close()


def scan_vault(
    path: str | os.PathLike[str],
    cache: CacheOptions = READ_CACHE,
    progress: Progress = NO_PROGRESS,
    *,
    keep_texts: bool = True,
) -> VaultScan:
    """Read and parse every note (reusing the cache's parses), then resolve every link. Without
    ``keep_texts`` the notes' texts are read again when asked for (``VaultSources``)."""
    root = vault_root(path)
    config = load_config(root)
    warnings: list[Diagnostic] = []
    with open_vault_cache(root, config, cache, warnings) as store:
        listing = list_vault(root, config, warnings)
        scan = read_vault(root, config, listing, store, progress, keep_texts=keep_texts)
    progress.close()
    scan.warnings.extend(warnings)
    return scan


def list_vault(root: Path, config: Config, warnings: list[Diagnostic]) -> Listing:
    """The vault's notes. Holding the vault's lock, also remove the temp files a run killed
    mid-write left behind (no other run can be writing then); one that can't be removed is
    a warning."""
    listing = list_notes(root, config)
    if holds_lock(root):
        for rel in listing.temp_files:
            try:
                remove_temp_file(root, rel)
            except (OSError, WriteRefused) as exc:
                why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                message = f"temp file left by an interrupted run; cannot be removed ({why})"
                warnings.append(Diagnostic(str(root / rel), "temp-file", message, Severity.WARNING))
    return listing


def read_vault(
    root: Path,
    config: Config,
    listing: Listing,
    cache: ScanCache | None,
    progress: Progress = NO_PROGRESS,
    *,
    keep_texts: bool = True,
) -> VaultScan:
    """The scan of the listed notes; parses come from ``cache`` where their bytes are unchanged."""
    sources = VaultSources(root, config.max_bytes, keep=keep_texts)
    listed = {fold(p) for p in (*listing.paths, *listing.ignored)}
    scan = VaultScan(root, config, sources, diagnostics=list(listing.diagnostics), listed=listed)
    advance = progress.step("reading", len(listing.paths))
    for rel, loaded in zip(listing.paths, _load_notes(root, listing.paths, config, cache, advance), strict=True):
        scan.read_as[rel] = loaded.read_as
        scan.diagnostics.extend(loaded.diagnostics)
        if loaded.note is None or loaded.source is None:
            continue
        scan.notes.append(loaded.note)
        sources.add(loaded.source)
        if loaded.readonly:
            scan.readonly[loaded.note.path] = loaded.readonly
        if loaded.scope is not None:
            scan.scopes[loaded.note.path] = loaded.scope
    if cache is not None:
        cache.keep_only(listing.paths)
    readable = {n.path for n in scan.notes}
    scan.unreadable = [p for p in listing.paths if p not in readable]
    scan.ignored = list(listing.ignored)
    scan.with_blocks = blocks_out_of_scope(root, scan.ignored, config.max_bytes)
    for source in scan.with_blocks.values():
        sources.add(source)  # read again, and checked, as any note's (``VaultSources.read``)
    links = resolve_all(scan.notes, config, scan.unreadable, scan.ignored)
    scan.links = demote_stub_links(links, (n.path for n in scan.notes if n.is_stub))
    policy = SyncOptions.from_config(config).stub_policy(config)
    scan.gone = gone_notes(root, listed)
    near = near_names(p.path for p in scan.linked_notes)
    scan.diagnostics.extend(link_problems(scan.links, policy, near, scan.gone))
    return scan


def gone_notes(root: Path, listed: set[str]) -> dict[str, str]:
    """The record of the notes gone under ``watch`` (``gone.py``), by folded path, but those
    ``listed`` (folded) again."""
    return {fold(path): new for path, new in load_gone(root).items() if fold(path) not in listed}


def file_state(file: NoteFile | Diagnostic) -> str:
    """What a note file read gives the scan: its parse key (``parse.parse_key``), or "!" and why
    it can't be read."""
    return "!" + file.line() if isinstance(file, Diagnostic) else parse_key(file.data)


def _load_notes(
    root: Path, paths: list[str], config: Config, cache: ScanCache | None, advance: Advance
) -> Iterator[LoadedNote]:
    """Each note read and parsed, in ``paths`` order. Every file's bytes are read first (the
    parse in worker processes needs them); each is let go as soon as its note is yielded."""
    files = {rel: read_note_file(root, rel, config.max_bytes) for rel in paths}
    keys = {rel: parse_key(f.data) for rel, f in files.items() if isinstance(f, NoteFile)}
    parsed = {rel: cache.parsed(rel, key) for rel, key in keys.items()} if cache is not None else {}
    misses = [(rel, f.data) for rel, f in files.items() if isinstance(f, NoteFile) and parsed.get(rel) is None]
    found = vault_boilerplate(parsed, misses, config)
    for rel in unsettled(parsed, found):  # read without other lines than the vault's boilerplate now
        parsed[rel] = None
        misses.append((rel, files[rel].data))  # type: ignore[union-attr]  # a NoteFile: it has a parse
    advance(len(paths) - len(misses))
    parses = parse_many(misses, config, advance=advance, boilerplate=found)
    fresh = dict(zip((rel for rel, _ in misses), parses, strict=True))
    del parses
    del misses
    for rel in paths:
        file = files.pop(rel)
        if isinstance(file, Diagnostic):
            yield LoadedNote(None, None, (file,), read_as=file_state(file))
            continue
        cached = parsed.pop(rel, None)
        note = cached if cached is not None else fresh.pop(rel)
        file_digest = digest(file.data)
        if cache is not None:
            cache.record(rel, file.stamp, file_digest, keys[rel], note if cached is None else None)
        loaded = _loaded_note(root, rel, file.data, file_digest, note, config.rules)
        yield dataclasses.replace(loaded, read_as=keys[rel])


_MARKER = b"<!-- vaultlink:"


def blocks_out_of_scope(root: Path, paths: Iterable[str], max_bytes: int) -> dict[str, Source]:
    """The sources of the files among ``paths`` that hold a vaultlink block (and are no stub)."""
    found: dict[str, Source] = {}
    for rel in paths:
        file = read_note_file(root, rel, max_bytes)
        if not isinstance(file, NoteFile) or _MARKER not in file.data:
            continue
        try:
            text = file.data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not is_stub_text(text):
            found[rel] = Source(rel, text, digest(file.data))
    return found


def vault_boilerplate(
    parsed: dict[str, ParsedNote | None], unparsed: list[tuple[str, bytes]], config: Config
) -> frozenset[int]:
    """The vault's boilerplate lines (``core/evidence.py``), counted on the cached parses' lines and
    the bytes of the notes not parsed yet."""
    lines = [p.note.lines for p in parsed.values() if p is not None and p.note is not None]
    lines += [shown_lines(data, config.max_bytes) for _, data in unparsed]
    return LineCounts(lines).boilerplate()


def unsettled(parsed: dict[str, ParsedNote | None], found: frozenset[int]) -> list[str]:
    """The parsed notes read without other lines than the boilerplate ``found`` says: to parse again."""
    return [
        rel
        for rel, p in parsed.items()
        if p is not None and p.note is not None and boilerplate_of(p.note.lines, found) != p.note.boilerplate
    ]


@dataclass(frozen=True)
class LoadedNote:
    """One note file read (its bytes: ``vault.read_note_file``) and parsed; ``readonly`` says
    why it must never be rewritten."""

    note: Note | None
    source: Source | None
    diagnostics: tuple[Diagnostic, ...]
    readonly: str = ""
    scope: NoteScope | None = None
    """What vaultlink may do with the note, when not everything (``core/scope.py``)."""
    read_as: str = ""
    """The file's ``file_state`` (set by a scan)."""


def load_note(root: Path, rel: str, config: Config, boilerplate: frozenset[int] = NO_BOILERPLATE) -> LoadedNote:
    """One note file read and parsed now, with the vault's ``boilerplate`` lines (the watcher's, for
    a saved note)."""
    file = read_note_file(root, rel, config.max_bytes)
    if isinstance(file, Diagnostic):
        return LoadedNote(None, None, (file,))
    parsed = parse_note(rel, file.data, config, boilerplate)
    return _loaded_note(root, rel, file.data, digest(file.data), parsed, config.rules)


def _loaded_note(
    root: Path, rel: str, data: bytes, data_digest: str, parsed: ParsedNote, rules: tuple[Rule, ...]
) -> LoadedNote:
    if parsed.note is None:
        return LoadedNote(None, None, parsed.diagnostics)
    readonly = readonly_reason(parsed.diagnostics)
    if (root / rel).is_symlink():
        readonly = "note is a symbolic link; not written through"
    text = data.decode("utf-8")
    scope = _scope(parsed.note, text, rules)
    return LoadedNote(parsed.note, Source(rel, text, data_digest), parsed.diagnostics, readonly, scope)


@functools.lru_cache(maxsize=8)
def _rule_set(rules: tuple[Rule, ...]) -> RuleSet:
    return RuleSet(rules)


def _scope(note: Note, text: str, rules: tuple[Rule, ...]) -> NoteScope | None:
    """The note's scope if it is not the full one. Its frontmatter is read again only when it
    has a ``vaultlink`` key (a parse from the cache keeps the keys, not the values)."""
    metadata = split_frontmatter(text.removeprefix("\ufeff")).metadata if OPT_OUT_KEY in note.metadata_keys else {}
    scope = note_scope(note.path, _rule_set(rules), metadata, text, note.links)
    return None if scope == NoteScope() else scope


def readonly_reason(diagnostics: Iterable[Diagnostic]) -> str:
    """Why a note read with these problems must never be rewritten ("" if it may be): it was read
    "as well as possible" (broken frontmatter, a damaged block)."""
    return next((f"{d.code}: {d.message}" for d in diagnostics if d.code in _READONLY_CODES), "")
