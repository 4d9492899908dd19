"""The ranking prototypes of issue 15 (benchmarks/rankers/) on tiny made-up vaults: the machinery gives
v2.1's scores back when nothing is changed, and each change does what it says."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SMALL_VAULT, VaultFactory, pristine_sample

sys.path.insert(0, str(ROOT / "benchmarks"))

import related_causes
from quality import written
from quality.common import scan_vault
from rankers import evidence, mentions, proto
from rankers.parts import Parts

from vaultlink.core.rank import RankIndex


@pytest.mark.slow
def test_the_parts_add_up_to_v21s_scores() -> None:
    scan = scan_vault(pristine_sample())
    index = RankIndex(scan.notes, scan.links, scan.config)
    parts = Parts.of(index)
    scores = parts.scores(np.arange(len(index.paths))).toarray()
    for a, path in enumerate(index.paths):
        for b, other in enumerate(index.paths):
            if a != b:
                assert scores[a, b] == pytest.approx(index.score(path, other), abs=1e-6)


def test_the_prototype_changing_nothing_writes_what_v21_writes() -> None:
    scan = scan_vault(pristine_sample())
    index = RankIndex(scan.notes, scan.links, scan.config)
    from vaultlink.core.neighbours import Neighbours

    exclude = Neighbours(scan.links).either_way()
    expected = index.related_all(top=5, min_score=0.35, exclude=exclude)
    got = proto.Same(scan).related_all(top=5, min_score=0.35, exclude=exclude)
    assert {p: [(s.path, s.score, s.reasons) for s in found] for p, found in got.items()} == {
        p: [(s.path, s.score, s.reasons) for s in found] for p, found in expected.items()
    }


def test_evidence_keeps_only_what_a_reader_sees() -> None:
    body = (
        "Seen %% a hidden note %% here {{date}} <% tp.file.title %>\n"
        "![github last commit](https://img.shields.io/x) ![[Pasted image 1.png]] ![[Other note]]\n"
        "> [!TIP] the tip\nsee https://example.org/a and [the site](https://example.org/b) twitter.com/x\n"
        "<!-- a comment\nover two lines -->end\n"
    )
    assert evidence.visible(body) == (
        "Seen  here  \n![](https://img.shields.io/x)  ![[Other note]]\n>  the tip\n"
        "see  and [the site](https://example.org/b) \n\nend\n"
    )


def test_boilerplate_is_found_from_the_vault_and_keeps_its_links() -> None:
    bodies = [f"# Note {i}\n- A [[person]].\nMade with the template.\nown line {i}\n" for i in range(5)]
    lines = evidence.boilerplate(bodies)
    assert lines == {"- A [[person]].", "Made with the template."}
    assert evidence.without_boilerplate(bodies[0], lines) == "# Note 0\n[[person]]\n\nown line 0\n"
    assert evidence.boilerplate(bodies[:4]) == frozenset()  # in four notes: not yet a pattern


def test_the_filter_leaves_frontmatter_alone(make_vault: VaultFactory, tmp_path: object) -> None:
    text = "---\ntitle: x %% y %%\n---\nbody %% hidden %% text\n"
    root = make_vault({"a.md": text})
    assert evidence.filtered_texts(scan_vault(root)) == {"a.md": "---\ntitle: x %% y %%\n---\nbody  text\n"}


def test_tokens_fold_plurals_keep_numbers_and_split_cjk() -> None:
    assert mentions.tokens("The Metrics of September 9th, 2020: Java并发") == [
        "metric",
        "september",
        "9th",
        "2020",
        "java",
        "并",
        "发",
    ]


def test_a_name_is_used_as_a_name_on_a_line_of_its_own_or_capitalised_mid_sentence() -> None:
    uses = mentions.name_uses("# Colin Turner\n- Folder Links\n- books and more\nas Dualism holds. Metric is fine.\n")
    assert ("folder", "link") in uses and ("dualism",) in uses and ("colin", "turner") in uses
    assert ("turner",) not in uses  # part of a longer capitalised run
    assert ("metric",) not in uses  # a sentence's first word
    assert ("book",) not in uses  # the line says more than the name


def test_one_word_names_count_only_where_the_vault_uses_them_as_names(make_vault: VaultFactory) -> None:
    files = {
        "Simple.md": "A note about simplicity.\n",
        "Quaternions.md": "Four numbers.\n",
        "Folder Links.md": "A plugin.\n",
        "rotation.md": "Rotations use quaternions, which are simple enough.\n",
        "author.md": "My plugins:\n- Folder Links\n",
        **{f"n{i}.md": f"A simple idea number {i}.\n" for i in range(8)},
    }
    scan = scan_vault(make_vault(files))
    notes = scan.linked_notes
    row = {n.path: i for i, n in enumerate(notes)}
    found = mentions.mentions(scan, notes)
    assert (row["rotation.md"], row["Quaternions.md"]) in found.strict_found  # a rare word: used as the name
    assert (row["n0.md"], row["Simple.md"]) in found.found  # written ...
    assert (row["n0.md"], row["Simple.md"]) not in found.strict_found  # ... but not as the name
    assert (row["author.md"], row["Folder Links.md"]) in found.strict_found  # a phrase, a line of its own
    assert found.strict[row["author.md"], row["Folder Links.md"]] > 0


def test_the_gate_lists_no_pair_resting_on_a_shared_name_word(make_vault: VaultFactory) -> None:
    files = {
        "Alex Smith.md": "# Alex Smith\nAlex Smith paints seascapes.\n",
        "Alex Jones.md": "# Alex Jones\nAlex Jones repairs bicycles.\n",
        **{f"filler {i}.md": f"Unrelated words {i} about gardening and soil.\n" for i in range(10)},
    }
    scan = scan_vault(make_vault(files))
    before = proto.Same(scan).related_all(top=5, min_score=0.0)
    after = proto.Gate(scan).related_all(top=5, min_score=0.0)
    assert "Alex Jones.md" in [s.path for s in before["Alex Smith.md"]]
    assert "Alex Jones.md" not in [s.path for s in after["Alex Smith.md"]]


def test_readable_reasons_name_the_notes_both_link(make_vault: VaultFactory) -> None:
    files = {
        "a.md": "Notes on [[Sourdough]] and [[Rye flour]].\n",
        "b.md": "More on [[Sourdough]] and [[Rye flour]].\n",
        **{f"filler {i}.md": f"Unrelated words {i} about cycling.\n" for i in range(6)},
    }
    scan = scan_vault(make_vault(files))
    (entry,) = [s for s in proto.Together(scan).related_all(top=5, min_score=0.35)["a.md"] if s.path == "b.md"]
    (links,) = [r for r in entry.reasons if r.startswith("both link ")]
    assert links in ("both link [[Rye flour]], [[Sourdough]]", "both link [[Sourdough]], [[Rye flour]]")
    assert "shared links" not in entry.reasons


def test_thresholds_relative_to_the_note_list_what_a_small_vault_shares(make_vault: VaultFactory) -> None:
    scan = scan_vault(make_vault(SMALL_VAULT))
    relative = proto.Relative(scan).related_all(top=5, min_score=0.35)
    assert [s.path for s in relative["Gamma.md"]][:1] == ["Alpha.md"]


def test_entries_resting_on_a_one_word_name_are_counted_as_such(make_vault: VaultFactory, tmp_path: Path) -> None:
    topics = ("sourdough bread", "tomato seedlings", "night sky", "bike repair", "index funds", "compost heap")
    files = {
        "Journal.md": "# Journal\nWhere the days go.\n",
        **{f"day {t}.md": f"Wrote in the journal about {t} and more {t}.\n" for t in topics},
    }
    tagged: list[tuple[written.Entry, tuple[str, ...]]] = []
    total, counts, _ = related_causes.causes_of(make_vault(files), tmp_path / "work", tagged)
    journal = [causes for e, causes in tagged if "Journal.md" in (e.note, e.listed)]
    # "journal" is no name there: ranking v2.1 listed Journal in every day's block, each entry counted
    # as resting on a one-word name; ranking v3 lists no entry on it (``rank.pairs``), so none counts.
    assert journal == [] and counts["one-word name"] == 0
    assert len(tagged) == total


def test_case_tells_a_name_only_after_a_lowercase_word() -> None:
    assert ("resource",) not in mentions.name_uses("今天整理Resource笔记\n")
    assert ("resource",) in mentions.name_uses("I filed it under Resource today\n")
