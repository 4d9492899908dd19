"""The user's scope is law (GUIDE property 9): the stub policy and the names no stub may have,
Obsidian's templates and daily notes, ``vaultlink: false``, ``[[rules]]``, ignored folders.
Each on a small vault built in the test."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import SEEDS, VaultFactory, examples, prose, requires_seeds, run, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.config import CONFIG_NAME
from vaultlink.core.stubs import name_problem, near_key
from vaultlink.obsidian import DAILY_NOTES, TEMPLATES


def sync(root: Path, **overrides: object) -> app.SyncReport:
    return app.sync(root, app.SyncOverrides(**overrides), cache=app.NO_CACHE)  # type: ignore[arg-type]


def codes(root: Path) -> dict[str, list[str]]:
    """``check``'s diagnostics: code -> messages."""
    out: dict[str, list[str]] = {}
    for d in app.check_vault(root, cache=app.NO_CACHE).diagnostics:
        out.setdefault(d.code, []).append(d.message)
    return out


# --- the stub policy ------------------------------------------------------------------------------


def test_a_missing_note_cited_by_one_note_gets_no_stub_by_two_it_does(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[Once]] [[Twice]]\n", "b.md": "[[Twice]]\n"})
    report = sync(root)
    assert report.created == ["Twice.md"]
    assert not (root / "Once.md").exists()
    assert "broken-link" in codes(root)  # Once is still reported


def test_stub_min_citers_is_a_setting(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[Once]]\n", CONFIG_NAME: "stub_min_citers = 1\n"})
    assert sync(root).created == ["Once.md"]


def test_one_note_asking_to_create_a_missing_note_gets_its_stub(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "File against [[Plan]] (Or Create If Missing).\nAlso [[Other]].\n"})
    assert sync(root).created == ["Plan.md"]


def test_a_bare_vault_path_names_the_very_file_and_gets_its_stub(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "- ~/vault/projects/plan.md — not written yet\n"})
    assert sync(root).created == ["projects/plan.md"]


@requires_seeds
def test_the_house_style_seed_still_gets_its_architecture_notes_stub(tmp_path: Path) -> None:
    root = tmp_path / "rdco-vault"
    root.mkdir()
    seed = next(SEEDS.glob("003_*"))
    shutil.copy(seed, root / "seed.md")
    report = sync(root)
    assert "01-projects/ray-as-coo/architecture-notes.md" in report.created


def test_above_the_limit_a_run_makes_no_stub_and_says_so(make_vault: VaultFactory) -> None:
    links = " ".join(f"[[Missing {i}]]" for i in range(4))
    root = make_vault({"a.md": links, "b.md": links, CONFIG_NAME: "stub_limit = 3\n"})
    before = snapshot(root)
    report = sync(root)
    assert report.created == [] and report.held == [f"Missing {i}.md" for i in range(4)]
    assert {p for p in snapshot(root) if p.startswith("Missing")} == set()
    assert set(snapshot(root)) - set(before) <= {"a.md", "b.md"} | {p for p in snapshot(root) if p.startswith(".")}
    result = run("sync", str(root), "--no-cache")
    assert "4 stubs not made" in result.output and "--all-stubs" in result.output
    assert sorted(sync(root, all_stubs=True).created) == [f"Missing {i}.md" for i in range(4)]
    assert sync(root).pending == 0  # existing stubs are kept, not held


def test_existing_stubs_stay_when_new_ones_are_held(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[Old]]", "b.md": "[[Old]]", CONFIG_NAME: "stub_limit = 1\n"})
    assert sync(root).created == ["Old.md"]
    (root / "c.md").write_text("[[N1]] [[N2]]")
    (root / "d.md").write_text("[[N1]] [[N2]]")
    report = sync(root)
    assert report.held == ["N1.md", "N2.md"] and report.deleted == [] and (root / "Old.md").exists()


def test_held_stubs_are_listed_most_cited_first(make_vault: VaultFactory) -> None:
    root = make_vault(
        {"a.md": "[[X]] [[Y]] [[Z]]", "b.md": "[[X]] [[Y]] [[Z]]", "c.md": "[[Z]]", CONFIG_NAME: "stub_limit = 1\n"}
    )
    assert sync(root).held == ["Z.md", "X.md", "Y.md"]


# --- names no stub may have ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("a:b.md", "Windows refuses"),
        ('say "hi".md', "Windows refuses"),
        ("star*.md", "Windows refuses"),
        ("<% tp.date.now() %>.md", "Windows refuses"),
        ("dots./x.md", "ends with a dot"),
        ("trailing .md", "ends with a dot or a space"),
        ("CON.md", "reserves"),
        ("lpt1.md", "reserves"),
        ("tab\there.md", "control character"),
        (".hidden.md", "hidden"),
        ("{{date}}.md", "placeholder"),
        ("x" * 300 + ".md", "longer"),
    ],
)
def test_a_name_obsidian_macos_or_windows_refuse_is_a_problem(name: str, expected: str) -> None:
    assert expected in name_problem(name)


@pytest.mark.parametrize("name", ["Plain name.md", "sub/dir/Note (2).md", "café – naïve.md", "CONSOLE.md"])
def test_an_ordinary_name_is_no_problem(name: str) -> None:
    assert name_problem(name) == ""


@given(st.text(min_size=1, max_size=30))
def test_a_name_without_a_problem_survives_windows(name: str) -> None:
    if name_problem(name + ".md") == "":
        assert not set(name) & set('<>:"\\|?*') and name == name.rstrip(". ")
        assert all(ord(c) >= 32 for c in name)


def test_a_link_no_stub_can_be_made_for_is_reported_with_what_is_wrong(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[17:40]] [[star*]]\n", "b.md": "[[17:40]] [[star*]]\n"})
    assert sync(root).created == []
    problems = codes(root)["unusable-name"]
    assert (
        "[[17:40]] has no note, and none can be made: '17:40' has :, which Windows refuses in a file name" in problems
    )
    assert "broken-link" not in codes(root)


def test_a_near_miss_of_an_existing_note_is_a_probable_typo(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "Obsidian Publish.md": "# Publish\n",
            "a.md": "[[Obsidian Publish.]]\n",
            "b.md": "[[Obsidian Publish.]] [[obsidian-publish]]\n",
        }
    )
    assert sync(root).created == []
    typos = codes(root)["probable-typo"]
    assert len(typos) == 3 and all("probably meant Obsidian Publish.md" in m for m in typos)
    assert near_key("Obsidian Publish.") == near_key("obsidian_publish") == "obsidian publish"


def test_a_name_of_punctuation_alone_is_near_no_note(make_vault: VaultFactory) -> None:
    root = make_vault({"_.md": "# underscore\n", "a.md": "[[...]]\n"})
    assert "probable-typo" not in codes(root)


# --- Obsidian's templates and daily notes ----------------------------------------------------------


TEMPLATE = "---\ntags: [daily]\n---\n# {{title}}\n\n[[Inbox]] <% tp.date.tomorrow() %> [[{{date}}]]\n"


def templated_vault(make_vault: VaultFactory) -> Path:
    return make_vault(
        {
            TEMPLATES: json.dumps({"folder": "Templates"}),
            DAILY_NOTES: json.dumps({"folder": "Daily", "format": "YYYY-MM-DD", "template": "Templates/Day"}),
            "Templates/Day.md": TEMPLATE,
            "Templates/Meeting.md": TEMPLATE + prose("sourdough starter", "rye flour"),
            "Daily/2026-12-02.md": "Today. Plan for [[2026-12-04]] and see [[Meeting]].\n",
            "a.md": "Tomorrow: [[2026-12-04]]. Template: [[Day]]. " + prose("sourdough starter", "rye flour"),
            "b.md": "[[2026-12-04]] " + prose("sourdough starter", "rye flour"),
        }
    )


def test_templates_are_never_written_and_links_to_them_resolve(make_vault: VaultFactory) -> None:
    root = templated_vault(make_vault)
    before = snapshot(root)
    report = sync(root, min_score=0.0)
    after = snapshot(root)
    assert after["Templates/Day.md"] == before["Templates/Day.md"]
    assert after["Templates/Meeting.md"] == before["Templates/Meeting.md"]
    assert not any("Templates" in p for p in report.changed + report.created)
    assert b"Meeting" not in after["a.md"] and b"Meeting" not in after["b.md"]  # never suggested
    problems = codes(root)
    assert not any("Day" in m or "Meeting" in m for m in problems.get("broken-link", []))


def test_template_placeholders_make_no_stub_and_no_link(make_vault: VaultFactory) -> None:
    root = templated_vault(make_vault)
    report = sync(root)
    assert not any("{" in p or "<" in p or p == "Inbox.md" for p in report.created)


def test_a_daily_note_of_a_day_to_come_is_not_broken_and_gets_no_stub(make_vault: VaultFactory) -> None:
    root = templated_vault(make_vault)
    report = sync(root)
    assert report.created == []  # three notes cite 2026-12-04: still no stub, in the folder or out
    assert not any("2026-12-04" in m for m in codes(root).get("broken-link", []))


def test_without_daily_notes_a_date_is_an_ordinary_missing_note(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[2026-12-04]]", "b.md": "[[2026-12-04]]"})
    assert sync(root).created == ["2026-12-04.md"]


def test_obsidians_absolute_link_format_writes_vault_paths(make_vault: VaultFactory) -> None:
    app_json = json.dumps({"newLinkFormat": "absolute"})
    root = make_vault({".obsidian/app.json": app_json, "sub/A.md": "# A\n", "B.md": "See [[A]].\n"})
    sync(root)
    assert "- [[B]]\n" in (root / "sub/A.md").read_text()  # B is at the root: its path is its name
    (root / "sub/C.md").write_text("See [[A]].\n")
    sync(root)
    assert "- [[sub/C]]\n" in (root / "sub/A.md").read_text()


# --- vaultlink: false and [[rules]] ----------------------------------------------------------------


def scoped_vault(make_vault: VaultFactory, extra: dict[str, str]) -> Path:
    files = {
        "Alpha.md": "# Alpha\n\n" + prose("sourdough starter", "rye flour"),
        "Gamma.md": "# Gamma\n\nSee [[Private]].\n\n" + prose("sourdough starter", "rye flour"),
        "Private.md": "---\nvaultlink: false\n---\n# Private\n\nSee [[Alpha]].\n\n"
        + prose("sourdough starter", "rye flour"),
        **{f"Filler {i}.md": f"# Filler {i}\n\nAbout knitting number {i}.\n" for i in range(6)},
    }
    return make_vault({**files, **extra})


def test_an_opted_out_note_is_never_written_nor_suggested_but_stays_a_link_target(make_vault: VaultFactory) -> None:
    root = scoped_vault(make_vault, {})
    before = snapshot(root)
    report = sync(root, min_score=0.0)
    assert "Private.md" not in report.changed
    assert snapshot(root)["Private.md"] == before["Private.md"]
    assert b"[[Private]] \xe2\x80\x94" not in snapshot(root)["Alpha.md"]  # never a Related entry
    assert b"[[Gamma]]" in snapshot(root)["Alpha.md"] or b"[[Alpha]]" in snapshot(root)["Gamma.md"]
    assert "Private.md" not in report.created and "broken-link" not in codes(root)


def test_a_note_that_opts_out_later_loses_its_blocks_once(make_vault: VaultFactory) -> None:
    root = scoped_vault(make_vault, {})
    private = (root / "Private.md").read_text()
    (root / "Private.md").write_text(private.replace("vaultlink: false", "title: Private"))
    sync(root, min_score=0.0)
    assert "<!-- vaultlink:" in (root / "Private.md").read_text()
    written = (root / "Private.md").read_text()
    (root / "Private.md").write_text(written.replace("title: Private", "vaultlink: false"))
    assert sync(root, min_score=0.0).changed == ["Private.md"]
    assert (root / "Private.md").read_text() == private
    assert sync(root, min_score=0.0).pending == 0


def test_rules_say_where_vaultlink_may_write_suggest_and_ask_for_stubs(make_vault: VaultFactory) -> None:
    toml = (
        '[[rules]]\nglob = "journal/"\nwrite = false\nstubs = false\n\n[[rules]]\nglob = "Gamma.md"\nsuggest = false\n'
    )
    root = scoped_vault(
        make_vault,
        {
            CONFIG_NAME: toml,
            "journal/day.md": "[[Ghost]] " + prose("sourdough starter", "rye flour"),
            "journal/day2.md": "[[Ghost]]\n",
            "Beta.md": "# Beta\n\n" + prose("sourdough starter", "rye flour"),
        },
    )
    before = snapshot(root)
    report = sync(root, min_score=0.0)
    after = snapshot(root)
    assert after["journal/day.md"] == before["journal/day.md"]
    assert "Ghost.md" not in report.created  # both citers are in a folder that asks for no stubs
    assert all(b"[[Gamma]]" not in after[p] for p in ("Alpha.md", "Beta.md"))
    assert b"vaultlink:related" in after["Gamma.md"]  # still written: only its suggestion is off


def test_a_rule_keeping_a_folder_unwritten_keeps_stubs_out_of_it(make_vault: VaultFactory) -> None:
    toml = '[[rules]]\nglob = "locked/"\nwrite = false\n'
    root = make_vault({CONFIG_NAME: toml, "a.md": "[[locked/x]]", "b.md": "[[locked/x]]"})
    assert sync(root).created == []


def test_a_bad_rule_changes_nothing(make_vault: VaultFactory) -> None:
    root = scoped_vault(make_vault, {CONFIG_NAME: '[[rules]]\nglob = "x/"\nwrite = "no"\n'})
    before = snapshot(root)
    result = run("sync", str(root))
    assert result.exit_code != 0 and "rules[1]: 'write' must be true or false" in result.output + result.stderr
    assert snapshot(root) == before


# --- ignored folders -------------------------------------------------------------------------------


def test_a_note_in_an_ignored_folder_is_a_link_target_never_written(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            CONFIG_NAME: 'ignore = ["archive/"]\n',
            "archive/Old plan.md": "# Old\n\n[[Elsewhere]] [[Elsewhere]]\n",
            "a.md": "See [[archive/Old plan]] and [[Old plan]].\n",
            "b.md": "See [[Old plan]].\n",
        }
    )
    before = snapshot(root)
    report = sync(root)
    assert report.created == [] and snapshot(root)["archive/Old plan.md"] == before["archive/Old plan.md"]
    assert not (root / "Old plan.md").exists()
    assert "broken-link" not in codes(root)


def test_blocks_written_before_a_note_was_out_of_scope_are_removed_by_sync_and_clean(
    make_vault: VaultFactory,
) -> None:
    files = {"Templates/Day.md": "# {{title}}\n", "a.md": "# A\n\nFrom [[Day]].\n"}
    root = make_vault(files)
    sync(root)  # no templates folder set yet: the template is a note, and gets a block
    written = (root / "Templates/Day.md").read_text()
    assert "<!-- vaultlink:" in written
    (root / TEMPLATES).parent.mkdir(exist_ok=True)
    (root / TEMPLATES).write_text(json.dumps({"folder": "Templates"}))
    dry = run("sync", str(root), "--dry-run", "--no-cache")
    assert "Templates/Day.md" in dry.output
    assert "Templates/Day.md" in sync(root).changed
    assert (root / "Templates/Day.md").read_text() == files["Templates/Day.md"]
    assert sync(root).pending == 0
    (root / "Templates/Day.md").write_text(written)
    app.clean(root, cache=app.NO_CACHE)
    assert (root / "Templates/Day.md").read_text() == files["Templates/Day.md"]


# --- the Backlinks cap -----------------------------------------------------------------------------


def test_a_backlinks_block_lists_at_most_the_limit_and_says_how_many_more(make_vault: VaultFactory) -> None:
    citers = {f"n{i:02}.md": "[[Hub]] [[Ghost hub]]\n" for i in range(7)}
    root = make_vault({"Hub.md": "# Hub\n", CONFIG_NAME: "backlinks_limit = 3\n", **citers})
    sync(root)
    hub = (root / "Hub.md").read_text()
    assert "- [[n00]]\n- [[n01]]\n- [[n02]]\n- … and 4 more notes link here\n" in hub
    assert "[[n03]]" not in hub
    stub = (root / "Ghost hub.md").read_text()
    assert stub.count("“[[Hub]] [[Ghost hub]]”") == 3 and "- … and 4 more notes link here\n" in stub
    assert sync(root).pending == 0  # the line is vaultlink's own: the block is not the user's
    (root / "n06.md").write_text("no link\n")
    (root / "n05.md").write_text("no link\n")
    (root / "n04.md").write_text("no link\n")
    sync(root)
    assert "- … and 1 more note links here\n" in (root / "Hub.md").read_text()
    app.clean(root, cache=app.NO_CACHE)
    assert (root / "Hub.md").read_text() == "# Hub\n" and not (root / "Ghost hub.md").exists()


# --- properties ------------------------------------------------------------------------------------

NAMES = ("Alpha", "Beta", "Gamma", "Templates/Day", "Ghost", "17:40", "Alpha.", "2026-12-04", "archive/Old")


@st.composite
def scoped_vaults(draw: st.DrawFn) -> dict[str, str]:
    """A small vault with templates, an ignored folder, daily notes, opted-out notes, and links to
    notes that exist, are missing, or can't be made."""
    files = {
        TEMPLATES: json.dumps({"folder": "Templates"}),
        DAILY_NOTES: json.dumps({"folder": "Daily"}),
        CONFIG_NAME: 'ignore = ["archive/"]\n',
        "archive/Old.md": "# Old\n\n[[Alpha]]\n",
    }
    for path in ("Alpha.md", "Beta.md", "Gamma.md", "Templates/Day.md", "Daily/2026-12-02.md"):
        links = draw(st.lists(st.sampled_from(NAMES), max_size=4))
        opted = draw(st.booleans())
        text = ("---\nvaultlink: false\n---\n" if opted else "") + prose("sourdough starter", "rye flour")
        files[path] = text + "".join(f"See [[{name}]].\n" for name in links)
    return files


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=scoped_vaults())
def test_sync_keeps_within_the_scope_and_clean_gives_every_byte_back(
    make_vault: VaultFactory, files: dict[str, str]
) -> None:
    root = make_vault(files)
    for extra in set(snapshot(root)) - set(files):  # an earlier example's stubs and state
        if not extra.startswith(".vaultlink/"):
            (root / extra).unlink()
    before = snapshot(root)
    sync(root, min_score=0.0)
    after = snapshot(root)
    for path, text in files.items():
        if path.startswith(("Templates/", "archive/", ".")) or text.startswith("---\nvaultlink: false"):
            assert after[path] == before[path], path
    for created in set(after) - set(before):
        if not created.startswith(".vaultlink"):
            assert created == "Ghost.md", created  # the only missing note a stub may be made for
    assert sync(root, min_score=0.0).pending == 0
    app.clean(root, cache=app.NO_CACHE)
    assert {p: b for p, b in snapshot(root).items() if not p.startswith(".vaultlink")} == {
        p: b for p, b in before.items() if not p.startswith(".vaultlink")
    }
