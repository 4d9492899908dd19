"""Which files of a vault are notes (``vault.list_notes``, ``app.scan_vault``) and what is skipped, with why."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from conftest import VaultFactory

from vaultlink import app, parallel, vault
from vaultlink.config import load_config
from vaultlink.core.note import Diagnostic
from vaultlink.errors import VaultNotFound


def listed(root: Path) -> list[str]:
    return vault.list_notes(root, load_config(root)).paths


def codes(diagnostics: list[Diagnostic]) -> dict[str, str]:
    """path -> code (one diagnostic per path in these tests)."""
    return {d.path: d.code for d in diagnostics}


# --- which extensions are notes ---------------------------------------------------------------


def test_md_and_markdown_are_notes_and_txt_is_not(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "a", "b.markdown": "b", "c.txt": "c", "d.pdf": "d", "e": "e"})
    assert listed(root) == ["a.md", "b.markdown"]


def test_txt_is_a_note_when_config_lists_it(make_vault: VaultFactory) -> None:
    root = make_vault(
        {".vaultlink.toml": 'extensions = [".md", ".txt"]\n', "a.md": "a", "b.txt": "b", "c.markdown": "c"}
    )
    assert listed(root) == ["a.md", "b.txt"]


def test_uppercase_extension_counts(make_vault: VaultFactory) -> None:
    root = make_vault({"UPPER.MD": "x", "Mixed.Markdown": "y"})
    assert listed(root) == ["Mixed.Markdown", "UPPER.MD"]


# --- what is skipped -----------------------------------------------------------------------------


def test_dot_folders_and_dot_files_are_skipped(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            ".obsidian/workspace.md": "x",
            ".trash/deleted.md": "x",
            ".git/notes.md": "x",
            ".vaultlink/cache.md": "x",
            "sub/.hidden/deep.md": "x",
            ".dotfile.md": "x",
            "sub/.also-hidden.md": "x",
            "kept.md": "x",
            "sub/kept.md": "x",
        }
    )
    assert listed(root) == ["kept.md", "sub/kept.md"]


def test_obsidian_user_ignore_filters_prefix_and_regex(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            ".obsidian/app.json": json.dumps({"userIgnoreFilters": ["Templates/", "/^archive-\\d+/"]}),
            "Templates/daily.md": "x",
            "Templates/sub/weekly.md": "x",
            "TemplatesOther/kept.md": "x",
            "archive-2020.md": "x",
            "archive-old.md": "x",
            "note.md": "x",
        }
    )
    assert listed(root) == ["TemplatesOther/kept.md", "archive-old.md", "note.md"]


def test_vaultlink_toml_ignore_globs(make_vault: VaultFactory) -> None:
    root = make_vault(
        {
            ".vaultlink.toml": 'ignore = ["drafts/", "**/*.tmp.md"]\n',
            "drafts/one.md": "x",
            "drafts/deep/two.md": "x",
            "sub/drafts/three.md": "x",
            "scratch.tmp.md": "x",
            "a/b/c.tmp.md": "x",
            "a/b/c.md": "x",
            "drafts.md": "x",
        }
    )
    assert listed(root) == ["a/b/c.md", "drafts.md"]


def test_paths_are_relative_slash_separated_and_sorted(make_vault: VaultFactory) -> None:
    root = make_vault({"z.md": "z", "b/y.md": "y", "a/c/x.md": "x", "M.md": "m"})
    paths = listed(root)
    assert paths == sorted(paths)
    assert set(paths) == {"z.md", "b/y.md", "a/c/x.md", "M.md"}
    assert all("\\" not in p and not p.startswith("/") and not os.path.isabs(p) for p in paths)


def test_scan_vault_notes_follow_listing(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "# A\n", "sub/b.markdown": "# B\n", "c.txt": "c"})
    scan = app.scan_vault(root)
    assert [n.path for n in scan.notes] == ["a.md", "sub/b.markdown"]
    assert scan.diagnostics == []


# --- symlinks ---------------------------------------------------------------------------------------


def test_symlink_to_file_outside_vault_is_skipped_with_diagnostic(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"inside.md": "x"})
    outside = tmp_path / "outside.md"
    outside.write_text("secret")
    (root / "escape.md").symlink_to(outside)
    listing = vault.list_notes(root, load_config(root))
    assert listing.paths == ["inside.md"]
    assert [(d.path, d.code) for d in listing.diagnostics] == [("escape.md", "symlink")]
    assert "escape.md" in listing.diagnostics[0].line()


def test_symlink_to_note_inside_vault_is_listed(make_vault: VaultFactory) -> None:
    root = make_vault({"real.md": "# Real\n"})
    (root / "alias.md").symlink_to(root / "real.md")
    listing = vault.list_notes(root, load_config(root))
    assert listing.paths == ["alias.md", "real.md"]
    assert listing.diagnostics == []


def test_symlinked_folder_loop_does_not_hang_or_crash(make_vault: VaultFactory) -> None:
    root = make_vault({"sub/note.md": "x", "top.md": "y"})
    (root / "sub" / "loop").symlink_to(root / "sub", target_is_directory=True)
    (root / "sub" / "up").symlink_to("..", target_is_directory=True)
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(app.scan_vault(root)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "scan_vault hung on a symlink loop"
    scan = result[0]
    assert isinstance(scan, app.VaultScan)
    assert [n.path for n in scan.notes] == ["sub/note.md", "top.md"]


# --- files that cannot be read as notes -------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read a chmod 000 file")
def test_chmod_000_file_is_unreadable(make_vault: VaultFactory) -> None:
    root = make_vault({"locked.md": "x", "ok.md": "y"})
    (root / "locked.md").chmod(0)
    try:
        scan = app.scan_vault(root)
    finally:
        (root / "locked.md").chmod(0o644)
    assert [n.path for n in scan.notes] == ["ok.md"]
    assert codes(scan.diagnostics) == {"locked.md": "unreadable"}


def test_file_that_cannot_be_opened_is_unreadable(make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_vault({"locked.md": "x", "ok.md": "y"})
    real_open = open

    def guarded_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("locked.md"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(vault, "open", guarded_open, raising=False)
    scan = app.scan_vault(root)
    assert [n.path for n in scan.notes] == ["ok.md"]
    [diag] = scan.diagnostics
    assert (diag.path, diag.code) == ("locked.md", "unreadable")
    assert "Permission denied" in diag.message


def test_file_over_max_bytes_is_too_large_and_not_parsed(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({".vaultlink.toml": "max_bytes = 100\n", "big.md": "x" * 101, "small.md": "x" * 100})
    parsed: list[str] = []
    real_parse = parallel.parse_note

    def spy(path, data, config, boilerplate):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real_parse(path, data, config, boilerplate)

    monkeypatch.setattr(parallel, "parse_note", spy)
    scan = app.scan_vault(root)
    assert parsed == ["small.md"]
    assert [n.path for n in scan.notes] == ["small.md"]
    [diag] = scan.diagnostics
    assert (diag.path, diag.code) == ("big.md", "too-large")
    assert "101" in diag.message and "100" in diag.message


def test_nul_bytes_are_binary(make_vault: VaultFactory) -> None:
    root = make_vault({"blob.md": b"text\x00more", "ok.md": "ok"})
    scan = app.scan_vault(root)
    assert [n.path for n in scan.notes] == ["ok.md"]
    assert codes(scan.diagnostics) == {"blob.md": "binary"}


def test_invalid_utf8_is_reported(make_vault: VaultFactory) -> None:
    root = make_vault({"latin1.md": "caf\u00e9".encode("latin-1"), "ok.md": "ok"})
    scan = app.scan_vault(root)
    assert [n.path for n in scan.notes] == ["ok.md"]
    assert codes(scan.diagnostics) == {"latin1.md": "invalid-utf8"}


# --- unusual file names ---------------------------------------------------------------------------------

ODD_NAMES = ["🚀 rocket.md", "C# notes.md", "block^ref.md", "with spaces in it.md", " leading.md", "trailing .md"]


def test_odd_file_names_are_listed_and_parsed(make_vault: VaultFactory) -> None:
    root = make_vault({name: f"# Title {i}\n\nBody.\n" for i, name in enumerate(ODD_NAMES)})
    assert listed(root) == sorted(ODD_NAMES)
    scan = app.scan_vault(root)
    assert sorted(n.path for n in scan.notes) == sorted(ODD_NAMES)
    assert {n.path: n.title for n in scan.notes} == {name: f"Title {i}" for i, name in enumerate(ODD_NAMES)}
    assert scan.diagnostics == []


def test_non_utf8_file_name_gives_file_name_diagnostic(make_vault: VaultFactory) -> None:
    root = make_vault({"ok.md": "# OK\n"})
    fd = os.open(os.path.join(os.fsencode(root), b"bad\xff.md"), os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, b"# Bad\n")
    os.close(fd)
    scan = app.scan_vault(root)
    assert [n.path for n in scan.notes] == ["ok.md"]
    [diag] = scan.diagnostics
    assert diag.code == "file-name"
    assert diag.path.startswith("bad") and diag.path.endswith(".md")
    diag.path.encode("utf-8")  # printable: no lone surrogates left


def test_non_utf8_folder_name_gives_file_name_diagnostic(make_vault: VaultFactory) -> None:
    root = make_vault({"ok.md": "# OK\n"})
    folder = os.path.join(os.fsencode(root), b"dir\xfe")
    os.mkdir(folder)
    with open(os.path.join(folder, b"x.md"), "wb") as f:
        f.write(b"x")
    scan = app.scan_vault(root)
    assert [n.path for n in scan.notes] == ["ok.md"]
    assert [d.code for d in scan.diagnostics] == ["file-name"]


# --- the vault itself ------------------------------------------------------------------------------------


def test_missing_vault_raises_vault_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-vault"
    with pytest.raises(VaultNotFound, match="no such vault folder") as info:
        app.scan_vault(missing)
    assert str(missing) in str(info.value)


def test_vault_that_is_a_file_raises_vault_not_found(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file.md"
    not_a_folder.write_text("x")
    with pytest.raises(VaultNotFound, match=r"file\.md"):
        vault.vault_root(not_a_folder)


def _stale_fstat(monkeypatch: pytest.MonkeyPatch, shrink_by: int) -> None:
    """``os.fstat`` reporting a smaller size, as if the file grew between the stat and the read."""
    real = os.fstat

    def fstat(fd: int) -> os.stat_result:
        st = real(fd)
        return os.stat_result(
            (
                st.st_mode,
                st.st_ino,
                st.st_dev,
                st.st_nlink,
                st.st_uid,
                st.st_gid,
                st.st_size - shrink_by,
                st.st_atime,
                st.st_mtime,
                st.st_ctime,
            )
        )

    monkeypatch.setattr(vault.os, "fstat", fstat)


def test_a_note_that_grows_after_its_stat_is_read_whole(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({"grows.md": "first line\nsecond line, written while vaultlink read\n"})
    _stale_fstat(monkeypatch, shrink_by=30)
    file = vault.read_note_file(root, "grows.md", max_bytes=1000)
    assert isinstance(file, vault.NoteFile)
    assert file.data == (root / "grows.md").read_bytes()


def test_a_note_that_grows_past_the_limit_is_still_caught(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({"grows.md": "x" * 150})
    _stale_fstat(monkeypatch, shrink_by=60)  # stat says 90 bytes, under the limit of 100
    file = vault.read_note_file(root, "grows.md", max_bytes=100)
    assert isinstance(file, vault.NoteFile)
    assert len(file.data) == 101  # one past the limit: decode_note then reports it too large


def test_read_only_commands_accept_a_relative_vault_path_with_a_cache(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_vault({"a.md": "# A\n\nSee [[b]].\n", "b.md": "# B\n"})
    app.sync(root)
    assert (root / ".vaultlink" / "cache.sqlite").is_file()
    monkeypatch.chdir(root.parent)
    scan = app.check_vault(root.name)
    assert scan.warnings == []
    assert sorted(n.path for n in scan.notes) == ["a.md", "b.md"]


# --- the walk's stamps ------------------------------------------------------------------------------


def test_the_walk_stamps_each_note_as_stat_would_except_symlinks(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "a", "sub/b.md": "bb", "sub/deeper/c.md": "ccc", "notes.txt": "not a note"})
    (root / "link.md").symlink_to(root / "a.md")
    listing = vault.list_notes(root, load_config(root))
    assert listing.paths == ["a.md", "link.md", "sub/b.md", "sub/deeper/c.md"]
    assert sorted(listing.stamps) == ["a.md", "sub/b.md", "sub/deeper/c.md"]  # a symlink's is stat'ed later
    for rel, stamp in listing.stamps.items():
        assert stamp == vault.note_stamp(root, rel)
        assert stamp.seen_ns >= stamp.mtime_ns  # taken after the file was written


def test_a_note_changed_since_the_walk_is_not_vouched_for_by_its_stamp(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "short"})
    before = vault.list_notes(root, load_config(root)).stamps["a.md"]
    (root / "a.md").write_text("a longer text now")
    assert vault.list_notes(root, load_config(root)).stamps["a.md"] != before
