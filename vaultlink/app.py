"""The use cases, wiring the pure core to the file system. No printing, no exiting."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from vaultlink.config import load_config
from vaultlink.core.config import Config
from vaultlink.core.graph import build_graph
from vaultlink.core.note import Diagnostic, Note
from vaultlink.core.parse import parse_note
from vaultlink.core.resolve import ResolvedLink, link_diagnostics, resolve_all
from vaultlink.export import write_graphml
from vaultlink.vault import list_notes, read_note_bytes, vault_root


@dataclass
class VaultScan:
    """A whole vault, read: its notes, their resolved links, and every diagnostic."""

    root: Path
    config: Config
    notes: list[Note] = field(default_factory=list)
    links: list[ResolvedLink] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def scan_vault(path: str | os.PathLike[str]) -> VaultScan:
    """Read and parse every note, then resolve every link."""
    root = vault_root(path)
    config = load_config(root)
    listing = list_notes(root, config)
    scan = VaultScan(root, config, diagnostics=list(listing.diagnostics))
    for rel in listing.paths:
        data = read_note_bytes(root, rel, config.max_bytes)
        if isinstance(data, Diagnostic):
            scan.diagnostics.append(data)
            continue
        parsed = parse_note(rel, data, config)
        scan.diagnostics.extend(parsed.diagnostics)
        if parsed.note is not None:
            scan.notes.append(parsed.note)
    scan.links = resolve_all(scan.notes, config)
    scan.diagnostics.extend(link_diagnostics(scan.links))
    return scan


def concept_graph(scan: VaultScan) -> nx.DiGraph[str]:
    return build_graph(scan.notes, scan.links, scan.config)


@dataclass(frozen=True)
class GraphSummary:
    notes: int
    missing: int
    concepts: int
    links: int
    mentions: int


def summarize(graph: nx.DiGraph[str]) -> GraphSummary:
    kinds: Counter[str] = Counter(str(kind) for _, kind in graph.nodes(data="kind"))
    edge_kinds: Counter[str] = Counter(str(data["kind"]) for _, _, data in graph.edges(data=True))
    mentions = edge_kinds.pop("mentions", 0)
    return GraphSummary(kinds["note"], kinds["missing"], kinds["concept"], sum(edge_kinds.values()), mentions)


def export_graph(path: str | os.PathLike[str], out: str | os.PathLike[str]) -> tuple[GraphSummary, VaultScan]:
    """Build the concept graph of the vault at ``path`` and write it as GraphML to ``out``."""
    scan = scan_vault(path)
    graph = concept_graph(scan)
    write_graphml(graph, Path(out))
    return summarize(graph), scan


def check_vault(path: str | os.PathLike[str]) -> VaultScan:
    """Everything wrong with a vault: broken, ambiguous and refused links, bad files."""
    return scan_vault(path)
