"""Output is a function of the vault alone (GUIDE property 8): whatever the cache holds (nothing,
some notes, all, stale parses, parses another process made) and whatever order the notes are read
in, a sync writes the bytes a sync without a cache writes (issue 15: a resumed sync wrote
"mentions this note, shot" where an uninterrupted one wrote "shots")."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pytest
from conftest import examples, snapshot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.scan import list_vault
from vaultlink.vault import Listing

# A note whose names state "shot" in two forms its text never uses: the form its word takes
# (and a reason shows) must not depend on the order a set of names is iterated in.
SHOTS = "---\naliases: [Shot list]\n---\nPhotographs taken at night.\n"

# A footer in five notes is boilerplate (``core/evidence.py``); in the stale state the cache saw it in four.
FOOTER = "\nFiled from the quick capture template, version two.\n"
NOTES: dict[str, str] = {
    "Shots.md": SHOTS,
    "Harbour.md": "# Harbour\n\nMy shots of the harbour at night: long exposures, photographs of boats.\n" + FOOTER,
    "Boats.md": "# Boats\n\nBoats in the harbour at night, photographs and shots. See [[Harbour]].\n" + FOOTER,
    "Night sky.md": "# Night sky\n\nLong exposures of the night sky need a tripod. [[Missing lens]] [[Shots]]\n",
    "Tripod.md": "---\naliases: [Tripods]\n---\nA tripod for long exposures and night photographs.\n" + FOOTER,
    "Bread.md": "# Bread\n\nSourdough starter, rye flour, a proofing basket.\n" + FOOTER,
    "Rye.md": "# Rye\n\nRye flour in a sourdough starter; the proofing basket again.\n",
    "Stale.md": "# Stale\n\nThis text is changed after the cache saw it: harbour photographs.\n" + FOOTER,
}
STALE_TEXT = "# Stale\n\nNow about sourdough and rye flour, nothing of the harbour.\n"


def write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def vault_at(root: Path) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    write(root, NOTES)
    return root


@contextmanager
def read_in_order(seed: int) -> Iterator[None]:
    """Every listing shuffled with ``seed``: the notes are read, parsed and cached in that order."""

    def shuffled(*args: object, **kwargs: object) -> Listing:
        listing: Listing = list_vault(*args, **kwargs)  # type: ignore[arg-type]
        random.Random(seed).shuffle(listing.paths)
        return listing

    with mock.patch("vaultlink.app.list_vault", shuffled), mock.patch("vaultlink.scan.list_vault", shuffled):
        yield


def uncached_sync(root: Path) -> dict[str, bytes]:
    app.sync(root, cache=app.NO_CACHE)
    return snapshot(root)


CACHE_STATES = ["none", "partial", "full", "stale"]


def prepare_cache(root: Path, state: str, seed: int) -> None:
    """Leave a cache in ``root`` holding parses as ``state`` says, then the vault as ``NOTES``."""
    if state == "none":
        return
    if state == "partial":  # a run that saw some of the notes (killed midway, or notes added since)
        kept = sorted(NOTES)[: 1 + seed % (len(NOTES) - 1)]
        for rel in set(NOTES) - set(kept):
            (root / rel).unlink()
    if state == "stale":  # parses of texts that have changed since
        write(root, {"Stale.md": STALE_TEXT, "Shots.md": SHOTS.replace("harbour", "beach")})
    app.check_vault(root, app.USE_CACHE)  # a scan that writes the cache and nothing in the notes
    write(root, NOTES)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=st.sampled_from(CACHE_STATES), seed=st.integers(0, 2**16), synced_before=st.booleans())
def test_any_cache_state_and_read_order_give_the_uncached_output(
    tmp_path: Path, state: str, seed: int, synced_before: bool
) -> None:
    expected = uncached_sync(vault_at(tmp_path / "plain"))
    root = vault_at(tmp_path / "cached")
    with read_in_order(seed):
        if synced_before:  # a sync already wrote blocks and stubs (a resumed run finds them)
            app.sync(root, cache=app.NO_CACHE)
        prepare_cache(root, state, seed)
        app.sync(root)
    assert snapshot(root) == expected
    assert app.sync(root).pending == 0


def sync_in_a_process(root: Path, hash_seed: int, *options: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    subprocess.run([sys.executable, "-m", "vaultlink", "sync", "-q", *options, str(root)], check=True, env=env)


@pytest.mark.slow
def test_every_process_writes_the_same_bytes(tmp_path: Path) -> None:
    """Processes hash strings with different salts: nothing written may depend on set order."""
    outputs = []
    for hash_seed in range(4):
        root = vault_at(tmp_path / f"v{hash_seed}")
        sync_in_a_process(root, hash_seed, "--no-cache")
        outputs.append(snapshot(root))
    assert all(out == outputs[0] for out in outputs)
    assert b"Shots" in outputs[0]["Harbour.md"] or b"Shots" in outputs[0]["Boats.md"]


@pytest.mark.slow
def test_a_cache_another_process_wrote_changes_nothing(tmp_path: Path) -> None:
    expected = uncached_sync(vault_at(tmp_path / "plain"))
    root = vault_at(tmp_path / "cached")
    scan = f"from vaultlink import app; app.check_vault({str(root)!r}, app.USE_CACHE)"
    for hash_seed in (1, 2):
        env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
        subprocess.run([sys.executable, "-c", scan], env=env, check=True)  # the cache, written there
        app.sync(root)
        assert snapshot(root) == expected
        write(root, NOTES)
