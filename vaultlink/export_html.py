"""The concept graph as one self-contained HTML page: ``vaultlink graph VAULT -o graph.html``.

The page inlines everything it needs (``vaultlink/web/``: sigma.js and graphology, vendored, and
vaultlink's own page code), so it opens offline, and its Content-Security-Policy forbids every
fetch. The graph travels as one JSON block, column by column (a 10,000-note vault's graph holds
some 250,000 edges: one array per field is a fraction of one object per edge):

``nodes``: ``kind`` (0 note, 1 missing, 2 concept), ``label``, ``path``, ``group`` (index of the
note's top folder in ``folders``, -1 for others), ``tags``, ``aliases``, ``words``, ``termKind``,
``df``, and the position ``x``, ``y``; ``edges``: ``source``, ``target`` (node indexes),
``kind`` (index in ``edgeKinds``), ``weight``; ``reasons``: each related edge's reasons, by edge
index; ``fa2``: settings for the page's "refine" button.

The page comes laid out (``core/layout.py``: 7–12 s at 27,570 nodes on two shared cores): a
browser laying out a large graph itself redraws it at every step, which at 10,000 notes in
headless Chromium took about 5 s a step (``benchmarks/bench_graph_page.py``). Each top folder's
notes start around their own point on a circle (links mostly stay within a folder, so the layout
starts near where it ends), everything else scattered, from a seeded generator over the graph's
order: the same vault gives the same bytes.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from importlib import resources
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from vaultlink.core.layout import force_layout

KINDS = ("note", "missing", "concept")
EDGE_KINDS = ("wikilink", "markdown", "path", "embed", "mentions", "related")

FA2_SETTINGS = {"linLogMode": False, "adjustSizes": False}
"""The page's "refine" button runs ForceAtlas2 in a web worker: these over graphology's
``inferSettings`` (Barnes-Hut past 2,000 nodes, strong gravity)."""

_SLOT = re.compile(r"<!--vaultlink:(\w+)-->")
_SCRIPTS = {"graphology": "graphology.umd.min.js", "library": "graphology-library.min.js", "sigma": "sigma.min.js"}


def web_file(name: str) -> str:
    """A file of ``vaultlink/web/`` (package data), as text."""
    return (resources.files("vaultlink") / "web" / name).read_text(encoding="utf-8")


def top_folder(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


def page_data(graph: nx.DiGraph[str]) -> dict[str, Any]:
    """What the page draws: the graph, column by column (see the module docstring)."""
    order = list(graph.nodes)
    index = {node: i for i, node in enumerate(order)}
    attrs = [graph.nodes[node] for node in order]
    per_folder = Counter(top_folder(a["path"]) for a in attrs if a["kind"] == "note")
    folders = sorted(per_folder, key=lambda f: (-per_folder[f], f))
    group = {f: i for i, f in enumerate(folders)}
    nodes = {
        "kind": [KINDS.index(a["kind"]) for a in attrs],
        "label": [a["label"] for a in attrs],
        "path": [a["path"] for a in attrs],
        "group": [group[top_folder(a["path"])] if a["kind"] == "note" else -1 for a in attrs],
        "tags": [list(a["tags"]) for a in attrs],
        "aliases": [list(a["aliases"]) for a in attrs],
        "words": [a["words"] for a in attrs],
        "termKind": [a["term_kind"] for a in attrs],
        "df": [a["df"] for a in attrs],
    }
    edges: dict[str, list[Any]] = {"source": [], "target": [], "kind": [], "weight": []}
    reasons: dict[str, list[str]] = {}
    for u, v, e in graph.edges(data=True):
        if e["reasons"]:
            reasons[str(len(edges["source"]))] = list(e["reasons"])
        edges["source"].append(index[u])
        edges["target"].append(index[v])
        edges["kind"].append(EDGE_KINDS.index(e["kind"]))
        edges["weight"].append(e["weight"])
    start = starting_positions([a["kind"] for a in attrs], [top_folder(a["path"]) for a in attrs], folders)
    where = force_layout(np.array(edges["source"], dtype=np.int64), np.array(edges["target"], dtype=np.int64), start)
    nodes["x"] = [round(float(x), 2) for x in where[:, 0]]
    nodes["y"] = [round(float(y), 2) for y in where[:, 1]]
    return {
        "folders": folders,
        "edgeKinds": EDGE_KINDS,
        "nodes": nodes,
        "edges": edges,
        "reasons": reasons,
        "fa2": FA2_SETTINGS,
    }


def starting_positions(kinds: list[str], folders_of: list[str], folders: list[str]) -> npt.NDArray[np.float64]:
    """Where each node starts the layout (see the module docstring)."""
    rng = random.Random(19)
    n = len(kinds)
    radius = math.sqrt(max(n, 1))  # the drawing's area grows with the number of nodes
    centres = {
        folder: (radius * math.cos(2 * math.pi * i / len(folders)), radius * math.sin(2 * math.pi * i / len(folders)))
        for i, folder in enumerate(folders)
    }
    start = np.zeros((n, 2))
    for i, (kind, folder) in enumerate(zip(kinds, folders_of, strict=True)):
        angle, spread = rng.uniform(0, 2 * math.pi), math.sqrt(rng.random())
        if kind == "note" and len(folders) > 1:
            (cx, cy), r = centres[folder], radius / 2
        else:
            (cx, cy), r = (0.0, 0.0), radius * 1.5
        start[i] = (cx + r * spread * math.cos(angle), cy + r * spread * math.sin(angle))
    return start


def script_text(text: str) -> str:
    """``text`` safe inside a ``<script>`` element: a ``<`` could end it (``</script``) or open
    a comment that swallows it (``<!--``). In JSON, and in JavaScript strings, ``\\u003c`` reads
    as ``<``; the vendored libraries hold neither sequence (the tests check)."""
    return text.replace("<", "\\u003c")


def page_html(graph: nx.DiGraph[str]) -> str:
    """The whole page, as text."""
    data = script_text(json.dumps(page_data(graph), ensure_ascii=False, separators=(",", ":")))
    slots = {
        "style": web_file("graph.css"),
        "data": data,
        "page": web_file("graph.js"),
        **{slot: web_file(name) for slot, name in _SCRIPTS.items()},
    }
    return _SLOT.sub(lambda m: slots[m.group(1)], web_file("graph.html"))
