"""sync and clean end to end: Related and Backlinks blocks, stubs, bad input, the CLI's
sync options, the sample vault, and a golden vault in the seed-003 house style."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ONE_CITER, VaultFactory, examples, folders, mtimes, pristine_sample, prose, run, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.apply import apply_edits
from vaultlink.core.blocks import remove_all_blocks, scan_blocks
from vaultlink.core.note import Link, LinkKind
from vaultlink.core.plan import SyncOptions
from vaultlink.core.resolve import NoteIndex, Outcome, resolve_link

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
RELATED_START = "<!-- vaultlink:related -->"
RELATED_END = "<!-- /vaultlink:related -->"
BACK_START = "<!-- vaultlink:backlinks -->"


def read(root: Path, rel: str) -> str:
    return (root / rel).read_bytes().decode("utf-8")


def block_lines(text: str, name: str = "related") -> list[str]:
    """The lines between a block's markers (empty if the note has no such block)."""
    match = re.search(rf"<!-- vaultlink:{name} -->\r?\n(.*?)\r?\n<!-- /vaultlink:{name} -->", text, re.S)
    return match.group(1).splitlines() if match else []


def linked_names(lines: list[str]) -> list[str]:
    return [m.group(1) for line in lines for m in re.finditer(r"\[\[([^\]|#]+)", line)]


BREAD = ("sourdough starter", "bulk fermentation", "rye flour")
SKY = ("dark sky", "light pollution", "telescope mount")


# --- Related -----------------------------------------------------------------------------------------------


def test_related_never_lists_the_note_itself_or_notes_it_links_to(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "Alpha.md": "# Alpha\n\nSee [[Beta]].\n\n" + prose(*BREAD, *SKY),
            "Beta.md": "# Beta\n\n" + prose(*BREAD),
            "Gamma.md": "# Gamma\n\n" + prose(*SKY),
            "Delta.md": "# Delta\n\nNothing in common here at all.\n",
            "Epsilon.md": "# Epsilon\n\nAnother lonely note about knitting socks.\n",
        }
    )
    ranked = app.related_notes(root, "Alpha", top=10)["Alpha.md"]
    assert [s.path for s in ranked] == ["Gamma.md"]
    app.sync(root)
    alpha = linked_names(block_lines(read(root, "Alpha.md")))
    assert alpha == ["Gamma"]
    # Alpha links to Beta: its Backlinks block shows Alpha, so its Related list does not.
    assert linked_names(block_lines(read(root, "Beta.md"))) == []
    assert "[[Alpha]]" in "".join(block_lines(read(root, "Beta.md"), "backlinks"))
    for rel in snapshot(root):
        names = linked_names(block_lines(read(root, rel)))
        assert Path(rel).stem not in names


def test_related_entries_carry_reasons(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": prose(*BREAD), "B.md": prose(*BREAD), "C.md": "unrelated\n", "D.md": "other\n"})
    app.sync(root)
    (entry,) = [line for line in block_lines(read(root, "A.md")) if line.startswith("- ")]
    assert entry.startswith("- [[B]] — ")
    reasons = entry.split(" — ", 1)[1].split(", ")
    assert set(reasons) <= set(BREAD) and reasons


def test_related_block_goes_under_existing_related_heading_after_user_list(make_vault: VaultFactory) -> None:
    user = "# Alpha\n\n" + prose(*BREAD) + "\n## Related\n\n- [[Delta]] — my own pick\n- [[Gamma]]\n"
    user += "\n## Log\nlater text\n"
    root = make_vault({"Alpha.md": user, "Beta.md": prose(*BREAD), "Gamma.md": "g\n", "Delta.md": "d\n", "E.md": "e\n"})
    app.sync(root)
    text = read(root, "Alpha.md")
    expected_block = f"{RELATED_START}\n- [[Beta]] — "
    assert f"- [[Gamma]]\n{expected_block}" in text
    assert text.index(RELATED_END) < text.index("\n\n## Log\nlater text\n")
    assert "## Related" not in text[text.index(RELATED_START) :]  # no second heading inside the block
    assert remove_all_blocks(text) == user


def test_note_with_nothing_related_gets_no_block(make_vault: VaultFactory) -> None:
    lonely = "# Lonely\n\nKnitting socks in winter.\n"
    root = make_vault({"Lonely.md": lonely, "A.md": prose(*BREAD), "B.md": prose(*BREAD), "C.md": "c\n"})
    report = app.sync(root)
    assert read(root, "Lonely.md") == lonely
    assert "Lonely.md" not in report.changed
    assert "C.md" not in report.changed


# --- Backlinks ---------------------------------------------------------------------------------------------


def test_backlinks_list_linking_notes_not_linked_back(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "Hub.md": "# Hub\n\nLinks [[Mutual]].\n",
            "Mutual.md": "# Mutual\n\nLinks [[Hub]].\n",
            "One.md": "Points at [[Hub]].\n",
            "Two.md": "Points at [[hub]] too, in lower case.\n",
        }
    )
    app.sync(root)
    hub = read(root, "Hub.md")
    assert block_lines(hub, "backlinks") == ["## Backlinks", "- [[One]]", "- [[Two]]"]
    assert block_lines(read(root, "Mutual.md"), "backlinks") == []  # Hub links Mutual and Mutual links Hub
    assert BACK_START not in read(root, "One.md")


def test_no_backlinks_option_writes_no_backlinks_blocks(make_vault: VaultFactory) -> None:
    root = make_vault({"Hub.md": "# Hub\n", "One.md": "Points at [[Hub]].\n", "Two.md": "[[Hub]]\n"})
    result = run("sync", str(root), "--no-backlinks")
    assert result.exit_code == 0, result.output
    assert all(BACK_START.encode() not in data for data in snapshot(root).values())
    assert read(root, "Hub.md") == "# Hub\n"


# --- stubs ---------------------------------------------------------------------------------------------------

STUB_LINKS = (
    "# Source\n"
    "\n"
    "Plan the [[Ghost note]] soon.\n"
    "File against ~/vault/plans/new-plan.md (or create if missing).\n"
    "A [markdown link](Missing%20one.md) is not a stub.\n"
    "Out of the vault: [[../../escape]] and ~/vault/../outside.md.\n"
)


def test_stubs_for_missing_wikilink_and_vault_path(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"Source.md": STUB_LINKS, **ONE_CITER})
    report = app.sync(root)
    assert sorted(report.created) == ["Ghost note.md", "plans/new-plan.md"]
    ghost = read(root, "Ghost note.md")
    assert ghost == (
        "---\nvaultlink: stub\n---\n"
        f"{BACK_START}\n## Backlinks\n- [[Source]] — “Plan the [[Ghost note]] soon.”\n"
        "<!-- /vaultlink:backlinks -->\n"
    )
    plan = read(root, "plans/new-plan.md")
    assert plan.startswith("---\nvaultlink: stub\n---\n")
    assert "- [[Source]] — “File against ~/vault/plans/new-plan.md (or create if missing).”" in plan
    assert set(snapshot(root)) == {"Source.md", "Ghost note.md", "plans/new-plan.md", *ONE_CITER}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault"]


def test_no_stub_for_missing_markdown_link_or_outside_vault(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"sub/Source.md": STUB_LINKS})
    app.sync(root)
    files = snapshot(root)
    assert not any("Missing" in p or "escape" in p or "outside" in p for p in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault"]
    assert not (tmp_path.parent / "escape.md").exists()


def test_no_stubs_option_creates_none(make_vault: VaultFactory) -> None:
    root = make_vault({"Source.md": STUB_LINKS})
    result = run("sync", str(root), "--no-stubs", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"] == []
    assert set(snapshot(root)) == {"Source.md"}


def test_stub_is_deleted_once_its_last_citing_link_is_gone(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "[[Ghost]] here\n", "B.md": "and [[Ghost]] there\n"})
    app.sync(root)
    assert block_lines(read(root, "Ghost.md"), "backlinks")[1:] == [
        "- [[A]] — “[[Ghost]] here”",
        "- [[B]] — “and [[Ghost]] there”",
    ]
    (root / "A.md").write_text("no more link\n")
    report = app.sync(root)
    assert report.deleted == []
    assert block_lines(read(root, "Ghost.md"), "backlinks")[1:] == ["- [[B]] — “and [[Ghost]] there”"]
    (root / "B.md").write_text("none here either\n")
    report = app.sync(root)
    assert report.deleted == ["Ghost.md"]
    assert set(snapshot(root)) == {"A.md", "B.md"}


def test_stub_folder_is_removed_with_its_last_stub(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "see ~/vault/deep/er/plan.md\n"})
    app.sync(root)
    assert (root / "deep/er/plan.md").is_file()
    (root / "A.md").write_text("gone\n")
    app.sync(root)
    assert folders(root) == {"."}


def test_edited_stub_is_the_users_kept_by_clean_and_sync(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "[[Ghost]] here\n", **ONE_CITER})
    app.sync(root)
    stub = root / "Ghost.md"
    stub.write_bytes(stub.read_bytes() + b"My own words about ghosts.\n")
    edited = read(root, "Ghost.md")
    (root / "B.md").write_text("Also [[Ghost]].\n")
    report = app.sync(root)
    assert "Ghost.md" not in report.deleted
    text = read(root, "Ghost.md")
    assert remove_all_blocks(text) == remove_all_blocks(edited)  # only the block changed
    assert text.endswith("My own words about ghosts.\n")
    assert block_lines(text, "backlinks") == ["## Backlinks", "- [[A]]", "- [[B]]"]
    report = app.clean(root)
    assert report.deleted == []
    assert read(root, "Ghost.md") == "---\nvaultlink: stub\n---\nMy own words about ghosts.\n"
    assert read(root, "A.md") == "[[Ghost]] here\n"


def test_clean_removes_unedited_stubs_and_blocks(make_vault: VaultFactory) -> None:
    files = {"A.md": "[[Ghost]] and [[B]]\n", "B.md": "# B\r\nno final newline", **ONE_CITER}
    root = make_vault(files)
    app.sync(root)
    assert "Ghost.md" in snapshot(root)
    report = app.clean(root)
    assert report.deleted == ["Ghost.md"]
    assert snapshot(root) == {k: v.encode() for k, v in files.items()}


# --- bad input ------------------------------------------------------------------------------------------------


def test_invalid_yaml_frontmatter_note_is_never_rewritten(make_vault: VaultFactory) -> None:
    bad = "---\ntitle: [unclosed\n---\n# Bad\n\nText.\n"
    root = make_vault({"Bad.md": bad, "A.md": "Links [[Bad]].\n"})
    report = app.sync(root)
    assert read(root, "Bad.md") == bad
    assert [p for p, _ in report.skipped] == ["Bad.md"]
    assert "frontmatter" in report.skipped[0][1]
    assert "Bad.md" not in report.changed


@pytest.mark.parametrize(
    "damage",
    [
        f"{RELATED_START}\n- [[Old]]\n",  # start marker without end
        f"{RELATED_START}\n- x\n{RELATED_END}\n{RELATED_START}\n- y\n{RELATED_END}\n",  # duplicated block
        f"{RELATED_END}\n",  # end marker without start
    ],
    ids=["unclosed", "duplicated", "unopened"],
)
def test_note_with_damaged_block_is_left_alone_and_reported(make_vault: VaultFactory, damage: str) -> None:
    text = "# Damaged\n\n" + damage + "tail\n"
    root = make_vault({"Damaged.md": text, "A.md": "Links [[Damaged]].\n"})
    report = app.sync(root)
    assert read(root, "Damaged.md") == text
    assert report.skipped and report.skipped[0][0] == "Damaged.md"
    assert "managed block" in report.skipped[0][1]
    report = app.clean(root)
    assert read(root, "Damaged.md") == text
    assert [p for p, _ in report.skipped] == ["Damaged.md"]


def test_binary_and_invalid_utf8_notes_are_untouched(make_vault: VaultFactory) -> None:
    files: dict[str, str | bytes] = {
        "bin.md": b"x\x00y [[A]]\n",
        "latin.md": b"caf\xe9 [[A]]\n",
        "A.md": "# A\n",
        "B.md": "Links [[A]].\n",
    }
    root = make_vault(files)
    report = app.sync(root)
    assert (root / "bin.md").read_bytes() == files["bin.md"]
    assert (root / "latin.md").read_bytes() == files["latin.md"]
    assert {d.path: d.code for d in report.diagnostics if d.code in ("binary", "invalid-utf8")} == {
        "bin.md": "binary",
        "latin.md": "invalid-utf8",
    }
    app.clean(root)
    assert (root / "bin.md").read_bytes() == files["bin.md"]
    assert (root / "latin.md").read_bytes() == files["latin.md"]


def test_link_to_binary_note_plans_no_stub(make_vault: VaultFactory) -> None:
    root = make_vault({"bin.md": b"x\x00y\n", "A.md": "See [[bin]].\n"})
    report = app.sync(root)
    assert report.skipped == []
    assert run("sync", str(root), "--check").exit_code == 0


def test_cr_only_note_is_restored_by_clean(make_vault: VaultFactory) -> None:
    files = {"Mac.md": "Old\rnote\r", "B.md": "Links [[Mac]].\n"}
    root = make_vault(files)
    app.sync(root)
    assert read(root, "Mac.md") != files["Mac.md"]
    app.clean(root)
    assert read(root, "Mac.md") == files["Mac.md"]


def test_colon_in_link_target_is_consistently_handled(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "odd [[é:x]] and [[:y]]\n"})
    report = app.sync(root)
    assert report.skipped == []
    assert run("sync", str(root), "--check").exit_code == 0


# --- link style ----------------------------------------------------------------------------------------------


def test_markdown_link_setting_writes_links_that_resolve_back(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            ".obsidian/app.json": json.dumps({"useMarkdownLinks": True}),
            "kitchen/Bread notes.md": "# Bread\n\n" + prose(*BREAD),
            "garden/Rye & grain.md": "# Rye\n\n" + prose(*BREAD) + "Back to [[Bread notes]].\n",
            "garden/Loaf & tin.md": "# Loaf\n\n" + prose(*BREAD),
            **{f"other/Filler {i}.md": f"filler {i}\n" for i in range(3)},  # so half the vault is not bread
            "other/C.md": "c\n",
            "other/D.md": "d\n",
        }
    )
    app.sync(root)
    scan = app.scan_vault(root)
    index = NoteIndex(scan.notes, scan.config)
    seen = []
    for source, name in (("kitchen/Bread notes.md", "related"), ("kitchen/Bread notes.md", "backlinks")):
        entries = [line for line in block_lines(read(root, source), name) if line.startswith("- ")]
        assert entries, name
        for entry in entries:
            assert "[[" not in entry
            match = re.match(r"- \[([^\]]*)\]\(([^)]*)\)", entry)
            assert match, entry
            url = match.group(2)
            assert " " not in url
            link = Link(unquote(url), LinkKind.MARKDOWN, url)
            resolution = resolve_link(link, source, index)
            assert resolution.outcome is Outcome.NOTE
            seen.append(resolution.target)
    assert seen == ["garden/Loaf & tin.md", "garden/Rye & grain.md"]


def test_wikilink_uses_path_when_file_name_is_ambiguous(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "a/Temperature.md": "Links [[Hub]].\n",
            "b/Temperature.md": "Also links [[Hub]].\n",
            "Hub.md": "# Hub\n",
        }
    )
    app.sync(root)
    assert block_lines(read(root, "Hub.md"), "backlinks") == [
        "## Backlinks",
        "- [[a/Temperature]]",
        "- [[b/Temperature]]",
    ]


# --- idempotence and property 6 on small vaults ----------------------------------------------------------------


def test_second_sync_writes_nothing(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": prose(*BREAD) + "[[Ghost]]\n", "B.md": prose(*BREAD) + "[[A]]\n", "C.md": "c\n"})
    first = app.sync(root)
    assert first.pending > 0
    before, times = snapshot(root), mtimes(root)
    second = app.sync(root)
    assert (second.changed, second.created, second.deleted, second.skipped) == ([], [], [], [])
    assert snapshot(root) == before
    assert mtimes(root) == times


def test_sync_options_top_and_min_score(make_vault: VaultFactory) -> None:
    root = make_vault(
        {"A.md": prose(*BREAD, *SKY), "B.md": prose(*BREAD), "C.md": prose(*SKY), "D.md": "d\n", "E.md": "e\n"}
    )
    app.sync(root, SyncOptions(top=1))
    assert len(linked_names(block_lines(read(root, "A.md")))) == 1
    app.sync(root, SyncOptions(min_score=1000.0))
    assert all(RELATED_START.encode() not in data for data in snapshot(root).values())


# --- the sample vault ------------------------------------------------------------------------------------------


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "sample_vault"
    shutil.copytree(pristine_sample(), root)
    return root


def test_sample_vault_sync_is_idempotent_and_clean_restores_every_byte(sample: Path) -> None:
    original = snapshot(sample)
    original_folders = folders(sample)
    report = app.sync(sample)
    assert report.skipped == []
    assert report.changed and report.created
    assert "gardening/fungal-compost-trial.md" in report.created
    assert "gardening/no-dig-bed-plan.md" in report.created
    for rel, data in original.items():
        new = (sample / rel).read_bytes().decode("utf-8")
        assert remove_all_blocks(new) == data.decode("utf-8"), rel
    synced, times = snapshot(sample), mtimes(sample)
    again = app.sync(sample)
    assert again.pending == 0 and again.skipped == []
    assert snapshot(sample) == synced
    assert mtimes(sample) == times
    app.clean(sample)
    assert snapshot(sample) == original
    assert folders(sample) == original_folders


def test_sample_house_note_gets_block_under_its_related_list_in_path_style(sample: Path) -> None:
    rel = "gardening/2026-03-02-soil-food-web-reference.md"
    before = read(sample, rel)
    last_entry = "- ~/sample_vault/gardening/no-dig-bed-plan.md — plan for converting beds B and C, not written yet"
    assert last_entry in before
    app.sync(sample)
    text = read(sample, rel)
    assert f"{last_entry}\n{RELATED_START}\n" in text
    entries = block_lines(text)
    assert entries
    user_targets = set(re.findall(r"^- ~/sample_vault/(\S.*?\.md) — ", before, re.M))
    for entry in entries:
        match = re.match(r"- ~/sample_vault/(.+?\.md) — \S", entry)
        assert match, entry
        target = match.group(1)
        assert (sample / target).is_file()
        assert target != rel
        assert target not in user_targets
    assert remove_all_blocks(text) == before


def test_scan_after_sync_reads_the_same_links_and_terms(sample: Path) -> None:
    """GUIDE property 6: what vaultlink wrote is never read back as the user's own."""
    before = {n.path: n for n in app.scan_vault(sample).notes}
    app.sync(sample)
    after_scan = app.scan_vault(sample)
    after = {n.path: n for n in after_scan.notes if not n.is_stub}
    assert set(after) == set(before)
    for path, note in before.items():
        assert after[path].links == note.links, path
        assert after[path].terms == note.terms, path
        assert after[path].tags == note.tags, path
        assert after[path].title == note.title, path
        assert (after[path].words, after[path].word_counts) == (note.words, note.word_counts), path
    stubs = {n.path for n in after_scan.notes if n.is_stub}
    assert stubs == set(snapshot(sample)) - set(before)


def test_sample_vault_dry_run_matches_what_sync_writes(sample: Path) -> None:
    dry = app.sync(sample, dry_run=True)
    real = app.sync(sample)
    assert (dry.changed, dry.created, dry.deleted) == (real.changed, real.created, real.deleted)
    assert dry.diff.count("+++ b/") == len(real.changed) + len(real.created)


# --- golden vault (mistune-style plain files) --------------------------------------------------------------------
#
# tests/fixtures/golden/house_style/ is an input vault; house_style_expected/ is the exact vault
# after one `app.sync`. The input is copied to <tmp>/vault so that `~/vault/` is its root prefix.
# To regenerate the expected files after an intended change of output:
#
#     VAULTLINK_REGEN_GOLDEN=1 python3 -m pytest tests/test_sync.py -k golden
#
# then read the diff (`git diff tests/fixtures/golden`) line by line before committing it.


def _golden_case(tmp_path: Path, name: str) -> tuple[Path, Path]:
    source = GOLDEN / name
    vault = tmp_path / "vault"
    shutil.copytree(source, vault)
    return vault, GOLDEN / f"{name}_expected"


@pytest.mark.parametrize("name", ["house_style"])
def test_golden_vault_after_sync(tmp_path: Path, name: str) -> None:
    vault, expected_dir = _golden_case(tmp_path, name)
    report = app.sync(vault)
    assert report.skipped == []
    if os.environ.get("VAULTLINK_REGEN_GOLDEN") == "1":
        shutil.rmtree(expected_dir, ignore_errors=True)
        shutil.copytree(vault, expected_dir)
    expected = snapshot(expected_dir)
    actual = snapshot(vault)
    assert sorted(actual) == sorted(expected)
    for rel in sorted(expected):
        assert actual[rel] == expected[rel], rel


@pytest.mark.parametrize("name", ["house_style"])
def test_golden_vault_second_sync_and_clean(tmp_path: Path, name: str) -> None:
    vault, _ = _golden_case(tmp_path, name)
    original = snapshot(vault)
    app.sync(vault)
    assert app.sync(vault).pending == 0
    app.clean(vault)
    assert snapshot(vault) == original
    assert folders(vault) == folders(GOLDEN / name)


def test_golden_house_note_block_is_under_its_related_list() -> None:
    rel = "reference/2026-05-01-seeley-honeybee-democracy-reference.md"
    text = (GOLDEN / "house_style_expected" / rel).read_text(encoding="utf-8")
    last = "- ~/vault/bees/queen-rearing-plan.md — splits instead of swarms, not written yet\n"
    assert f"{last}{RELATED_START}\n- ~/vault/journal/2026-04-12.md — " in text
    assert scan_blocks(text).problems == ()
    assert (GOLDEN / "house_style_expected" / "projects/swarm-traps/build-log.md").is_file()
    assert (GOLDEN / "house_style_expected" / "bees/queen-rearing-plan.md").is_file()


def test_a_stub_made_for_one_link_never_captures_another(make_vault: VaultFactory) -> None:
    """``[[Ghost]]`` finds the note aliased "Ghost"; a path link elsewhere asks for ``Ghost.md``, so
    sync creates that stub. The wikilink must still mean the aliased note: a second sync changes
    nothing (found by hypothesis in test_bad_input's idempotence property)."""
    root = make_vault(
        {
            "A.md": "See [[Ghost]].\n",
            "E.md": "---\naliases: [Ghost]\n---\n- ~/vault/Ghost.md — why\n",
        }
    )
    first = app.sync(root)
    assert first.created == ["Ghost.md"]
    assert "[[A]]" in read(root, "E.md")  # A links to E through its alias: a backlink
    before = snapshot(root)
    second = app.sync(root, cache=app.NO_CACHE)
    assert (second.changed, second.created, second.deleted) == ([], [], [])
    assert snapshot(root) == before


# --- applying a plan's edits ---------------------------------------------------------------------


def _digest(root: Path, rel: str) -> str:
    from vaultlink.core.digest import digest

    return digest((root / rel).read_bytes())


def test_edits_are_applied_in_threads_and_reported_in_plan_order(tmp_path: Path) -> None:
    from vaultlink.core.plan import Edit

    notes = {f"n{k:02d}.md": f"note {k}\n" for k in range(30)}
    for rel, text in notes.items():
        (tmp_path / rel).write_text(text)
    (tmp_path / "gone.md").write_text("old stub\n")
    edits = [Edit.rewrite(rel, _digest(tmp_path, rel), text + "more\n") for rel, text in notes.items()]
    edits.insert(3, Edit.create("new/stub.md", "stub\n"))
    edits.insert(10, Edit.delete("gone.md", _digest(tmp_path, "gone.md")))
    (tmp_path / "n05.md").write_text("the user typed this meanwhile\n")  # its edit must be refused
    advanced: list[int] = []

    refusals = apply_edits(tmp_path, edits, advanced.append)

    assert len(advanced) == len(edits)
    assert [e.path for e, why in zip(edits, refusals, strict=True) if why] == ["n05.md"]
    assert "changed since it was read" in refusals[edits.index(next(e for e in edits if e.path == "n05.md"))]
    assert (tmp_path / "n05.md").read_text() == "the user typed this meanwhile\n"
    for rel, text in notes.items():
        if rel != "n05.md":
            assert (tmp_path / rel).read_text() == text + "more\n"
    assert (tmp_path / "new" / "stub.md").read_text() == "stub\n"
    assert not (tmp_path / "gone.md").exists()
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".vaultlink-")]  # no temp file left


def test_an_interrupt_while_writing_leaves_every_note_whole(tmp_path: Path) -> None:
    from vaultlink.core.plan import Edit

    notes = {f"n{k:02d}.md": f"note {k}\n" for k in range(40)}
    for rel, text in notes.items():
        (tmp_path / rel).write_text(text)
    edits = [Edit.rewrite(rel, _digest(tmp_path, rel), text + "more\n") for rel, text in notes.items()]
    edits.append(Edit.create("stub.md", "stub\n"))

    def interrupt(done: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        apply_edits(tmp_path, edits, interrupt)
    for rel, text in notes.items():
        assert (tmp_path / rel).read_text() in (text, text + "more\n")
    assert not (tmp_path / "stub.md").exists()  # new files come after the rewrites: never started
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".vaultlink")]


def test_a_note_about_vaultlinks_markers_keeps_every_byte(make_vault: VaultFactory) -> None:
    """Markers written in inline code, a quote or an indented code block are the user's text:
    sync adds its own block and changes nothing else."""
    about = (
        "# Tooling\n\nvaultlink writes `<!-- vaultlink:related -->` and `<!-- /vaultlink:related -->`"
        " around its list of [[Other]] notes.\n\n> <!-- vaultlink:related -->\n> - quoted\n"
        "> <!-- /vaultlink:related -->\n\n    <!-- vaultlink:related -->\n    indented code\n"
        "    <!-- /vaultlink:related -->\n"
    )
    root = make_vault({"About.md": about, "Other.md": "# Other\n\nNotes on tooling and markers.\n"})
    (root / "Third.md").write_text("# Third\n\nSee [[About]].\n")  # so About gets a Backlinks block
    report = app.sync(root)
    assert report.skipped == []
    text = read(root, "About.md")
    assert text.startswith(about)
    (block,) = scan_blocks(text).blocks
    assert block.name == "backlinks" and block.start >= len(about)
    assert "[[Third]]" in text[block.start : block.end]
    assert app.sync(root, dry_run=True).pending == 0


@settings(max_examples=examples(30), deadline=None)
@given(typed=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="<"), min_size=1))
def test_text_typed_right_after_the_last_block_is_kept_and_the_block_still_ends_there(typed: str) -> None:
    """A note without a final newline ends with vaultlink's block, its end marker the last line;
    a user typing at the very end types on that line. The block still ends at the marker: the
    note is synced (not skipped for an unclosed block), the typed text is kept byte for byte,
    a second sync writes nothing, and clean removes exactly what vaultlink wrote."""
    original = "# Metric\n\nThe distance between two points of a [[Space]]."
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "Metric.md").write_text(original, encoding="utf-8")
        (root / "Space.md").write_text("# Space\n\nA set with a distance.\n", encoding="utf-8")
        (root / "Ruler.md").write_text("# Ruler\n\nMeasures a [[Metric]].\n", encoding="utf-8")
        _type_after_the_last_block(root, original, typed)


def _type_after_the_last_block(root: Path, original: str, typed: str) -> None:
    app.sync(root)
    synced = read(root, "Metric.md")
    assert synced.endswith("<!-- /vaultlink:backlinks -->")  # the note had no final newline
    (root / "Metric.md").write_bytes((synced + typed + "\n").encode("utf-8", "surrogatepass"))
    report = app.sync(root)
    assert report.skipped == []
    text = read(root, "Metric.md")
    assert text.endswith("<!-- /vaultlink:backlinks -->" + typed + "\n")
    assert app.sync(root, dry_run=True).pending == 0
    app.clean(root)
    assert read(root, "Metric.md") == original + typed + "\n"


TYPED = "- my own note to self, typed in the block"


def test_a_line_typed_inside_a_block_is_never_replaced_or_cleaned_away(make_vault: VaultFactory) -> None:
    """A block is vaultlink's, but a line in it that vaultlink would never write is the user's:
    sync and clean leave that note alone and say why; every other note is synced as usual, and
    once the line is moved out the note is synced again."""
    root = make_vault(
        {
            "A.md": "# A\n\nThe sourdough starter and rye flour.\n",
            "B.md": "# B\n\nA sourdough starter fed with rye flour. See [[C]].\n",
            "C.md": "# C\n\nNothing here.\n",
        }
    )
    app.sync(root)
    synced = read(root, "A.md")
    assert "<!-- vaultlink:related -->" in synced
    typed = synced.replace("## Related\n", f"## Related\n{TYPED}\n", 1)
    (root / "A.md").write_text(typed, encoding="utf-8")
    (root / "C.md").write_text("# C\n\nNothing here, still. About rye flour.\n", encoding="utf-8")
    report = app.sync(root)
    assert [p for p, _ in report.skipped] == ["A.md"]
    reason = dict(report.skipped)["A.md"]
    assert "holds a line vaultlink did not write" in reason and "my own note to self" in reason
    assert read(root, "A.md") == typed
    assert "C.md" in report.changed  # the others are synced
    cleaned = app.clean(root)
    assert [p for p, _ in cleaned.skipped] == ["A.md"]
    assert read(root, "A.md") == typed
    (root / "A.md").write_text(typed.replace(f"{TYPED}\n", "") + f"\n{TYPED}\n", encoding="utf-8")  # moved out
    assert app.sync(root).skipped == []


def stub_with_a_typed_line(make_vault: VaultFactory) -> tuple[Path, str]:
    """A vault whose stub ``Ghost.md`` (cited by ``A.md``) has a line typed into its block; and that stub's text."""
    root = make_vault({"A.md": "# A\n\nSee [[Ghost]].\n", **ONE_CITER})
    app.sync(root)
    typed = read(root, "Ghost.md").replace("## Backlinks\n", f"## Backlinks\n{TYPED}\n", 1)
    (root / "Ghost.md").write_text(typed, encoding="utf-8")
    return root, typed


def test_a_stub_with_a_line_typed_in_its_block_is_not_deleted(make_vault: VaultFactory) -> None:
    root, typed = stub_with_a_typed_line(make_vault)
    (root / "A.md").write_text("# A\n\nNo link now.\n", encoding="utf-8")
    report = app.sync(root)
    assert report.deleted == [] and [p for p, _ in report.skipped] == ["Ghost.md"]
    assert read(root, "Ghost.md") == typed
    assert app.clean(root).deleted == [] and read(root, "Ghost.md") == typed


def test_a_stub_with_a_line_typed_in_its_block_is_not_updated_and_is_reported(make_vault: VaultFactory) -> None:
    root, typed = stub_with_a_typed_line(make_vault)
    (root / "B.md").write_text("# B\n\nAlso [[Ghost]].\n", encoding="utf-8")  # the stub's list would grow
    report = app.sync(root)
    assert read(root, "Ghost.md") == typed
    assert [p for p, _ in report.skipped] == ["Ghost.md"]
    assert "did not write" in dict(report.skipped)["Ghost.md"]
