"""What a run did: the report a sync, a clean or one of the watcher's batches returns (the CLI
prints it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vaultlink.core.note import Diagnostic
from vaultlink.core.plan import Edit, EditKind, Plan


@dataclass
class SyncReport:
    """What a sync, a clean or a watcher's batch did (or, dry, would do)."""

    scanned: int = 0
    """Notes read (a batch: the paths it looked at)."""
    changed: list[str] = field(default_factory=list)
    """Notes rewritten."""
    created: list[str] = field(default_factory=list)
    """Stubs created."""
    deleted: list[str] = field(default_factory=list)
    """Stubs removed."""
    held: list[str] = field(default_factory=list)
    """New stubs not made: more than the per-run limit (``sync --all-stubs`` makes them)."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Notes left alone, each with why."""
    diff: str = ""
    """A dry run's unified diff."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Problems found in the vault; none when the run ended early (``unchanged``)."""
    warnings: list[Diagnostic] = field(default_factory=list)
    """About vaultlink's own state (the cache), not the vault: printed, never a failure."""
    unchanged: bool = False
    """No note changed since a sync that left nothing to do: the run ended after a stat."""
    reparsed: list[str] = field(default_factory=list)
    """A batch's notes read again (changed since the watcher last read or wrote them)."""
    removed: list[str] = field(default_factory=list)
    """A batch's notes found gone."""
    waiting: list[str] = field(default_factory=list)
    """A batch's notes not written because their user edited them less than the grace period ago."""
    deferred: int = 0
    """Notes whose Related lists the batch right after this one checks again (every note after
    a change: document frequencies and name counts move scores all over the vault)."""
    seconds: float = 0.0
    """How long a batch took."""

    @property
    def pending(self) -> int:
        return len(self.changed) + len(self.created) + len(self.deleted)

    @classmethod
    def of(
        cls, scanned: int, plan: Plan, refusals: Sequence[str], diagnostics: list[Diagnostic], diff: str = ""
    ) -> SyncReport:
        """The report of ``plan`` carried out (or previewed): ``refusals`` says why each edit was
        left alone ("" when it was made)."""
        report = cls(scanned=scanned, skipped=list(plan.skipped), diagnostics=diagnostics, diff=diff)
        report.held = list(plan.held)
        for edit, refused in zip(plan.edits, refusals, strict=True):
            if refused:
                report.skipped.append((edit.path, refused))
            else:
                report.count(edit)
        return report

    def count(self, edit: Edit) -> None:
        """Count ``edit`` as made."""
        if edit.kind is EditKind.DELETE:
            self.deleted.append(edit.path)
        elif edit.kind is EditKind.CREATE:
            self.created.append(edit.path)
        else:
            self.changed.append(edit.path)
