"""build_graph: note, missing and concept nodes; link, mention and related edges; attributes of one type per name."""

from __future__ import annotations

import networkx as nx
import pytest

from vaultlink.core.config import Config
from vaultlink.core.graph import add_related, build_graph
from vaultlink.core.note import Link, LinkKind, Note, Suggestion
from vaultlink.core.parse import parse_text
from vaultlink.core.resolve import resolve_all
from vaultlink.core.terms import phrase_key, tag_key

NODE_ATTRS = {"kind", "label", "path", "folder", "tags", "aliases", "words", "term_kind", "df"}
EDGE_ATTRS = {"kind", "weight", "reasons"}
QUANTUM_GRAVITY = f"concept:{phrase_key(['quantum', 'gravity'])}"
SOLAR_SAIL = f"concept:{phrase_key(['solar', 'sail'])}"


def parse(files: dict[str, str], config: Config | None = None) -> list[Note]:
    config = config or Config()
    notes = []
    for path, text in files.items():
        parsed = parse_text(path, text, config).note
        assert parsed is not None
        notes.append(parsed)
    return notes


def graph_of(files: dict[str, str], config: Config | None = None) -> nx.DiGraph[str]:
    config = config or Config()
    notes = parse(files, config)
    return build_graph(notes, resolve_all(notes, config), config)


def nodes_of_kind(graph: nx.DiGraph[str], kind: str) -> set[str]:
    return {n for n, k in graph.nodes(data="kind") if k == kind}


# --- nodes ----------------------------------------------------------------------------------


def test_every_note_is_a_note_node_with_its_path() -> None:
    g = graph_of({"a.md": "# Alpha\n", "sub/b.md": "text\n"})
    assert nodes_of_kind(g, "note") == {"note:a.md", "note:sub/b.md"}
    assert g.nodes["note:a.md"]["path"] == "a.md"
    assert g.nodes["note:a.md"]["label"] == "Alpha"
    assert g.nodes["note:sub/b.md"]["label"] == "b"


def test_missing_target_is_a_missing_node() -> None:
    g = graph_of({"a.md": "See [[Nowhere Land]].\n"})
    assert nodes_of_kind(g, "missing") == {"missing:nowhere land.md"}
    attrs = g.nodes["missing:nowhere land.md"]
    assert attrs["path"] == "Nowhere Land.md"
    assert attrs["label"].startswith("Nowhere Land")
    assert g.has_edge("note:a.md", "missing:nowhere land.md")


def test_missing_target_linked_from_two_notes_is_one_node_with_two_in_edges() -> None:
    g = graph_of({"a.md": "See [[Ghost]].\n", "b.md": "Also [[ghost]] and [x](Ghost.md).\n"})
    missing = nodes_of_kind(g, "missing")
    assert len(missing) == 1
    (ghost,) = missing
    assert sorted(u for u, _ in g.in_edges(ghost)) == ["note:a.md", "note:b.md"]
    assert g.edges["note:b.md", ghost]["weight"] == 2.0


def test_concept_node_id_is_concept_and_key() -> None:
    g = graph_of({"a.md": "#gardening\n", "b.md": "#gardening\n", "c.md": "x\n", "d.md": "y\n"})
    assert nodes_of_kind(g, "concept") == {f"concept:{tag_key('gardening')}"}


# --- link edges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("See [[b]].\n", "wikilink"),
        ("See [b](b.md).\n", "markdown"),
        ("See ~/vault/b.md here.\n", "path"),
        ("![[b]]\n", "embed"),
    ],
)
def test_link_edge_kind(text: str, kind: str) -> None:
    g = graph_of({"a.md": text, "b.md": "target\n"}, Config(path_prefixes=("vault",)))
    assert g.edges["note:a.md", "note:b.md"] == {"kind": kind, "weight": 1.0, "reasons": ()}


def test_edge_weight_counts_links() -> None:
    g = graph_of({"a.md": "[[b]] and [[b]] and [[B|again]]\n", "b.md": "x\n"})
    assert g.edges["note:a.md", "note:b.md"]["weight"] == 3.0


def test_links_are_directed() -> None:
    g = graph_of({"a.md": "[[b]]\n", "b.md": "x\n"})
    assert g.has_edge("note:a.md", "note:b.md")
    assert not g.has_edge("note:b.md", "note:a.md")


def test_self_link_makes_no_edge() -> None:
    g = graph_of({"a.md": "[[a]] and [[a#Heading]] and [x](a.md)\n"})
    assert g.number_of_edges() == 0
    assert not g.has_edge("note:a.md", "note:a.md")


def test_ambiguous_refused_and_attachment_links_make_no_edge_or_node() -> None:
    g = graph_of(
        {
            "x/n.md": "x\n",
            "y/n.md": "y\n",
            "a.md": "[[n]] [[../../etc]] ![[pic.png]] [[doc.pdf]] [o](/etc/passwd.md)\n",
        }
    )
    assert set(g.nodes) == {"note:x/n.md", "note:y/n.md", "note:a.md"}
    assert g.number_of_edges() == 0


def test_build_graph_accepts_hand_built_records() -> None:
    notes = [Note("a.md", "A", links=(Link("b", LinkKind.WIKILINK, "[[b]]"),)), Note("b.md", "B")]
    g = build_graph(notes, resolve_all(notes, Config()), Config())
    assert set(g.nodes) == {"note:a.md", "note:b.md"}
    assert g.edges["note:a.md", "note:b.md"]["kind"] == "wikilink"


# --- concepts -------------------------------------------------------------------------------


def ten_note_vault() -> dict[str, str]:
    """A phrase in exactly one note, one in exactly two, one in all ten."""
    files = {f"n{i}.md": f"Filler number{i} here. Everyone enjoys banana bread.\n" for i in range(10)}
    files["n0.md"] += "The lonely zebra crossing waits.\n"
    files["n1.md"] += "The quantum gravity puzzle persists.\n"
    files["n2.md"] += "Some mention quantum gravity again.\n"
    return files


def test_phrase_in_only_one_note_is_no_concept() -> None:
    g = graph_of(ten_note_vault())
    labels = {d["label"] for _, d in g.nodes(data=True) if d["kind"] == "concept"}
    assert not any("zebra" in label for label in labels)


def test_phrase_in_two_notes_is_a_concept_both_mention() -> None:
    g = graph_of(ten_note_vault())
    concept = QUANTUM_GRAVITY
    assert g.nodes[concept]["kind"] == "concept"
    assert g.nodes[concept]["label"] == "quantum gravity"
    assert g.nodes[concept]["term_kind"] == "phrase"
    assert g.nodes[concept]["df"] == 2
    assert sorted(u for u, _ in g.in_edges(concept)) == ["note:n1.md", "note:n2.md"]
    for source in ("note:n1.md", "note:n2.md"):
        edge = g.edges[source, concept]
        assert edge["kind"] == "mentions"
        assert edge["weight"] > 0


def test_phrase_in_every_note_is_no_concept() -> None:
    g = graph_of(ten_note_vault())
    labels = {d["label"] for _, d in g.nodes(data=True) if d["kind"] == "concept"}
    assert not any("banana" in label for label in labels)
    assert not any("everyone" in label.casefold() for label in labels)


def test_ten_note_vault_has_exactly_the_shared_phrase_as_concept() -> None:
    g = graph_of(ten_note_vault())
    assert nodes_of_kind(g, "concept") == {QUANTUM_GRAVITY}


def test_rarer_concept_weighs_more() -> None:
    files = {f"n{i}.md": f"Filler{i}.\n" for i in range(12)}
    files["n0.md"] = "quantum gravity. solar sail.\n"
    files["n1.md"] = "quantum gravity. solar sail.\n"
    files["n2.md"] = "solar sail.\n"
    g = graph_of(files)
    assert g.nodes[SOLAR_SAIL]["df"] == 3
    assert g.edges["note:n0.md", QUANTUM_GRAVITY]["weight"] > g.edges["note:n0.md", SOLAR_SAIL]["weight"]


def test_max_df_ratio_is_configurable() -> None:
    files = {f"n{i}.md": f"Filler{i}.\n" + ("Quantum gravity.\n" if i <= 60 else "") for i in range(240)}
    assert QUANTUM_GRAVITY not in graph_of(files)  # 61 of 240 > 25 %, and more than 50 notes
    assert QUANTUM_GRAVITY in graph_of(files, Config(max_df_ratio=0.3))


def test_a_term_five_of_nine_notes_share_is_a_concept() -> None:
    """25% of 9 notes is 2: the ratio alone dropped every term a five-note subject shares (issue 15)."""
    files = {f"n{i}.md": f"Filler{i}.\n" + ("Quantum gravity.\n" if i < 5 else "") for i in range(9)}
    assert QUANTUM_GRAVITY in graph_of(files)


def test_tags_shared_by_two_notes_are_a_tag_concept() -> None:
    files = {f"n{i}.md": f"Filler{i}.\n" for i in range(8)}
    files["n0.md"] = "---\ntags: [research-taste]\n---\nOne.\n"
    files["n1.md"] = "Two #research-taste\n"
    g = graph_of(files)
    concept = f"concept:{tag_key('research-taste')}"
    assert g.nodes[concept]["term_kind"] == "tag"
    assert g.nodes[concept]["df"] == 2
    assert g.nodes[concept]["path"] == ""
    assert {u for u, _ in g.in_edges(concept)} == {"note:n0.md", "note:n1.md"}
    assert all(g.edges[u, concept]["kind"] == "mentions" for u in ("note:n0.md", "note:n1.md"))


def test_tag_in_one_note_is_no_concept() -> None:
    g = graph_of({"a.md": "#lonely\n", "b.md": "x\n", "c.md": "y\n"})
    assert nodes_of_kind(g, "concept") == set()


def test_links_inside_managed_block_are_not_read_back() -> None:
    text = "Own text.\n<!-- vaultlink:related -->\n- [[b]]\n<!-- /vaultlink:related -->\n"
    g = graph_of({"a.md": text, "b.md": "x\n"})
    assert not g.has_edge("note:a.md", "note:b.md")


# --- attribute shape ------------------------------------------------------------------------


def mixed_graph() -> nx.DiGraph[str]:
    files = ten_note_vault()
    files["n0.md"] += "See [[n1]], [[Missing One]], [x](n2.md) and ~/vault/n3.md. #shared-tag\n"
    files["n4.md"] += "#shared-tag\n"
    return graph_of(files, Config(path_prefixes=("vault",)))


def test_graph_has_all_three_node_kinds() -> None:
    g = mixed_graph()
    assert {k for _, k in g.nodes(data="kind")} == {"note", "missing", "concept"}


def test_every_node_has_the_same_attribute_names() -> None:
    g = mixed_graph()
    for node, attrs in g.nodes(data=True):
        assert set(attrs) == NODE_ATTRS, node


def test_every_attribute_value_is_a_scalar_or_a_tuple_of_strings() -> None:
    g = mixed_graph()
    values = [v for _, attrs in g.nodes(data=True) for v in attrs.values()]
    values += [v for _, _, attrs in g.edges(data=True) for v in attrs.values()]
    assert values
    for value in values:
        if isinstance(value, tuple):
            assert all(type(item) is str for item in value), value
        else:
            assert type(value) in (str, int, float), value


def test_attribute_types_are_consistent_per_name() -> None:
    g = mixed_graph()
    types = {name: {type(attrs[name]) for _, attrs in g.nodes(data=True)} for name in NODE_ATTRS}
    assert types == {
        "kind": {str},
        "label": {str},
        "path": {str},
        "folder": {str},
        "tags": {tuple},
        "aliases": {tuple},
        "words": {int},
        "term_kind": {str},
        "df": {int},
    }
    edge_types = {(name, type(v)) for _, _, attrs in g.edges(data=True) for name, v in attrs.items()}
    assert edge_types == {("kind", str), ("weight", float), ("reasons", tuple)}


def test_every_edge_has_the_same_attribute_names() -> None:
    g = mixed_graph()
    add_related(g, {"n1.md": [Suggestion("n2.md", 0.5, ("quantum gravity",))]})
    assert {k for _, _, k in g.edges(data="kind")} >= {"wikilink", "mentions", "related"}
    for u, v, attrs in g.edges(data=True):
        assert set(attrs) == EDGE_ATTRS, (u, v)


def test_node_ids_are_prefixed_by_kind() -> None:
    g = mixed_graph()
    for node, kind in g.nodes(data="kind"):
        assert node.startswith(f"{kind}:"), node


# --- what people filter on ------------------------------------------------------------------


def test_note_nodes_carry_folder_tags_aliases_and_word_count() -> None:
    g = graph_of(
        {
            "physics/deep/Gravity.md": "---\naliases: [Gravitation]\ntags: [physics, open-questions]\n---\n"
            "# Gravity\n\nApples fall down quickly. #forces/weak\n",
            "Top.md": "# Top\n",
        }
    )
    gravity = g.nodes["note:physics/deep/Gravity.md"]
    assert gravity["folder"] == "physics/deep"
    assert set(gravity["tags"]) == {"physics", "open-questions", "forces/weak"}
    assert gravity["aliases"] == ("Gravitation",)
    assert gravity["words"] > 0
    top = g.nodes["note:Top.md"]
    assert (top["folder"], top["tags"], top["aliases"]) == ("", (), ())


def test_word_count_counts_repeated_words() -> None:
    short = graph_of({"a.md": "Apples fall.\n"}).nodes["note:a.md"]["words"]
    longer = graph_of({"a.md": "Apples fall. Apples fall. Apples fall.\n"}).nodes["note:a.md"]["words"]
    assert longer > short > 0


def test_missing_node_folder_is_where_the_note_would_be_created() -> None:
    g = graph_of({"a.md": "See [[ideas/Nowhere]].\n"})
    (missing,) = nodes_of_kind(g, "missing")
    assert g.nodes[missing]["folder"] == "ideas"
    assert g.nodes[missing]["words"] == 0


def test_seed_toml_taxonomy_tags_reach_the_note_node() -> None:
    text = '+++\ntitle = "Scaling"\n[taxonomies]\ntags = ["Scaling laws", "AI"]\n+++\nBody text here.\n'
    g = graph_of({"Scaling.md": text})
    assert "Scaling laws" in g.nodes["note:Scaling.md"]["tags"]


def test_concept_nodes_carry_kind_and_document_frequency_and_no_note_fields() -> None:
    g = graph_of(ten_note_vault())
    concept = g.nodes[QUANTUM_GRAVITY]
    assert (concept["term_kind"], concept["df"]) == ("phrase", 2)
    note_fields = (concept["path"], concept["folder"], concept["tags"], concept["aliases"], concept["words"])
    assert note_fields == ("", "", (), (), 0)


# --- related edges --------------------------------------------------------------------------


def test_related_edges_carry_score_and_reasons() -> None:
    g = graph_of({"a.md": "x\n", "b.md": "y\n", "c.md": "z\n"})
    add_related(g, {"a.md": [Suggestion("b.md", 1.25, ("solar sail", "mentioned here"))], "b.md": []})
    assert g.edges["note:a.md", "note:b.md"] == {
        "kind": "related",
        "weight": 1.25,
        "reasons": ("solar sail", "mentioned here"),
    }
    assert not g.has_edge("note:b.md", "note:a.md")


def test_related_never_replaces_a_link_nor_adds_a_node() -> None:
    g = graph_of({"a.md": "[[b]]\n", "b.md": "y\n"})
    nodes = set(g.nodes)
    add_related(
        g,
        {
            "a.md": [Suggestion("b.md", 2.0, ("x",)), Suggestion("stub.md", 1.0, ("y",)), Suggestion("a.md", 1.0, ())],
            "gone.md": [Suggestion("b.md", 1.0, ("z",))],
        },
    )
    assert g.edges["note:a.md", "note:b.md"]["kind"] == "wikilink"
    assert set(g.nodes) == nodes
    assert g.number_of_edges() == 1
