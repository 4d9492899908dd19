"""The code base stays lint-clean and fully typed (the project's standard, checked in CI)."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "vaultlink", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_is_over_400_lines() -> None:
    """A module does one job and can be read whole (docs/architecture.md lists each one's)."""
    sizes = {p.relative_to(ROOT).as_posix(): len(p.read_text().splitlines()) for p in ROOT.glob("vaultlink/**/*.py")}
    assert sizes and {path: n for path, n in sizes.items() if n > 400} == {}


def test_every_module_is_in_the_architecture_docs() -> None:
    layout = (ROOT / "docs" / "architecture.md").read_text()
    modules = {path.name for path in ROOT.glob("vaultlink/**/*.py") if path.name not in ("__init__.py", "__main__.py")}
    assert modules and {name for name in modules if name not in layout} == set()
