"""Draw a blind review sample of the Related entries a plain sync writes, across vaults and rankers.

Run by hand: ``python benchmarks/review/sample.py NAME [VAULT ...] [--per-vault 60] [--demo 10]
[--seed 1] [--ranker MODULE:FACTORY ...] [--no-vaultlink]``.

Each vault (default: ``../shared/vaults/*`` and ``sample_vault``) is copied and synced at default
settings, once per ranker (vaultlink as it is, and each ``--ranker`` whose factory has
``related_all``: the sync is the same, only the ranking is the prototype's). From each sync a seeded
uniform sample of its written entries is drawn: ``--per-vault`` of them in a shared vault,
``--demo`` in sample_vault. The sample (``samples/NAME.jsonl``) holds only what a labeller needs: an
id, the vault, the note whose block holds the entry, the note it lists, and the reason line; entries
are sorted by vault and id, so nothing in them says which ranker wrote them. The key
(``keys/NAME.json``) says that: for each id, the rankers it was drawn for and the rankers whose sync
wrote the very same line, and the commit the code was at. Labels go to ``labels/NAME.jsonl``
(``GUIDE.md``); ``tally.py NAME`` joins them with the key.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality.common import EXEMPT, ROOT, RankerFactory, default_vaults, load_ranker
from quality.written import Entry, written_by_sync

from review.common import REVIEW, key_file, sample_file, write_jsonl

VAULTLINK = "vaultlink"


@dataclass
class Drawn:
    """One line of the sample and what the key says of it."""

    vault: str
    entry: Entry
    drawn_for: set[str] = field(default_factory=set)
    written_by: set[str] = field(default_factory=set)

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return self.vault, self.entry.note, self.entry.listed, self.entry.reason_line


def draw(entries: Sequence[Entry], count: int, rng: random.Random) -> list[Entry]:
    """A uniform sample of ``count`` entries (all of them when there are fewer), in their order."""
    if len(entries) <= count:
        return list(entries)
    return [entries[k] for k in sorted(rng.sample(range(len(entries)), count))]


def draw_sample(
    vaults: Sequence[Path], rankers: Mapping[str, RankerFactory | None], per_vault: int, demo: int, seed: int
) -> list[Drawn]:
    """Each ranker's sync of each vault, and a seeded draw from what it wrote; a line drawn for
    several rankers (or written by several) appears once."""
    lines: dict[tuple[str, str, str, str], Drawn] = {}
    wrote: dict[str, set[tuple[str, str, str, str]]] = {ranker: set() for ranker in rankers}
    for vault in vaults:
        name = vault.resolve().name
        count = demo if name in EXEMPT else per_vault
        for ranker, factory in rankers.items():
            with tempfile.TemporaryDirectory(prefix="vaultlink-review-") as tmp:
                written = written_by_sync(vault, Path(tmp), factory)
            resolved = [e for e in written.entries if e.listed]
            wrote[ranker].update((name, e.note, e.listed, e.reason_line) for e in resolved)
            for entry in draw(resolved, count, random.Random(f"{seed}:{name}:{ranker}")):
                line = lines.setdefault((name, entry.note, entry.listed, entry.reason_line), Drawn(name, entry))
                line.drawn_for.add(ranker)
            print(f"{name}: {ranker} wrote {len(written.entries)} entries in {written.blocks} blocks", file=sys.stderr)
    for identity, line in lines.items():
        line.written_by = {ranker for ranker, seen in wrote.items() if identity in seen}
    return list(lines.values())


def assign_ids(drawn: Sequence[Drawn], seed: int) -> list[tuple[str, Drawn]]:
    """Random ids (seeded, unique, six hex digits), the lines sorted by vault and id."""
    rng = random.Random(f"ids:{seed}")
    ids = rng.sample(range(16**6), len(drawn))
    named = [(f"{i:06x}", line) for i, line in zip(ids, sorted(drawn, key=lambda d: d.identity), strict=True)]
    return sorted(named, key=lambda item: (item[1].vault, item[0]))


def commit() -> tuple[str, bool]:
    """The project's commit and whether its tracked files differ from it."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True)
    return head, bool(dirty.stdout.strip())


def write_sample(name: str, named: Sequence[tuple[str, Drawn]], meta: Mapping[str, Any], review: Path = REVIEW) -> None:
    write_jsonl(
        sample_file(name, review),
        (
            {"id": i, "vault": d.vault, "note": d.entry.note, "listed": d.entry.listed, "reason": d.entry.reason_line}
            for i, d in named
        ),
    )
    key = {
        **meta,
        "entries": {i: {"drawn_for": sorted(d.drawn_for), "written_by": sorted(d.written_by)} for i, d in named},
    }
    key_file(name, review).parent.mkdir(parents=True, exist_ok=True)
    key_file(name, review).write_text(json.dumps(key, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the sample's name: samples/NAME.jsonl, keys/NAME.json, labels/NAME.jsonl")
    parser.add_argument("vaults", type=Path, nargs="*", help="default: ../shared/vaults/* and sample_vault")
    parser.add_argument("--per-vault", type=int, default=60, help="entries drawn per shared vault and ranker")
    parser.add_argument("--demo", type=int, default=10, help="entries drawn from sample_vault per ranker")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ranker", action="append", default=[], metavar="MODULE:FACTORY", help="a prototype too")
    parser.add_argument("--no-vaultlink", action="store_true", help="draw for the --ranker prototypes only")
    parser.add_argument("--review", type=Path, default=REVIEW, help="folder of samples/, keys/, labels/")
    parser.add_argument("--force", action="store_true", help="replace an existing sample of this name")
    args = parser.parse_args(argv)
    if sample_file(args.name, args.review).exists() and not args.force:
        parser.error(f"{sample_file(args.name, args.review)} exists (labels may refer to it); --force replaces it")
    rankers: dict[str, RankerFactory | None] = {} if args.no_vaultlink else {VAULTLINK: None}
    specs = {} if args.no_vaultlink else {VAULTLINK: "vaultlink as committed"}
    for spec in args.ranker:
        label, factory = load_ranker(spec)
        if not hasattr(factory, "related_all"):
            parser.error(f"--ranker {spec}: its factory has no related_all, so it writes nothing")
        rankers[label], specs[label] = factory, spec
    vaults = [v for v in (args.vaults or default_vaults()) if v.is_dir()]
    head, dirty = commit()
    named = assign_ids(draw_sample(vaults, rankers, args.per_vault, args.demo, args.seed), args.seed)
    meta = {
        "name": args.name,
        "commit": head,
        "dirty": dirty,
        "drawn": time.strftime("%Y-%m-%d"),
        "seed": args.seed,
        "per_vault": args.per_vault,
        "demo": args.demo,
        "rankers": specs,
        "vaults": [v.resolve().name for v in vaults],
    }
    write_sample(args.name, named, meta, args.review)
    print(f"{len(named)} entries: {sample_file(args.name, args.review)}; key: {key_file(args.name, args.review)}")


if __name__ == "__main__":
    main()
