"""The answers a sync keeps for ``check`` and ``related`` (``answers.py``): used only for the vault
state they were made for, and then the same as a scan without any cache would give."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ONE_CITER, SMALL_VAULT, VaultFactory, examples, pristine_sample, prose, run
from vaultlink import answers, app
from vaultlink.config import load_config
from vaultlink.core.plan import SyncOptions

TOP = SyncOptions().top


def _questions(root: Path, cache: app.CacheOptions) -> tuple[Any, ...]:
    """What ``check`` and ``related`` (one note, every note) answer."""
    scan = app.check_vault(root, cache)
    problems = sorted(scan.diagnostics)
    one = app.related_notes(root, "Alpha", top=TOP, cache=cache) if (root / "Alpha.md").exists() else None
    every = app.related_notes(root, None, top=TOP, cache=cache)
    return len(scan.notes), problems, one, list(every.items())


def _no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make reading or ranking the vault fail: what is asked now must come from kept answers."""

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the vault was read or ranked")

    monkeypatch.setattr(answers, "read_vault", fail)
    monkeypatch.setattr(app, "rank_all", fail)


def _age(root: Path) -> None:
    """Every note's mtime an hour back, so the stamps the next sync takes are trusted."""
    for path in root.rglob("*.md"):
        if ".vaultlink" not in path.parts:
            os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 3600))


def test_after_a_sync_check_and_related_answer_without_reading_the_vault(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    _age(root)
    app.sync(root)  # nothing to do: its stamps are trusted, its answers still those of the first
    expected = _questions(root, app.NO_CACHE)
    with monkeypatch.context() as patched:
        _no_scan(patched)
        assert _questions(root, app.READ_CACHE) == expected


def test_a_sync_that_makes_and_deletes_stubs_keeps_answers_for_the_vault_it_leaves(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({**SMALL_VAULT, **ONE_CITER})
    for made in (True, False):
        app.sync(root)
        assert (root / "Ghost.md").exists() is made
        expected = _questions(root, app.NO_CACHE)
        with monkeypatch.context() as patched:
            _no_scan(patched)
            assert _questions(root, app.READ_CACHE) == expected
        epsilon = root / "sub" / "Epsilon.md"
        epsilon.write_text(epsilon.read_text().replace("Also [[Ghost]] (or create if missing).", "No link."))


def test_answers_are_not_used_for_another_state_of_the_vault(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    (root / "Delta.md").write_text("# Delta\n\nNow about [[Ghost]].\n\n" + prose("rye flour", "sourdough starter"))
    expected = _questions(root, app.NO_CACHE)
    with monkeypatch.context() as patched:
        _no_scan(patched)
        with pytest.raises(AssertionError, match="read or ranked"):
            app.check_vault(root)
    assert _questions(root, app.READ_CACHE) == expected


@pytest.mark.parametrize(
    "change",
    [
        lambda root: (root / ".vaultlink.toml").write_text("min_df = 3\n"),
        lambda root: (root / ".vaultlink.toml").write_text("ignore = ['sub/**']\n"),
        lambda root: (root / "Beta.md").write_bytes(b"\xff\xfe not text"),
        lambda root: (root / "Beta.md").unlink(),
    ],
)
def test_what_else_a_scan_reads_changes_the_state(make_vault: VaultFactory, change: Callable[[Path], object]) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    change(root)
    assert _questions(root, app.READ_CACHE) == _questions(root, app.NO_CACHE)


def test_related_with_other_options_than_the_sync_ranks_again(make_vault: VaultFactory) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    assert app.related_notes(root, None, top=1) == app.related_notes(root, None, top=1, cache=app.NO_CACHE)
    assert app.related_notes(root, "Alpha", top=TOP, min_score=0.5) == app.related_notes(
        root, "Alpha", top=TOP, min_score=0.5, cache=app.NO_CACHE
    )


@pytest.mark.parametrize("key", ["state", "notes", "problems", "ranked", "related:Alpha.md"])
@pytest.mark.parametrize("value", ["", "[1, 2", '{"a": 1}', "[[1, 2, 3]]", "null"])
def test_a_damaged_answer_means_a_scan_never_a_wrong_answer(make_vault: VaultFactory, key: str, value: str) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    expected = _questions(root, app.NO_CACHE)
    with sqlite3.connect(root / ".vaultlink" / "cache.sqlite") as db:
        db.execute("UPDATE answers SET value = ? WHERE key = ?", (value, key))
    db.close()
    assert _questions(root, app.READ_CACHE) == expected


def test_a_dry_run_keeps_no_answers(make_vault: VaultFactory) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root, dry_run=True)
    assert not (root / ".vaultlink" / "cache.sqlite").exists()


def test_the_cli_answers_the_same_from_kept_answers(tmp_path: Path) -> None:
    root = Path(shutil.copytree(pristine_sample(), tmp_path / "sample_vault"))
    assert run("sync", str(root), "-q").exit_code == 0
    for args in (["check"], ["check", "--json"], ["related", "--all", "--json", "--top", str(TOP)]):
        kept, scanned = run(*args[:1], str(root), *args[1:]), run(*args[:1], str(root), *args[1:], "--no-cache")
        assert (kept.exit_code, kept.stdout) == (scanned.exit_code, scanned.stdout)


def test_related_by_default_lists_what_the_blocks_list_from_the_kept_lists(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``vaultlink related NOTE`` without ``--top`` shows what the note's Related block lists
    (the vault's ``related_top`` and ``related_min_score``), so it can answer from what the
    last sync kept; ``--top N`` asks for a longer list above no threshold, ranked again."""
    root = make_vault({**SMALL_VAULT, ".vaultlink.toml": "related_top = 1\nrelated_min_score = 0.2\n"})
    app.sync(root)
    _age(root)
    app.sync(root)
    expected = app.related_notes(root, "Alpha", top=1, min_score=0.2, cache=app.NO_CACHE)
    assert len(expected["Alpha.md"]) == 1
    assert app.related_notes(root, "Alpha", top=None, min_score=None, cache=app.NO_CACHE) == expected
    with monkeypatch.context() as patched:
        _no_scan(patched)
        assert app.related_notes(root, "Alpha", top=None, min_score=None) == expected
        shown = run("related", str(root), "Alpha", "--json")
    assert shown.exit_code == 0
    assert [s["path"] for s in json.loads(shown.stdout)["Alpha.md"]] == [s.path for s in expected["Alpha.md"]]
    longer = json.loads(run("related", str(root), "Alpha", "--json", "--top", "3").stdout)["Alpha.md"]
    assert [s["path"] for s in longer] == [s.path for s in app.related_notes(root, "Alpha", top=3)["Alpha.md"]]


# --- any edits, any order ----------------------------------------------------------------------------

NOTES = sorted(p for p in SMALL_VAULT if p.endswith(".md"))
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["append", "link", "delete", "create", "block", "sync", "age"]),
        st.sampled_from([*NOTES, "New.md", "sub/Other.md"]),
        st.sampled_from(["sourdough starter", "dark sky", "index funds", "Ghost", "Beta", "expense ratio"]),
    ),
    max_size=6,
)


def _edit(root: Path, kind: str, rel: str, words: str) -> None:
    path = root / rel
    if kind == "sync":
        app.sync(root)
    elif kind == "age":
        _age(root)
    elif kind == "delete":
        path.unlink(missing_ok=True)
    elif kind == "create":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {path.stem}\n\n" + prose(words))
    elif path.exists() and kind == "append":
        path.write_text(path.read_text() + prose(words))
    elif path.exists() and kind == "link":
        path.write_text(path.read_text() + f"\nSee [[{words}]].\n")
    elif path.exists():  # inside the Related block sync wrote: never read, so the state holds
        text = path.read_text()
        path.write_text(text.replace("<!-- /vaultlink:related -->", f"- [[{words}]]\n<!-- /vaultlink:related -->"))


@settings(max_examples=examples(40), deadline=None)
@given(edits=EDITS)
def test_any_edits_then_the_questions_answer_as_without_a_cache(edits: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for rel, text in SMALL_VAULT.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        app.sync(root)
        for kind, rel, words in edits:
            _edit(root, kind, rel, words)
            assert _questions(root, app.READ_CACHE) == _questions(root, app.NO_CACHE)


def test_the_graph_draws_the_kept_lists_without_ranking(
    make_vault: VaultFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    app.export_graph(root, tmp_path / "scanned.graphml", app.NO_CACHE)
    with monkeypatch.context() as patched:
        patched.setattr(app, "rank_all", lambda *a, **k: pytest.fail("ranked"))
        app.export_graph(root, tmp_path / "kept.graphml")
    assert (tmp_path / "kept.graphml").read_bytes() == (tmp_path / "scanned.graphml").read_bytes()
    (root / "Beta.md").write_text("# Beta\n\n" + prose("rye flour", "sourdough starter"))
    app.export_graph(root, tmp_path / "kept.graphml")
    app.export_graph(root, tmp_path / "scanned.graphml", app.NO_CACHE)
    assert (tmp_path / "kept.graphml").read_bytes() == (tmp_path / "scanned.graphml").read_bytes()


def test_lists_kept_by_a_later_sync_are_not_mixed_with_the_earlier_answers(make_vault: VaultFactory) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    config = load_config(root)
    with answers.open_vault_cache(root, config, app.READ_CACHE, []) as store:
        kept = answers.kept_answers(root, config, answers.list_vault(root, config, []), store)
        assert kept is not None and kept.related(["Alpha.md"]) is not None
        (root / "Beta.md").write_text("# Beta\n\n" + prose("rye flour", "sourdough starter"))
        app.sync(root)  # another connection: what this one reads next is that sync's
        assert kept.related(["Alpha.md"]) is None
        assert kept.related(kept.ranked_paths()) is None
