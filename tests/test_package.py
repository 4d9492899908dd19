"""vaultlink is a real package: the wheel ``pip wheel .`` builds holds every module and the
command, and the command runs from an install of that wheel alone (not from this checkout)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, pristine_sample

from vaultlink import __version__


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("vaultlink-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_holds_every_module_the_graph_page_files_and_nothing_else(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "vaultlink").rglob("*.py")}
    assert modules <= names
    web = {p.relative_to(ROOT).as_posix() for p in (ROOT / "vaultlink" / "web").iterdir()}  # the graph page's files
    assert {"vaultlink/web/sigma.min.js", "vaultlink/web/LICENSE-sigma.txt", "vaultlink/web/graph.html"} <= web <= names
    assert not {n for n in names if n.startswith(("tests/", "benchmarks/", "sample_vault/"))}
    assert f"vaultlink-{__version__}.dist-info/entry_points.txt" in names


@pytest.mark.slow
def test_the_installed_wheel_runs_the_command_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """Installed on its own into a folder (dependencies come from this interpreter), run from
    elsewhere, the command reports the package's version and syncs a vault."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    command = [str(target / "bin" / "vaultlink")]  # the console script pip made from the entry point
    where = subprocess.run(
        [sys.executable, "-c", "import vaultlink; print(vaultlink.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(target)
    version = subprocess.run([*command, "--version"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"vaultlink, version {__version__}"
    vault = tmp_path / "vault"
    shutil.copytree(pristine_sample(), vault)
    synced = subprocess.run([*command, "sync", str(vault), "-q"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert synced.returncode == 0, synced.stderr
    assert "<!-- vaultlink:related -->" in (vault / "cooking" / "Sauerkraut.md").read_text(encoding="utf-8")
    page = tmp_path / "graph.html"  # the page inlines the JavaScript the wheel ships
    drawn = subprocess.run([*command, "graph", str(vault), "-o", str(page)], env=env, cwd=tmp_path, capture_output=True)
    assert drawn.returncode == 0, drawn.stderr
    assert "Sigma=" in page.read_text(encoding="utf-8")


def test_ci_runs_the_readmes_two_set_up_commands_in_order() -> None:
    """What CI runs is what a newcomer types: the README's set-up commands, in order, and nothing else."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", section)
    ci = [
        line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.startswith("python3")
    ]
    assert len(commands) == 2
    assert ci == commands
    assert "vaultlink sync sample_vault" in commands[0]
    assert "pytest" in commands[1]


HEAVY = ("numpy", "scipy", "networkx", "watchdog", "sudachipy", "rjieba", "stop_words", "mcp")


def test_the_cli_imports_no_heavy_library_until_a_command_needs_it() -> None:
    """A no-op sync, `check` and `related` from kept answers pay for imports on every call: the
    ranking (numpy, scipy), the graph (networkx), the watcher, the segmenters and the MCP SDK are
    imported by the code that uses them. (Reason words once pulled the ranking into the config.)"""
    code = f"import sys, vaultlink.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"
