"""parse_note / parse_text: links, tags, headings, title and decoding."""

from __future__ import annotations

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink.core.config import Config
from vaultlink.core.note import Diagnostic, Link, LinkKind, Note
from vaultlink.core.parse import decode_note, parse_note, parse_text

PATH = "folder/My Note.md"
VAULT = Config(path_prefixes=("rdco-vault",))


def note_of(text: str, config: Config = VAULT, path: str = PATH) -> Note:
    parsed = parse_text(path, text, config)
    assert parsed.note is not None
    return parsed.note


def links_of(text: str, config: Config = VAULT) -> tuple[Link, ...]:
    return note_of(text, config).links


def only_link(text: str, config: Config = VAULT) -> Link:
    (link,) = links_of(text, config)
    return link


# --- Wikilinks and embeds ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "heading", "block", "display"),
    [
        ("[[a]]", "a", "", "", ""),
        ("[[a|shown]]", "a", "", "", "shown"),
        ("[[a#Heading]]", "a", "Heading", "", ""),
        ("[[a#^block]]", "a", "", "block", ""),
        ("[[a#Heading^block|x]]", "a", "Heading", "block", "x"),
        ("[[folder/a]]", "folder/a", "", "", ""),
        ("[[a.md]]", "a.md", "", "", ""),
        ("[[Two Words|Shown Text]]", "Two Words", "", "", "Shown Text"),
    ],
)
def test_wikilink_parts(source: str, target: str, heading: str, block: str, display: str) -> None:
    link = only_link(f"See {source} here.")
    assert link == Link(target, LinkKind.WIKILINK, source, heading, block, display)


def test_embed_is_kind_embed_with_exact_raw() -> None:
    link = only_link("![[picture note#Part]]")
    assert link == Link("picture note", LinkKind.EMBED, "![[picture note#Part]]", "Part")


def test_self_link_to_a_heading_gives_no_link() -> None:
    assert links_of("Jump to [[#Heading]] or [[#^block]].") == ()


def test_several_links_are_kept_in_order() -> None:
    assert [link.target for link in links_of("[[one]] then [[two]]\n\n- [[three]]\n")] == ["one", "two", "three"]


def test_escaped_pipe_in_a_table_cell_splits_target_and_display() -> None:
    text = "| Name | Link |\n|---|---|\n| x | [[a\\|b]] |\n| y | [[c\\|d]] |\n"
    links = links_of(text)
    assert [(link.target, link.display) for link in links] == [("a", "b"), ("c", "d")]
    assert [link.raw for link in links] == ["[[a\\|b]]", "[[c\\|d]]"]


def test_wikilink_raw_is_exact_source_text() -> None:
    text = "Intro ![[Embedded#^abc]] and [[ Spaced | Label ]] end"
    for link in links_of(text):
        assert link.raw in text
    assert [link.raw for link in links_of(text)] == ["![[Embedded#^abc]]", "[[ Spaced | Label ]]"]
    assert links_of(text)[1].target == "Spaced"


# --- Markdown links ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "heading"),
    [
        ("[x](../b/c.md)", "../b/c.md", ""),
        ("[x](My%20Note.md)", "My Note.md", ""),
        ("[x](<With spaces.md>)", "With spaces.md", ""),
        ("[x](n.md#Head)", "n.md", "Head"),
        ("[x](n.md#Some%20Head)", "n.md", "Some Head"),
        ("[x](notes/plain)", "notes/plain", ""),
        ("[x](Other.markdown)", "Other.markdown", ""),
    ],
)
def test_markdown_link_target_is_decoded(source: str, target: str, heading: str) -> None:
    link = only_link(f"Read {source} now.")
    assert link.kind is LinkKind.MARKDOWN
    assert link.target == target
    assert link.heading == heading
    assert link.display == "x"


def test_markdown_image_of_a_note_is_an_embed() -> None:
    link = only_link("![x](n.md)")
    assert (link.kind, link.target) == (LinkKind.EMBED, "n.md")


@pytest.mark.parametrize(
    "source",
    [
        "[x](https://example.com/page.md)",
        "[x](http://example.com)",
        "[x](mailto:someone@example.com)",
        "[x](obsidian://open?vault=v&file=n)",
        "[x](//example.com/n.md)",
        "[x](pic.png)",
        "![x](pic.png)",
        "[x](doc.pdf)",
        "<https://example.com>",
        "https://example.com/bare.md",
    ],
)
def test_external_and_non_note_links_are_not_links(source: str) -> None:
    assert links_of(f"See {source} here.") == ()


@pytest.mark.parametrize("source", ["[x](../b/c.md)", "[x](n.md#Head)", "![x](n.md)", "[x](My%20Note.md)"])
def test_markdown_link_raw_occurs_in_the_source(source: str) -> None:
    text = f"Read {source} now."
    assert only_link(text).raw in text


@pytest.mark.parametrize(
    "source, raw",
    [("[x](<With spaces.md>)", "With%20spaces.md"), ("[x](Café.md)", "Caf%C3%A9.md"), ("[x](a&amp;b.md)", "a&b.md")],
)
def test_markdown_link_raw_is_the_normalised_url_when_mistune_rewrites_it(source: str, raw: str) -> None:
    # mistune gives no source positions; Link documents raw as the normalised URL for markdown links.
    assert only_link(f"Read {source} now.").raw == raw


# --- Bare vault paths --------------------------------------------------------------


def test_vault_path_with_known_prefix_is_a_path_link() -> None:
    link = only_link("File against ~/rdco-vault/folder/x.md (or create it).")
    assert link == Link("folder/x.md", LinkKind.PATH, "~/rdco-vault/folder/x.md")


def test_vault_path_with_unknown_prefix_is_not_a_link() -> None:
    assert links_of("See ~/other-vault/folder/x.md here") == ()


def test_vault_path_is_not_a_link_without_configured_prefixes() -> None:
    assert links_of("See ~/rdco-vault/folder/x.md here", Config()) == ()


def test_vault_path_prefix_may_be_configured_with_tilde_and_slashes() -> None:
    link = only_link("See ~/rdco-vault/a/b.md here", Config(path_prefixes=("~/rdco-vault/",)))
    assert link.target == "a/b.md"


def test_vault_path_in_a_related_list_item() -> None:
    link = only_link("Related\n- ~/rdco-vault/06-reference/2026-04-19-x.md — why it matters\n")
    assert link.target == "06-reference/2026-04-19-x.md"
    assert link.kind is LinkKind.PATH


@pytest.mark.parametrize(
    "text",
    [
        "(~/rdco-vault/folder/x.md)",
        "(see ~/rdco-vault/folder/x.md).",
        "See ~/rdco-vault/folder/x.md, then more",
        "See ~/rdco-vault/folder/x.md; then more",
        "See ~/rdco-vault/folder/x.md: it says",
        "Is it ~/rdco-vault/folder/x.md?",
    ],
)
def test_vault_path_in_parentheses_or_before_punctuation(text: str) -> None:
    link = only_link(text)
    assert (link.target, link.raw) == ("folder/x.md", "~/rdco-vault/folder/x.md")


@pytest.mark.parametrize("text", ["See ~/rdco-vault/folder/x.md.", "See ~/rdco-vault/folder/x.md. Next sentence."])
def test_vault_path_followed_by_a_full_stop(text: str) -> None:
    assert only_link(text).target == "folder/x.md"


@pytest.mark.parametrize(
    "text",
    [
        "Copy ~/Downloads/file.txt to ~/rdco-vault/b.md now",
        "The ~/rdco-vault folder holds ~/rdco-vault/b.md",
    ],
)
def test_vault_path_after_another_tilde_path_on_the_same_line(text: str) -> None:
    assert only_link(text).target == "b.md"


def test_vault_path_must_not_be_glued_to_a_word() -> None:
    assert links_of("x~/rdco-vault/x.md") == ()


# --- Things that are not links -----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "```\n[[a]] [x](b.md) ~/rdco-vault/c.md #tag\n```\n",
        "```python\n[[a]] [x](b.md) ~/rdco-vault/c.md #tag\n```\n",
        "~~~\n[[a]] [x](b.md) ~/rdco-vault/c.md #tag\n~~~\n",
        "Para.\n\n    [[a]] [x](b.md) ~/rdco-vault/c.md #tag\n",
        "Inline `[[a]]` and `[x](b.md)` and `~/rdco-vault/c.md` and `#tag`.",
        "Double ``[[a]] ` #tag`` ticks.",
        "<div>\n[[a]] [x](b.md) ~/rdco-vault/c.md #tag\n</div>\n",
        "<!--\n[[a]] #tag\n-->\n",
    ],
    ids=["fenced", "fenced-lang", "tilde-fenced", "indented", "code-span", "double-code-span", "html", "comment"],
)
def test_code_and_html_hold_no_links_or_tags(text: str) -> None:
    note = note_of(text)
    assert note.links == ()
    assert note.tags == ()


def test_link_after_a_code_block_is_still_found() -> None:
    text = "```\n[[inside]]\n```\n\nAfter [[outside]].\n"
    assert [link.target for link in links_of(text)] == ["outside"]


# --- Tags --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("A #tag here", ("tag",)),
        ("#tag at start", ("tag",)),
        ("Nested #a/b tag", ("a/b",)),
        ("#with-dash_and_under", ("with-dash_and_under",)),
        ("Year #2024y", ("2024y",)),
        ("Unicode #café", ("café",)),
        ("End of sentence #tag.", ("tag",)),
        ("In parens (#tag)", ("tag",)),
        ("#123 is a number", ()),
        ("a#b is glued", ()),
        ("http://x.org/#frag", ()),
        ("# Title\n", ()),
        ("## Sub heading\n", ()),
        ("Just #", ()),
    ],
)
def test_inline_tags(text: str, tags: tuple[str, ...]) -> None:
    assert note_of(text).tags == tags


def test_tags_are_deduplicated_case_insensitively_keeping_the_first_spelling() -> None:
    assert note_of("#Tag and #tag and #TAG").tags == ("Tag",)


def test_inline_tags_merge_with_frontmatter_tags_without_duplicates() -> None:
    note = note_of("---\ntags: [Research, other]\n---\nSome #research and #new and #Other\n")
    assert note.tags == ("Research", "other", "new")


# --- Headings and title ------------------------------------------------------------


def test_title_comes_from_frontmatter_first() -> None:
    assert note_of("---\ntitle: From Meta\n---\n# From Heading\n").title == "From Meta"


def test_title_falls_back_to_first_h1() -> None:
    assert note_of("Intro\n\n## Second level\n\n# First H1\n\n# Second H1\n").title == "First H1"


def test_title_falls_back_to_the_file_stem() -> None:
    assert note_of("## Only a subheading\n\nText\n").title == "My Note"


def test_title_from_a_blank_frontmatter_title_falls_back() -> None:
    assert note_of('---\ntitle: "  "\n---\nText\n').title == "My Note"


def test_setext_h1_can_be_the_title() -> None:
    assert note_of("Setext Title\n============\n\nText\n").title == "Setext Title"


def test_headings_are_listed_in_order_with_inline_markup_as_text() -> None:
    text = "# One\n\ntext\n\n## Two *em*\n\n### Three `code`\n\n```\n# not a heading\n```\n"
    assert note_of(text).headings == ("One", "Two em", "Three code")


def test_heading_text_is_not_a_tag() -> None:
    note = note_of("# Heading\n## Another\n")
    assert note.tags == ()
    assert note.headings == ("Heading", "Another")


# --- Decoding ----------------------------------------------------------------------


def test_decode_note_returns_text_for_utf8() -> None:
    assert decode_note(PATH, "héllo\n".encode(), 100) == "héllo\n"


def test_decode_note_removes_a_bom() -> None:
    assert decode_note(PATH, b"\xef\xbb\xbf# T\n", 100) == "# T\n"


def test_bom_note_keeps_its_frontmatter() -> None:
    parsed = parse_note(PATH, b"\xef\xbb\xbf---\ntitle: Bom\n---\n[[x]]\n", VAULT)
    assert parsed.diagnostics == ()
    assert parsed.note is not None
    assert (parsed.note.title, parsed.note.frontmatter_format) == ("Bom", "yaml")
    assert [link.target for link in parsed.note.links] == ["x"]


@pytest.mark.parametrize(
    ("data", "max_bytes", "code"),
    [
        (b"ok \xff\xfe bad", 1000, "invalid-utf8"),
        (b"\xc3", 1000, "invalid-utf8"),
        (b"text\x00more", 1000, "binary"),
        (b"x" * 11, 10, "too-large"),
    ],
)
def test_unreadable_notes_are_one_diagnostic_and_no_note(data: bytes, max_bytes: int, code: str) -> None:
    parsed = parse_note(PATH, data, Config(max_bytes=max_bytes))
    assert parsed.note is None
    assert parsed.path == PATH
    (diag,) = parsed.diagnostics
    assert diag.code == code
    assert diag.path == PATH
    line = diag.line()
    assert line.startswith(f"{PATH}: {code}: ")
    assert "\n" not in line and "\r" not in line


def test_note_of_exactly_max_bytes_is_read() -> None:
    parsed = parse_note(PATH, b"x" * 10, Config(max_bytes=10))
    assert parsed.note is not None
    assert parsed.diagnostics == ()


def test_size_is_checked_before_content() -> None:
    result = decode_note(PATH, b"\x00" * 20, 10)
    assert isinstance(result, Diagnostic)
    assert result.code == "too-large"


def test_invalid_utf8_message_names_the_byte_offset() -> None:
    result = decode_note(PATH, b"abc\xff", 100)
    assert isinstance(result, Diagnostic)
    assert "3" in result.message


# --- Properties --------------------------------------------------------------------

SAFE_NAME = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ "),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() == s and s != "")


@settings(max_examples=examples(200), deadline=None)
@given(st.text(max_size=300))
def test_parse_text_never_raises(text: str) -> None:
    parsed = parse_text(PATH, text, VAULT)
    assert parsed.note is not None
    assert parsed.path == PATH
    for diag in parsed.diagnostics:
        assert diag.path == PATH


@settings(max_examples=examples(150), deadline=None)
@given(name=SAFE_NAME, before=st.sampled_from(["", "Intro paragraph.\n\n", "# Head\n\n"]))
def test_wikilink_in_fenced_code_is_never_extracted_but_in_a_paragraph_it_is(name: str, before: str) -> None:
    fenced = f"{before}```\n[[{name}]]\n```\n"
    assert links_of(fenced) == ()
    paragraph = f"{before}See [[{name}]] here.\n"
    assert [(link.target, link.raw) for link in links_of(paragraph)] == [(name, f"[[{name}]]")]


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=300))
def test_decode_note_never_raises(data: bytes, max_bytes: int) -> None:
    result = decode_note(PATH, data, max_bytes)
    assert isinstance(result, str | Diagnostic)
    if isinstance(result, Diagnostic):
        assert result.path == PATH
        assert "\n" not in result.line()
    else:
        assert not result.startswith("\ufeff")
        assert "\x00" not in result
