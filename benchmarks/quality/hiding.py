"""Hiding a seeded share of a vault's links in a copy of it: every occurrence of a link between the two
notes of a hidden pair becomes its visible text, so the prose vaultlink reads does not change, only the
link goes away (docs/related_quality.md, Method)."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from quality.common import Pair
from vaultlink.app import VaultScan
from vaultlink.core.markdown import WIKILINK_PATTERN
from vaultlink.core.note import Link, LinkKind, Note, link_name
from vaultlink.core.resolve import NoteIndex, Outcome, ResolvedLink, resolve_link


def linked_pairs(links: Iterable[ResolvedLink]) -> set[Pair]:
    """Unordered pairs of distinct existing notes joined by at least one resolved link."""
    pairs: set[Pair] = set()
    for r in links:
        if r.resolution.outcome is Outcome.NOTE and r.resolution.target != r.source:
            a, b = sorted((r.source, r.resolution.target))
            pairs.add((a, b))
    return pairs


def choose_hidden(pairs: Collection[Pair], fraction: float, seed: int) -> list[Pair]:
    """A seeded random ``fraction`` of the pairs (rounded, at least one when there are any)."""
    if not pairs:
        return []
    count = min(len(pairs), max(1, round(fraction * len(pairs))))
    return sorted(random.Random(seed).sample(sorted(pairs), count))


_WIKILINK = re.compile(WIKILINK_PATTERN)
# [text](dest "title"), ![alt](dest): text may hold one level of brackets and escapes; dest is
# <anything but angle brackets> or a run without spaces holding balanced parentheses.
_MARKDOWN_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\\\n]|\\.|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(<[^<>\n]*>|(?:[^\s()\\]|\\.|\([^\s()]*\))*)"
    r"""(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"""
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def wikilink_parts(raw: str) -> tuple[Link, str] | None:
    """A wikilink or embed's Link and the text vaultlink reads in its place (its display text, else
    its target as written, else its heading), split exactly as vaultlink's parser splits it."""
    embed = raw.startswith("!")
    inner = (raw[3:-2] if embed else raw[2:-2]).replace("\\|", "|")
    target, _, display = inner.partition("|")
    target, _, anchor = target.partition("#")
    target = target.strip()
    visible = display or target or anchor.partition("^")[0].strip()
    if not target:
        return None
    return Link(target, LinkKind.EMBED if embed else LinkKind.WIKILINK, raw), visible


def markdown_link_target(url: str) -> str:
    """The note path a markdown link's destination names ("" for a URL with a scheme)."""
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1]
    url = re.sub(r"\\(.)", r"\1", url)
    if _SCHEME.match(url) or url.startswith("//"):
        return ""
    return unquote(urlsplit(url).path)


def hide_links(text: str, note: Note, partners: Collection[str], index: NoteIndex) -> str:
    """``text`` (the note's whole file, BOM included) with every link from ``note`` to one of
    ``partners`` replaced by its visible text: a wikilink or embed by its display text or target as
    written, a markdown link or image by its text, a bare vault path by the target's name.

    Each occurrence is resolved with vaultlink's own resolver, so only links that really lead to a
    partner are touched. The frontmatter is left alone (vaultlink reads no links there).
    """
    start = (1 if text.startswith("\ufeff") else 0) + note.body_offset
    body = text[start:]

    def wikilink(m: re.Match[str]) -> str:
        parts = wikilink_parts(m.group(0))
        if parts is None:
            return m.group(0)
        link, visible = parts
        return visible if _leads_to(link, note.path, partners, index) else m.group(0)

    def markdown(m: re.Match[str]) -> str:
        target = markdown_link_target(m.group(3))
        if not target:
            return m.group(0)
        link = Link(target, LinkKind.EMBED if m.group(1) else LinkKind.MARKDOWN, m.group(3))
        return m.group(2) if _leads_to(link, note.path, partners, index) else m.group(0)

    body = _WIKILINK.sub(wikilink, body)
    body = _MARKDOWN_LINK.sub(markdown, body)
    for link in note.links:
        if link.kind is LinkKind.PATH and _leads_to(link, note.path, partners, index):
            body = body.replace(link.raw, link_name(link.target))
    return text[:start] + body


def _leads_to(link: Link, source: str, partners: Collection[str], index: NoteIndex) -> bool:
    resolution = resolve_link(link, source, index)
    return resolution.outcome is Outcome.NOTE and resolution.target in partners


def partners_of(pairs: Iterable[Pair]) -> dict[str, set[str]]:
    """Each note's partners in the given pairs."""
    out: dict[str, set[str]] = defaultdict(set)
    for a, b in pairs:
        out[a].add(b)
        out[b].add(a)
    return out


def write_hidden_copy(scan: VaultScan, hidden: Collection[Pair], dest: Path) -> None:
    """Rewrite, in the copy at ``dest`` of the scanned vault, every note of a hidden pair."""
    index = NoteIndex(scan.notes, scan.config)
    notes = {n.path: n for n in scan.notes}
    for path, partners in partners_of(hidden).items():
        text = hide_links(scan.sources.read(path).text, notes[path], partners, index)
        (dest / path).write_bytes(text.encode("utf-8"))
