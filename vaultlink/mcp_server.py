"""``vaultlink mcp VAULT``: the vault's links and Related lists, as a Model Context Protocol
server on stdio, for AI assistants (the official ``mcp`` SDK, an optional extra: see README).

Each call reads the vault again through the scan cache, so a note saved since the last call is
seen, and only changed notes are parsed. Nothing is written unless the server was started with
``--allow-write``, and even then ``sync`` is a dry run unless asked otherwise. An unknown or
ambiguous note is a tool error naming the candidates (``app.find_note``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from vaultlink import __version__, app, queries
from vaultlink.core.graph import note_id
from vaultlink.core.note import Note
from vaultlink.core.plan import SyncOptions
from vaultlink.errors import VaultlinkError
from vaultlink.scan import READ_CACHE, CacheOptions, VaultScan
from vaultlink.vault import vault_root

Json = dict[str, Any]

INSTRUCTIONS = """\
Tools over one Obsidian-style markdown vault. Name notes as a user would: a title, a path
(folder/name or folder/name.md) or an alias; use find_note when unsure. related lists the notes
a note is about the same things as (best first, with the reasons), leaving out notes it already
links or is linked from; backlinks and links give the links themselves; check reports broken
and ambiguous links and unreadable files; neighbourhood gives the concept graph around a note."""

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


class VaultTools:
    """The tools' logic, apart from the protocol: each reads the vault afresh (cheap through the
    cache) and answers with JSON-ready data; a bad argument is a ``ToolError`` saying why."""

    def __init__(self, vault: str | Path, cache: CacheOptions = READ_CACHE) -> None:
        self.root = vault_root(vault)
        self.cache = cache.read_only()  # the questions write nothing, not even the cache
        self.sync_cache = dataclasses.replace(cache, writable=True)  # a sync keeps its cache, as the CLI's

    def _scan(self) -> VaultScan:
        try:
            return app.scan_vault(self.root, self.cache, keep_texts=False)
        except VaultlinkError as exc:
            raise ToolError(str(exc)) from exc

    @staticmethod
    def _note(scan: VaultScan, name: str) -> Note:
        try:
            return app.find_note(scan, name)
        except VaultlinkError as exc:
            raise ToolError(str(exc)) from exc

    def related(self, note: str, top: int = 10) -> Json:
        if not 1 <= top <= 100:
            raise ToolError(f"top must be between 1 and 100, not {top}")
        scan = self._scan()
        found = self._note(scan, note)
        options = SyncOptions.from_config(scan.config)
        ranked = app.rank_all(scan, top, options.min_score, only=[found.path])
        return {"note": found.path, "related": [queries.suggestion_json(s) for s in ranked.get(found.path, [])]}

    def backlinks(self, note: str) -> Json:
        scan = self._scan()
        found = self._note(scan, note)
        return {"note": found.path, "backlinks": queries.backlinks(scan, found)}

    def links(self, note: str) -> Json:
        scan = self._scan()
        found = self._note(scan, note)
        return {"note": found.path, "links": queries.links(scan, found)}

    def find_note(self, query: str) -> Json:
        return {"query": query, "notes": queries.find_notes(self._scan(), query)}

    def check(self, note: str | None = None) -> Json:
        scan = self._scan()
        found = self._note(scan, note) if note else None
        return {"notes": len(scan.notes), "problems": queries.problems(scan, found)}

    def neighbourhood(self, note: str, depth: int = 1) -> Json:
        if not 1 <= depth <= 3:
            raise ToolError(f"depth must be 1, 2 or 3, not {depth}")
        from vaultlink.core.graph import build_graph  # networkx: only when asked

        scan = self._scan()
        found = self._note(scan, note)
        graph = build_graph(scan.linked_notes, scan.links, scan.config)
        return {"note": found.path, **queries.neighbourhood(graph, note_id(found.path), depth)}

    def sync(self, dry_run: bool = True) -> Json:
        try:
            report = app.sync(self.root, dry_run=dry_run, cache=self.cache if dry_run else self.sync_cache)
        except VaultlinkError as exc:
            raise ToolError(str(exc)) from exc
        return {"dry_run": dry_run, **queries.report_json(report, dry_run=dry_run)}


def make_server(vault: str | Path, *, allow_write: bool = False, cache: CacheOptions = READ_CACHE) -> MCPServer:
    """The server for one vault; ``sync`` is among its tools only with ``allow_write``."""
    tools = VaultTools(vault, cache)
    server = MCPServer("vaultlink", version=__version__, instructions=INSTRUCTIONS)

    @server.tool(annotations=READ_ONLY)
    def related(note: str, top: int = 10) -> Json:
        """The notes related to NOTE (a title, path or alias), best first, each with its score and
        the reasons (shared phrases, names it mentions, links both make). Notes it already links
        to or is linked from are left out: they are connected already."""
        return tools.related(note, top)

    @server.tool(annotations=READ_ONLY)
    def backlinks(note: str) -> Json:
        """The notes that link to NOTE, each with how many links and of which kind."""
        return tools.backlinks(note)

    @server.tool(annotations=READ_ONLY)
    def links(note: str) -> Json:
        """The links NOTE makes, as written, each with the note it leads to, or why it leads
        nowhere (missing, ambiguous with its candidates, refused, an attachment)."""
        return tools.links(note)

    @server.tool(annotations=READ_ONLY)
    def find_note(query: str) -> Json:
        """Notes whose title, alias or path contains QUERY (any case), exact matches first."""
        return tools.find_note(query)

    @server.tool(annotations=READ_ONLY)
    def check(note: str | None = None) -> Json:
        """Problems in the vault (broken and ambiguous links, unreadable files, bad frontmatter),
        or only those of NOTE."""
        return tools.check(note)

    @server.tool(annotations=READ_ONLY)
    def neighbourhood(note: str, depth: int = 1) -> Json:
        """The concept graph around NOTE: the notes, missing notes and shared concepts (tags,
        aliases, names, phrases) within DEPTH steps (1 to 3, at most 200 nodes), and their edges."""
        return tools.neighbourhood(note, depth)

    if allow_write:

        @server.tool(annotations=WRITES)
        def sync(dry_run: bool = True) -> Json:
            """Link the vault: write the Related and Backlinks blocks and the stubs vaultlink
            manages. With DRY_RUN (the default) nothing is written and the diff is returned."""
            return tools.sync(dry_run)

    return server
