"""Issue 23, the watcher's cases: reproduced with ``LiveVault`` driven batch by batch.

Each needs a change in ``live.py``/``watch.py``, which another helper is splitting now: they are
strict xfails until then (an xfail that starts passing fails the suite, so the fix is noticed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SMALL_VAULT, VaultFactory, snapshot
from tests.test_security import SECRET
from vaultlink import app
from vaultlink.errors import VaultlinkError
from vaultlink.live import LiveVault

NEEDS_THE_SPLIT = "needs the app split (live.py/watch.py, another helper's)"


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def start(root: Path) -> LiveVault:
    live = LiveVault(root, grace=0.0, clock=Clock())
    live.sync_all()
    return live


def outside_folder(tmp_path: Path) -> Path:
    """A folder beside the vault holding ``secret.md`` (``test_security``'s secret note)."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.md").write_bytes(SECRET)
    return tmp_path / "outside"


def in_vault(root: Path, text: str) -> list[str]:
    return [rel for rel, data in snapshot(root).items() if text.encode() in data]


@pytest.mark.xfail(strict=True, reason=NEEDS_THE_SPLIT)
def test_a_symlink_out_of_the_vault_made_under_watch_is_not_read(make_vault: VaultFactory, tmp_path: Path) -> None:
    outside = outside_folder(tmp_path)
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / "Leak.md").symlink_to(outside / "secret.md")
    live.update(["Leak.md"])
    assert in_vault(vault, "Leak from outside") == []
    assert not (vault / "Leak from outside.md").exists()
    assert app.sync(vault, dry_run=True).pending == 0


@pytest.mark.xfail(strict=True, reason=NEEDS_THE_SPLIT)
def test_a_symlinked_folder_out_of_the_vault_made_under_watch_is_not_read(
    make_vault: VaultFactory, tmp_path: Path
) -> None:
    outside = outside_folder(tmp_path)
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / "out").symlink_to(outside, target_is_directory=True)
    live.update(["out", "out/secret.md"])
    assert not (vault / "Leak from outside.md").exists()
    assert app.sync(vault, dry_run=True).pending == 0


@pytest.mark.xfail(strict=True, reason=NEEDS_THE_SPLIT)
def test_watchers_on_a_vault_and_a_folder_inside_it_agree(make_vault: VaultFactory) -> None:
    """Refusing the nested vault would pass too: then building the inner watcher raises."""
    vault = make_vault(SMALL_VAULT)
    outer = start(vault)
    inner = start(vault / "sub")
    for _ in range(3):
        wrote_inner = [f"sub/{p}" for p in inner.update(["Epsilon.md", "Zeta.md"]).written]
        wrote_outer = outer.update(wrote_inner or ["sub/Epsilon.md"]).written
    assert wrote_inner == [] and wrote_outer == []


@pytest.mark.xfail(strict=True, reason=NEEDS_THE_SPLIT)
def test_the_vault_folder_deleted_under_watch_is_reported(make_vault: VaultFactory) -> None:
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    shutil.rmtree(vault)
    with pytest.raises(VaultlinkError, match="vault"):
        live.update(["Alpha.md"])


@pytest.mark.xfail(strict=True, reason=NEEDS_THE_SPLIT)
def test_settings_edited_under_watch_are_taken_up(make_vault: VaultFactory) -> None:
    vault = make_vault(SMALL_VAULT)
    live = start(vault)
    (vault / ".vaultlink.toml").write_text("backlinks = false\n")
    live.update([".vaultlink.toml"])
    assert app.sync(vault, dry_run=True).pending == 0
