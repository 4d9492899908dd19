"""The command line: parse options, call ``app``, print. Errors become one line and an exit code.

Exit codes: 0 fine; 1 ``check`` found problems; 2 vaultlink could not do what was asked.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import NoReturn

import click

from vaultlink import __version__, app
from vaultlink.errors import NotYetAvailable, VaultlinkError


class CommandFailed(click.ClickException):
    exit_code = 2


def _fail(error: VaultlinkError) -> NoReturn:
    raise CommandFailed(str(error)) from error


VAULT = click.argument("vault", type=click.Path(file_okay=False, path_type=str))


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
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="GraphML file to write.")
def graph(vault: str, output: str) -> None:
    """Export the concept graph of VAULT as GraphML.

    Nodes are notes, missing notes (link targets that don't exist yet) and concepts
    (terms notes share); edges are explicit links and note-to-concept mentions.
    Open the file in Gephi, Cytoscape, networkx or igraph (see docs/graphml.md).

    \b
    Example:
        vaultlink graph ~/notes -o concepts.graphml
    """
    try:
        summary, scan = app.export_graph(vault, output)
    except VaultlinkError as exc:
        _fail(exc)
    click.echo(
        f"wrote {output}: {summary.notes} notes, {summary.missing} missing notes, {summary.concepts} concepts, "
        f"{summary.links} links, {summary.mentions} mentions ({len(scan.diagnostics)} problems; see 'vaultlink check')"
    )


@cli.command()
@VAULT
@click.option("--json", "as_json", is_flag=True, help="Print the problems as one JSON object.")
def check(vault: str, as_json: bool) -> None:
    """Report broken, ambiguous and refused links, invalid frontmatter and unreadable files.

    Exits 1 if there is anything to report, 0 if the vault is clean.

    \b
    Example:
        vaultlink check ~/notes --json
    """
    try:
        scan = app.check_vault(vault)
    except VaultlinkError as exc:
        _fail(exc)
    problems = sorted(scan.diagnostics, key=lambda d: (d.path, d.code, d.message))
    if as_json:
        payload = {
            "notes": len(scan.notes),
            "problems": [
                {"path": d.path, "code": d.code, "severity": d.severity.value, "message": d.message} for d in problems
            ],
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for d in problems:
            click.echo(d.line())
        counts = Counter(d.code for d in problems)
        detail = ", ".join(f"{n} {code}" for code, n in sorted(counts.items()))
        click.echo(f"{len(scan.notes)} notes checked, {len(problems)} problems" + (f" ({detail})" if detail else ""))
    sys.exit(1 if problems else 0)


def _not_yet(name: str, issue: int) -> None:
    _fail(NotYetAvailable(f"'vaultlink {name}' is not available yet (tracked in issue {issue}); nothing was done"))


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def sync(args: tuple[str, ...]) -> None:
    """Write Related sections, backlinks and stubs into the notes of a vault.

    \b
    Example:
        vaultlink sync ~/notes --dry-run
    """
    _not_yet("sync", 3)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def watch(args: tuple[str, ...]) -> None:
    """Keep a vault linked while you write.

    \b
    Example:
        vaultlink watch ~/notes
    """
    _not_yet("watch", 4)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def related(args: tuple[str, ...]) -> None:
    """Show a note's related notes, with scores and reasons.

    \b
    Example:
        vaultlink related ~/notes "Some note"
    """
    _not_yet("related", 3)


@cli.command(context_settings={"ignore_unknown_options": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def clean(args: tuple[str, ...]) -> None:
    """Remove everything vaultlink wrote, restoring every note byte for byte.

    \b
    Example:
        vaultlink clean ~/notes
    """
    _not_yet("clean", 3)


def main() -> None:
    cli()
