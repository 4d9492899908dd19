"""``vaultlink.writer``: contained, atomic writes that never land over a user's concurrent edit."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import VaultFactory

from vaultlink import safe_io, writer
from vaultlink.core.digest import digest
from vaultlink.writer import WriteRefused, contained_path, delete_file, write_file

ORIGINAL = b"# Note\r\n\r\nThe user's own text.\r\n"
NEW = b"# Note\r\n\r\nThe user's own text.\r\n<!-- vaultlink:related -->\r\n<!-- /vaultlink:related -->\r\n"


def temp_files(root: Path) -> list[Path]:
    return sorted(root.rglob(f"{writer.TEMP_PREFIX}*.tmp"))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault({"note.md": ORIGINAL, "sub/deep.md": b"deep\n"})


def enospc(*_args: object, **_kwargs: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --- write_file: replacing ---------------------------------------------------------------------------------


def test_write_replaces_the_bytes_when_the_digest_matches(vault: Path) -> None:
    write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert (vault / "note.md").read_bytes() == NEW
    assert temp_files(vault) == []


def test_write_into_a_subfolder(vault: Path) -> None:
    write_file(vault, "sub/deep.md", b"deeper\n", digest(b"deep\n"))
    assert (vault / "sub/deep.md").read_bytes() == b"deeper\n"
    assert temp_files(vault) == []


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o755, 0o464])
def test_write_keeps_the_files_mode(vault: Path, mode: int) -> None:
    path = vault / "note.md"
    path.chmod(mode)
    write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert path.read_bytes() == NEW
    assert mode_of(path) == mode


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555, 0o000])
def test_write_refuses_a_file_nobody_may_write(vault: Path, mode: int) -> None:
    """No write bit for anyone: the user made the note read-only, and that holds even for root (which
    ``os.access`` would say may write anyway). It used to be replaced, keeping its mode."""
    path = vault / "note.md"
    path.chmod(mode)
    with pytest.raises(WriteRefused, match=r"^read-only \(no write permission\); left alone$"):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    path.chmod(0o644)
    assert path.read_bytes() == ORIGINAL
    assert temp_files(vault) == []


def test_delete_refuses_a_file_nobody_may_write(vault: Path) -> None:
    path = vault / "note.md"
    path.chmod(0o444)
    with pytest.raises(WriteRefused, match="read-only"):
        delete_file(vault, "note.md", digest(ORIGINAL))
    assert path.read_bytes() == ORIGINAL


def test_read_only_reason_names_only_read_only_files(vault: Path) -> None:
    (vault / "note.md").chmod(0o444)
    assert writer.read_only_reason(vault, "note.md") == writer.READ_ONLY
    assert writer.read_only_reason(vault, "sub/deep.md") == ""
    assert writer.read_only_reason(vault, "missing.md") == ""


def test_write_replaces_atomically_with_a_new_inode(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new bytes go to a temp file beside the note, then os.replace swaps it in (never an in-place write)."""
    path = vault / "note.md"
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str | Path) -> None:
        calls.append((str(src), str(dst)))
        assert Path(src).parent == path.parent
        assert writer.is_temp_name(Path(src).name)  # the exact name the next run's cleanup looks for
        assert Path(src).read_bytes() == NEW
        assert path.read_bytes() == ORIGINAL  # untouched until the swap
        real_replace(src, dst)

    monkeypatch.setattr("vaultlink.writer.os.replace", spy)
    write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert len(calls) == 1 and calls[0][1] == str(path)
    assert path.read_bytes() == NEW


def test_write_refuses_when_the_user_changed_the_file(vault: Path) -> None:
    path = vault / "note.md"
    planned_from = digest(path.read_bytes())
    user_edit = ORIGINAL + b"a line the user just typed \r\n"
    path.write_bytes(user_edit)
    with pytest.raises(WriteRefused, match="changed since it was read"):
        write_file(vault, "note.md", NEW, planned_from)
    assert path.read_bytes() == user_edit
    assert temp_files(vault) == []


def test_write_refuses_when_the_user_edits_right_before_the_replace(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edit lands after the temp file is written, just before the final hash check. Without
    a lease: under one, the kernel holds this (same-thread) write until the lease-break time (45 s)
    runs out, as it holds a real editor's open until the write ends (test_adversarial_writes.py)."""
    path = vault / "note.md"
    user_edit = b"edited at the last moment\n"
    real = writer._current_digest
    monkeypatch.setattr(safe_io.OpenWriterGuard, "_take_lease", lambda self: None)

    def edit_then_hash(p: Path) -> str | None:
        path.write_bytes(user_edit)
        return real(p)

    monkeypatch.setattr(writer, "_current_digest", edit_then_hash)
    with pytest.raises(WriteRefused, match="changed since it was read"):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert path.read_bytes() == user_edit
    assert temp_files(vault) == []


def test_write_refuses_when_the_file_was_deleted_meanwhile(vault: Path) -> None:
    (vault / "note.md").unlink()
    with pytest.raises(WriteRefused, match="deleted"):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert not (vault / "note.md").exists()
    assert temp_files(vault) == []


def test_write_refuses_when_the_file_is_deleted_right_before_the_replace(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vault / "note.md"
    real = writer._current_digest

    def delete_then_hash(p: Path) -> str | None:
        path.unlink(missing_ok=True)
        return real(p)

    monkeypatch.setattr(writer, "_current_digest", delete_then_hash)
    with pytest.raises(WriteRefused):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert not path.exists()
    assert temp_files(vault) == []


def test_write_refuses_a_note_swapped_for_a_symlink_before_the_hash_recheck(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Swapped after the temp file is written (at its chmod): the hash would read the same bytes through the
    link; the lstat before it says the note is no longer the file it was."""
    path = vault / "note.md"
    outside = tmp_path / "outside.md"
    outside.write_bytes(ORIGINAL)
    real_chmod = os.chmod

    def chmod_then_swap(target: str, mode: int) -> None:
        real_chmod(target, mode)
        path.unlink()
        path.symlink_to(outside)

    monkeypatch.setattr(writer.os, "chmod", chmod_then_swap)
    with pytest.raises(WriteRefused, match=r"^became a symbolic link since it was read; left alone$"):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    monkeypatch.undo()
    assert path.is_symlink() and outside.read_bytes() == ORIGINAL
    assert temp_files(vault) == []


def test_write_refuses_a_note_swapped_for_a_symlink_after_the_hash_recheck(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vault / "note.md"
    outside = tmp_path / "outside.md"
    outside.write_bytes(ORIGINAL)
    real = writer._current_digest

    def hash_then_swap(p: Path) -> str | None:
        found = real(p)
        path.unlink()
        path.symlink_to(outside)
        return found

    monkeypatch.setattr(writer, "_current_digest", hash_then_swap)
    with pytest.raises(WriteRefused, match=r"^became a symbolic link since it was read; left alone$"):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert path.is_symlink() and outside.read_bytes() == ORIGINAL
    assert temp_files(vault) == []


def test_write_refuses_a_note_that_became_a_folder(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = vault / "note.md"
    real_chmod = os.chmod

    def chmod_then_swap(target: str, mode: int) -> None:
        real_chmod(target, mode)
        path.unlink()
        path.mkdir()

    monkeypatch.setattr(writer.os, "chmod", chmod_then_swap)
    with pytest.raises(WriteRefused, match=r"^replaced by another file since it was read; left alone$"):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert path.is_dir()


# --- temp files -------------------------------------------------------------------------------------------


def test_temp_file_is_removed_from_a_folder_renamed_before_the_replace(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cleanup finds the temp file through its folder's descriptor, wherever the folder went."""
    real_replace = os.replace

    def rename_folder_then_replace(src: str, dst: Path) -> None:
        os.rename(vault / "sub", vault / "renamed")
        real_replace(src, dst)

    monkeypatch.setattr(writer.os, "replace", rename_folder_then_replace)
    with pytest.raises(WriteRefused, match="deleted since it was read"):
        write_file(vault, "sub/deep.md", b"deeper\n", digest(b"deep\n"))
    monkeypatch.undo()
    assert temp_files(vault) == []
    assert (vault / "renamed" / "deep.md").read_bytes() == b"deep\n"


def test_a_folder_renamed_before_the_note_is_opened_for_its_guard_is_reported_as_deleted(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder moves after the writer opened it and before the note is opened by path (notes are
    written several at once, so a user's rename can land there): the same refusal as any moved note."""
    real_guard = writer.OpenWriterGuard

    def rename_folder_then_guard(*args: Any) -> object:
        os.rename(vault / "sub", vault / "renamed")
        return real_guard(*args)

    monkeypatch.setattr(writer, "OpenWriterGuard", rename_folder_then_guard)
    with pytest.raises(WriteRefused, match="deleted since it was read"):
        write_file(vault, "sub/deep.md", b"deeper\n", digest(b"deep\n"))
    monkeypatch.undo()
    assert temp_files(vault) == []
    assert (vault / "renamed" / "deep.md").read_bytes() == b"deep\n"


def test_cleanup_never_removes_another_file_under_the_temp_files_name(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def swap_temp_then_fail(src: str, _dst: Path) -> None:
        os.rename(src, vault / "moved away")  # (kept: a freed inode number could be reused at once)
        Path(src).write_bytes(b"someone else's\n")
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(writer.os, "replace", swap_temp_then_fail)
    with pytest.raises(OSError):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    [other] = temp_files(vault)
    assert other.read_bytes() == b"someone else's\n"


def test_temp_file_is_removed_by_path_when_its_folder_cannot_be_opened(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer, "_open_folder", lambda _folder: None)
    monkeypatch.setattr(writer.os, "replace", enospc)
    with pytest.raises(OSError):
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert temp_files(vault) == []
    monkeypatch.undo()
    monkeypatch.setattr(writer, "_open_folder", lambda _folder: None)
    write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert (vault / "note.md").read_bytes() == NEW


@pytest.mark.parametrize(
    ("name", "ours"),
    [
        (".vaultlink-tmp-a1b_c2d3.tmp", True),
        (".vaultlink-a1b_c2d3.tmp", False),
        (".vaultlink-tmp-a1b_c2d.tmp", False),
        (".vaultlink-tmp-A1B_C2D3.tmp", False),
        (".vaultlink-tmp-a1b_c2d3.tmp.md", False),
        ("x.vaultlink-tmp-a1b_c2d3.tmp", False),
    ],
)
def test_temp_names_are_recognised_exactly(name: str, ours: bool) -> None:
    assert writer.is_temp_name(name) is ours


def test_remove_temp_file_removes_only_a_regular_temp_file(vault: Path, tmp_path: Path) -> None:
    (vault / "sub" / ".vaultlink-tmp-aaaaaaaa.tmp").write_bytes(b"left by a killed run")
    (tmp_path / "target").write_bytes(b"x")
    (vault / ".vaultlink-tmp-bbbbbbbb.tmp").symlink_to(tmp_path / "target")
    writer.remove_temp_file(vault, "sub/.vaultlink-tmp-aaaaaaaa.tmp")
    writer.remove_temp_file(vault, ".vaultlink-tmp-bbbbbbbb.tmp")
    assert not (vault / "sub" / ".vaultlink-tmp-aaaaaaaa.tmp").exists()
    assert (vault / ".vaultlink-tmp-bbbbbbbb.tmp").is_symlink() and (tmp_path / "target").exists()
    with pytest.raises(ValueError, match="not a vaultlink temp file"):
        writer.remove_temp_file(vault, "note.md")
    assert (vault / "note.md").exists()


# --- write_file: creating -----------------------------------------------------------------------------------


def test_create_makes_parent_folders_inside_the_vault(vault: Path) -> None:
    write_file(vault, "new/deeper/Stub.md", b"stub\n", None)
    assert (vault / "new/deeper/Stub.md").read_bytes() == b"stub\n"
    assert (vault / "new/deeper").is_dir()
    assert temp_files(vault) == []


def test_create_gives_the_umask_mode_not_mkstemps_0600(vault: Path) -> None:
    old = os.umask(0o022)
    try:
        write_file(vault, "Stub.md", b"stub\n", None)
    finally:
        os.umask(old)
    assert mode_of(vault / "Stub.md") == 0o644


def test_create_refuses_over_a_file_that_appeared(vault: Path) -> None:
    path = vault / "Stub.md"
    path.write_bytes(b"the user got there first\n")
    with pytest.raises(WriteRefused, match="appeared"):
        write_file(vault, "Stub.md", b"stub\n", None)
    assert path.read_bytes() == b"the user got there first\n"
    assert temp_files(vault) == []


def test_create_refuses_over_a_file_that_appears_right_before_the_replace(
    vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = vault / "Stub.md"
    real_link = os.link

    def appear_then_link(src: str, dst: Path) -> None:
        path.write_bytes(b"the user got there first\n")
        real_link(src, dst)

    monkeypatch.setattr(writer.os, "link", appear_then_link)
    with pytest.raises(WriteRefused):
        write_file(vault, "Stub.md", b"stub\n", None)
    assert path.read_bytes() == b"the user got there first\n"
    assert temp_files(vault) == []


def test_create_refuses_over_a_dangling_symlink(vault: Path, tmp_path: Path) -> None:
    (vault / "Stub.md").symlink_to(tmp_path / "outside-target.md")
    with pytest.raises(WriteRefused):
        write_file(vault, "Stub.md", b"stub\n", None)
    assert not (tmp_path / "outside-target.md").exists()


# --- failures leave no temp file ------------------------------------------------------------------------


def test_failed_replace_leaves_the_note_and_no_temp_file(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vaultlink.writer.os.replace", enospc)
    with pytest.raises(OSError) as caught:
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert caught.value.errno == errno.ENOSPC
    assert (vault / "note.md").read_bytes() == ORIGINAL
    assert temp_files(vault) == []


def test_failed_fsync_leaves_the_note_and_no_temp_file(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vaultlink.writer.os.fsync", enospc)
    with pytest.raises(OSError) as caught:
        write_file(vault, "note.md", NEW, digest(ORIGINAL))
    assert caught.value.errno == errno.ENOSPC
    assert (vault / "note.md").read_bytes() == ORIGINAL
    assert temp_files(vault) == []


def test_failed_create_leaves_no_temp_file(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vaultlink.writer.os.link", enospc)
    monkeypatch.setattr("vaultlink.writer.os.replace", enospc)
    with pytest.raises(OSError):
        write_file(vault, "Stub.md", b"stub\n", None)
    assert not (vault / "Stub.md").exists()
    assert temp_files(vault) == []


def test_failed_create_leaves_no_new_folders(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree(vault)
    monkeypatch.setattr("vaultlink.writer.os.link", enospc)
    monkeypatch.setattr("vaultlink.writer.os.replace", enospc)
    with pytest.raises(OSError):
        write_file(vault, "new/deeper/Stub.md", b"stub\n", None)
    assert tree(vault) == before


def test_refused_write_leaves_no_temp_file(vault: Path) -> None:
    with pytest.raises(WriteRefused):
        write_file(vault, "note.md", NEW, digest(b"something else"))
    assert temp_files(vault) == []
    assert (vault / "note.md").read_bytes() == ORIGINAL


# --- containment ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rel",
    ["../x.md", "/etc/x.md", "a/../../x.md", "a/../x.md", "C:\\x.md", "C:x.md", "..\\x.md", "\\x.md", ""],
)
def test_contained_path_refuses_paths_leaving_the_vault(vault: Path, rel: str) -> None:
    with pytest.raises(WriteRefused):
        contained_path(vault, rel)


@pytest.mark.parametrize("rel", ["../x.md", "/tmp/vaultlink-escape-test.md", "a/../../x.md"])
def test_write_file_never_lands_outside(vault: Path, rel: str) -> None:
    with pytest.raises(WriteRefused):
        write_file(vault, rel, b"escaped\n", None)
    assert not (vault.parent / "x.md").exists()
    assert not Path("/tmp/vaultlink-escape-test.md").exists()


def test_contained_path_accepts_a_plain_relative_path(vault: Path) -> None:
    assert contained_path(vault, "sub/deep.md") == vault / "sub/deep.md"
    assert contained_path(vault, "new/folder/x.md") == vault / "new/folder/x.md"


def test_symlinked_folder_leading_outside_is_refused(vault: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (vault / "out").symlink_to(outside, target_is_directory=True)
    for rel in ("out/x.md", "out/new/deeper/x.md"):
        with pytest.raises(WriteRefused, match="outside"):
            contained_path(vault, rel)
        with pytest.raises(WriteRefused):
            write_file(vault, rel, b"escaped\n", None)
    assert list(outside.iterdir()) == []


def test_existing_note_behind_a_symlinked_folder_is_not_replaced(vault: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.md").write_bytes(b"outside\n")
    (vault / "out").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WriteRefused):
        write_file(vault, "out/x.md", b"escaped\n", digest(b"outside\n"))
    assert (outside / "x.md").read_bytes() == b"outside\n"


def test_symlinked_folder_inside_the_vault_is_not_written_through(vault: Path) -> None:
    """Folders are opened without following links (issue 23): the walk never enters a linked folder,
    so writing through one would create a note the next run can't see (a stub made, then deleted)."""
    (vault / "alias").symlink_to(vault / "sub", target_is_directory=True)
    with pytest.raises(WriteRefused, match="symbolic link"):
        write_file(vault, "alias/deep.md", b"deeper\n", digest(b"deep\n"))
    assert (vault / "sub/deep.md").read_bytes() == b"deep\n"


def test_note_that_is_a_symlink_out_of_the_vault_is_not_written_through(vault: Path, tmp_path: Path) -> None:
    target = tmp_path / "secret.md"
    target.write_bytes(b"secret\n")
    (vault / "link.md").symlink_to(target)
    with pytest.raises(WriteRefused, match="symbolic link"):
        contained_path(vault, "link.md")
    with pytest.raises(WriteRefused, match="symbolic link"):
        write_file(vault, "link.md", b"overwritten\n", digest(b"secret\n"))
    assert target.read_bytes() == b"secret\n"
    assert (vault / "link.md").is_symlink()


def test_note_that_is_a_symlink_inside_the_vault_is_not_written_through(vault: Path) -> None:
    (vault / "link.md").symlink_to(vault / "note.md")
    with pytest.raises(WriteRefused, match="symbolic link"):
        write_file(vault, "link.md", NEW, digest(ORIGINAL))
    assert (vault / "note.md").read_bytes() == ORIGINAL
    assert (vault / "link.md").is_symlink()


# --- delete_file ----------------------------------------------------------------------------------------


def test_delete_removes_a_file_with_the_expected_bytes(vault: Path) -> None:
    delete_file(vault, "note.md", digest(ORIGINAL))
    assert not (vault / "note.md").exists()


def test_delete_refuses_when_the_bytes_changed(vault: Path) -> None:
    (vault / "note.md").write_bytes(b"the user wrote here\n")
    with pytest.raises(WriteRefused, match="changed since it was read"):
        delete_file(vault, "note.md", digest(ORIGINAL))
    assert (vault / "note.md").read_bytes() == b"the user wrote here\n"


def test_delete_refuses_a_path_leaving_the_vault(vault: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.md"
    victim.write_bytes(b"x")
    with pytest.raises(WriteRefused):
        delete_file(vault, "../victim.md", digest(b"x"))
    assert victim.exists()


def test_delete_removes_folders_left_empty_up_to_the_root(make_vault: VaultFactory) -> None:
    """Folders vaultlink made for the file (issue 23: only those; see test_adversarial_writes.py)."""
    root = make_vault({"keep.md": b"k"})
    write_file(root, "a/b/c/stub.md", b"s", None)
    delete_file(root, "a/b/c/stub.md", digest(b"s"))
    assert not (root / "a").exists()
    assert root.is_dir()
    assert (root / "keep.md").exists()


def test_delete_stops_at_a_folder_that_is_not_empty(make_vault: VaultFactory) -> None:
    root = make_vault({"a/other.md": b"o"})
    write_file(root, "a/b/stub.md", b"s", None)
    delete_file(root, "a/b/stub.md", digest(b"s"))
    assert not (root / "a/b").exists()
    assert (root / "a/other.md").read_bytes() == b"o"


def test_delete_never_removes_the_vault_root(make_vault: VaultFactory) -> None:
    root = make_vault({"only.md": b"s"})
    delete_file(root, "only.md", digest(b"s"))
    assert root.is_dir()
    assert list(root.iterdir()) == []


def test_delete_never_removes_the_root_even_through_a_subfolder(make_vault: VaultFactory) -> None:
    root = make_vault({})
    write_file(root, "a/only.md", b"s", None)
    delete_file(root, "a/only.md", digest(b"s"))
    assert root.is_dir()
    assert list(root.iterdir()) == []


def test_vault_reached_through_a_symlink_is_written_and_its_root_kept(make_vault: VaultFactory, tmp_path: Path) -> None:
    real = make_vault({"note.md": ORIGINAL})
    link = tmp_path / "vault-link"
    link.symlink_to(real, target_is_directory=True)
    write_file(link, "a/stub.md", b"s", None)
    write_file(link, "note.md", NEW, digest(ORIGINAL))
    write_file(link, "new/x.md", b"x", None)
    delete_file(link, "a/stub.md", digest(b"s"))
    delete_file(link, "new/x.md", digest(b"x"))
    assert (real / "note.md").read_bytes() == NEW
    assert sorted(p.name for p in real.iterdir()) == ["note.md"]
    assert link.is_symlink() and real.is_dir()
