"""The command line: parse options, call ``app``, print. Errors become one line and an exit code.

Exit codes: 0 fine; 1 ``check`` found problems; 2 vaultlink could not do what was asked.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, NoReturn, TextIO, TypeVar

import click

from vaultlink import __version__, app, queries
from vaultlink.core.note import Diagnostic
from vaultlink.errors import VaultlinkError
from vaultlink.output import WatchPrinter, print_report, shown, warn
from vaultlink.progress import NO_PROGRESS, Progress, TerminalProgress


class CommandFailed(click.ClickException):
    exit_code = 2


def _fail(error: VaultlinkError) -> NoReturn:
    raise CommandFailed(shown(str(error))) from error


DRY_RUN_HELP = "Print a unified diff of what would change (in the JSON with --json); write nothing."
JSON_REPORT_HELP = (
    "Print the summary as one JSON document, nothing else on stdout; with --dry-run the diff is "
    'its "diff" field.'
)
VAULT = click.argument("vault", type=click.Path(file_okay=False, path_type=str))
F = TypeVar("F", bound=Callable[..., Any])


def cache_flags(command: F) -> F:
    """``--cache-dir`` and ``--no-cache``, for every command that reads the vault."""
    command = click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")(command)
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=str),
        help="Keep the cache here instead of VAULT/.vaultlink/.",
    )(command)


QUIET = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="No progress bar and no summary lines; what was asked for (problems, diffs, JSON, lists), "
    "skipped notes and errors still print.",
)


def _progress(quiet: bool, stream: TextIO | None = None) -> Progress:
    """A progress bar on stderr when it is a terminal and ``--quiet`` is not given."""
    stream = stream if stream is not None else sys.stderr
    return TerminalProgress(stream) if not quiet and stream.isatty() else NO_PROGRESS


def _complete_note(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of a NOTE argument: the vault's note names (``app.note_names``); nothing
    when the vault can't be listed (a completion never prints an error)."""
    vault = ctx.params.get("vault")
    if not vault:
        return []
    try:
        return app.note_names(vault, incomplete)
    except (VaultlinkError, OSError):
        return []


def _cache(cache_dir: str | None, no_cache: bool, *, writable: bool = True) -> app.CacheOptions:
    return app.CacheOptions(enabled=not no_cache, folder=cache_dir, writable=writable)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vaultlink")
def cli() -> None:
    """Link the notes of a markdown vault to each other, inside the notes.

    \b
    Example:
        vaultlink graph ~/notes -o concepts.graphml
    """


@cli.command()
@VAULT
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="File to write: .html (a page to explore), .graphml, .gexf or .json (node-link).",
)
@cache_flags
@QUIET
def graph(vault: str, output: str, cache_dir: str | None, no_cache: bool, quiet: bool) -> None:
    """Export the concept graph of VAULT; the output's extension picks the format.

    Nodes are notes, missing notes (link targets that don't exist yet) and concepts
    (terms notes share); edges are explicit links, note-to-concept mentions and each
    note's Related list. A .html page works offline in any browser; open .graphml or
    .gexf in Gephi or Cytoscape, .json in scripts (see docs/graph.md).

    \b
    Example:
        vaultlink graph ~/notes -o graph.html
    """
    try:
        summary, scan = app.export_graph(vault, output, _cache(cache_dir, no_cache, writable=False), _progress(quiet))
    except VaultlinkError as exc:
        _fail(exc)
    warn(scan.warnings)
    if quiet:
        return
    click.echo(
        f"wrote {shown(output)}: {summary.notes} notes, {summary.missing} missing notes, {summary.concepts} concepts, "
        f"{summary.links} links, {summary.concept_edges} mentions, {summary.related} related "
        f"({len(scan.diagnostics)} problems; see 'vaultlink check')"
    )


@cli.command()
@VAULT
@click.option("--json", "as_json", is_flag=True, help="Print the problems as one JSON object.")
@cache_flags
@QUIET
def check(vault: str, as_json: bool, cache_dir: str | None, no_cache: bool, quiet: bool) -> None:
    """Report broken, ambiguous and refused links, invalid frontmatter and unreadable files.

    Exits 1 if there is anything to report, 0 if the vault is clean.

    \b
    Example:
        vaultlink check ~/notes --json
    """
    try:
        scan = app.check_vault(vault, _cache(cache_dir, no_cache, writable=False), _progress(quiet))
    except VaultlinkError as exc:
        _fail(exc)
    warn(scan.warnings)
    problems = queries.check_problems(scan)
    if as_json:
        payload = {"notes": len(scan.notes), "problems": [queries.problem_json(d) for d in problems]}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for d in problems:
            click.echo(shown(d.line()))
    if not as_json and not quiet:
        counts = Counter(d.code for d in problems)
        detail = ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
        click.echo(f"{len(scan.notes)} notes checked, {len(problems)} problems" + (f" ({detail})" if detail else ""))
    sys.exit(1 if problems else 0)


@cli.command()
@VAULT
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 if anything would change.")
@click.option("--json", "as_json", is_flag=True, help=JSON_REPORT_HELP)
@click.option("--top", type=click.IntRange(1, 50), help="Related notes per note (default 5, or related_top).")
@click.option("--min-score", type=float, help="Weakest relatedness listed (default 0, or related_min_score).")
@click.option("--backlinks/--no-backlinks", default=None, help="Write Backlinks blocks (default on).")
@click.option("--stubs/--no-stubs", default=None, help="Create notes for missing link targets (default on).")
@click.option(
    "--all-stubs", is_flag=True, help="Make every stub the policy allows, even above stub_limit (docs/config.md)."
)
@cache_flags
@QUIET
def sync(
    vault: str,
    dry_run: bool,
    check_only: bool,
    as_json: bool,
    top: int | None,
    min_score: float | None,
    backlinks: bool | None,
    stubs: bool | None,
    all_stubs: bool,
    cache_dir: str | None,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Write Related sections, backlinks and stubs into the notes of VAULT.

    Only text between vaultlink's own markers is ever changed; a second sync over an
    unchanged vault writes nothing. 'vaultlink clean' undoes it all.

    \b
    Example:
        vaultlink sync ~/notes --dry-run
    """
    try:
        options = app.SyncOverrides(top=top, min_score=min_score, backlinks=backlinks, stubs=stubs, all_stubs=all_stubs)
        report = app.sync(
            vault, options, dry_run=dry_run or check_only, cache=_cache(cache_dir, no_cache), progress=_progress(quiet)
        )
    except VaultlinkError as exc:
        _fail(exc)
    warn(report.warnings)
    print_report(report, "would change" if dry_run or check_only else "changed", as_json, dry_run=dry_run, quiet=quiet)
    if check_only and report.pending:
        sys.exit(1)


@cli.command()
@VAULT
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
@click.option("--json", "as_json", is_flag=True, help=JSON_REPORT_HELP)
@cache_flags
@QUIET
def clean(vault: str, dry_run: bool, as_json: bool, cache_dir: str | None, no_cache: bool, quiet: bool) -> None:
    """Remove everything vaultlink wrote into VAULT, restoring every note byte for byte.

    Managed blocks are removed and stubs nobody edited are deleted.

    \b
    Example:
        vaultlink clean ~/notes
    """
    try:
        report = app.clean(vault, dry_run=dry_run, cache=_cache(cache_dir, no_cache))
    except VaultlinkError as exc:
        _fail(exc)
    warn(report.warnings)
    print_report(report, "would be cleaned" if dry_run else "cleaned", as_json, dry_run=dry_run, quiet=quiet)


@cli.command()
@VAULT
@click.argument("note", required=False, shell_complete=_complete_note)
@click.option("--all", "all_notes", is_flag=True, help="Every note (use with --json).")
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: note path -> [{path, score, reasons}], best first."
)
@click.option(
    "--top",
    type=click.IntRange(1, 1000),
    help="How many per note, above no score threshold. [default: what the Related blocks list]",
)
@cache_flags
@QUIET
def related(
    vault: str,
    note: str | None,
    all_notes: bool,
    as_json: bool,
    top: int | None,
    cache_dir: str | None,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Show the notes related to NOTE (a name, path or alias), with scores and reasons.

    \b
    Examples:
        vaultlink related ~/notes "Sourdough starter"
        vaultlink related ~/notes --all --json
    """
    if (note is None) == (not all_notes):
        raise click.UsageError("give either a NOTE or --all")
    warnings: list[Diagnostic] = []
    try:
        ranked = app.related_notes(
            vault,
            note,
            top=top,
            min_score=None if top is None else 0.0,
            cache=_cache(cache_dir, no_cache, writable=False),
            warnings=warnings,
        )
    except VaultlinkError as exc:
        _fail(exc)
    warn(warnings)
    if as_json:
        payload = {path: [queries.suggestion_json(s) for s in suggestions] for path, suggestions in ranked.items()}
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    for path, suggestions in ranked.items():
        click.echo(shown(path))
        for s in suggestions:
            click.echo(f"  {s.score:8.2f}  {shown(s.path)}  — {shown(', '.join(s.reasons))}")
        if not suggestions:
            click.echo("  (nothing related above the threshold)")


@cli.command()
@VAULT
@click.option("--poll", is_flag=True, help="Poll for changes (network drives, containers) instead of OS events.")
@click.option(
    "--debounce", default=1.0, show_default=True, type=click.FloatRange(0, 60), help="Quiet seconds before a batch."
)
@click.option(
    "--grace",
    default=90.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Never write into a note edited less than this many seconds ago.",
)
@QUIET
@click.option("-v", "--verbose", is_flag=True, help="Print every path read and written.")
@cache_flags
def watch(
    vault: str,
    poll: bool,
    debounce: float,
    grace: float,
    quiet: bool,
    verbose: bool,
    cache_dir: str | None,
    no_cache: bool,
) -> None:
    """Keep VAULT linked while you write: sync once, then update on every change.

    Saves are gathered into batches; only changed notes are read again and only notes
    whose blocks really change are written. A note you edited less than --grace
    seconds ago, or one open in Vim or Emacs, is left alone until you pause and close it.
    Stop with Ctrl-C.

    \b
    Example:
        vaultlink watch ~/notes
    """
    from vaultlink.watch import WatchSettings  # watchdog: only for watch

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        settings = WatchSettings(debounce=debounce, grace=grace, poll=poll)
        app.watch(vault, settings, stop, WatchPrinter(quiet, verbose), cache=_cache(cache_dir, no_cache))
    except VaultlinkError as exc:
        _fail(exc)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not quiet:
        click.echo("stopped")


@cli.command()
@VAULT
@click.option("--allow-write", is_flag=True, help="Offer a sync tool (a dry run unless the assistant asks otherwise).")
@cache_flags
def mcp(vault: str, allow_write: bool, cache_dir: str | None, no_cache: bool) -> None:
    """Serve VAULT to AI assistants over the Model Context Protocol (stdio).

    Read-only unless --allow-write. Needs the extra: pip install 'vaultlink[mcp]'.

    \b
    Example (the command an MCP client's configuration runs):
        vaultlink mcp ~/notes
    """
    try:
        from vaultlink.mcp_server import make_server  # the mcp SDK: an optional extra, and slow to import
    except ImportError as exc:
        raise CommandFailed(f"the MCP server needs the mcp package: pip install 'vaultlink[mcp]' ({exc})") from exc
    try:
        server = make_server(vault, allow_write=allow_write, cache=_cache(cache_dir, no_cache))
    except VaultlinkError as exc:
        _fail(exc)
    server.run("stdio")


def main() -> None:
    cli()
