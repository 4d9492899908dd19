"""What a run did: the report a sync or clean returns (the CLI prints it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from vaultlink.core.note import Diagnostic
from vaultlink.core.plan import Edit, EditKind, Plan


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
    """Problems found in the vault; none when the run ended early (``unchanged``)."""
    warnings: list[Diagnostic] = field(default_factory=list)
    """About vaultlink's own state (the cache), not the vault: printed, never a failure."""
    unchanged: bool = False
    """No note changed since a sync that left nothing to do: the run ended after a stat."""

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
