"""Load a vault's settings: Obsidian's (``obsidian.py``), then ``.vaultlink.toml`` at its root,
its ``[[rules]]`` included. Every mistake is one ``ConfigError`` line naming the file and key."""

from __future__ import annotations

import math
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pathspec

from vaultlink.core.blocks import heading_problem
from vaultlink.core.config import Config, Rule
from vaultlink.core.language import AUTO, KNOWN, normal_code
from vaultlink.core.reason_words import REASON_WORDS
from vaultlink.errors import ConfigError
from vaultlink.obsidian import OBSIDIAN_APP, apply_obsidian
from vaultlink.settings_file import load_settings, one_line, short

__all__ = ["CONFIG_NAME", "OBSIDIAN_APP", "load_config"]

CONFIG_NAME = ".vaultlink.toml"

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
    "backlinks_limit": int,
    "stub_links": list,
    "stub_min_citers": int,
    "stub_limit": int,
    "rules": dict,
    "language": str,
    "related_heading": str,
    "backlinks_heading": str,
    "reason_words": dict,
}
STUB_LINK_KINDS = ("wikilink", "path", "markdown", "embed")
_AT_LEAST_ONE = ("backlinks_limit", "stub_min_citers")
_RULE_KEYS = ("glob", "write", "suggest", "stubs")


def load_config(root: Path) -> Config:
    """The vault's Config: defaults, then Obsidian's settings, then ``.vaultlink.toml``."""
    config = Config(path_prefixes=(root.resolve().name,))
    config = apply_obsidian(config, root)
    return _apply_user(config, root / CONFIG_NAME)


def _apply_user(config: Config, path: Path) -> Config:
    if not path.is_file():
        return config
    data = load_settings(path, tomllib.loads, "settings")
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
    if key == "reason_words":
        return _reason_words(path, value)
    if expected is dict:
        return _rules(path, value)
    if expected is str:
        return _text_setting(path, key, value)
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
            for glob in value:
                _check_glob(path, "setting 'ignore'", glob)
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (expected is int and isinstance(value, float)):
        raise ConfigError(f"{path}: setting '{key}' must be {_type_name(expected)}, not {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ConfigError(f"{path}: setting '{key}' must be a finite number, not negative: {value!r}")
    if key == "max_df_ratio" and value > 1:
        raise ConfigError(f"{path}: setting 'max_df_ratio' is a share of notes, from 0 to 1, not {value!r}")
    if key in _AT_LEAST_ONE and value < 1:
        raise ConfigError(f"{path}: setting '{key}' must be at least 1, not {value!r}")
    return expected(value)


def _text_setting(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{path}: setting '{key}' must be a string, not {short(value)}")
    if key == "language":
        code = normal_code(value)
        if value != AUTO and code not in KNOWN:
            raise ConfigError(f"{path}: setting 'language' must be \"auto\" or a code, e.g. \"de\", not {short(value)}")
        return value if value == AUTO else code
    problem = heading_problem(value)
    if problem:
        raise ConfigError(f"{path}: setting '{key}' {problem}, not {short(value)}")
    return value.strip()


def _reason_words(path: Path, value: Any) -> tuple[tuple[str, str], ...]:
    """The ``[reason_words]`` table: each key one of ``REASON_WORDS``, each word one line of text
    with no block marker, as a heading is (a word may start with '#': it heads no line)."""
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: setting 'reason_words' must be a [reason_words] table, not {short(value)}")
    words: list[tuple[str, str]] = []
    for key, word in value.items():
        where = f"reason_words.{key}"
        if key not in REASON_WORDS:
            raise ConfigError(f"{path}: unknown key '{where}' (known: {', '.join(REASON_WORDS)})")
        if not isinstance(word, str):
            raise ConfigError(f"{path}: '{where}' must be a string, not {short(word)}")
        problem = heading_problem("x" + word) if word.strip() else "must not be empty"  # "x": '#' is fine here
        if problem:
            raise ConfigError(f"{path}: '{where}' {problem}, not {short(word)}")
        words.append((key, word.strip()))
    return tuple(sorted(words))


def _rules(path: Path, value: Any) -> tuple[Rule, ...]:
    """The ``[[rules]]`` tables, each checked: a ``glob``, and ``write``, ``suggest``, ``stubs`` as
    true or false."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ConfigError(f"{path}: setting 'rules' must be [[rules]] tables with a glob, not {short(value)}")
    rules: list[Rule] = []
    for number, table in enumerate(value, 1):
        where = f"rules[{number}]"
        unknown = sorted(set(table) - set(_RULE_KEYS))
        if unknown:
            raise ConfigError(f"{path}: {where}: unknown key '{unknown[0]}' (known: {', '.join(_RULE_KEYS)})")
        glob = table.get("glob")
        if not isinstance(glob, str) or not glob.strip():
            raise ConfigError(f"{path}: {where}: 'glob' must be a pattern such as \"journal/\", not {short(glob)}")
        _check_glob(path, f"{where}: 'glob'", glob)
        flags: dict[str, bool] = {}
        for key in _RULE_KEYS[1:]:
            if key in table:
                if not isinstance(table[key], bool):
                    raise ConfigError(f"{path}: {where}: '{key}' must be true or false, not {short(table[key])}")
                flags[key] = table[key]
        if not flags:
            raise ConfigError(f"{path}: {where}: says nothing: give write, suggest or stubs (true or false)")
        rules.append(Rule(glob, **flags))
    return tuple(rules)


def _check_glob(path: Path, what: str, glob: str) -> None:
    """A pattern must be one gitignore would accept (``!`` alone is not)."""
    try:
        pathspec.PathSpec.from_lines("gitignore", [glob])
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path}: {what} holds an invalid pattern {glob!r}: {one_line(exc)}") from exc


def _type_name(kind: type) -> str:
    names = {list: "a list of strings", int: "a whole number", float: "a number", bool: "true or false"}
    return names.get(kind, "a string")
