"""The progress bar: shown on a terminal for steps over a second, never otherwise; every slow
step of a sync reports its items."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import SMALL_VAULT, VaultFactory

from vaultlink import app, cli, progress
from vaultlink.progress import NO_PROGRESS, TerminalProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Recorder:
    """A Progress that records each step's label, total and the sum of what it was told."""

    def __init__(self) -> None:
        self.steps: list[list[object]] = []
        self.closed = 0

    def step(self, label: str, total: int) -> progress.Advance:
        entry: list[object] = [label, total, 0]
        self.steps.append(entry)

        def advance(done: int) -> None:
            entry[2] = int(str(entry[2])) + done

        return advance

    def close(self) -> None:
        self.closed += 1


def test_a_quick_step_draws_nothing() -> None:
    out, clock = Terminal(), Clock()
    advance = TerminalProgress(out, clock).step("reading", 100)
    for _ in range(100):
        clock.now += 0.005  # half a second in all
        advance(1)
    assert out.getvalue() == ""


def test_a_slow_step_draws_a_bar_once_it_has_run_a_second() -> None:
    out, clock = Terminal(), Clock()
    bars = TerminalProgress(out, clock)
    advance = bars.step("reading", 10)
    for _ in range(9):
        clock.now += 0.3
        advance(1)
    bars.close()
    text = out.getvalue()
    assert ("reading" in text and "9/10" in text) or "90%" in text


def test_a_new_step_closes_the_last_bar() -> None:
    out, clock = Terminal(), Clock()
    bars = TerminalProgress(out, clock)
    first = bars.step("reading", 4)
    clock.now += 2
    first(1)
    assert bars._bar is not None
    bars.step("ranking", 4)
    assert bars._bar is None  # the reading bar is finished; ranking's waits for its second


def test_no_bar_when_stderr_is_not_a_terminal_or_with_quiet() -> None:
    assert cli._progress(False, io.StringIO()) is NO_PROGRESS
    assert cli._progress(True, Terminal()) is NO_PROGRESS
    assert isinstance(cli._progress(False, Terminal()), TerminalProgress)


def test_sync_reports_reading_ranking_and_writing(make_vault: VaultFactory) -> None:
    root = make_vault(SMALL_VAULT)
    recorder = Recorder()
    report = app.sync(root, progress=recorder)
    labels = [str(step[0]) for step in recorder.steps]
    assert labels == ["reading", "ranking", "writing"]
    reading, ranking, writing = recorder.steps
    assert reading[1] == reading[2] == len(SMALL_VAULT)  # every note file read counts once
    assert ranking[1] == ranking[2] == report.scanned
    assert writing[1] == writing[2] == len(report.changed) + len(report.created)
    assert recorder.closed >= 1


def test_cached_notes_count_as_read(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault(SMALL_VAULT)
    app.sync(root)
    (root / "Alpha.md").write_text((root / "Alpha.md").read_text() + "\nOne more line.\n")
    recorder = Recorder()
    app.sync(root, progress=recorder)
    reading = recorder.steps[0]
    assert reading[0] == "reading" and reading[1] == reading[2]


def test_the_cli_commands_take_quiet(make_vault: VaultFactory, tmp_path: Path) -> None:
    from click.testing import CliRunner

    root = make_vault(SMALL_VAULT)
    runner = CliRunner()
    graph = ["graph", str(root), "-q", "-o", str(tmp_path / "g.graphml")]
    for args in (["sync", str(root), "-q"], ["check", str(root), "--quiet"], graph):
        result = runner.invoke(cli.cli, args)
        assert result.exit_code in (0, 1), result.output
        assert "\r" not in result.output  # no bar drawn
