"""Planning edits: link style, stub text, and the guide's properties over generated vaults.

The property tests write a small generated vault (2-5 notes in any mix of line endings,
BOM, YAML/TOML frontmatter, final newline or not, links between the notes and to missing
ones, shared phrases so Related blocks appear) into a fresh temporary folder per example,
then check that sync touches nothing outside its blocks, is idempotent, is undone by clean,
never writes outside the vault, and never reads its own output back.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CACHE_ONLY, examples, folders, mtimes, snapshot, state_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.core.blocks import remove_all_blocks, scan_blocks
from vaultlink.core.config import Config
from vaultlink.core.digest import digest
from vaultlink.core.link_style import LinkStyle
from vaultlink.core.neighbours import Neighbours
from vaultlink.core.note import Note
from vaultlink.core.parse import parse_note
from vaultlink.core.plan import (
    Edit,
    EditKind,
    Plan,
    Source,
    SourcesInMemory,
    SyncOptions,
    _damage,
    plan_clean,
    plan_sync,
    stub_text,
)
from vaultlink.core.rank import RankIndex
from vaultlink.core.resolve import demote_stub_links, fold, resolve_all
from vaultlink.core.stubs import safe_quote
from vaultlink.scan import readonly_reason

# --- LinkStyle -------------------------------------------------------------------------------------------------


def test_wikilink_uses_shortest_unique_name() -> None:
    style = LinkStyle(["a/Note.md", "b/Other.md"], Config())
    assert style.link("a/Note.md", "b/Other.md") == "[[Note]]"


def test_wikilink_uses_path_when_stem_is_shared() -> None:
    style = LinkStyle(["a/Temp.md", "b/temp.md", "x.md"], Config())
    assert style.link("a/Temp.md", "x.md") == "[[a/Temp]]"


def test_markdown_links_when_obsidian_uses_them() -> None:
    """As Obsidian writes them: the shortest path (the file name where it is unique) by default,
    from the note's folder under "relative" (tests/test_link_style.py has each format)."""
    style = LinkStyle(["a/My note.md", "b/x.md"], Config(use_markdown_links=True))
    assert style.link("a/My note.md", "b/x.md") == "[My note](My%20note.md)"
    style = LinkStyle(["a/My note.md", "b/x.md"], Config(use_markdown_links=True, new_link_format="relative"))
    assert style.link("a/My note.md", "b/x.md") == "[My note](../a/My%20note.md)"


def test_name_unsafe_in_a_wikilink_becomes_markdown_link() -> None:
    style = LinkStyle(["C# [draft].md", "x.md"], Config())
    link = style.link("C# [draft].md", "x.md")
    assert link == "[C# \\[draft\\]](C%23%20%5Bdraft%5D.md)"


def test_path_prefix_writes_vault_path() -> None:
    style = LinkStyle(["a/b c.md"], Config())
    assert style.link("a/b c.md", "x.md", "my-vault") == "~/my-vault/a/b c.md"


def test_a_name_with_a_line_break_is_linked_on_one_line() -> None:
    """An entry is one line of a block: a note named with a line break gets a markdown link whose
    text has a space there (a wikilink can't hold it), and no vault path."""
    style = LinkStyle(["new\nline.md", "x.md"], Config())
    assert style.link("new\nline.md", "x.md") == "[new line](new%0Aline.md)"
    assert style.link("new\nline.md", "x.md", "my-vault") == "[new line](new%0Aline.md)"


@settings(max_examples=examples(300), deadline=None)
@given(
    name=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).filter(
        lambda n: "/" not in n and n.strip(". ") != ""
    ),
    markdown=st.booleans(),
    prefix=st.sampled_from(["", "my-vault"]),
    why=st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12), max_size=3),
)
def test_every_entry_vaultlink_writes_is_a_line_it_recognises_as_its_own(
    name: str, markdown: bool, prefix: str, why: list[str]
) -> None:
    """Whatever a note is called, the entry linking to it is one line that ``_damage`` takes for
    vaultlink's own (else a note would be left alone after vaultlink's own write)."""
    target = f"folder/{name}.md"
    style = LinkStyle([target, "x.md"], Config(use_markdown_links=markdown))
    entry = f"- {style.link(target, 'x.md', prefix)}" + (f" — {', '.join(why)}" if why else "")
    text = f"# X\n\n<!-- vaultlink:related -->\n## Related\n{entry}\n<!-- /vaultlink:related -->\n"
    assert _damage(text) == ""


# --- stub text and quotes ---------------------------------------------------------------------------------------


def test_stub_text_is_frontmatter_and_backlinks_block() -> None:
    text = stub_text(["## Backlinks", "- [[A]] — “line”"])
    assert text == (
        "---\nvaultlink: stub\n---\n<!-- vaultlink:backlinks -->\n## Backlinks\n- [[A]] — “line”\n"
        "<!-- /vaultlink:backlinks -->\n"
    )
    assert len(scan_blocks(text).blocks) == 1


def test_quote_can_never_open_or_close_a_block() -> None:
    quoted = safe_quote("see [[X]] <!-- /vaultlink:backlinks --> and <!-- vaultlink:related -->")
    assert "<!--" not in quoted and "-->" not in quoted
    assert scan_blocks(stub_text([f"- [[A]] — “{quoted}”"])).problems == ()


def test_quote_is_one_line_and_shortened() -> None:
    quoted = safe_quote("word  \t" * 60)
    assert "\n" not in quoted and "\t" not in quoted
    assert len(quoted) == 100 and quoted.endswith("…")


# --- generated vaults ------------------------------------------------------------------------------------------

NAMES = ["Alpha", "Beta note", "Gämma", "sub/Delta", "sub/deeper/Épsilon"]
MISSING = ["Ghost", "Nowhere note", "sub/Phantom", "new/dir/Plan"]
PHRASES = ["sourdough starter", "bulk fermentation", "dark sky site", "light pollution", "research taste"]
VAULT = "vault"

# Printable text: no control characters (so no stray CR or LF inside a line), no surrogates.
free_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)
odd_target = st.text(st.sampled_from("ab Z./\\:#|^-é"), min_size=1, max_size=8)


def _lines_for(names: list[str]) -> st.SearchStrategy[list[str]]:
    existing = st.sampled_from(names)
    missing = st.sampled_from(MISSING)
    phrase = st.sampled_from(PHRASES)
    line = st.one_of(
        free_text,
        st.builds(lambda p, q: f"About the {p} and the {q}.", phrase, phrase),
        st.builds(lambda n: f"See [[{n}]] for more.", existing),
        st.builds(lambda n: f"- ~/{VAULT}/{n}.md — why", existing),
        st.builds(lambda n: f"Plan: [[{n}]]", missing),
        st.builds(lambda n: f"File against ~/{VAULT}/{n}.md (or create if missing).", missing),
        st.builds(lambda t: f"odd [[{t}]]", odd_target),
        st.builds(lambda n: f"- [{n}]({n.replace(' ', '%20')}.md)", st.sampled_from(names + MISSING)),
        st.sampled_from(["## Related", "Related", "", "- an item", "  continued", "```", "---"]),
    )
    return st.lists(line, max_size=10)


@dataclass(frozen=True)
class GeneratedVault:
    files: dict[str, bytes]
    options: SyncOptions


@st.composite
def vaults(draw: st.DrawFn) -> GeneratedVault:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=2, max_size=5, unique=True))
    files: dict[str, bytes] = {}
    for name in names:
        lines = draw(_lines_for(names))
        # Shared phrases, repeated, so that notes relate to each other.
        lines += [f"About the {p}." for p in draw(st.lists(st.sampled_from(PHRASES), max_size=4))]
        lines = draw(st.permutations(lines))
        front = draw(st.sampled_from(["", "yaml", "toml"]))
        if front == "yaml":
            lines = ["---", "tags: [bees, sky]", f"title: {name.split('/')[-1]}", "---", *lines]
        elif front == "toml":
            lines = ["+++", f'title = "{name}"', "[taxonomies]", 'tags = ["garden"]', "+++", *lines]
        style = draw(st.sampled_from(["lf", "crlf", "mixed"]))
        if style == "mixed":
            endings = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
        else:
            endings = ["\n" if style == "lf" else "\r\n"] * len(lines)
        if lines and not draw(st.booleans()):
            endings[-1] = ""  # no final newline
        text = "".join(line + end for line, end in zip(lines, endings, strict=True))
        if draw(st.booleans()):
            text = "\ufeff" + text
        files[f"{name}.md"] = text.encode("utf-8")
    min_score = draw(st.sampled_from([0.0, 2.5]))
    min_citers = draw(st.sampled_from([1, 2]))  # 1: every missing note a link names gets its stub
    return GeneratedVault(files, SyncOptions(min_score=min_score, min_citers=min_citers))


# --- the pure planner, in memory: the properties on many vaults, no file written ------------------------------

CONFIG = Config(path_prefixes=(VAULT,))  # as load_config gives a vault folder named VAULT


def notes_of(files: Mapping[str, bytes]) -> tuple[dict[str, Note], dict[str, Source], dict[str, str]]:
    """Each readable note, its source, and why a note must not be rewritten: as a scan reads them."""
    notes: dict[str, Note] = {}
    sources: dict[str, Source] = {}
    readonly: dict[str, str] = {}
    for rel in sorted(files):
        parsed = parse_note(rel, files[rel], CONFIG)
        if parsed.note is None:
            continue
        notes[rel] = parsed.note
        sources[rel] = Source(rel, files[rel].decode("utf-8"), digest(files[rel]))
        if readonly_reason(parsed.diagnostics):
            readonly[rel] = readonly_reason(parsed.diagnostics)
    return notes, sources, readonly


def applied(files: Mapping[str, bytes], plan: Plan) -> dict[str, bytes]:
    out = dict(files)
    for edit in plan.edits:
        if edit.kind is EditKind.DELETE:
            del out[edit.path]
        else:
            assert edit.new_text is not None
            out[edit.path] = edit.new_text.encode("utf-8")
    return out


def planned_sync(files: Mapping[str, bytes], options: SyncOptions) -> Plan:
    """What a sync plans for ``files``: the ranking and the planner, as ``app.sync`` runs them."""
    notes, sources, readonly = notes_of(files)
    links = demote_stub_links(resolve_all(list(notes.values()), CONFIG), [p for p, n in notes.items() if n.is_stub])
    index = RankIndex(notes.values(), links, CONFIG, keep_rows=False)
    exclude = Neighbours(links).either_way()
    related = index.related_all(top=options.top, min_score=options.min_score, exclude=exclude, listing=True)
    return plan_sync(notes, SourcesInMemory(sources), links, related, CONFIG, options, readonly)


def planned_clean(files: Mapping[str, bytes]) -> Plan:
    notes, sources, readonly = notes_of(files)
    return plan_clean(list(notes.values()), SourcesInMemory(sources), readonly)


IN_MEMORY = settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@IN_MEMORY
@given(vaults())
def test_planned_sync_changes_nothing_outside_managed_blocks_in_memory(vault: GeneratedVault) -> None:
    synced = applied(vault.files, planned_sync(vault.files, vault.options))
    for rel, data in vault.files.items():
        assert remove_all_blocks(synced[rel].decode("utf-8")) == data.decode("utf-8"), rel
    for rel in set(synced) - set(vault.files):
        assert synced[rel].startswith(b"---\nvaultlink: stub\n---\n"), rel


def link_targets(files: Mapping[str, bytes]) -> list[tuple[str, str, str]]:
    """Where each link of the vault's notes (stubs aside) leads, folded."""
    notes, _, _ = notes_of(files)
    links = resolve_all(list(notes.values()), CONFIG)
    return [(r.source, r.link.raw, fold(r.resolution.target)) for r in links if not notes[r.source].is_stub]


@IN_MEMORY
@given(vaults())
def test_a_second_planned_sync_has_nothing_to_do_in_memory(vault: GeneratedVault) -> None:
    synced = applied(vault.files, planned_sync(vault.files, vault.options))
    assert link_targets(synced) == link_targets(vault.files)  # a stub never moves where a link leads
    assert planned_sync(synced, vault.options).edits == []


def test_a_stub_never_moves_where_another_link_leads() -> None:
    """Found by the property above. Before the first sync, ``[](GHOST.MD)`` in sub/ leads to the
    missing sub/GHOST.MD; the stub made for ``[[GHOST]]`` (GHOST.md) captured it by name, the two
    notes shared a link, and the second sync wrote their Related lists. A stub now answers only
    the links that lead to its own path as a missing note (core/resolve.py)."""
    files = {"Gämma.md": b"[[GHOST]]", "sub/Delta.md": b"[](GHOST.MD)", "Alpha.md": b"", "Beta note.md": b""}
    synced = applied(files, planned_sync(files, SyncOptions(min_score=0.0, min_citers=1)))
    assert link_targets(synced) == link_targets(files)
    assert planned_sync(synced, SyncOptions(min_score=0.0, min_citers=1)).edits == []


@IN_MEMORY
@given(vaults())
def test_planned_clean_after_a_sync_gives_back_the_original_vault_in_memory(vault: GeneratedVault) -> None:
    synced = applied(vault.files, planned_sync(vault.files, vault.options))
    assert applied(synced, planned_clean(synced)) == vault.files


@IN_MEMORY
@given(vaults())
def test_what_a_planned_sync_wrote_is_never_read_back_in_memory(vault: GeneratedVault) -> None:
    before, _, _ = notes_of(vault.files)
    after, _, _ = notes_of(applied(vault.files, planned_sync(vault.files, vault.options)))
    assert {p for p, n in after.items() if not n.is_stub} == set(before)
    for path, note in before.items():
        read = (after[path].links, after[path].terms, after[path].tags, after[path].words, after[path].word_counts)
        assert read == (note.links, note.terms, note.tags, note.words, note.word_counts)


# --- the same on disk, through app.sync and app.clean (the adapters too) --------------------------------------


@contextmanager
def written(vault: GeneratedVault) -> Iterator[Path]:
    """The generated vault in a fresh temporary folder (function-scoped fixtures are not reset
    between hypothesis examples). Yields the vault root; its parent holds nothing else."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / VAULT
        for rel, data in vault.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        yield root
        assert sorted(os.listdir(tmp)) == [VAULT], "something was written outside the vault"


PROPERTY = settings(max_examples=examples(20), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(vaults())
def test_sync_changes_nothing_outside_managed_blocks(vault: GeneratedVault) -> None:
    with written(vault) as root:
        app.sync(root, vault.options)
        after = snapshot(root)
        for rel, data in vault.files.items():
            assert remove_all_blocks(after[rel].decode("utf-8")) == data.decode("utf-8"), rel
        for rel in set(after) - set(vault.files):
            assert after[rel].startswith(b"---\nvaultlink: stub\n---\n"), rel
        # the cache, and the record of the folders made for stubs (made_folders.py), if any
        assert [f for f in state_files(root) if f != "made-folders"] in ([], CACHE_ONLY)


@PROPERTY
@given(vaults())
def test_second_sync_changes_nothing(vault: GeneratedVault) -> None:
    with written(vault) as root:
        app.sync(root, vault.options)
        before, times = snapshot(root), mtimes(root)
        report = app.sync(root, vault.options)
        assert (report.changed, report.created, report.deleted) == ([], [], [])
        assert snapshot(root) == before
        assert mtimes(root) == times


@PROPERTY
@given(vaults())
def test_clean_after_sync_restores_the_original_vault(vault: GeneratedVault) -> None:
    with written(vault) as root:
        original_folders = folders(root)
        app.sync(root, vault.options)
        app.clean(root)
        assert snapshot(root) == vault.files
        assert folders(root) == original_folders


@PROPERTY
@given(vaults())
def test_what_sync_wrote_is_never_read_back(vault: GeneratedVault) -> None:
    with written(vault) as root:
        before = {n.path: n for n in app.scan_vault(root).notes}
        app.sync(root, vault.options)
        after = {n.path: n for n in app.scan_vault(root).notes if not n.is_stub}
        assert set(after) == set(before)
        for path, note in before.items():
            read = (after[path].links, after[path].terms, after[path].tags, after[path].words, after[path].word_counts)
            assert read == (note.links, note.terms, note.tags, note.words, note.word_counts)


def test_an_edit_says_its_kind_and_its_digest_and_text_agree_with_it() -> None:
    assert Edit.rewrite("a.md", "d1", "new\n").kind is EditKind.REWRITE
    assert Edit.create("b.md", "stub\n").kind is EditKind.CREATE
    assert Edit.delete("c.md", "d2").kind is EditKind.DELETE
    for path, old_digest, text, kind in [
        ("a.md", None, "x", EditKind.REWRITE),
        ("a.md", "d", "x", EditKind.CREATE),
        ("a.md", "d", "x", EditKind.DELETE),
        ("a.md", "d", None, EditKind.REWRITE),
    ]:
        with pytest.raises(ValueError, match=r"^a\.md: "):
            Edit(path, old_digest, text, kind)
