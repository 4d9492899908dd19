"""Load a vault's settings: ``.vaultlink.toml`` at its root and Obsidian's ``.obsidian/app.json``."""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pathspec

from vaultlink.core.config import Config
from vaultlink.errors import ConfigError

CONFIG_NAME = ".vaultlink.toml"
OBSIDIAN_APP = ".obsidian/app.json"

# Settings a user may put in .vaultlink.toml, with the type each must have.
_USER_KEYS: dict[str, type] = {
    "extensions": list,
    "ignore": list,
    "path_prefixes": list,
    "max_bytes": int,
    "tag_keys": list,
    "min_df": int,
    "max_df_ratio": float,
    "terms_per_note": int,
    "related_top": int,
    "related_min_score": float,
    "backlinks": bool,
    "stub_links": list,
}
STUB_LINK_KINDS = ("wikilink", "path", "markdown", "embed")


def load_config(root: Path) -> Config:
    """The vault's Config: defaults, then Obsidian's settings, then ``.vaultlink.toml``."""
    config = Config(path_prefixes=(root.resolve().name,))
    config = _apply_obsidian(config, root / OBSIDIAN_APP)
    return _apply_user(config, root / CONFIG_NAME)


def _load(path: Path, parse: Callable[[str], Any], what: str) -> Any:
    """Parse a settings file; any failure is one ConfigError line naming it."""
    try:
        return parse(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:  # JSON and TOML errors are ValueErrors
        raise ConfigError(f"{path}: cannot read {what}: {_one_line(exc)}") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: cannot read {what}: nested too deeply") from exc


def _apply_obsidian(config: Config, path: Path) -> Config:
    if not path.is_file():
        return config
    data = _load(path, json.loads, "Obsidian settings")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: Obsidian settings are not a JSON object")
    filters = data.get("userIgnoreFilters") or []
    if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
        raise ConfigError(f"{path}: userIgnoreFilters must be a list of paths, not {_short(filters)}")
    markdown_links = data.get("useMarkdownLinks", False)
    if not isinstance(markdown_links, bool):
        raise ConfigError(f"{path}: useMarkdownLinks must be true or false, not {_short(markdown_links)}")
    location = data.get("newFileLocation", "root")
    if not isinstance(location, str):
        raise ConfigError(f"{path}: newFileLocation must be a word (root, current, folder), not {_short(location)}")
    folder = data.get("newFileFolderPath", "") or ""
    if not isinstance(folder, str) or any(ord(c) < 32 for c in folder):
        raise ConfigError(f"{path}: newFileFolderPath must be a folder's path, not {_short(folder)}")
    return replace(
        config,
        obsidian_ignore=tuple(filters),
        use_markdown_links=markdown_links,
        new_file_location=location if location in ("root", "current", "folder") else "root",  # a newer one
        new_file_folder=folder,
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _apply_user(config: Config, path: Path) -> Config:
    if not path.is_file():
        return config
    data = _load(path, tomllib.loads, "settings")
    changes: dict[str, Any] = {}
    for key, value in data.items():
        changes[key] = _checked(path, key, value)
    if "extensions" in changes:
        changes["extensions"] = tuple("." + e.lstrip(".").lower() for e in changes["extensions"])
    if "path_prefixes" in changes:
        changes["path_prefixes"] = tuple(config.path_prefixes) + tuple(changes["path_prefixes"])
    known = {f.name for f in fields(Config)}
    assert set(changes) <= known
    return replace(config, **changes)


def _checked(path: Path, key: str, value: Any) -> Any:
    expected = _USER_KEYS.get(key)
    if expected is None:
        raise ConfigError(f"{path}: unknown setting '{key}' (known: {', '.join(sorted(_USER_KEYS))})")
    if expected is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: setting '{key}' must be true or false, not {value!r}")
        return value
    if key == "stub_links" and isinstance(value, list) and not set(value) <= set(STUB_LINK_KINDS):
        raise ConfigError(f"{path}: setting 'stub_links' takes link kinds from {', '.join(STUB_LINK_KINDS)}")
    if expected is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: setting '{key}' must be a list of strings, not {value!r}")
        if key == "extensions" and (not value or not all(v.strip(".").strip() for v in value)):
            raise ConfigError(f"{path}: setting 'extensions' must name at least one extension, e.g. [\".md\"]")
        if key == "ignore":
            _check_globs(path, value)
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (expected is int and isinstance(value, float)):
        raise ConfigError(f"{path}: setting '{key}' must be {_type_name(expected)}, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{path}: setting '{key}' must be a finite number, not negative: {value!r}")
    if key == "max_df_ratio" and value > 1:
        raise ConfigError(f"{path}: setting 'max_df_ratio' is a share of notes, from 0 to 1, not {value!r}")
    return expected(value)


def _check_globs(path: Path, globs: list[str]) -> None:
    """Each ``ignore`` entry must be a pattern gitignore would accept (``!`` alone is not)."""
    for glob in globs:
        try:
            pathspec.PathSpec.from_lines("gitignore", [glob])
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: setting 'ignore' holds an invalid pattern {glob!r}: {_one_line(exc)}") from exc


def _type_name(kind: type) -> str:
    return {list: "a list of strings", int: "a whole number", float: "a number", bool: "true or false"}[kind]


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
