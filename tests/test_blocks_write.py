"""Managed blocks, write side: inserting, splicing and removing blocks, and finding where
the Related block goes. Every insert must be undone byte for byte by ``remove_all_blocks``."""

from __future__ import annotations

import pytest

from vaultlink.core.blocks import (
    BlockSpan,
    content_end_of_text,
    find_related_anchor,
    newline_of,
    remove_all_blocks,
    remove_span,
    scan_blocks,
    set_block,
)

START = "<!-- vaultlink:related -->"
END = "<!-- /vaultlink:related -->"


def related(text: str, lines: list[str], anchor: int | None = None) -> str:
    return set_block(text, "related", lines, content_end_of_text(text) if anchor is None else anchor)


# --- newline_of / content_end_of_text -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\r\n", "\n"),
        ("a\r\nb\n", "\r\n"),
        ("no line ending", "\n"),
        ("", "\n"),
        ("\nstarts with LF", "\n"),
        ("\r\nstarts with CRLF", "\r\n"),
    ],
)
def test_newline_of_is_the_first_line_ending(text: str, expected: str) -> None:
    assert newline_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("abc\n", 3), ("abc\r\n", 3), ("abc", 3), ("", 0), ("a\n\n", 2), ("a\r\n\r\n", 3)],
)
def test_content_end_is_before_the_final_line_ending(text: str, expected: int) -> None:
    assert content_end_of_text(text) == expected


@pytest.mark.parametrize(
    ("text", "before"),
    [
        ("Intro\n```\ncode\n", "Intro"),
        ("Intro\r\n\r\n~~~~\r\ncode", "Intro\r\n"),
        ("---\na: 1\n---\n```\ncode\n", "---\na: 1\n---"),
        ("Intro\n```\nclosed\n```\nmore\n```\nopen", "Intro\n```\nclosed\n```\nmore"),
    ],
)
def test_block_goes_before_a_fence_never_closed(text: str, before: str) -> None:
    """Such a note ends in code (CommonMark), where a block would be the user's text."""
    assert content_end_of_text(text) == len(before)
    new = related(text, ["- [[A]]"])
    assert len(scan_blocks(new).blocks) == 1
    assert related(new, ["- [[B]]"]) == new.replace("[[A]]", "[[B]]")
    assert remove_all_blocks(new) == text


def test_note_that_is_all_an_unclosed_fence_has_no_place_for_a_block() -> None:
    text = "```\ncode\n"
    assert content_end_of_text(text) == len(text) - 1
    assert scan_blocks(related(text, ["- [[A]]"])).blocks == ()  # plan's check refuses this edit


# --- set_block: insert ---------------------------------------------------------------


def test_insert_at_end_keeps_final_newline_last() -> None:
    text = "# Note\n\nBody.\n"
    new = related(text, ["- [[A]]"])
    assert new == f"# Note\n\nBody.\n{START}\n- [[A]]\n{END}\n"
    assert remove_all_blocks(new) == text


def test_insert_into_note_without_final_newline_adds_none() -> None:
    text = "# Note\n\nBody."
    new = related(text, ["- [[A]]"])
    assert new == f"# Note\n\nBody.\n{START}\n- [[A]]\n{END}"
    assert not new.endswith("\n")
    assert remove_all_blocks(new) == text


def test_crlf_note_gets_crlf_block_lines() -> None:
    text = "# Note\r\n\r\nBody.\r\n"
    new = related(text, ["- [[A]]", "- [[B]]"])
    assert new == f"# Note\r\n\r\nBody.\r\n{START}\r\n- [[A]]\r\n- [[B]]\r\n{END}\r\n"
    assert "\n" not in new.replace("\r\n", "")
    assert remove_all_blocks(new) == text


def test_crlf_note_without_final_newline() -> None:
    text = "Body.\r\nLast line"
    new = related(text, ["- [[A]]"])
    assert new == f"Body.\r\nLast line\r\n{START}\r\n- [[A]]\r\n{END}"
    assert remove_all_blocks(new) == text


def test_insert_into_empty_text_is_undone_exactly() -> None:
    new = related("", ["- [[A]]"])
    assert new == f"\n{START}\n- [[A]]\n{END}"
    assert remove_all_blocks(new) == ""


def test_insert_at_anchor_in_the_middle() -> None:
    text = "Related\n- mine\n\nMore text.\n"
    anchor = text.index("\n\nMore")
    new = related(text, ["- [[A]]"], anchor)
    assert new == f"Related\n- mine\n{START}\n- [[A]]\n{END}\n\nMore text.\n"
    assert remove_all_blocks(new) == text


def test_no_lines_and_no_block_leaves_text_alone() -> None:
    text = "Body.\n"
    assert related(text, []) == text


def test_note_ending_in_lone_cr_is_restored_exactly() -> None:
    text = "line one\rline two\r"
    new = related(text, ["- [[A]]"])
    assert remove_all_blocks(new) == text


# --- set_block: splice and remove ------------------------------------------------------


def test_splice_replaces_only_the_block_body() -> None:
    text = f"Before\n{START}\n- [[Old]]\n{END}\nAfter\n"
    new = related(text, ["- [[New]]", "- [[Newer]]"], anchor=0)
    assert new == f"Before\n{START}\n- [[New]]\n- [[Newer]]\n{END}\nAfter\n"


def test_splice_ignores_anchor_when_block_exists() -> None:
    text = f"Top\n{START}\n- [[Old]]\n{END}\n"
    assert related(text, ["- [[New]]"], anchor=0) == f"Top\n{START}\n- [[New]]\n{END}\n"


def test_splice_with_same_lines_is_identity() -> None:
    text = f"Top\r\n{START}\r\n- [[A]]\r\n{END}"
    assert related(text, ["- [[A]]"]) == text


def test_empty_lines_remove_existing_block_and_its_line_ending() -> None:
    original = "Top\nBody.\n"
    text = related(original, ["- [[A]]"])
    assert related(text, []) == original


def test_other_blocks_are_left_alone_by_set_block() -> None:
    back = "<!-- vaultlink:backlinks -->\n- [[X]]\n<!-- /vaultlink:backlinks -->"
    text = f"Body.\n{back}\n"
    new = related(text, ["- [[A]]"], anchor=len("Body."))
    assert back in new
    assert remove_all_blocks(new) == "Body.\n"


def test_remove_span_takes_the_lf_before_the_block() -> None:
    text = f"a\n{START}\nx\n{END}\nb"
    (span,) = scan_blocks(text).blocks
    assert remove_span(text, span) == "a\nb"


def test_remove_span_takes_the_crlf_before_the_block() -> None:
    text = f"a\r\n{START}\r\nx\r\n{END}\r\nb"
    (span,) = scan_blocks(text).blocks
    assert remove_span(text, span) == "a\r\nb"


def test_remove_span_of_block_at_start_of_text() -> None:
    text = f"{START}\nx\n{END}\nrest"
    assert remove_span(text, BlockSpan("related", 0, text.index("\nrest"))) == "\nrest"


def test_remove_all_blocks_removes_every_block() -> None:
    original = "Note\r\nbody\r\n"
    text = set_block(original, "related", ["- [[A]]"], content_end_of_text(original))
    text = set_block(text, "backlinks", ["## Backlinks", "- [[B]]"], content_end_of_text(text))
    assert scan_blocks(text).problems == ()
    assert len(scan_blocks(text).blocks) == 2
    assert remove_all_blocks(text) == original


def test_remove_all_blocks_without_blocks_is_identity() -> None:
    text = "plain <!-- comment --> text\r\n"
    assert remove_all_blocks(text) == text


# --- find_related_anchor -----------------------------------------------------------------


def test_markdown_related_heading_with_blank_line_then_list() -> None:
    text = "# Title\n\n## Related\n\n- [[One]] — mine\n- [[Two]]\n\n## Later\ntext\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert anchor.position == text.index("- [[Two]]") + len("- [[Two]]")
    assert anchor.path_prefix == ""


def test_markdown_related_heading_without_list_anchors_after_heading() -> None:
    text = "Intro\n## Related\n\nJust prose here.\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert anchor.position == text.index("## Related") + len("## Related")


def test_plain_related_line_followed_by_path_list_gives_prefix() -> None:
    text = "Title\nBody\nRelated\n- ~/my-vault/a/b.md — why\n- ~/my-vault/c.md — more\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert anchor.position == len(text) - 1
    assert anchor.path_prefix == "my-vault"


def test_plain_related_line_not_followed_by_list_is_not_a_heading() -> None:
    text = "Title\nRelated\nthis is a sentence, not a list.\n- a later list\n"
    assert find_related_anchor(text, 0) is None


def test_plain_related_line_at_end_is_not_a_heading() -> None:
    assert find_related_anchor("Title\nRelated\n", 0) is None


def test_related_word_inside_a_sentence_is_not_a_heading() -> None:
    assert find_related_anchor("These are related\n- a\n", 0) is None


@pytest.mark.parametrize("fence", ["```", "~~~"])
def test_related_heading_inside_code_fence_is_ignored(fence: str) -> None:
    text = f"Intro\n{fence}md\n## Related\n- [[In code]]\n{fence}\nAfter\n"
    assert find_related_anchor(text, 0) is None


def test_related_heading_after_a_closed_fence_is_found() -> None:
    text = "```\n## Related\n- no\n```\n## Related\n- [[Yes]]\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[: anchor.position].endswith("- [[Yes]]")


def test_tilde_fence_is_not_closed_by_backticks() -> None:
    text = "~~~\n```\n## Related\n- [[In code]]\n~~~\n"
    assert find_related_anchor(text, 0) is None


def test_related_heading_inside_longer_fence_is_ignored() -> None:
    text = "````\n```\n## Related\n- [[In code]]\n````\nend\n"
    assert find_related_anchor(text, 0) is None


def test_fence_is_not_closed_by_a_line_with_info_string() -> None:
    text = "```\n```python\n## Related\n- [[In code]]\n```\nend\n"
    assert find_related_anchor(text, 0) is None


def test_related_list_ends_before_a_fence_in_an_indented_line() -> None:
    text = "## Related\n- [[One]]\n  ```\n  code\n  ```\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[: anchor.position].endswith("- [[One]]")
    new = set_block(text, "related", ["- [[Two]]"], anchor.position)
    assert len(scan_blocks(new).blocks) == 1
    assert remove_all_blocks(new) == text


def test_related_heading_after_a_fence_never_closed_is_code() -> None:
    assert find_related_anchor("```\n## Related\n- [[In code]]\n", 0) is None


def test_related_heading_after_a_cr_only_line_ending() -> None:
    text = "Intro\r## Related\r- [[One]]\rafter\r"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[: anchor.position].endswith("- [[One]]")


def test_anchor_after_multiline_items_with_indented_continuations() -> None:
    text = (
        "## Related\n"
        "- [[One]] — first reason\n"
        "  continues on a second line\n"
        "\n"
        "- [[Two]] — second\n"
        "\tand a tab-indented line\n"
        "Not part of the list.\n"
    )
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[: anchor.position].endswith("\tand a tab-indented line")


def test_anchor_in_crlf_note_is_before_the_crlf() -> None:
    text = "Related\r\n- [[One]]\r\n- [[Two]]\r\nafter\r\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[anchor.position :].startswith("\r\nafter")
    new = set_block(text, "related", ["- [[Three]]"], anchor.position)
    assert new == f"Related\r\n- [[One]]\r\n- [[Two]]\r\n{START}\r\n- [[Three]]\r\n{END}\r\nafter\r\n"
    assert remove_all_blocks(new) == text


def test_numbered_list_counts_as_related_list() -> None:
    text = "Related\n1. [[One]]\n2) [[Two]]\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[: anchor.position].endswith("2) [[Two]]")


def test_first_related_heading_wins() -> None:
    text = "## Related\n- [[A]]\n\n## See also\n- [[B]]\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert text[: anchor.position].endswith("- [[A]]")


@pytest.mark.parametrize("heading", ["### Related notes", "**Related**:", "See also", "## related ##", "RELATED"])
def test_heading_variants(heading: str) -> None:
    text = f"Body\n{heading}\n- [[A]]\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert anchor.position == len(text) - 1


def test_related_heading_in_frontmatter_is_not_searched() -> None:
    text = "---\nRelated:\n- x\n---\nBody\n"
    body_start = text.index("Body")
    assert find_related_anchor(text, body_start) is None


def test_related_heading_inside_managed_block_is_not_searched() -> None:
    text = f"Body\n{START}\n## Related\n- [[A]]\n{END}\n"
    assert find_related_anchor(text, 0) is None


def test_path_prefix_from_first_path_entry_only_when_entries_use_it() -> None:
    text = "Related\n- [[A]]\n- see ~/v/x.md\n"
    anchor = find_related_anchor(text, 0)
    assert anchor is not None
    assert anchor.path_prefix == ""
