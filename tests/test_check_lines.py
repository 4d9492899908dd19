"""``check`` names each problem's place as ``path:line``, as compilers do (issue 20): the parse
records the line of each link (``Note.link_lines``), counted without vaultlink's blocks, and
``link_lines.file_line`` puts the blocks' lines back for the notes a problem names."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import VaultFactory, examples, lines, run
from vaultlink import app
from vaultlink.core.codec import decode_parsed, encode_parsed
from vaultlink.core.config import Config
from vaultlink.core.link_lines import file_line
from vaultlink.core.note import Link, LinkKind
from vaultlink.core.parse import parse_note, parse_text

CONFIG = Config()


def located(text: str) -> list[tuple[str, int]]:
    """Each link of the note as written in a message, with its line."""
    note = parse_text("a.md", text, CONFIG).note
    assert note is not None
    return [(link.written(), line) for link, line in note.located_links()]


# --- the parse records each link's line ---------------------------------------------------------------


def test_lines_count_from_the_top_of_the_file_through_yaml_frontmatter() -> None:
    text = '---\ntitle: A\nup: "[[Parent]]"\n---\n# A\n\nSee [[one]].\n'
    assert located(text) == [("[[one]]", 7)]


def test_lines_count_through_toml_frontmatter() -> None:
    text = '+++\ntitle = "A"\n[taxonomies]\ntags = ["x"]\n+++\n[[one]]\n\n[[two]]\n'
    assert located(text) == [("[[one]]", 6), ("[[two]]", 8)]


def test_a_link_after_a_comment_over_several_lines_keeps_its_line() -> None:
    text = "# A\n%% a comment\n[[hidden]]\nover lines %%\n<!-- and\n[[also hidden]] -->\n[[shown]]\n"
    assert located(text) == [("[[shown]]", 7)]


def test_crlf_and_lone_cr_files_count_their_lines() -> None:
    assert located("# A\r\n\r\n[[one]]\r\n\r\n- [[two]]\r\n") == [("[[one]]", 3), ("[[two]]", 5)]
    assert located("# A\r\r[[one]]\r") == [("[[one]]", 3)]


def test_a_link_written_twice_gets_each_its_own_line() -> None:
    text = "[[a]] and ![[a]]\n\n[[a]]\n\n> [[a]]\n\n| x | [[a]] |\n|---|---|\n| [[a]] | y |\n"
    assert [line for _, line in located(text)] == [1, 1, 3, 5, 7, 9]


def test_the_same_link_in_code_before_it_is_not_taken_for_it() -> None:
    text = "```\n[[a]]\n```\n\n[[a]]\n"
    assert located(text) == [("[[a]]", 5)]


def test_markdown_links_in_their_forms() -> None:
    text = "[x](My%20Note.md)\n\n[y](<My Note.md>)\n\n[z][ref]\n\n![img](pic%20one.md)\n\n[ref]: Other%20note.md\n"
    assert located(text) == [
        ("[x](My Note.md)", 1),
        ("[y](My Note.md)", 3),
        ("[z](Other note.md)", 9),  # a reference link: at its definition's line
        ("![img](pic one.md)", 7),
    ]


def test_a_wikilink_is_written_as_it_stands_even_with_a_percent() -> None:
    assert Link("a%20b", LinkKind.WIKILINK, "[[a%20b]]").written() == "[[a%20b]]"


def test_the_cache_keeps_the_lines() -> None:
    parsed = parse_note("a.md", b"# A\n\n[[one]]\n\n[[two]]\n", CONFIG)
    assert parsed.note is not None
    assert parsed.note.link_lines == (3, 5)
    assert decode_parsed(encode_parsed(parsed)) == parsed


# --- lines in the file, with vaultlink's blocks --------------------------------------------------------

RELATED = ["<!-- vaultlink:related -->", "## Related", "- [[Other]] — why", "<!-- /vaultlink:related -->"]
BACKLINKS = ["<!-- vaultlink:backlinks -->", "## Backlinks", "- [[Third]]", "<!-- /vaultlink:backlinks -->"]


@st.composite
def notes_with_blocks(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A note of filler lines and links, with managed blocks between some of its lines, some
    frontmatter, and one line ending; and the raw text of each link, in order."""
    kinds = draw(st.lists(st.sampled_from(["filler", "blank", "wikilink", "markdown", "twice"]), max_size=12))
    body: list[str] = []
    raws: list[str] = []
    for i, kind in enumerate(kinds):
        if kind == "filler":
            body.append("Some words of prose.")
        elif kind == "blank":
            body.append("")
        elif kind == "wikilink":
            body.append(f"See [[Note {i}]] here.")
            raws.append(f"[[Note {i}]]")
        elif kind == "markdown":
            body.append(f"Read [it](Note%20{i}.md).")
            raws.append(f"Note%20{i}.md")
        else:
            body.append("- [[Again]]")
            raws.append("[[Again]]")
    places = [(draw(st.integers(0, len(body))), block) for block in (RELATED, BACKLINKS) if draw(st.booleans())]
    for at, block in sorted(places, key=lambda place: place[0], reverse=True):  # never one inside the other
        body[at:at] = block
    head = draw(st.sampled_from([[], ["---", "tags: [x]", "---"], ["+++", 'title = "T"', "+++"]]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join([*head, "# Title", *body]), raws


@hsettings(max_examples=examples(100), deadline=None)
@given(notes_with_blocks())
def test_every_link_is_on_the_line_file_line_names(case: tuple[str, list[str]]) -> None:
    text, raws = case
    note = parse_note("a.md", text.encode(), CONFIG).note
    assert note is not None
    assert [link.raw for link in note.links] == raws
    file_lines = text.splitlines()
    for link, line in note.located_links():
        assert link.raw in file_lines[file_line(text, line) - 1]
    twice = [file_line(text, line) for link, line in note.located_links() if link.raw == "[[Again]]"]
    assert twice == sorted(set(twice)), "a link written on several lines is told apart on each"


# --- check ---------------------------------------------------------------------------------------------

VAULT = {
    "A.md": "---\ntags: [a]\n---\n# A\n\nSee [[Missing one]].\n\n%% a\n[[hidden]]\n%%\n"
    "[x](My%20Note.md)\n\n[[Missing one]]\n",
    "B.md": "# B\r\n\r\n[[Obsidian Publish.]]\r\n\r\n[[What? Why]]\r\n",
    "Obsidian Publish.md": "# Obsidian Publish\n",
}


def test_check_prints_path_and_line_of_each_problem(make_vault: VaultFactory) -> None:
    root = make_vault(VAULT)
    result = run("check", str(root), "-q")
    assert result.exit_code == 1
    assert lines(result.stdout) == [
        "A.md:6: broken-link: [[Missing one]] has no note; it would be Missing one.md",
        "A.md:11: broken-link: [x](My Note.md) has no note; it would be My Note.md",
        "A.md:13: broken-link: [[Missing one]] has no note; it would be Missing one.md",
        "B.md:3: probable-typo: [[Obsidian Publish.]] has no note; probably meant Obsidian Publish.md",
        "B.md:5: unusable-name: [[What? Why]] has no note, and none can be made: "
        "'What? Why' has ?, which Windows refuses in a file name",
    ]


def test_check_json_carries_the_line(make_vault: VaultFactory) -> None:
    root = make_vault({**VAULT, "bin.md": b"\x00"})
    problems = json.loads(run("check", str(root), "--json").stdout)["problems"]
    assert [(p["path"], p["line"], p["code"]) for p in problems] == [
        ("A.md", 6, "broken-link"),
        ("A.md", 11, "broken-link"),
        ("A.md", 13, "broken-link"),
        ("B.md", 3, "probable-typo"),
        ("B.md", 5, "unusable-name"),
        ("bin.md", None, "binary"),
    ]


def test_lines_count_the_blocks_vaultlink_wrote_above_the_link(make_vault: VaultFactory) -> None:
    """A block written above a link moves it down the file, but not in the parse (the cache
    keeps a note's parse when only its blocks change: ``parse_key``)."""
    root = make_vault({"A.md": "# A\n\n## Related\n- [[B]]\n\nSee [[Missing]].\n", "B.md": "# B\n"})
    app.sync(root)  # the cache now holds A's parse
    note = root / "A.md"
    note.write_text(note.read_text().replace("- [[B]]\n", "- [[B]]\n" + "\n".join(RELATED) + "\n"))
    result = run("check", str(root), "-q")
    assert lines(result.stdout)[-1].startswith("A.md:10: broken-link: [[Missing]] has no note")
    assert "[[Missing]]" in note.read_text().splitlines()[9]


def test_a_yaml_error_is_named_at_its_line_and_a_problem_with_the_whole_file_at_none(
    make_vault: VaultFactory,
) -> None:
    root = make_vault({"bad.md": "---\ntitle: x\ntags: [unclosed\n---\nbody\n", "bin.md": b"\x00"})
    assert lines(run("check", str(root), "-q").stdout) == [
        "bad.md:4: frontmatter: invalid YAML frontmatter: did not find expected ',' or ']' "
        "(while parsing a flow sequence on line 3)",
        "bin.md: binary: contains NUL bytes (not a text note); skipped",
    ]


def test_a_link_to_a_note_renamed_under_watch_is_named_at_its_line(make_vault: VaultFactory) -> None:
    root = make_vault(
        {".vaultlink/gone": '{"a.md": "b.md"}', "b.md": "# B\n", "C.md": "# C\n\nFirst.\n\nSee [[a]] again.\n"}
    )
    assert lines(run("check", str(root), "-q").stdout) == [
        "C.md:5: gone-note: [[a]] leads to a.md, which you renamed to b.md: update the link"
    ]
