"""vaultlink in users' other tools: the pre-commit hooks, shell completion (note names for
``related``), and ``-q/--quiet`` meaning the same in every command."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SMALL_VAULT, VaultFactory, lines, run, slow_but, snapshot
from vaultlink import app

HOOKS = ROOT / ".pre-commit-hooks.yaml"


@pytest.fixture
def vault(make_vault: VaultFactory) -> Path:
    return make_vault({**SMALL_VAULT, "kitchen/Temperature.md": "oven\n", "sky/Temperature.md": "seeing\n"})


def hook(hook_id: str) -> list[str]:
    """The command line pre-commit runs for the hook (entry, then args), without ``vaultlink``."""
    [found] = [h for h in yaml.safe_load(HOOKS.read_text(encoding="utf-8")) if h["id"] == hook_id]
    assert found["pass_filenames"] is False, "the hooks look at the whole vault, not the staged files"
    command = shlex.split(found["entry"]) + list(found.get("args", []))
    assert command[0] == "vaultlink"
    return command[1:]


def test_check_hook_fails_on_stale_blocks_and_writes_nothing(vault: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(vault)
    before = snapshot(vault)
    stale = run(*hook("vaultlink-check"))
    assert stale.exit_code == 1
    assert snapshot(vault) == before
    synced = run(*hook("vaultlink-sync"))
    assert synced.exit_code == 0, synced.output
    assert snapshot(vault) != before, "pre-commit fails the commit because the hook changed files"
    fresh = run(*hook("vaultlink-check"))
    assert (fresh.exit_code, fresh.stdout) == (0, "")


def completion(**env: str) -> str:
    """What ``vaultlink`` prints under click's completion protocol (``env`` says what is asked)."""
    done = subprocess.run(
        [sys.executable, "-c", "from vaultlink.cli import cli; cli(prog_name='vaultlink')"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def complete(vault: Path, words: str) -> list[str]:
    """What bash completion offers for the last of ``words`` (click's completion protocol)."""
    out = completion(
        _VAULTLINK_COMPLETE="bash_complete",
        COMP_WORDS=f"vaultlink related {shlex.quote(str(vault))} {words}",
        COMP_CWORD=str(3 + len(words.split()) - 1),
    )
    return [line.split(",", 1)[1] for line in out.splitlines() if line]


@pytest.mark.parametrize("shell", slow_but(["bash", "zsh", "fish"], "bash"))  # each a fresh interpreter
def test_completion_scripts_are_produced(shell: str) -> None:
    script = completion(_VAULTLINK_COMPLETE=f"{shell}_source")
    assert "_vaultlink_completion" in script
    assert "_VAULTLINK_COMPLETE" in script


@pytest.mark.slow
def test_note_names_complete_for_related(vault: Path) -> None:
    assert complete(vault, "al") == ["Alpha"]
    assert complete(vault, "FIL") == [f"Filler {i}" for i in range(5)]
    assert complete(vault, "temp") == ["kitchen/Temperature", "sky/Temperature"], "a shared name completes as paths"
    assert complete(vault, "sub/") == ["sub/Epsilon", "sub/Zeta"]


def test_note_names_skip_ignored_files_and_never_fail(vault: Path, tmp_path: Path) -> None:
    (vault / ".vaultlink.toml").write_text('ignore = ["sub/"]\n', encoding="utf-8")
    assert app.note_names(vault, "sub/") == []
    assert complete(tmp_path / "no such vault", "a") == []


@pytest.mark.parametrize(
    "command",
    [
        ["sync", "{vault}", "-q"],
        ["sync", "{vault}", "--dry-run", "-q"],
        ["clean", "{vault}", "--quiet"],
        ["graph", "{vault}", "-o", "{out}", "-q"],
    ],
)
def test_quiet_prints_no_summary(vault: Path, tmp_path: Path, command: list[str]) -> None:
    args = [a.format(vault=vault, out=tmp_path / "g.graphml") for a in command]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "scanned" not in result.stdout and "wrote" not in result.stdout
    if "--dry-run" in command:
        assert "+++ " in result.stdout, "what was asked for (the diff) still prints"
    else:
        assert result.stdout == ""


def test_quiet_check_prints_the_problems_only(vault: Path) -> None:
    loud = run("check", str(vault))
    quiet = run("check", str(vault), "-q")
    assert loud.exit_code == quiet.exit_code == 1
    assert lines(quiet.stdout) == [line for line in lines(loud.stdout) if "notes checked" not in line]
    assert lines(quiet.stdout) == ["sub/Epsilon.md:3: broken-link: [[Ghost]] has no note; it would be Ghost.md"]


def test_every_command_that_prints_takes_quiet() -> None:
    from vaultlink.cli import cli

    for name, command in cli.commands.items():
        if name == "mcp":
            continue  # its stdout is the protocol
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert {"-q", "--quiet"} <= options, name
        [quiet] = [p for p in command.params if "--quiet" in getattr(p, "opts", [])]
        assert quiet.help is not None and quiet.help.startswith("No progress bar and no summary lines"), name
