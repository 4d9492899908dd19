"""Frontmatter: YAML ``---``, TOML ``+++`` and JSON ``{`` blocks, read through
``split_frontmatter`` and through the whole parser (``parse_text`` / ``parse_note``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SEEDS, examples, requires_seeds
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink.core.config import Config
from vaultlink.core.frontmatter import EXPANSION_LIMIT, flatten_strings, split_frontmatter
from vaultlink.core.note import Note, ParsedNote
from vaultlink.core.parse import parse_note, parse_text

PATH = "notes/Some note.md"


def parse(text: str, path: str = PATH, config: Config | None = None) -> ParsedNote:
    return parse_text(path, text, config or Config())


def note_of(text: str, path: str = PATH) -> Note:
    parsed = parse(text, path)
    assert parsed.note is not None
    return parsed.note


def targets(note: Note) -> list[str]:
    return [link.target for link in note.links]


def seed(prefix: str) -> Path:
    (found,) = SEEDS.glob(f"{prefix}_*")
    return found


# --- split_frontmatter -------------------------------------------------------------


def test_text_without_frontmatter_has_no_format_and_body_starts_at_zero() -> None:
    fm = split_frontmatter("# Title\n\nJust text.\n")
    assert fm.format == ""
    assert fm.metadata == {}
    assert fm.body_offset == 0
    assert fm.error == ""


def test_yaml_frontmatter_is_parsed_and_body_offset_skips_it() -> None:
    text = "---\ntitle: Hello\ntags: [a, b]\n---\nBody line\n"
    fm = split_frontmatter(text)
    assert fm.format == "yaml"
    assert fm.metadata == {"title": "Hello", "tags": ["a", "b"]}
    assert fm.error == ""
    assert "title:" not in text[fm.body_offset :]
    assert text[fm.body_offset :].strip() == "Body line"


def test_toml_frontmatter_is_parsed_with_nested_tables() -> None:
    text = '+++\ntitle = "T"\n[taxonomies]\ntags = ["x", "y"]\n+++\nBody\n'
    fm = split_frontmatter(text)
    assert fm.format == "toml"
    assert fm.metadata == {"title": "T", "taxonomies": {"tags": ["x", "y"]}}
    assert text[fm.body_offset :].strip() == "Body"


def test_json_frontmatter_is_parsed() -> None:
    text = '{\n"title": "J", "tags": ["j"]\n}\nBody\n'
    fm = split_frontmatter(text)
    assert fm.format == "json"
    assert fm.metadata == {"title": "J", "tags": ["j"]}
    assert text[fm.body_offset :].strip() == "Body"


def test_empty_yaml_frontmatter_is_an_empty_mapping_not_an_error() -> None:
    fm = split_frontmatter("---\n---\nBody\n")
    assert fm.format == "yaml"
    assert fm.metadata == {}
    assert fm.error == ""


def test_frontmatter_must_start_on_the_first_line() -> None:
    fm = split_frontmatter("\n---\ntitle: Late\n---\nBody\n")
    assert fm.format == ""
    assert fm.metadata == {}


def test_frontmatter_is_found_in_bom_stripped_text() -> None:
    # split_frontmatter is given decoded text whose BOM decode_note already removed.
    body = "---\ntitle: After BOM\n---\nBody\n"
    assert split_frontmatter(body).metadata == {"title": "After BOM"}


# --- YAML through the parser ------------------------------------------------------


def test_yaml_title_tags_and_aliases_reach_the_note() -> None:
    note = note_of("---\ntitle: Hello World\ntags: [alpha, beta]\naliases: [Hi There, Greeting]\n---\nBody\n")
    assert note.title == "Hello World"
    assert note.tags == ("alpha", "beta")
    assert note.aliases == ("Hi There", "Greeting")
    assert note.frontmatter_format == "yaml"
    assert note.metadata_keys == ("title", "tags", "aliases")


def test_yaml_tags_as_block_list() -> None:
    note = note_of("---\ntags:\n  - one\n  - two\n---\n")
    assert note.tags == ("one", "two")


@pytest.mark.parametrize(
    "value",
    ["alpha, beta, gamma", "alpha beta gamma", "alpha,beta gamma"],
    ids=["comma", "space", "mixed"],
)
def test_yaml_tags_as_a_string_are_split_on_commas_and_spaces(value: str) -> None:
    note = note_of(f"---\ntags: {value}\n---\n")
    assert note.tags == ("alpha", "beta", "gamma")


def test_yaml_tags_lose_a_leading_hash() -> None:
    note = note_of('---\ntags: ["#alpha", "beta"]\n---\n')
    assert note.tags == ("alpha", "beta")


def test_yaml_aliases_as_a_single_string() -> None:
    note = note_of("---\naliases: Only Alias\n---\n")
    assert note.aliases == ("Only Alias",)


def test_yaml_alias_key_is_read_as_aliases() -> None:
    note = note_of("---\nalias: Other Name\n---\n")
    assert note.aliases == ("Other Name",)


def test_yaml_labels_count_as_tags() -> None:
    note = note_of('---\nlabels: ["media", "video"]\n---\n')
    assert note.tags == ("media", "video")


def test_non_string_yaml_title_falls_back_to_first_heading() -> None:
    note = note_of("---\ntitle: 2024-01-01\n---\n# Real Title\n")
    assert note.title == "Real Title"


def test_yaml_frontmatter_text_is_not_read_as_body() -> None:
    note = note_of("---\ntitle: T\nsummary: see [[hidden]] and #nottag\n---\nBody [[shown]]\n")
    assert targets(note) == ["shown"]
    assert "nottag" not in note.tags


# --- TOML --------------------------------------------------------------------------


def test_toml_taxonomies_tags_count_as_tags() -> None:
    text = '+++\ntitle = "Toml Note"\n[taxonomies]\ntags = ["x", "y"]\n[extra]\ncover = "c.jpg"\n+++\nBody [[l]]\n'
    note = note_of(text)
    assert note.frontmatter_format == "toml"
    assert note.title == "Toml Note"
    assert note.tags == ("x", "y")
    assert targets(note) == ["l"]


def test_toml_extra_table_is_ignored_for_tags() -> None:
    text = '+++\n[taxonomies]\ntags = ["x"]\n[extra]\ntags = ["not-a-tag"]\n+++\nBody\n'
    note = note_of(text)
    assert note.tags == ("x",)


# --- JSON --------------------------------------------------------------------------


def test_json_frontmatter_reaches_the_note_and_body_is_parsed() -> None:
    note = note_of('{\n"title": "Json Note", "tags": ["j"], "aliases": ["JN"]\n}\nBody [[target]]\n')
    assert note.frontmatter_format == "json"
    assert note.title == "Json Note"
    assert note.tags == ("j",)
    assert note.aliases == ("JN",)
    assert targets(note) == ["target"]


def test_json_frontmatter_with_a_nested_object_closing_at_column_zero() -> None:
    parsed = parse('{\n"title": "Nested",\n"extra": {\n"a": 1\n}\n}\nBody\n')
    assert parsed.diagnostics == ()
    assert parsed.note is not None and parsed.note.title == "Nested"


# --- CRLF and BOM ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("yaml", "---\r\ntitle: Crlf\r\ntags: [c]\r\n---\r\nBody [[l]] #inline\r\n"),
        ("toml", '+++\r\ntitle = "Crlf"\r\ntags = ["c"]\r\n+++\r\nBody [[l]] #inline\r\n'),
        ("json", '{\r\n"title": "Crlf", "tags": ["c"]\r\n}\r\nBody [[l]] #inline\r\n'),
    ],
)
def test_crlf_frontmatter_is_detected(fmt: str, text: str) -> None:
    parsed = parse(text)
    assert parsed.diagnostics == ()
    note = parsed.note
    assert note is not None
    assert note.frontmatter_format == fmt
    assert note.title == "Crlf"
    assert note.tags == ("c", "inline")
    assert targets(note) == ["l"]


def test_utf8_bom_is_removed_before_frontmatter_detection() -> None:
    data = "\ufeff---\ntitle: With Bom\ntags: [b]\n---\nBody [[l]]\n".encode()
    parsed = parse_note(PATH, data, Config())
    assert parsed.diagnostics == ()
    assert parsed.note is not None
    assert parsed.note.frontmatter_format == "yaml"
    assert parsed.note.title == "With Bom"
    assert parsed.note.tags == ("b",)


# --- Unclosed and invalid frontmatter ------------------------------------------------


def test_opening_delimiter_without_closing_is_all_body_and_no_error() -> None:
    text = "---\ntitle: Nope\n\n# Real Heading\n\nSee [[other]].\n"
    fm = split_frontmatter(text)
    assert (fm.format, fm.body_offset, fm.error) == ("", 0, "")
    parsed = parse(text)
    assert parsed.diagnostics == ()
    assert parsed.note is not None
    assert parsed.note.title == "Real Heading"
    assert targets(parsed.note) == ["other"]


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("YAML", "---\ntitle: [unclosed\n---\nBody [[still-found]]\n"),
        ("TOML", "+++\ntitle = \n+++\nBody [[still-found]]\n"),
        ("JSON", '{\n"title": \n}\nBody [[still-found]]\n'),
    ],
)
def test_invalid_frontmatter_is_a_diagnostic_and_the_body_is_still_parsed(fmt: str, text: str) -> None:
    parsed = parse(text)
    (diag,) = parsed.diagnostics
    assert diag.code == "frontmatter"
    assert diag.path == PATH
    assert fmt in diag.message
    assert "\n" not in diag.line()
    where = f"{PATH}:3" if fmt == "YAML" else PATH  # YAML's parser names the line; the others do not
    assert diag.line().startswith(f"{where}: frontmatter: ")
    assert parsed.note is not None
    assert targets(parsed.note) == ["still-found"]
    assert parsed.note.title == "Some note"  # the file stem, since the title could not be read


@pytest.mark.parametrize(
    "text",
    ["---\n- a\n- b\n---\nBody [[x]]\n", "---\njust a sentence\n---\nBody [[x]]\n"],
    ids=["list", "scalar"],
)
def test_yaml_that_is_not_a_mapping_is_a_diagnostic(text: str) -> None:
    parsed = parse(text)
    (diag,) = parsed.diagnostics
    assert diag.code == "frontmatter"
    assert diag.path == PATH
    assert parsed.note is not None
    assert parsed.note.tags == ()
    assert targets(parsed.note) == ["x"]


def test_yaml_python_tag_is_rejected_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    text = f'---\nx: !!python/object/apply:os.system ["touch {marker}"]\n---\nBody [[x]]\n'
    parsed = parse(text)
    (diag,) = parsed.diagnostics
    assert diag.code == "frontmatter"
    assert diag.path == PATH
    assert not marker.exists()
    assert parsed.note is not None
    assert targets(parsed.note) == ["x"]


def test_yaml_python_object_tag_is_rejected() -> None:
    parsed = parse("---\nx: !!python/object:collections.OrderedDict {}\n---\n")
    assert [d.code for d in parsed.diagnostics] == ["frontmatter"]


# --- Property: odd frontmatter never raises ----------------------------------------

_OPENERS = st.sampled_from(["---\n", "---\r\n", "+++\n", "+++\r\n", "{\n", "{\r\n", "----\n", "--- \n", ""])
_CLOSERS = st.sampled_from(["---\n", "+++\n", "}\n", "...\n", ""])


@settings(max_examples=examples(150), deadline=None)
@given(opener=_OPENERS, inside=st.text(max_size=80), closer=_CLOSERS, body=st.text(max_size=80))
def test_parse_text_never_raises_on_frontmatter_like_prefixes(opener: str, inside: str, closer: str, body: str) -> None:
    text = opener + inside + "\n" + closer + body
    parsed = parse_text(PATH, text, Config())
    assert parsed.note is not None
    assert all(d.path == PATH for d in parsed.diagnostics)
    fm = split_frontmatter(text)
    assert 0 <= fm.body_offset <= len(text)


# --- Seeds -------------------------------------------------------------------------


@requires_seeds
def test_seed_002_toml_tags_and_title() -> None:
    parsed = parse_note("002.md", seed("002").read_bytes(), Config())
    assert parsed.diagnostics == ()
    note = parsed.note
    assert note is not None
    assert note.frontmatter_format == "toml"
    assert "Research taste" in note.tags
    assert "AlexNet" in note.tags
    assert note.title.startswith("Ilya Sutskever")


@requires_seeds
def test_seed_002_mojibake_passes_through_the_title_unchanged() -> None:
    data = seed("002").read_bytes()
    title_line = next(line for line in data.decode("utf-8").splitlines() if line.startswith("title = "))
    expected = title_line.removeprefix('title = "').removesuffix('"')
    assert "‚Äì" in expected  # the seed really holds mojibake (an en dash read as Mac Roman)
    note = parse_note("002.md", data, Config()).note
    assert note is not None
    assert note.title == expected


@requires_seeds
def test_seed_004_yaml_labels_give_media_tag() -> None:
    parsed = parse_note("004.md", seed("004").read_bytes(), Config())
    assert parsed.diagnostics == ()
    note = parsed.note
    assert note is not None
    assert note.frontmatter_format == "yaml"
    assert "media" in note.tags
    assert note.title == "Notes - Dwarkesh Patel - Ilya Sutskever"


# --- values that are graphs: YAML aliases -------------------------------------------


def test_flatten_reads_nested_lists_in_document_order() -> None:
    flat = flatten_strings(["a", ["b", [" c ", ""], 3, 2.5, True, None, {"no": "maps"}], "d"])
    assert flat.strings == ("a", "b", "c", "3", "2.5", "d")
    assert (flat.expanded, flat.cyclic) == (10, False)  # every value counts, strings or not


def test_flatten_reads_a_shared_list_once_and_counts_every_copy() -> None:
    shared = ["x", "y"]
    flat = flatten_strings([shared, shared, "z", shared])
    assert flat.strings == ("x", "y", "z")
    assert (flat.expanded, flat.cyclic) == (7, False)


def test_flatten_of_a_list_that_contains_itself_ends() -> None:
    loop: list[object] = ["x"]
    loop.append(loop)
    flat = flatten_strings(loop)
    assert (flat.strings, flat.cyclic) == (("x",), True)


@pytest.mark.slow
def test_flatten_of_a_deep_list_does_not_recurse() -> None:
    deep: list[object] = ["bottom"]
    for _ in range(100_000):
        deep = [deep]
    assert flatten_strings(deep).strings == ("bottom",)


def test_flatten_counts_an_alias_bomb_without_expanding_it() -> None:
    level: list[object] = ["lol"] * 9
    for _ in range(8):
        level = [level] * 9
    flat = flatten_strings(level)
    assert flat.strings == ("lol",) * 9  # the bottom list's own nine, read once
    assert flat.expanded == EXPANSION_LIMIT + 1


def test_self_referencing_yaml_is_one_frontmatter_line_naming_the_file() -> None:
    parsed = parse("---\ntags: &a [x, *a]\naliases: &b [Other, [*b]]\n---\nBody #y\n")
    assert parsed.note is not None
    assert (parsed.note.tags, parsed.note.aliases) == (("x", "y"), ("Other",))
    assert sorted(d.line() for d in parsed.diagnostics) == [
        f"{PATH}: frontmatter: YAML frontmatter: 'aliases' contains itself (an alias inside its own anchor); read once",
        f"{PATH}: frontmatter: YAML frontmatter: 'tags' contains itself (an alias inside its own anchor); read once",
    ]


def test_yaml_alias_bomb_is_one_frontmatter_line_and_its_tags_are_read_once() -> None:
    lines = ["---", "l0: &l0 [lol, LOL, lol]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 8)]
    parsed = parse("\n".join([*lines, "taxonomies: {tags: *l7}", "---", "Body.", ""]))
    assert parsed.note is not None
    assert parsed.note.tags == ("lol",)
    (diagnostic,) = parsed.diagnostics
    assert diagnostic.line() == (
        f"{PATH}: frontmatter: YAML frontmatter: 'taxonomies.tags' stands for over 10,000 values through "
        "aliases (an alias bomb?); each aliased list read once"
    )


def test_a_few_shared_aliases_are_no_problem() -> None:
    parsed = parse("---\ncommon: &c [bees, sky]\ntags: [*c, *c, garden]\n---\nBody.\n")
    assert parsed.diagnostics == ()
    assert parsed.note is not None and parsed.note.tags == ("bees", "sky", "garden")


@pytest.mark.parametrize(
    ("text", "line", "told"),
    [
        (
            "---\ntitle: [unclosed\n---\nbody\n",
            3,
            "did not find expected ',' or ']' (while parsing a flow sequence on line 2)",
        ),
        ("---\na: b\n  c: d\n---\n", 3, "mapping values are not allowed in this context"),
        (
            "---\ntitle: x\nk: \"open\n---\nbody\n",
            4,
            "found unexpected end of stream (while scanning a quoted scalar on line 3)",
        ),
        ("\r\n".join(["---", "a: 1", "b: [", "---", "x"]), 4, "did not find expected node content"),
    ],
)
def test_a_yaml_error_is_one_line_with_the_notes_line_numbers(text: str, line: int, told: str) -> None:
    fm = split_frontmatter(text)
    assert fm.error is not None
    assert fm.error_line == line and fm.error.startswith(told)
    assert "<unicode string>" not in fm.error and "\n" not in fm.error
