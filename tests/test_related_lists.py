"""RelatedLists, the watcher's ranking state, in memory: no vault on disk, no clock. Its lists are
the ranking's, it knows which planned lists a save can move, it finds every list that moved, and
lists planned from a patched ranking stay provisional until checked against a rebuilt one."""

from __future__ import annotations

import pytest
from conftest import SMALL_VAULT, prose

from vaultlink.core import related_lists
from vaultlink.core.config import Config
from vaultlink.core.model import VaultModel
from vaultlink.core.note import Note
from vaultlink.core.parse import parse_text
from vaultlink.core.plan import SyncOptions
from vaultlink.core.rank import RankIndex
from vaultlink.core.related_lists import RelatedLists

CONFIG = Config()
OPTIONS = SyncOptions(min_score=0.0)


def note(path: str, text: str) -> Note:
    parsed = parse_text(path, text, CONFIG).note
    assert parsed is not None
    return parsed


def planned_lists() -> tuple[VaultModel, RelatedLists]:
    model = VaultModel([note(p, t) for p, t in sorted(SMALL_VAULT.items())], CONFIG)
    lists = RelatedLists(model, CONFIG, OPTIONS)
    lists.record(lists.lists_for(None))
    return model, lists


def test_the_lists_come_from_the_ranking_with_linked_notes_left_out() -> None:
    model, lists = planned_lists()
    index = RankIndex(model.notes.values(), model.all_links(), CONFIG)
    exclude = {p: model.neighbours.of(p) for p in model.notes}
    expected = index.related_all(
        top=OPTIONS.top, min_score=OPTIONS.min_score, exclude=exclude, only=set(model.notes), listing=True
    )
    assert lists.planned == expected
    assert "Beta.md" not in {s.path for s in lists.planned["Alpha.md"]}  # Alpha links Beta
    assert lists.built is lists.ranking()


def test_a_save_moves_the_lists_naming_the_saved_note_and_changed_finds_every_moved_list() -> None:
    model, lists = planned_lists()
    naming_gamma = {p for p, listed in lists.planned.items() if "Gamma.md" in {s.path for s in listed}}
    assert naming_gamma  # Alpha shares Gamma's phrases
    saved = note("Gamma.md", "# Gamma\n\n" + prose("index funds", "expense ratio"))
    model.update([saved], [])
    lists.stale()
    assert lists.built is None
    through = lists.through({"Gamma.md"})
    assert naming_gamma <= through
    assert {"Eta.md", "sub/Zeta.md"} <= through  # Gamma now shares their phrases
    moved, unchecked = lists.changed(set(model.notes), interrupted=lambda: False)
    assert not unchecked
    fresh = lists.lists_for(None)
    assert moved == {p for p in model.notes if fresh[p] != lists.planned[p]}
    assert moved <= through | {"Gamma.md"}


def test_lists_planned_from_a_patched_ranking_stay_provisional_until_checked() -> None:
    model, lists = planned_lists()
    previous = lists.ranking()
    saved = note("Delta.md", SMALL_VAULT["Delta.md"] + prose("dark sky"))
    model.update([saved], [])
    lists.stale()
    lists.patch(previous, [saved])
    lists.record(lists.lists_for({"Delta.md", "sub/Epsilon.md"}))
    assert lists.provisional == {"Delta.md", "sub/Epsilon.md"}
    lists.end_patch()
    moved, _ = lists.changed({"Delta.md"}, interrupted=lambda: False)
    assert lists.provisional == {"sub/Epsilon.md"}  # checked: right, or planned again by the caller
    lists.record(lists.lists_for(moved))
    assert lists.planned["Delta.md"] == lists.lists_for({"Delta.md"})["Delta.md"]


def test_a_check_cut_short_resumes_where_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    model, lists = planned_lists()
    monkeypatch.setattr(related_lists, "CHECK_SLICE", 4)
    every = set(model.notes)
    _, first = lists.changed(every, interrupted=lambda: True)
    _, second = lists.changed(every, interrupted=lambda: True)
    assert len(first) == len(every) - 4 and len(second) == len(every) - 4
    assert first != second  # the second check began where the first stopped
