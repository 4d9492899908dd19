"""The use cases, wiring the pure core to the file system. No printing, no exiting."""

from __future__ import annotations

import difflib
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from vaultlink.config import load_config
from vaultlink.core.config import Config
from vaultlink.core.graph import build_graph
from vaultlink.core.note import Diagnostic, Link, LinkKind, Note
from vaultlink.core.parse import parse_note
from vaultlink.core.plan import Edit, Plan, Source, SyncOptions, outgoing_links, plan_clean, plan_sync
from vaultlink.core.rank import Suggestion, related
from vaultlink.core.resolve import (
    NoteIndex,
    Outcome,
    ResolvedLink,
    demote_stub_links,
    fold,
    link_diagnostics,
    resolve_all,
)
from vaultlink.core.resolve import resolve_link as resolve_one
from vaultlink.errors import OutputError, VaultlinkError
from vaultlink.export import write_graphml
from vaultlink.vault import IgnoreRules, list_notes, read_note_bytes, vault_root
from vaultlink.writer import WriteRefused, delete_file, digest, vault_lock, write_file

# Diagnostics that make a note read-only: it was read "as well as possible", never rewritten.
_READONLY_CODES = frozenset({"frontmatter", "managed-block"})


@dataclass
class VaultScan:
    """A whole vault, read: its notes, their sources, resolved links, and every diagnostic."""

    root: Path
    config: Config
    notes: list[Note] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    links: list[ResolvedLink] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    readonly: dict[str, str] = field(default_factory=dict)
    listed: set[str] = field(default_factory=set)
    """Every note file found (folded), readable or not: no stub may be planned over one."""

    @property
    def linked_notes(self) -> list[Note]:
        """The notes that take part in the graph: all but unedited stubs."""
        return [n for n in self.notes if not n.is_stub]


def scan_vault(path: str | os.PathLike[str]) -> VaultScan:
    """Read and parse every note, then resolve every link."""
    root = vault_root(path)
    config = load_config(root)
    listing = list_notes(root, config)
    scan = VaultScan(root, config, diagnostics=list(listing.diagnostics), listed={fold(p) for p in listing.paths})
    for rel in listing.paths:
        read = read_note(root, rel, config)
        scan.diagnostics.extend(read.diagnostics)
        if read.note is None or read.source is None:
            continue
        scan.notes.append(read.note)
        scan.sources[rel] = read.source
        if read.readonly:
            scan.readonly[rel] = read.readonly
    links = resolve_all(scan.notes, config)
    scan.links = demote_stub_links(links, (n.path for n in scan.notes if n.is_stub))
    unreadable = scan.listed - {fold(n.path) for n in scan.notes}
    scan.diagnostics.extend(link_diagnostics(scan.links, unreadable))
    return scan


@dataclass(frozen=True)
class NoteRead:
    """One note file read and parsed; ``readonly`` says why it must never be rewritten."""

    note: Note | None
    source: Source | None
    diagnostics: tuple[Diagnostic, ...]
    readonly: str = ""


def read_note(root: Path, rel: str, config: Config) -> NoteRead:
    data = read_note_bytes(root, rel, config.max_bytes)
    if isinstance(data, Diagnostic):
        return NoteRead(None, None, (data,))
    parsed = parse_note(rel, data, config)
    if parsed.note is None:
        return NoteRead(None, None, parsed.diagnostics)
    readonly = next((f"{d.code}: {d.message}" for d in parsed.diagnostics if d.code in _READONLY_CODES), "")
    if (root / rel).is_symlink():
        readonly = "note is a symbolic link; not written through"
    return NoteRead(parsed.note, Source(rel, data.decode("utf-8"), digest(data)), parsed.diagnostics, readonly)


def concept_graph(scan: VaultScan) -> nx.DiGraph[str]:
    return build_graph(scan.linked_notes, scan.links, scan.config)


@dataclass(frozen=True)
class GraphSummary:
    notes: int
    missing: int
    concepts: int
    links: int
    mentions: int


def summarize(graph: nx.DiGraph[str]) -> GraphSummary:
    kinds: Counter[str] = Counter(str(kind) for _, kind in graph.nodes(data="kind"))
    edge_kinds: Counter[str] = Counter(str(data["kind"]) for _, _, data in graph.edges(data=True))
    mentions = edge_kinds.pop("mentions", 0)
    return GraphSummary(kinds["note"], kinds["missing"], kinds["concept"], sum(edge_kinds.values()), mentions)


def export_graph(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> tuple[GraphSummary, VaultScan]:
    """Build the concept graph of the vault at ``path`` and write it as GraphML to ``out``."""
    scan = scan_vault(path)
    graph = concept_graph(scan)
    try:
        write_graphml(graph, Path(out))
    except OSError as exc:
        raise OutputError(f"{out}: cannot write the graph: {exc.strerror or exc}") from exc
    return summarize(graph), scan


def check_vault(path: str | os.PathLike[str]) -> VaultScan:
    """Everything wrong with a vault: broken, ambiguous and refused links, bad files."""
    return scan_vault(path)


@dataclass
class SyncReport:
    """What a sync or clean did (or, dry, would do)."""

    scanned: int = 0
    changed: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    diff: str = ""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def pending(self) -> int:
        return len(self.changed) + len(self.created) + len(self.deleted)


def sync(path: str | os.PathLike[str], options: SyncOptions | None = None, *, dry_run: bool = False) -> SyncReport:
    """Bring every Related block, Backlinks block and stub up to date.

    With ``dry_run`` nothing is written (and no lock is taken); the report carries a
    unified diff of what would change.
    """
    if dry_run:
        scan = scan_vault(path)
        return _report(scan, _sync_plan(scan, options or SyncOptions.from_config(scan.config)), dry_run=True)
    root = vault_root(path)
    with vault_lock(root, "sync"):
        scan = scan_vault(root)
        return _report(scan, _sync_plan(scan, options or SyncOptions.from_config(scan.config)), dry_run=False)


def sync_options(
    path: str | os.PathLike[str],
    *,
    top: int | None = None,
    min_score: float | None = None,
    backlinks: bool | None = None,
    stubs: bool | None = None,
) -> SyncOptions:
    """The vault's sync settings with the given overrides (None keeps the vault's setting)."""
    options = SyncOptions.from_config(load_config(vault_root(path)))
    return SyncOptions(
        top=options.top if top is None else top,
        min_score=options.min_score if min_score is None else min_score,
        backlinks=options.backlinks if backlinks is None else backlinks,
        stub_kinds=options.stub_kinds if stubs is None or stubs else (),
    )


def clean(path: str | os.PathLike[str], *, dry_run: bool = False) -> SyncReport:
    """Remove every managed block and every stub nobody edited."""
    if dry_run:
        scan = scan_vault(path)
        return _report(scan, plan_clean(scan.notes, scan.sources, scan.readonly), dry_run=True)
    root = vault_root(path)
    with vault_lock(root, "clean"):
        scan = scan_vault(root)
        return _report(scan, plan_clean(scan.notes, scan.sources, scan.readonly), dry_run=False)


def _sync_plan(scan: VaultScan, options: SyncOptions) -> Plan:
    graph = concept_graph(scan)
    notes = {n.path: n for n in scan.notes}
    plan = plan_sync(notes, scan.sources, scan.links, graph, scan.config, options, scan.readonly)
    return drop_unsafe_creates(plan, scan.listed, IgnoreRules(scan.config))


def drop_unsafe_creates(plan: Plan, listed: set[str], rules: IgnoreRules) -> Plan:
    """No stub over a file that exists but can't be read (the scan reported it), and none
    inside an ignored folder."""
    kept: list[Edit] = []
    for edit in plan.edits:
        if edit.old_digest is None and fold(edit.path) in listed:
            continue
        if edit.old_digest is None and rules.ignores_path(edit.path):
            plan.skipped.append((edit.path, "stub would land in an ignored folder; not created"))
        else:
            kept.append(edit)
    plan.edits = kept
    return plan


def _report(scan: VaultScan, plan: Plan, *, dry_run: bool) -> SyncReport:
    report = SyncReport(scanned=len(scan.notes), skipped=list(plan.skipped), diagnostics=scan.diagnostics)
    diffs: list[str] = []
    for edit in plan.edits:
        if dry_run:
            diffs.append(_unified_diff(scan, edit))
        else:
            refused = try_edit(scan.root, edit)
            if refused:
                report.skipped.append((edit.path, refused))
                continue
        _count(report, edit)
    report.diff = "".join(diffs)
    return report


def try_edit(root: Path, edit: Edit) -> str:
    """Apply one edit; "" when done, else why this file was left alone (the run goes on)."""
    try:
        if edit.new_text is None:
            assert edit.old_digest is not None
            delete_file(root, edit.path, edit.old_digest)
        else:
            write_file(root, edit.path, edit.new_text.encode("utf-8"), edit.old_digest)
    except WriteRefused as exc:
        return str(exc)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def _count(report: SyncReport, edit: Edit) -> None:
    if edit.new_text is None:
        report.deleted.append(edit.path)
    elif edit.old_digest is None:
        report.created.append(edit.path)
    else:
        report.changed.append(edit.path)


def _unified_diff(scan: VaultScan, edit: Edit) -> str:
    old = scan.sources[edit.path].text if edit.old_digest is not None else ""
    new = edit.new_text or ""
    before = "/dev/null" if edit.old_digest is None else f"a/{edit.path}"
    after = "/dev/null" if edit.new_text is None else f"b/{edit.path}"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=before, tofile=after
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


class NoteNotFound(VaultlinkError):
    pass


def find_note(scan: VaultScan, name: str) -> Note:
    """A note named the way a user would type it: a path, a file name or an alias."""
    index = NoteIndex(scan.notes, scan.config)
    resolution = resolve_one(Link(name, LinkKind.WIKILINK, name), "", index)
    if resolution.outcome is Outcome.NOTE:
        return next(n for n in scan.notes if n.path == resolution.target)
    if resolution.outcome is Outcome.AMBIGUOUS:
        raise NoteNotFound(f"{scan.root}: '{name}' matches several notes: {', '.join(resolution.candidates)}")
    raise NoteNotFound(f"{scan.root}: no note named '{name}'")


def related_notes(
    path: str | os.PathLike[str], name: str | None, *, top: int, min_score: float = 0.0
) -> dict[str, list[Suggestion]]:
    """Ranked related notes (with scores and reasons) of one note, or of every note."""
    scan = scan_vault(path)
    graph = concept_graph(scan)
    outgoing = outgoing_links(scan.links)
    notes = [find_note(scan, name)] if name is not None else scan.linked_notes
    return {
        n.path: related(graph, n.path, top=top, min_score=min_score, exclude=outgoing.get(n.path, set())) for n in notes
    }
