"""How the watcher's writes meet a note open in a real editor: Vim, without ``autoread``, in tmux.

Run by hand (needs ``vim`` and ``tmux``; takes about ``--pause`` + 20 seconds):

    python benchmarks/bench_editor.py [--grace 5] [--pause 10] [--no-swap]

A small vault is made in a temporary folder and ``vaultlink watch`` started on it. Vim opens
``A.md`` (``vim -u NONE -N``: no vimrc, so no ``autoread``; ``--no-swap`` adds ``-n``, as an editor
that leaves no trace on disk). The session: type a paragraph that makes A related to two notes
and ``:w``; type on (unsaved) for ``--pause`` seconds; ``:w`` again. If the watcher wrote A's
Related block in between, Vim's second ``:w`` asks "The file has been changed since reading
it!!!" (answered "n"). Then ``:q!``, and the script waits for the watcher to write the block.

Printed: whether the prompt came, whether the watcher wrote A while Vim had it open, and whether
A has its block once Vim closed it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SESSION = "vaultlink-bench-editor"
PHRASES = "About the sourdough starter. About the rye flour. " * 2
NOTES = {
    "A.md": "# A\n\nAbout knitting socks.\n",
    "D.md": "# D\n\n" + PHRASES + "\n",
    "E.md": "# E\n\n" + PHRASES + "\n",
    **{f"F{i}.md": f"# F{i}\n\nFiller number {i} about the garden shed roof.\n" for i in range(6)},
}
PROMPT = "changed since reading it"
BLOCK = "<!-- vaultlink:related -->"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def keys(*typed: str) -> None:
    for text in typed:
        tmux("send-keys", "-t", SESSION, text)
        time.sleep(0.2)


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def run(grace: float, pause: float, swap: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="vaultlink-editor-")) / "vault"
    root.mkdir()
    for rel, text in NOTES.items():
        (root / rel).write_text(text)
    watcher = subprocess.Popen(
        [sys.executable, "-m", "vaultlink", "watch", str(root), "--grace", str(grace), "--no-cache", "-v"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(4)  # the first sync
        vim = f"vim -u NONE -N {'' if swap else '-n '}{root / 'A.md'}"
        tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "30", vim)
        time.sleep(1)
        keys("G", "o", "Now " + PHRASES, "Escape", ":w", "Enter")
        saved = (root / "A.md").stat().st_mtime_ns
        keys("o", "More thoughts, not saved yet.", "Escape")
        time.sleep(pause)
        written_while_open = (root / "A.md").stat().st_mtime_ns != saved
        keys(":w", "Enter")
        time.sleep(1)
        prompted = PROMPT in screen()
        if prompted:
            keys("n", "Enter")
        keys(":q!", "Enter")
        deadline = time.monotonic() + grace + 10
        while BLOCK not in (root / "A.md").read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        block_after = BLOCK in (root / "A.md").read_text()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        watcher.terminate()
        watcher.wait(timeout=10)
        shutil.rmtree(root.parent, ignore_errors=True)
    print(
        f"vim {'with' if swap else 'without'} swap file, grace {grace:g} s, unsaved typing for {pause:g} s: "
        f"watcher wrote A while open: {'yes' if written_while_open else 'no'}; "
        f"':w' prompted '{PROMPT}': {'YES' if prompted else 'no'}; "
        f"A's block written once closed: {'yes' if block_after else 'no'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grace", type=float, default=5.0)
    parser.add_argument("--pause", type=float, default=10.0)
    parser.add_argument("--no-swap", dest="swap", action="store_false")
    options = parser.parse_args()
    run(options.grace, options.pause, options.swap)


if __name__ == "__main__":
    main()
