"""Obsidian's own settings that set vaultlink's scope (templates, Templater, daily notes, the new
link format) and ``[[rules]]`` of ``.vaultlink.toml``: read, and every mistake one line naming
the file and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import VaultFactory

from vaultlink.config import CONFIG_NAME, OBSIDIAN_APP, load_config
from vaultlink.core.config import Rule
from vaultlink.errors import ConfigError
from vaultlink.obsidian import CORE_PLUGINS, DAILY_NOTES, TEMPLATER, TEMPLATES


def test_templates_folders_of_templates_and_templater_are_read(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            TEMPLATES: json.dumps({"folder": "Extras/Templates/"}),
            TEMPLATER: json.dumps({"templates_folder": "/Templater", "trigger_on_file_creation": True}),
        }
    )
    assert load_config(root).templates == ("Extras/Templates", "Templater")


def test_daily_notes_folder_format_and_template_are_read(make_vault: VaultFactory) -> None:
    settings = {"folder": "Calendar/Daily notes", "format": "YYYY-MM-DD", "template": "Extras/Templates/Daily"}
    root = make_vault({DAILY_NOTES: json.dumps(settings)})
    config = load_config(root)
    assert (config.daily_folder, config.daily_format) == ("Calendar/Daily notes", "YYYY-MM-DD")
    assert config.templates == ("Extras/Templates/Daily",)


def test_daily_notes_switched_on_without_settings_take_obsidians_defaults(make_vault: VaultFactory) -> None:
    root = make_vault({CORE_PLUGINS: json.dumps(["file-explorer", "daily-notes"])})
    config = load_config(root)
    assert (config.daily_folder, config.daily_format) == ("", "YYYY-MM-DD")
    off = make_vault({CORE_PLUGINS: json.dumps({"daily-notes": False})})
    assert load_config(off).daily_format == ""


def test_new_link_format_is_read_and_an_unknown_word_reads_as_shortest(make_vault: VaultFactory) -> None:
    assert load_config(make_vault({OBSIDIAN_APP: '{"newLinkFormat": "relative"}'})).new_link_format == "relative"
    assert load_config(make_vault({OBSIDIAN_APP: '{"newLinkFormat": "future"}'})).new_link_format == "shortest"


def test_rules_are_read_in_order(make_vault: VaultFactory) -> None:
    toml = '[[rules]]\nglob = "journal/"\nwrite = false\n\n[[rules]]\nglob = "journal/keep.md"\nsuggest = false\n'
    root = make_vault({CONFIG_NAME: toml})
    assert load_config(root).rules == (Rule("journal/", write=False), Rule("journal/keep.md", suggest=False))


BAD: dict[str, tuple[str, str, str]] = {
    "templates-folder-number": (TEMPLATES, '{"folder": 3}', "folder must be a path in the vault"),
    "templates-folder-outside": (TEMPLATES, '{"folder": "../x"}', "folder must be a path in the vault"),
    "templater-not-object": (TEMPLATER, "[1]", "not a JSON object"),
    "daily-format-number": (DAILY_NOTES, '{"format": 5}', "format must be a date format"),
    "daily-folder-list": (DAILY_NOTES, '{"folder": ["a"]}', "folder must be a path in the vault"),
    "daily-broken": (DAILY_NOTES, '{"folder": ', "cannot read Obsidian settings"),
    "link-format-number": (OBSIDIAN_APP, '{"newLinkFormat": 1}', "newLinkFormat must be a word"),
    "core-plugins-string": (CORE_PLUGINS, '"daily-notes"', "neither a list nor a JSON object"),
    "rules-not-tables": (CONFIG_NAME, 'rules = "x"\n', "'rules' must be [[rules]] tables"),
    "rule-no-glob": (CONFIG_NAME, "[[rules]]\nwrite = false\n", "rules[1]: 'glob' must be a pattern"),
    "rule-unknown-key": (CONFIG_NAME, '[[rules]]\nglob = "a/"\nwrte = false\n', "rules[1]: unknown key 'wrte'"),
    "rule-string-flag": (CONFIG_NAME, '[[rules]]\nglob = "a/"\nwrite = "no"\n', "rules[1]: 'write' must be true"),
    "rule-says-nothing": (CONFIG_NAME, '[[rules]]\nglob = "a/"\n', "rules[1]: says nothing"),
    "rule-bad-glob": (CONFIG_NAME, '[[rules]]\nglob = "!"\nwrite = false\n', "rules[1]: 'glob' holds an invalid"),
    "second-rule": (
        CONFIG_NAME,
        '[[rules]]\nglob = "a/"\nwrite = false\n[[rules]]\nglob = 1\n',
        "rules[2]: 'glob' must be a pattern",
    ),
    "zero-citers": (CONFIG_NAME, "stub_min_citers = 0\n", "'stub_min_citers' must be at least 1"),
    "zero-backlinks-limit": (CONFIG_NAME, "backlinks_limit = 0\n", "'backlinks_limit' must be at least 1"),
}


@pytest.mark.parametrize("name, content, expected", BAD.values(), ids=BAD.keys())
def test_a_bad_setting_is_one_line_naming_the_file_and_key(
    make_vault: VaultFactory, name: str, content: str, expected: str
) -> None:
    root = make_vault({name: content, "a.md": "a"})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = str(info.value)
    assert "\n" not in message and str(Path(root / name)) in message
    assert expected in message
