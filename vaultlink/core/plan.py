"""plan_sync / plan_clean: notes + graph in, the list of file edits out. Empty when up to date.

Pure: the adapter reads the files into ``Source`` records (through ``Sources``, whose ``read`` may
read each file only when it is asked for it, so each note's source is read once) and applies the
``Edit``s.
Every edit carries the digest of the bytes it was planned from, so the writer can refuse
to replace a file the user changed in the meantime.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from vaultlink.core.blocks import (
    content_end_of_text,
    find_related_anchor,
    heading_line,
    remove_all_blocks,
    render_block,
    scan_blocks,
    set_block,
)
from vaultlink.core.config import Config
from vaultlink.core.link_style import LinkStyle
from vaultlink.core.neighbours import Neighbours
from vaultlink.core.note import LinkKind, Note, Suggestion
from vaultlink.core.parse import is_stub_text
from vaultlink.core.reason_words import reason_line
from vaultlink.core.resolve import ResolvedLink, fold
from vaultlink.core.scope import FULL_SCOPE, NoteScope
from vaultlink.core.stubs import (
    MORE_LINE,
    StubPolicy,
    WantedStub,
    backlinks_lines,
    capped,
    hold_new_stubs,
    near_names,
    not_a_stub,
    stub_aware_style,
    wanted_stubs,
)

RELATED = "related"
BACKLINKS = "backlinks"
STUB_FRONTMATTER = ("---", "vaultlink: stub", "---")


@dataclass(frozen=True)
class Source:
    """A note file as read: full decoded text (a BOM kept as U+FEFF) and its bytes' digest."""

    path: str
    text: str
    digest: str


class Sources(Protocol):
    """Where the planner gets each note's ``Source``. ``read`` may read the file from disk
    (``scan.VaultSources``), so the planner reads each note's source once."""

    def read(self, path: str) -> Source: ...


@dataclass(frozen=True)
class SourcesInMemory:
    """``Sources`` already in memory (the watcher's, and tests')."""

    by_path: Mapping[str, Source]

    def read(self, path: str) -> Source:
        return self.by_path[path]


class EditKind(Enum):
    REWRITE = "rewrite"
    """An existing file gets ``new_text``, if it still holds the bytes of ``old_digest``."""
    CREATE = "create"
    """A new file (a stub) with ``new_text``; ``old_digest`` is None."""
    DELETE = "delete"
    """The file (a stub) goes, if it still holds the bytes of ``old_digest``; ``new_text`` is None."""


@dataclass(frozen=True)
class Edit:
    """One file's edit: its ``kind`` says what happens, the digest the bytes it was planned from
    (the writer checks them again), the text what is written."""

    path: str
    old_digest: str | None
    new_text: str | None
    kind: EditKind

    def __post_init__(self) -> None:
        created, deleted = self.kind is EditKind.CREATE, self.kind is EditKind.DELETE
        if (self.old_digest is None) != created or (self.new_text is None) != deleted:
            text = "no text" if self.new_text is None else "a text"
            raise ValueError(f"{self.path}: a {self.kind.value} edit with digest {self.old_digest!r} and {text}")

    @classmethod
    def rewrite(cls, path: str, old_digest: str, new_text: str) -> Edit:
        return cls(path, old_digest, new_text, EditKind.REWRITE)

    @classmethod
    def create(cls, path: str, new_text: str) -> Edit:
        return cls(path, None, new_text, EditKind.CREATE)

    @classmethod
    def delete(cls, path: str, old_digest: str) -> Edit:
        return cls(path, old_digest, None, EditKind.DELETE)


@dataclass(frozen=True)
class SyncOptions:
    top: int = 5
    min_score: float = 0.0
    backlinks: bool = True
    stub_kinds: tuple[LinkKind, ...] = (LinkKind.WIKILINK, LinkKind.PATH)
    min_citers: int = Config.stub_min_citers
    stub_limit: int | None = Config.stub_limit
    """None: every stub the policy allows is made, however many (``sync --all-stubs``)."""
    backlinks_limit: int | None = Config.backlinks_limit
    """Entries a Backlinks block lists at most, then a line saying how many more (None: all)."""

    @classmethod
    def from_config(cls, config: Config) -> SyncOptions:
        """The vault's own settings (``.vaultlink.toml``), before any command-line override."""
        return cls(
            top=config.related_top,
            min_score=config.related_min_score,
            backlinks=config.backlinks,
            stub_kinds=tuple(LinkKind(k) for k in config.stub_links),
            min_citers=config.stub_min_citers,
            stub_limit=config.stub_limit,
            backlinks_limit=config.backlinks_limit,
        )

    def stub_policy(self, config: Config) -> StubPolicy:
        return StubPolicy.of(config, self.stub_kinds, self.min_citers)


@dataclass(frozen=True)
class SyncOverrides:
    """Sync settings given for one run (the command line's), each overriding the vault's own;
    None keeps the vault's."""

    top: int | None = None
    min_score: float | None = None
    backlinks: bool | None = None
    stubs: bool | None = None
    all_stubs: bool = False
    """Make every stub the policy allows, however many: no per-run limit."""


def sync_options(config: Config, given: SyncOptions | SyncOverrides | None = None) -> SyncOptions:
    """The settings a sync runs with: ``given`` options as they are, or the vault's own
    (``SyncOptions.from_config``) with ``given`` overrides."""
    if isinstance(given, SyncOptions):
        return given
    options = SyncOptions.from_config(config)
    if given is None:
        return options
    return SyncOptions(
        top=options.top if given.top is None else given.top,
        min_score=options.min_score if given.min_score is None else given.min_score,
        backlinks=options.backlinks if given.backlinks is None else given.backlinks,
        stub_kinds=options.stub_kinds if given.stubs is None or given.stubs else (),
        min_citers=options.min_citers,
        stub_limit=None if given.all_stubs else options.stub_limit,
        backlinks_limit=options.backlinks_limit,
    )


@dataclass
class Plan:
    edits: list[Edit] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    related: dict[str, list[Suggestion]] = field(default_factory=dict)
    """Each planned note's Related list (the watcher records them: ``RelatedLists.record``)."""
    held: list[str] = field(default_factory=list)
    """New stubs not made: more than the per-run limit (``SyncOptions.stub_limit``)."""


def related_lines(
    note: Note, source: Source, suggestions: Sequence[Suggestion], style: LinkStyle, config: Config
) -> tuple[list[str], int]:
    """The Related block's lines (its heading, reasons in its words) and, if it does not exist yet, where it goes."""
    bom = 1 if source.text.startswith("\ufeff") else 0
    anchor = find_related_anchor(source.text, bom + note.body_offset, config.related_heading)
    prefix = anchor.path_prefix if anchor else ""
    entries = [
        f"- {style.link(s.path, note.path, prefix)} — {reason_line(s.reasons, config.reason_words)}"
        for s in suggestions
    ]
    if anchor is not None:
        return entries, anchor.position
    return ([heading_line(config.related_heading), *entries] if entries else []), content_end_of_text(source.text)


@dataclass
class LinkIndex:
    """What planning needs to know about the links as a whole. ``build`` computes it from
    scratch; the watcher keeps its own copy current instead (``live.py``)."""

    neighbours: Neighbours
    wanted: Mapping[str, WantedStub]
    stubs: Mapping[str, str]
    style: LinkStyle
    held: Sequence[str] = ()
    """New stubs the policy allows but the per-run limit holds back (not in ``wanted``)."""

    @classmethod
    def build(
        cls,
        notes: Iterable[Note],
        links: Sequence[ResolvedLink],
        config: Config,
        options: SyncOptions,
        scopes: Mapping[str, NoteScope] | None = None,
        gone: Collection[str] = (),
    ) -> LinkIndex:
        """``gone``: the notes (folded paths) the user deleted or renamed under ``watch``, where
        no stub may bring them back (``vaultlink/gone.py``)."""
        notes = list(notes)
        near = near_names(n.path for n in notes if not n.is_stub)
        stubs = {fold(n.path): n.path for n in notes if n.is_stub}
        wanted = wanted_stubs(links, options.stub_policy(config), scopes, near, stubs)
        wanted = {key: stub for key, stub in wanted.items() if key not in gone}
        wanted, held = hold_new_stubs(wanted, stubs, options.stub_limit)
        return cls(Neighbours(links), wanted, stubs, stub_aware_style(notes, wanted, config), held)


def plan_sync(
    notes: Mapping[str, Note],
    sources: Sources,
    links: Sequence[ResolvedLink],
    related: Mapping[str, list[Suggestion]],
    config: Config,
    options: SyncOptions,
    readonly: Mapping[str, str],
    only: Collection[str] | None = None,
    stub_scope: Collection[str] | None = None,
    index: LinkIndex | None = None,
    scopes: Mapping[str, NoteScope] | None = None,
) -> Plan:
    """Every edit that brings the vault's managed blocks and stubs up to date, given each note's
    ranked related notes (``related``, the notes it links to already left out). For an
    incremental update, ``only`` limits the notes planned and ``stub_scope`` the stubs
    (by folded path) to those whose blocks can have changed; ``index`` saves walking every
    link again. ``scopes`` holds the notes whose scope is not the full one (``core/scope.py``):
    a note vaultlink may not write loses the blocks it has, once."""
    plan = Plan()
    scopes = scopes or {}
    index = index or LinkIndex.build(notes.values(), links, config, options, scopes)
    plan.held = list(index.held)
    style, outgoing, incoming = index.style, index.neighbours.outgoing, index.neighbours.incoming
    empty: set[str] = set()
    for path in sorted(notes if only is None else set(only) & notes.keys()):
        note = notes[path]
        if note.is_stub:
            continue
        source = None if readonly.get(note.path) else sources.read(note.path)  # once: it may come from disk
        reason = readonly.get(note.path) or _damage(source.text if source is not None else "")
        if source is None or reason:
            plan.skipped.append((note.path, reason))
            continue
        if not scopes.get(note.path, FULL_SCOPE).write:
            text = remove_all_blocks(source.text)
            if text != source.text:
                plan.edits.append(Edit.rewrite(note.path, source.digest, text))
            continue
        mine = outgoing.get(note.path, empty)
        suggestions = related.get(note.path, [])
        plan.related[note.path] = suggestions
        lines, anchor = related_lines(note, source, suggestions, style, config)
        text = set_block(source.text, RELATED, lines, anchor)
        backlinks = sorted(incoming.get(note.path, empty) - mine - {note.path}) if options.backlinks else []
        entries = capped([f"- {style.link(p, note.path)}" for p in backlinks], options.backlinks_limit)
        back_lines = [heading_line(config.backlinks_heading), *entries] if backlinks else []
        text = set_block(text, BACKLINKS, back_lines, content_end_of_text(text))
        if text != source.text:
            _add_update(plan, Edit.rewrite(note.path, source.digest, text), source.text)
    _plan_stubs(plan, sources, index, readonly, stub_scope, (options.backlinks_limit, config.backlinks_heading))
    return plan


UNSAFE_EDIT = "a block here would be inside fenced code (a ``` or ~~~ never closed?), the user's text; left alone"


def _add_update(plan: Plan, edit: Edit, old: str) -> None:
    """Plan ``edit`` if the next run will find exactly the blocks it writes, and ``clean`` give
    back ``old``'s own text; else skip the note. A guard: the anchors are chosen so that it
    always holds."""
    assert edit.new_text is not None
    if not scan_blocks(edit.new_text).problems and remove_all_blocks(edit.new_text) == remove_all_blocks(old):
        plan.edits.append(edit)
    else:
        plan.skipped.append((edit.path, UNSAFE_EDIT))


# Every line vaultlink writes inside a block: a heading (``## Related``, or whichever heading the
# settings gave when it was written), an entry (a link as ``LinkStyle`` formats it, then " — " and
# why), or a capped block's last line. Anything else was typed there by someone else.
_OWN_LINE = re.compile(
    r"## [^\r\n]*\S|" + MORE_LINE + "|"
    r"- (?:\[\[[^\]\r\n]+\]\]|\[(?:\\.|[^\]\\\r\n])*\]\([^)\s]*\)|~/[^\r\n]+)(?: — [^\r\n]*)?"
)


_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # where a note's lines end (not str.splitlines: U+2028 is text here)


def _damage(text: str) -> str:
    """Why the note's blocks must not be rewritten or removed, or "": a damaged block, or a
    block holding a line vaultlink did not write (the user's words, which a sync or a clean
    would otherwise replace)."""
    scan = scan_blocks(text)
    if scan.problems:
        return f"damaged managed block: {scan.problems[0]}"
    for block in scan.blocks:
        inside = _LINE_BREAK.split(text[block.start : block.end])[1:-1]
        foreign = next((line for line in inside if not _OWN_LINE.fullmatch(line)), None)
        if foreign is not None:
            return (
                f"managed block '{block.name}' holds a line vaultlink did not write ({foreign.strip()[:60]!r}); "
                "left alone: move the line out of the block"
            )
    return ""


def stub_text(lines: list[str]) -> str:
    return "\n".join([*STUB_FRONTMATTER, render_block(BACKLINKS, lines, "\n")]) + "\n"


def _plan_stubs(
    plan: Plan,
    sources: Sources,
    index: LinkIndex,
    readonly: Mapping[str, str],
    scope: Collection[str] | None,
    backlinks: tuple[int | None, str],
) -> None:
    """Create a stub for each missing note a link asks for; keep unedited stubs' Backlinks (``backlinks``:
    at most so many, under this heading) current; delete unedited stubs nobody cites any more."""
    wanted, stubs, style = index.wanted, index.stubs, index.style
    for key, stub in sorted(wanted.items()):
        if scope is not None and key not in scope:
            continue
        lines = backlinks_lines(stub, sources, style, *backlinks)
        existing = stubs.get(key)
        if existing is None:
            plan.edits.append(Edit.create(stub.path, stub_text(lines)))
            continue
        source = sources.read(existing)
        reason = readonly.get(existing) or _damage(source.text) or not_a_stub(source.text)
        if reason:
            plan.skipped.append((existing, reason))
            continue
        text = set_block(source.text, BACKLINKS, lines, content_end_of_text(source.text))
        if text != source.text:
            _add_update(plan, Edit.rewrite(existing, source.digest, text), source.text)
    for key, existing in sorted(stubs.items()):
        if key not in wanted and (scope is None or key in scope):
            _delete_stub(plan, existing, sources.read(existing))


def _delete_stub(plan: Plan, path: str, source: Source) -> None:
    """Delete an unedited stub, unless a line was typed into its block (``_damage``) or its own
    bytes say it is not a stub after all."""
    reason = _damage(source.text) or not_a_stub(source.text)
    if reason:
        plan.skipped.append((path, reason))
    else:
        plan.edits.append(Edit.delete(path, source.digest))


def plan_clean(notes: Sequence[Note], sources: Sources, readonly: Mapping[str, str]) -> Plan:
    """Edits that remove every managed block and every unedited stub."""
    plan = Plan()
    for note in notes:
        source = sources.read(note.path)
        if note.is_stub and is_stub_text(source.text):
            _delete_stub(plan, note.path, source)
            continue
        found = scan_blocks(source.text)
        if not found.blocks and not found.problems:
            continue
        reason = readonly.get(note.path) or _damage(source.text)
        if reason:
            plan.skipped.append((note.path, reason))
            continue
        text = remove_all_blocks(source.text)
        if text != source.text:
            plan.edits.append(Edit.rewrite(note.path, source.digest, text))
    return plan
