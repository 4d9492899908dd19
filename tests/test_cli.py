"""The command line (``vaultlink.cli.cli``) through click's CliRunner: help, graph, check, placeholders."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import networkx as nx
import pytest
from click.testing import CliRunner, Result
from conftest import VAULT_OF_KNOWLEDGE, VaultFactory, lines, requires_shared, run

from vaultlink import __version__
from vaultlink.cli import cli
from vaultlink.output import shown, summary
from vaultlink.report import SyncReport

COMMANDS = ["sync", "watch", "graph", "related", "check", "clean"]


# --- text output is safe for a terminal -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain Café 🚀 back\\slash", "plain Café 🚀 back\\slash"),
        ("esc \x1b[31mred\x1b[0m", "esc \\x1b[31mred\\x1b[0m"),
        ("bell\x07 nul\x00 del\x7f csi\x9b", "bell\\x07 nul\\x00 del\\x7f csi\\x9b"),
        ("new\nline\r\ncr\rtab\t", "new\\nline\\r\\ncr\\rtab\\t"),
        ("bidi \u202eevil\u202c \u2066iso\u2069 sep\u2028", "bidi \\u202eevil\\u202c \\u2066iso\\u2069 sep\\u2028"),
    ],
)
def test_shown_escapes_what_a_terminal_acts_on_in_one_line(text: str, expected: str) -> None:
    assert shown(text) == expected


def test_shown_lines_keeps_tabs_and_line_endings_of_a_diff() -> None:
    diff = "--- a/x.md\r\n+\tindented\n-old\x1bc\rover\n"
    assert shown(diff, lines=True) == "--- a/x.md\r\n+\tindented\n-old\\x1bc\\rover\n"


# --- help and version -----------------------------------------------------------------------------------


def test_help_lists_every_command() -> None:
    result = run("--help")
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
    assert set(COMMANDS) <= set(cli.commands)


def test_short_help_option_works() -> None:
    result = run("-h")
    assert result.exit_code == 0
    assert "Usage:" in result.output


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example(name: str) -> None:
    command = cli.commands[name]
    assert isinstance(command, click.Command)
    assert command.help and command.help.strip()
    result = run(name, "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"vaultlink {name}" in result.output


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"vaultlink, version {__version__}"


# --- graph ---------------------------------------------------------------------------------------------------


def test_graph_writes_graphml_and_printssummary(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"a.md": "# A\n\nSee [[b]] and [[c]].\n", "b.md": "# B\n\nBack to [[a]].\n"})
    out = tmp_path / "out.graphml"
    result = run("graph", str(root), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.is_file()
    graph = nx.read_graphml(out)
    assert graph.number_of_nodes() >= 3
    [summary] = lines(result.output)
    assert summary.startswith(f"wrote {out}: 2 notes, 1 missing notes, ")
    assert "3 links" in summary
    assert "1 problems" in summary


@pytest.mark.parametrize(
    "args",
    [["graph", "-o", "out.graphml"], ["check"], ["sync"], ["clean"], ["related", "--all"], ["watch"]],
    ids=lambda args: args[0],
)
def test_every_command_on_a_missing_vault_exits_2_with_one_line(tmp_path: Path, args: list[str]) -> None:
    missing = tmp_path / "nowhere"
    command, *options = args
    result = run(command, str(missing), *(str(tmp_path / o) if o.endswith(".graphml") else o for o in options))
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert "no such vault folder" in line
    assert str(missing) in line
    assert not (tmp_path / "out.graphml").exists()


def test_graph_with_broken_config_exits_2_naming_the_file(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"a.md": "a", ".vaultlink.toml": "max_bytes = [\n"})
    result = run("graph", str(root), "-o", str(tmp_path / "out.graphml"))
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert str(root / ".vaultlink.toml") in line
    assert not (tmp_path / "out.graphml").exists()


def test_graph_into_missing_folder_is_one_error_line(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"a.md": "a"})
    result = run("graph", str(root), "-o", str(tmp_path / "no-such-dir" / "out.graphml"))
    assert result.exit_code == 2
    [line] = lines(result.output)
    assert line.startswith("Error: ")
    assert "no-such-dir" in line


# --- check -------------------------------------------------------------------------------------------------


def test_check_clean_vault_exits_0(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "# A\n\nSee [[b]].\n", "b.md": "# B\n\nSee [[a]].\n"})
    result = run("check", str(root))
    assert result.exit_code == 0, result.output
    assert lines(result.output) == ["2 notes checked, 0 problems"]


PROBLEM_VAULT: dict[str, str | bytes] = {
    "links.md": "# Links\n\n[[nowhere]]\n\n[[dup]]\n\n[up](../../outside.md)\n",
    "one/dup.md": "one",
    "two/dup.md": "two",
    "badfm.md": "---\ntags: [unclosed\n---\nbody\n",
    "latin1.md": "caf\u00e9".encode("latin-1"),
    "nul.md": b"text\x00text",
}
EXPECTED_PROBLEMS = {
    ("links.md:3", "broken-link"),
    ("links.md:5", "ambiguous-link"),
    ("links.md:7", "outside-vault"),
    ("badfm.md:3", "frontmatter"),
    ("latin1.md", "invalid-utf8"),
    ("nul.md", "binary"),
}


def test_check_lists_each_problem_with_path_and_code(make_vault: VaultFactory) -> None:
    root = make_vault(PROBLEM_VAULT)
    result = run("check", str(root))
    assert result.exit_code == 1
    out = lines(result.output)
    problem_lines = out[:-1]
    assert {tuple(line.split(": ", 2)[:2]) for line in problem_lines} == EXPECTED_PROBLEMS
    assert len(problem_lines) == len(EXPECTED_PROBLEMS)
    assert "[[nowhere]]" in next(line for line in problem_lines if "broken-link" in line)
    assert "one/dup.md" in next(line for line in problem_lines if "ambiguous-link" in line)
    assert out[-1].startswith("4 notes checked, 6 problems (")


def test_check_json(make_vault: VaultFactory) -> None:
    root = make_vault(PROBLEM_VAULT)
    result = run("check", str(root), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert set(payload) == {"notes", "problems"}
    assert payload["notes"] == 4
    for problem in payload["problems"]:
        assert set(problem) == {"path", "line", "code", "severity", "message"}
        assert problem["severity"] in ("error", "warning")
        assert problem["message"]
        assert (root / problem["path"]).is_file()
    where = {(p["path"] + (f":{p['line']}" if p["line"] else ""), p["code"]) for p in payload["problems"]}
    assert where == EXPECTED_PROBLEMS


def test_check_json_clean_vault(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[b]]", "b.md": "[[a]]"})
    result = run("check", str(root), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"notes": 2, "problems": []}


def test_check_reports_non_utf8_file_name(make_vault: VaultFactory) -> None:
    root = make_vault({"ok.md": "ok"})
    with open(os.path.join(os.fsencode(root), b"bad\xff.md"), "wb") as f:
        f.write(b"x")
    result = run("check", str(root), "--json")
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["code"] == "file-name"


# --- commands that are not there yet ------------------------------------------------------------------------

# --- a real vault ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def knowledge_check() -> Result:
    return CliRunner().invoke(cli, ["check", str(VAULT_OF_KNOWLEDGE), "--json"])


@pytest.mark.slow
@requires_shared
def test_real_vault_check_exits_1_without_crash(knowledge_check: Result) -> None:
    assert knowledge_check.exit_code == 1
    assert isinstance(knowledge_check.exception, SystemExit)
    payload = json.loads(knowledge_check.stdout)
    assert payload["notes"] > 2000


@pytest.mark.slow
@requires_shared
def test_real_vault_has_exactly_one_binary_note(knowledge_check: Result) -> None:
    problems = json.loads(knowledge_check.stdout)["problems"]
    binary = [p for p in problems if p["code"] == "binary"]
    assert len(binary) == 1
    assert b"\x00" in (VAULT_OF_KNOWLEDGE / binary[0]["path"]).read_bytes()


@pytest.mark.slow
@requires_shared
def test_real_vault_has_no_frontmatter_problems(knowledge_check: Result) -> None:
    problems = json.loads(knowledge_check.stdout)["problems"]
    assert [p for p in problems if p["code"] == "frontmatter"] == []


@pytest.mark.slow
@requires_shared
def test_real_vault_problem_paths_exist(knowledge_check: Result) -> None:
    problems = json.loads(knowledge_check.stdout)["problems"]
    assert problems
    for problem in problems:
        assert (VAULT_OF_KNOWLEDGE / problem["path"]).is_file(), problem


def test_check_says_a_link_to_an_unreadable_note_is_not_broken(make_vault: VaultFactory) -> None:
    root = make_vault({"A.md": "See [[bin]].\n", "bin.md": b"\x00\x01binary"})
    result = run("check", str(root))
    assert result.exit_code == 1
    assert "A.md:1: unreadable-target: [[bin]] leads to bin.md, which can't be read" in result.output
    assert "broken-link" not in result.output
    assert "bin.md: binary:" in result.output


def test_one_function_renders_every_reports_counts() -> None:
    """A sync's or clean's summary names every count; a watcher's batch, the notes written, the
    other counts that are not zero, and the time."""
    report = SyncReport(scanned=9, changed=["a", "b"], deleted=["c"], skipped=[("d", "why")], seconds=0.5)
    assert summary(report, "changed") == "9 notes scanned, 2 changed, 0 stubs created, 1 stubs removed, 1 skipped"
    assert summary(report, "written", batch=True) == "2 written, 1 stubs removed, 1 skipped (0.50 s)"
    waiting = SyncReport(changed=["a", "b"], deleted=["c"], waiting=["d"], seconds=0.5)
    assert summary(waiting, "written", batch=True) == "2 written, 1 stubs removed, 1 waiting for you to pause (0.50 s)"
    assert summary(SyncReport(seconds=1.234), "written", batch=True) == "0 written (1.23 s)"
