"""Where the blind review keeps its files, and how they are read and written (one JSON object a line)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REVIEW = Path(__file__).resolve().parent
LABELS = ("good", "meh", "wrong")


def sample_file(name: str, review: Path = REVIEW) -> Path:
    """What the labeller gets: one entry a line (id, vault, both paths, the reason line)."""
    return review / "samples" / f"{name}.jsonl"


def key_file(name: str, review: Path = REVIEW) -> Path:
    """Which code wrote each entry of the sample: never shown to the labeller."""
    return review / "keys" / f"{name}.json"


def label_file(name: str, review: Path = REVIEW) -> Path:
    """The labeller's verdicts: id, good|meh|wrong, and a one-line why in their own words."""
    return review / "labels" / f"{name}.jsonl"


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON-lines file (blank lines skipped); a bad line is an error naming it."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not JSON ({exc})") from exc
    return rows
