"""Link resolution by Obsidian's rules: paths, names, aliases, ambiguity, missing notes, refusal."""

from __future__ import annotations

import posixpath
import unicodedata

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink.core.config import Config
from vaultlink.core.note import Link, LinkKind, Note
from vaultlink.core.parse import parse_text
from vaultlink.core.resolve import NoteIndex, Outcome, Resolution, link_diagnostics, resolve_all, resolve_link

NFC_CAFE = unicodedata.normalize("NFC", "Café")
NFD_CAFE = unicodedata.normalize("NFD", "Café")


def note(path: str, *links: Link, aliases: tuple[str, ...] = ()) -> Note:
    return Note(path=path, title=path.rsplit("/", 1)[-1].rsplit(".", 1)[0], aliases=aliases, links=links)


def wiki(target: str) -> Link:
    return Link(target, LinkKind.WIKILINK, f"[[{target}]]")


def embed(target: str) -> Link:
    return Link(target, LinkKind.EMBED, f"![[{target}]]")


def md(target: str) -> Link:
    return Link(target, LinkKind.MARKDOWN, target)


def vault_path(target: str) -> Link:
    return Link(target, LinkKind.PATH, f"~/vault/{target}")


def resolve(
    link: Link,
    paths: list[str],
    source: str = "src.md",
    config: Config | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> Resolution:
    """Resolve ``link`` written in ``source`` in a vault holding ``paths`` (and the source)."""
    aliases = aliases or {}
    notes = [note(p, aliases=aliases.get(p, ())) for p in paths]
    if source not in paths:
        notes.append(note(source))
    return resolve_link(link, source, NoteIndex(notes, config or Config()))


# --- wikilinks to existing notes -------------------------------------------------------------


def test_wikilink_vault_relative_path() -> None:
    assert resolve(wiki("folder/Note"), ["folder/Note.md", "other/Note.md"]) == Resolution(
        Outcome.NOTE, "folder/Note.md"
    )


def test_wikilink_unique_file_name_anywhere_in_vault() -> None:
    assert resolve(wiki("Note"), ["deep/down/Note.md", "x/Other.md"]) == Resolution(Outcome.NOTE, "deep/down/Note.md")


def test_wikilink_is_case_insensitive() -> None:
    assert resolve(wiki("note"), ["a/Note.md"]).target == "a/Note.md"
    assert resolve(wiki("A/NOTE"), ["a/Note.md"]).target == "a/Note.md"


def test_nfd_file_name_found_by_nfc_link() -> None:
    res = resolve(wiki(NFC_CAFE), [f"{NFD_CAFE}.md"])
    assert res == Resolution(Outcome.NOTE, f"{NFD_CAFE}.md")


def test_nfc_file_name_found_by_nfd_link() -> None:
    res = resolve(wiki(NFD_CAFE), [f"{NFC_CAFE}.md"])
    assert res == Resolution(Outcome.NOTE, f"{NFC_CAFE}.md")


def test_wikilink_with_md_extension() -> None:
    assert resolve(wiki("Note.md"), ["a/Note.md"]) == Resolution(Outcome.NOTE, "a/Note.md")


def test_wikilink_trailing_path_match() -> None:
    assert resolve(wiki("b/Note"), ["a/b/Note.md", "c/Note.md"]) == Resolution(Outcome.NOTE, "a/b/Note.md")


def test_trailing_path_matches_whole_folder_names_only() -> None:
    # "b/Note" must not match "xb/Note.md"
    assert resolve(wiki("b/Note"), ["xb/Note.md"]).outcome is Outcome.MISSING


def test_wikilink_resolves_through_frontmatter_alias() -> None:
    text = "---\naliases: [LAB, Laboratory]\n---\nBody.\n"
    lab = parse_text("places/The Lab.md", text, Config()).note
    assert lab is not None
    src = note("src.md", wiki("LAB"), wiki("laboratory"))
    resolved = resolve_all([lab, src], Config())
    assert [r.resolution for r in resolved] == [Resolution(Outcome.NOTE, "places/The Lab.md")] * 2


def test_note_name_beats_alias() -> None:
    res = resolve(wiki("Lab"), ["Lab.md", "other.md"], aliases={"other.md": ("Lab",)})
    assert res == Resolution(Outcome.NOTE, "Lab.md")


def test_note_name_with_dots_is_a_note_not_an_attachment() -> None:
    assert resolve(wiki("v1.2 release"), ["notes/v1.2 release.md"]) == Resolution(Outcome.NOTE, "notes/v1.2 release.md")


def test_missing_note_name_with_dots_gets_md_extension() -> None:
    assert resolve(wiki("v1.3 release"), []) == Resolution(Outcome.MISSING, "v1.3 release.md")


def test_relative_wikilink_from_source_folder() -> None:
    assert resolve(wiki("../b/Note"), ["b/Note.md", "a/b/Note.md"], source="a/src.md") == Resolution(
        Outcome.NOTE, "b/Note.md"
    )


# --- ambiguity ------------------------------------------------------------------------------


def test_same_name_in_two_folders_is_ambiguous_with_both_candidates() -> None:
    res = resolve(wiki("Note"), ["x/Note.md", "y/Note.md"])
    assert res.outcome is Outcome.AMBIGUOUS
    assert res.target == ""
    assert res.candidates == ("x/Note.md", "y/Note.md")


def test_ambiguous_link_diagnostic_names_the_linking_note() -> None:
    notes = [note("x/Note.md"), note("y/Note.md"), note("dir/linker.md", wiki("Note"))]
    diags = link_diagnostics(resolve_all(notes, Config()))
    assert len(diags) == 1
    d = diags[0]
    assert d.code == "ambiguous-link"
    assert d.path == "dir/linker.md"
    assert "[[Note]]" in d.message
    assert "x/Note.md" in d.message and "y/Note.md" in d.message


def test_two_aliases_with_same_name_are_ambiguous() -> None:
    res = resolve(wiki("ML"), ["a.md", "b.md"], aliases={"a.md": ("ML",), "b.md": ("ml",)})
    assert res == Resolution(Outcome.AMBIGUOUS, "", ("a.md", "b.md"))


# --- missing wikilinks ----------------------------------------------------------------------


def test_missing_wikilink_goes_to_vault_root_by_default() -> None:
    assert resolve(wiki("New Idea"), ["a/x.md"], source="a/src.md") == Resolution(Outcome.MISSING, "New Idea.md")


def test_missing_wikilink_goes_to_source_folder_when_location_is_current() -> None:
    config = Config(new_file_location="current")
    assert resolve(wiki("New"), [], source="a/b/src.md", config=config) == Resolution(Outcome.MISSING, "a/b/New.md")


def test_missing_wikilink_from_root_note_with_location_current_stays_at_root() -> None:
    config = Config(new_file_location="current")
    assert resolve(wiki("New"), [], source="src.md", config=config) == Resolution(Outcome.MISSING, "New.md")


def test_missing_wikilink_goes_to_new_file_folder_when_location_is_folder() -> None:
    config = Config(new_file_location="folder", new_file_folder="Inbox/")
    assert resolve(wiki("New"), [], source="a/src.md", config=config) == Resolution(Outcome.MISSING, "Inbox/New.md")


def test_missing_wikilink_with_folder_keeps_its_path() -> None:
    for config in (
        Config(),
        Config(new_file_location="current"),
        Config(new_file_location="folder", new_file_folder="I"),
    ):
        assert resolve(wiki("sub/New"), [], source="a/src.md", config=config) == Resolution(
            Outcome.MISSING, "sub/New.md"
        )


def test_missing_wikilink_gets_a_broken_link_diagnostic() -> None:
    diags = link_diagnostics(resolve_all([note("a/src.md", wiki("Nowhere"))], Config()))
    assert [(d.path, d.code) for d in diags] == [("a/src.md", "broken-link")]
    assert "Nowhere.md" in diags[0].message


@pytest.mark.parametrize("folder", ["../outside", "a/../..", "C:\\x"])
def test_new_file_folder_outside_vault_never_yields_path_outside(folder: str) -> None:
    config = Config(new_file_location="folder", new_file_folder=folder)
    res = resolve(wiki("New"), [], source="src.md", config=config)
    if res.outcome is not Outcome.REFUSED:
        norm = posixpath.normpath(res.target.replace("\\", "/"))
        assert ":" not in norm, res
        assert norm != ".." and not norm.startswith(("../", "/")), res


# --- markdown links -------------------------------------------------------------------------


def test_markdown_link_relative_to_source_folder() -> None:
    assert resolve(md("../b/n.md"), ["b/n.md", "a/b/n.md"], source="a/src.md") == Resolution(Outcome.NOTE, "b/n.md")


def test_markdown_link_same_folder() -> None:
    assert resolve(md("n.md"), ["a/n.md", "n.md"], source="a/src.md") == Resolution(Outcome.NOTE, "a/n.md")


def test_markdown_link_without_extension() -> None:
    assert resolve(md("../b/n"), ["b/n.md"], source="a/src.md") == Resolution(Outcome.NOTE, "b/n.md")


def test_markdown_link_url_encoded_is_parsed_and_resolved() -> None:
    src = parse_text("a/src.md", "See [x](../b/My%20Note.md).\n", Config()).note
    assert src is not None
    assert [lk.target for lk in src.links] == ["../b/My Note.md"]
    resolved = resolve_all([src, note("b/My Note.md")], Config())
    assert resolved[0].resolution == Resolution(Outcome.NOTE, "b/My Note.md")


def test_markdown_link_falls_back_to_bare_name() -> None:
    assert resolve(md("n.md"), ["elsewhere/n.md"], source="a/src.md") == Resolution(Outcome.NOTE, "elsewhere/n.md")


def test_markdown_link_falls_back_to_vault_absolute_path() -> None:
    assert resolve(md("b/n.md"), ["b/n.md"], source="a/src.md") == Resolution(Outcome.NOTE, "b/n.md")


def test_missing_markdown_link_is_missing_at_its_relative_path() -> None:
    assert resolve(md("../zz/q.md"), [], source="a/b/src.md") == Resolution(Outcome.MISSING, "a/zz/q.md")
    assert resolve(md("new"), [], source="a/src.md") == Resolution(Outcome.MISSING, "a/new.md")


def test_markdown_embed_of_a_note_resolves_like_a_markdown_link() -> None:
    link = Link("../b/n.md", LinkKind.EMBED, "../b/n.md")
    assert resolve(link, ["b/n.md"], source="a/src.md") == Resolution(Outcome.NOTE, "b/n.md")


# --- bare vault paths -----------------------------------------------------------------------


def test_path_link_is_an_exact_vault_path() -> None:
    assert resolve(vault_path("x/y.md"), ["x/y.md", "z/x/y.md"], source="q/src.md") == Resolution(
        Outcome.NOTE, "x/y.md"
    )


def test_path_link_does_not_match_by_name() -> None:
    assert resolve(vault_path("x/y.md"), ["z/x/y.md"]) == Resolution(Outcome.MISSING, "x/y.md")


def test_path_link_parsed_from_prose_resolves() -> None:
    config = Config(path_prefixes=("vault",))
    src = parse_text("a/src.md", "file against ~/vault/06-ref/x.md (or create if missing)\n", config).note
    assert src is not None
    resolved = resolve_all([src, note("06-ref/x.md")], config)
    assert [(r.link.kind, r.resolution) for r in resolved] == [(LinkKind.PATH, Resolution(Outcome.NOTE, "06-ref/x.md"))]


def test_missing_path_link_is_that_path() -> None:
    assert resolve(vault_path("01-projects/arch/notes.md"), [], source="a/src.md") == Resolution(
        Outcome.MISSING, "01-projects/arch/notes.md"
    )


# --- refusal --------------------------------------------------------------------------------

REFUSED_CASES = [
    pytest.param(wiki("../../x"), "src.md", id="wikilink-dotdot"),
    pytest.param(wiki("../../../x"), "a/b/src.md", id="wikilink-dotdot-from-subfolder"),
    pytest.param(wiki("a/../../x"), "src.md", id="wikilink-inner-dotdot"),
    pytest.param(wiki("/etc/passwd"), "src.md", id="wikilink-absolute"),
    pytest.param(md("../../outside.md"), "src.md", id="markdown-dotdot-from-root"),
    pytest.param(md("../outside.md"), "src.md", id="markdown-one-dotdot-from-root"),
    pytest.param(md("/etc/passwd.md"), "src.md", id="markdown-absolute"),
    pytest.param(md("/etc/passwd.md"), "a/src.md", id="markdown-absolute-from-subfolder"),
    pytest.param(vault_path("../../x.md"), "src.md", id="path-dotdot"),
    pytest.param(vault_path("a/../../x.md"), "src.md", id="path-inner-dotdot"),
    pytest.param(wiki("C:\\x.md"), "src.md", id="wikilink-windows-drive"),
    pytest.param(wiki("C:\\x.md"), "a/src.md", id="wikilink-windows-drive-from-subfolder"),
    pytest.param(md("C:\\x.md"), "src.md", id="markdown-windows-drive"),
    pytest.param(vault_path("C:\\x.md"), "src.md", id="path-windows-drive"),
    pytest.param(wiki("..\\..\\x"), "src.md", id="wikilink-backslash-dotdot"),
    pytest.param(md("\\\\server\\share\\x.md"), "src.md", id="markdown-unc"),
]


@pytest.mark.parametrize(("link", "source"), REFUSED_CASES)
def test_link_leaving_the_vault_is_refused(link: Link, source: str) -> None:
    res = resolve(link, ["x.md", "outside.md", "etc/passwd.md"], source=source)
    assert res.outcome is Outcome.REFUSED


@pytest.mark.parametrize(("link", "source"), REFUSED_CASES)
def test_refused_link_gets_outside_vault_diagnostic(link: Link, source: str) -> None:
    notes = [note("x.md"), note(source, link)]
    diags = link_diagnostics(resolve_all(notes, Config()))
    assert [(d.path, d.code) for d in diags] == [(source, "outside-vault")]
    assert link.raw in diags[0].message


def test_path_link_with_dotdot_parsed_from_prose_is_refused() -> None:
    config = Config(path_prefixes=("vault",))
    src = parse_text("src.md", "see ~/vault/../../x.md for details\n", config).note
    assert src is not None
    resolved = resolve_all([src, note("x.md")], config)
    assert [r.resolution.outcome for r in resolved] == [Outcome.REFUSED]
    assert [d.code for d in link_diagnostics(resolved)] == ["outside-vault"]


def test_markdown_windows_drive_path_from_subfolder_is_refused() -> None:
    assert resolve(md("C:\\x.md"), [], source="a/src.md").outcome is Outcome.REFUSED


# --- attachments ----------------------------------------------------------------------------


@pytest.mark.parametrize("link", [embed("pic.png"), wiki("doc.pdf"), wiki("img/Photo.JPG"), embed("board.canvas")])
def test_attachment_links_are_attachments(link: Link) -> None:
    res = resolve(link, ["pic.md", "doc.md"])
    assert res.outcome is Outcome.ATTACHMENT
    assert res.target == link.target


def test_attachments_get_no_diagnostic() -> None:
    src = parse_text("src.md", "![[pic.png]] and [[doc.pdf]]\n", Config()).note
    assert src is not None
    resolved = resolve_all([src], Config())
    assert [r.resolution.outcome for r in resolved] == [Outcome.ATTACHMENT, Outcome.ATTACHMENT]
    assert link_diagnostics(resolved) == []


def test_embedded_note_resolves_as_a_note() -> None:
    assert resolve(embed("Note"), ["a/Note.md"]) == Resolution(Outcome.NOTE, "a/Note.md")


# --- resolve_all ----------------------------------------------------------------------------


def test_resolve_all_resolves_every_link_of_every_note_in_order() -> None:
    notes = [note("a.md", wiki("b"), wiki("zzz")), note("b.md", md("a.md"))]
    resolved = resolve_all(notes, Config())
    assert [(r.source, r.link.target, r.resolution.outcome) for r in resolved] == [
        ("a.md", "b", Outcome.NOTE),
        ("a.md", "zzz", Outcome.MISSING),
        ("b.md", "a.md", Outcome.NOTE),
    ]


def test_resolved_links_produce_no_diagnostic() -> None:
    notes = [note("a.md", wiki("b")), note("b.md", md("a.md"))]
    assert link_diagnostics(resolve_all(notes, Config())) == []


# --- property: the resolver never leaves the vault ------------------------------------------

SEGMENTS = st.sampled_from(["..", ".", "a", "b", "Note", "x y", ""])
TARGETS = st.lists(SEGMENTS, min_size=1, max_size=7).map("/".join).filter(bool)
SOURCES = st.sampled_from(["src.md", "a/src.md", "a/b/src.md", "a/b/c/src.md"])
KINDS = st.sampled_from([LinkKind.WIKILINK, LinkKind.MARKDOWN, LinkKind.PATH])
CONFIGS = st.sampled_from(
    [Config(), Config(new_file_location="current"), Config(new_file_location="folder", new_file_folder="Inbox")]
)
VAULT = [note(p) for p in ["Note.md", "a/Note.md", "a/b/x y.md", "b/a.md"]]


@settings(max_examples=examples(500), deadline=None)
@given(target=TARGETS, source=SOURCES, kind=KINDS, config=CONFIGS)
def test_resolver_never_yields_a_path_outside_the_vault(
    target: str, source: str, kind: LinkKind, config: Config
) -> None:
    index = NoteIndex([*VAULT, note(source)], config)
    res = resolve_link(Link(target, kind, target), source, index)
    if res.outcome in (Outcome.NOTE, Outcome.MISSING):
        assert not res.target.startswith(("..", "/")), res
        norm = posixpath.normpath(res.target)
        assert norm != ".." and not norm.startswith(("../", "/")), res
        assert norm == res.target, res
    if res.outcome is Outcome.NOTE:
        assert res.target in {n.path for n in [*VAULT, note(source)]}


# --- note files that exist but can't be read -------------------------------------------------


def unreadable_index(readable: list[str], unreadable: list[str], config: Config | None = None) -> NoteIndex:
    return NoteIndex([note(p) for p in ["src.md", *readable]], config or Config(), unreadable)


@pytest.mark.parametrize(
    "link",
    [wiki("bin"), wiki("BIN"), wiki("sub/bin"), wiki("bin.md"), md("sub/bin.md"), vault_path("sub/bin.md")],
    ids=["name", "case", "path", "extension", "markdown", "vault-path"],
)
def test_link_to_an_unreadable_note_file_finds_it(link: Link) -> None:
    config = Config(new_file_location="folder", new_file_folder="inbox")
    index = unreadable_index(["other.md"], ["sub/bin.md"], config)
    assert resolve_link(link, "src.md", index) == Resolution(Outcome.UNREADABLE, "sub/bin.md")


def test_unreadable_file_and_a_note_of_the_same_name_are_ambiguous() -> None:
    index = unreadable_index(["a/bin.md"], ["b/bin.md"])
    resolution = resolve_link(wiki("bin"), "src.md", index)
    assert resolution == Resolution(Outcome.AMBIGUOUS, "", ("a/bin.md", "b/bin.md"))


def test_link_to_an_unreadable_note_gets_one_unreadable_target_line() -> None:
    config = Config(new_file_location="folder", new_file_folder="inbox")
    notes = [note("src.md", wiki("bin"))]
    (diagnostic,) = link_diagnostics(resolve_all(notes, config, ["bin.md"]))
    assert diagnostic.line() == (
        "src.md: unreadable-target: [[bin]] leads to bin.md, which can't be read (see its own problem)"
    )
