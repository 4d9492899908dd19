"""Play a platform without ``fcntl`` (Windows) for vaultlink's own code.

With ``PYTHONPATH=tests/no_fcntl`` every Python started (pytest, and each ``python -m vaultlink``
a test starts) refuses ``import fcntl`` from any ``vaultlink`` module, at module level or
inside a function, as Windows would. Other importers keep it: portalocker takes ``fcntl`` on
POSIX as it takes ``msvcrt`` on Windows, and the tests use it to play other programs.

    PYTHONPATH=tests/no_fcntl python -m pytest -q     # the whole suite, vaultlink without fcntl
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

_real_import = builtins.__import__


def _import(
    name: str,
    globals: Mapping[str, Any] | None = None,
    locals: Mapping[str, Any] | None = None,
    fromlist: Sequence[str] = (),
    level: int = 0,
) -> ModuleType:
    importer = str((globals or {}).get("__name__", ""))
    if name == "fcntl" and (importer == "vaultlink" or importer.startswith("vaultlink.")):
        raise ImportError(f"No module named 'fcntl' (tests/no_fcntl: {importer} plays Windows)")
    return _real_import(name, globals, locals, fromlist, level)


builtins.__import__ = _import
