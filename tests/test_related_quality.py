"""The link-prediction benchmark's own parts (benchmarks/related_quality.py, benchmarks/quality/) on tiny
made-up vaults: hiding a link, choosing pairs, the metrics, the baselines, and that the input vault is never
touched."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import networkx as nx
import pytest
from conftest import ROOT, VaultFactory, pristine_sample, snapshot

sys.path.insert(0, str(ROOT / "benchmarks"))

import related_quality as rq
from quality import baselines, hiding
from quality.common import scan_vault

NOTES: dict[str, str] = {
    "a.md": (
        "---\nrelated: '[[b]]'\n---\n# A\r\n"
        "See [[b|the bee]], ![[b]] and [[b#Heading]], also [b's page](b.md) and ~/vault/sub/b2.md.\r\n"
        "Keep [[c]] and [see c](c.md).\r\n"
    ),
    "b.md": "Back to [[a]] and [[A|alpha]]. Also [[c]].\n",
    "c.md": "C links [[a]] and [[b]].\n",
    "sub/b2.md": "Links to nothing.\n",
}


def test_hiding_a_pair_removes_its_links_both_ways_and_keeps_their_text(make_vault: VaultFactory) -> None:
    root = make_vault(NOTES)
    scan = scan_vault(root)
    pairs = hiding.linked_pairs(scan.links)
    assert pairs == {("a.md", "b.md"), ("a.md", "c.md"), ("b.md", "c.md"), ("a.md", "sub/b2.md")}

    hiding.write_hidden_copy(scan, [("a.md", "b.md"), ("a.md", "sub/b2.md")], root)

    a = (root / "a.md").read_bytes().decode()
    assert a == (
        "---\nrelated: '[[b]]'\n---\n# A\r\n"  # frontmatter untouched: vaultlink reads no links there
        "See the bee, b and b, also b's page and b2.\r\n"
        "Keep [[c]] and [see c](c.md).\r\n"
    )
    assert (root / "b.md").read_text() == "Back to a and alpha. Also [[c]].\n"
    assert (root / "c.md").read_text() == NOTES["c.md"]
    assert hiding.linked_pairs(scan_vault(root).links) == {("a.md", "c.md"), ("b.md", "c.md")}


def test_hiding_leaves_links_to_other_notes_with_the_same_words(make_vault: VaultFactory) -> None:
    root = make_vault({"x/b.md": "one b\n", "y/b.md": "another b\n", "a.md": "[[x/b]] and [[y/b]]\n"})
    scan = scan_vault(root)
    hiding.write_hidden_copy(scan, [("a.md", "x/b.md")], root)
    assert (root / "a.md").read_text() == "x/b and [[y/b]]\n"


def test_choose_hidden_is_seeded_and_takes_the_share() -> None:
    pairs = {(f"n{i}.md", f"n{i + 1}.md") for i in range(10)}
    first = hiding.choose_hidden(pairs, 0.2, seed=1)
    assert len(first) == 2 and set(first) <= pairs
    assert hiding.choose_hidden(pairs, 0.2, seed=1) == first
    assert {tuple(hiding.choose_hidden(pairs, 0.2, seed=s)) for s in range(10)} != {tuple(first)}
    assert hiding.choose_hidden(set(), 0.2, seed=1) == []
    assert len(hiding.choose_hidden({("a", "b")}, 0.2, seed=1)) == 1


def test_cases_are_both_directions_of_each_pair() -> None:
    assert rq.cases_of([("a", "b")]) == [rq.Case("a", "b"), rq.Case("b", "a")]


def test_metrics_on_a_hand_made_ranking() -> None:
    ranked = ["p1", "p2", "p3"]
    assert rq.rank_of(ranked, "p3") == 3
    assert rq.rank_of(ranked, "zz") is None
    assert rq.rank_of([f"p{i}" for i in range(200)], "p150") is None  # past MAX_RANK counts as not ranked

    m = rq.metrics([1, 3, None, 7, 12])
    assert m.recall_at_5 == pytest.approx(2 / 5)
    assert m.recall_at_10 == pytest.approx(3 / 5)
    assert m.mrr == pytest.approx((1 + 1 / 3 + 1 / 7 + 1 / 12) / 5)
    assert rq.metrics([]) == rq.Metrics(0.0, 0.0, 0.0)


def test_top_ranked_drops_zero_and_excluded_and_breaks_ties_by_path() -> None:
    scores = {"b": 1.0, "a": 1.0, "c": 2.0, "z": 0.0, "x": 5.0}
    assert baselines.top_ranked(scores, {"x"}) == ["c", "a", "b"]
    assert baselines.top_ranked(scores, set(), limit=2) == ["x", "c"]


def test_adamic_adar_matches_networkx() -> None:
    edges = [("a", "b"), ("a", "c"), ("b", "c"), ("c", "d"), ("b", "d"), ("d", "e"), ("a", "f")]
    graph = nx.Graph(edges)
    adjacency = {n: set(graph[n]) for n in graph}
    for query in graph:
        ours = baselines.adamic_adar_scores(adjacency, query)
        for other in graph:
            if other != query and not graph.has_edge(query, other):
                (_, _, expected), *_ = nx.adamic_adar_index(graph, [(query, other)])
                assert ours.get(other, 0.0) == pytest.approx(expected)


def test_link_adjacency_counts_missing_notes_as_shared_neighbours(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[ghost]]\n", "b.md": "[[ghost]]\n", "c.md": "nothing\n"})
    scan = scan_vault(root)
    ranked = baselines.adamic_adar_ranker(scan)("a.md", frozenset())
    assert ranked == ["b.md"]


def test_measure_leaves_out_the_query_and_notes_still_linked_to_it(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "[[b]]\n", "b.md": "text\n", "c.md": "[[a]]\n", "d.md": "text\n"})
    scan = scan_vault(root)

    def everything(scan: object) -> object:
        return lambda path, exclude: ["a.md", "b.md", "c.md", "d.md"]  # ignores exclude on purpose

    ranks, _ = rq.measure(scan, [rq.Case("a.md", "d.md"), rq.Case("d.md", "c.md")], {"all": everything})
    assert ranks == {"all": [1, 3]}  # a's list is just [d]; d's is [a, b, c]


@pytest.mark.slow
def test_tfidf_ranks_the_note_sharing_rare_words_first(make_vault: VaultFactory) -> None:
    pytest.importorskip("sklearn")
    root = make_vault(
        {
            "a.md": "Sourdough starter feeding with rye flour.\n",
            "b.md": "Rye flour makes the sourdough starter lively.\n",
            "c.md": "Tubeless tires need sealant.\n",
        }
    )
    assert baselines.tfidf_ranker(scan_vault(root))("a.md", frozenset()) == ["b.md"]


@pytest.mark.slow
def test_a_run_on_the_sample_vault_reports_every_method_and_leaves_the_vault_alone(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("sklearn")
    before = snapshot(pristine_sample())
    rq.main([str(pristine_sample()), str(tmp_path / "absent"), "--seed", "1", "--json", "--proxies"])
    assert snapshot(pristine_sample()) == before
    captured = capsys.readouterr()
    assert "absent: not a folder" in captured.err
    (result,) = json.loads(captured.out)["vaults"]  # the absent vault is skipped
    (run,) = result["seeds"]
    assert set(run["methods"]) == {"vaultlink", "tf-idf cosine", "adamic-adar"}
    assert run["hidden_pairs"] == round(0.2 * result["linked_pairs"]) and run["not_hidden"] == 0
    assert run["queries"] == 2 * run["hidden_pairs"]
    for m in run["methods"].values():
        assert 0 <= m["recall@5"] <= m["recall@10"] <= 1 and 0 <= m["mrr"] <= 1
    assert math.isfinite(run["ratio"]) and run["target_met"] is None  # sample_vault is exempt
    proxies = result["proxies"]["vaultlink"]
    assert proxies["notes"] == result["notes"] and 0 < proxies["blocks"] <= proxies["notes"]
    assert sum(proxies["kinds"].values()) == proxies["entries"] and proxies["unresolved"] == 0
    assert 0 < proxies["magnet_share"] <= 1


def test_cli_says_what_it_measures(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        rq.main(["--help"])
    assert "recall@5" in capsys.readouterr().out
