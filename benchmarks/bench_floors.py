"""What a cold sync can't go below: the floor, and the two costs every cold sync pays on top of it.

Run by hand (never as a timed test):

    python benchmarks/bench_floors.py VAULT [--repeat 5] [--workers N]

Issue 6 asks for a cold sync within 5× the floor (list, read and split every note into words, in
Python: ``benchlib.floor``). Two things a cold sync must do are measured here alone, in one run,
against that floor, so the target can be judged on figures:

- **parse**: mistune's AST of every note body (vaultlink's parser with its Obsidian rules, no term
  extraction, no frontmatter), serially and in ``--workers`` processes (the cores);
- **parse_note**: vaultlink's whole parse of every note (frontmatter, AST, links, terms), likewise;
- **write**: every note rewritten the way property 4 of GUIDE.md requires (temp file in the same
  folder, fsync, ``os.replace``), with its own bytes plus 200 (about a Related block), in 8 threads
  as ``apply.apply_edits`` does, and serially.

Works on a temporary copy of VAULT (the original is never touched). Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from benchlib import floor, note_paths

from vaultlink.core.config import Config
from vaultlink.core.frontmatter import frontmatter_extent
from vaultlink.core.markdown import parse_ast as mistune_ast
from vaultlink.core.parse import parse_note

EXTRA = b"\n\n## Related\n\n" + b"- [[a related note]]: why it is related\n" * 4
WRITE_THREADS = 8


def _bodies(items: Sequence[tuple[str, bytes]]) -> list[str]:
    texts = [data.decode("utf-8", "replace") for _, data in items]
    return [text[frontmatter_extent(text) :] for text in texts]


def parse_ast(bodies: Sequence[str]) -> int:
    extensions = Config().extensions
    return sum(len(mistune_ast(body, extensions)) for body in bodies)


def parse_notes(items: Sequence[tuple[str, bytes]]) -> int:
    config = Config()
    return sum(parse_note(rel, data, config).note is not None for rel, data in items)


def in_workers(work: Callable[[Sequence[object]], int], items: Sequence[object], workers: int) -> int:
    """``work`` over ``items`` split into ``workers`` slices, one process each (pool start included)."""
    step = -(-len(items) // workers)
    slices = [items[i : i + step] for i in range(0, len(items), step)]
    with ProcessPoolExecutor(workers) as pool:
        return sum(pool.map(work, slices))


def write_one(path: Path, data: bytes) -> None:
    """GUIDE.md's safe write: temp file beside it, fsync, replace."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".bench-", suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def write_all(root: Path, items: Sequence[tuple[str, bytes]], threads: int) -> int:
    jobs = [(root / rel, data + EXTRA) for rel, data in items]
    if threads == 1:
        for path, data in jobs:
            write_one(path, data)
    else:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda job: write_one(*job), jobs))
    return len(jobs)


def timed(step: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``step`` in ms."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vault", type=Path)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / args.vault.name
        shutil.copytree(args.vault, root, ignore=shutil.ignore_patterns(".git", ".vaultlink"))
        for folder, _, files in os.walk(root):  # a read-only source gives a read-only copy
            os.chmod(folder, 0o755)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)
        items = [(rel, (root / rel).read_bytes()) for rel in note_paths(root)]
        bodies = _bodies(items)
        rows = [
            ("floor: read and split every note", timed(lambda: floor(root), args.repeat)),
            ("parse, mistune AST only, serial", timed(lambda: parse_ast(bodies), args.repeat)),
            (
                f"parse, mistune AST only, {args.workers} processes",
                timed(lambda: in_workers(parse_ast, bodies, args.workers), args.repeat),  # type: ignore[arg-type]
            ),
            ("parse_note (whole parse), serial", timed(lambda: parse_notes(items), args.repeat)),
            (
                f"parse_note (whole parse), {args.workers} processes",
                timed(lambda: in_workers(parse_notes, items, args.workers), args.repeat),  # type: ignore[arg-type]
            ),
            ("safe write of every note, serial", timed(lambda: write_all(root, items, 1), args.repeat)),
            (
                f"safe write of every note, {WRITE_THREADS} threads",
                timed(lambda: write_all(root, items, WRITE_THREADS), args.repeat),
            ),
        ]
    base = rows[0][1]
    print(
        f"{len(items)} notes, {sum(len(d) for _, d in items) // 1024} KB, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}, median of {args.repeat}"
    )
    print("| step | ms | × floor |\n|---|---|---|")
    for name, ms in rows:
        print(f"| {name} | {ms:,.0f} | {ms / base:.1f} |")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
