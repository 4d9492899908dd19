"""Is an editor holding a note open? The watcher leaves such a note unwritten until it is closed.

Writing into a note open in Vim (without ``autoread``) makes its next ``:w`` ask "The file has been
changed since reading it!!!" (measured: benchmarks/bench_editor.py; README, "The editor").
Editors that say so on disk: Vim's swap file beside the note (``.name.swp``, ``.swo``, ``.swn``:
Vim's default ``directory``) and Emacs's lock (``.#name``, a symbolic link that leads nowhere).
"""

from __future__ import annotations

import os
from pathlib import Path

# How often a note an editor holds open is looked at again (``editor_has_open``).
EDITOR_RECHECK = 2.0


def editor_has_open(root: Path, rel: str) -> bool:
    """Does Vim's swap file or Emacs's lock say an editor has the note at ``rel`` open?"""
    folder, _, name = rel.rpartition("/")
    base = root / folder if folder else root
    candidates = (f".{name}.swp", f".{name}.swo", f".{name}.swn", f".#{name}")
    return any(os.path.lexists(base / candidate) for candidate in candidates)
