"""The real public vault (``../shared/vaults/vaultofknowledge``, 2,700 notes), swept for what
tests/test_real_vault.py does not check: that every diagnostic vaultlink raises is a real problem of the
vault, confirmed here independently from the file system, and that no note is lost or silently made
read-only. (test_real_vault.py runs sync, a second sync and clean and checks idempotence and the
byte-exact restore; this file reads the vault once, in a copy.)
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
from conftest import VAULT_OF_KNOWLEDGE, requires_shared

from vaultlink import app
from vaultlink.core.resolve import Outcome

pytestmark = [
    requires_shared,
    pytest.mark.slow,  # a real-vault sweep: the full suite runs them, the quick loop does not
]

# What this vault really has wrong: links to notes it does not have, one file with a NUL byte, and
# links to that file.
EXPECTED_CODES = {"broken-link", "binary", "unreadable-target"}
FILE_CODES = {"binary", "invalid-utf8", "too-large", "unreadable", "symlink", "file-name"}


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> app.VaultScan:
    root = tmp_path_factory.mktemp("sweep") / "vaultofknowledge"
    shutil.copytree(VAULT_OF_KNOWLEDGE, root, symlinks=True)
    return app.scan_vault(root)


def fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def note_files(root: Path) -> list[str]:
    """Markdown files outside dot-folders, found with os.walk: an independent listing."""
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.lower().endswith((".md", ".markdown")) and not name.startswith("."):
                found.append(Path(folder, name).relative_to(root).as_posix())
    return found


def test_every_file_is_a_note_or_has_exactly_one_file_diagnostic(scan: app.VaultScan) -> None:
    files = set(note_files(scan.root))
    assert len(files) > 2000
    notes = {n.path for n in scan.notes}
    problems = Counter(d.path for d in scan.diagnostics if d.code in FILE_CODES)
    assert notes | set(problems) == files
    assert not notes & set(problems)
    assert set(problems.values()) <= {1}


def test_only_real_problems_are_reported(scan: app.VaultScan) -> None:
    codes = Counter(d.code for d in scan.diagnostics)
    assert set(codes) <= EXPECTED_CODES, codes
    assert codes["binary"] == 1


def test_the_binary_note_really_holds_a_nul_byte(scan: app.VaultScan) -> None:
    for d in scan.diagnostics:
        if d.code == "binary":
            assert b"\x00" in (scan.root / d.path).read_bytes(), d.path


def _unreadable_names(scan: app.VaultScan) -> set[str]:
    return {fold(Path(d.path).stem) for d in scan.diagnostics if d.code in FILE_CODES}


def test_every_broken_link_really_has_no_note(scan: app.VaultScan) -> None:
    """A broken link's target matches no note file by path, by file name or by alias, case- and
    Unicode-insensitively: checked against an independent walk of the vault. (Links to the one
    unreadable note are checked below.)"""
    files = note_files(scan.root)
    by_path = {fold(f) for f in files} | {fold(f.rsplit(".", 1)[0]) for f in files}
    by_name = {fold(Path(f).stem) for f in files} | {fold(a) for n in scan.notes for a in n.aliases}
    missing = [r for r in scan.links if r.resolution.outcome is Outcome.MISSING]
    reported = sum(d.code == "broken-link" for d in scan.diagnostics)
    assert len(missing) == reported > 100
    unreadable = _unreadable_names(scan)
    for r in missing:
        target = r.link.target.removesuffix(".md")
        if fold(target.rsplit("/", 1)[-1]) in unreadable:
            continue
        folder = r.source.rsplit("/", 1)[0] + "/" if "/" in r.source else ""
        assert fold(target) not in by_path and fold(folder + target) not in by_path, (r.source, r.link.raw)
        if "/" not in target:
            assert fold(target) not in by_name, (r.source, r.link.raw)


def test_links_to_the_unreadable_note_are_not_reported_broken(scan: app.VaultScan) -> None:
    unreadable = _unreadable_names(scan)
    broken = [
        (r.source, r.link.raw, r.resolution.target)
        for r in scan.links
        if r.resolution.outcome is Outcome.MISSING and fold(r.link.target.rsplit("/", 1)[-1]) in unreadable
    ]
    assert broken == []
    reported = [d for d in scan.diagnostics if d.code == "unreadable-target"]
    to_unreadable = [r for r in scan.links if r.resolution.outcome is Outcome.UNREADABLE]
    assert len(reported) == len(to_unreadable) > 0
    assert {fold(Path(r.resolution.target).stem) for r in to_unreadable} <= unreadable


def test_no_note_is_made_read_only(scan: app.VaultScan) -> None:
    """Read-only means never rewritten: in this vault no note has broken frontmatter or a damaged block."""
    assert scan.readonly == {}


def test_every_crlf_and_bom_note_is_read(scan: app.VaultScan) -> None:
    notes = {n.path for n in scan.notes}
    odd = [
        f
        for f in note_files(scan.root)
        if b"\r\n" in (data := (scan.root / f).read_bytes()) or data[:3] == b"\xef\xbb\xbf"
    ]
    assert odd, "the vault has CRLF notes"
    assert [f for f in odd if f not in notes and b"\x00" not in (scan.root / f).read_bytes()] == []
