"""Write the concept graph to a file, in the format its extension names.

``.graphml`` (networkx, igraph, Gephi, Cytoscape), ``.gexf`` (Gephi), ``.json`` (node-link, as
networkx writes it, for scripts) and ``.html`` (a page to look at, ``export_html.py``). Every
file is written atomically: a reader never sees half of one, and an existing file keeps its mode.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from vaultlink.errors import OutputError
from vaultlink.writer import replace_file

# XML 1.0 cannot carry most control characters, even escaped; a note may contain them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

LIST_SEPARATOR = "|"
"""Joins a list attribute (tags, aliases, reasons) in the formats whose values are scalars."""


def xml_safe(value: object) -> object:
    """Strings made valid XML text; CR becomes LF, as any XML parser would read it anyway.
    A list (tuple) becomes one string, its items joined by ``LIST_SEPARATOR``."""
    if isinstance(value, tuple):
        value = LIST_SEPARATOR.join(value)
    if not isinstance(value, str):
        return value
    return _XML_INVALID.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))


def xml_ids(nodes: list[str]) -> dict[str, str]:
    """Each node's id as valid XML text (``xml_safe``), one id a node: a node already valid keeps
    its name; the others, in sorted order, take the first of ``safe``, ``safe (2)``, … not taken
    (two notes' links to ``\x07`` and ``\x08`` would both become U+FFFD)."""
    ids = {node: node for node in nodes if xml_safe(node) == node}
    taken = set(ids.values())
    for node in sorted(set(nodes) - ids.keys()):
        safe = str(xml_safe(node))
        candidate, k = safe, 2
        while candidate in taken:
            candidate, k = f"{safe} ({k})", k + 1
        ids[node] = candidate
        taken.add(candidate)
    return ids


def graphml_ready(graph: nx.DiGraph[str]) -> nx.DiGraph[str]:
    """A copy whose ids and string attributes are all valid XML text, lists joined."""
    clean: nx.DiGraph[str] = nx.DiGraph()
    mapping = xml_ids(list(graph.nodes))
    for node, attrs in graph.nodes(data=True):
        clean.add_node(mapping[node], **{k: xml_safe(v) for k, v in attrs.items()})
    for u, v, attrs in graph.edges(data=True):
        clean.add_edge(mapping[u], mapping[v], **{k: xml_safe(val) for k, val in attrs.items()})
    return clean


def graphml_bytes(graph: nx.DiGraph[str]) -> bytes:
    """networkx's lxml writer streams the XML (lxml is a dependency for that): it takes about
    half the time of its ElementTree writer, which builds the whole document first."""
    buffer = io.BytesIO()
    nx.write_graphml_lxml(graphml_ready(graph), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def gexf_bytes(graph: nx.DiGraph[str]) -> bytes:
    """GEXF 1.2, which Gephi opens natively; a node's ``label`` becomes its GEXF label."""
    buffer = io.BytesIO()
    nx.write_gexf(graphml_ready(graph), buffer, encoding="utf-8", prettyprint=True, version="1.2draft")
    return buffer.getvalue()


def node_link(graph: nx.DiGraph[str]) -> dict[str, Any]:
    """The graph as ``nx.node_link_data(graph, edges="edges")`` gives it (networkx 3.4 on), so
    ``nx.node_link_graph(data, edges="edges")`` reads it back; made here so that every networkx
    version this package supports writes the same file. Lists stay lists."""
    return {
        "directed": True,
        "multigraph": False,
        "graph": {},
        "nodes": [{**attrs, "id": node} for node, attrs in graph.nodes(data=True)],
        "edges": [{**attrs, "source": u, "target": v} for u, v, attrs in graph.edges(data=True)],
    }


def json_bytes(graph: nx.DiGraph[str]) -> bytes:
    return json.dumps(node_link(graph), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def page_bytes(graph: nx.DiGraph[str]) -> bytes:
    from vaultlink.export_html import page_html  # reads the vendored JavaScript: only for pages

    return page_html(graph).encode("utf-8")


_WRITERS: dict[str, Callable[[nx.DiGraph[str]], bytes]] = {
    ".graphml": graphml_bytes,
    ".gexf": gexf_bytes,
    ".json": json_bytes,
    ".html": page_bytes,
    ".htm": page_bytes,
}


def graph_format(out: str | os.PathLike[str]) -> str:
    """The format ``out`` names by its extension (case aside); an error naming the ones known."""
    suffix = Path(out).suffix.casefold()
    if suffix not in _WRITERS:
        known = ", ".join(sorted(_WRITERS))
        raise OutputError(f"{out}: cannot tell the graph format from '{suffix or 'no extension'}'; use one of {known}")
    return suffix


def write_graph(graph: nx.DiGraph[str], out: Path) -> None:
    """Write ``graph`` to ``out`` in the format its extension names."""
    replace_file(Path(out), _WRITERS[graph_format(out)](graph))


def write_graphml(graph: nx.DiGraph[str], out: Path) -> None:
    replace_file(Path(out), graphml_bytes(graph))
