"""build_graph(notes, resolved links) -> the concept graph, as a networkx DiGraph.

Nodes (``kind``): ``note`` (id ``note:<path>``), ``missing`` (a link target with no note,
id ``missing:<path>``) and ``concept`` (a term that relates notes, id ``concept:<key>``).
Edges (``kind``): the explicit links — ``wikilink``, ``markdown``, ``path``, ``embed`` —
from note to note or missing note, ``mentions`` from a note to a concept, whose
``weight`` is the term's count times its rarity (idf), and ``related`` (``add_related``)
from a note to each note of its Related list, weighted by the score, with its reasons.

Every node has the same attribute names and every edge too, each name always of one type, so
GraphML readers (networkx, igraph, Gephi, Cytoscape) agree on types. Values are scalars but
for ``tags``, ``aliases`` and ``reasons``, tuples of strings: the writers of formats that
only hold scalars join them (``export.py``), JSON keeps them as lists. The whole build is
linear in the number of notes, links and kept terms.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

from vaultlink.core.config import Config
from vaultlink.core.note import Note, Suggestion, Term, TermKind, link_name
from vaultlink.core.resolve import Outcome, ResolvedLink, fold

_KIND_PRIORITY = {TermKind.TAG: 0, TermKind.ALIAS: 1, TermKind.ENTITY: 2, TermKind.PHRASE: 3}


def note_id(path: str) -> str:
    return f"note:{path}"


def missing_id(path: str) -> str:
    return f"missing:{fold(path)}"


CONCEPT_PREFIX = "concept:"


def concept_id(key: str) -> str:
    return f"{CONCEPT_PREFIX}{key}"


NodeAttrs = dict[str, str | int | tuple[str, ...]]
EdgeAttrs = dict[str, str | float | tuple[str, ...]]


def missing_attrs(path: str) -> NodeAttrs:
    return _node_attrs("missing", link_name(path), path)


def note_attrs(note: Note) -> NodeAttrs:
    """A note's title, where it is, and what people filter on: its tags, aliases and length
    (``words``: its content words, stop words left out, as ranking counts them)."""
    return _node_attrs("note", note.title, note.path, note.tags, note.aliases, sum(note.word_counts))


def folder_of(path: str) -> str:
    """The folder a vault path is in, ``""`` at the vault's root."""
    return path.rpartition("/")[0]


def _node_attrs(
    kind: str,
    label: str,
    path: str = "",
    tags: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    words: int = 0,
    term_kind: str = "",
    df: int = 0,
) -> NodeAttrs:
    return {
        "kind": kind,
        "label": label,
        "path": path,
        "folder": folder_of(path),
        "tags": tags,
        "aliases": aliases,
        "words": words,
        "term_kind": term_kind,
        "df": df,
    }


def edge_attrs(kind: str, weight: float, reasons: tuple[str, ...] = ()) -> EdgeAttrs:
    return {"kind": kind, "weight": weight, "reasons": reasons}


def document_frequencies(notes: Iterable[Note]) -> Counter[str]:
    """How many notes state each term."""
    df: Counter[str] = Counter()
    for note in notes:
        df.update({t.key for t in note.terms})
    return df


CONCEPT_FLOOR = 50
"""A term carried by up to this many notes (and not by all of them) is a concept whatever share of
the vault that is: in a vault of 9 notes, ``max_df_ratio`` (25%) of them is 2, and every term five
notes on one subject share was dropped (issue 15)."""


def concept_bounds(note_count: int, config: Config) -> tuple[int, int]:
    """The document-frequency range in which a term relates notes: carried by at least
    ``min_df`` notes and by at most ``max_df_ratio`` of them, or ``CONCEPT_FLOOR`` (never below
    ``min_df``)."""
    floor = min(note_count - 1, CONCEPT_FLOOR)
    upper = max(config.min_df, math.floor(config.max_df_ratio * note_count), floor)
    return config.min_df, upper


def build_graph(notes: Sequence[Note], links: Iterable[ResolvedLink], config: Config) -> nx.DiGraph[str]:
    """The concept graph of a vault."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for note in notes:
        graph.add_node(note_id(note.path), **note_attrs(note))
    add_links(graph, links)
    _add_concepts(graph, notes, config)
    return graph


def add_links(graph: nx.DiGraph[str], links: Iterable[ResolvedLink]) -> None:
    """Link edges (and missing-note nodes) for resolved links; repeated links add weight."""
    for r in links:
        res = r.resolution
        if res.outcome is Outcome.NOTE:
            target = note_id(res.target)
        elif res.outcome is Outcome.MISSING:
            target = missing_id(res.target)
            if target not in graph:
                graph.add_node(target, **missing_attrs(res.target))
        else:
            continue
        source = note_id(r.source)
        if source == target:
            continue
        if graph.has_edge(source, target):
            graph.edges[source, target]["weight"] += 1.0
        else:
            graph.add_edge(source, target, **edge_attrs(r.link.kind.value, 1.0))


def _add_concepts(graph: nx.DiGraph[str], notes: Sequence[Note], config: Config) -> None:
    df = document_frequencies(notes)
    low, high = concept_bounds(len(notes), config)
    kept = {key for key, n in df.items() if low <= n <= high}
    best: dict[str, tuple[tuple[int, str], Term]] = {}
    for note in notes:
        for term in note.terms:
            if term.key in kept:
                rank = concept_rank(term, note.path)
                if term.key not in best or rank < best[term.key][0]:
                    best[term.key] = (rank, term)
    for key, (_, term) in best.items():
        graph.add_node(concept_id(key), **concept_attrs(term, df[key]))
    n = len(notes)
    for note in notes:
        for term in note.terms:
            if term.key in kept:
                graph.add_edge(note_id(note.path), concept_id(term.key), **concept_edge_attrs(term, df[term.key], n))


def concept_attrs(term: Term, df: int) -> NodeAttrs:
    """A concept node's attributes, labelled by the term as stated by the note that names it
    best (tag, then alias, entity, phrase; then by path, so the label never depends on order)."""
    return _node_attrs("concept", term.label, term_kind=term.kind.value, df=df)


def concept_rank(term: Term, path: str) -> tuple[int, str]:
    """Which note's term names a concept: the lowest (tag, then alias, entity, phrase; then path)."""
    return (_KIND_PRIORITY[term.kind], path)


def concept_edge_attrs(term: Term, df: int, note_count: int) -> EdgeAttrs:
    """A concept edge (kind ``mentions`` in GraphML: the note states the concept): the term's count
    in the note times its rarity (idf)."""
    return edge_attrs("mentions", round(term.count * math.log((note_count + 1) / df), 4))


def add_related(graph: nx.DiGraph[str], related: Mapping[str, Sequence[Suggestion]]) -> None:
    """A ``related`` edge from each note to each note of its Related list (``related``, as
    ``rank`` gives them): weighted by the score, with the reasons the list shows.

    Only between two notes of the graph, and never over an edge already there: ranking leaves
    out notes linked either way, so a link edge and a related edge never meet, but Related lists
    made otherwise must not turn a link into a suggestion (nor a stub into a node)."""
    for path in sorted(related):
        source = note_id(path)
        for suggestion in related[path]:
            target = note_id(suggestion.path)
            if source in graph and target in graph and source != target and not graph.has_edge(source, target):
                graph.add_edge(source, target, **edge_attrs("related", suggestion.score, suggestion.reasons))


@dataclass(frozen=True)
class GraphSummary:
    """How many of each kind of node and edge a concept graph has (``vaultlink graph`` prints it)."""

    notes: int
    missing: int
    concepts: int
    links: int
    concept_edges: int
    """Note → concept edges (kind ``mentions``)."""
    related: int = 0
    """Note → note edges of the Related lists (kind ``related``)."""


def summarize(graph: nx.DiGraph[str]) -> GraphSummary:
    kinds: Counter[str] = Counter(str(kind) for _, kind in graph.nodes(data="kind"))
    edge_kinds: Counter[str] = Counter(str(data["kind"]) for _, _, data in graph.edges(data=True))
    concept_edges, related = edge_kinds.pop("mentions", 0), edge_kinds.pop("related", 0)
    return GraphSummary(
        kinds["note"], kinds["missing"], kinds["concept"], sum(edge_kinds.values()), concept_edges, related
    )
