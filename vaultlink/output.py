"""What the CLI prints: text from notes made safe for a terminal, and reports (a sync's or a
clean's summary, the watcher's lines). Only the CLI uses it; the library prints nothing."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import click

from vaultlink.core.note import Diagnostic
from vaultlink.queries import report_json
from vaultlink.report import SyncReport

# What a terminal may act on: C0 and C1 controls and DEL (ESC sequences, BEL, backspace, CSI),
# Unicode line and paragraph separators, and bidi embeddings, overrides and isolates (which
# reorder what is shown). In a multi-line text, tab, LF and CRLF are kept.
_UNSAFE_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_TEXT = re.compile(r"\r(?!\n)|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def shown(text: str, *, lines: bool = False) -> str:
    """Text from notes and file names, safe to print: every character a terminal may act on
    becomes a visible escape (``\\x1b``, ``\\n``, ``\\u202e``). With ``lines``, a multi-line text
    (a diff) keeps its tabs and line endings (LF, CRLF). The one helper for all text output;
    JSON output needs none (``json.dumps`` escapes control characters)."""
    return (_UNSAFE_IN_TEXT if lines else _UNSAFE_IN_LINE).sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def warn(warnings: list[Diagnostic]) -> None:
    """Notes about vaultlink's own state (its cache): on stderr, never a failure."""
    for warning in warnings:
        click.echo(f"warning: {shown(warning.line())}", err=True)


def print_report(report: SyncReport, verb: str, as_json: bool, *, dry_run: bool = False, quiet: bool = False) -> None:
    """The summary (not when ``quiet``), after the diff of a dry run; with ``as_json``, one JSON
    document holding both (the diff as ``diff``, on a dry run only)."""
    if as_json:
        click.echo(json.dumps(report_json(report, dry_run=dry_run), ensure_ascii=False, indent=2))
        return
    if dry_run and report.diff:
        click.echo(shown(report.diff, lines=True), nl=False)
    _print_skipped(report.skipped)
    if report.held:
        click.echo(held_line(report.held))
    if not quiet:
        click.echo(summary(report, verb))


def held_line(held: list[str]) -> str:
    """Why the stubs a run would make were not made, and how to make them."""
    some = ", ".join(shown(p) for p in held[:3]) + (", …" if len(held) > 3 else "")
    return (
        f"{len(held)} stubs not made ({some}): more than the stub_limit a run; "
        "'vaultlink sync --all-stubs' makes them, 'vaultlink check' lists the missing notes"
    )


WAITING = "waiting for you to pause"


def summary(report: SyncReport, verb: str, *, batch: bool = False) -> str:
    """What a report counts, in one line: every count after a sync or clean; after one of the
    watcher's batches, the notes ``verb`` and the other counts that are not zero, and the time."""
    counts = [
        (len(report.changed), verb),
        (len(report.created), "stubs created"),
        (len(report.deleted), "stubs removed"),
        (len(report.waiting), WAITING),
        (len(report.skipped), "skipped"),
    ]
    if not batch:
        return ", ".join([f"{report.scanned} notes scanned", *(f"{n} {what}" for n, what in counts if what != WAITING)])
    shown_counts = [counts[0], *(count for count in counts[1:] if count[0])]
    return ", ".join(f"{n} {what}" for n, what in shown_counts) + f" ({report.seconds:.2f} s)"


class WatchPrinter:
    """The watch use case's ``WatchListener``: one line per batch (``--quiet``, ``--verbose``)."""

    def __init__(self, quiet: bool, verbose: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose

    def reading(self, root: Path) -> None:
        if not self.quiet:
            click.echo(f"vaultlink: reading {shown(str(root))} …", err=True)

    def warned(self, warnings: list[Diagnostic]) -> None:
        warn(warnings)

    def synced(self, notes: int, report: SyncReport) -> None:
        if not self.quiet:
            if report.held:
                click.echo(held_line(report.held))
            click.echo(f"synced {notes} notes: {summary(report, 'written', batch=True)}; watching (Ctrl-C stops)")

    def batch(self, paths: set[str], report: SyncReport) -> None:
        _print_batch(paths, report, self.quiet, self.verbose)

    def failed(self, error: Exception) -> None:
        click.echo(f"error in batch (still watching): {shown(str(error))}", err=True)


def _print_skipped(skipped: list[tuple[str, str]]) -> None:
    for path, reason in skipped:
        click.echo(f"skipped {shown(path)}: {shown(reason)}", err=True)


def _print_batch(paths: set[str], report: SyncReport, quiet: bool, verbose: bool) -> None:
    _print_skipped(report.skipped)
    if quiet or not (verbose or report.reparsed or report.removed or report.pending):
        return
    stamp = time.strftime("%H:%M:%S")
    changed = [*report.reparsed, *report.removed]
    names = ", ".join(shown(p) for p in changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
    click.echo(f"{stamp} {len(changed)} changed ({names or 'nothing'}): {summary(report, 'written', batch=True)}")
    if verbose:
        for path in [*report.changed, *report.created, *report.deleted]:
            click.echo(f"  wrote {shown(path)}")
