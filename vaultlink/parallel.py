"""Parse many notes across the machine's cores (a cold scan is bound by parsing)."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from vaultlink.core.config import Config
from vaultlink.core.note import ParsedNote
from vaultlink.core.parse import parse_note

# Below this many notes, starting worker processes costs more than it saves.
PARALLEL_MIN = 200
_CHUNK = 64


def parse_many(items: Sequence[tuple[str, bytes]], config: Config, workers: int | None = None) -> list[ParsedNote]:
    """``parse_note`` of every (path, bytes), in order; in worker processes when worth it."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < PARALLEL_MIN:
        return [parse_note(rel, data, config) for rel, data in items]
    chunks = [(items[i : i + _CHUNK], config) for i in range(0, len(items), _CHUNK)]
    # fork is cheap and needs no re-import, but forking a process that runs other threads
    # (the watcher's observer) can deadlock a child; then the slower spawn is used.
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        return [parsed for chunk in pool.map(_parse_chunk, chunks) for parsed in chunk]


def _parse_chunk(job: tuple[Sequence[tuple[str, bytes]], Config]) -> list[ParsedNote]:
    items, config = job
    return [parse_note(rel, data, config) for rel, data in items]
