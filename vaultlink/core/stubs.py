"""Stubs: the notes vaultlink creates for missing link targets. Which ones the links ask for
(``wanted_stubs``), the Backlinks entries of one (each citing note, with the line that cites it),
and whether a file's own text still says it is an unedited stub (``not_a_stub``). When one is
created, rewritten or deleted is the plan's to decide (``plan.py``)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote

from vaultlink.core.blocks import heading_line
from vaultlink.core.config import Config
from vaultlink.core.file_names import name_parts, windows_part_problem
from vaultlink.core.link_style import LinkStyle
from vaultlink.core.note import Diagnostic, Link, LinkKind, Note, link_name
from vaultlink.core.parse import is_stub_text
from vaultlink.core.resolve import Outcome, ResolvedLink, fold, link_diagnostic, link_diagnostics
from vaultlink.core.scope import FULL_SCOPE, DailyNotes, NoteScope, RuleSet

if TYPE_CHECKING:
    from vaultlink.core.plan import Sources

_QUOTE_LIMIT = 100


@dataclass
class WantedStub:
    """A missing note some links ask for: where it goes, and who cites it with which line."""

    path: str
    citers: dict[str, Link] = field(default_factory=dict)


@dataclass(frozen=True)
class StubPolicy:
    """Which missing notes get a stub (docs/config.md says why, with the figures).

    A stub needs ``min_citers`` notes linking to it (links of ``kinds``, from notes whose scope
    lets them ask for stubs), or one note asking for it: a bare vault path (the house style's
    ``~/vault/x.md`` names the very file) or "(or create if missing)" on the link's line; never
    a name Obsidian, macOS or Windows refuse, a near-miss of an existing note, a daily note of a
    date to come, or a path a rule keeps vaultlink from writing. The per-run limit is applied
    to what the policy allows (``hold_new_stubs``).
    """

    kinds: Collection[LinkKind]
    min_citers: int = 1
    daily: DailyNotes | None = None
    rules: RuleSet | None = None

    @classmethod
    def of(cls, config: Config, kinds: Collection[LinkKind], min_citers: int) -> StubPolicy:
        return cls(kinds, min_citers, DailyNotes(config), RuleSet(config.rules))

    def refusal(self, path: str, near: Mapping[str, str]) -> str:
        """Why no stub may ever be made at ``path`` whoever cites it, or ""."""
        meant = near_miss(path, near)
        if meant:
            return f"probably a typo for {meant}"
        problem = name_problem(path)
        if problem:
            return problem
        if self.daily is not None and self.daily.is_daily(path):
            return "a daily note: made by Obsidian's Daily notes on its day"
        if self.rules is not None and not self.rules.may_write(path):
            return "a rule of .vaultlink.toml says write = false there"
        return ""


def wanted_stubs(
    links: Iterable[ResolvedLink],
    policy: StubPolicy,
    scopes: Mapping[str, NoteScope] | None = None,
    near: Mapping[str, str] | None = None,
    existing: Collection[str] = (),
) -> dict[str, WantedStub]:
    """The stubs the vault's links call for under ``policy``, by folded path. ``scopes`` holds
    the notes whose scope is not the full one; ``near`` is ``near_names`` of the vault's notes.
    A stub that exists (``existing``, folded) stays while one note cites it: deleting it would
    break that link, and the next citer would bring it back."""
    scopes, near = scopes or {}, near or {}
    cited: dict[str, WantedStub] = {}
    for r in links:
        if r.resolution.outcome is not Outcome.MISSING or r.link.kind not in policy.kinds:
            continue
        if not scopes.get(r.source, FULL_SCOPE).stubs:
            continue
        stub = cited.setdefault(fold(r.resolution.target), WantedStub(r.resolution.target))
        stub.citers.setdefault(r.source, r.link)
    return {
        key: stub
        for key, stub in cited.items()
        if (len(stub.citers) >= policy.min_citers or key in existing or _asked(stub, scopes))
        and not policy.refusal(stub.path, near)
    }


def _asked(stub: WantedStub, scopes: Mapping[str, NoteScope]) -> bool:
    """Does one citer ask for the note itself: a bare vault path (``~/vault/x.md``, the exact file
    the house style says the note is) or a line saying "(or create if missing)"?"""
    return any(
        link.kind is LinkKind.PATH or link.raw in scopes.get(source, FULL_SCOPE).asks
        for source, link in stub.citers.items()
    )


def stub_aware_style(notes: Iterable[Note], wanted: Mapping[str, WantedStub], config: Config) -> LinkStyle:
    """Names are shortest among the notes as they will be after the plan: stubs nobody cites
    are about to go, new ones about to come; otherwise the next run would rename links."""
    return LinkStyle([*(n.path for n in notes if not n.is_stub), *(w.path for w in wanted.values())], config)


def hold_new_stubs(
    wanted: Mapping[str, WantedStub], stubs: Collection[str], limit: int | None
) -> tuple[dict[str, WantedStub], list[str]]:
    """``wanted`` without the new stubs if there are more than ``limit`` of them, and their
    paths, most cited first: a first sync must not bury a vault in files (docs/config.md).
    Existing stubs stay."""
    new = [s.path for s in sorted(wanted.values(), key=lambda s: (-len(s.citers), s.path)) if fold(s.path) not in stubs]
    if limit is None or len(new) <= limit:
        return dict(wanted), []
    return {key: stub for key, stub in wanted.items() if key in stubs}, new


# --- names no stub may have ------------------------------------------------------------------------

_OBSIDIAN_CHARS = "#^[]|"
_NAME_BYTES = 255


def name_problem(path: str) -> str:
    """What Obsidian, macOS or Windows would refuse or mangle in a new note's ``path``, or ""."""
    for part in name_parts(path):
        if problem := windows_part_problem(part):
            return problem
        bad = sorted({c for c in part if c in _OBSIDIAN_CHARS})
        if bad:
            return f"{part!r} has {' '.join(bad)}, which Obsidian's links can't name"
        if "{{" in part or "}}" in part:
            return f"{part!r} is a template's placeholder, not a name"
        if part.startswith("."):
            return f"{part!r} starts with a dot: a hidden file, which Obsidian does not show"
        if len(part.encode("utf-8")) > _NAME_BYTES:
            return f"{part[:40]!r}… is longer than a file name may be ({_NAME_BYTES} bytes)"
    return ""


_NEAR_NOISE = re.compile(r"[\s._\-]+")


def near_key(name: str) -> str:
    """A name as a near-miss compares it: folded, with runs of spaces, dots, dashes and
    underscores read as one space and none at either end."""
    return _NEAR_NOISE.sub(" ", fold(name)).strip()


def near_names(paths: Iterable[str]) -> dict[str, str]:
    """Each note's ``near_key`` -> its path: what a missing link's name may be a typo of."""
    near: dict[str, str] = {}
    for path in sorted(paths):
        key = near_key(link_name(path))
        if key:  # a name of dots and dashes alone is near nothing
            near.setdefault(key, path)
    return near


def near_miss(path: str, near: Mapping[str, str]) -> str:
    """The existing note a missing note's name is a near-miss of ("Obsidian Publish." for
    "Obsidian Publish"), or ""."""
    name = link_name(path)
    meant = near.get(near_key(name))
    return meant if meant is not None and fold(link_name(meant)) != fold(name) else ""


def link_problems(
    links: Iterable[ResolvedLink],
    policy: StubPolicy,
    near: Mapping[str, str],
    gone: Mapping[str, str] | None = None,
) -> list[Diagnostic]:
    """``check``'s word on each link (``resolve.link_diagnostics``), but a missing note no stub
    may be made for says why: deleted or renamed by the user (``gone``: folded path -> new path,
    "" if deleted), a probable typo (with the note meant) or a name refused (what is wrong with
    it); a daily note of a date to come is no problem at all."""
    out: list[Diagnostic] = []
    for r in links:
        target = r.resolution.target
        if r.resolution.outcome is Outcome.MISSING:
            renamed = (gone or {}).get(fold(target))
            if renamed is not None:
                now = f"renamed to {renamed}: update the link" if renamed else "deleted"
                out.append(link_diagnostic(r, "gone-note", f"{r.link.written()} leads to {target}, which you {now}"))
                continue
            meant = near_miss(target, near)
            if meant:
                message = f"{r.link.written()} has no note; probably meant {meant}"
                out.append(link_diagnostic(r, "probable-typo", message))
                continue
            problem = name_problem(target)
            if problem:
                message = f"{r.link.written()} has no note, and none can be made: {problem}"
                out.append(link_diagnostic(r, "unusable-name", message))
                continue
            if policy.daily is not None and policy.daily.is_daily(target):
                continue
        out.extend(link_diagnostics([r]))
    return out


def backlinks_lines(
    stub: WantedStub, sources: Sources, style: LinkStyle, limit: int | None = None, heading: str = "Backlinks"
) -> list[str]:
    """The stub's Backlinks block (under ``heading``): each citing note (the first ``limit``), with
    the line that cites it quoted."""
    citers = sorted(stub.citers.items())
    shown = citers if limit is None else citers[:limit]
    entries = [
        f"- {style.link(src, stub.path)} — “{safe_quote(citing_line(sources.read(src).text, link))}”"
        for src, link in shown
    ]
    return [heading_line(heading), *entries, *more_lines(len(citers) - len(shown))]


def capped(entries: list[str], limit: int | None) -> list[str]:
    """A Backlinks block's entries, the first ``limit`` of them and a line saying how many more."""
    if limit is None or len(entries) <= limit:
        return entries
    return [*entries[:limit], *more_lines(len(entries) - limit)]


def more_lines(more: int) -> list[str]:
    """The line closing a capped Backlinks block (none if nothing more links here)."""
    if more <= 0:
        return []
    return [f"- … and {more} more note links here" if more == 1 else f"- … and {more} more notes link here"]


MORE_LINE = r"- … and \d+ more notes? links? here"
"""The pattern of ``more_lines``' line: vaultlink's own, never the user's (``plan._damage``)."""


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
