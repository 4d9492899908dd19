"""The user's scope under ``watch``: a note deleted or renamed is never brought back as a stub, a
note an editor holds open waits until it is closed, an opt-out leaves every Related list, and the
first sync says which stubs it held. Each on a small vault built in the test."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import VaultFactory, prose
from test_scope import codes, scoped_vault, sync

from vaultlink import app
from vaultlink.config import CONFIG_NAME
from vaultlink.live import LiveVault
from vaultlink.output import WatchPrinter

# --- the watcher never brings back a note the user deleted or renamed ------------------------------


def watched(make_vault: VaultFactory) -> tuple[Path, LiveVault]:
    root = make_vault({"Target.md": "# Target\n", "a.md": "See [[Target]].\n", "b.md": "Also [[Target]].\n"})
    return root, LiveVault(root, grace=0.0)


def test_a_note_deleted_under_watch_is_not_brought_back_as_a_stub(make_vault: VaultFactory) -> None:
    root, live = watched(make_vault)
    live.sync_all()
    (root / "Target.md").unlink()
    report = live.update(["Target.md"])
    assert report.removed == ["Target.md"] and report.created == [] and not (root / "Target.md").exists()
    assert live.update([]).created == []
    gone = codes(root)["gone-note"]
    assert gone == ["[[Target]] leads to Target.md, which you deleted"] * 2
    assert sync(root).created == []  # nor by a later sync
    (root / "Target.md").write_text("# Target again\n")
    live.update(["Target.md"])
    assert "gone-note" not in codes(root)


def test_a_note_renamed_under_watch_leaves_no_stub_and_check_names_the_new_name(make_vault: VaultFactory) -> None:
    root, live = watched(make_vault)
    live.sync_all()
    (root / "Target.md").rename(root / "Renamed.md")
    report = live.update(["Target.md", "Renamed.md"])
    assert report.created == [] and not (root / "Target.md").exists()
    assert (
        codes(root)["gone-note"]
        == ["[[Target]] leads to Target.md, which you renamed to Renamed.md: update the link"] * 2
    )


# --- the editor ------------------------------------------------------------------------------------


@pytest.mark.parametrize("trace", [".A.md.swp", ".A.md.swo", ".#A.md"])
def test_a_note_an_editor_holds_open_waits_until_it_is_closed(make_vault: VaultFactory, trace: str) -> None:
    now = [0.0]
    root = make_vault({"A.md": "# A\n", "B.md": "# B\n"})
    live = LiveVault(root, grace=0.0, clock=lambda: now[0])
    live.sync_all()
    if trace.startswith(".#"):
        (root / trace).symlink_to("user@host.1234")  # Emacs's lock is a dangling symbolic link
    else:
        (root / trace).write_bytes(b"b0VIM 9.0")
    (root / "B.md").write_text("# B\n\nSee [[A]].\n")
    report = live.update(["B.md"])
    assert report.waiting == ["A.md"] and "<!--" not in (root / "A.md").read_text()
    now[0] += 10
    assert live.update([]).waiting == ["A.md"]  # still open
    (root / trace).unlink()
    now[0] += 10
    assert live.update([]).changed == ["A.md"]
    assert "- [[B]]" in (root / "A.md").read_text()


def test_under_watch_a_note_that_opts_out_leaves_every_related_list(make_vault: VaultFactory) -> None:
    root = scoped_vault(make_vault, {"Private.md": "# Private\n\n" + prose("sourdough starter", "rye flour")})
    live = LiveVault(root, grace=0.0, defer=False)
    live.sync_all()
    assert "[[Private]] —" in (root / "Alpha.md").read_text()
    (root / "Private.md").write_text(
        "---\nvaultlink: false\n---\n# Private\n\n" + prose("sourdough starter", "rye flour")
    )
    live.update(["Private.md"])
    assert "[[Private]] —" not in (root / "Alpha.md").read_text()
    assert "<!--" not in (root / "Private.md").read_text()
    assert app.sync(root, app.SyncOverrides(), dry_run=True, cache=app.NO_CACHE).pending == 0  # as a sync would


def test_watch_says_which_stubs_its_first_sync_held(make_vault: VaultFactory) -> None:
    links = " ".join(f"[[Missing {i}]]" for i in range(3))
    root = make_vault({"a.md": links, "b.md": links, CONFIG_NAME: "stub_limit = 2\n"})
    live = LiveVault(root, grace=0.0)
    report = live.sync_all()
    assert report.held == ["Missing 0.md", "Missing 1.md", "Missing 2.md"] and report.created == []
    result = CliRunner().invoke(click.command()(lambda: WatchPrinter(False, False).synced(2, report)))
    assert "3 stubs not made (Missing 0.md, Missing 1.md, Missing 2.md)" in result.output


def test_a_note_appearing_in_an_ignored_folder_under_watch_is_a_link_target(make_vault: VaultFactory) -> None:
    root = make_vault({CONFIG_NAME: 'ignore = ["archive/"]\n', "a.md": "[[archive/Plan]]\n", "b.md": "[[Plan]]\n"})
    live = LiveVault(root, grace=0.0)
    live.sync_all()
    assert "broken-link" in codes(root)
    (root / "archive").mkdir()
    (root / "archive/Plan.md").write_text("# Plan\n")
    live.update(["archive/Plan.md"])
    assert {r.resolution.outcome.value for r in live.model.all_links()} == {"ignored"}
    assert "broken-link" not in codes(root) and not (root / "Plan.md").exists()
    (root / "archive/Plan.md").unlink()
    live.update(["archive/Plan.md"])
    assert {r.resolution.outcome.value for r in live.model.all_links()} == {"missing"}
    assert app.sync(root, app.SyncOverrides(), dry_run=True, cache=app.NO_CACHE).pending == 0  # as a sync would
