"""Shared test helpers.

``../shared/`` (the seeds and a real vault) sits beside the project on developer and CI
machines but not in a user's clone: tests that need it are skipped when it is absent.

Hypothesis runs under one of two profiles: ``ci`` (each property's full number of examples)
where the environment says ``CI=true``, as CI services do, and ``dev`` (a tenth of them)
elsewhere; ``HYPOTHESIS_PROFILE`` picks one by name. A property states its ``ci`` count through
``examples(n)``. The quick loop is ``pytest -m "not slow"`` (README, Development).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

T = TypeVar("T")

settings.register_profile("ci", max_examples=100)
settings.register_profile("dev", max_examples=10)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
settings.load_profile(PROFILE)


def slow_but(values: Iterable[T], *quick: T) -> list[Any]:
    """A parametrized test's values, those in ``quick`` run by the quick loop and the others
    marked ``slow`` (the full suite, and CI, run them all): one or two cases of a sweep say
    whether it still holds while you work."""
    out: list[Any] = []
    for value in values:
        if value in quick:
            out.append(value)
        else:  # a tuple holds the values of several names
            out.append(pytest.param(*value if isinstance(value, tuple) else (value,), marks=pytest.mark.slow))
    return out


def examples(ci: int) -> int:
    """A property's number of examples: ``ci`` under the ci profile, scaled down with the loaded
    profile (a tenth under dev), never below 5."""
    return max(5, ci * settings.default.max_examples // 100)


ROOT = Path(__file__).resolve().parents[1]
# The tracked demo vault. The README's first command syncs it, so tests never read it as it is:
# they use ``pristine_sample()``, a cleaned copy, whatever state this folder is in.
DEMO_VAULT = ROOT / "sample_vault"
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
VAULT_OF_KNOWLEDGE = SHARED / "vaults" / "vaultofknowledge"

requires_shared = pytest.mark.skipif(not VAULT_OF_KNOWLEDGE.is_dir(), reason="../shared/ is not beside the project")
requires_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="../shared/seeds is not beside the project")

STATE_DIR = ".vaultlink"


@functools.cache
def pristine_sample() -> Path:
    """A copy of ``sample_vault/`` as it is tracked, unlinked: copied once per test session (without
    vaultlink's state folder) and cleaned, so tests pass before and after a newcomer has run
    ``vaultlink sync sample_vault``. The copy is named ``sample_vault`` (its name is a path prefix
    the notes use). Read it; copy it before writing to it."""
    from vaultlink import app

    base = Path(tempfile.mkdtemp(prefix="vaultlink-sample-"))
    atexit.register(shutil.rmtree, base, True)
    root = base / "sample_vault"
    shutil.copytree(DEMO_VAULT, root, ignore=shutil.ignore_patterns(STATE_DIR))
    app.clean(root, cache=app.NO_CACHE)
    return root


def run(*args: str) -> Result:
    """``vaultlink ARGS`` through click's runner (stdout and stderr kept apart)."""
    from vaultlink.cli import cli

    return CliRunner().invoke(cli, list(args))


def lines(text: str) -> list[str]:
    """The text's lines that are not blank."""
    return [line for line in text.splitlines() if line.strip()]


def prose(*phrases: str, times: int = 2) -> str:
    """Sentences stating each phrase ``times`` times, so it becomes one of the note's terms."""
    return " ".join(f"About the {p}." for p in phrases for _ in range(times)) + "\n"


FILLER = (
    "Knitting socks on a rainy afternoon.",
    "Repairing the garden shed roof.",
    "Learning a few chords on the ukulele.",
    "Sorting old photographs into albums.",
    "Planning a trip to the seaside.",
)

# The watcher's small test vault. Twelve notes: concepts live between 2 and 3 notes
# (max_df_ratio 0.25 of 12); Alpha links Beta, Epsilon links a missing Ghost (asking for its stub).
SMALL_VAULT: dict[str, str] = {
    "Alpha.md": "# Alpha\n\nSee [[Beta]].\n\n" + prose("sourdough starter", "rye flour"),
    "Beta.md": "# Beta\n\n" + prose("bulk fermentation", "proofing basket"),
    "Gamma.md": "# Gamma\n\n" + prose("sourdough starter", "rye flour"),
    "Delta.md": "# Delta\n\n" + prose("dark sky", "light pollution"),
    "sub/Epsilon.md": "# Epsilon\n\nAlso [[Ghost]] (or create if missing).\n\n" + prose("dark sky", "light pollution"),
    "sub/Zeta.md": "# Zeta\n\n" + prose("index funds", "expense ratio"),
    "Eta.md": "# Eta\n\n" + prose("index funds", "expense ratio"),
    **{f"Filler {i}.md": f"# Filler {i}\n\n{text}\n" for i, text in enumerate(FILLER)},
}

# For tests of the stub mechanics, not of the policy: every missing note one link names gets its
# stub (by default a wikilink needs two citing notes: docs/config.md).
ONE_CITER: dict[str, str] = {".vaultlink.toml": "stub_min_citers = 1\n"}

VaultFactory = Callable[[Mapping[str, str | bytes]], Path]


@pytest.fixture
def make_vault(tmp_path: Path) -> VaultFactory:
    """Write ``{relative path: text or bytes}`` into a fresh vault folder and return it.

    Text is written exactly as given (no newline translation), so CRLF tests stay CRLF.
    """

    def make(files: Mapping[str, str | bytes]) -> Path:
        root = tmp_path / "vault"
        root.mkdir(exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            data = content.encode("utf-8") if isinstance(content, str) else content
            path.write_bytes(data)
        return root

    return make


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too), by relative path, with its bytes; but not
    ``.vaultlink/``, vaultlink's own state (cache and lock), which is not the user's."""
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d != STATE_DIR]
        for name in names:
            path = Path(folder, name)
            files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files


def folders(root: Path) -> set[str]:
    """Every folder under ``root``, relative, the root itself as "."; not ``.vaultlink/``."""
    found = set()
    for folder, dirs, _names in os.walk(root):
        if Path(folder) == root:
            dirs[:] = [d for d in dirs if d != STATE_DIR]
        found.add(Path(folder).relative_to(root).as_posix())
    return found


def state_files(root: Path) -> list[str]:
    """What vaultlink keeps in the vault's ``.vaultlink/`` (its cache and nothing else, between runs)."""
    state = root / STATE_DIR
    return sorted(p.name for p in state.iterdir()) if state.is_dir() else []


CACHE_ONLY = [".gitignore", "cache.sqlite"]


def mtimes(root: Path) -> dict[str, int]:
    return {rel: (root / rel).stat().st_mtime_ns for rel in snapshot(root)}
