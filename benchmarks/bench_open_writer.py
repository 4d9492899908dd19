"""Lines lost by a program that appends to a note while sync and clean rewrite it (issue 23).

    python benchmarks/bench_open_writer.py [--runs 40] [--interval 0.25] [--pause 0.1]

A child process appends numbered lines to ``Journal.md`` in a small vault, in one of two ways:
``held`` keeps the file open the whole time (``tee -a``, a logger), ``reopen`` opens, appends and
closes for each line (``echo >> note``). Meanwhile ``--runs`` rounds of ``clean`` then ``sync``
each rewrite the note. At the end, every line the child wrote must be in the note: the lines
missing are the ones lost (written into an old file that a replace had unlinked). The vaultlink
imported is whichever ``PYTHONPATH`` finds first, so the same script measures another checkout.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from vaultlink import app

NOTES = {
    "Journal.md": "# Journal\n\nAbout the tomato seedlings. About the tomato seedlings.\n",
    "Garden.md": "# Garden\n\nFrom [[Journal]]. About the tomato seedlings. About the tomato seedlings.\n",
    "Other.md": "# Other\n\nAbout the tomato seedlings. About the compost heap.\n",
}

APPENDER = textwrap.dedent(
    """
    import sys, time
    path, mode, interval, tally = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    held = open(path, "a", buffering=1) if mode == "held" else None
    for k in range(1_000_000):
        line = f"logged line {k}\\n"
        if held is not None:
            held.write(line)
        else:
            with open(path, "a") as f:
                f.write(line)
        with open(tally, "w") as f:
            f.write(str(k + 1))
        time.sleep(interval)
    """
)


def measure(mode: str, runs: int, interval: float, pause: float) -> tuple[int, int, int, int]:
    """(lines written, lines lost, notes rewritten, times the note was left alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "vault"
        root.mkdir()
        for rel, text in NOTES.items():
            (root / rel).write_text(text)
        tally = Path(tmp) / "written"
        note = str(root / "Journal.md")
        child = subprocess.Popen([sys.executable, "-c", APPENDER, note, mode, str(interval), str(tally)])
        rewritten = left_alone = 0
        try:
            time.sleep(0.05)
            for _ in range(runs):
                time.sleep(pause)
                for step in (app.clean, app.sync):
                    report = step(root, cache=app.NO_CACHE)
                    rewritten += "Journal.md" in report.changed
                    left_alone += any(path == "Journal.md" for path, _ in report.skipped)
        finally:
            child.terminate()
            child.wait()
        text = (root / "Journal.md").read_text()
        present = {int(line.split()[-1]) for line in text.splitlines() if line.startswith("logged line")}
        written = int(tally.read_text() or 0)
        return written, sum(1 for k in range(written) if k not in present), rewritten, left_alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between two appended lines")
    parser.add_argument("--pause", type=float, default=0.1, help="seconds between two rounds of clean and sync")
    args = parser.parse_args()
    print(f"vaultlink from {Path(app.__file__).resolve().parents[1]}")
    for mode in ("held", "reopen"):
        written, lost, rewritten, left_alone = measure(mode, args.runs, args.interval, args.pause)
        print(
            f"{mode:>6}: {written} lines written, {lost} lost; Journal.md rewritten {rewritten} times, "
            f"left alone {left_alone} times"
        )


if __name__ == "__main__":
    main()
