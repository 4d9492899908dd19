"""Carrying out a plan: the guards a plan passes before it is applied, the writes themselves
(safe, ``writer.py``), and a dry run's preview (a unified diff, nothing written)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from vaultlink.core.plan import Edit, EditKind, Plan, Sources
from vaultlink.core.resolve import fold
from vaultlink.progress import Advance
from vaultlink.scan import VaultSources
from vaultlink.vault import IgnoreRules
from vaultlink.writer import WriteRefused, delete_file, read_only_reason, write_file


@dataclass(frozen=True)
class FileWrites:
    """How edits reach the files: the writer's safe write and delete. Tests pass their own (a
    user who saves a note just before vaultlink writes it)."""

    write: Callable[[Path, str, bytes, str | None], None] = write_file
    delete: Callable[[Path, str, str], None] = delete_file


SAFE_WRITES = FileWrites()

# Notes rewritten at once: each write waits on its own fsync, and the file system commits the
# fsyncs of concurrent writes together (on ext4, 800 rewrites took 0.65 s in 8 threads, 8.1 s in one).
WRITE_THREADS = 8


def leave_changed_alone(plan: Plan, sources: VaultSources) -> Plan:
    """The plan without the edits of notes found changed when planning read them again, each
    reported skipped instead (as the writer would have at the last moment)."""
    if sources.changed:
        plan.edits = [e for e in plan.edits if e.path not in sources.changed]
        plan.skipped = [s for s in plan.skipped if s[0] not in sources.changed] + sorted(sources.changed.items())
    return plan


def drop_unsafe_creates(plan: Plan, listed: set[str], rules: IgnoreRules) -> Plan:
    """No stub over a file that exists but can't be read (the scan reported it), and none
    inside an ignored folder."""
    kept: list[Edit] = []
    for edit in plan.edits:
        if edit.kind is EditKind.CREATE and fold(edit.path) in listed:
            continue
        if edit.kind is EditKind.CREATE and rules.ignores_path(edit.path):
            plan.skipped.append((edit.path, "stub would land in an ignored folder; not created"))
        else:
            kept.append(edit)
    plan.edits = kept
    return plan


def apply_edits(
    root: Path, edits: Sequence[Edit], advance: Advance = lambda done: None, writes: FileWrites | None = None
) -> list[str]:
    """``try_edit`` of every edit: why each was left alone ("" when done), in the edits' order.

    Rewrites of existing notes run in threads. New files and deletions follow, one at a
    time: they make and remove folders, and a new file's mode reads the process-wide umask
    (``os.umask`` sets it to read it), which a thread making a folder meanwhile would see.
    ``writes`` defaults to ``SAFE_WRITES``.
    """
    writes = writes or SAFE_WRITES
    refusals = [""] * len(edits)
    rewrites = [k for k, edit in enumerate(edits) if edit.kind is EditKind.REWRITE]
    others = [k for k, edit in enumerate(edits) if edit.kind is not EditKind.REWRITE]
    if rewrites:
        pool = ThreadPoolExecutor(min(WRITE_THREADS, len(rewrites)))
        try:
            done = pool.map(lambda k: try_edit(root, edits[k], writes), rewrites)
            for k, refused in zip(rewrites, done, strict=True):
                refusals[k] = refused
                advance(1)
        finally:
            # On Ctrl-C, the writes not yet started are dropped (each note is written whole or not at all).
            pool.shutdown(cancel_futures=True)
    for k in others:
        refusals[k] = try_edit(root, edits[k], writes)
        advance(1)
    return refusals


def try_edit(root: Path, edit: Edit, writes: FileWrites | None = None) -> str:
    """Apply one edit (through ``writes``, by default ``SAFE_WRITES``); "" when done, else why
    this file was left alone (the run goes on)."""
    writes = writes or SAFE_WRITES
    try:
        if edit.kind is EditKind.DELETE:
            assert edit.old_digest is not None
            writes.delete(root, edit.path, edit.old_digest)
        else:
            assert edit.new_text is not None
            writes.write(root, edit.path, edit.new_text.encode("utf-8"), edit.old_digest)
    except WriteRefused as exc:
        return str(exc)
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""


def preview_edits(
    root: Path, edits: Sequence[Edit], sources: Sources, advance: Advance = lambda done: None
) -> tuple[list[str], str]:
    """A dry run of ``edits``: why each would be left alone ("" if it would be made; read-only
    notes are seen now), and the unified diff of those that would be made. Nothing is written."""
    refusals = [read_only_reason(root, e.path) if e.kind is not EditKind.CREATE else "" for e in edits]
    diffs: list[str] = []
    for edit, refused in zip(edits, refusals, strict=True):
        advance(1)
        if not refused:
            old = sources.read(edit.path).text if edit.kind is not EditKind.CREATE else ""
            diffs.append(unified_diff(old, edit))
    return refusals, "".join(diffs)


def unified_diff(old: str, edit: Edit) -> str:
    """The edit as a unified diff from ``old`` (its file's text; "" for a new file)."""
    new = edit.new_text or ""
    before = "/dev/null" if edit.kind is EditKind.CREATE else f"a/{edit.path}"
    after = "/dev/null" if edit.kind is EditKind.DELETE else f"b/{edit.path}"
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=before, tofile=after
    )
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
