"""The persistent scan cache (``.vaultlink/cache.sqlite``): it may make a run cheaper, never different.

Every output test runs twin copies of ``sample_vault`` (same folder name, so the same config),
one with the cache and one with ``app.NO_CACHE``, and compares what they wrote and reported.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CACHE_ONLY, VaultFactory, examples, mtimes, pristine_sample, run, snapshot, state_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vaultlink.memo
import vaultlink.scan
from vaultlink import app, cache, cache_file, parallel
from vaultlink.cache_file import CACHE_FILE, GITIGNORE
from vaultlink.config import load_config
from vaultlink.core.blocks import code_fences, content_end_of_text, set_block
from vaultlink.core.codec import decode_parsed, encode_parsed
from vaultlink.core.config import Config
from vaultlink.core.frontmatter import frontmatter_extent
from vaultlink.core.note import Diagnostic, ParsedNote, Severity
from vaultlink.core.parse import parse_key, parse_note, parse_text
from vaultlink.vault import NoteFile, list_notes, read_note_file

STATE = ".vaultlink"
HYPOTHESIS = settings(max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow])
EDITED = "cooking/Sauerkraut.md"
OTHER = "astronomy/Dark sky sites.md"
PROSE = (
    "\nSauerkraut keeps well; a Dobsonian telescope night with Kimchi notes and Light pollution maps:"
    " the primary mirror cools while the Galilean moons rise.\n"
)


# --- helpers ---------------------------------------------------------------------------------------


def copy_sample(tmp_path: Path, tag: str) -> Path:
    """A copy of sample_vault named ``sample_vault`` (its name is a path prefix, so part of the config)."""
    root = tmp_path / tag / "sample_vault"
    shutil.copytree(pristine_sample(), root, ignore=shutil.ignore_patterns(STATE))
    return root


@pytest.fixture
def twins(tmp_path: Path) -> tuple[Path, Path]:
    """(a copy to sync with the cache, an identical copy to sync with NO_CACHE)."""
    return copy_sample(tmp_path, "cached"), copy_sample(tmp_path, "plain")


@dataclass(frozen=True)
class Synced:
    """Twin copies of sample_vault after their first sync (with and without the cache)."""

    cached: Path
    plain: Path
    report: app.SyncReport
    plain_report: app.SyncReport


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Synced:
    """Synced once per module: a sync writes every note with fsync, which is what costs time here."""
    base = tmp_path_factory.mktemp("synced")
    cached, plain = copy_sample(base, "cached"), copy_sample(base, "plain")
    report, plain_report = sync_both(cached, plain)
    assert report.pending > 0
    assert_same(cached, plain, report, plain_report)
    return Synced(cached, plain, report, plain_report)


@pytest.fixture
def synced_twins(synced: Synced, tmp_path: Path) -> tuple[Path, Path]:
    """Fresh copies of the synced twins, the cached one with its ``.vaultlink/cache.sqlite``."""
    cached, plain = tmp_path / "cached" / "sample_vault", tmp_path / "plain" / "sample_vault"
    shutil.copytree(synced.cached, cached)
    shutil.copytree(synced.plain, plain)
    assert state_files(cached) == CACHE_ONLY
    return cached, plain


def outcome(report: app.SyncReport) -> tuple[object, ...]:
    """What a sync did, comparable across the twin copies."""
    return (
        report.scanned,
        sorted(report.changed),
        sorted(report.created),
        sorted(report.deleted),
        sorted(report.skipped),
        sorted(report.diagnostics, key=lambda d: (d.path, d.code, d.message)),
    )


def sync_both(cached: Path, plain: Path, top: int | None = None) -> tuple[app.SyncReport, app.SyncReport]:
    with_cache = app.sync(cached, app.SyncOverrides(top=top))
    without = app.sync(plain, app.SyncOverrides(top=top), cache=app.NO_CACHE)
    assert without.warnings == []
    return with_cache, without


def assert_same(cached: Path, plain: Path, with_cache: app.SyncReport, without: app.SyncReport) -> None:
    assert outcome(with_cache) == outcome(without)
    assert snapshot(cached) == snapshot(plain)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, hidden ones and ``.vaultlink/`` included, and every
    folder (``name/``, as empty bytes)."""
    found: dict[str, bytes] = {}
    for folder, _dirs, names in os.walk(root):
        found[Path(folder).relative_to(root).as_posix() + "/"] = b""
        for name in names:
            path = Path(folder, name)
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_bytes(path.read_bytes() + text.encode())


@contextlib.contextmanager
def edit_db(path: Path) -> Iterator[sqlite3.Connection]:
    """The SQLite file at ``path``, committed and closed at the end."""
    db = sqlite3.connect(path)
    try:
        with db:
            yield db
    finally:
        db.close()


def sample_items() -> list[tuple[str, bytes]]:
    config = load_config(pristine_sample())
    return [(rel, (pristine_sample() / rel).read_bytes()) for rel in list_notes(pristine_sample(), config).paths]


def cache_warnings(warnings: list[Diagnostic], cache_path: Path) -> list[Diagnostic]:
    assert all(w.code == "cache" and w.severity is Severity.WARNING for w in warnings), warnings
    return [w for w in warnings if w.path == str(cache_path)]


# --- generated notes -------------------------------------------------------------------------------

NAMES = ["Sourdough starter", "Light pollution", "Bike fit", "Index funds", "sub/Deep note", "Ünïcode café"]
WORDS = ["sourdough", "starter", "wild", "yeast", "telescope", "light", "pollution", "the", "of", "naïve", "Ölfarbe"]


@st.composite
def inline(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(NAMES))
    word = draw(st.sampled_from(WORDS))
    return draw(
        st.sampled_from(
            [
                word,
                f"[[{name}]]",
                f"[[{name}|{word}]]",
                f"[[{name}#Heading]]",
                f"![[{name}]]",
                f"#{word}",
                f"[{word}]({name.replace(' ', '%20')}.md)",
                f"`{word}`",
                f"**{word}**",
                f"https://example.com/{word}",
            ]
        )
    )


# Free text: anything printable on one line but vaultlink's own markers (and no BOM, which
# decoding strips, so that distinct texts stay distinct notes).
FREE_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp"), exclude_characters="\ufeff"),
    max_size=25,
).filter(lambda s: "vaultlink" not in s)


@st.composite
def body_lines(draw: st.DrawFn) -> list[str]:
    """Markdown lines; at least one is not blank."""
    words = st.lists(inline(), min_size=1, max_size=6).map(" ".join)
    line = st.one_of(
        words,
        words.map(lambda s: "# " + s),
        words.map(lambda s: "## " + s),
        words.map(lambda s: "- " + s),
        st.just(""),
        st.just("```\ncode [[Not a link]]\n```"),
        st.just("## Related\n- [[Bike fit]]"),
        FREE_TEXT,
    )
    lines = draw(st.lists(line, max_size=8))
    return [*lines, draw(words)] if draw(st.booleans()) else [draw(words), *lines]


@st.composite
def frontmatter(draw: st.DrawFn) -> list[str]:
    title = draw(st.sampled_from(["Title", "Ünïcode title", "Bike fit"]))
    tag = draw(st.sampled_from(WORDS))
    return draw(
        st.sampled_from(
            [
                [],
                ["---", f"title: {title}", f"tags: [{tag}, other]", "aliases:", "  - Alias one", "---"],
                ["---", "vaultlink: stub", "---"],
                ["---", ": : not [yaml", "---"],
                ["+++", f'title = "{title}"', f'tags = ["{tag}"]', "+++"],
                ["{", f'  "title": "{title}",', f'  "tags": ["{tag}"]', "}"],
            ]
        )
    )


@st.composite
def note_texts(draw: st.DrawFn) -> str:
    """A note: optional frontmatter, markdown body, LF or CRLF, final newline or not."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    lines = draw(frontmatter()) + draw(body_lines())
    text = nl.join(line.replace("\n", nl) for line in lines)
    return text + nl if draw(st.booleans()) else text


RELATED_LINES = st.lists(
    st.sampled_from(NAMES).map(lambda n: f"- [[{n}]] — shared terms"), min_size=1, max_size=4, unique=True
)


def line_ends(text: str, start: int) -> list[int]:
    """Where each line's content ends (before its line ending), for the lines ending at or after
    ``start`` and outside fenced code: the places a block may be inserted (one inserted in a code
    sample is the user's text)."""
    code = [(f.start, f.end) for f in code_fences(text)]
    ends: list[int] = []
    pos = 0
    while True:
        nl = text.find("\n", pos)
        end = len(text) if nl < 0 else nl
        content_end = end - 1 if end > pos and text[end - 1] == "\r" else end
        if content_end >= start and not any(a <= content_end < b for a, b in code):
            ends.append(content_end)
        if nl < 0:
            return ends
        pos = nl + 1


# --- 1. codec --------------------------------------------------------------------------------------


def test_codec_round_trips_every_sample_note() -> None:
    config = load_config(pristine_sample())
    items = sample_items()
    assert len(items) >= 30
    for rel, data in items:
        parsed = parse_note(rel, data, config)
        assert parsed.note is not None
        assert decode_parsed(encode_parsed(parsed)) == parsed


@pytest.mark.parametrize(
    "data",
    [b"\x00binary", b"\xff\xfe not utf-8", b"---\n: : bad [\n---\n# Body [[x]]\n", b"x" * 200],
    ids=["binary", "invalid-utf8", "bad-frontmatter", "too-large"],
)
def test_codec_round_trips_skipped_and_damaged_notes(data: bytes) -> None:
    parsed = parse_note("odd/Note.md", data, Config(max_bytes=100))
    assert parsed.diagnostics
    assert decode_parsed(encode_parsed(parsed)) == parsed


@HYPOTHESIS
@given(text=note_texts(), path=st.sampled_from(["Note.md", "sub/Ünï cödé.md", "a/b/c.markdown"]))
def test_codec_round_trips_generated_notes(text: str, path: str) -> None:
    parsed = parse_text(path, text, Config())
    assert decode_parsed(encode_parsed(parsed)) == parsed


NOTE_FIELD_NAMES = ("path", "title", "aliases", "tags", "headings", "links", "terms", "format", "keys", "offset")
NOTE_FIELD_NAMES += ("words", "counts", "is_stub", "forms", "pairs", "lines", "boilerplate")


def note_json(**fields: str) -> str:
    """A cached ParsedNote whose note has every field in its place (as JSON text), ``fields`` replaced:
    so each malformed case below breaks exactly the field it names."""
    defaults = ['"a.md"', '"T"', *["[]"] * 5, '""', "[]", "0", "[]", "[]", "false", "[]", '""', '""', '""']
    base = dict(zip(NOTE_FIELD_NAMES, defaults, strict=True))
    base.update(fields)
    return f'["a.md", [{",".join(base[name] for name in NOTE_FIELD_NAMES)}], []]'


MALFORMED = {
    "not-json": "not json at all",
    "empty": "",
    "truncated": encode_parsed(ParsedNote("a.md", None))[:-1],
    "null": "null",
    "number": "3",
    "object": '{"path": "a.md", "note": null, "diagnostics": []}',
    "two-fields": '["a.md", null]',
    "four-fields": '["a.md", null, [], 1]',
    "path-not-string": "[1, null, []]",
    "note-short": '["a.md", ["a.md", "T"], []]',
    "note-not-list": '["a.md", 5, []]',
    "title-number": note_json(title="7"),
    "aliases-string": note_json(aliases='"alias"'),
    "tag-number": note_json(tags="[1]"),
    "offset-string": note_json(keys='"[]"', offset='"0"'),
    "offset-bool": note_json(offset="true"),
    "offset-float": note_json(offset="1.5"),
    "link-kind": note_json(links='[["x","hyperlink","[[x]]","","",""]]'),
    "link-short": note_json(links='[["x","wikilink"]]'),
    "link-none": note_json(links='[["x","wikilink","[[x]]",null,"",""]]'),
    "term-kind": note_json(terms='[["k","l","word",1]]'),
    "term-count": note_json(terms='[["k","l","tag","1"]]'),
    "word-number": note_json(words="[1]", counts="[1]"),
    "count-string": note_json(words='["w"]', counts='["1"]'),
    "words-string": note_json(words='"w"'),
    "counts-short": note_json(words='["w", "x"]', counts="[1]"),
    "forms-string": note_json(forms='"colourfulness"'),
    "form-number": note_json(forms="[1]"),
    "pairs-list": note_json(pairs="[1, 2]"),
    "pairs-not-base64": note_json(pairs='"not base64!"'),
    "pairs-not-4-bytes": note_json(pairs='"AAE="'),
    "pairs-not-ascii": note_json(pairs='"AAAAé"'),
    "lines-not-8-bytes": note_json(lines='"AAAAAA=="'),
    "boilerplate-list": note_json(boilerplate="[1]"),
    "severity": '["a.md", null, [["a.md","code","msg","fatal"]]]',
    "diagnostic-short": '["a.md", null, [["a.md","code"]]]',
}


@pytest.mark.parametrize("text", list(MALFORMED.values()), ids=list(MALFORMED))
def test_codec_rejects_malformed_input(text: str) -> None:
    with pytest.raises(ValueError):
        decode_parsed(text)


def test_codec_accepts_what_it_wrote_only() -> None:
    """Sanity check of the malformed table above: its base shape does decode."""
    assert decode_parsed(note_json()).note is not None
    assert decode_parsed(note_json(words='["w"]', counts="[2]")).note is not None
    assert decode_parsed(note_json(forms='["colourfulness"]')).note is not None
    assert decode_parsed(note_json(pairs='"AAAAAAEAAAA="')).note is not None
    assert decode_parsed(note_json(lines='"AAAAAAEAAAA="', boilerplate='"AAAAAAEAAAA="')).note is not None


def test_codec_rejects_deeply_nested_json() -> None:
    with pytest.raises(ValueError):
        decode_parsed("[" * 100_000)


WRONG_TYPES_ACCEPTED = {
    "is-stub-string": note_json(is_stub='"yes"'),
    "is-stub-null": note_json(is_stub="null"),
    "diagnostics-object": '["a.md", null, {}]',
    "links-string": note_json(links='""'),
}


@pytest.mark.parametrize("text", list(WRONG_TYPES_ACCEPTED.values()), ids=list(WRONG_TYPES_ACCEPTED))
def test_codec_rejects_wrong_types(text: str) -> None:
    with pytest.raises(ValueError):
        decode_parsed(text)


# --- 2. parse_key ----------------------------------------------------------------------------------


@HYPOTHESIS
@given(text=note_texts(), first=RELATED_LINES, second=RELATED_LINES, data=st.data())
def test_writing_managed_blocks_keeps_the_parse_key_and_the_parse(
    text: str, first: list[str], second: list[str], data: st.DataObject
) -> None:
    anchors = [content_end_of_text(text), *line_ends(text, frontmatter_extent(text))]
    anchor = data.draw(st.sampled_from(anchors), label="anchor")
    once = set_block(text, "related", first, anchor)
    assert once != text
    rewritten = set_block(once, "related", second, anchor)
    with_backlinks = set_block(rewritten, "backlinks", ["- [[Bike fit]]"], content_end_of_text(rewritten))
    key = parse_key(text.encode())
    parsed = parse_note("dir/Note.md", text.encode(), Config())
    for new in (once, rewritten, with_backlinks):
        assert parse_note("dir/Note.md", new.encode(), Config()) == parsed
        assert parse_key(new.encode()) == key
    # Rewriting the lines of a block that is there already never changes the key.
    assert parse_key(rewritten.encode()) == parse_key(once.encode())


@pytest.mark.parametrize("at", ["end", "middle"])
@pytest.mark.parametrize("opener", ["---", "+++"])
def test_crlf_note_with_frontmatter_keeps_its_key_after_a_block(opener: str, at: str) -> None:
    title = "title: T" if opener == "---" else 'title = "T"'
    text = f"{opener}\r\n{title}\r\n{opener}\r\n# T\r\n\r\nSome prose.\r\nMore prose.\r\n"
    anchor = content_end_of_text(text) if at == "end" else text.index("Some prose.") + len("Some prose.")
    new = set_block(text, "related", ["## Related", "- [[Y]]"], anchor)
    assert parse_note("n.md", new.encode(), Config()) == parse_note("n.md", text.encode(), Config())
    assert parse_key(new.encode()) == parse_key(text.encode())


@HYPOTHESIS
@given(one=note_texts(), other=note_texts(), lines=RELATED_LINES)
def test_different_user_text_gives_a_different_key(one: str, other: str, lines: list[str]) -> None:
    if one == other:
        other += " changed"
    assert parse_key(one.encode()) != parse_key(other.encode())
    with_block = set_block(one, "related", lines, content_end_of_text(one))
    assert parse_key(with_block.encode()) != parse_key(other.encode())


def test_parse_key_sees_any_change_outside_well_formed_blocks() -> None:
    plain = "# Note\n\nSome prose.\n"
    text = set_block(plain, "related", ["- [[A]]"], content_end_of_text(plain))
    key = parse_key(text.encode())
    assert parse_key(plain.encode()) == key
    assert parse_key(text.replace("[[A]]", "[[B]]").encode()) == key  # inside the block
    assert parse_key(text.replace("prose", "prosE").encode()) != key
    assert parse_key(text.replace("<!-- /vaultlink:related -->", "<!-- /vaultlink:relate -->").encode()) != key
    assert parse_key(("\ufeff" + text).encode()) == key  # a BOM is not read, so not keyed either
    assert parse_key(b"\xff" + text.encode()) != parse_key(b"\xfe" + text.encode())  # undecodable: raw bytes


@pytest.mark.parametrize(
    "text",
    ["---\ntitle: X\n---\n", "+++\ntitle = 'X'\n+++\n", '{\n"title": "X"\n}\n', "---\ntitle: X\n---\n\n"],
    ids=["yaml", "toml", "json", "yaml-blank-line"],
)
def test_block_after_frontmatter_only_note_keeps_key_and_parse(text: str) -> None:
    new = set_block(text, "related", ["## Related", "- [[Y]]"], content_end_of_text(text))
    assert parse_key(new.encode()) == parse_key(text.encode())
    assert parse_note("n.md", new.encode(), Config()) == parse_note("n.md", text.encode(), Config())


# --- 3. the cache never changes output ------------------------------------------------------------


@pytest.mark.slow
def test_cache_never_changes_what_is_written_or_reported(
    synced: Synced, synced_twins: tuple[Path, Path], tmp_path: Path
) -> None:
    # The first sync, with a cache made on the way and without one: ``synced`` compared them.
    cached, plain = synced_twins
    assert synced.report.warnings == []
    assert outcome(synced.report) == outcome(synced.plain_report)
    assert snapshot(cached) == snapshot(plain) != snapshot(pristine_sample())

    for root in synced_twins:
        append(root, EDITED, PROSE)
    # Read-only commands with a cache that is stale for one note, then sync.
    assert sorted(app.check_vault(cached).diagnostics, key=str) == sorted(
        app.check_vault(plain, app.NO_CACHE).diagnostics, key=str
    )
    assert app.related_notes(cached, None, top=10) == app.related_notes(plain, None, top=10, cache=app.NO_CACHE)
    assert app.related_notes(cached, "Sauerkraut", top=10) == app.related_notes(
        plain, "Sauerkraut", top=10, cache=app.NO_CACHE
    )
    app.export_graph(cached, tmp_path / "cached.graphml")
    app.export_graph(plain, tmp_path / "plain.graphml", app.NO_CACHE)
    assert (tmp_path / "cached.graphml").read_bytes() == (tmp_path / "plain.graphml").read_bytes()

    second = sync_both(cached, plain)
    assert second[0].changed
    assert second[0].unchanged is False
    assert_same(cached, plain, *second)

    # And once more with the cache warm and current.
    assert sorted(app.check_vault(cached).diagnostics, key=str) == sorted(
        app.check_vault(plain, app.NO_CACHE).diagnostics, key=str
    )
    assert app.related_notes(cached, None, top=10) == app.related_notes(plain, None, top=10, cache=app.NO_CACHE)
    app.export_graph(cached, tmp_path / "cached2.graphml")
    app.export_graph(plain, tmp_path / "plain2.graphml", app.NO_CACHE)
    assert (tmp_path / "cached2.graphml").read_bytes() == (tmp_path / "plain2.graphml").read_bytes()


# --- 4. warm no-op, and every change that must end it ----------------------------------------------


def test_second_sync_is_a_warm_no_op(twins: tuple[Path, Path]) -> None:
    cached, plain = twins
    sync_both(cached, plain)
    before, times = snapshot(cached), mtimes(cached)
    again, plain_again = sync_both(cached, plain)
    assert again.unchanged is True
    assert again.pending == 0
    assert again.warnings == []
    assert plain_again.pending == 0
    assert again.scanned == plain_again.scanned
    assert again.skipped == plain_again.skipped
    assert snapshot(cached) == before
    assert mtimes(cached) == times
    # A third run is just as quiet.
    assert app.sync(cached).unchanged is True


def edit_note(root: Path) -> None:
    append(root, EDITED, PROSE)


def add_note(root: Path) -> None:
    (root / "cooking" / "Miso.md").write_text(
        "# Miso\n\nMiso ferments like sauerkraut: lactic acid bacteria, salt, patience. See [[Kimchi notes]].\n"
    )


def delete_note(root: Path) -> None:
    (root / "cycling" / "Bike fit.md").unlink()


def rename_note(root: Path) -> None:
    (root / "astronomy" / "Jupiter observing.md").rename(root / "astronomy" / "Jupiter.md")


def change_settings(root: Path) -> None:
    (root / ".vaultlink.toml").write_text('ignore = ["cycling/"]\n')


def nothing(root: Path) -> None:
    pass


CHANGES: dict[str, tuple[Callable[[Path], None], int | None]] = {
    "edit": (edit_note, None),
    "add": (add_note, None),
    "delete": (delete_note, None),
    "rename": (rename_note, None),
    "settings": (change_settings, None),
    "option-top": (nothing, 2),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_ends_the_no_op_and_gives_the_uncached_result(synced_twins: tuple[Path, Path], change: str) -> None:
    cached, plain = synced_twins
    mutate, top = CHANGES[change]
    assert app.sync(cached).unchanged is True
    for root in synced_twins:
        mutate(root)
    after, plain_after = sync_both(cached, plain, top=top)
    assert after.unchanged is False
    assert after.pending > 0
    assert_same(cached, plain, after, plain_after)
    settled, plain_settled = sync_both(cached, plain, top=top)
    assert settled.unchanged is True
    assert (settled.scanned, settled.pending) == (plain_settled.scanned, plain_settled.pending)


# --- 5. a change the stat stamp could miss ---------------------------------------------------------


@pytest.mark.parametrize("how", ["in-place", "replaced"])
def test_same_size_rewrite_with_restored_mtime_is_seen(
    synced_twins: tuple[Path, Path], how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cached, plain = synced_twins
    old_ns = time.time_ns() - 3_600_000_000_123
    for rel in snapshot(cached):  # every note looks long unchanged: its stamp is trusted from the next run on
        os.utime(cached / rel, ns=(old_ns, old_ns))
    assert app.sync(cached).unchanged is True

    reads: list[str] = []

    def counting_read(root: Path, rel: str, max_bytes: int) -> NoteFile | Diagnostic:
        reads.append(rel)
        return read_note_file(root, rel, max_bytes)

    with monkeypatch.context() as patch:
        patch.setattr(vaultlink.memo, "read_note_file", counting_read)
        patch.setattr(vaultlink.scan, "read_note_file", counting_read)
        assert app.sync(cached).unchanged is True
    assert reads == []  # trusted stamps: nothing was read, so only the stamp can reveal a change

    with edit_db(cached / STATE / CACHE_FILE) as db:
        (recorded_ctime,) = db.execute("SELECT ctime_ns FROM files WHERE path = ?", (EDITED,)).fetchone()
    data = (cached / EDITED).read_bytes()
    new = data.replace(b"Plain this time", b"Spicy this time")
    assert new != data and len(new) == len(data)
    (plain / EDITED).write_bytes(new)
    plain_after = app.sync(plain, cache=app.NO_CACHE)  # also puts time between stamp and rewrite

    path = cached / EDITED
    before = path.stat()
    if how == "in-place":
        path.write_bytes(new)
    else:
        (cached / "cooking" / "tmp").write_bytes(new)
        os.replace(cached / "cooking" / "tmp", path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after_stat = path.stat()
    assert (after_stat.st_size, after_stat.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert after_stat.st_ctime_ns != recorded_ctime
    assert (after_stat.st_ino == before.st_ino) == (how == "in-place")

    after = app.sync(cached)
    assert after.unchanged is False
    assert_same(cached, plain, after, plain_after)


# --- 6. a damaged cache ----------------------------------------------------------------------------


def garbage(cache: Path) -> None:
    cache.write_bytes(b"this is not a database, just a file someone's sync tool mangled\n" * 50)


def truncated(cache: Path) -> None:
    data = cache.read_bytes()
    cache.write_bytes(data[: len(data) // 3])


def foreign(cache: Path) -> None:
    with edit_db(cache) as db:
        db.execute("UPDATE meta SET value = 'vaultlink-cache/0 vaultlink/0.0.1' WHERE key = 'format'")


def row_not_json(cache: Path) -> None:
    with edit_db(cache) as db:
        db.execute("UPDATE files SET parsed = '{not json' WHERE path = ?", (OTHER,))


def row_of_another_path(cache: Path) -> None:
    with edit_db(cache) as db:
        (other,) = db.execute("SELECT parsed FROM files WHERE path = 'Home.md'").fetchone()
        assert other is not None and decode_parsed(other).path == "Home.md"
        db.execute("UPDATE files SET parsed = ? WHERE path = ?", (other, OTHER))


DAMAGE: dict[str, tuple[Callable[[Path], None], bool | None]] = {
    # name: (damage, whether a warning is due: True, False, or None for "either")
    "garbage": (garbage, True),
    "truncated": (truncated, None),
    "foreign": (foreign, True),
    "row-not-json": (row_not_json, False),
    "row-of-another-path": (row_of_another_path, False),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_cache_is_survived_and_rebuilt(synced_twins: tuple[Path, Path], damage: str) -> None:
    cached, plain = synced_twins
    spoil, warned = DAMAGE[damage]
    cache = cached / STATE / CACHE_FILE
    spoil(cache)
    for root in synced_twins:  # a real change, so the whole vault is read through the damaged cache
        edit_note(root)
    after, plain_after = sync_both(cached, plain)
    assert after.unchanged is False
    assert_same(cached, plain, after, plain_after)
    named = cache_warnings(after.warnings, cache)
    if warned is True:
        assert len(named) == len(after.warnings) == 1
        assert "rebuilt" in named[0].message
    elif warned is False:
        assert after.warnings == []
    rebuilt = app.sync(cached)
    assert rebuilt.unchanged is True
    assert rebuilt.warnings == []
    assert state_files(cached) == CACHE_ONLY


@pytest.mark.parametrize("damage", ["garbage", "foreign"])
def test_cli_reports_a_damaged_cache_in_one_warning_line(synced_twins: tuple[Path, Path], damage: str) -> None:
    cached, plain = synced_twins
    DAMAGE[damage][0](cached / STATE / CACHE_FILE)
    edit_note(cached)
    edit_note(plain)
    result = run("sync", str(cached))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert str(cached / STATE / CACHE_FILE) in warnings[0]
    assert ": cache: " in warnings[0]
    app.sync(plain, cache=app.NO_CACHE)
    assert snapshot(cached) == snapshot(plain)
    assert app.sync(cached).unchanged is True


def test_files_row_with_a_wrongly_typed_stamp_is_survived(synced_twins: tuple[Path, Path]) -> None:
    cached, _plain = synced_twins
    with edit_db(cached / STATE / CACHE_FILE) as db:
        db.execute("UPDATE files SET mtime_ns = 'soon' WHERE path = ?", (OTHER,))
    after = app.sync(cached)
    assert after.pending == 0


def test_files_row_with_deeply_nested_json_is_survived(synced_twins: tuple[Path, Path]) -> None:
    cached, plain = synced_twins
    with edit_db(cached / STATE / CACHE_FILE) as db:
        db.execute("UPDATE files SET parsed = ? WHERE path = ?", ("[" * 100_000, OTHER))
    for root in synced_twins:
        edit_note(root)
    after, plain_after = sync_both(cached, plain)
    assert_same(cached, plain, after, plain_after)


@pytest.mark.parametrize("command", [["check"], ["related", "--all", "--json"], ["graph", "-o", "{out}"]])
def test_read_only_command_with_a_damaged_cache_warns_and_leaves_it(
    synced_twins: tuple[Path, Path], command: list[str], tmp_path: Path
) -> None:
    cached, plain = synced_twins
    cache = cached / STATE / CACHE_FILE
    garbage(cache)
    before = tree(cached)
    options = [arg.format(out=tmp_path / "cached.graphml") for arg in command[1:]]
    plain_options = [arg.format(out=tmp_path / "plain.graphml") for arg in command[1:]]
    result = run(command[0], str(cached), *options)
    plain_result = run(command[0], str(plain), *plain_options, "--no-cache")
    assert result.exit_code == plain_result.exit_code
    assert result.stdout.replace(str(cached), "V").replace("cached.graphml", "G") == plain_result.stdout.replace(
        str(plain), "V"
    ).replace("plain.graphml", "G")
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(cache) in warnings[0]
    assert tree(cached) == before  # a read-only command neither rebuilds nor deletes it


# --- 7. no place for the cache ---------------------------------------------------------------------


def test_cache_folder_that_cannot_be_made_is_a_warning(synced: Synced, tmp_path: Path) -> None:
    cached, plain, plain_report = copy_sample(tmp_path, "v"), synced.plain, synced.plain_report
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    folder = blocker / "cache"
    report = app.sync(cached, cache=app.CacheOptions(folder=folder))
    assert len(report.warnings) == 1
    assert report.warnings[0].code == "cache"
    assert report.warnings[0].path == str(folder / CACHE_FILE)
    assert report.pending > 0
    assert_same(cached, plain, report, plain_report)
    assert not (cached / STATE).exists()
    assert blocker.read_text() == "not a folder\n"


def test_cli_cache_dir_that_cannot_be_made_is_a_warning(synced: Synced, tmp_path: Path) -> None:
    cached = copy_sample(tmp_path, "v")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("sync", str(cached), "--cache-dir", str(blocker / "cache"))
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(blocker / "cache" / CACHE_FILE) in warnings[0]
    assert snapshot(cached) == snapshot(synced.plain)
    assert not (cached / STATE).exists()


# --- 8. read-only commands -------------------------------------------------------------------------

READ_ONLY: dict[str, list[str]] = {
    "sync-dry-run": ["sync", "{vault}", "--dry-run"],
    "sync-check": ["sync", "{vault}", "--check"],
    "check": ["check", "{vault}"],
    "graph": ["graph", "{vault}", "-o", "{out}"],
    "related": ["related", "{vault}", "--all", "--json"],
    "related-one": ["related", "{vault}", "Sauerkraut"],
    "clean-dry-run": ["clean", "{vault}", "--dry-run"],
}


def run_read_only(command: str, vault: Path, out: Path) -> None:
    result = run(*(arg.format(vault=vault, out=out) for arg in READ_ONLY[command]))
    assert result.exit_code in (0, 1), result.output
    assert "warning:" not in result.stderr


SMALL: dict[str, str | bytes] = {
    "Sauerkraut.md": "# Sauerkraut\n\nLactic acid bacteria sour the cabbage brine. Cabbage brine and lactic acid "
    "bacteria again. See [[Kimchi]] and [[Miso]].\n",
    "Kimchi.md": "# Kimchi\n\nLactic acid bacteria in a cabbage brine, with garlic. Cabbage brine; lactic acid "
    "bacteria.\n",
    "sub/Telescope.md": "---\ntitle: Telescope\n---\nDark skies, far from [[Sauerkraut]].\r\n",
    ".obsidian/app.json": "{}\n",
}


@pytest.mark.parametrize("command", list(READ_ONLY))
def test_read_only_commands_make_no_cache(make_vault: VaultFactory, tmp_path: Path, command: str) -> None:
    vault = make_vault(SMALL)
    before = tree(vault)
    run_read_only(command, vault, tmp_path / "out.graphml")
    assert tree(vault) == before


@pytest.mark.parametrize("command", list(READ_ONLY))
def test_read_only_commands_leave_an_existing_cache_alone(
    synced_twins: tuple[Path, Path], tmp_path: Path, command: str
) -> None:
    vault, _plain = synced_twins
    edit_note(vault)  # something the cache does not know yet, so there would be something to record
    before = tree(vault)
    run_read_only(command, vault, tmp_path / "out.graphml")
    assert tree(vault) == before


@pytest.fixture
def parse_spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path ``parse_many`` parses (the scan's only way to parse)."""
    parsed: list[str] = []

    def spy(rel: str, data: bytes, config: Config, boilerplate: frozenset[int]) -> ParsedNote:
        parsed.append(rel)
        return parse_note(rel, data, config, boilerplate)

    monkeypatch.setattr(parallel, "parse_note", spy)
    return parsed


READERS: dict[str, Callable[[Path, Path], object]] = {
    "check": lambda vault, out: app.check_vault(vault),
    "graph": lambda vault, out: app.export_graph(vault, out),
    "related": lambda vault, out: app.related_notes(vault, None, top=10),
    "sync-dry-run": lambda vault, out: app.sync(vault, dry_run=True),
    "clean-dry-run": lambda vault, out: app.clean(vault, dry_run=True),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_read_only_commands_use_an_existing_cache(
    synced_twins: tuple[Path, Path], tmp_path: Path, parse_spy: list[str], reader: str
) -> None:
    vault, _plain = synced_twins
    app.scan_vault(vault, app.CacheOptions())  # a full writable scan: the stubs sync created are cached too
    parse_spy.clear()
    READERS[reader](vault, tmp_path / "out.graphml")
    assert parse_spy == []
    edit_note(vault)
    READERS[reader](vault, tmp_path / "out.graphml")
    assert parse_spy == [EDITED]


def test_check_after_a_sync_parses_nothing(synced_twins: tuple[Path, Path], parse_spy: list[str]) -> None:
    vault, _plain = synced_twins
    assert app.sync(vault).unchanged is True
    parse_spy.clear()
    app.check_vault(vault)
    assert parse_spy == []


def test_without_a_cache_everything_is_parsed(synced_twins: tuple[Path, Path], parse_spy: list[str]) -> None:
    vault, _plain = synced_twins
    scan = app.check_vault(vault, app.NO_CACHE)
    assert sorted(parse_spy) == sorted(n.path for n in scan.notes)


# --- 8b. parses are written as they come ------------------------------------------------------------


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, not even ``save``."""


def killed_after_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next sync dies after reading every note (batches of 4 rows), before the cache is saved."""
    monkeypatch.setattr(cache, "BATCH", 4)
    monkeypatch.setattr(cache.ScanCache, "save", lambda self: None)

    def die(*args: object, **kwargs: object) -> None:
        raise Killed

    monkeypatch.setattr(app, "rank_all", die)


def stored_parses(root: Path) -> dict[str, str]:
    with contextlib.closing(sqlite3.connect(root / STATE / CACHE_FILE)) as db:
        return dict(db.execute("SELECT path, parse_key FROM files WHERE parsed IS NOT NULL").fetchall())


def test_a_scan_killed_midway_leaves_the_batches_it_wrote(
    twins: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, parse_spy: list[str]
) -> None:
    cached, plain = twins
    with monkeypatch.context() as patch:
        killed_after_reading(patch)
        with pytest.raises(Killed):
            app.sync(cached)
    notes = sorted(parse_spy)
    stored = stored_parses(cached)
    assert len(stored) == len(notes) - len(notes) % 4  # every full batch, none of the rest
    assert all(stored[rel] == parse_key((cached / rel).read_bytes()) for rel in stored)
    parse_spy.clear()
    after = app.sync(cached)
    assert sorted(parse_spy) == sorted(set(notes) - set(stored))  # what the killed run wrote is used
    assert_same(cached, plain, after, app.sync(plain, cache=app.NO_CACHE))
    assert app.sync(cached).unchanged is True


def test_rows_written_under_another_config_are_never_used(
    synced_twins: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed config empties the cache; a run killed after its first batch leaves the new config's
    meta with its rows (written in one transaction), never new rows under the old meta."""
    cached, plain = synced_twins
    for root in synced_twins:
        (root / ".vaultlink.toml").write_text("related_top = 2\n")
    with monkeypatch.context() as patch:
        killed_after_reading(patch)
        with pytest.raises(Killed):
            app.sync(cached)
    with contextlib.closing(sqlite3.connect(cached / STATE / CACHE_FILE)) as db:
        (config,) = db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
    assert config == cache.config_key(load_config(cached))
    after, plain_after = sync_both(cached, plain)
    assert_same(cached, plain, after, plain_after)


def test_a_parse_not_yet_written_is_found_in_memory(tmp_path: Path) -> None:
    root = copy_sample(tmp_path, "v")
    config = load_config(root)
    store, warning = cache_file.open_cache(root / STATE, config)
    assert store is not None and warning is None
    file = read_note_file(root, OTHER, config.max_bytes)
    assert isinstance(file, NoteFile)
    key = parse_key(file.data)
    note = parse_note(OTHER, file.data, config)
    store.record(OTHER, file.stamp, "digest", key, note)
    assert store.parsed(OTHER, key) == note  # pending: not in the database yet
    assert store.parsed(OTHER, "another key") is None
    assert store.save() is None
    assert store.parsed(OTHER, key) == note  # from the database now
    store.close()


# --- 9. clean leaves no trace ----------------------------------------------------------------------


def test_clean_removes_the_cache_and_restores_every_byte(tmp_path: Path) -> None:
    vault = copy_sample(tmp_path, "v")
    (vault / ".obsidian").mkdir()
    (vault / ".obsidian" / "app.json").write_text("{}\n")
    original = tree(vault)
    assert app.sync(vault).pending > 0
    assert app.sync(vault).unchanged is True
    assert (vault / STATE / CACHE_FILE).is_file()
    report = app.clean(vault)
    assert report.warnings == []
    assert tree(vault) == original


def test_cli_clean_with_cache_dir_removes_that_cache(synced: Synced, tmp_path: Path) -> None:
    original = tree(copy_sample(tmp_path, "pristine"))
    vault = shutil.copytree(synced.plain, tmp_path / "v" / "sample_vault")
    folder = tmp_path / "caches" / "v"
    shutil.copytree(synced.cached / STATE, folder)  # as if synced with --cache-dir
    result = run("clean", str(vault), "--cache-dir", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert tree(vault) == original
    assert not folder.exists()
    assert (tmp_path / "caches").is_dir()  # only the cache's own folder goes


# --- 10. where the cache lives ---------------------------------------------------------------------


def test_cli_cache_dir_puts_the_cache_there(tmp_path: Path) -> None:
    vault = copy_sample(tmp_path, "v")
    folder = tmp_path / "elsewhere" / "cache"
    result = run("sync", str(vault), "--cache-dir", str(folder))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert sorted(p.name for p in folder.iterdir()) == CACHE_ONLY
    assert not (vault / STATE).exists()
    assert app.sync(vault, cache=app.CacheOptions(folder=folder)).unchanged is True
    assert not (vault / STATE).exists()


def test_cache_options_folder_puts_the_cache_there(synced: Synced, tmp_path: Path) -> None:
    cached = copy_sample(tmp_path, "v")
    folder = tmp_path / "elsewhere"
    report = app.sync(cached, cache=app.CacheOptions(folder=folder))
    assert report.warnings == []
    assert_same(cached, synced.plain, report, synced.plain_report)
    assert sorted(p.name for p in folder.iterdir()) == CACHE_ONLY
    assert not (cached / STATE).exists()
    again = app.sync(cached, cache=app.CacheOptions(folder=folder))
    assert again.unchanged is True
    assert not (cached / STATE).exists()


def test_cli_no_cache_leaves_no_state(tmp_path: Path) -> None:
    vault = copy_sample(tmp_path, "v")
    result = run("sync", str(vault), "--no-cache")
    assert result.exit_code == 0, result.output
    assert not (vault / STATE).exists()
    assert "<!-- vaultlink:related -->" in (vault / EDITED).read_text()
    assert run("check", str(vault), "--no-cache").exit_code in (0, 1)
    assert not (vault / STATE).exists()


# --- 11. settings change -------------------------------------------------------------------------


def test_settings_change_invalidates_cached_parses(synced_twins: tuple[Path, Path], parse_spy: list[str]) -> None:
    cached, plain = synced_twins
    assert app.sync(cached).unchanged is True
    for root in synced_twins:
        (root / ".vaultlink.toml").write_text("terms_per_note = 5\n")
    parse_spy.clear()
    after = app.sync(cached)
    count = len(parse_spy)
    plain_after = app.sync(plain, cache=app.NO_CACHE)
    assert after.unchanged is False
    assert after.pending > 0
    assert count == after.scanned  # nothing reused from the old settings
    assert_same(cached, plain, after, plain_after)


def interrupted_sync(root: Path) -> None:
    """A sync stopped (Ctrl-C, a crash) after the scan and before any write."""
    with pytest.MonkeyPatch.context() as patch:

        def stop(*args: object) -> None:
            raise KeyboardInterrupt

        patch.setattr(app, "_sync_plan", stop)
        with pytest.raises(KeyboardInterrupt):
            app.sync(root)


WRITABLE_READS: dict[str, Callable[[Path], object]] = {
    "check-with-writable-cache": lambda root: app.check_vault(root, app.CacheOptions()),
    "interrupted-sync": interrupted_sync,
}


@pytest.mark.parametrize("between", list(WRITABLE_READS))
def test_settings_change_then_a_writable_scan_still_syncs(synced_twins: tuple[Path, Path], between: str) -> None:
    cached, plain = synced_twins
    for root in synced_twins:
        (root / ".vaultlink.toml").write_text("terms_per_note = 5\n")
    WRITABLE_READS[between](cached)
    after, plain_after = sync_both(cached, plain)
    assert after.unchanged is False
    assert_same(cached, plain, after, plain_after)


# --- 12. parsing in worker processes ---------------------------------------------------------------


def test_parse_many_in_processes_equals_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    items = sample_items()
    config = load_config(pristine_sample())
    serial = [parse_note(rel, data, config) for rel, data in items]
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "_CHUNK", 4)  # several chunks, so order across them is tested
    assert parallel.parse_many(items, config, workers=2) == serial
    assert parallel.parse_many(items[:1], config, workers=2) == serial[:1]
    assert parallel.parse_many([], config, workers=2) == []


def test_parse_many_in_processes_shares_equal_links(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each worker's result arrives as objects of its own; equal links (a hub cited by many notes)
    are one object in this process, as interned words are."""
    config = load_config(pristine_sample())
    items = [(f"n{i}.md", b"# N\n\nSee [[Home]] and [[Fermentation]].\n") for i in range(8)]
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "_CHUNK", 2)
    notes = [p.note for p in parallel.parse_many(items, config, workers=2)]
    assert all(n is not None and len(n.links) == 2 for n in notes)
    first = notes[0]
    assert first is not None
    assert all(n is not None and n.links[k] is first.links[k] for n in notes for k in range(2))


def test_parse_many_in_processes_unfreezes_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers are forked with this process's objects frozen out of the garbage collector (so a
    collection there copies none of their pages); here they are collectable again at once."""
    config = load_config(pristine_sample())
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    frozen_before = gc.get_freeze_count()
    assert parallel.parse_many(sample_items()[:4], config, workers=2)
    assert gc.get_freeze_count() == frozen_before


class _NoProcesses:
    """A process pool on a machine out of processes (or a sandbox without semaphores)."""

    def __init__(self, *_args: object, **_kwargs: object) -> None:
        raise OSError(errno.EAGAIN, os.strerror(errno.EAGAIN))


def _worker_dies(_job: object) -> list[ParsedNote]:
    os._exit(1)  # as if the OOM killer took it: the pool breaks


@pytest.mark.parametrize("fault", ["no worker can start", "a worker dies"])
def test_parse_many_parses_here_when_the_workers_fail(monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    items = sample_items()
    config = load_config(pristine_sample())
    serial = [parse_note(rel, data, config) for rel, data in items]
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    if fault == "no worker can start":
        monkeypatch.setattr(parallel, "ProcessPoolExecutor", _NoProcesses)
    else:
        monkeypatch.setattr(parallel, "_parse_chunk", _worker_dies)
    assert parallel.parse_many(items, config, workers=2) == serial


# --- 13. what the cache folder holds ---------------------------------------------------------------


def test_cache_folder_holds_the_cache_and_its_gitignore_only(synced: Synced, tmp_path: Path) -> None:
    assert state_files(synced.cached) == CACHE_ONLY
    assert (synced.cached / STATE / ".gitignore").read_bytes() == b"*\n"
    assert GITIGNORE == "*\n"
    assert state_files(synced.plain) == []
    vault = shutil.copytree(synced.cached, tmp_path / "v" / "sample_vault")
    edit_note(vault)
    app.sync(vault)
    assert state_files(vault) == CACHE_ONLY
