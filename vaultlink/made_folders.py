"""Which folders vaultlink made (for a stub), so that it only ever removes those.

Deleting a stub (``sync`` when nobody cites it, ``clean``) may leave its folder empty. An empty
folder may be the user's own (Obsidian's ``inbox/``, a folder made for notes to come): only a
folder recorded here, made by vaultlink and still the same folder (device and inode), is removed.
The record is ``.vaultlink/made-folders``, JSON, written while the vault's lock is held; it goes
when it is empty. A folder is recorded after it is made, so a run killed in between leaves an
empty folder behind rather than ever removing one of the user's.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

RECORD_NAME = "made-folders"


class FolderRecord:
    """The record in ``state`` (the vault's ``.vaultlink/``): vault-relative folder -> (dev, inode)."""

    def __init__(self, state: Path) -> None:
        self.path = state / RECORD_NAME

    def load(self) -> dict[str, tuple[int, int]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, list):
            return {}
        found: dict[str, tuple[int, int]] = {}
        for entry in data:
            if (
                isinstance(entry, list)
                and len(entry) == 3
                and isinstance(entry[0], str)
                and all(type(v) is int for v in entry[1:])
            ):
                found[entry[0]] = (entry[1], entry[2])
        return found

    def save(self, folders: dict[str, tuple[int, int]]) -> None:
        """Write the record (best effort: a folder not recorded is simply never removed)."""
        with contextlib.suppress(OSError):
            if not folders:
                self.path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):  # made for the record alone (no lock, no cache in it)
                    self.path.parent.rmdir()
                return
            self.path.parent.mkdir(exist_ok=True)
            temp = self.path.with_name(f".{RECORD_NAME}.{os.getpid()}")
            temp.write_text(json.dumps(sorted([rel, *ident] for rel, ident in folders.items())), encoding="utf-8")
            os.replace(temp, self.path)

    def add(self, made: dict[str, tuple[int, int]]) -> None:
        if made:
            self.save({**self.load(), **made})

    def made_by_us(self, rel: str, st: os.stat_result) -> bool:
        return self.load().get(rel) == (st.st_dev, st.st_ino)

    def drop(self, rels: list[str]) -> None:
        if rels:
            folders = self.load()
            for rel in rels:
                folders.pop(rel, None)
            self.save(folders)
