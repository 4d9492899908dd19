"""Graph files: GraphML, GEXF and node-link JSON readable by networkx and igraph, valid XML whatever the
labels, lists joined where values are scalars, the format named by the extension, written atomically."""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import VAULT_OF_KNOWLEDGE, VaultFactory, pristine_sample, requires_shared

from vaultlink import app, writer
from vaultlink.cli import cli
from vaultlink.config import load_config
from vaultlink.errors import OutputError
from vaultlink.export import LIST_SEPARATOR, graph_format, node_link, write_graph, write_graphml
from vaultlink.vault import list_notes

igraph = pytest.importorskip("igraph")

KINDS = {"note", "missing", "concept"}


def small_graph(label: str = "Alpha") -> nx.DiGraph[str]:
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_node("note:a.md", kind="note", label=label, path="a.md", term_kind="", df=0)
    g.add_node("note:sub/b.md", kind="note", label="B", path="sub/b.md", term_kind="", df=0)
    g.add_node("missing:ghost.md", kind="missing", label="Ghost.md", path="Ghost.md", term_kind="", df=0)
    g.add_node("concept:solar sail", kind="concept", label="solar sail", path="", term_kind="phrase", df=2)
    g.add_edge("note:a.md", "note:sub/b.md", kind="wikilink", weight=2.0)
    g.add_edge("note:a.md", "missing:ghost.md", kind="markdown", weight=1.0)
    g.add_edge("note:a.md", "concept:solar sail", kind="mentions", weight=0.9163)
    g.add_edge("note:sub/b.md", "concept:solar sail", kind="mentions", weight=0.9163)
    return g


def leftovers(folder: Path, keep: str) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name != keep)


# --- round trips ----------------------------------------------------------------------------


def test_graphml_reads_back_in_networkx(tmp_path: Path) -> None:
    g = small_graph()
    out = tmp_path / "g.graphml"
    write_graphml(g, out)
    back = nx.read_graphml(out)
    assert back.is_directed()
    assert back.number_of_nodes() == g.number_of_nodes()
    assert back.number_of_edges() == g.number_of_edges()
    assert dict(back.nodes(data="kind")) == dict(g.nodes(data="kind"))
    assert back.nodes["concept:solar sail"]["df"] == 2
    assert back.edges["note:a.md", "note:sub/b.md"] == {"kind": "wikilink", "weight": 2.0}


def test_graphml_reads_back_in_igraph(tmp_path: Path) -> None:
    g = small_graph()
    out = tmp_path / "g.graphml"
    write_graphml(g, out)
    ig = igraph.Graph.Read_GraphML(str(out))
    assert ig.is_directed()
    assert ig.vcount() == g.number_of_nodes()
    assert ig.ecount() == g.number_of_edges()
    assert "kind" in ig.vs.attributes()
    assert sorted(ig.vs["kind"]) == sorted(k for _, k in g.nodes(data="kind"))
    assert {"kind", "weight"} <= set(ig.es.attributes())


def test_graphml_is_well_formed_xml(tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    write_graphml(small_graph(), out)
    root = ET.parse(out).getroot()
    assert root.tag.endswith("graphml")


def test_write_to_relative_path_in_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_graphml(small_graph(), Path("g.graphml"))
    assert nx.read_graphml(tmp_path / "g.graphml").number_of_nodes() == 4
    assert os.listdir(tmp_path) == ["g.graphml"]


# --- hostile labels -------------------------------------------------------------------------


def test_control_characters_are_replaced_and_xml_specials_kept(tmp_path: Path) -> None:
    label = 'nul\x00vt\x0bff\x0cesc\x1b <tag> & "quoted" \'s'
    g = small_graph(label)
    out = tmp_path / "g.graphml"
    write_graphml(g, out)
    ET.parse(out)  # valid XML
    back = nx.read_graphml(out)
    assert back.nodes["note:a.md"]["label"] == 'nul\ufffdvt\ufffdff\ufffdesc\ufffd <tag> & "quoted" \'s'
    ig = igraph.Graph.Read_GraphML(str(out))
    assert 'nul\ufffdvt\ufffdff\ufffdesc\ufffd <tag> & "quoted" \'s' in ig.vs["label"]


def test_tab_and_newline_in_labels_survive(tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    write_graphml(small_graph("a\tb\nc"), out)
    assert nx.read_graphml(out).nodes["note:a.md"]["label"] == "a\tb\nc"


def test_control_characters_and_specials_in_node_ids(tmp_path: Path) -> None:
    g: nx.DiGraph[str] = nx.DiGraph()
    g.add_node('note:a\x00<&>".md', kind="note", label="a", path='a\x00<&>".md', term_kind="", df=0)
    g.add_node("note:b.md", kind="note", label="b", path="b.md", term_kind="", df=0)
    g.add_edge('note:a\x00<&>".md', "note:b.md", kind="wikilink", weight=1.0)
    out = tmp_path / "g.graphml"
    write_graphml(g, out)
    back = nx.read_graphml(out)
    assert set(back.nodes) == {'note:a\ufffd<&>".md', "note:b.md"}
    assert back.has_edge('note:a\ufffd<&>".md', "note:b.md")
    assert back.nodes['note:a\ufffd<&>".md']["path"] == 'a\ufffd<&>".md'


def test_write_does_not_modify_the_graph(tmp_path: Path) -> None:
    g = small_graph("bad\x00label")
    write_graphml(g, tmp_path / "g.graphml")
    assert g.nodes["note:a.md"]["label"] == "bad\x00label"


def test_carriage_return_in_label_reads_back_as_a_newline_in_every_reader(tmp_path: Path) -> None:
    # XML parsers turn a raw CR into LF; export does so itself so every reader agrees.
    out = tmp_path / "g.graphml"
    write_graphml(small_graph("a\rb\r\nc"), out)
    assert nx.read_graphml(out).nodes["note:a.md"]["label"] == "a\nb\nc"
    assert igraph.Graph.Read_GraphML(str(out)).vs.find(id="note:a.md")["label"] == "a\nb\nc"


def test_vault_note_with_control_character_title_exports(tmp_path: Path, make_vault: VaultFactory) -> None:
    vault = make_vault({"a.md": "# Title\x0bwith <VT> & co\n\nSee [[b]].\n", "b.md": "x\n"})
    out = tmp_path / "g.graphml"
    app.export_graph(vault, out)
    back = nx.read_graphml(out)
    assert back.nodes["note:a.md"]["label"] == "Title\ufffdwith <VT> & co"
    assert igraph.Graph.Read_GraphML(str(out)).vcount() == back.number_of_nodes()


# --- atomic writes --------------------------------------------------------------------------


def test_successful_write_leaves_no_temp_file(tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    write_graphml(small_graph(), out)
    write_graphml(small_graph(), out)  # overwrite too
    assert os.listdir(tmp_path) == ["g.graphml"]


def test_write_replaces_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    out.write_text("old", encoding="utf-8")
    write_graphml(small_graph(), out)
    assert nx.read_graphml(out).number_of_nodes() == 4


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failed_write_keeps_previous_output_and_leaves_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    out = tmp_path / "g.graphml"
    out.write_bytes(b"previous output")

    def failing_fsync(fd: int) -> None:  # the temp file holds data but is never completed
        raise error

    monkeypatch.setattr(writer.os, "fsync", failing_fsync)
    with pytest.raises(type(error)):
        write_graphml(small_graph(), out)
    assert out.read_bytes() == b"previous output"
    assert leftovers(tmp_path, "g.graphml") == []


def test_failed_first_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(fd: int) -> None:
        raise OSError("no space left")

    monkeypatch.setattr(writer.os, "fsync", boom)
    with pytest.raises(OSError):
        write_graphml(small_graph(), tmp_path / "g.graphml")
    assert os.listdir(tmp_path) == []


def test_write_keeps_existing_output_mode(tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o644)
    write_graphml(small_graph(), out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


# --- app.export_graph -----------------------------------------------------------------------


def test_export_graph_of_a_vault(tmp_path: Path, make_vault: VaultFactory) -> None:
    vault = make_vault(
        {
            "Home.md": "# Home\n\nSee [[Alpha]], [b](sub/deeper/Beta.md) and [[Nowhere]]. #solar-sail\n",
            "sub/Alpha.md": "Alpha text about #solar-sail and [[Home]].\n",
            "sub/deeper/Beta.md": "Beta links ~/vault/Home.md in prose.\n",
        }
    )
    out = tmp_path / "out.graphml"
    summary, scan = app.export_graph(vault, out)
    assert (summary.notes, summary.missing, summary.concepts) == (3, 1, 1)
    assert summary.links == 5  # Home->Alpha, Home->Beta, Home->Nowhere, Alpha->Home, Beta->Home
    assert len(scan.notes) == 3

    back = nx.read_graphml(out)
    assert back.number_of_nodes() == 5
    assert back.number_of_edges() == summary.links + summary.concept_edges + summary.related
    note_paths = {d["path"] for _, d in back.nodes(data=True) if d["kind"] == "note"}
    assert note_paths == {"Home.md", "sub/Alpha.md", "sub/deeper/Beta.md"}
    assert back.edges["note:Home.md", "note:sub/deeper/Beta.md"]["kind"] == "markdown"
    assert back.edges["note:sub/deeper/Beta.md", "note:Home.md"]["kind"] == "path"

    ig = igraph.Graph.Read_GraphML(str(out))
    assert (ig.vcount(), ig.ecount()) == (back.number_of_nodes(), back.number_of_edges())
    assert set(ig.vs["kind"]) == KINDS


def test_exported_paths_are_vault_relative_with_slashes(tmp_path: Path, make_vault: VaultFactory) -> None:
    vault = make_vault({"a/b/c.md": "[[x/Missing]]\n", "d.md": "x\n"})
    out = tmp_path / "out.graphml"
    app.export_graph(vault, out)
    back = nx.read_graphml(out)
    paths = {d["path"] for _, d in back.nodes(data=True) if d["kind"] != "concept"}
    assert paths == {"a/b/c.md", "d.md", "x/Missing.md"}
    for path in paths:
        assert "\\" not in path and not path.startswith("/") and str(tmp_path) not in path


def assert_reads_back(out: Path) -> nx.DiGraph[str]:
    back = nx.read_graphml(out)
    ig = igraph.Graph.Read_GraphML(str(out))
    assert (ig.vcount(), ig.ecount()) == (back.number_of_nodes(), back.number_of_edges())
    assert set(ig.vs["kind"]) <= KINDS
    assert {k for _, k in back.nodes(data="kind")} <= KINDS
    return back


@pytest.mark.slow
@requires_shared
def test_export_vaultofknowledge_reads_back(tmp_path: Path) -> None:
    out = tmp_path / "vok.graphml"
    summary, _ = app.export_graph(VAULT_OF_KNOWLEDGE, out)
    back = assert_reads_back(out)
    kinds = [k for _, k in back.nodes(data="kind")]
    assert kinds.count("note") == summary.notes > 2000
    assert kinds.count("concept") == summary.concepts > 0
    assert back.number_of_edges() == summary.links + summary.concept_edges + summary.related
    assert os.listdir(tmp_path) == ["vok.graphml"]


def test_export_sample_vault_reads_back(tmp_path: Path) -> None:
    if not pristine_sample().is_dir():
        pytest.skip("sample_vault/ does not exist yet")
    count = len(list_notes(pristine_sample(), load_config(pristine_sample())).paths)
    if count < 20:
        pytest.skip(f"sample_vault/ has only {count} notes (being written); needs at least 20")
    out = tmp_path / "sample.graphml"
    summary, _ = app.export_graph(pristine_sample(), out)
    back = assert_reads_back(out)
    kinds = [k for _, k in back.nodes(data="kind")]
    assert kinds.count("note") == summary.notes == count
    assert kinds.count("concept") == summary.concepts > 0


def test_new_output_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_graphml(small_graph(), tmp_path / "g.graphml")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "g.graphml").stat().st_mode) == 0o644


# --- lists, formats ---------------------------------------------------------------------------


def listed_graph() -> nx.DiGraph[str]:
    """A graph as ``build_graph`` makes it: tags, aliases and reasons as tuples."""
    g: nx.DiGraph[str] = nx.DiGraph()
    common = {"term_kind": "", "df": 0}
    g.add_node(
        "note:a/b.md",
        kind="note",
        label="B",
        path="a/b.md",
        folder="a",
        tags=("physics", "open/question"),
        aliases=("Bee", "Be\x00e"),
        words=12,
        **common,
    )
    g.add_node("note:c.md", kind="note", label="C", path="c.md", folder="", tags=(), aliases=(), words=3, **common)
    g.add_edge("note:a/b.md", "note:c.md", kind="related", weight=1.5, reasons=("solar sail", "mentioned here"))
    g.add_edge("note:c.md", "note:a/b.md", kind="wikilink", weight=1.0, reasons=())
    return g


def test_graphml_joins_lists_and_reads_back_as_strings(tmp_path: Path) -> None:
    out = tmp_path / "g.graphml"
    write_graphml(listed_graph(), out)
    back = nx.read_graphml(out)
    assert back.nodes["note:a/b.md"]["tags"] == "physics|open/question"
    assert back.nodes["note:a/b.md"]["aliases"] == "Bee|Be\ufffde"
    assert back.nodes["note:c.md"]["tags"] == ""
    related = back.edges["note:a/b.md", "note:c.md"]
    assert related == {"kind": "related", "weight": 1.5, "reasons": "solar sail|mentioned here"}
    assert igraph.Graph.Read_GraphML(str(out)).vs.find(id="note:a/b.md")["words"] == 12
    assert LIST_SEPARATOR == "|"


def test_gexf_reads_back_in_networkx_with_labels_and_joined_lists(tmp_path: Path) -> None:
    out = tmp_path / "g.gexf"
    write_graph(listed_graph(), out)
    ET.parse(out)
    back = nx.read_gexf(out)
    assert back.is_directed()
    assert back.nodes["note:a/b.md"]["label"] == "B"
    assert back.nodes["note:a/b.md"]["tags"] == "physics|open/question"
    assert back.edges["note:a/b.md", "note:c.md"]["reasons"] == "solar sail|mentioned here"
    assert back.edges["note:a/b.md", "note:c.md"]["weight"] == 1.5


def test_json_is_node_link_as_networkx_writes_it_with_lists_kept(tmp_path: Path) -> None:
    g = listed_graph()
    out = tmp_path / "g.json"
    write_graph(g, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(nx.node_link_data(g, edges="edges")))
    assert data == json.loads(json.dumps(node_link(g)))
    back = nx.node_link_graph(data, edges="edges")
    assert back.is_directed()
    assert back.nodes["note:a/b.md"]["tags"] == ["physics", "open/question"]
    assert back.edges["note:a/b.md", "note:c.md"]["reasons"] == ["solar sail", "mentioned here"]
    assert back.nodes["note:a/b.md"]["aliases"][1] == "Be\x00e"  # JSON carries what XML cannot


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("g.graphml", ".graphml"),
        ("G.GraphML", ".graphml"),
        ("g.gexf", ".gexf"),
        ("g.json", ".json"),
        ("g.html", ".html"),
        ("g.htm", ".htm"),
    ],
)
def test_format_follows_the_extension(name: str, expected: str) -> None:
    assert graph_format(name) == expected


@pytest.mark.parametrize("name", ["g.txt", "g", "g.graphml.bak", "graph.svg"])
def test_unknown_extension_is_an_error_naming_the_known_ones(name: str) -> None:
    with pytest.raises(OutputError, match=r"\.graphml.*\.html.*\.json"):
        graph_format(name)


def test_unknown_extension_fails_before_the_vault_is_read(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["graph", str(tmp_path / "no such vault"), "-o", str(tmp_path / "g.png")])
    assert result.exit_code == 2
    assert "cannot tell the graph format" in result.output
    assert "no such vault" not in result.output
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json", ".html"])
def test_every_format_of_a_vault_is_written_and_the_same_vault_gives_the_same_bytes(
    tmp_path: Path, make_vault: VaultFactory, suffix: str
) -> None:
    vault = make_vault(
        {"a.md": "# A\n\nSee [[b]] about solar sails. #space\n", "b.md": "Solar sails. #space\n", "c.md": "x\n"}
    )
    first, second = tmp_path / f"1{suffix}", tmp_path / f"2{suffix}"
    summary, _ = app.export_graph(vault, first)
    app.export_graph(vault, second, app.NO_CACHE)
    assert summary.notes == 3
    assert first.read_bytes() == second.read_bytes()


def test_export_carries_tags_and_related_edges_of_a_vault(tmp_path: Path, make_vault: VaultFactory) -> None:
    shared = "Sourdough starter needs rye flour and patience. The sourdough starter bubbles.\n"
    files = {f"filler{i}.md": f"Unrelated filler number{i} about knitting{i}.\n" for i in range(8)}
    files |= {"bread/Starter.md": "---\ntags: [baking]\n---\n" + shared, "bread/Loaf.md": shared + "#baking\n"}
    vault = make_vault(files)
    out = tmp_path / "g.json"
    summary, _ = app.export_graph(vault, out)
    back = nx.node_link_graph(json.loads(out.read_text(encoding="utf-8")), edges="edges")
    assert back.nodes["note:bread/Starter.md"]["tags"] == ["baking"]
    assert back.nodes["note:bread/Starter.md"]["folder"] == "bread"
    related = [(u, v) for u, v, k in back.edges(data="kind") if k == "related"]
    assert ("note:bread/Starter.md", "note:bread/Loaf.md") in related
    assert summary.related == len(related) > 0
    assert all(back.edges[e]["reasons"] for e in related)
