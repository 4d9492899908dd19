"""vaultlink watch: watchdog events -> debounced batches -> LiveVault.update.

As in mkdocs' livereload: the watchdog handler only records paths and sets a flag; one loop
waits for a quiet period (the debounce), takes the batch and updates; an exception in a
batch is reported and the loop goes on; every wait has a timeout, so a stop request (Ctrl-C,
SIGTERM) is seen within a fraction of a second.
"""

from __future__ import annotations

import gc
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from vaultlink.config import CONFIG_NAME, OBSIDIAN_APP
from vaultlink.errors import VaultNotFound
from vaultlink.live import LiveVault
from vaultlink.report import SyncReport
from vaultlink.vault import relative_to

TICK = 0.1
# Editors' temporary and backup files, and sync tools' conflict copies: never notes.
_EDITOR_NOISE = re.compile(
    r"(~$|\.swp$|\.swx$|\.tmp$|\.bak$|^4913$|^#.*#$|\.sync-conflict-|\(conflicted copy|\.crswap$)", re.I
)


_SETTINGS = frozenset((CONFIG_NAME, OBSIDIAN_APP))


def is_noise(rel: str) -> bool:
    """Paths the watcher ignores: dot-folders and dot-files (``.obsidian``, ``.vaultlink``,
    vaultlink's own temp files, vim's ``.x.swp``) and editors' temp, backup and conflict files;
    not the vault's settings (``.vaultlink.toml``, Obsidian's ``app.json``), which are taken up."""
    if rel in _SETTINGS:
        return False
    parts = rel.split("/")
    return any(p.startswith(".") for p in parts) or _EDITOR_NOISE.search(parts[-1]) is not None


class EventCollector(FileSystemEventHandler):
    """Records the vault-relative paths that events name; nothing else happens on
    watchdog's thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.Lock()
        self.paths: set[str] = set()
        self.last_event = 0.0
        self.pending = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder "changes" whenever a file in it does; that file has its own event
        found = False
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            rel = relative_to(self.root, os.fsdecode(raw))
            if rel is None or is_noise(rel):
                continue
            with self.lock:
                self.paths.add(rel)
            found = True
        if found:
            self.last_event = time.monotonic()
            self.pending.set()

    def take(self) -> set[str]:
        with self.lock:
            paths, self.paths = self.paths, set()
            self.pending.clear()
        return paths


@dataclass(frozen=True)
class WatchSettings:
    debounce: float = 1.0
    grace: float = 90.0
    """Never write into a note edited less than this many seconds ago (``LiveVault``): longer
    than a writer's pause between two saves (README, "The editor")."""
    poll: bool = False


def make_observer(poll: bool) -> BaseObserver:
    return PollingObserver(timeout=0.5) if poll else Observer()


def start_observer(root: Path, poll: bool) -> tuple[BaseObserver, EventCollector]:
    """Start watching ``root``. Start it before reading the vault, so that no save made while
    the vault is read and first synced is missed (vaultlink's own writes are recognised later)."""
    collector = EventCollector(root)
    observer = make_observer(poll)
    observer.schedule(collector, os.fspath(root), recursive=True)
    observer.start()
    return observer, collector


def run_watch(
    live: LiveVault,
    settings: WatchSettings,
    stop: threading.Event,
    on_batch: Callable[[set[str], SyncReport], None],
    on_error: Callable[[Exception], None],
    on_ready: Callable[[], None] = lambda: None,
    started: tuple[BaseObserver, EventCollector] | None = None,
) -> None:
    """Watch ``live``'s vault until ``stop`` is set (with an observer already ``started``, or a new one)."""
    observer, collector = started or start_observer(live.root, settings.poll)
    # The vault as loaded lives as long as the watcher: out of the cycle collector's full passes,
    # which would walk it (~1M objects, ~0.5 s on 10,000 notes) at the expense of some save.
    gc.freeze()
    try:
        on_ready()
        while not stop.is_set():
            paths = _next_batch(collector, live, settings, stop)
            if paths is None:
                continue
            try:
                report = live.update(paths, interrupted=collector.pending.is_set)
            except VaultNotFound:
                raise  # the vault itself is gone: the watch ends, saying so
            except Exception as exc:
                on_error(exc)
                continue
            on_batch(paths, report)
    finally:
        observer.stop()
        observer.join(timeout=2)


def _next_batch(
    collector: EventCollector, live: LiveVault, settings: WatchSettings, stop: threading.Event
) -> set[str] | None:
    """Wait for events, then for ``debounce`` seconds without any; or for a waiting note to
    wait out its grace period. None if there is nothing to do yet (or a stop was asked for)."""
    due = live.next_due()
    timeout = TICK if due is None else max(0.0, min(TICK, due - live.clock()))
    if not collector.pending.wait(timeout):
        due = live.next_due()
        return set() if due is not None and due <= live.clock() else None
    while not stop.is_set():
        since_last = time.monotonic() - collector.last_event
        if since_last >= settings.debounce:
            return collector.take()
        stop.wait(min(TICK, settings.debounce - since_last))
    return None
