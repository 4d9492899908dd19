"""Case-insensitive and normalising file systems (Windows, macOS, FAT and exFAT sticks): a stub
``Foo.md`` where ``foo.md`` exists, and NFD names against NFC links, never overwrite or
duplicate a note.

Case: on a real exFAT file system (case-insensitive, case-preserving, no hard links), mounted
from an image through FUSE where this machine allows it (root, ``mkfs.exfat``, ``losetup``,
``mount.exfat-fuse``); skipped elsewhere. Unicode form: no file system here normalises names
(ext4 without casefold), so macOS's lookups are played: the writer is shown a folder that holds
the NFD name when asked for the NFC one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import VaultFactory, snapshot

from vaultlink import app, writer
from vaultlink.core.config import Config
from vaultlink.core.note import Link, LinkKind, Note
from vaultlink.core.resolve import NoteIndex, Outcome, resolve_link
from vaultlink.writer import WriteRefused, write_file

NFC = unicodedata.normalize("NFC", "Café")
NFD = unicodedata.normalize("NFD", "Café")
TOOLS = ("mkfs.exfat", "losetup", "mount.exfat-fuse")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


@pytest.fixture(scope="module")
def exfat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An exFAT file system mounted for this module, or a skip saying why there is none."""
    if os.name != "posix" or os.geteuid() != 0 or not all(shutil.which(t) for t in TOOLS):
        pytest.skip("needs root and " + ", ".join(TOOLS) + " (Debian: exfatprogs, exfat-fuse)")
    base = tmp_path_factory.mktemp("exfat")
    image, mount = base / "fs.img", base / "mnt"
    mount.mkdir()
    with image.open("wb") as f:
        f.truncate(32 * 1024 * 1024)
    if _run("mkfs.exfat", str(image)).returncode != 0:
        pytest.skip("mkfs.exfat failed")
    loop = _run("losetup", "-f", "--show", str(image))
    if loop.returncode != 0:
        pytest.skip(f"no loop device: {loop.stderr.strip()}")
    device = loop.stdout.strip()
    mounted = _run("mount.exfat-fuse", device, str(mount))
    try:
        if mounted.returncode != 0 or not os.path.ismount(mount):
            pytest.skip(f"cannot mount exFAT here: {mounted.stderr.strip()}")
        (mount / "probe.md").write_text("x")
        if not (mount / "PROBE.md").exists():
            pytest.skip("the mounted file system is not case-insensitive")
        (mount / "probe.md").unlink()
        yield mount
    finally:
        if os.path.ismount(mount):
            _run("umount", str(mount))
        _run("losetup", "-d", device)


@pytest.fixture
def folded_vault(exfat: Path) -> Iterator[Path]:
    root = exfat / f"vault-{uuid.uuid4().hex[:8]}"
    root.mkdir()
    yield root
    shutil.rmtree(root, ignore_errors=True)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(text.encode("utf-8"))


def test_a_stub_foo_never_lands_on_the_users_foo(folded_vault: Path) -> None:
    """``foo.md`` is the user's but ignored: ``[[Foo]]`` finds it all the same (an ignored note is a
    link target), so no stub Foo.md is planned over it, and foo.md is left as it is, every run.
    (The writer's own refusal of a namesake: ``test_write_file_never_creates_over_a_case_namesake``.)"""
    write(
        folded_vault,
        {
            ".vaultlink.toml": 'ignore = ["foo.md"]\n',
            "foo.md": "# foo\n\nThe user's own, ignored by vaultlink.\n",
            "A.md": "# A\n\nA links [[Foo]] and [[Ghost]].\n",
            "B.md": "# B\n\nB links [[GHOST]].\n",
        },
    )
    before = (folded_vault / "foo.md").read_bytes()
    for _ in range(2):
        report = app.sync(folded_vault)
        assert report.skipped == []
        assert "Foo.md" not in report.created
    assert (folded_vault / "foo.md").read_bytes() == before
    assert sorted(os.listdir(folded_vault)) == [".vaultlink", ".vaultlink.toml", "A.md", "B.md", "Ghost.md", "foo.md"]
    app.clean(folded_vault)
    assert (folded_vault / "foo.md").read_bytes() == before
    assert not (folded_vault / "Ghost.md").exists()


def test_sync_and_clean_on_exfat_are_byte_exact(folded_vault: Path) -> None:
    """No hard links there: new files are checked for, then renamed into place."""
    files = {
        "Alpha.md": "# Alpha\r\n\r\nAlpha links [[beta]], [[GAMMA]] and [[sub/delta]].\r\n",
        "Beta.md": "# Beta\n\nBeta names [[alpha]].\n",
        "Sub/Delta.md": "# Delta\n\nDelta links [[ALPHA]] and [[Gamma]].\n",
    }
    write(folded_vault, files)
    before = snapshot(folded_vault)
    first = app.sync(folded_vault)
    assert [p.casefold() for p in first.created] == ["gamma.md"] and first.skipped == []  # two citers
    assert app.sync(folded_vault, cache=app.NO_CACHE).pending == 0
    app.clean(folded_vault)
    assert snapshot(folded_vault) == before


def test_write_file_never_creates_over_a_case_namesake(folded_vault: Path) -> None:
    write(folded_vault, {"notes/readme.md": "mine\n"})
    with pytest.raises(WriteRefused, match=r"readme\.md is there"):
        write_file(folded_vault, "notes/README.md", b"stub\n", None)
    assert (folded_vault / "notes" / "readme.md").read_bytes() == b"mine\n"
    assert os.listdir(folded_vault / "notes") == ["readme.md"]


# --- Unicode forms (macOS hands out NFD names; links are typed in NFC) --------------------------


def _note(path: str, *links: str) -> Note:
    return Note(path=path, title=path, links=tuple(Link(t, LinkKind.WIKILINK, f"[[{t}]]") for t in links))


@pytest.mark.parametrize(("file_form", "link_form"), [(NFD, NFC), (NFC, NFD)], ids=["NFD file", "NFC file"])
def test_a_link_finds_its_note_whatever_the_unicode_forms(file_form: str, link_form: str) -> None:
    index = NoteIndex([_note(f"{file_form}.md"), _note("A.md", link_form)], Config())
    found = resolve_link(Link(link_form, LinkKind.WIKILINK, f"[[{link_form}]]"), "A.md", index)
    assert (found.outcome, found.target) == (Outcome.NOTE, f"{file_form}.md")


def test_an_nfd_named_note_gets_no_nfc_stub(make_vault: VaultFactory) -> None:
    vault = make_vault({f"{NFD}.md": "# Café\n\nThe note.\n", "A.md": f"# A\n\nA links [[{NFC}]].\n"})
    report = app.sync(vault)
    assert report.created == [] and sorted(os.listdir(vault)) == sorted([".vaultlink", f"{NFD}.md", "A.md"])
    assert not [d for d in app.check_vault(vault).diagnostics if d.code == "broken-link"]


def test_a_new_file_is_never_made_over_its_namesake_on_a_normalising_file_system(
    make_vault: VaultFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Played as macOS (HFS+/APFS) looks names up: ``Café.md`` in NFC finds the NFD file."""
    vault = make_vault({f"{NFD}.md": "mine\n"})
    real_stat, real_link = os.stat, os.link

    def normalised(name: str | os.PathLike[str]) -> str | os.PathLike[str]:
        if isinstance(name, str) and unicodedata.normalize("NFC", name).endswith(f"{NFC}.md"):
            return name[: -len(f"{NFC}.md")] + f"{NFD}.md"
        return name

    def stat_as_macos(path: str | os.PathLike[str], *args: object, **kwargs: object) -> os.stat_result:
        return real_stat(normalised(path), *args, **kwargs)  # type: ignore[arg-type]

    def link_as_macos(src: str, dst: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        if os.path.lexists(normalised(os.fspath(dst))):
            raise FileExistsError(17, "File exists", os.fspath(dst))
        real_link(src, dst, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat_as_macos)
    monkeypatch.setattr(os, "link", link_as_macos)
    monkeypatch.setattr(writer.os.path, "exists", lambda p: os.path.lexists(normalised(os.fspath(p))))
    with pytest.raises(WriteRefused, match="not overwritten"):
        write_file(vault, f"{NFC}.md", b"stub\n", None)
    monkeypatch.undo()
    assert sorted(os.listdir(vault)) == [f"{NFD}.md"]
    assert (vault / f"{NFD}.md").read_bytes() == b"mine\n"
