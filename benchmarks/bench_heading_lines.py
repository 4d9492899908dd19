"""Planning a huge note made of plain "Related"/"See also" lines (issue 23: quadratic before).

    python benchmarks/bench_heading_lines.py [--mb 4.9]

Each shape fills one note of ``--mb`` megabytes (under the 5 MiB limit) beside two small notes;
the time is that of a dry-run sync (read, parse, rank, plan; nothing written) and of finding
where the Related block goes in that note alone. Before the fix, 1.8 MB took 78-92 s and 4.9 MB
did not finish in 20 minutes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from vaultlink import app
from vaultlink.core.blocks import find_related_anchor

SHAPES = {
    "see-also lines": "See also\n",
    "related lines": "Related\n",
    "related, blank": "Related\n\n",
    "related lists": "See also\nRelated\n- x\n",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=4.9)
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    for name, unit in SHAPES.items():
        text = "# Big\n\n" + unit * (size // len(unit))
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "vault"
            root.mkdir()
            (root / "Big.md").write_text(text)
            (root / "A.md").write_text("# A\n\nSee [[Big]].\n")
            (root / "B.md").write_text("# B\n\nSee [[A]].\n")
            start = time.perf_counter()
            find_related_anchor(text, 0)
            anchor = time.perf_counter() - start
            start = time.perf_counter()
            report = app.sync(root, dry_run=True, cache=app.NO_CACHE)
            whole = time.perf_counter() - start
        print(
            f"{name:>15}: {len(text) / 1e6:.1f} MB, anchor {anchor:.2f} s, "
            f"dry-run sync {whole:.2f} s ({report.pending} edits)"
        )


if __name__ == "__main__":
    main()
