"""Issue 15's precision proxies (benchmarks/quality/written.py) and the blind review's sampler and tally
(benchmarks/review/), on tiny made-up vaults: what a sync writes is read back exactly, the proxies count
it, a sample says nothing of who wrote it, and the tally joins labels with the key."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest
from conftest import ROOT, SMALL_VAULT, VaultFactory, snapshot

sys.path.insert(0, str(ROOT / "benchmarks"))

from quality import written
from quality.baselines import cjk_bigram_tokens
from quality.common import scan_vault
from review import sample, tally
from review.common import key_file, label_file, read_jsonl, sample_file, write_jsonl

from vaultlink import app
from vaultlink.core.note import Suggestion
from vaultlink.core.resolve import NoteIndex


def test_an_entry_line_is_split_into_its_link_resolved_and_its_reasons(make_vault: VaultFactory) -> None:
    root = make_vault({"a.md": "x\n", "sub/b c.md": "y\n", "06-reference/d.md": "z\n"})
    scan = scan_vault(root)
    index = NoteIndex(scan.notes, scan.config)
    entry = written.parse_entry("- [[b c]] — mentions this note, sourdough starter, rye", "a.md", index)
    assert entry == written.Entry("a.md", "sub/b c.md", "[[b c]]", ("mentions this note", "sourdough starter", "rye"))
    markdown = written.parse_entry("- [b c](sub/b%20c.md) — shared links\r\n", "a.md", index)
    assert markdown is not None and markdown.listed == "sub/b c.md" and markdown.reasons == ("shared links",)
    path = written.parse_entry("- ~/vault/06-reference/d.md — why", "a.md", index)
    assert path is not None and path.listed == "06-reference/d.md"
    assert written.parse_entry("- [[nobody]] — x", "a.md", index) == written.Entry("a.md", "", "[[nobody]]", ("x",))
    assert written.parse_entry("## Related", "a.md", index) is None
    assert written.parse_entry("- [[b c]] — ", "a.md", index) == written.Entry("a.md", "sub/b c.md", "[[b c]]", ())


@pytest.mark.parametrize(
    ("reasons", "kind"),
    [
        (("rye", "mentioned here"), "mention"),
        (("both link [[X]]", "rye"), "named links"),
        (("sourdough starter", "shared links"), "phrase"),
        (("rye", "flour"), "2+ words"),
        (("rye",), "one word"),
        (("rye", "shared links"), "one word"),
        (("shared links",), "shared links only"),
        ((), "no reason"),
    ],
)
def test_what_an_entry_rests_on(reasons: tuple[str, ...], kind: str) -> None:
    assert written.evidence_kind(reasons) == kind
    assert (kind in written.THIN) == (kind in ("one word", "shared links only", "no reason"))


def test_the_entries_read_back_are_the_ranking_a_sync_writes(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault(SMALL_VAULT)
    before = snapshot(root)
    blocks = written.written_by_sync(root, tmp_path / "work")
    assert snapshot(root) == before  # the vault measured is only read
    expected = app.related_notes(root, None, top=5, min_score=0.35, cache=app.NO_CACHE)
    linked = {("Alpha.md", "Beta.md"), ("Beta.md", "Alpha.md")}
    assert {(e.note, e.listed, e.reasons) for e in blocks.entries} == {
        (note, s.path, s.reasons) for note, found in expected.items() for s in found if (note, s.path) not in linked
    }
    assert blocks.notes == 12 and blocks.blocks == len({e.note for e in blocks.entries}) > 0


def test_proxies_count_blocks_magnets_and_thin_entries() -> None:
    entries = [
        written.Entry("a.md", "hub.md", "[[hub]]", ("shared links",)),
        written.Entry("a.md", "c.md", "[[c]]", ("mentions this note",)),
        written.Entry("b.md", "hub.md", "[[hub]]", ("rye",)),
        written.Entry("c.md", "hub.md", "[[hub]]", ("sourdough starter",)),
        written.Entry("c.md", "", "[[gone]]", ("rye", "flour")),
    ]
    p = written.proxies(written.Written("v", 10, tuple(entries)))
    assert (p.notes, p.blocks, p.entries, p.unresolved) == (10, 3, 5, 1)
    assert p.magnets[0] == ("hub.md", 3) and p.magnet_share == 1.0
    assert p.thin == 2 and p.thin_share == pytest.approx(0.4)
    assert p.verdicts() == (False, False)
    assert "100.0% `hub.md` NOT met" in written.proxies_table([("v", "r", p)])


class _Fixed:
    """A prototype that writes one fixed entry into every note's block."""

    def __init__(self, scan: app.VaultScan) -> None:
        self.paths = sorted(n.path for n in scan.linked_notes)

    def __call__(self, path: str, exclude: frozenset[str]) -> list[str]:
        return []

    def related_all(
        self, *, top: int, min_score: float, exclude: Mapping[str, Collection[str]] | None = None
    ) -> dict[str, list[Suggestion]]:
        return {
            p: [Suggestion(self.paths[0] if p != self.paths[0] else self.paths[1], 1.0, ("fixed",))] for p in self.paths
        }


def test_a_prototype_ranks_the_sync_and_vaultlink_ranks_again_after(make_vault: VaultFactory, tmp_path: Path) -> None:
    root = make_vault({"a.md": "one\n", "b.md": "two\n", "c.md": "three\n"})
    original = app.rank_all
    blocks = written.written_by_sync(root, tmp_path / "work", _Fixed)
    assert app.rank_all is original
    assert sorted((e.note, e.listed, e.reasons) for e in blocks.entries) == [
        ("a.md", "b.md", ("fixed",)),
        ("b.md", "a.md", ("fixed",)),
        ("c.md", "a.md", ("fixed",)),
    ]


def test_a_sample_shows_no_ranker_and_its_key_says_which_wrote_what(
    make_vault: VaultFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(SMALL_VAULT)
    review = tmp_path / "review"
    monkeypatch.setattr(sample, "load_ranker", lambda spec: ("fixed", _Fixed))
    args = ["base", str(vault), "--review", str(review), "--per-vault", "3", "--ranker", "x:y"]
    sample.main(args)
    rows = read_jsonl(sample_file("base", review))
    assert all(set(row) == {"id", "vault", "note", "listed", "reason"} for row in rows)
    assert len({row["id"] for row in rows}) == len(rows) and rows == sorted(rows, key=lambda r: (r["vault"], r["id"]))
    key = json.loads(key_file("base", review).read_text())
    assert set(key["entries"]) == {row["id"] for row in rows} and set(key["rankers"]) == {"vaultlink", "fixed"}
    drawn = [ranker for e in key["entries"].values() for ranker in e["drawn_for"]]
    assert drawn.count("vaultlink") == 3 and drawn.count("fixed") == 3
    fixed = [row for row in rows if "fixed" in key["entries"][row["id"]]["written_by"]]
    assert fixed and all(row["reason"] == "fixed" for row in fixed)
    with pytest.raises(SystemExit):  # a sample labels may refer to is never overwritten by mistake
        sample.main(args)
    sample.main([*args, "--force"])
    assert read_jsonl(sample_file("base", review)) == rows  # seeded: the same draw again


def test_the_tally_joins_labels_with_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_jsonl(
        sample_file("t", tmp_path),
        [
            {"id": i, "vault": v, "note": "a.md", "listed": "b.md", "reason": "r"}
            for i, v in (("1", "v"), ("2", "v"), ("3", "w"))
        ],
    )
    entries = {"1": {"drawn_for": ["old", "new"]}, "2": {"drawn_for": ["old"]}, "3": {"drawn_for": ["new"]}}
    key_file("t", tmp_path).parent.mkdir()
    key_file("t", tmp_path).write_text(json.dumps({"commit": "abc", "entries": entries}))
    write_jsonl(
        label_file("t", tmp_path), [{"id": "1", "label": "good", "why": "x"}, {"id": "2", "label": "wrong", "why": "y"}]
    )
    sample_rows, key, labels = tally.load("t", tmp_path)
    result = tally.tallies(sample_rows, key, labels)
    assert result["old", "v"].counts == {"good": 1, "wrong": 1} and result["old", tally.ALL].share("wrong") == 0.5
    assert result["new", "v"].counts == {"good": 1} and ("new", "w") not in result  # 3 is not labelled yet
    tally.main(["t", "--review", str(tmp_path)])
    assert "1 not yet" in capsys.readouterr().out
    write_jsonl(label_file("t", tmp_path), [{"id": "9", "label": "good", "why": "x"}])
    with pytest.raises(SystemExit):
        tally.load("t", tmp_path)


def test_wilson_interval_holds_the_share() -> None:
    low, high = tally.wilson(6, 60)
    assert low < 0.1 < high and low >= 0 and high <= 1
    assert tally.wilson(0, 0) == (0.0, 1.0)


@pytest.mark.slow  # benchmark-like: against scikit-learn, whose import alone takes seconds
def test_cjk_runs_become_bigrams_and_other_text_reads_as_scikit_learn_reads_it() -> None:
    sklearn = pytest.importorskip("sklearn.feature_extraction.text")
    english = "The quick brown fox's 2 jumps over the lazy dog, again and again."
    assert cjk_bigram_tokens(english) == sklearn.TfidfVectorizer(stop_words="english").build_analyzer()(english)
    assert cjk_bigram_tokens("Java并发编程 is 好") == ["java", "并发", "发编", "编程", "好"]


def test_an_entry_naming_one_of_two_notes_that_differ_in_case_is_the_one_written(make_vault: VaultFactory) -> None:
    root = make_vault({"Meet.md": "x\n", "meet.md": "y\n", "a.md": "z\n"})
    scan = scan_vault(root)
    index = NoteIndex(scan.notes, scan.config)
    assert [written.parse_entry(f"- [[{name}]] — r", "a.md", index) for name in ("Meet", "meet", "MEET")] == [
        written.Entry("a.md", "Meet.md", "[[Meet]]", ("r",)),
        written.Entry("a.md", "meet.md", "[[meet]]", ("r",)),
        written.Entry("a.md", "", "[[MEET]]", ("r",)),
    ]
