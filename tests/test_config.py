"""Loading a vault's settings (``config.load_config``): defaults, Obsidian's app.json, .vaultlink.toml, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import VaultFactory

from vaultlink.config import CONFIG_NAME, OBSIDIAN_APP, load_config
from vaultlink.core.config import DEFAULT_EXTENSIONS, DEFAULT_TAG_KEYS, Config
from vaultlink.errors import ConfigError, VaultlinkError

# --- defaults ----------------------------------------------------------------------------------------


def test_defaults_without_config_files(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "a"})
    config = load_config(root)
    assert config == Config(path_prefixes=("vault",))
    assert config.extensions == DEFAULT_EXTENSIONS == (".md", ".markdown")
    assert config.tag_keys == DEFAULT_TAG_KEYS
    assert config.ignore == () and config.obsidian_ignore == ()
    assert config.max_bytes == 5 * 1024 * 1024
    assert config.new_file_location == "root" and config.new_file_folder == ""
    assert config.use_markdown_links is False


def test_path_prefixes_default_to_the_vault_folder_name(tmp_path: Path) -> None:
    root = tmp_path / "rdco-vault"
    root.mkdir()
    assert load_config(root).path_prefixes == ("rdco-vault",)


def test_path_prefix_is_the_real_folder_name_for_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "my-notes"
    root.mkdir()
    monkeypatch.chdir(root)
    assert load_config(Path(".")).path_prefixes == ("my-notes",)


# --- Obsidian's .obsidian/app.json ----------------------------------------------------------------------


def test_obsidian_settings_are_read(make_vault: VaultFactory) -> None:
    app_json = {
        "useMarkdownLinks": True,
        "newFileLocation": "folder",
        "newFileFolderPath": "Inbox/New",
        "userIgnoreFilters": ["Templates/", "/^archive-\\d+/"],
        "someOtherSetting": 3,
    }
    root = make_vault({OBSIDIAN_APP: json.dumps(app_json)})
    config = load_config(root)
    assert config.use_markdown_links is True
    assert config.new_file_location == "folder"
    assert config.new_file_folder == "Inbox/New"
    assert config.obsidian_ignore == ("Templates/", "/^archive-\\d+/")


@pytest.mark.parametrize("location", ["root", "current", "folder"])
def test_obsidian_new_file_location_values(make_vault: VaultFactory, location: str) -> None:
    root = make_vault({OBSIDIAN_APP: json.dumps({"newFileLocation": location})})
    assert load_config(root).new_file_location == location


def test_obsidian_unknown_new_file_location_falls_back_to_root(make_vault: VaultFactory) -> None:
    root = make_vault({OBSIDIAN_APP: json.dumps({"newFileLocation": "somewhere"})})
    assert load_config(root).new_file_location == "root"


def test_obsidian_app_json_with_bom_is_read(make_vault: VaultFactory) -> None:
    root = make_vault({OBSIDIAN_APP: "\ufeff" + json.dumps({"useMarkdownLinks": True})})
    assert load_config(root).use_markdown_links is True


def test_obsidian_empty_object_keeps_defaults(make_vault: VaultFactory) -> None:
    root = make_vault({OBSIDIAN_APP: "{}"})
    assert load_config(root) == Config(path_prefixes=("vault",))


def test_obsidian_string_false_is_a_wrongly_typed_setting(make_vault: VaultFactory) -> None:
    """Reported, not silently taken for false (issue 23: wrong-typed app.json values)."""
    root = make_vault({OBSIDIAN_APP: json.dumps({"useMarkdownLinks": "false"})})
    with pytest.raises(ConfigError, match="useMarkdownLinks must be true or false"):
        load_config(root)


def test_obsidian_ignore_filters_that_are_not_a_list_are_an_error(make_vault: VaultFactory) -> None:
    # Iterating a string would ignore every one-letter folder named by its characters.
    root = make_vault({OBSIDIAN_APP: json.dumps({"userIgnoreFilters": "Templates/"}), "e/note.md": "x"})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = str(info.value)
    assert "\n" not in message
    assert str(root / OBSIDIAN_APP) in message


# --- .vaultlink.toml ------------------------------------------------------------------------------------------

EVERY_SETTING = """\
extensions = [".md", "TXT", "org"]
ignore = ["drafts/", "**/*.tmp.md"]
path_prefixes = ["rdco-vault", "notes"]
max_bytes = 1000
tag_keys = ["tags", "topics"]
min_df = 3
max_df_ratio = 0.5
terms_per_note = 12
"""


def test_every_user_setting_is_read(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: EVERY_SETTING})
    config = load_config(root)
    assert config.extensions == (".md", ".txt", ".org")
    assert config.ignore == ("drafts/", "**/*.tmp.md")
    assert config.path_prefixes == ("vault", "rdco-vault", "notes")
    assert config.max_bytes == 1000
    assert config.tag_keys == ("tags", "topics")
    assert config.min_df == 3
    assert config.max_df_ratio == 0.5
    assert config.terms_per_note == 12


def test_extensions_are_normalised(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: 'extensions = ["txt", ".MD", "..markdown"]\n'})
    assert load_config(root).extensions == (".txt", ".md", ".markdown")


def test_path_prefixes_are_added_to_the_folder_name(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: 'path_prefixes = ["rdco-vault"]\n'})
    assert load_config(root).path_prefixes == ("vault", "rdco-vault")


def test_whole_number_is_accepted_for_a_float_setting(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: "max_df_ratio = 1\n"})
    ratio = load_config(root).max_df_ratio
    assert ratio == 1.0 and isinstance(ratio, float)


def test_zero_is_accepted(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: "min_df = 0\n"})
    assert load_config(root).min_df == 0


def test_user_settings_override_and_combine_with_obsidian(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            OBSIDIAN_APP: json.dumps({"userIgnoreFilters": ["Templates/"], "useMarkdownLinks": True}),
            CONFIG_NAME: 'ignore = ["drafts/"]\n',
        }
    )
    config = load_config(root)
    assert config.obsidian_ignore == ("Templates/",)
    assert config.ignore == ("drafts/",)
    assert config.use_markdown_links is True


def test_toml_with_bom_is_read(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: "\ufeffmax_bytes = 10\n"})
    assert load_config(root).max_bytes == 10


# --- errors: one line, naming the file --------------------------------------------------------------------


def assert_one_line_naming(error: ConfigError, path: Path) -> str:
    message = str(error)
    assert "\n" not in message and "\r" not in message
    assert str(path) in message
    assert isinstance(error, VaultlinkError)
    return message


USER_ERRORS: dict[str, tuple[str | bytes, str]] = {
    "invalid-toml": ("max_bytes = \n", "cannot read"),
    "unterminated-multiline-string": ('ignore = ["""\nx\n', "cannot read"),
    "unknown-key": ("colour = 1\n", "unknown setting 'colour'"),
    "unknown-table": ("[extra]\nx = 1\n", "unknown setting 'extra'"),
    "string-max-bytes": ('max_bytes = "100"\n', "'max_bytes' must be a whole number"),
    "float-max-bytes": ("max_bytes = 1.5\n", "'max_bytes' must be a whole number"),
    "bool-min-df": ("min_df = true\n", "'min_df' must be a whole number"),
    "string-ratio": ('max_df_ratio = "half"\n', "'max_df_ratio' must be a number"),
    "ints-ignore": ("ignore = [1, 2]\n", "'ignore' must be a list of strings"),
    "string-extensions": ('extensions = ".md"\n', "'extensions' must be a list of strings"),
    "negative-max-bytes": ("max_bytes = -1\n", "'max_bytes' must be a finite number, not negative"),
    "negative-ratio": ("max_df_ratio = -0.5\n", "'max_df_ratio' must be a finite number, not negative"),
    "ratio-over-one": ("max_df_ratio = 5.0\n", "'max_df_ratio' is a share of notes, from 0 to 1"),
    "no-extensions": ("extensions = []\n", "'extensions' must name at least one extension"),
    "non-utf8": (b'ignore = ["caf\xe9"]\n', "cannot read"),
    "unknown-language": ('language = "klingon"\n', "'language' must be \"auto\" or a code"),
    "number-language": ("language = 1\n", "'language' must be a string"),
    "empty-heading": ('related_heading = " "\n', "'related_heading' must not be empty"),
    "two-line-heading": ('backlinks_heading = "a\\nb"\n', "'backlinks_heading' must be one line"),
    "hash-heading": ('related_heading = "## Verwandt"\n', "without '#'"),
    "marker-heading": ('related_heading = "x -->"\n', "must not hold '<!--' or '-->'"),
}


@pytest.mark.parametrize("content, expected", USER_ERRORS.values(), ids=USER_ERRORS.keys())
def test_bad_vaultlink_toml_is_a_one_line_config_error(
    make_vault: VaultFactory, content: str | bytes, expected: str
) -> None:
    root = make_vault({CONFIG_NAME: content})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = assert_one_line_naming(info.value, root / CONFIG_NAME)
    assert expected in message


OBSIDIAN_ERRORS: dict[str, tuple[str | bytes, str]] = {
    "invalid-json": ('{"useMarkdownLinks": tru', "cannot read Obsidian settings"),
    "multi-line-invalid-json": ('{\n  "a": 1,\n  "b": \n}\n', "cannot read Obsidian settings"),
    "json-list": ('["Templates/"]', "not a JSON object"),
    "json-string": ('"hello"', "not a JSON object"),
    "non-utf8": (b'{"newFileFolderPath": "caf\xe9"}', "cannot read Obsidian settings"),
}


@pytest.mark.parametrize("content, expected", OBSIDIAN_ERRORS.values(), ids=OBSIDIAN_ERRORS.keys())
def test_bad_obsidian_app_json_is_a_one_line_config_error(
    make_vault: VaultFactory, content: str | bytes, expected: str
) -> None:
    root = make_vault({OBSIDIAN_APP: content})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = assert_one_line_naming(info.value, root / OBSIDIAN_APP)
    assert expected in message


def test_nan_ratio_is_rejected(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: "max_df_ratio = nan\n"})
    with pytest.raises(ConfigError):
        load_config(root)


def test_sync_settings_are_read_and_checked(make_vault: VaultFactory) -> None:
    root = make_vault(
        {CONFIG_NAME: 'related_top = 2\nrelated_min_score = 1\nbacklinks = false\nstub_links = ["path"]\n'}
    )
    config = load_config(root)
    assert (config.related_top, config.related_min_score, config.backlinks) == (2, 1.0, False)
    assert config.stub_links == ("path",)


@pytest.mark.parametrize(
    "content, expected",
    [
        ('backlinks = "no"\n', "'backlinks' must be true or false"),
        ('stub_links = ["link"]\n', "'stub_links' takes link kinds from"),
    ],
)
def test_bad_sync_settings_are_one_line_errors(make_vault: VaultFactory, content: str, expected: str) -> None:
    root = make_vault({CONFIG_NAME: content})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    assert expected in str(info.value)
    assert str(root / CONFIG_NAME) in str(info.value)
    assert "\n" not in str(info.value)


def test_language_and_headings_are_read(make_vault: VaultFactory) -> None:
    settings = 'language = "de-AT"\nrelated_heading = "Verwandt "\nbacklinks_heading = "Rückverweise"\n'
    root = make_vault({CONFIG_NAME: settings})
    config = load_config(root)
    assert (config.language, config.related_heading, config.backlinks_heading) == ("de", "Verwandt", "Rückverweise")
    assert Config().language == "auto"
