"""What differs between the platforms vaultlink runs on, asked in one place.

Each question is a function, evaluated when asked (not at import), so that tests on Linux can
play Windows or macOS by monkeypatching ``os.name``, ``sys.platform`` or removing a module.
CI runs on Linux only; ``tests/test_platform.py`` covers the other branches that way.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import ModuleType


def windows() -> bool:
    """Windows: no ``fcntl``, no ``dir_fd``, directories can't be opened, and a file another
    program holds open can be neither replaced nor deleted."""
    return os.name == "nt"


def fcntl_module() -> ModuleType | None:
    """The ``fcntl`` module where there is one (POSIX), else None (Windows). Imported when
    asked: vaultlink never imports it at module level, so the CLI starts on Windows."""
    try:
        import fcntl  # an import statement, so that tests/no_fcntl's import hook sees it
    except ImportError:
        return None
    return fcntl


def replace_held_open(src: str | Path, dst: str | Path, *, attempts: int = 10, wait: float = 0.05) -> bool:
    """``os.replace(src, dst)``, retried briefly where the platform refuses to replace a file
    another program holds open (Windows: PermissionError while an editor, a sync client or a
    virus scanner has it). True once it is replaced; False if it was still held after the last
    attempt (the caller reports the note). Elsewhere a PermissionError is a real one: raised."""
    for attempt in range(attempts):
        try:
            os.replace(src, dst)
        except PermissionError:
            if not windows():
                raise
            if attempt + 1 < attempts:
                time.sleep(wait)
        else:
            return True
    return False


def link_follow_kwargs() -> dict[str, bool]:
    """``follow_symlinks=False`` for ``os.link`` where the platform offers it; elsewhere nothing
    (Windows' ``os.link`` may raise NotImplementedError, which is no OSError, for the option)."""
    return {"follow_symlinks": False} if os.link in os.supports_follow_symlinks else {}
