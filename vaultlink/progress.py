"""Progress of the slow steps (reading, ranking, writing), for a progress bar.

The use cases call ``progress.step(label, total)`` when a step starts and the returned
function with the number of items done since the last call. ``NO_PROGRESS`` does nothing;
the CLI passes a ``TerminalProgress`` when stderr is a terminal and ``--quiet`` is not given.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

Advance = Callable[[int], None]

SHOW_AFTER = 1.0
"""Seconds a step must have run before its bar appears: quick runs print nothing extra."""


class Progress(Protocol):
    def step(self, label: str, total: int) -> Advance: ...

    def close(self) -> None: ...


class _Silent:
    def step(self, label: str, total: int) -> Advance:
        return _ignore

    def close(self) -> None:
        return None


def _ignore(done: int) -> None:
    return None


NO_PROGRESS: Progress = _Silent()


class TerminalProgress:
    """A click progress bar on ``file`` for each step, shown once the step has run ``SHOW_AFTER``
    seconds; a new step closes the previous bar."""

    def __init__(self, file: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.file = file if file is not None else sys.stderr
        self.clock = clock
        self._bar: Any = None

    def step(self, label: str, total: int) -> Advance:
        import click  # the CLI's library; imported here so the core and app never need it

        self.close()
        started = self.clock()
        done = 0

        def advance(count: int) -> None:
            nonlocal done
            done += count
            if self._bar is None:
                if self.clock() - started < SHOW_AFTER or done >= total:
                    return
                self._bar = click.progressbar(length=total, label=label, file=self.file)
                self._bar.__enter__()
                self._bar.update(done - count)
            self._bar.update(count)

        return advance

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None
