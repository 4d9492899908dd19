"""What the quality benchmarks share: the vaults measured by default, a working copy of a vault, the
ranker plugin interface, and vaultlink's own ranking as the one place they call it."""

from __future__ import annotations

import importlib
import os
import shutil
import stat
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Protocol

from vaultlink import app
from vaultlink.app import VaultScan
from vaultlink.core.note import Suggestion
from vaultlink.core.rank import RankIndex

ROOT = Path(__file__).resolve().parents[2]
SHARED_VAULTS = ROOT.parent / "shared" / "vaults"
SAMPLE_VAULT = ROOT / "sample_vault"
EXEMPT = frozenset({"sample_vault"})
"""Vaults held to no ratio target: sample_vault's TF-IDF recall@10 is already 0.93 (issue 15)."""

MAX_RANK = 100
"""Ranks are counted up to here; a target ranked lower (or not at all) scores 0 in MRR."""

Pair = tuple[str, str]
"""An unordered note pair, as its two paths in sorted order."""
Ranker = Callable[[str, frozenset[str]], list[str]]
"""rank(query note path, paths to leave out) -> candidate note paths, best first."""
RankerFactory = Callable[[VaultScan], Ranker]
"""Builds a ranker from the scan of a vault (for link prediction, with its hidden links removed)."""


class Writer(Protocol):
    """A ranker that can also say what a sync would write: each note's Related entries with their
    reasons, cut as the ranker itself cuts them (RankIndex.related_all's signature)."""

    def related_all(
        self, *, top: int, min_score: float, exclude: Mapping[str, Collection[str]] | None = None, reasons: bool = True
    ) -> dict[str, list[Suggestion]]: ...


def default_vaults() -> list[Path]:
    """Every vault in ``../shared/vaults/`` (those present), then the demo vault."""
    shared = sorted(p for p in SHARED_VAULTS.iterdir() if p.is_dir()) if SHARED_VAULTS.is_dir() else []
    return [*shared, SAMPLE_VAULT]


def copy_vault(src: Path, dest_parent: Path) -> Path:
    """A writable copy of the vault ``src`` in ``dest_parent``, under the vault folder's own name (bare
    ``~/<vault name>/…`` paths still resolve), without ``.git/`` or vaultlink's state, and cleaned of
    anything vaultlink wrote there (the demo vault is tracked synced)."""
    dest = dest_parent / src.resolve().name
    shutil.copytree(src, dest, symlinks=True, ignore=shutil.ignore_patterns(".git", ".vaultlink"))
    for folder, dirs, files in os.walk(dest):
        for name in [*dirs, *files]:
            path = Path(folder, name)
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)  # the shared vaults are read-only
    app.clean(dest, cache=app.NO_CACHE)
    return dest


def scan_vault(path: Path) -> VaultScan:
    """vaultlink's own scan, parsing every note afresh (no scan cache read or written)."""
    return app.scan_vault(path, app.NO_CACHE)


class VaultlinkRanker:
    """vaultlink's Related ranking: the one place the quality benchmarks call it. As a ranker it gives
    its full list (up to ``MAX_RANK``), not cut by ``related_min_score``; ``related_all`` is what a
    sync lists."""

    def __init__(self, scan: VaultScan) -> None:
        self.index = RankIndex(scan.notes, scan.links, scan.config)

    def __call__(self, path: str, exclude: frozenset[str]) -> list[str]:
        found = self.index.related(path, top=MAX_RANK, min_score=0.0, exclude=exclude, reasons=False)
        return [s.path for s in found]

    def related_all(
        self, *, top: int, min_score: float, exclude: Mapping[str, Collection[str]] | None = None, reasons: bool = True
    ) -> dict[str, list[Suggestion]]:
        return self.index.related_all(top=top, min_score=min_score, exclude=exclude, reasons=reasons, listing=True)


vaultlink_ranker: RankerFactory = VaultlinkRanker


def load_ranker(spec: str) -> tuple[str, RankerFactory]:
    """``package.module:function`` -> (row name, factory)."""
    module, _, name = spec.partition(":")
    if not name:
        raise SystemExit(f"--ranker {spec}: expected module:function")
    factory: RankerFactory = getattr(importlib.import_module(module), name)
    return name, factory
