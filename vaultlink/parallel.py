"""Parse many notes across the machine's cores (a cold scan is bound by parsing)."""

from __future__ import annotations

import dataclasses
import gc
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from vaultlink.core.config import Config
from vaultlink.core.note import Link, ParsedNote
from vaultlink.core.parse import NO_BOILERPLATE, parse_note
from vaultlink.progress import Advance

# Below this many notes, starting worker processes costs more than it saves.
PARALLEL_MIN = 200
_CHUNK = 64
# How often a worker looks whether the process that started it is still there (seconds).
PARENT_POLL = 0.2


def parse_many(
    items: Sequence[tuple[str, bytes]],
    config: Config,
    workers: int | None = None,
    advance: Advance = lambda done: None,
    boilerplate: frozenset[int] = NO_BOILERPLATE,
) -> list[ParsedNote]:
    """``parse_note`` of every (path, bytes) (with the vault's ``boilerplate`` lines), in order; in
    worker processes when worth it.
    ``advance`` hears how many more are parsed, as they are.

    If the workers can't be started (a limit on processes or open files, no semaphores in a
    sandbox: OSError) or one dies (BrokenProcessPool), the notes are parsed here instead:
    the same result, only slower.
    """
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(items) < PARALLEL_MIN:
        return _parse_serially(items, config, advance, boilerplate)
    try:
        return _parse_in_workers(items, config, workers, advance, boilerplate)
    except (OSError, BrokenProcessPool):
        return _parse_serially(items, config, advance, boilerplate)


def _parse_serially(
    items: Sequence[tuple[str, bytes]], config: Config, advance: Advance, boilerplate: frozenset[int]
) -> list[ParsedNote]:
    out = []
    links: dict[Link, Link] = {}
    keys: dict[str, str] = {}
    for rel, data in items:
        out.append(_shared_words(parse_note(rel, data, config, boilerplate), links, keys))
        advance(1)
    return out


Job = tuple[Sequence[tuple[str, bytes]], Config, frozenset[int]]
"""A worker's task: notes to parse, the settings, the vault's boilerplate lines."""


def _parse_in_workers(
    items: Sequence[tuple[str, bytes]], config: Config, workers: int, advance: Advance, boilerplate: frozenset[int]
) -> list[ParsedNote]:
    chunks = [(items[i : i + _CHUNK], config, boilerplate) for i in range(0, len(items), _CHUNK)]
    # fork is cheap and needs no re-import, but forking a process that runs other threads
    # (the watcher's observer) can deadlock a child; then the slower spawn is used.
    method = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        out: list[ParsedNote] = []
        links: dict[Link, Link] = {}
        keys: dict[str, str] = {}
        for chunk in _forking(pool, chunks):
            out.extend(_shared_words(parsed, links, keys) for parsed in chunk)
            advance(len(chunk))
        return out


def _forking(pool: ProcessPoolExecutor, chunks: list[Job]) -> Iterator[list[ParsedNote]]:
    """``pool.map`` of the chunks, the workers forked with this process's objects frozen out of the
    garbage collector (``gc.freeze``): a collection in a worker would otherwise write to the header
    of every object inherited (every note file read) and so copy each page of them."""
    gc.freeze()
    try:
        results = pool.map(_parse_chunk, chunks)  # forks the workers, all at the first task
    finally:
        gc.unfreeze()
    return results


def _shared_words(parsed: ParsedNote, links: dict[Link, Link], keys: dict[str, str]) -> ParsedNote:
    """The note with its words interned here, and its term keys and links shared with every equal
    one seen (``keys``, ``links``): each came from its worker as an object of its own, and a large
    vault would otherwise hold one copy of a common word per note, and of a link to a hub per citing
    note. Term keys are not interned (``PackedTerms.shared``): ``keys`` goes when reading ends."""
    note = parsed.note
    if note is None:
        return parsed
    words, forms = tuple(map(sys.intern, note.words)), tuple(map(sys.intern, note.forms))
    terms = note.terms.shared(keys)
    shared_links = tuple(links.setdefault(link, link) for link in note.links)
    shared = dataclasses.replace(note, words=words, forms=forms, terms=terms, links=shared_links)
    return dataclasses.replace(parsed, note=shared)


def _parse_chunk(job: Job) -> list[ParsedNote]:
    items, config, boilerplate = job
    return [parse_note(rel, data, config, boilerplate) for rel, data in items]


def exit_with_parent(parent: int) -> None:
    """Worker initializer: end this worker when ``parent``, the process that started it, is
    gone. A parent killed with SIGKILL can't shut its pool down, and its workers would wait
    on their task queue forever (portable: no Linux-only parent-death signal)."""
    threading.Thread(target=_watch_parent, args=(parent,), name="vaultlink-parent-watch", daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL)
    os._exit(1)
