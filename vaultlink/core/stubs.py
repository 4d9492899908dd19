"""Stubs: the notes vaultlink creates for missing link targets. Which ones the links ask for
(``wanted_stubs``), the Backlinks entries of one (each citing note, with the line that cites it),
and whether a file's own text still says it is an unedited stub (``not_a_stub``). When one is
created, rewritten or deleted is the plan's to decide (``plan.py``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from vaultlink.core.link_style import LinkStyle
from vaultlink.core.note import Link, LinkKind
from vaultlink.core.parse import is_stub_text
from vaultlink.core.resolve import Outcome, ResolvedLink, fold

if TYPE_CHECKING:
    from vaultlink.core.plan import Sources

_QUOTE_LIMIT = 100


@dataclass
class WantedStub:
    """A missing note some links ask for: where it goes, and who cites it with which line."""

    path: str
    citers: dict[str, Link] = field(default_factory=dict)


def wanted_stubs(links: Sequence[ResolvedLink], stub_kinds: Collection[LinkKind]) -> dict[str, WantedStub]:
    """The stubs the vault's links (those of ``stub_kinds``) call for, by folded path."""
    wanted: dict[str, WantedStub] = {}
    for r in links:
        if r.resolution.outcome is not Outcome.MISSING or r.link.kind not in stub_kinds:
            continue
        stub = wanted.setdefault(fold(r.resolution.target), WantedStub(r.resolution.target))
        stub.citers.setdefault(r.source, r.link)
    return wanted


def backlinks_lines(stub: WantedStub, sources: Sources, style: LinkStyle) -> list[str]:
    """The stub's Backlinks block: each citing note, with the line that cites it quoted."""
    return [
        "## Backlinks",
        *(
            f"- {style.link(src, stub.path)} — “{safe_quote(citing_line(sources.read(src).text, link))}”"
            for src, link in sorted(stub.citers.items())
        ),
    ]


def safe_quote(line: str) -> str:
    """A citing line, shortened and defused so it can never open or close a managed block."""
    text = " ".join(line.split())
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1].rstrip() + "…"
    return text.replace("<!--", "<!‐‐").replace("-->", "‐‐>")


def citing_line(text: str, link: Link) -> str:
    """The first line that states ``link``: its raw text, or for a markdown link (whose raw
    is mistune's normalised URL) the decoded URL or the link's visible text."""
    lines = text.splitlines()
    for needle in (link.raw, unquote(link.raw), link.display):
        found = next((line for line in lines if needle and needle in line), None)
        if found is not None:
            return found
    return link.raw


NOT_A_STUB = "its parse says unedited stub, its own text does not (a cache written by another program?); left alone"


def not_a_stub(text: str) -> str:
    """Why a note parsed as an unedited stub must not be rewritten or deleted as one, or ""."""
    return "" if is_stub_text(text) else NOT_A_STUB
