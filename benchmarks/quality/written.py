"""What a plain ``vaultlink sync`` writes, read back from the notes: every Related entry (the note whose
block holds it, the note it lists, its reason line), and the precision proxies of issue 15 on them.

The sync runs on a temporary copy of the vault at default settings. A prototype ranker (a factory
whose ranker has ``related_all``, see ``quality.common.Writer``) is measured the same way: the sync is
the same, only its ranking is the prototype's (``app.rank_all`` swapped for the run).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quality.common import RankerFactory, copy_vault, scan_vault
from quality.hiding import markdown_link_target
from vaultlink import app
from vaultlink.app import VaultScan
from vaultlink.core.blocks import scan_blocks
from vaultlink.core.neighbours import Neighbours
from vaultlink.core.note import Link, LinkKind, Suggestion, link_name
from vaultlink.core.plan import RELATED
from vaultlink.core.resolve import NoteIndex, Outcome, resolve_link

MAGNET_TARGET = 0.08
"""Issue 15: no note in more than this share of the Related blocks."""
THIN_TARGET = 0.10
"""Issue 15: at most this share of the entries rests on thin evidence."""
SHARED_LINKS = "shared links"
_ENTRY = re.compile(r"^- (\[\[[^\]\r\n]+\]\]|\[(?:\\.|[^\]\\\r\n])*\]\(([^)\s]*)\)|~/[^\r\n]+?) — (.*)$")


@dataclass(frozen=True)
class Entry:
    """One written Related entry: ``note``'s block lists ``listed`` (a path, "" if the link written
    resolves to no one note) for ``reasons`` (the reason line, split at its commas)."""

    note: str
    listed: str
    link: str
    reasons: tuple[str, ...]

    @property
    def reason_line(self) -> str:
        return ", ".join(self.reasons)


@dataclass(frozen=True)
class Written:
    """Every Related block a sync wrote in one vault."""

    vault: str
    notes: int
    entries: tuple[Entry, ...]

    @property
    def blocks(self) -> int:
        return len({e.note for e in self.entries})


def evidence_kind(reasons: Sequence[str]) -> str:
    """What an entry rests on, the strongest first: a mention either way, shared linked notes or tags
    named ("both link [[X]]", "both tagged #x"), a shared phrase, two or more words, one word, or
    links unnamed only."""
    if any(r.startswith("mention") for r in reasons):
        return "mention"
    if any(r.startswith(("both link", "both tagged")) for r in reasons):
        return "named links"
    rest = [r for r in reasons if r != SHARED_LINKS]
    if any(" " in r.strip() for r in rest):
        return "phrase"
    if len(rest) >= 2:
        return "2+ words"
    if rest:
        return "one word"
    return "shared links only" if reasons else "no reason"


THIN = frozenset({"one word", "shared links only", "no reason"})
"""Thin evidence (issue 15): only a count of shared links, or one word that is not a mentioned name."""


def parse_entry(line: str, note: str, index: NoteIndex) -> Entry | None:
    """An entry line as plan.related_lines writes it (``- LINK — reasons``), its link resolved from
    ``note`` with vaultlink's resolver; None for a line that is not one."""
    m = _ENTRY.match(line.rstrip("\r\n"))
    if m is None:
        return None
    raw, url, reasons = m.group(1), m.group(2), m.group(3)
    if raw.startswith("[["):
        link = Link(raw[2:-2], LinkKind.WIKILINK, raw)
    elif raw.startswith("~/"):
        link = Link(raw[2:].partition("/")[2], LinkKind.PATH, raw)
    else:
        link = Link(markdown_link_target(url or ""), LinkKind.MARKDOWN, url or "")
    resolution = resolve_link(link, note, index)
    listed = resolution.target if resolution.outcome is Outcome.NOTE else ""
    if resolution.outcome is Outcome.AMBIGUOUS:  # notes whose names differ in case only: the exact one
        exact = [c for c in resolution.candidates if link.target in (c.rpartition(".")[0], link_name(c))]
        listed = exact[0] if len(exact) == 1 else ""
    return Entry(note, listed, raw, tuple(r.strip() for r in reasons.split(", ") if r.strip()))


def read_written(root: Path, scan: VaultScan) -> Written:
    """The Related entries in the notes of ``scan`` as the files under ``root`` now hold them."""
    index = NoteIndex(scan.notes, scan.config)
    entries: list[Entry] = []
    for note in scan.linked_notes:
        path = root / note.path
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for block in scan_blocks(text).blocks:
            if block.name != RELATED:
                continue
            for line in text[block.start : block.end].splitlines()[1:-1]:
                entry = parse_entry(line, note.path, index)
                if entry is not None:
                    entries.append(entry)
    return Written(root.name, len(scan.linked_notes), tuple(entries))


@contextlib.contextmanager
def ranking_swapped(factory: RankerFactory | None) -> Iterator[None]:
    """Within the block, a sync ranks with ``factory``'s ranker (its ``related_all``) instead of
    vaultlink's; with None, nothing changes."""
    if factory is None:
        yield
        return

    def rank_all(scan: VaultScan, top: int, min_score: float, *_: Any, **__: Any) -> dict[str, list[Suggestion]]:
        """``app.rank_all``'s place: every note's list, by ``factory``'s ranker."""
        writer: Any = factory(scan)
        return dict(writer.related_all(top=top, min_score=min_score, exclude=Neighbours(scan.links).either_way()))

    original = app.rank_all
    app.rank_all = rank_all  # type: ignore[assignment]
    try:
        yield
    finally:
        app.rank_all = original


def written_by_sync(vault: Path, work: Path, factory: RankerFactory | None = None) -> Written:
    """Copy ``vault`` into ``work``, run a plain sync on the copy (ranked by ``factory`` if given) and
    read back what it wrote."""
    work.mkdir(parents=True, exist_ok=True)
    copy = copy_vault(vault, work)
    before = scan_vault(copy)
    with ranking_swapped(factory):
        app.sync(copy)
    return read_written(copy, before)


@dataclass(frozen=True)
class Proxies:
    """Issue 15's precision proxies of one vault's written blocks."""

    notes: int
    blocks: int
    entries: int
    magnets: tuple[tuple[str, int], ...]
    """The notes listed in the most blocks, most first, with how many blocks list them."""
    kinds: dict[str, int]
    """Entries by ``evidence_kind``."""
    unresolved: int

    @property
    def magnet_share(self) -> float:
        return self.magnets[0][1] / self.blocks if self.magnets and self.blocks else 0.0

    @property
    def thin(self) -> int:
        return sum(n for kind, n in self.kinds.items() if kind in THIN)

    @property
    def thin_share(self) -> float:
        return self.thin / self.entries if self.entries else 0.0

    def verdicts(self) -> tuple[bool, bool]:
        return self.magnet_share <= MAGNET_TARGET, self.thin_share <= THIN_TARGET


def proxies(written: Written, magnets: int = 3) -> Proxies:
    listed = Counter(e.listed for e in written.entries if e.listed)
    kinds = Counter(evidence_kind(e.reasons) for e in written.entries)
    return Proxies(
        written.notes,
        written.blocks,
        len(written.entries),
        tuple(listed.most_common(magnets)),
        dict(kinds),
        sum(1 for e in written.entries if not e.listed),
    )


KIND_ORDER = ("mention", "named links", "phrase", "2+ words", "one word", "shared links only", "no reason")


def proxies_table(rows: Sequence[tuple[str, str, Proxies]]) -> str:
    """One row per (vault, ranker): the issue's two proxies with their verdicts, then the counts."""
    lines = [
        "| vault | ranker | notes | blocks (share of notes) | entries / block | top magnet: share of blocks"
        " (target ≤ 8%) | thin evidence (target ≤ 10%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for vault, ranker, p in rows:
        magnet_ok, thin_ok = p.verdicts()
        top = f"{p.magnet_share:.1%} `{p.magnets[0][0]}`" if p.magnets else "—"
        lines.append(
            f"| {vault} | {ranker} | {p.notes} | {p.blocks} ({p.blocks / max(p.notes, 1):.0%}) "
            f"| {p.entries / max(p.blocks, 1):.2f} | {top} {'ok' if magnet_ok else 'NOT met'} "
            f"| {p.thin_share:.1%} ({p.thin} of {p.entries}) {'ok' if thin_ok else 'NOT met'} |"
        )
    return "\n".join(lines)


def kinds_table(rows: Sequence[tuple[str, str, Proxies]]) -> str:
    """What the entries rest on, as shares of each (vault, ranker)'s entries."""
    lines = ["| vault | ranker | " + " | ".join(KIND_ORDER) + " |", "|---|---|" + "---|" * len(KIND_ORDER)]
    for vault, ranker, p in rows:
        shares = " | ".join(f"{p.kinds.get(k, 0) / max(p.entries, 1):.1%}" for k in KIND_ORDER)
        lines.append(f"| {vault} | {ranker} | {shares} |")
    return "\n".join(lines)


def proxies_json(p: Proxies) -> dict[str, Any]:
    return {
        "notes": p.notes,
        "blocks": p.blocks,
        "entries": p.entries,
        "entries_per_block": p.entries / p.blocks if p.blocks else 0.0,
        "magnets": [{"note": path, "blocks": n, "share": n / p.blocks} for path, n in p.magnets],
        "magnet_share": p.magnet_share,
        "thin_share": p.thin_share,
        "kinds": p.kinds,
        "unresolved": p.unresolved,
        "targets_met": dict(zip(("magnet", "thin"), p.verdicts(), strict=True)),
    }
