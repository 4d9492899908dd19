"""Replay a labelled review sample through the entries a ranking writes now: which labelled entries it
still lists, by label. A guide while changing the ranking, not a blind review: it says what a change
drops among entries someone read, never how good the entries it adds are (draw a fresh sample for
that, ``sample.py``).

Run by hand: ``python benchmarks/review/replay.py NAME DUMP_DIR [--json]``, where ``DUMP_DIR`` holds
``<vault>.vaultlink.jsonl`` files written by ``python benchmarks/written_blocks.py --dump DUMP_DIR``
(keep it outside the project: entries quote the vaults' words).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review.common import LABELS, label_file, read_jsonl, sample_file

Kept = Mapping[str, Mapping[str, Counter[str]]]
"""vault -> "kept" | "dropped" -> label -> entries."""


def replay(name: str, dump: Path, ranker: str = "vaultlink") -> tuple[Kept, list[dict[str, str]]]:
    """The labelled entries of sample ``name`` kept and dropped by the entries dumped in ``dump``
    (vaults with no dump are left out), and the dropped entries themselves (with label and why)."""
    labels = {row["id"]: row for row in read_jsonl(label_file(name))}
    counts: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: {"kept": Counter(), "dropped": Counter()})
    written: dict[str, set[tuple[str, str]]] = {}
    dropped: list[dict[str, str]] = []
    for entry in read_jsonl(sample_file(name)):
        vault, label = entry["vault"], labels.get(entry["id"], {}).get("label")
        if label is None:
            continue
        if vault not in written:
            path = dump / f"{vault}.{ranker}.jsonl"
            written[vault] = {(r["note"], r["listed"]) for r in read_jsonl(path)} if path.is_file() else set()
        if not written[vault]:
            continue
        kept = (entry["note"], entry["listed"]) in written[vault]
        counts[vault]["kept" if kept else "dropped"][label] += 1
        if not kept:
            dropped.append({**entry, "label": label, "why": labels[entry["id"]].get("why", "")})
    return counts, dropped


def table(counts: Kept) -> str:
    lines = ["| vault | kept: good / meh / wrong | dropped: good / meh / wrong |", "|---|---|---|"]
    total: dict[str, Counter[str]] = {"kept": Counter(), "dropped": Counter()}
    for vault in sorted(counts):
        for side in total:
            total[side].update(counts[vault][side])
        lines.append(f"| {vault} | {_row(counts[vault]['kept'])} | {_row(counts[vault]['dropped'])} |")
    lines.append(f"| all | {_row(total['kept'])} | {_row(total['dropped'])} |")
    return "\n".join(lines)


def _row(counts: Counter[str]) -> str:
    return " / ".join(str(counts.get(label, 0)) for label in LABELS)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="the labelled sample, e.g. ranking-v3")
    parser.add_argument("dump", type=Path, help="a written_blocks.py --dump folder")
    parser.add_argument("--ranker", default="vaultlink", help="whose dump (its file name's middle part)")
    parser.add_argument("--dropped", action="store_true", help="also list the dropped entries")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    counts, dropped = replay(args.name, args.dump, args.ranker)
    if args.json:
        print(json.dumps({"counts": counts, "dropped": dropped}, ensure_ascii=False, indent=1))
        return
    print(table(counts))
    for entry in dropped if args.dropped else ():
        print(f"{entry['label']:5} {entry['note']} -> {entry['listed']} | {entry['reason']} || {entry['why']}")


if __name__ == "__main__":
    main()
