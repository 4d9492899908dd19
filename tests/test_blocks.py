"""Managed blocks: finding them, reporting damage, and never reading them back (GUIDE property 6)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultlink.core.blocks import BlockScan, BlockSpan, CodeFence, code_fences, remove_all_blocks, scan_blocks
from vaultlink.core.config import Config
from vaultlink.core.note import LinkKind, Note, Severity
from vaultlink.core.parse import parse_key, parse_text
from vaultlink.core.terms import phrase_key

START = "<!-- vaultlink:related -->"
END = "<!-- /vaultlink:related -->"
PATH = "folder/n.md"
CONFIG = Config(path_prefixes=("my-vault",))


def block(content: str, name: str = "related") -> str:
    return f"<!-- vaultlink:{name} -->\n{content}\n<!-- /vaultlink:{name} -->\n"


def note_of(text: str) -> Note:
    parsed = parse_text(PATH, text, CONFIG)
    assert parsed.note is not None
    return parsed.note


# --- scan_blocks -------------------------------------------------------------------


def test_well_formed_block_is_found_with_its_span() -> None:
    text = "Intro\n\n" + block("- [[Other]]") + "After\n"
    scan = scan_blocks(text)
    assert scan.problems == ()
    (span,) = scan.blocks
    assert span.name == "related"
    assert text[span.start : span.end] == f"{START}\n- [[Other]]\n{END}"


def test_markers_tolerate_missing_or_extra_spaces() -> None:
    text = "<!--vaultlink:related-->\nx\n<!--   /vaultlink:related   -->"
    assert scan_blocks(text).blocks == (BlockSpan("related", 0, len(text)),)


@pytest.mark.parametrize(
    "text",
    [
        "Write `<!-- vaultlink:related -->` and `<!-- /vaultlink:related -->` around it.\n",
        "> ```\n> <!-- vaultlink:related -->\n> - [[x]]\n> <!-- /vaultlink:related -->\n> ```\n",
        "> <!-- vaultlink:related -->\n> - [[x]]\n> <!-- /vaultlink:related -->\n",
        "Para\n\n    <!-- vaultlink:related -->\n    - [[x]]\n    <!-- /vaultlink:related -->\n",
        "- <!-- vaultlink:related --> starts it\n- <!-- /vaultlink:related --> ends it\n",
        "<!-- vaultlink:related --> starts a block\n<!-- /vaultlink:related --> ends one\n",
    ],
    ids=["inline-code", "quoted-fence", "quote", "indented-code", "list-items", "followed-by-text"],
)
def test_a_marker_sharing_its_line_or_indented_as_code_is_the_users_text(text: str) -> None:
    assert scan_blocks(text) == BlockScan((), ())
    assert remove_all_blocks(text) == text


def test_text_typed_after_the_end_marker_of_an_open_block_leaves_it_closed_there() -> None:
    text = "Intro\n\n<!-- vaultlink:related -->\n- [[x]]\n<!-- /vaultlink:related -->typed on its line\n"
    scan = scan_blocks(text)
    assert scan.problems == ()
    (span,) = scan.blocks
    assert text[span.end :] == "typed on its line\n"


@pytest.mark.parametrize(
    "text",
    [
        "Intro\n<!-- /vaultlink:related --> ends nothing\n",
        "<!-- vaultlink:related -->\n<!-- /vaultlink:backlinks --> not this one\n- [[x]]\n"
        "<!-- /vaultlink:related -->\n",
    ],
    ids=["no-block-open", "another-block's-end"],
)
def test_an_end_marker_followed_by_text_that_closes_no_open_block_is_the_users_text(text: str) -> None:
    scan = scan_blocks(text)
    assert scan.problems == ()
    assert [b.name for b in scan.blocks] == (["related"] if text.startswith("<!-- vaultlink:related") else [])


@pytest.mark.parametrize("indent", ["", " ", "   "])
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_a_marker_alone_on_its_line_counts_with_up_to_three_spaces_and_any_line_ending(
    indent: str, newline: str
) -> None:
    text = f"Para{newline}{indent}{START} \t{newline}- [[x]]{newline}{indent}{END}\t{newline}after"
    (span,) = scan_blocks(text).blocks
    assert text[span.start : span.end] == f"{START} \t{newline}- [[x]]{newline}{indent}{END}"


def test_a_marker_right_after_the_bom_starts_its_line() -> None:
    text = f"\ufeff{START}\n- [[x]]\n{END}\n"
    (span,) = scan_blocks(text).blocks
    assert (span.start, span.end) == (1, len(text) - 1)


def test_two_differently_named_blocks_are_both_found() -> None:
    scan = scan_blocks(block("a", "related") + "mid\n" + block("b", "concepts"))
    assert scan.problems == ()
    assert [b.name for b in scan.blocks] == ["related", "concepts"]


def test_text_without_markers_has_no_blocks_and_no_problems() -> None:
    scan = scan_blocks("Plain <!-- a comment --> text\n")
    assert (scan.blocks, scan.problems) == ((), ())


def test_start_without_end_is_reported() -> None:
    scan = scan_blocks(f"{START}\n- [[x]]\n")
    assert scan.blocks == ()
    (problem,) = scan.problems
    assert "related" in problem and "no end marker" in problem


def test_end_without_start_is_reported() -> None:
    scan = scan_blocks(f"text\n{END}\n")
    assert scan.blocks == ()
    (problem,) = scan.problems
    assert "related" in problem and "without its start" in problem


def test_nested_blocks_are_reported() -> None:
    text = "<!-- vaultlink:a -->\n<!-- vaultlink:b -->\n<!-- /vaultlink:b -->\n<!-- /vaultlink:a -->\n"
    scan = scan_blocks(text)
    assert scan.blocks == ()
    (problem,) = scan.problems
    assert "'a'" in problem and "not closed" in problem


def test_duplicated_block_is_reported() -> None:
    scan = scan_blocks(block("one") + "mid\n" + block("two"))
    assert len(scan.blocks) == 2
    (problem,) = scan.problems
    assert "related" in problem and "more than once" in problem


# --- scan_blocks: code samples and frontmatter are the user's text -------------------

SAMPLE = block("- [[Example]] — a reason")


@pytest.mark.parametrize(
    ("opener", "closer"),
    [
        ("```", "```"),
        ("~~~", "~~~"),
        ("```markdown", "```"),
        ("~~~ md `with` backticks", "~~~"),
        ("````", "`````"),
        ("   ```", "```"),
        ("```", "   ```  "),
        ("~~~~~", "~~~~~\t"),
    ],
)
def test_complete_block_in_fenced_code_is_not_a_block(opener: str, closer: str) -> None:
    text = f"# Doc\n\n{opener}\n{SAMPLE}{closer}\nAfter.\n"
    assert scan_blocks(text) == scan_blocks("")
    assert remove_all_blocks(text) == text


@pytest.mark.parametrize(
    "text",
    [
        f"```\n{SAMPLE}",  # never closed: code to the end (CommonMark)
        f"```\n{SAMPLE}~~~\n",  # a tilde line does not close a backtick fence
        f"````\n{SAMPLE}```\n",  # nor does a shorter run
        f"```\n{SAMPLE}``` text\n",  # nor a run followed by text
    ],
    ids=["unclosed", "other-character", "shorter", "info-on-closer"],
)
def test_fence_that_is_not_closed_runs_to_the_end(text: str) -> None:
    assert scan_blocks(text).blocks == ()
    assert scan_blocks(text).problems == ()


@pytest.mark.parametrize(
    "opener",
    ["    ```", "\t```", "``", "``` `inline` code", "text ```"],
    ids=["four-spaces", "tab", "two-backticks", "backtick-in-info", "not-at-line-start"],
)
def test_line_that_is_no_fence_leaves_the_block_found(opener: str) -> None:
    text = f"{opener}\n{SAMPLE}```\n"
    (span,) = scan_blocks(text).blocks
    assert span.name == "related"


def test_block_after_a_closed_fence_is_found() -> None:
    text = f"```\n{SAMPLE}```\nText.\n{block('- [[Mine]]')}"
    (span,) = scan_blocks(text).blocks
    assert text[span.start :].startswith(START + "\n- [[Mine]]")


def test_fences_and_blocks_with_cr_only_line_endings() -> None:
    text = f"```\r{SAMPLE.replace(chr(10), chr(13))}```\rText.\r{block('x').replace(chr(10), chr(13))}"
    (span,) = scan_blocks(text).blocks
    assert text[span.start :].startswith(START + "\rx")


def test_a_bom_does_not_hide_a_fence_on_the_first_line() -> None:
    text = f"```\n{SAMPLE}```\n"
    assert scan_blocks("\ufeff" + text).blocks == scan_blocks(text).blocks == ()


def test_markers_in_frontmatter_are_not_blocks() -> None:
    text = f"---\nnote: |\n  {START}\n  {END}\n---\nBody\n"
    assert scan_blocks(text) == scan_blocks("")
    assert scan_blocks(f"---\nx: {START}\n---\nBody\n").problems == ()


def test_code_fences_spans() -> None:
    text = "a\n```py\ncode\n```\nb\n~~~\nopen"
    closed, unclosed = code_fences(text)
    assert text[closed.start : closed.end] == "```py\ncode\n```"
    assert (closed.closed, unclosed.closed) == (True, False)
    assert text[unclosed.start : unclosed.end] == "~~~\nopen"


def fences_line_by_line(text: str) -> list[CodeFence]:
    """A plain reading of CommonMark's top-level fences, line by line, to check ``code_fences``."""
    fences: list[CodeFence] = []
    opener, open_at = "", 0
    for line in re.finditer(r"[^\r\n]*", text.removeprefix("\ufeff")):
        start = line.start() + (1 if text.startswith("\ufeff") else 0)
        if line.start() > 0 and text.removeprefix("\ufeff")[line.start() - 1] not in "\r\n":
            continue  # the empty match at the end of a line
        m = re.fullmatch(r" {0,3}(`{3,}|~{3,})(.*)", line.group())
        if m is None:
            continue
        run, rest = m.groups()
        if not opener and not (run[0] == "`" and "`" in rest):
            opener, open_at = run, start
        elif opener and run[0] == opener[0] and len(run) >= len(opener) and not rest.strip(" \t"):
            fences.append(CodeFence(open_at, start + len(line.group()), True))
            opener = ""
    if opener:
        fences.append(CodeFence(open_at, len(text), False))
    return fences


@given(
    st.lists(
        st.sampled_from(["```", "~~~", "````", "```py", "``` `x`", "   ```", "    ```", "\t~~~", "x ```", "~~~ ~"])
        | st.text(st.sampled_from("`~ x"), max_size=8),
        max_size=12,
    ),
    st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=12, max_size=12),
    st.booleans(),
)
def test_code_fences_read_every_line_as_commonmark_does(lines: list[str], ends: list[str], bom: bool) -> None:
    text = ("\ufeff" if bom else "") + "".join(line + end for line, end in zip(lines, ends, strict=False))
    assert code_fences(text) == fences_line_by_line(text)


def test_code_sample_is_read_as_the_users_text_by_the_key_and_the_parser() -> None:
    text = f"# Doc\n\n```\n{SAMPLE}```\n"
    assert parse_key(text.encode()) != parse_key(text.replace("Example", "Other").encode())
    assert parse_text(PATH, text, CONFIG).diagnostics == ()
    unclosed = f"# Doc\n\n```\n{START}\n"  # a lone marker in code is no damage either
    assert parse_text(PATH, unclosed, CONFIG).diagnostics == ()


# --- remove_all_blocks: what the parser reads ---------------------------------------


def test_remove_takes_out_block_contents() -> None:
    text = "Before\n" + block("- [[Generated]]\n- [[Another]]") + "After\n"
    removed = remove_all_blocks(text)
    assert "Generated" not in removed and "vaultlink" not in removed
    assert removed.startswith("Before") and removed.endswith("After\n")


def test_remove_without_blocks_returns_text_unchanged() -> None:
    text = "No blocks\r\nhere\n"
    assert remove_all_blocks(text) == text


def test_remove_leaves_an_unclosed_block_alone() -> None:
    text = f"{START}\n- [[x]]\n"
    assert remove_all_blocks(text) == text


# --- Through the parser: damage is a warning ---------------------------------------


def test_damaged_block_is_a_warning_naming_the_file() -> None:
    parsed = parse_text(PATH, f"Body\n{START}\n- [[x]]\n", CONFIG)
    (diag,) = parsed.diagnostics
    assert diag.code == "managed-block"
    assert diag.severity is Severity.WARNING
    assert diag.path == PATH
    assert diag.line().startswith(f"{PATH}: managed-block: ")


def test_well_formed_block_gives_no_diagnostic() -> None:
    assert parse_text(PATH, "Body\n" + block("- [[x]]"), CONFIG).diagnostics == ()


# --- Property 6: what vaultlink wrote is never read back ---------------------------

GENERATED = (
    "- [[Suggested Note]] — research taste, value function\n"
    "- ![[Embedded Suggestion]]\n"
    "- [md](Markdown%20Suggestion.md)\n"
    "- ~/my-vault/folder/Path Suggestion.md — research taste\n"
    "- #generated-tag and more research taste, value function"
)


def test_links_tags_and_terms_inside_a_managed_block_are_not_in_the_note() -> None:
    note = note_of("# Mine\n\nMy own words.\n\n" + block(GENERATED))
    assert note.links == ()
    assert note.tags == ()
    keys = {t.key for t in note.terms}
    assert phrase_key(["research", "taste"]) not in keys
    assert phrase_key(["value", "function"]) not in keys
    assert phrase_key(["Suggested", "Note"]) not in keys
    assert note.words == note_of("# Mine\n\nMy own words.\n").words  # ranking's words too


def test_the_same_content_outside_a_block_is_read() -> None:
    note = note_of("# Mine\n\nMy own words.\n\n" + GENERATED + "\n")
    assert [(link.target, link.kind) for link in note.links] == [
        ("Suggested Note", LinkKind.WIKILINK),
        ("Embedded Suggestion", LinkKind.EMBED),
        ("Markdown Suggestion.md", LinkKind.MARKDOWN),
        ("folder/Path Suggestion.md", LinkKind.PATH),
    ]
    assert note.tags == ("generated-tag",)
    keys = {t.key for t in note.terms}
    assert phrase_key(["research", "taste"]) in keys
    assert phrase_key(["value", "function"]) in keys
    assert {"suggested", "taste", "function"} <= set(note.words)


def test_user_links_around_a_block_are_kept() -> None:
    text = "See [[Before]].\n\n" + block("- [[Generated]]") + "\nSee [[After]] #mine\n"
    note = note_of(text)
    assert [link.target for link in note.links] == ["Before", "After"]
    assert note.tags == ("mine",)


def test_block_under_a_related_heading_in_a_list_is_not_read() -> None:
    text = "## Related\n\n- [[User Pick]]\n" + block("- [[Generated]]") + "\n"
    note = note_of(text)
    assert [link.target for link in note.links] == ["User Pick"]
    assert note.headings == ("Related",)


def test_block_after_frontmatter_is_not_read() -> None:
    text = "---\ntags: [own]\n---\n" + block("- [[Generated]] #gen") + "Body [[Mine]]\n"
    note = note_of(text)
    assert [link.target for link in note.links] == ["Mine"]
    assert note.tags == ("own",)


def test_crlf_block_is_not_read() -> None:
    text = f"Own [[Mine]]\r\n{START}\r\n- [[Generated]] #gen\r\n{END}\r\nTail\r\n"
    note = note_of(text)
    assert [link.target for link in note.links] == ["Mine"]
    assert note.tags == ()
