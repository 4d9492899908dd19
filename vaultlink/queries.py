"""Questions about one note of a scanned vault, answered as plain data (JSON-ready dicts and
lists) for the tools that ask them one at a time: the MCP server (``mcp_server.py``) and
scripts. Functions of a ``VaultScan``: no printing, and no I/O of their own (``check_problems``
reads notes through the scan's sources, as the planner does)."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

from vaultlink.core.link_lines import file_line
from vaultlink.core.note import Diagnostic, Note, Suggestion
from vaultlink.core.resolve import Outcome, fold

if TYPE_CHECKING:
    import networkx as nx

    from vaultlink.report import SyncReport
    from vaultlink.scan import VaultScan

Json = dict[str, Any]

FIND_LIMIT = 20
"""Notes ``find_notes`` lists at most: an assistant narrows the query rather than reading 2,000."""
NEIGHBOURHOOD_LIMIT = 200
"""Nodes ``neighbourhood`` returns at most, nearest first: a hub two steps out is the whole vault."""


def suggestion_json(suggestion: Suggestion) -> Json:
    """A related note as scripts read it: path, score and the reasons a Related line shows."""
    return {"path": suggestion.path, "score": suggestion.score, "reasons": list(suggestion.reasons)}


def problem_json(diagnostic: Diagnostic) -> Json:
    """A problem as scripts read it; ``line`` is null for a problem with the whole file."""
    return {
        "path": diagnostic.path,
        "line": diagnostic.lineno or None,
        "code": diagnostic.code,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
    }


def report_json(report: SyncReport, *, dry_run: bool) -> Json:
    """What a sync or clean did (or, dry, would do), as ``--json`` prints it and the MCP ``sync``
    tool returns it; a dry run's diff as ``diff``."""
    payload: Json = {
        "scanned": report.scanned,
        "changed": report.changed,
        "created": report.created,
        "deleted": report.deleted,
        "skipped": [{"path": p, "reason": r} for p, r in report.skipped],
        "held": report.held,
    }
    if dry_run:
        payload["diff"] = report.diff
    return payload


def backlinks(scan: VaultScan, note: Note) -> list[Json]:
    """The notes that link to ``note``, each once, with how many times and how (wikilink,
    markdown link, embed), sorted by path."""
    found: dict[str, list[str]] = {}
    for r in scan.links:
        if r.resolution.outcome is Outcome.NOTE and r.resolution.target == note.path and r.source != note.path:
            found.setdefault(r.source, []).append(r.link.kind.value)
    return [
        {"path": source, "count": len(kinds), "kinds": sorted(set(kinds))} for source, kinds in sorted(found.items())
    ]


def links(scan: VaultScan, note: Note) -> list[Json]:
    """The links ``note`` makes, in the order it makes them: each as written, and where it leads
    (a note, a note that would be created, several candidates, an attachment, or refused)."""
    out: list[Json] = []
    for r in scan.links:
        if r.source != note.path:
            continue
        res = r.resolution
        entry: Json = {"link": r.link.raw, "kind": r.link.kind.value, "outcome": res.outcome.value}
        if res.target:
            entry["target"] = res.target
        if res.candidates:
            entry["candidates"] = list(res.candidates)
        out.append(entry)
    return out


def find_notes(scan: VaultScan, query: str, limit: int = FIND_LIMIT) -> list[Json]:
    """Notes whose title, path or alias contains ``query`` (case- and accent-form-insensitive):
    exact title or alias matches first, then titles starting with it, then the rest, by path."""
    key = fold(query.strip())
    if not key:
        return []
    ranked: list[tuple[int, str, Json]] = []
    for note in scan.notes:
        names = [note.title, *note.aliases]
        folded = [fold(n) for n in names]
        if key in folded:
            rank = 0
        elif any(n.startswith(key) for n in folded):
            rank = 1
        elif any(key in n for n in folded) or key in fold(note.path):
            rank = 2
        else:
            continue
        ranked.append((rank, note.path, {"path": note.path, "title": note.title, "aliases": list(note.aliases)}))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in ranked[:limit]]


def check_problems(scan: VaultScan, note: Note | None = None) -> list[Diagnostic]:
    """What ``check`` reports, for the whole vault or for one note, in the order it prints them
    (by path, then line). A problem's line is the line in the note's file: the parse counts
    lines without vaultlink's blocks (``link_lines.file_line``), so each note named at a line is
    read again to put them back."""
    found = [d for d in scan.diagnostics if note is None or d.path == note.path]
    texts = {d.path: scan.sources.read(d.path).text for d in found if d.lineno}
    placed = [d._replace(lineno=file_line(texts[d.path], d.lineno)) if d.lineno else d for d in found]
    return sorted(placed, key=lambda d: (d.path, d.lineno, d.code, d.message))


def problems(scan: VaultScan, note: Note | None = None) -> list[Json]:
    """``check_problems`` as JSON."""
    return [problem_json(d) for d in check_problems(scan, note)]


def neighbourhood(graph: nx.DiGraph[str], start: str, depth: int, limit: int = NEIGHBOURHOOD_LIMIT) -> Json:
    """The concept graph around node ``start``, edges taken either way, up to ``depth`` steps and
    ``limit`` nodes (breadth first, neighbours in sorted order, so the cut is the same every
    time): its nodes with their attributes and distance, and the edges among them."""
    distance = {start: 0}
    queue = deque([start])
    while queue and len(distance) < limit:
        node = queue.popleft()
        if distance[node] == depth:
            continue
        for other in sorted(set(graph.successors(node)) | set(graph.predecessors(node))):
            if other not in distance and len(distance) < limit:
                distance[other] = distance[node] + 1
                queue.append(other)
    nearest_first = sorted(distance.items(), key=lambda item: (item[1], item[0]))
    nodes = [{"id": n, "distance": d, **graph.nodes[n]} for n, d in nearest_first]
    edges = [
        {"source": u, "target": v, **data}
        for u, v, data in sorted(graph.subgraph(distance).edges(data=True), key=lambda e: (e[0], e[1]))
    ]
    return {"nodes": nodes, "edges": edges, "truncated": len(distance) >= limit}
