"""The reason words a Related block writes, set in ``.vaultlink.toml`` (``[reason_words]``, issue 21):
translated where the line is written, so the ranking, the cache, ``related --json`` and the watcher's
patch keep the English labels; English vaults' output unchanged; a changed setting rewrites the
blocks and ``clean`` still reverses byte for byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import VaultFactory, pristine_sample, run, snapshot
from hypothesis import given
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.config import CONFIG_NAME, load_config
from vaultlink.core.reason_words import (
    BOTH_LINK,
    BOTH_TAGGED,
    NAMED_HERE,
    NAMES_THIS_NOTE,
    REASON_WORDS,
    reason_line,
    worded,
)
from vaultlink.errors import ConfigError
from vaultlink.live import LiveVault

GERMAN = {
    "mentioned_here": "hier erwähnt",
    "mentions_this_note": "erwähnt diese Notiz",
    "both_link": "beide verlinken",
    "both_tagged": "beide markiert",
}


def table(words: dict[str, str]) -> str:
    """``words`` as a ``[reason_words]`` table of ``.vaultlink.toml``."""
    lines = [f"{key} = {json.dumps(word, ensure_ascii=False)}\n" for key, word in words.items()]
    return "[reason_words]\n" + "".join(lines)


# --- translating a reason line ---------------------------------------------------------------------------


def test_each_label_is_written_in_the_vaults_words() -> None:
    reasons = (NAMED_HERE, NAMES_THIS_NOTE, f"{BOTH_LINK} [[oven]] and [[baking]]", f"{BOTH_TAGGED} #bread", "rye")
    assert worded(reasons, GERMAN) == [
        "hier erwähnt",
        "erwähnt diese Notiz",
        "beide verlinken [[oven]] and [[baking]]",
        "beide markiert #bread",
        "rye",
    ]
    assert worded(reasons, {"both_tagged": "beide markiert"})[:3] == list(reasons[:3])  # the rest stays English


def test_a_phrase_that_reads_like_a_label_stays_as_the_note_writes_it() -> None:
    """Mentions come first in a reason line (``reasons_of``); a phrase is never a label."""
    assert worded(("sourdough", NAMED_HERE, "both linked", "both tagged"), GERMAN) == [
        "sourdough",
        NAMED_HERE,
        "both linked",
        "both tagged",
    ]


@given(st.lists(st.sampled_from([NAMED_HERE, NAMES_THIS_NOTE, "both link [[x]]", "both tagged #y", "a b", ""])))
def test_without_words_the_line_is_the_english_one(reasons: list[str]) -> None:
    assert reason_line(reasons) == reason_line(reasons, tuple((k, v) for k, v in REASON_WORDS.items()))
    assert reason_line(reasons) == " ".join(", ".join(reasons).split())


# --- the setting -----------------------------------------------------------------------------------------

BAD_WORDS = {
    "unknown-key": ("[reason_words]\nmentioned = \"x\"\n", "unknown key 'reason_words.mentioned'"),
    "not-a-string": ("[reason_words]\nboth_link = 1\n", "'reason_words.both_link' must be a string"),
    "empty": ('[reason_words]\nboth_tagged = "  "\n', "'reason_words.both_tagged' must not be empty"),
    "two-lines": ('[reason_words]\nmentioned_here = "a\\nb"\n', "'reason_words.mentioned_here' must be one line"),
    "marker": ('[reason_words]\nmentions_this_note = "x -->"\n', "must not hold '<!--' or '-->'"),
    "not-a-table": ('reason_words = "hier"\n', "'reason_words' must be a [reason_words] table"),
}


@pytest.mark.parametrize("content, expected", BAD_WORDS.values(), ids=BAD_WORDS.keys())
def test_bad_reason_words_are_a_one_line_error_naming_file_and_key(
    make_vault: VaultFactory, content: str, expected: str
) -> None:
    root = make_vault({CONFIG_NAME: content})
    with pytest.raises(ConfigError) as info:
        load_config(root)
    message = str(info.value)
    assert "\n" not in message and str(root / CONFIG_NAME) in message
    assert expected in message


def test_reason_words_are_read_trimmed_and_a_word_may_start_with_a_hash(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: '[reason_words]\nboth_tagged = " #beide "\nboth_link = "beide verlinken"\n'})
    assert load_config(root).reason_words == (("both_link", "beide verlinken"), ("both_tagged", "#beide"))


# --- what sync writes ------------------------------------------------------------------------------------

# A and B share a phrase, two links and a tag; C mentions "Sourdough Starter" (a note's name); E
# shares a link and the tag with A and B.
NOTES = {
    "A.md": "Bulk fermentation with rye flour. [[Baking]] [[Oven]] #bread\n",
    "B.md": "Bulk fermentation overnight. [[Baking]] [[Oven]] #bread\n",
    "Sourdough Starter.md": "Flour and water, fed daily for the bulk fermentation.\n",
    "C.md": "My sourdough starter smells of apples. Bulk fermentation.\n",
    "E.md": "Other [[Baking]] #bread\n",
    "F.md": "Nothing here\n",
}
ENGLISH_LABELS = (NAMED_HERE, NAMES_THIS_NOTE, BOTH_LINK, BOTH_TAGGED)


def related_blocks(root: Path) -> str:
    return "".join(p.read_text() for p in sorted(root.glob("*.md")))


def test_sync_writes_the_vaults_words_and_a_changed_setting_rewrites_the_blocks(make_vault: VaultFactory) -> None:
    root = make_vault(NOTES)
    app.sync(root)
    english = related_blocks(root)
    assert all(label in english for label in ENGLISH_LABELS)  # the vault shows every label
    (root / CONFIG_NAME).write_text(table(GERMAN))
    report = app.sync(root)
    assert report.changed and not report.skipped
    german = related_blocks(root)
    assert not any(label in german for label in ENGLISH_LABELS)
    assert all(word in german for word in GERMAN.values())
    for label, key in zip(ENGLISH_LABELS, GERMAN, strict=True):  # the same lines, word for word
        english = english.replace(label, GERMAN[key])
    assert german == english
    assert app.sync(root).changed == []  # idempotent under the new words
    (root / CONFIG_NAME).write_text('[reason_words]\nboth_link = "verlinken beide"\n')
    app.sync(root)
    assert "verlinken beide [[" in related_blocks(root) and "beide markiert" not in related_blocks(root)
    app.clean(root)
    assert {k: v for k, v in snapshot(root).items() if k != CONFIG_NAME} == {k: v.encode() for k, v in NOTES.items()}


def test_related_json_keeps_the_english_labels(make_vault: VaultFactory) -> None:
    root = make_vault({**NOTES, CONFIG_NAME: table(GERMAN)})
    app.sync(root)
    assert "beide verlinken [[" in (root / "A.md").read_text()
    shown = run("related", str(root), "A.md", "--json")
    assert shown.exit_code == 0, shown.stderr
    reasons = [r for entry in json.loads(shown.stdout)["A.md"] for r in entry["reasons"]]
    assert any(r.startswith(f"{BOTH_LINK} [[") for r in reasons)
    assert not any("beide" in r for r in reasons)


def test_the_watcher_writes_the_vaults_words(make_vault: VaultFactory) -> None:
    root = make_vault({**NOTES, CONFIG_NAME: table(GERMAN)})
    live = LiveVault(root, grace=0.0)
    live.sync_all()
    (root / "G.md").write_text("Bulk fermentation with rye. [[Baking]] [[Oven]] #bread\n")
    live.update(["G.md"])
    text = (root / "G.md").read_text()
    assert "beide verlinken [[" in text and BOTH_LINK not in text
    assert app.sync(root, live.options, dry_run=True).pending == 0  # what a full sync writes


def test_english_words_set_explicitly_change_nothing_in_the_sample_vault(tmp_path: Path) -> None:
    plain, worded_copy = tmp_path / "plain" / "sample_vault", tmp_path / "worded" / "sample_vault"
    shutil.copytree(pristine_sample(), plain)
    shutil.copytree(pristine_sample(), worded_copy)
    settings = worded_copy / CONFIG_NAME
    before = settings.read_text() if settings.exists() else ""
    settings.write_text(before + "\n" + table(dict(REASON_WORDS)))
    app.sync(plain)
    app.sync(worded_copy)
    written, expected = snapshot(worded_copy), snapshot(plain)
    assert written.pop(CONFIG_NAME) != expected.pop(CONFIG_NAME, b"")
    assert written == expected
