"""The platform branches CI (Linux) can't run for real, played here: Windows without ``fcntl``,
``dir_fd`` or openable folders, where a file held open can be neither replaced nor deleted."""

from __future__ import annotations

import ntpath
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ONE_CITER, ROOT, VaultFactory

from vaultlink import app, platform, safe_io, writer
from vaultlink import vault as vault_files
from vaultlink.core.file_names import windows_name_problem
from vaultlink.writer import HELD_OPEN, WriteRefused, write_file

NO_FCNTL = ROOT / "tests" / "no_fcntl"
CRLF_NOTE = b"# Alpha\r\n\r\nAlpha links [[Beta]] and [[Gamma]].\r\n"
NOTES: dict[str, str | bytes] = {
    **ONE_CITER,
    "Alpha.md": CRLF_NOTE,
    "Beta.md": "# Beta\n\nBeta names [[Alpha]].\n",
    "sub/Delta.md": "# Delta\n\nDelta links [[Alpha]] and [[sub/Epsilon]].\n",
}
_real_replace = os.replace
_real_unlink = os.unlink


def open_in_this_process(path: str | os.PathLike[str]) -> bool:
    """Does a descriptor of this process have ``path`` open? (Linux's /proc.)"""
    target = os.path.realpath(path)
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == target:
                return True
        except OSError:
            continue
    return False


def replace_as_windows(src: str | os.PathLike[str], dst: str | os.PathLike[str], **kwargs: object) -> None:
    """``os.replace`` with Windows' rule: the destination may not be open (here: in this process)."""
    if os.path.exists(dst) and open_in_this_process(dst):
        raise PermissionError(13, "The process cannot access the file because it is being used by another process")
    _real_replace(src, dst, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def as_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Play Windows where it matters to the writer: no fcntl, no dir_fd, and Windows' rule for
    replacing an open file. (``os.name`` itself stays: pathlib would build WindowsPaths.)"""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to see which files are open")
    monkeypatch.setattr(platform, "windows", lambda: True)
    monkeypatch.setattr(platform, "fcntl_module", lambda: None)
    monkeypatch.setattr(safe_io, "USES_DIR_FD", False)
    monkeypatch.setattr(platform.os, "replace", replace_as_windows)


def test_windows_is_asked_of_os_name_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert platform.windows() == (os.name == "nt")
    monkeypatch.setattr(os, "name", "nt")
    playing = platform.windows()
    monkeypatch.undo()
    assert playing


def test_no_fcntl_module_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl now raises ImportError
    assert platform.fcntl_module() is None


def refusing_replace(times: int, tries: list[str]) -> Callable[[str, str], None]:
    """``os.replace`` refused ``times`` times with Windows' PermissionError, then done."""

    def replace(src: str, dst: str) -> None:
        tries.append(dst)
        if len(tries) <= times:
            raise PermissionError(13, "being used by another process")
        _real_replace(src, dst)

    return replace


@pytest.mark.parametrize(("held_for", "replaced"), [(3, True), (4, False)], ids=["let go", "held throughout"])
def test_a_replace_refused_while_held_open_is_retried_then_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held_for: int, replaced: bool
) -> None:
    (tmp_path / "new").write_text("new")
    (tmp_path / "note.md").write_text("old")
    tries: list[str] = []
    monkeypatch.setattr(platform, "windows", lambda: True)
    monkeypatch.setattr(platform.os, "replace", refusing_replace(held_for, tries))
    assert platform.replace_held_open(tmp_path / "new", tmp_path / "note.md", attempts=4, wait=0) is replaced
    assert len(tries) == min(held_for + 1, 4)
    assert (tmp_path / "note.md").read_text() == ("new" if replaced else "old")


def test_a_permission_error_off_windows_is_not_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tries: list[str] = []

    def refused(src: str, dst: str) -> None:
        tries.append(dst)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(platform, "windows", lambda: False)
    monkeypatch.setattr(platform.os, "replace", refused)
    with pytest.raises(PermissionError):
        platform.replace_held_open(tmp_path / "a", tmp_path / "b")
    assert len(tries) == 1


def test_sync_and_clean_as_windows_are_byte_exact(make_vault: VaultFactory, as_windows: None) -> None:
    """The whole write path as on Windows: the writer's guard must not hold the note open
    (the replace would fail), no folder is opened for fsync, no dir_fd; CRLF stays CRLF."""
    vault = make_vault(NOTES)
    before = {p: (vault / p).read_bytes() for p in NOTES}
    first = app.sync(vault)
    assert first.skipped == [] and "Alpha.md" in first.changed
    assert sorted(first.created) == ["Gamma.md", "sub/Epsilon.md"]
    assert b"\r\n<!-- vaultlink:" in (vault / "Alpha.md").read_bytes()
    assert app.sync(vault).pending == 0
    app.clean(vault)
    assert {p: (vault / p).read_bytes() for p in NOTES} == before
    notes = sorted(n for n in NOTES if n.endswith(".md"))
    assert sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md")) == notes


def test_a_note_held_open_by_another_program_on_windows_is_reported(
    make_vault: VaultFactory, as_windows: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(NOTES)
    held = os.open(vault / "Alpha.md", os.O_RDONLY)  # an editor, a sync client, a virus scanner
    monkeypatch.setattr(platform.time, "sleep", lambda _s: None)
    try:
        report = app.sync(vault)
    finally:
        os.close(held)
    assert ("Alpha.md", HELD_OPEN) in report.skipped
    assert (vault / "Alpha.md").read_bytes() == CRLF_NOTE
    assert not list(vault.rglob(f"{writer.TEMP_PREFIX}*"))
    assert "Alpha.md" in app.sync(vault).changed  # let go of: written on the next run


def test_write_file_refuses_with_the_reason_when_still_held(make_vault: VaultFactory, as_windows: None) -> None:
    vault = make_vault({"note.md": b"old\n"})
    held = os.open(vault / "note.md", os.O_RDONLY)
    try:
        with pytest.raises(WriteRefused, match="held open by another program"):
            write_file(vault, "note.md", b"new\n", writer.digest(b"old\n"))
    finally:
        os.close(held)
    assert (vault / "note.md").read_bytes() == b"old\n"
    assert not list(vault.rglob(f"{writer.TEMP_PREFIX}*"))


def test_watched_paths_use_slashes_whatever_the_separator(monkeypatch: pytest.MonkeyPatch) -> None:
    """A watcher on Windows is told ``C:\\vault\\sub\\Note.md``: the note is ``sub/Note.md``."""
    windows_os = types.SimpleNamespace(path=ntpath, sep="\\", fspath=os.fspath, PathLike=os.PathLike)
    monkeypatch.setattr(vault_files, "os", windows_os)
    assert vault_files.relative_to(Path("C:\\vault"), "C:\\vault\\sub\\Note.md") == "sub/Note.md"
    assert vault_files.relative_to(Path("C:\\vault"), "C:\\elsewhere\\Note.md") is None
    assert vault_files.relative_to(Path("C:\\vault"), "D:\\vault\\Note.md") is None  # another drive


@pytest.mark.slow
def test_vaultlink_runs_where_it_cannot_import_fcntl(make_vault: VaultFactory) -> None:
    """Every module of vaultlink imports, and the CLI syncs, with ``import fcntl`` refused to
    vaultlink's own code as on Windows (tests/no_fcntl; portalocker keeps its locker)."""
    vault = make_vault(NOTES)
    env = {**os.environ, "PYTHONPATH": str(NO_FCNTL)}
    every_module = (
        "import importlib, pkgutil, vaultlink, vaultlink.platform as p\n"
        "names = [m.name for m in pkgutil.walk_packages(vaultlink.__path__, 'vaultlink.')]\n"
        "names.remove('vaultlink.__main__')  # runs the CLI\n"
        "[importlib.import_module(n) for n in names]\n"
        "assert p.fcntl_module() is None, 'fcntl was importable'\n"
        "print(len(names))\n"
    )
    imported = subprocess.run([sys.executable, "-c", every_module], env=env, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    assert int(imported.stdout) > 40
    for expected in ("0 skipped", "0 changed, 0 stubs created"):
        done = subprocess.run(
            [sys.executable, "-m", "vaultlink", "sync", str(vault)], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0 and expected in done.stdout, done.stderr


@pytest.mark.parametrize(
    "rel",
    ["What?.md", "a:b.md", "sub/x|y.md", "back\\slash.md", "NUL.md", "con.md", "lpt1.x.md", "Dots./x.md", "com¹.md"],
)
def test_names_windows_cant_hold_are_told(rel: str) -> None:
    assert windows_name_problem(rel)


@pytest.mark.parametrize("rel", ["Notes.md", "sub/Console.md", "CONTRACT.md", "a.b.c.md", "Café ☕.md", "NULL.md"])
def test_names_windows_holds_pass(rel: str) -> None:
    assert windows_name_problem(rel) == ""


def test_a_stub_windows_cant_hold_is_reported_not_written(make_vault: VaultFactory, as_windows: None) -> None:
    """The planner never asks for such a stub (``check`` says why); the writer refuses one all the same."""
    vault = make_vault({**ONE_CITER, "A.md": "# A\n\nA asks [[What now?]] and [[NUL]] and [[Fine]].\n"})
    report = app.sync(vault)
    assert report.created == ["Fine.md"]
    told = {d.message for d in app.check_vault(vault).diagnostics if d.code == "unusable-name"}
    assert any("Windows refuses" in m for m in told) and any("reserves for a device" in m for m in told)
    assert not (vault / "What now?.md").exists() and not (vault / "NUL.md").exists()
    with pytest.raises(WriteRefused, match="reserves for a device"):
        write_file(vault, "NUL.md", b"", None)


def test_the_guard_links_without_follow_symlinks_where_the_platform_lacks_it(
    make_vault: VaultFactory, as_windows: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows' os.link may refuse ``follow_symlinks`` with NotImplementedError (no OSError)."""
    real_link = os.link

    def link_without_the_option(src: str, dst: str, **kwargs: object) -> None:
        if "follow_symlinks" in kwargs:
            raise NotImplementedError("link: follow_symlinks unavailable on this platform")
        real_link(src, dst, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", link_without_the_option)
    vault = make_vault(NOTES)
    report = app.sync(vault)
    assert report.skipped == [] and "Alpha.md" in report.changed
