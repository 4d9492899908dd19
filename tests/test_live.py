"""LiveVault driven directly, batch by batch (no watchdog): after every batch the vault is in
the state a full sync would leave it in; own writes are recognised; a quiet vault is left
alone; notes the user is editing wait for the grace period; only changed notes are read."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import pytest
from conftest import SMALL_VAULT, VaultFactory, examples, mtimes, pristine_sample, prose, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vaultlink.core.related_lists
import vaultlink.live
from vaultlink import app
from vaultlink.core.config import Config
from vaultlink.core.note import Note
from vaultlink.core.rank import NoteRow, PatchedIndex, RankIndex
from vaultlink.core.resolve import ResolvedLink
from vaultlink.live import LiveVault
from vaultlink.report import SyncReport
from vaultlink.scan import LoadedNote, load_note


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def start(root: Path, clock: FakeClock, grace: float = 0.0) -> LiveVault:
    live = LiveVault(root, grace=grace, clock=clock)
    live.sync_all()
    assert_converged(live)
    return live


def assert_converged(live: LiveVault) -> None:
    """The watcher's state is the one a full sync reaches: a dry-run sync has nothing to do,
    once the batch that follows a save (for the notes it deferred) has run."""
    if live.deferred:
        live.update([])
        assert not live.deferred
    report = app.sync(live.root, live.options, dry_run=True)
    assert report.pending == 0, report.diff


def read(root: Path, rel: str) -> str:
    return (root / rel).read_text(encoding="utf-8")


def write(root: Path, rel: str, text: str) -> None:
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_text(text, encoding="utf-8")


def block(text: str, name: str) -> str:
    match = re.search(rf"<!-- vaultlink:{name} -->\n(.*?)<!-- /vaultlink:{name} -->", text, re.S)
    return match.group(1) if match else ""


def names(text: str, name: str) -> set[str]:
    """The note each entry of a block names (an entry's first link; stubs quote the citing line after it)."""
    return set(re.findall(r"^- \[\[([^\]|#]+)", block(text, name), re.M))


def all_block_names(root: Path) -> set[str]:
    found: set[str] = set()
    for rel in snapshot(root):
        if rel.endswith(".md"):
            text = read(root, rel)
            found |= names(text, "related") | names(text, "backlinks")
    return found


def nothing_written(report: SyncReport) -> bool:
    return not report.pending and not report.waiting


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault(SMALL_VAULT)


# --- the vault before any change -----------------------------------------------------------------


def test_first_sync_writes_the_blocks_the_tests_rely_on(vault: Path, clock: FakeClock) -> None:
    start(vault, clock)
    assert names(read(vault, "Gamma.md"), "related") == {"Alpha"}
    assert names(read(vault, "Beta.md"), "backlinks") == {"Alpha"}
    assert names(read(vault, "Delta.md"), "related") == {"Epsilon"}
    assert (vault / "Ghost.md").is_file()
    assert names(read(vault, "Ghost.md"), "backlinks") == {"Epsilon"}


def test_sample_vault_converges_after_the_first_sync(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "vault"
    shutil.copytree(pristine_sample(), root)
    start(root, clock)


# --- each kind of change, one batch each ----------------------------------------------------------


def test_edit_adding_a_shared_phrase_changes_related(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    write(vault, "Gamma.md", read(vault, "Gamma.md") + "\n" + prose("bulk fermentation", "proofing basket"))
    report = live.update(["Gamma.md"])
    assert report.reparsed == ["Gamma.md"]
    assert "Beta.md" in report.changed
    assert "Gamma" in names(read(vault, "Beta.md"), "related")
    assert "Beta" in names(read(vault, "Gamma.md"), "related")
    assert_converged(live)


def test_new_note(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    write(vault, "Omega.md", "# Omega\n\nSee [[Delta]].\n\n" + prose("index funds", "expense ratio"))
    report = live.update(["Omega.md"])
    assert report.reparsed == ["Omega.md"]
    assert "Omega" in names(read(vault, "Delta.md"), "backlinks")
    assert_converged(live)


def test_deleted_note_disappears_from_other_notes_blocks(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    assert "Alpha" in all_block_names(vault)
    (vault / "Alpha.md").unlink()
    report = live.update(["Alpha.md"])
    assert report.removed == ["Alpha.md"]
    assert "Alpha" not in all_block_names(vault)
    assert "Alpha.md" not in live.model.notes
    assert_converged(live)


def test_renamed_note_is_followed_by_the_entries_that_pointed_at_it(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    os.rename(vault / "Alpha.md", vault / "Prime.md")
    report = live.update(["Alpha.md", "Prime.md"])
    assert report.removed == ["Alpha.md"]
    assert report.reparsed == ["Prime.md"]
    assert names(read(vault, "Beta.md"), "backlinks") == {"Prime"}
    assert names(read(vault, "Gamma.md"), "related") == {"Prime"}
    assert "Alpha" not in all_block_names(vault)
    assert_converged(live)


def test_renamed_folder_moves_its_notes(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    os.rename(vault / "sub", vault / "moved")
    report = live.update(["sub", "moved"])
    assert sorted(report.removed) == ["sub/Epsilon.md", "sub/Zeta.md"]
    assert sorted(report.reparsed) == ["moved/Epsilon.md", "moved/Zeta.md"]
    assert {p for p in live.model.notes if p.startswith(("sub/", "moved/"))} == {"moved/Epsilon.md", "moved/Zeta.md"}
    assert names(read(vault, "Delta.md"), "related") == {"Epsilon"}
    assert names(read(vault, "Ghost.md"), "backlinks") == {"Epsilon"}
    assert_converged(live)


def test_deleted_folder(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    shutil.rmtree(vault / "sub")
    report = live.update(["sub"])
    assert sorted(report.removed) == ["sub/Epsilon.md", "sub/Zeta.md"]
    assert "Ghost.md" in report.deleted  # its only citer went with the folder
    assert "Epsilon" not in all_block_names(vault)
    assert_converged(live)


def test_removing_the_last_link_to_a_stub_deletes_it(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    write(
        vault,
        "sub/Epsilon.md",
        read(vault, "sub/Epsilon.md").replace("Also [[Ghost]] (or create if missing).", "Also nothing."),
    )
    report = live.update(["sub/Epsilon.md"])
    assert report.deleted == ["Ghost.md"]
    assert not (vault / "Ghost.md").exists()
    assert "Ghost.md" not in live.model.notes
    assert_converged(live)


def test_edited_stub_is_kept_when_its_last_link_goes(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    write(vault, "Ghost.md", read(vault, "Ghost.md") + "\nMy own words now.\n")
    live.update(["Ghost.md"])
    write(
        vault,
        "sub/Epsilon.md",
        read(vault, "sub/Epsilon.md").replace("Also [[Ghost]] (or create if missing).", "Also nothing."),
    )
    report = live.update(["sub/Epsilon.md"])
    assert report.deleted == []
    assert "My own words now." in read(vault, "Ghost.md")
    assert_converged(live)


def test_link_to_a_missing_note_creates_its_stub(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    write(vault, "Delta.md", read(vault, "Delta.md") + "\nLater: [[Phantom Idea]] (or create if missing).\n")
    report = live.update(["Delta.md"])
    assert report.created == ["Phantom Idea.md"]
    assert names(read(vault, "Phantom Idea.md"), "backlinks") == {"Delta"}
    assert_converged(live)
    assert nothing_written(live.update(["Phantom Idea.md"]))  # the stub's own event


@pytest.mark.slow
def test_sample_vault_edits_creates_deletes_and_moves(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "vault"
    shutil.copytree(pristine_sample(), root)
    live = start(root, clock)
    rel = "cooking/Sauerkraut.md"
    write(root, rel, read(root, rel) + "\nThe dark sky over the jar, and [[Brine Ratios]].\n")
    live.update([rel])
    assert_converged(live)
    write(root, "gardening/Mulch.md", "# Mulch\n\nSee [[Composting basics]] and [[Worm bin]].\n")
    live.update(["gardening/Mulch.md"])
    assert_converged(live)
    (root / "cycling/Bike fit.md").unlink()
    live.update(["cycling/Bike fit.md"])
    assert_converged(live)
    os.rename(root / "astronomy", root / "sky")
    live.update(["astronomy", "sky"])
    assert_converged(live)


# --- own writes and an untouched vault --------------------------------------------------------------


def test_own_writes_are_recognised(vault: Path, clock: FakeClock) -> None:
    live = LiveVault(vault, grace=0.0, clock=clock)
    first = live.sync_all()
    assert first.changed and first.created
    before = snapshot(vault)
    report = live.update([*first.changed, *first.created])
    assert report.reparsed == []
    assert nothing_written(report)
    write(vault, "Gamma.md", read(vault, "Gamma.md") + "\n" + prose("bulk fermentation", "proofing basket"))
    edited = live.update(["Gamma.md"])
    assert edited.changed
    echo = live.update([*edited.changed, *edited.created, *edited.deleted])
    assert echo.reparsed == [] and nothing_written(echo)
    assert snapshot(vault) != before


def test_untouched_vault_sees_no_writes(tmp_path: Path, clock: FakeClock) -> None:
    root = tmp_path / "vault"
    shutil.copytree(pristine_sample(), root)
    live = start(root, clock)
    stamps, files = mtimes(root), snapshot(root)
    assert nothing_written(live.update([]))
    report = live.update(sorted(files))
    assert report.reparsed == [] and nothing_written(report)
    clock.now += 100
    assert nothing_written(live.update([]))
    assert mtimes(root) == stamps
    assert snapshot(root) == files


def test_a_save_that_changes_nothing_is_not_reparsed(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    stamps = mtimes(vault)
    (vault / "Gamma.md").write_bytes((vault / "Gamma.md").read_bytes())  # saved again, same bytes
    report = live.update(["Gamma.md"])
    assert report.reparsed == [] and nothing_written(report)
    assert {k: v for k, v in mtimes(vault).items() if k != "Gamma.md"} == {
        k: v for k, v in stamps.items() if k != "Gamma.md"
    }


# --- grace: never write into a note the user is editing ----------------------------------------------


def test_edited_note_waits_for_the_grace_period_its_neighbours_do_not(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock, grace=5.0)
    clock.now += 60
    edited = read(vault, "Gamma.md") + "\n" + prose("bulk fermentation", "proofing basket")
    write(vault, "Gamma.md", edited)
    report = live.update(["Gamma.md"])
    assert report.waiting == ["Gamma.md"]
    assert "Beta.md" in report.changed and "Gamma.md" not in report.changed
    assert read(vault, "Gamma.md") == edited
    assert "Gamma" in names(read(vault, "Beta.md"), "related")
    assert live.next_due() == clock.now  # every other list is checked in the batch right after
    live.update([])
    assert live.next_due() == pytest.approx(clock.now + 5.0)

    clock.now += 4.0
    early = live.update([])
    assert "Gamma.md" not in early.changed
    assert read(vault, "Gamma.md") == edited

    clock.now += 1.5
    due = live.update([])
    assert due.changed == ["Gamma.md"]
    assert due.waiting == []
    assert "Beta" in names(read(vault, "Gamma.md"), "related")
    assert live.next_due() is None
    assert_converged(live)


def test_grace_restarts_with_every_save(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock, grace=5.0)
    clock.now += 60
    write(vault, "Gamma.md", read(vault, "Gamma.md") + "\n" + prose("bulk fermentation", "proofing basket"))
    assert live.update(["Gamma.md"]).waiting == ["Gamma.md"]
    clock.now += 3
    write(vault, "Gamma.md", read(vault, "Gamma.md") + "\nOne more sentence.\n")
    assert live.update(["Gamma.md"]).waiting == ["Gamma.md"]
    clock.now += 3  # 6 s after the first save, 3 s after the last
    assert "Gamma.md" not in live.update([]).changed
    clock.now += 2.5
    assert live.update([]).changed == ["Gamma.md"]
    assert_converged(live)


def test_waiting_note_whose_change_was_undone_is_no_longer_due(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock, grace=5.0)
    clock.now += 60
    original = read(vault, "Gamma.md")
    write(vault, "Gamma.md", original + "\n" + prose("bulk fermentation", "proofing basket"))
    assert live.update(["Gamma.md"]).waiting == ["Gamma.md"]
    clock.now += 1
    write(vault, "Gamma.md", original)  # undone: Gamma's blocks are right as they are
    live.update(["Gamma.md"])
    assert_converged(live)
    clock.now += 10
    assert nothing_written(live.update([]))
    assert live.next_due() is None


# --- empty for a moment mid-save --------------------------------------------------------------------


def test_file_empty_for_a_moment_is_not_read_as_an_empty_note(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    files = snapshot(vault)
    original = read(vault, "Alpha.md")
    (vault / "Alpha.md").write_bytes(b"")
    report = live.update(["Alpha.md"])
    assert report.reparsed == [] and report.removed == []
    assert nothing_written(report)
    assert {k: v for k, v in snapshot(vault).items() if k != "Alpha.md"} == {
        k: v for k, v in files.items() if k != "Alpha.md"
    }
    assert "Alpha.md" in live.model.notes
    write(vault, "Alpha.md", original + "\n" + prose("dark sky", "light pollution"))
    back = live.update(["Alpha.md"])
    assert back.reparsed == ["Alpha.md"]
    assert_converged(live)


def test_file_empty_for_a_moment_then_restored_unchanged(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    files = snapshot(vault)
    data = (vault / "Alpha.md").read_bytes()
    (vault / "Alpha.md").write_bytes(b"")
    assert nothing_written(live.update(["Alpha.md"]))
    (vault / "Alpha.md").write_bytes(data)
    report = live.update(["Alpha.md"])
    assert report.reparsed == [] and nothing_written(report)
    assert snapshot(vault) == files
    assert_converged(live)


def test_note_that_stays_empty_is_read_as_empty_once_quiet(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock, grace=5.0)
    clock.now += 60
    (vault / "Alpha.md").write_bytes(b"")
    assert nothing_written(live.update(["Alpha.md"]))
    clock.now += 6
    live.update([])  # the watcher's batch for a note that became due
    assert read(vault, "Alpha.md") == ""
    assert "Alpha" not in names(read(vault, "Beta.md"), "backlinks")
    assert_converged(live)


# --- mass change and incremental reading ----------------------------------------------------------


TOPICS = tuple(
    f"{a} {b}"
    for a, b in zip(
        "amber basalt cedar dune ember fjord glacier harbor iris juniper".split(),
        "lantern meadow orchard quarry river summit tundra valley willow yarrow".split(),
        strict=True,
    )
)


@pytest.mark.slow
def test_mass_change_is_one_batch_and_converges(make_vault: VaultFactory, clock: FakeClock) -> None:
    files = {
        f"notes/n{i:03}.md": f"# Note {i}\n\nSee [[n{(i + 1) % 220:03}]].\n\n" + prose(TOPICS[i % 10], times=2)
        for i in range(220)
    }
    root = make_vault(files)
    live = start(root, clock)
    edited = sorted(files)[:200]
    for i, rel in enumerate(edited):
        write(root, rel, files[rel] + "\n" + prose(TOPICS[(i * 3) % 10], times=1) + f"\nAnd [[extra {i % 7}]].\n")
    report = live.update(edited)
    assert sorted(report.reparsed) == edited
    assert len(report.created) == 7
    assert_converged(live)
    assert nothing_written(live.update([]))


def test_single_edit_reads_only_that_note_and_never_rescans(
    vault: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = start(vault, clock)
    reads: list[str] = []
    real_read = load_note

    def counting(root: Path, rel: str, config: Config, boilerplate: frozenset[int]) -> LoadedNote:
        reads.append(rel)
        return real_read(root, rel, config, boilerplate)

    def no_scan(*args: object, **kwargs: object) -> None:
        raise AssertionError("a save must not rescan the vault")

    monkeypatch.setattr(vaultlink.live, "load_note", counting)
    monkeypatch.setattr(vaultlink.live, "scan_vault", no_scan)
    monkeypatch.setattr(vaultlink.live, "list_notes", no_scan)
    write(vault, "Gamma.md", read(vault, "Gamma.md") + "\n" + prose("bulk fermentation", "proofing basket"))
    report = live.update(["Gamma.md"])
    assert report.reparsed == ["Gamma.md"]
    assert reads == ["Gamma.md"]
    assert report.changed  # the update did happen
    monkeypatch.undo()
    assert_converged(live)


def test_untouched_notes_are_not_rewritten_by_an_edit(vault: Path, clock: FakeClock) -> None:
    live = start(vault, clock)
    files = snapshot(vault)
    write(vault, "Eta.md", read(vault, "Eta.md") + "\nA quiet afterthought.\n")
    report = live.update(["Eta.md"])
    now = snapshot(vault)
    changed = {rel for rel in now if now[rel] != files.get(rel)} - {"Eta.md"}
    assert changed == set(report.changed) - {"Eta.md"} == set()


# --- a rename that makes a name ambiguous ------------------------------------------------------------


def test_rename_that_makes_a_link_name_ambiguous_rewrites_the_entries(make_vault: VaultFactory) -> None:
    clock = FakeClock()
    files = {k: v for k, v in SMALL_VAULT.items() if k not in ("Alpha.md", "sub/Epsilon.md")}
    files["sub/Alpha.md"] = "# Alpha\n\n" + prose("sourdough starter", "rye flour")
    root = make_vault(files)
    live = start(root, clock)
    assert names(read(root, "Gamma.md"), "related") == {"Alpha"}
    os.rename(root / "Filler 0.md", root / "Alpha.md")  # now two notes are called Alpha
    live.update(["Filler 0.md", "Alpha.md"])
    assert names(read(root, "Gamma.md"), "related") == {"sub/Alpha"}
    assert_converged(live)


# --- lists moved only by new weights wait for the next batch ---------------------------------------


def test_lists_moved_only_by_new_weights_are_checked_in_the_next_batch(tmp_path: Path, clock: FakeClock) -> None:
    """40 notes; "river delta" is stated by 8 of them, which also pair up through their own
    phrases. A 9th note gaining "river delta" changes that word's weight for all 8. The saved note
    is planned at once; every list is checked in the batch right after (which the watcher runs at
    once: ``next_due`` is now), and then the vault is converged."""
    root = _river_vault(tmp_path)
    live = start(root, clock)
    write(root, "Lonely.md", read(root, "Lonely.md") + prose("river delta", "tide pool 0", times=1))
    report = live.update(["Lonely.md"])
    assert report.reparsed == ["Lonely.md"]
    assert "Lonely.md" in report.changed  # planned at once, from the patched ranking
    assert live.deferred >= set(live.model.notes) - set(report.changed)
    assert report.deferred == len(live.deferred)
    assert live.next_due() == clock.now
    assert_converged(live)
    assert not live.deferred and live.next_due() is None


# --- unreadable notes --------------------------------------------------------------------------------


def test_link_to_an_unreadable_note_gets_no_stub_while_watching(make_vault: VaultFactory, clock: FakeClock) -> None:
    """A note file that can't be read (here a NUL byte) is still a note links find: editing a note
    that links to it, or a note turning unreadable, never creates a stub in the new-notes folder."""
    root = make_vault(
        {
            ".obsidian/app.json": '{"newFileLocation": "folder", "newFileFolderPath": "inbox"}',
            "bin.md": b"x\x00y\n",
            "A.md": "See [[bin]].\n",
            "B.md": "# B\n\nAbout [[Later]].\n",
        }
    )
    live = start(root, clock)
    write(root, "A.md", "See [[bin]] again.\n")
    live.update(["A.md"])
    assert not (root / "inbox" / "bin.md").exists()
    (root / "Later.md").write_bytes(b"\xff\xfe not UTF-8\n")  # a note turns up, unreadable
    report = live.update(["Later.md"])
    assert not (root / "inbox").exists(), report
    assert "Later" not in names(read(root, "B.md"), "backlinks")
    assert_converged(live)


# --- a save's first batch ranks with the previous ranking patched -------------------------------------

PHRASES = ("sourdough starter", "rye flour", "dark sky", "light pollution", "index funds", "zebra crossing", "tides")
LINKABLE = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta", "Ghost", "Phantom")
Save = tuple[str, str]


@st.composite
def saves(draw: st.DrawFn) -> list[Save]:
    """A few saves to notes of the small vault (never renamed): their titles, then phrases and
    links drawn at random (a link to Phantom asks for a stub)."""
    notes = [p for p in SMALL_VAULT if not p.startswith("Filler")]
    out: list[Save] = []
    for _ in range(draw(st.integers(1, 3))):
        rel = draw(st.sampled_from(notes))
        phrases = draw(st.lists(st.sampled_from(PHRASES), max_size=3))
        links = draw(st.lists(st.sampled_from(LINKABLE), max_size=2, unique=True))
        title = Path(rel).stem
        body = prose(*phrases, times=draw(st.integers(1, 2))) + "".join(f"See [[{t}]].\n" for t in links)
        out.append((rel, f"# {title}\n\n{body}"))
    return out


@pytest.mark.slow
@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(saves())
def test_a_save_is_planned_from_the_patched_ranking_then_converges(clock: FakeClock, steps: list[Save]) -> None:
    """Each save's lists are planned from the ranking before it, patched with the saved note
    (``rank.patch``): exactly what that ranking lists, in the notes' blocks. The batch right after
    rebuilds the ranking, and then the vault is what a full sync makes of it."""
    built: list[PatchedIndex | None] = []

    def patched(
        base: RankIndex, changed: Mapping[str, tuple[Note, NoteRow]], links: Iterable[ResolvedLink]
    ) -> PatchedIndex | None:
        built.append(real(base, changed, links))
        return built[-1]

    real = vaultlink.core.related_lists.patched
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(vaultlink.core.related_lists, "patched", patched)
        root = Path(folder)
        for rel, text in SMALL_VAULT.items():
            write(root, rel, text)
        live = start(root, clock)
        for rel, text in steps:
            write(root, rel, text)
            built.clear()
            report = live.update([rel])
            provisional = live.lists.provisional
            if built and built[-1] is not None and provisional:
                index = built[-1]
                assert rel in provisional and live.deferred >= provisional
                for path in provisional:
                    linked = live.model.neighbours.of(path)
                    listed = index.related(
                        path, top=live.options.top, min_score=live.options.min_score, exclude=linked, listing=True
                    )
                    assert live.lists.planned[path] == listed
                    if path in report.changed:
                        assert names(read(root, path), "related") == {Path(s.path).stem for s in listed}
            assert_converged(live)
            assert not live.lists.provisional


# --- the deferred check yields to new saves ------------------------------------------------------------


def _river_vault(tmp_path: Path) -> Path:
    """40 notes; 8 state "river delta": a 9th stating it moves that word's weight for all 8."""
    files = {f"Pair {i}.md": f"# Pair {i}\n\n" + prose("river delta", f"tide pool {i // 2}") for i in range(8)}
    files |= {f"Other {i}.md": f"# Other {i}\n\n" + prose(f"night sky {i // 2}") for i in range(31)}
    files["Lonely.md"] = "# Lonely\n\nNothing in common yet.\n"
    root = tmp_path / "vault"
    for rel, text in files.items():
        write(root, rel, text)
    return root


def _after_a_save(tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> LiveVault:
    """The river vault, watched with checks of 5 notes a slice, right after "Lonely" gained "river
    delta": most lists are deferred."""
    monkeypatch.setattr(vaultlink.core.related_lists, "CHECK_SLICE", 5)
    live = start(_river_vault(tmp_path), clock)
    write(live.root, "Lonely.md", read(live.root, "Lonely.md") + prose("river delta", times=1))
    live.update(["Lonely.md"])
    return live


def test_an_interrupted_check_of_deferred_lists_stops_after_a_slice_and_resumes(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save defers most lists; the batch after checks them a slice at a time and, told that new
    events wait, stops after the first slice: the rest stay deferred, and the next batch finishes."""
    live = _after_a_save(tmp_path, clock, monkeypatch)
    waiting = sorted(live.deferred | live.lists.provisional)
    assert len(waiting) > 10
    asked: list[int] = []

    def interrupted() -> bool:
        asked.append(1)
        return True

    report = live.update([], interrupted)
    assert len(asked) == 1  # asked between the first and second slice, not before the first
    assert live.deferred == set(waiting[5:]) and report.deferred == len(waiting) - 5
    assert live.next_due() == clock.now
    live.update([])
    assert not live.deferred
    assert_converged(live)


def test_a_save_while_lists_are_deferred_is_planned_from_the_patched_ranking(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists still deferred (an interrupted check) don't make the next save wait for them: it is
    planned at once from the ranking the check rebuilt, patched with the saved note; the lists
    still deferred stay so, and the vault converges."""
    built: list[PatchedIndex | None] = []
    real = vaultlink.core.related_lists.patched

    def patched(
        base: RankIndex, changed: Mapping[str, tuple[Note, NoteRow]], links: Iterable[ResolvedLink]
    ) -> PatchedIndex | None:
        built.append(real(base, changed, links))
        return built[-1]

    monkeypatch.setattr(vaultlink.core.related_lists, "patched", patched)
    live = _after_a_save(tmp_path, clock, monkeypatch)
    root = live.root
    live.update([], lambda: True)
    still = set(live.deferred)
    assert still
    built.clear()
    write(root, "Other 3.md", read(root, "Other 3.md") + prose("river delta", "tide pool 1", times=1))
    report = live.update(["Other 3.md"])
    assert len(built) == 1 and built[0] is not None
    assert "Other 3.md" in report.changed and "Other 3.md" in live.lists.provisional
    assert live.deferred >= still - set(report.changed)
    assert_converged(live)


def test_checks_cut_short_take_turns_through_the_vault(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While saves keep coming, each check of the deferred lists starts where the last one stopped,
    so every list gets its turn (not the first notes of the alphabet every time)."""
    live = _after_a_save(tmp_path, clock, monkeypatch)
    root = live.root
    first = sorted(live.deferred | live.lists.provisional)
    live.update([], lambda: True)
    assert live.deferred == set(first[5:])
    write(root, "Other 3.md", read(root, "Other 3.md") + prose("river delta", times=1))
    live.update(["Other 3.md"])
    second = sorted(live.deferred | live.lists.provisional)
    live.update([], lambda: True)
    at = second.index(min(p for p in second if p >= first[5]))
    turn = second[at:] + second[:at]
    assert live.deferred == set(turn[5:])  # this time the five after where the first check stopped
    assert_converged(live)


def _cut_after(asked: int) -> Callable[[], bool]:
    """An ``interrupted`` test that says no ``asked`` times, then yes."""
    answers = iter(range(asked))
    return lambda: next(answers, None) is None


Step = tuple[str, str] | int  # a save, or a batch with no change cut short after (that many + 1) slices


@st.composite
def saves_and_checks(draw: st.DrawFn) -> list[Step]:
    out: list[Step] = []
    for save in draw(saves()):
        out.append(save)
        out += draw(st.lists(st.integers(1, 3), max_size=2))
    return out


@pytest.mark.slow
@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(saves_and_checks())
def test_saves_between_interrupted_checks_converge_to_a_full_sync(clock: FakeClock, steps: list[Step]) -> None:
    """Whatever the order of saves and of checks cut short after a few slices, once the deferred
    lists are all checked the vault is what a full sync makes of it."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(vaultlink.core.related_lists, "CHECK_SLICE", 2)
        root = Path(folder)
        for rel, text in SMALL_VAULT.items():
            write(root, rel, text)
        live = start(root, clock)
        for step in steps:
            if isinstance(step, int):
                live.update([], _cut_after(step))
            else:
                rel, text = step
                write(root, rel, text)
                live.update([rel])
        live.update([])
        assert not live.deferred and not live.lists.provisional
        assert_converged(live)
