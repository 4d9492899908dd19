"""What the benchmarks share: the floor every ratio is taken against.

The floor is the least any tool must do with a vault: list its notes, read every one and split
it into words, in Python. It imports nothing from vaultlink, so a subprocess that runs it pays
only for the interpreter.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

NOTE_SUFFIXES = (".md", ".markdown")


def note_paths(root: Path) -> list[str]:
    """Vault-relative ``/`` paths of the notes under ``root``, sorted; dot-folders and dot-files
    are skipped, as vaultlink does (its ignore globs are not applied)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if rel == "." else rel + "/"
        found += [prefix + f for f in files if f.lower().endswith(NOTE_SUFFIXES) and not f.startswith(".")]
    return sorted(found)


def floor(root: Path, paths: Iterable[str] | None = None) -> int:
    """Read every note (``paths``, or all of ``note_paths``) and split it into words; the word count."""
    words = 0
    for rel in note_paths(root) if paths is None else paths:
        words += len((root / rel).read_bytes().decode("utf-8", "replace").split())
    return words
