"""Bad input: generated vaults far wilder than test_plan.py's, and a table of explicit nasty files.

The property (hypothesis) draws a few notes that link to each other by every form of link, including
absurd ones, with arbitrary Unicode (control characters, U+2028, U+0085 …), LF/CRLF/CR/mixed endings, a
BOM, frontmatter of every kind (YAML, TOML, JSON; valid, broken, unclosed, not a mapping), managed-block
markers typed by the user in odd places (alone, inline, in code, in frontmatter, unknown names), odd file
names, and Obsidian settings that place new notes anywhere (even ``../``). For each vault:

- ``sync`` never raises, and writes only inside the vault (an audit hook sees every write);
- ``sync(sync(v)) == sync(v)`` and the second sync writes no file;
- ``clean(sync(v)) == v`` byte for byte, files and folders;
- files beside the vault are untouched; nothing runs a program or opens a connection.

Markers are generated so that the user never types a *complete* block (start and end marker of one
name, in order) outside fenced code: such a block is vaultlink's by definition. Complete blocks in
code samples are generated, and are the user's text.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ONE_CITER, VaultFactory, examples, slow_but
from faultkit import folders, recording, snapshot, temp_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.config import load_config
from vaultlink.core.blocks import remove_all_blocks
from vaultlink.core.parse import parse_note
from vaultlink.core.plan import UNSAFE_EDIT, SyncOptions
from vaultlink.core.resolve import NoteIndex, Outcome, resolve_link

VAULT = "vault"
NAMES = [
    "Alpha",
    "beta note",
    "sub/Gämma",
    "sub/deeper/Épsilon",
    "🚀 rocket",
    "C# notes",
    "block^ref",
    "pipe|name",
    " leading space",
    "trailing space ",
    "Case",
    "case",
    "Caf\u00e9",  # NFC
    "Cafe\u0301",  # NFD: the same name to a human and to Obsidian
    "[[brackets]]",
    "100% real",
]
MISSING = ["Ghost", "ghost", "sub/Phantom", "new/dir/Plan", "Gh\u00f6st", "Gho\u0308st", "a" * 120]
ABSURD = [
    "[[]]",
    "[[|]]",
    "[[#]]",
    "[[#^]]",
    "[[^]]",
    "[[ ]]",
    "[[[[nested]]]]",
    "[[a]]]]",
    "[[a|b|c]]",
    "[[../../../etc/passwd]]",
    "[[/etc/passwd]]",
    "[[C:\\Windows\\x]]",
    "[[~/.ssh/id_rsa]]",
    "[[.vaultlink/lock]]",
    "[[.obsidian/app]]",
    "![[../outside]]",
    "[x](../../outside.md)",
    "[x](/etc/passwd)",
    "[x](file:///etc/passwd)",
    "[x](http://127.0.0.1:9/evil.md)",
    "![img](https://example.invalid/x.png)",
    "[x](<../with space.md>)",
    "[x](%2e%2e/%2e%2e/enc.md)",
    "[x](sub/..%2F..%2Fescape.md)",
    "~/vault/../../escape.md",
    "~/vault/",
    "~/vault//double.md",
    "~/vault/.vaultlink/lock",
    "[[" + "x" * 300 + "]]",
    "[[" + "é/" * 40 + "deep]]",
    "[[a\\|b]]",
    "[x]()",
    "[[\u202eevil\u202c]]",
    '<a href="../../x.md">x</a>',
    "<script>fetch('http://127.0.0.1:9/')</script>",
]
MARKERS = [
    "<!-- vaultlink:related -->",
    "<!-- /vaultlink:related -->",
    "<!-- vaultlink:backlinks -->",
    "<!-- /vaultlink:backlinks -->",
    "<!--vaultlink:related-->",
    "<!-- vaultlink:unknown-name -->",
    "<!-- VAULTLINK:related -->",
    "<!-- vaultlink:Related -->",
    "<!-- vaultlink: -->",
    "<!-- vaultlink:related",
    "vaultlink:related -->",
]
PHRASES = ["sourdough starter", "bulk fermentation", "dark sky site", "light pollution", "research taste"]
ENDINGS = ["\n", "\r\n", "\r"]

# Anything but surrogates (not encodable) and NUL (makes the note binary; its own case below).
wild_text = st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=30)
odd_chars = st.text(st.sampled_from("ab Z./\\:#|^-é[]()<>%~\t\x0b\x0c\x1c\x85\u2028\u00a0"), min_size=1, max_size=10)


# Line kinds, weighted: typed markers make a note read-only, so they are rare enough to leave most
# notes writable.
KINDS = [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 8, 8, 9, 9, 10, 11, 12]
# Code samples holding a complete block (a note documenting vaultlink): the user's text. The info
# string keeps the opener from closing a fence left open before it, so the sample is always code.
SAMPLE_INFO = "md vaultlink sample"
SAMPLE_FENCES = ["```", "~~~", "````", "  ```", "   ~~~~~"]


def _wikilink(target: str, draw: st.DrawFn) -> str:
    anchor = draw(st.sampled_from(["", "#Heading", "#^block", "#Heading^id", "#"]))
    alias = draw(st.sampled_from(["", "|alias", "|", "|a|b"]))
    embed = draw(st.sampled_from(["", "!"]))
    return f"{embed}[[{target}{anchor}{alias}]]"


@st.composite
def lines(draw: st.DrawFn, names: list[str]) -> str:
    target = draw(st.sampled_from(names + MISSING))
    kind = draw(st.sampled_from(KINDS))
    if kind == 0:
        return draw(wild_text)
    if kind == 1:
        p, q = draw(st.sampled_from(PHRASES)), draw(st.sampled_from(PHRASES))
        return f"About the {p} and the {q}."
    if kind == 2:
        return "See " + _wikilink(target, draw) + " " + draw(wild_text)
    if kind == 3:
        return f"- ~/{VAULT}/{target}.md — why"
    if kind == 4:
        url = draw(st.sampled_from([target.replace(" ", "%20"), f"<{target}.md>", f"{target}.md"]))
        return f"[{draw(wild_text).replace(']', '')}]({url})"
    if kind == 5:
        return draw(st.sampled_from(ABSURD))
    if kind == 6:
        return f"odd [[{draw(odd_chars)}]] and ~/{VAULT}/{draw(odd_chars)}.md"
    if kind == 7:
        marker = draw(st.sampled_from(MARKERS))
        where = draw(st.sampled_from(["alone", "inline", "indented", "quoted", "fenced", "list"]))
        return {
            "alone": marker,
            "inline": f"text {marker} more",
            "indented": f"    {marker}",
            "quoted": f"> {marker}",
            "fenced": f"```\n{marker}\n```",
            "list": f"- {marker}",
        }[where]
    if kind == 8:
        return draw(st.sampled_from(["## Related", "Related", "Related:", "**See also**", "# Title", "## Backlinks"]))
    if kind == 9:
        return draw(st.sampled_from(["```", "~~~", "---", "+++", "", "    code", "- item", "> quote", "$$"]))
    if kind == 10:
        return f"#tag/{draw(odd_chars)} #{draw(st.sampled_from(PHRASES)).replace(' ', '-')}"
    if kind == 12:
        fence, name = draw(st.sampled_from(SAMPLE_FENCES)), draw(st.sampled_from(["related", "backlinks"]))
        sample = f"<!-- vaultlink:{name} -->\n- {_wikilink(target, draw)} — sample\n<!-- /vaultlink:{name} -->"
        return f"{fence}{SAMPLE_INFO}\n{sample}\n{fence.strip()}"
    return f"<!-- {draw(wild_text).replace('-->', '')} -->"


FRONTMATTER = [
    "",
    "---\ntags: [bees, sky]\ntitle: A title\naliases: [Other name, Ghost]\n---\n",
    "---\ntitle: [unclosed\n---\n",
    "---\n- a list\n- not a mapping\n---\n",
    "---\n\ttab: indented\n---\n",
    "---\n---\n",
    "---\ntitle: unclosed frontmatter\n",
    "---\ntitle: x\n# <!-- vaultlink:related -->\n---\n",
    "---\nlabels: \"a, b\"\ntags: 5\naliases: {nested: map}\n---\n",
    '+++\ntitle = "T"\n[taxonomies]\ntags = ["garden"]\n+++\n',
    "+++\ntitle = broken toml\n+++\n",
    '{\n"title": "J", "tags": ["x"], "nested": {"a": {}}\n}\n',
    '{\n"title": broken json\n}\n',
    "{\n",
    "--- \ntitle: trailing space on the opener\n---\n",
]


@dataclass(frozen=True)
class Generated:
    files: dict[str, bytes]
    options: SyncOptions


def one_marker_at_most(front: str, body: list[str]) -> list[str]:
    """Drop body lines holding a marker after the note's first (frontmatter included), so that no
    generated note holds a complete block the user typed (see the module's docstring). Markers in
    code samples are not markers."""
    seen = "vaultlink:" in front
    kept = []
    for line in body:
        if "vaultlink:" in line.lower() and SAMPLE_INFO not in line:
            if seen:
                continue
            seen = True
        kept.append(line)
    return kept


@st.composite
def vaults(draw: st.DrawFn) -> Generated:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    files: dict[str, bytes] = {}
    for name in names:
        body = draw(st.lists(lines(names), max_size=8))
        body += [f"About the {p}." for p in draw(st.lists(st.sampled_from(PHRASES), max_size=3))]
        front = draw(st.sampled_from(FRONTMATTER))
        body = one_marker_at_most(front, body)
        raw = front.splitlines() + "\n".join(body).split("\n")  # frontmatter first, as written
        ending = draw(st.sampled_from(["lf", "crlf", "cr", "mixed"]))
        if ending == "mixed":
            ends = draw(st.lists(st.sampled_from(ENDINGS), min_size=len(raw), max_size=len(raw)))
        else:
            ends = [{"lf": "\n", "crlf": "\r\n", "cr": "\r"}[ending]] * len(raw)
        if draw(st.booleans()):
            ends[-1] = ""
        text = "".join(line + end for line, end in zip(raw, ends, strict=True))
        if draw(st.booleans()):
            text = "\ufeff" + text
        files[f"{name}.md"] = text.encode("utf-8")
    config = draw(
        st.sampled_from(
            [
                None,
                {"useMarkdownLinks": True},
                {"newFileLocation": "current"},
                {"newFileLocation": "folder", "newFileFolderPath": "inbox"},
                {"newFileLocation": "folder", "newFileFolderPath": "../outside"},
                {"newFileLocation": "folder", "newFileFolderPath": "/tmp"},
                {"newFileLocation": "folder", "newFileFolderPath": "sub/../../.."},
            ]
        )
    )
    if config is not None:
        files[".obsidian/app.json"] = json.dumps(config).encode()
    options = SyncOptions(min_score=draw(st.sampled_from([0.0, 2.5])), min_citers=draw(st.sampled_from([1, 2])))
    return Generated(files, options)


@contextmanager
def written(vault: Generated) -> Iterator[Path]:
    """The vault in a fresh folder beside a sentinel note and a sibling folder that must stay untouched."""
    with tempfile.TemporaryDirectory() as tmp:
        outer = Path(tmp)
        (outer / "sentinel.md").write_bytes(b"beside the vault\n")
        (outer / "outside").mkdir()
        (outer / "outside" / "secret.md").write_bytes(b"outside the vault\n")
        root = outer / VAULT
        root.mkdir()
        for rel, data in vault.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        beside = {rel: data for rel, data in snapshot(outer).items() if not rel.startswith(VAULT + "/")}
        yield root
        after = {rel: data for rel, data in snapshot(outer).items() if not rel.startswith(VAULT + "/")}
        assert after == beside, "something was written beside the vault"
        assert folders(outer) - {f for f in folders(outer) if f == VAULT or f.startswith(VAULT + "/")} == {
            ".",
            "outside",
        }


PROPERTY = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.slow
@PROPERTY
@given(vaults())
def test_sync_is_contained_idempotent_and_undone_by_clean(vault: Generated) -> None:
    with written(vault) as root:
        original, original_folders = snapshot(root), folders(root)
        with recording() as rec:
            first = app.sync(root, vault.options)
        synced, synced_folders = snapshot(root), folders(root)
        assert rec.writes_outside(root) == []
        assert rec.reads_outside(root) == []
        assert rec.forbidden == []
        for rel, data in original.items():
            if synced[rel] != data:  # only what sync wrote was added
                assert rel.endswith(".md"), rel
                assert remove_all_blocks(synced[rel].decode("utf-8")) == data.decode("utf-8"), rel
        assert set(synced) - set(original) == set(first.created)

        second = app.sync(root, vault.options)
        assert (second.changed, second.created, second.deleted) == ([], [], [])
        assert snapshot(root) == synced
        assert folders(root) == synced_folders

        app.clean(root)
        assert snapshot(root) == original
        assert folders(root) == original_folders
        assert temp_files(root) == []


# --- explicit cases ------------------------------------------------------------------------------------------

# 5,000,000 bytes on one line, under the 5 MiB limit. (Prose, a line of dashes or a base64 data URI that
# long is read too, but takes 10-45 s per scan: see docs/reliability.md.)
FIVE_MB_LINE = "é".encode() * 2_500_000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

CASES: dict[str, dict[str, bytes]] = {
    "empty file": {"empty.md": b""},
    "only a newline": {"nl.md": b"\n"},
    "only a BOM": {"bom.md": b"\xef\xbb\xbf"},
    "only YAML frontmatter": {"fm.md": b"---\ntitle: Only\n---\n"},
    "only YAML frontmatter, no final newline": {"fm.md": b"---\ntitle: Only\n---"},
    "only TOML frontmatter": {"fm.md": b'+++\ntitle = "Only"\n+++\n'},
    "only JSON frontmatter": {"fm.md": b'{\n"title": "Only"\n}\n'},
    "only CRLF frontmatter with BOM": {"fm.md": b"\xef\xbb\xbf---\r\ntags: [a]\r\n---\r\n"},
    "5 MB single line": {"huge.md": FIVE_MB_LINE + b" [[Target]]"},
    "over the size limit": {"toobig.md": b"x" * (5 * 1024 * 1024 + 1)},
    "NUL bytes": {"nul.md": b"text\x00more [[Target]]\n"},
    "invalid UTF-8": {"latin1.md": "café [[Target]]\n".encode("latin-1")},
    "truncated UTF-8 sequence": {"cut.md": "[[Target]] é".encode()[:-1]},
    "UTF-16 with BOM": {"utf16.md": "[[Target]]\n".encode("utf-16")},
    "binary file named .md": {"image.md": PNG},
    "emoji names": {"🚀 launch.md": b"[[Target]] and [[\xf0\x9f\x8c\x99 moon]]\n"},
    "# ^ | in names": {"C# notes.md": b"[[Target]]\n", "block^ref.md": b"[[Target]]\n", "a|b.md": b"[[Target]]\n"},
    "leading and trailing spaces": {" lead.md": b"[[Target]]\n", "trail .md": b"[[Target]]\n", "sp ace.md": b"x\n"},
    "names differing only in case": {"Note.md": b"[[Target]]\n", "note.md": b"[[Target]]\n", "x.md": b"[[note]]\n"},
    "NFC and NFD names": {
        unicodedata.normalize("NFC", "Café.md"): b"[[Target]]\n",
        unicodedata.normalize("NFD", "Café.md"): b"[[Target]]\n",
    },
    "links differing only in case and normal form": {
        "x.md": "[[Ghost]] [[ghost]] [[GHOST]] [[Gh\u00f6st]] [[Gho\u0308st]]\n".encode(),
    },
}
# Files that must never be rewritten, and the diagnostic each must get.
UNREADABLE = {
    "huge.md": None,
    "toobig.md": "too-large",
    "nul.md": "binary",
    "latin1.md": "invalid-utf8",
    "cut.md": "invalid-utf8",
    "utf16.md": "binary",  # UTF-16 is full of NUL bytes
    "image.md": "binary",
}


@pytest.mark.parametrize("name", slow_but(CASES, *(name for name in CASES if name != "5 MB single line")))
def test_explicit_bad_input_never_raises_is_idempotent_and_restored(
    make_vault: VaultFactory, tmp_path: Path, name: str
) -> None:
    files: dict[str, str | bytes] = {"Target.md": "# Target\n\nThe target note.\n", **CASES[name]}
    root = make_vault(files)
    original, original_folders = snapshot(root), folders(root)
    first = app.sync(root)
    for rel, code in UNREADABLE.items():
        if rel in files and code is not None:
            assert (root / rel).read_bytes() == files[rel]
            assert (rel, code) in {(d.path, d.code) for d in first.diagnostics}, first.diagnostics
    synced = snapshot(root)
    second = app.sync(root)
    assert second.pending == 0
    assert snapshot(root) == synced
    app.clean(root)
    assert snapshot(root) == original
    assert folders(root) == original_folders
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vault"]


def test_links_differing_only_in_case_or_normal_form_make_one_stub(make_vault: VaultFactory) -> None:
    root = make_vault({**CASES["links differing only in case and normal form"], **ONE_CITER})
    report = app.sync(root)
    stubs = {unicodedata.normalize("NFC", p).casefold() for p in report.created}
    assert len(report.created) == len(stubs) == 2, report.created  # Ghost and Ghöst


def test_names_differing_only_in_case_are_two_notes_and_a_link_to_them_is_ambiguous(
    make_vault: VaultFactory,
) -> None:
    root = make_vault(CASES["names differing only in case"])
    scan = app.scan_vault(root)
    assert sorted(n.path for n in scan.notes) == ["Note.md", "note.md", "x.md"]
    assert ("x.md", "ambiguous-link") in {(d.path, d.code) for d in scan.diagnostics}
    assert [p for p in app.sync(root).created if p.casefold() == "note.md"] == []  # ambiguous is not missing


def test_nfc_and_nfd_names_are_both_read_and_neither_is_lost(make_vault: VaultFactory) -> None:
    root = make_vault({**CASES["NFC and NFD names"], "Target.md": "# Target\n", "x.md": "[[Café]]\n"})
    scan = app.scan_vault(root)
    assert len([n for n in scan.notes if n.path.startswith("Caf")]) == 2
    assert app.sync(root).created == []


def test_related_links_to_notes_with_odd_names_resolve_back(make_vault: VaultFactory) -> None:
    """The links vaultlink writes to notes named with # ^ | [ ] % spaces, emoji or NFD resolve to them."""
    odd = ["C# notes.md", "block^ref.md", "a|b.md", "[x] y.md", "100% z.md", " lead.md", "🚀 r.md", "Cafe\u0301.md"]
    phrases = [*PHRASES, "honey harvest", "varroa mites", "swarm season"]
    # A second phrase each: one shared phrase is too little to list a note (``rank.pairs``).
    seconds = ["copper kettle", "violet lantern", "granite quarry", "maple syrup", "velvet curtain", "harbor crane",
               "silver birch", "amber beacon"]  # fmt: skip
    both = [f"About the {p}. The {p} again. A {q}, the {q}." for p, q in zip(phrases, seconds, strict=True)]
    notes: dict[str, str | bytes] = {name: f"{text}\n" for name, text in zip(odd, both, strict=True)}
    notes["plain.md"] = " ".join(both) + "\n"
    root = make_vault({**notes, "other.md": "x\n", "more.md": "y\n", "third.md": "z\n"})
    app.sync(root, SyncOptions(top=20, min_score=0.0))
    scan = app.scan_vault(root)
    index = NoteIndex(scan.notes, scan.config)
    targets: dict[str, list[str]] = {}
    for rel in [*odd, "plain.md"]:
        text = (root / rel).read_bytes().decode()
        block = text[text.index("<!-- vaultlink:related -->") :]
        for entry in [line for line in block.splitlines()[1:-1] if line.startswith("- ")]:
            parsed = parse_note("probe.md", entry.encode(), scan.config).note
            assert parsed is not None and len(parsed.links) == 1, entry
            resolution = resolve_link(parsed.links[0], rel, index)
            assert resolution.outcome is Outcome.NOTE, (entry, resolution)
            targets.setdefault(rel, []).append(str(resolution.target))
    assert sorted(targets["plain.md"]) == sorted(odd)
    assert all(targets[rel] == ["plain.md"] for rel in odd)


def test_symlink_loop_note_and_folder_loops_do_not_hang(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[Target]]\n", "Target.md": "# T\n", "sub/b.md": "[[a]]\n"})
    (root / "self.md").symlink_to("self.md")
    (root / "ping.md").symlink_to("pong.md")
    (root / "pong.md").symlink_to("ping.md")
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)
    (root / "sub" / "loop").symlink_to(root / "sub", target_is_directory=True)
    original = snapshot(root)
    done: list[app.SyncReport] = []
    worker = threading.Thread(target=lambda: done.append(app.sync(root)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert done, "sync hung (or raised) on symlink loops"
    report = done[0]
    assert {d.path for d in report.diagnostics if d.code == "symlink"} == {"self.md", "ping.md", "pong.md"}
    for link in ("self.md", "ping.md", "pong.md", "sub/up", "sub/loop"):
        assert (root / link).is_symlink()
    assert app.sync(root).pending == 0
    app.clean(root)
    assert snapshot(root) == original


def test_symlinked_note_outside_the_vault_is_neither_read_nor_written(make_vault: VaultFactory, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_bytes(b"# Secret\n\nAbout the sourdough starter. [[Target]] [[Leak]]\n")
    root = make_vault({"Target.md": "# Target\n\nAbout the sourdough starter.\n", "x.md": "[[secret]]\n"})
    (root / "secret.md").symlink_to(secret)
    before = secret.stat()
    with recording() as rec:
        report = app.sync(root)
    assert str(secret) not in {os.path.realpath(p) for p in rec.reads + rec.writes}
    assert secret.read_bytes() == b"# Secret\n\nAbout the sourdough starter. [[Target]] [[Leak]]\n"
    assert secret.stat().st_mtime_ns == before.st_mtime_ns
    assert (root / "secret.md").is_symlink()
    assert "Leak.md" not in report.created  # the outside note's links were never read
    assert ("secret.md", "symlink") in {(d.path, d.code) for d in report.diagnostics}


def test_symlinked_folder_is_never_entered(make_vault: VaultFactory, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "inner.md").write_bytes(b"[[Target]] [[Leak]]\n")
    root = make_vault({"Target.md": "# Target\n", "x.md": "[[out/New stub]]\n"})
    (root / "out").symlink_to(outside, target_is_directory=True)
    with recording() as rec:
        report = app.sync(root)
    assert rec.reads_outside(root) == [] or all(not p.startswith(str(outside)) for p in rec.reads_outside(root))
    assert [p for p in rec.reads + rec.writes if os.path.realpath(p).startswith(str(outside))] == []
    assert sorted(os.listdir(outside)) == ["inner.md"]
    assert "Leak.md" not in report.created


# --- findings ------------------------------------------------------------------------------------------------

CODE_SAMPLE = (
    "# How I use vaultlink\n\nIt writes blocks like this one:\n\n```markdown\n<!-- vaultlink:related -->\n"
    "- [[Example]] — a reason\n<!-- /vaultlink:related -->\n```\n\nAbout the sourdough starter.\n"
)


def test_block_markers_in_a_code_sample_are_the_users_text(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            "Doc.md": CODE_SAMPLE,
            "B.md": "About the sourdough starter. The sourdough starter.\n",
            "C.md": "c\n",
            "D.md": "d\n",
        }
    )
    app.sync(root, SyncOptions(min_score=0.0))
    assert "- [[Example]] — a reason\n" in (root / "Doc.md").read_text()
    app.clean(root)
    assert (root / "Doc.md").read_text() == CODE_SAMPLE


@pytest.mark.parametrize("fence", ["~~~", "````", "   ```"])
def test_code_sample_with_any_fence_survives_sync_and_clean(make_vault: VaultFactory, fence: str) -> None:
    sample = CODE_SAMPLE.replace("```markdown", f"{fence}markdown").replace("\n```\n", f"\n{fence.strip()}\n")
    root = make_vault({"Doc.md": sample, "B.md": "About the sourdough starter. See [[Doc]].\n"})
    app.sync(root, SyncOptions(min_score=0.0))
    synced = (root / "Doc.md").read_text()
    assert synced.startswith(sample.rstrip("\n")) and "<!-- vaultlink:backlinks -->" in synced
    assert app.sync(root, SyncOptions(min_score=0.0)).pending == 0
    app.clean(root)
    assert (root / "Doc.md").read_text() == sample


def test_note_ending_in_a_fence_never_closed_gets_its_blocks_before_the_fence(make_vault: VaultFactory) -> None:
    text = "# Script\n\nAbout the sourdough starter.\n\n```sh\necho <!-- vaultlink:related -->\n"
    root = make_vault({"A.md": text, "B.md": "See [[A]]. About the sourdough starter.\n"})
    app.sync(root, SyncOptions(min_score=0.0))
    synced = (root / "A.md").read_text()
    assert synced.endswith("<!-- /vaultlink:backlinks -->\n```sh\necho <!-- vaultlink:related -->\n")
    assert app.sync(root, SyncOptions(min_score=0.0)).pending == 0
    app.clean(root)
    assert (root / "A.md").read_text() == text


def test_note_that_is_all_an_unclosed_fence_is_skipped_with_a_reason(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "```\ncode\n", "B.md": "See [[A]].\n"})
    report = app.sync(root)
    assert report.skipped == [("A.md", UNSAFE_EDIT)]
    assert "fenced code" in UNSAFE_EDIT
    assert (root / "A.md").read_text() == "```\ncode\n"
    assert app.sync(root).skipped == [("A.md", UNSAFE_EDIT)]


def test_self_referencing_yaml_frontmatter_is_reported_not_a_crash(make_vault: VaultFactory) -> None:
    root = make_vault({"loop.md": "---\ntags: &a [x, *a]\n---\nBody [[Other]].\n", "Other.md": "# Other\n"})
    report = app.sync(root)
    assert "loop.md" in {d.path for d in report.diagnostics}
    assert (root / "loop.md").read_text() == "---\ntags: &a [x, *a]\n---\nBody [[Other]].\n"


def _nested_aliases(depth: int) -> bytes:
    """YAML whose ``tags`` expand, through aliases, to 9**(depth+1) strings: a few hundred bytes."""
    lines = ["---", "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, depth + 1)]
    return "\n".join([*lines, f"tags: *l{depth}", "---", "Body.", ""]).encode()


def _python_calls(data: bytes) -> int:
    """Python function calls made parsing ``data``: a deterministic measure of work, not a timing."""
    config = load_config(Path(tempfile.gettempdir()))
    calls = 0

    def count(_frame: object, event: str, _arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    parse_note("x.md", data, config)  # warm caches first
    sys.setprofile(count)
    try:
        parse_note("x.md", data, config)
    finally:
        sys.setprofile(None)
    return calls


def test_frontmatter_alias_bomb_costs_no_more_than_a_plain_note() -> None:
    plain = _python_calls(b"---\ntags: [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n---\nBody.\n")
    bomb = _python_calls(_nested_aliases(5))
    assert bomb < 20 * plain, f"{bomb} calls against {plain} for a plain note"


def test_link_to_an_unreadable_note_makes_no_stub_in_the_new_notes_folder(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            ".obsidian/app.json": '{"newFileLocation": "folder", "newFileFolderPath": "inbox"}',
            "bin.md": b"x\x00y\n",
            "A.md": "See [[bin]].\n",
        }
    )
    report = app.sync(root)
    assert report.created == []  # today: ['inbox/bin.md']
    assert {(d.path, d.code) for d in report.diagnostics} == {("bin.md", "binary"), ("A.md", "unreadable-target")}
