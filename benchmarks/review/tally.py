"""Join a labelled review sample with its key: good / meh / wrong shares per vault and per ranker.

Run by hand: ``python benchmarks/review/tally.py NAME [--json]``, after the labeller has written
``labels/NAME.jsonl`` for ``samples/NAME.jsonl`` (``GUIDE.md``). An entry counts for every ranker it
was drawn for (``keys/NAME.json``), so each ranker's shares are those of a uniform sample of what its
sync wrote. Targets (issue 15): wrong ≤ 10%, good ≥ 60%. Each share comes with its 95% Wilson
interval: at 60 entries a share is known to about ±12 points, so compare rankers on the intervals.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from review.common import LABELS, REVIEW, key_file, label_file, read_jsonl, sample_file

WRONG_TARGET = 0.10
GOOD_TARGET = 0.60
ALL = "all vaults"


@dataclass(frozen=True)
class Tally:
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, label: str) -> float:
        return self.counts.get(label, 0) / self.total if self.total else 0.0


def wilson(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a share."""
    if not total:
        return 0.0, 1.0
    p = successes / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def load(name: str, review: Path = REVIEW) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, dict[str, Any]]]:
    """The sample, its key and the labels by id; labels that are not good/meh/wrong, or name no id of
    the sample, are errors."""
    sample = read_jsonl(sample_file(name, review))
    key = json.loads(key_file(name, review).read_text(encoding="utf-8"))
    labels = {row["id"]: row for row in read_jsonl(label_file(name, review))}
    ids = {row["id"] for row in sample}
    unknown = sorted(set(labels) - ids)
    bad = sorted(i for i, row in labels.items() if row.get("label") not in LABELS)
    if unknown or bad:
        raise SystemExit(f"labels/{name}.jsonl: ids not in the sample {unknown[:5]}; labels not in {LABELS}: {bad[:5]}")
    return sample, key, labels


def tallies(
    sample: Sequence[Mapping[str, Any]], key: Mapping[str, Any], labels: Mapping[str, Mapping[str, Any]]
) -> dict[tuple[str, str], Tally]:
    """(ranker, vault) -> the labels of the entries drawn for that ranker there; vault ``ALL`` too."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in sample:
        label = labels.get(row["id"])
        if label is None:
            continue
        for ranker in key["entries"][row["id"]]["drawn_for"]:
            counts[ranker, row["vault"]][label["label"]] += 1
            counts[ranker, ALL][label["label"]] += 1
    return {k: Tally(dict(v)) for k, v in sorted(counts.items())}


def table(results: Mapping[tuple[str, str], Tally]) -> str:
    lines = [
        "| ranker | vault | labelled | good (target ≥ 60%) | meh | wrong (target ≤ 10%) |",
        "|---|---|---|---|---|---|",
    ]
    for (ranker, vault), t in results.items():
        cells = []
        for label in LABELS:
            low, high = wilson(t.counts.get(label, 0), t.total)
            cells.append(f"{t.share(label):.0%} ({t.counts.get(label, 0)}; {low:.0%}–{high:.0%})")
        lines.append(f"| {ranker} | {vault} | {t.total} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name")
    parser.add_argument("--review", type=Path, default=REVIEW, help="folder of samples/, keys/, labels/")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sample, key, labels = load(args.name, args.review)
    results = tallies(sample, key, labels)
    missing = len(sample) - sum(1 for row in sample if row["id"] in labels)
    if args.json:
        out = [
            {"ranker": r, "vault": v, "labelled": t.total, **{label: t.counts.get(label, 0) for label in LABELS}}
            for (r, v), t in results.items()
        ]
        print(json.dumps({"sample": args.name, "commit": key["commit"], "unlabelled": missing, "tallies": out}))
        return
    print(f"sample {args.name}: {len(sample)} entries, {len(labels)} labelled, {missing} not yet; code {key['commit']}")
    print(table(results))


if __name__ == "__main__":
    main()
