"""Obsidian's own settings that decide where vaultlink may write and what it may read.

``.obsidian/app.json`` (excluded files, link format, where new notes go), the core Templates
plugin's folder (``templates.json``), Templater's (``plugins/templater-obsidian/data.json``) and
Daily notes' folder, date format and template (``daily-notes.json``; the plugin's defaults when
it is only switched on in ``core-plugins.json``). A file that is absent changes nothing; one that
can't be read, or holds a value of the wrong type, is one ``ConfigError`` line naming it and the key.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import replace
from pathlib import Path
from typing import Any

from vaultlink.core.config import Config
from vaultlink.errors import ConfigError
from vaultlink.settings_file import load_settings, short

OBSIDIAN_APP = ".obsidian/app.json"
TEMPLATES = ".obsidian/templates.json"
TEMPLATER = ".obsidian/plugins/templater-obsidian/data.json"
DAILY_NOTES = ".obsidian/daily-notes.json"
CORE_PLUGINS = ".obsidian/core-plugins.json"
DAILY_DEFAULT_FORMAT = "YYYY-MM-DD"
_LOCATIONS = ("root", "current", "folder")
_LINK_FORMATS = ("shortest", "relative", "absolute")


def apply_obsidian(config: Config, root: Path) -> Config:
    """``config`` with every Obsidian setting the vault has."""
    config = _apply_app(config, root / OBSIDIAN_APP)
    templates = [
        *_folder_setting(root / TEMPLATES, "folder"),
        *_folder_setting(root / TEMPLATER, "templates_folder"),
    ]
    config = _apply_daily(config, root, templates)
    return replace(config, templates=tuple(dict.fromkeys(templates)))


def _object(path: Path) -> dict[str, Any] | None:
    """The settings file's JSON object; None when there is no such file."""
    if not path.is_file():
        return None
    data = load_settings(path, json.loads, "Obsidian settings")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: Obsidian settings are not a JSON object")
    return data


def _apply_app(config: Config, path: Path) -> Config:
    data = _object(path)
    if data is None:
        return config
    filters = data.get("userIgnoreFilters") or []
    if not isinstance(filters, list) or not all(isinstance(f, str) for f in filters):
        raise ConfigError(f"{path}: userIgnoreFilters must be a list of paths, not {short(filters)}")
    markdown_links = data.get("useMarkdownLinks", False)
    if not isinstance(markdown_links, bool):
        raise ConfigError(f"{path}: useMarkdownLinks must be true or false, not {short(markdown_links)}")
    location = _word(path, data, "newFileLocation", "root", _LOCATIONS)
    link_format = _word(path, data, "newLinkFormat", "shortest", _LINK_FORMATS)
    folder = data.get("newFileFolderPath", "") or ""
    if not isinstance(folder, str) or any(ord(c) < 32 for c in folder):
        raise ConfigError(f"{path}: newFileFolderPath must be a folder's path, not {short(folder)}")
    return replace(
        config,
        obsidian_ignore=tuple(filters),
        use_markdown_links=markdown_links,
        new_file_location=location,
        new_file_folder=folder,
        new_link_format=link_format,
    )


def _word(path: Path, data: dict[str, Any], key: str, default: str, known: tuple[str, ...]) -> str:
    """A setting that is one of ``known`` words; a word a newer Obsidian may add reads as ``default``."""
    value = data.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"{path}: {key} must be a word ({', '.join(known)}), not {short(value)}")
    return value if value in known else default


def vault_path(path: Path, key: str, value: Any) -> str:
    """A vault-relative path setting, normalised (no leading or trailing ``/``); "" for none."""
    if value is None:
        return ""
    if not isinstance(value, str) or any(ord(c) < 32 for c in value):
        raise ConfigError(f"{path}: {key} must be a path in the vault, not {short(value)}")
    norm = value.replace("\\", "/").strip().strip("/")
    if not norm:
        return ""
    norm = posixpath.normpath(norm)
    if norm == ".." or norm.startswith("../"):
        raise ConfigError(f"{path}: {key} must be a path in the vault, not {short(value)}")
    return "" if norm == "." else norm


def _folder_setting(path: Path, key: str) -> list[str]:
    data = _object(path)
    if data is None:
        return []
    folder = vault_path(path, key, data.get(key))
    return [folder] if folder else []


def _apply_daily(config: Config, root: Path, templates: list[str]) -> Config:
    """Daily notes' folder and date format, from its settings, or its defaults when the plugin is
    on without settings of its own; its template joins ``templates``."""
    path = root / DAILY_NOTES
    data = _object(path)
    if data is None:
        if not _core_plugin_on(root / CORE_PLUGINS, "daily-notes"):
            return config
        data = {}
    form = data.get("format") or DAILY_DEFAULT_FORMAT
    if not isinstance(form, str) or any(ord(c) < 32 for c in form):
        raise ConfigError(f"{path}: format must be a date format such as YYYY-MM-DD, not {short(form)}")
    template = vault_path(path, "template", data.get("template"))
    if template:
        templates.append(template)
    return replace(config, daily_folder=vault_path(path, "folder", data.get("folder")), daily_format=form)


def _core_plugin_on(path: Path, plugin: str) -> bool:
    """Is this core plugin switched on? ``core-plugins.json`` is a list of the plugins on, or
    (newer Obsidian) an object of plugin -> on."""
    if not path.is_file():
        return False
    data = load_settings(path, json.loads, "Obsidian settings")
    if isinstance(data, list):
        return plugin in data
    if isinstance(data, dict):
        return data.get(plugin) is True
    raise ConfigError(f"{path}: Obsidian settings are neither a list nor a JSON object")
