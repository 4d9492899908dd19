"""Links vaultlink writes follow Obsidian's "New link format" (``newLinkFormat``) and "Use
[[Wikilinks]]" (``useMarkdownLinks``), as Obsidian's ``fileToLinktext``/``generateMarkdownLink``
build a new link (issue 16); and every link written leads back to the note it names."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import VaultFactory, examples, snapshot
from vaultlink import app
from vaultlink.core.config import Config
from vaultlink.core.link_style import LinkStyle
from vaultlink.core.note import Note
from vaultlink.core.parse import parse_text
from vaultlink.core.resolve import NoteIndex, Outcome, fold, resolve_link

PATHS = ["Top.md", "a/Deep note.md", "a/b/Leaf.md", "a/Same.md", "c/Same.md", "c/Side.md"]

# (format, markdown, target, source) -> what Obsidian writes
OBSIDIAN = [
    ("shortest", False, "a/b/Leaf.md", "c/Side.md", "[[Leaf]]"),
    ("shortest", False, "a/Same.md", "c/Side.md", "[[a/Same]]"),
    ("shortest", True, "a/b/Leaf.md", "c/Side.md", "[Leaf](Leaf.md)"),
    ("shortest", True, "a/Deep note.md", "c/Side.md", "[Deep note](Deep%20note.md)"),
    ("shortest", True, "a/Same.md", "Top.md", "[Same](a/Same.md)"),
    ("absolute", False, "a/b/Leaf.md", "c/Side.md", "[[a/b/Leaf]]"),
    ("absolute", False, "Top.md", "a/b/Leaf.md", "[[Top]]"),
    ("absolute", True, "a/Deep note.md", "c/Side.md", "[Deep note](a/Deep%20note.md)"),
    ("relative", False, "a/b/Leaf.md", "c/Side.md", "[[../a/b/Leaf]]"),
    ("relative", False, "a/b/Leaf.md", "a/Same.md", "[[b/Leaf]]"),
    ("relative", False, "Top.md", "a/b/Leaf.md", "[[../../Top]]"),
    ("relative", False, "c/Side.md", "c/Same.md", "[[Side]]"),
    ("relative", True, "a/Deep note.md", "c/Side.md", "[Deep note](../a/Deep%20note.md)"),
    ("relative", True, "a/b/Leaf.md", "Top.md", "[Leaf](a/b/Leaf.md)"),
    ("relative", True, "c/Side.md", "c/Same.md", "[Side](Side.md)"),
]


@pytest.mark.parametrize(("link_format", "markdown", "target", "source", "expected"), OBSIDIAN)
def test_links_are_written_as_obsidian_writes_them(
    link_format: str, markdown: bool, target: str, source: str, expected: str
) -> None:
    style = LinkStyle(PATHS, Config(use_markdown_links=markdown, new_link_format=link_format))
    assert style.link(target, source) == expected


def test_a_relative_wikilink_to_a_name_found_elsewhere_starts_with_a_dot() -> None:
    """``[[Same]]`` from ``c/Side.md`` would be read as a name, which two notes have: ``./Same``
    is read from the note's folder, by vaultlink and by Obsidian alike."""
    style = LinkStyle(PATHS, Config(new_link_format="relative"))
    assert style.link("c/Same.md", "c/Side.md") == "[[./Same]]"


def test_a_markdown_vault_path_read_from_the_folder_as_another_note_is_written_relative() -> None:
    paths = ["x/Note.md", "sub/x/Note.md", "sub/Source.md"]
    style = LinkStyle(paths, Config(use_markdown_links=True))
    assert style.link("x/Note.md", "sub/Source.md") == "[Note](../x/Note.md)"


# --- the round trip: every link written leads back to the note it names ------------------------------------

FOLDERS = ["", "a/", "a/b/", "c/", "a/c/", "b/"]
NAMES = ["Note", "note", "Other", "My note", "b", "Über"]


@st.composite
def vaults(draw: st.DrawFn) -> list[str]:
    paths = draw(st.lists(st.tuples(st.sampled_from(FOLDERS), st.sampled_from(NAMES)), min_size=2, max_size=10))
    unique: dict[str, str] = {}
    for folder, name in paths:
        path = f"{folder}{name}.md"
        unique.setdefault(fold(path), path)  # one file a path, as a case-insensitive disk has it
    return sorted(unique.values())


@hsettings(max_examples=examples(150), deadline=None)
@given(vaults(), st.sampled_from(["shortest", "relative", "absolute"]), st.booleans())
def test_every_link_written_resolves_to_the_note_it_names(paths: list[str], link_format: str, markdown: bool) -> None:
    config = Config(use_markdown_links=markdown, new_link_format=link_format)
    style = LinkStyle(paths, config)
    index = NoteIndex([Note(path, "") for path in paths], config)
    for source in paths:
        for target in paths:
            written = style.link(target, source)
            note = parse_text(source, f"- {written}\n", config).note
            assert note is not None and len(note.links) == 1, written
            resolution = resolve_link(note.links[0], source, index)
            assert (resolution.outcome, resolution.target) == (Outcome.NOTE, target), (source, written)


@pytest.mark.parametrize(
    ("app_json", "entry"),
    [
        ('{"newLinkFormat": "relative"}', "- [[../sub/A]]"),
        ('{"newLinkFormat": "absolute"}', "- [[sub/A]]"),
        ('{"newLinkFormat": "relative", "useMarkdownLinks": true}', "- [A](../sub/A.md)"),
        ("{}", "- [[A]]"),
    ],
)
def test_sync_writes_backlinks_in_the_vaults_link_format(make_vault: VaultFactory, app_json: str, entry: str) -> None:
    root = make_vault({".obsidian/app.json": app_json, "x/B.md": "# B\n", "sub/A.md": "# A\n\nSee [[B]].\n"})
    before = snapshot(root)
    app.sync(root)
    assert entry in (root / "x" / "B.md").read_text().splitlines()
    assert app.sync(root).pending == 0, "a second sync has nothing to do"
    app.clean(root)
    assert snapshot(root) == before
