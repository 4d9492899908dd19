"""The evidence model (``core/evidence.py``): what a reader never sees or the author did not write
is neither words, nor terms, nor links, nor tags; and the rest of the note reads as before."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import VaultFactory, examples, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.core.config import Config
from vaultlink.core.evidence import (
    LineCounts,
    boilerplate_min_notes,
    hidden_spans,
    line_digests,
    line_key,
    shown_words,
    unpacked_digests,
    visible,
)
from vaultlink.core.note import Note
from vaultlink.core.parse import parse_text, shown_lines
from vaultlink.live import LiveVault

VAULT = Config(path_prefixes=("rdco-vault",))


def note_of(text: str, path: str = "n.md") -> Note:
    parsed = parse_text(path, text, VAULT)
    assert parsed.note is not None
    return parsed.note


def words_of(text: str) -> set[str]:
    return set(note_of(text).words) - {"n"}  # the note's own name "n" is too short to be a word anyway


# --- what is hidden ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        ("a %%hidden [[x]]%% b", "a  b"),
        ("a\n%%\nhidden\n%%\nb", "a\n\n\n\nb"),
        ("a\r\n%%\r\nhidden\r\n%%\r\nb", "a\r\n\r\n\r\n\r\nb"),
        ("open %% to the end\n\nof the note [[x]]", "open \n\n"),
        ("a <!-- c [[x]] --> b", "a  b"),
        ("a {{title}} b {{date:YYYY}}", "a  b "),
        ("a <% tp.date.now() %> b\n<%*\nlet x = 1\n%>\nc", "a  b\n\n\n\nc"),
        ("a {{ not closed\non this line }} b", "a {{ not closed\non this line }} b"),
        ("a <% not closed", "a <% not closed"),
        ("`%%` is code %% and this is hidden", "`%%` is code "),
        ("```\n%% in a fence\n```\nafter %%x%% y", "```\n%% in a fence\n```\nafter  y"),
        ("``{{x}} and %%`` stay", "``{{x}} and %%`` stay"),
        ("nothing to hide [[x]]", "nothing to hide [[x]]"),
    ],
    ids=[
        "inline-comment",
        "multiline-comment",
        "crlf-comment",
        "unclosed-comment-hides-the-rest",
        "html-comment",
        "placeholders",
        "templater",
        "placeholder-is-one-line",
        "templater-unclosed",
        "code-span",
        "fence",
        "double-code-span",
        "nothing",
    ],
)
def test_visible_blanks_comments_and_placeholders_outside_code(body: str, shown: str) -> None:
    assert visible(body) == shown


BODY_PARTS = st.sampled_from(
    ["%%", "<!--", "-->", "<%", "%>", "{{", "}}", "`", "```", "\n", "\r\n", " ", "word", "[[x]]", "#tag", "~~~\n"]
)


@settings(max_examples=examples(300))
@given(st.lists(BODY_PARTS, max_size=30).map("".join))
def test_visible_keeps_every_line_break_and_every_shown_character(body: str) -> None:
    shown = visible(body)
    breaks = re.compile(r"\r\n|\r|\n")
    assert breaks.findall(shown) == breaks.findall(body)
    spans = hidden_spans(body)
    kept = [body[a:b] for a, b in zip([0] + [e for _, e in spans], [s for s, _ in spans] + [len(body)], strict=True)]
    assert all(part in shown for part in kept)
    assert all(a < b <= c for (a, b), (c, _) in pairwise(spans))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("see https://twitter.com/someone.", "see  ."),
        ("on twitter.com/someone and github.com", "on   and  "),
        ("www.example.org/a_b?c=1 here", "  here"),
        ("e.g. this, and a.md or v1.2", "e.g. this, and a.md or v1.2"),
    ],
)
def test_shown_words_leave_out_urls_and_domains(text: str, shown: str) -> None:
    assert shown_words(text) == shown


# --- what a note is read as ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Text %% [[Ghost]] #secret ~/rdco-vault/x.md %% more.\n",
        "Text\n%%\n[[Ghost]] #secret\n- [x](ghost.md)\n%%\n",
        "Text <% tp.file.include('[[Ghost]]') %> #real\n".replace("#real", ""),
        "Text {{[[Ghost]]}}.\n",
        "Text <!-- [[Ghost]] #secret -->.\n",
        "Text. %% [[Ghost]] never closed\n\n#secret\n",
    ],
    ids=["inline", "multiline", "templater", "placeholder", "html", "unclosed"],
)
def test_comments_and_placeholders_hold_no_links_tags_or_words(text: str) -> None:
    note = note_of(text)
    assert note.links == ()
    assert note.tags == ()
    assert not {"ghost", "secret", "include", "file"} & set(note.words)


def test_the_note_around_a_comment_reads_as_before() -> None:
    plain = note_of("# Title\n\nSourdough starter and [[Rye]].\n\nMore #bread.\n")
    commented = note_of("# Title\n\nSourdough %%unseen%% starter and [[Rye]].\n%%\ngone\n%%\nMore #bread.\n")
    assert commented.links == plain.links
    assert commented.tags == plain.tags
    assert commented.title == plain.title
    assert commented.words == plain.words


def test_image_alt_text_is_no_words_and_the_image_still_links() -> None:
    note = note_of("![github last commit](https://img.shields.io/x) ![diagram of flows](flows.md) kept words\n")
    assert {"github", "commit", "diagram", "flows", "shields"}.isdisjoint(note.words)
    assert {"kept", "words"} <= set(note.words)
    assert [link.target for link in note.links] == ["flows.md"]


def test_an_embed_is_a_link_whose_name_is_no_words() -> None:
    note = note_of("![[Pasted image 20220907.png]] ![[Other note]] and [[Linked note|shown text]]\n")
    assert [link.target for link in note.links] == ["Pasted image 20220907.png", "Other note", "Linked note"]
    assert {"pasted", "image", "other"}.isdisjoint(note.words)
    assert {"shown", "text"} <= set(note.words)


def test_urls_and_domains_are_no_words_but_link_text_is() -> None:
    note = note_of("Follow https://twitter.com/someone or mastodon.social/@x; [the project page](https://a.org).\n")
    assert {"twitter", "https", "com", "mastodon", "social", "someone"}.isdisjoint(note.words)
    assert {"follow", "project", "page"} <= set(note.words)


def test_code_stays_no_evidence() -> None:
    assert {"secret", "hidden"}.isdisjoint(words_of("```\nsecret\n```\n\n`hidden` shown\n"))


# --- the vault: a comment's link is neither broken nor a stub (issue 16) -----------------------------


def test_a_link_in_a_comment_is_not_broken_and_makes_no_stub(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "A.md": "# A\n\nSourdough starter notes. %% TODO [[Ghost]] %%\n\n<% tp.file.cursor() %> [[Real]]\n",
            "Real.md": "# Real\n\nA real note about rye flour.\n",
            "T.md": "{{title}}\n\n%%\n[[Another ghost]]\n%%\n",
        }
    )
    scan = app.check_vault(root, app.NO_CACHE)
    assert not [d for d in scan.diagnostics if d.code == "broken-link"]
    app.sync(root, cache=app.NO_CACHE)
    assert sorted(snapshot(root)) == ["A.md", "Real.md", "T.md"]
    assert "[[A]]" in (root / "Real.md").read_text()  # the visible link still links


def test_notes_sharing_only_hidden_text_are_not_related(make_vault: VaultFactory) -> None:
    hidden = (
        "%% sourdough starter rye flour proofing basket %%\n"
        "![sourdough starter rye flour](https://img.shields.io/badge)\n"
        "<!-- proofing basket sourdough starter -->\n"
    )
    root = make_vault(
        {
            "One.md": "# One\n\nKnitting socks on a rainy afternoon.\n" + hidden,
            "Two.md": "# Two\n\nRepairing the garden shed roof.\n" + hidden,
            "Three.md": "# Three\n\nLearning chords on the ukulele.\n",
        }
    )
    related = app.related_notes(root, None, top=5, cache=app.NO_CACHE)
    assert related["One.md"] == [] and related["Two.md"] == []


# --- boilerplate: lines repeated verbatim in many notes -------------------------------------------------

FOOTER = "Written with my quick capture template, shared under a creative commons licence.\n"


def test_line_key_collapses_blanks_and_drops_lines_of_few_word_characters() -> None:
    assert line_key("  ## Examples \t here ") == "## Examples here"
    assert line_key("- a") == ""
    assert line_key("---") == ""
    assert line_digests("## Examples\n\n## Examples\n- x\n") == line_digests("##   Examples")


def test_boilerplate_is_a_line_in_five_notes_or_a_small_share_of_a_large_vault() -> None:
    assert boilerplate_min_notes(9) == 5
    assert boilerplate_min_notes(5_000) == 5
    assert boilerplate_min_notes(7_726) == 8
    assert boilerplate_min_notes(100_000) == 100
    common, rare = line_digests("common line"), line_digests("rare line")
    counts = LineCounts([common] * 5 + [rare] * 4 + [b""] * 3)
    assert counts.notes == 9  # notes without a line are not counted
    assert counts.boilerplate() == frozenset(unpacked_digests(common))
    counts.remove(common)
    assert counts.boilerplate() == frozenset()


def test_a_note_read_without_its_boilerplate_keeps_its_links_tags_and_title() -> None:
    text = "# Sourdough\n\nStarter and rye flour.\n\n- a [[person]] of #baking note here.\n" + FOOTER
    plain = note_of(text)
    found = frozenset(unpacked_digests(line_digests("- a [[person]] of #baking note here.\n" + FOOTER)))
    parsed = parse_text("n.md", text, VAULT, found).note
    assert parsed is not None
    assert parsed.links == plain.links and parsed.tags == plain.tags and parsed.title == plain.title
    assert parsed.lines == plain.lines
    assert set(unpacked_digests(parsed.boilerplate)) == found
    assert {"starter", "rye", "flour", "sourdough", "person"} <= set(parsed.words)  # a link's text stays
    assert {"template", "licence", "note", "baking"}.isdisjoint(parsed.words)
    assert {"template", "licence"} <= set(plain.words)


def test_a_boilerplate_heading_is_no_title() -> None:
    """Every Excalidraw drawing starts ``# Text Elements``: the plugin's scaffolding, not the note's
    title (which would make every drawing share a name, and every note writing the words mention it)."""
    text = "==Switch to EXCALIDRAW VIEW==\n\n# Text Elements\nqueue ^a1\n\n# Second\n"
    assert note_of(text).title == "Text Elements"
    found = frozenset(unpacked_digests(line_digests("# Text Elements\n")))
    parsed = parse_text("drawing.md", text, VAULT, found).note
    assert parsed is not None and parsed.title == "Second"
    alone = parse_text("drawing.md", "# Text Elements\nqueue\n", VAULT, found).note
    assert alone is not None and alone.title == "drawing"


def test_fenced_code_is_never_boilerplate() -> None:
    fenced = "```java\n@Override public void run() {}\n```\n"
    assert line_digests(fenced) == b""
    assert line_digests("Some words\n" + fenced + "More words") == line_digests("Some words\nMore words")


def test_shown_lines_are_the_lines_a_parse_gives() -> None:
    text = "---\ntitle: x\n---\n# X\n%% hidden %%\nshown line\n" + FOOTER
    assert shown_lines(text.encode(), 10_000) == note_of(text).lines != b""


TOPICS = ("Knitting", "Roofing", "Ukulele", "Albums", "Seaside", "Sourdough", "Tides", "Comets")


def footer_vault(make_vault: VaultFactory, with_footer: int) -> Path:
    files = {f"{t}.md": f"# {t}\n\nAbout {t.lower()} only.\n\n" for t in TOPICS}
    for topic in TOPICS[:with_footer]:
        files[f"{topic}.md"] += FOOTER
    return make_vault(files)


def test_a_footer_in_five_notes_relates_none_of_them(make_vault: VaultFactory) -> None:
    root = footer_vault(make_vault, 5)
    scan = app.check_vault(root, app.NO_CACHE)
    assert all("template" not in n.words for n in scan.notes)
    assert all(related == [] for related in app.related_notes(root, None, top=5, cache=app.NO_CACHE).values())


def test_a_line_in_four_notes_is_still_evidence(make_vault: VaultFactory) -> None:
    root = footer_vault(make_vault, 4)
    scan = app.check_vault(root, app.NO_CACHE)
    assert sum("template" in n.words for n in scan.notes) == 4
    related = app.related_notes(root, None, top=5, cache=app.NO_CACHE)
    assert {s.path for s in related["Knitting.md"]} == {"Roofing.md", "Ukulele.md", "Albums.md"}


def test_the_watcher_reads_again_the_notes_a_save_makes_boilerplate_or_not(make_vault: VaultFactory) -> None:
    root = footer_vault(make_vault, 4)
    live = LiveVault(root, grace=0.0, clock=lambda: 1000.0)
    live.sync_all()
    assert "Roofing" in (root / "Knitting.md").read_text()
    for text, listed in ((FOOTER, False), ("", True)):  # a fifth note gains the footer, then loses it
        (root / "Seaside.md").write_text(f"# Seaside\n\nAbout seaside only.\n\n{text}")
        live.update(["Seaside.md"])
        if live.deferred:
            live.update([])
        assert ("template" in live.model.notes["Knitting.md"].words) is listed
        assert ("Roofing" in (root / "Knitting.md").read_text()) is listed
        assert app.sync(root, live.options, dry_run=True, cache=app.NO_CACHE).pending == 0
