"""Reading one settings file (``.vaultlink.toml``, Obsidian's JSON): any failure is one line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vaultlink.errors import ConfigError


def load_settings(path: Path, parse: Callable[[str], Any], what: str) -> Any:
    """Parse a settings file; any failure is one ConfigError line naming it."""
    try:
        return parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSON and TOML errors are ValueErrors
        raise ConfigError(f"{path}: cannot read {what}: {one_line(exc)}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: cannot read {what}: nested too deeply") from exc


def short(value: Any) -> str:
    """A value as a message shows it: its repr, cut at 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
