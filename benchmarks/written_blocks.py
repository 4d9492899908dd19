"""What a plain sync writes, vault by vault: issue 15's precision proxies, without link prediction.

Run by hand: ``python benchmarks/written_blocks.py [VAULT ...] [--ranker MODULE:FACTORY ...]
[--no-vaultlink] [--json] [--dump DIR]``. Without a vault: ``../shared/vaults/*`` and sample_vault.

Each vault is copied to a temporary folder and synced at default settings (once per ranker: vaultlink
as it is, and each prototype whose factory has ``related_all``); the Related entries are read back from
the written notes (``quality/written.py``) and measured: blocks, entries per block, the note listed in
the largest share of blocks (target ≤ 8%), and the share of entries resting on thin evidence, only
unnamed shared links or one word that is not a mentioned name (target ≤ 10%). ``--house``: issue
15's small-vault check instead (``quality/seedvault.py``). ``--dump DIR`` writes
every entry as JSON lines (``DIR/<vault>.<ranker>.jsonl``) for reading by eye; keep DIR outside the
project (entries quote the vaults' words).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import seedvault, written
from quality.common import RankerFactory, default_vaults, load_ranker


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vaults", type=Path, nargs="*", help="default: ../shared/vaults/* and sample_vault")
    parser.add_argument("--ranker", action="append", default=[], metavar="MODULE:FACTORY", help="a prototype too")
    parser.add_argument("--no-vaultlink", action="store_true", help="measure the --ranker prototypes only")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="write every entry to DIR/<vault>.<ranker>.jsonl")
    parser.add_argument("--house", action="store_true", help="only issue 15's small-vault check (quality/seedvault.py)")
    args = parser.parse_args(argv)
    rankers: dict[str, RankerFactory | None] = {} if args.no_vaultlink else {"vaultlink": None}
    for spec in args.ranker:
        name, factory = load_ranker(spec)
        if not hasattr(factory, "related_all"):
            parser.error(f"--ranker {spec}: its factory has no related_all, so it writes nothing")
        rankers[name] = factory
    if args.house:
        house(rankers)
        return
    rows: list[tuple[str, str, written.Proxies]] = []
    for vault in (v for v in (args.vaults or default_vaults()) if v.is_dir()):
        for name, factory in rankers.items():
            with tempfile.TemporaryDirectory(prefix="vaultlink-written-") as tmp:
                blocks = written.written_by_sync(vault, Path(tmp), factory)
            rows.append((blocks.vault, name, written.proxies(blocks)))
            if args.dump:
                dump(args.dump / f"{blocks.vault}.{name}.jsonl", blocks)
            if not args.json:
                print(f"{blocks.vault}: {name} done", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps([{"vault": v, "ranker": r, **written.proxies_json(p)} for v, r, p in rows], indent=1))
        return
    print(written.proxies_table(rows))
    print("\nWhat the entries rest on (share of entries):\n")
    print(written.kinds_table(rows))


def house(rankers: dict[str, RankerFactory | None]) -> None:
    """What each ranker's sync lists in the house note of the seed vault."""
    if not seedvault.available():
        raise SystemExit(f"{seedvault.SEEDS} is not there")
    with tempfile.TemporaryDirectory(prefix="vaultlink-house-") as tmp:
        vault = seedvault.build(Path(tmp, "src"))
        for name, factory in rankers.items():
            blocks = written.written_by_sync(vault, Path(tmp, name), factory)
            listed = [e.listed for e in blocks.entries if e.note == seedvault.HOUSE]
            print(f"{name}: {seedvault.verdict(listed)}")


def dump(path: Path, blocks: written.Written) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for e in blocks.entries:
            row = {"note": e.note, "listed": e.listed, "reasons": e.reasons, "kind": written.evidence_kind(e.reasons)}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
