"""Write the concept graph as GraphML that networkx, igraph, Gephi and Cytoscape all read."""

from __future__ import annotations

import io
import re
from pathlib import Path

import networkx as nx

from vaultlink.writer import replace_file

# XML 1.0 cannot carry most control characters, even escaped; a note may contain them.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(value: object) -> object:
    """Strings made valid XML text; CR becomes LF, as any XML parser would read it anyway."""
    if not isinstance(value, str):
        return value
    return _XML_INVALID.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))


def graphml_ready(graph: nx.DiGraph[str]) -> nx.DiGraph[str]:
    """A copy whose ids and string attributes are all valid XML text."""
    clean: nx.DiGraph[str] = nx.DiGraph()
    mapping = {node: str(xml_safe(node)) for node in graph.nodes}
    for node, attrs in graph.nodes(data=True):
        clean.add_node(mapping[node], **{k: xml_safe(v) for k, v in attrs.items()})
    for u, v, attrs in graph.edges(data=True):
        clean.add_edge(mapping[u], mapping[v], **{k: xml_safe(val) for k, val in attrs.items()})
    return clean


def write_graphml(graph: nx.DiGraph[str], out: Path) -> None:
    """Write atomically (a reader never sees half a file), keeping an existing file's mode.

    networkx's lxml writer streams the XML (lxml is a dependency for that): it takes about
    half the time of its ElementTree writer, which builds the whole document first."""
    buffer = io.BytesIO()
    nx.write_graphml_lxml(graphml_ready(graph), buffer, encoding="utf-8", prettyprint=True)
    replace_file(Path(out), buffer.getvalue())
