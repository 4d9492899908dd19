"""The notes the user deleted or renamed while ``watch`` ran: no stub ever brings one back.

Under ``watch``, deleting a note others link to would otherwise leave links asking for it, and
the next batch would make a stub at once (a rename, ``mv a.md b.md``, likewise leaves ``a.md``
asked for). The watcher records each such path here, with the new path of a rename;
``sync`` and ``watch`` make no stub at a recorded path, and ``check`` reports the links left
pointing at it (with the new name). An entry goes when a note is at its path again.

The record is ``.vaultlink/gone``, JSON ``{path: new path or ""}``, written while the vault's
lock is held; best effort, as ``made_folders.py``: a record that can't be read is empty.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from vaultlink.core.resolve import fold
from vaultlink.lock import STATE_DIR, state_folder_problem

RECORD_NAME = "gone"


def load_gone(root: Path) -> dict[str, str]:
    """The record: deleted or renamed note -> its new path ("" if deleted)."""
    if state_folder_problem(root):
        return {}
    try:
        data = json.loads((root / STATE_DIR / RECORD_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def gone_after(
    gone: dict[str, str], removed: dict[str, str], new: dict[str, str], present: list[str]
) -> dict[str, str]:
    """The record after a batch: each ``removed`` note (path -> its last digest) is gone, renamed to
    the ``new`` note (path -> digest) with its very bytes if there is one; a recorded path a note is
    at again (``present``, compared as Obsidian compares paths) is forgotten."""
    by_digest = {digest: path for path, digest in new.items()}
    out = {**gone, **{rel: by_digest.get(digest, "") if digest else "" for rel, digest in removed.items()}}
    back = {fold(p) for p in present}
    return {path: now for path, now in out.items() if fold(path) not in back}


def gone_keys(gone: dict[str, str]) -> set[str]:
    """The record's paths as links find them (``fold``)."""
    return {fold(p) for p in gone}


class GoneRecord:
    """The watcher's record, batch by batch: the notes removed in a batch (with their last digest,
    so a new note with the very bytes is seen as the rename) become gone when the batch ends."""

    def __init__(self, root: Path, listed: set[str]) -> None:
        self.root = root
        self.paths = {p: new for p, new in load_gone(root).items() if fold(p) not in listed}
        self.removed: dict[str, str] = {}  # this batch's removed notes -> their last digest

    def keys(self) -> set[str]:
        return gone_keys(self.paths)

    def end_batch(self, removed: list[str], new: dict[str, str], present: list[str]) -> None:
        """Record the batch (``gone_after``) and save the record if it changed."""
        gone = gone_after(self.paths, {r: self.removed.get(r, "") for r in removed}, new, present)
        self.removed.clear()
        if gone != self.paths:
            self.paths = gone
            save_gone(self.root, gone)


def save_gone(root: Path, gone: dict[str, str]) -> None:
    """Write the record (the watcher holds the lock, so the state folder is there)."""
    path = root / STATE_DIR / RECORD_NAME
    with contextlib.suppress(OSError):
        if state_folder_problem(root):
            return
        if not gone:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(exist_ok=True)
        temp = path.with_name(f".{RECORD_NAME}.{os.getpid()}")
        temp.write_text(json.dumps(gone, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, path)
