"""Ranking v2 (``vaultlink/core/rank/``): the invariants every Related list relies on.

A list never holds its own note, an excluded note or a stub; it is sorted best first with ties
by path, rounded, bounded by ``top`` and ``min_score``. ``related`` and ``related_all`` agree bit
for bit however rows are chunked; scores are symmetric; and an index is the same whatever order
its notes came in or its vocabulary grew in (the watcher keeps one vocabulary across rebuilds).
Then each part of the score, as the module docstring states it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pytest
from conftest import FILLER, SMALL_VAULT, VaultFactory, examples, prose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink import app
from vaultlink.core import rank
from vaultlink.core.config import Config
from vaultlink.core.note import Note
from vaultlink.core.parse import parse_note
from vaultlink.core.rank import RankIndex, Suggestion, Vocabulary, matrices, note_row
from vaultlink.core.rank import index as rank_index
from vaultlink.core.resolve import ResolvedLink, resolve_all

CONFIG = Config()
STUB_TEXT = "---\nvaultlink: stub\n---\n"
TOLERANCE = 1e-6 + 1e-12
"""Two rounded scores of one pair, each from its own row, may differ in their last (6th) decimal."""

Lists = dict[str, list[Suggestion]]


def note(path: str, text: str) -> Note:
    parsed = parse_note(path, text.encode("utf-8"), CONFIG)
    assert parsed.note is not None, parsed.diagnostics
    return parsed.note


def notes_of(files: Mapping[str, str]) -> list[Note]:
    return [note(path, text) for path, text in files.items()]


def links_of(notes: Sequence[Note]) -> list[ResolvedLink]:
    return resolve_all(notes, CONFIG)


def index_of(notes: Sequence[Note], config: Config = CONFIG, *, vocabulary: Vocabulary | None = None) -> RankIndex:
    return RankIndex(notes, links_of(notes), config, vocabulary=vocabulary)


def reversed_vocabulary(notes: Iterable[Note], *extra: str) -> Vocabulary:
    """A vocabulary holding every key of ``notes`` (and ``extra``), ids given in reverse key order:
    as unlike a fresh index's vocabulary as can be."""
    scratch = Vocabulary()
    for n in notes:
        note_row(n, scratch)
    vocabulary = Vocabulary()
    for key in sorted({*scratch.ids, *extra}, reverse=True):
        vocabulary.id_of(key)
    for singular in sorted(scratch.singulars, reverse=True):
        vocabulary.singulars[singular] = len(vocabulary.singulars)
    return vocabulary


def paths_in(lists: Mapping[str, Sequence[Suggestion]]) -> set[str]:
    return {s.path for listed in lists.values() for s in listed}


def assert_well_formed(
    path: str,
    listed: Sequence[Suggestion],
    *,
    top: int,
    min_score: float,
    exclude: Iterable[str] = (),
) -> None:
    """One Related list keeps every promise ``RankIndex.related`` makes."""
    excluded = set(exclude)
    assert len(listed) <= top
    for s in listed:
        assert s.path != path, f"{path} lists itself"
        assert s.path not in excluded, f"{path} lists excluded {s.path}"
        assert s.score > 0 and s.score >= min_score
        assert s.score == round(s.score, rank.ROUND), f"{s.score} is not rounded to {rank.ROUND} decimals"
        assert len(s.reasons) <= rank.MAX_REASONS
    order = [(-s.score, s.path) for s in listed]
    assert order == sorted(order), f"{path}: not best first, ties by path: {listed}"
    assert len({s.path for s in listed}) == len(listed)


def per_note(
    index: RankIndex, *, top: int, min_score: float = 0.0, exclude: Mapping[str, Iterable[str]] | None = None
) -> Lists:
    exclude = exclude or {}
    return {p: index.related(p, top=top, min_score=min_score, exclude=set(exclude.get(p, ()))) for p in index.paths}


# A vault with text overlaps of several strengths, a mention, shared links and a missing target.
VAULT: dict[str, str] = {
    **SMALL_VAULT,
    "Sourdough Starter.md": "# Sourdough Starter\n\nFed daily; it lives in a jar on the counter.\n",
    "bread/Rye Loaf.md": "A rye loaf from the sourdough starter. " + prose("rye flour", "proofing basket"),
    "bread/Notes.md": "Links: [[Rye Loaf]], [[Alpha]] and [[Nowhere]].\n" + prose("bulk fermentation"),
    "sky/Stars.md": "See [[Nowhere|the void]] and [[Delta]]. " + prose("dark sky", times=1),
    "Stub.md": STUB_TEXT,
}


@pytest.fixture(scope="module")
def vault_notes() -> list[Note]:
    return notes_of(VAULT)


@pytest.fixture(scope="module")
def vault_index(vault_notes: list[Note]) -> RankIndex:
    return index_of(vault_notes)


# --- the promises of one list -----------------------------------------------------------------


def test_the_test_vault_relates_notes_at_all(vault_index: RankIndex) -> None:
    """The other tests are only meaningful if the vault's lists are not empty."""
    lists = vault_index.related_all(top=50)
    assert sum(len(v) for v in lists.values()) >= 10
    assert {s.path for s in lists["Alpha.md"]} >= {"Gamma.md", "bread/Rye Loaf.md"}


def test_no_list_holds_its_own_note_and_every_list_is_well_formed(vault_index: RankIndex) -> None:
    for top in (1, 3, 50):
        for path, listed in vault_index.related_all(top=top).items():
            assert_well_formed(path, listed, top=top, min_score=0.0)


def test_top_cuts_the_full_list(vault_index: RankIndex) -> None:
    full = vault_index.related_all(top=1000)
    for top in (0, 1, 2, 3):
        cut = vault_index.related_all(top=top)
        assert cut == {p: listed[:top] for p, listed in full.items()}
    assert max(len(v) for v in full.values()) > 3


def test_min_score_filters_the_full_list(vault_index: RankIndex) -> None:
    full = vault_index.related_all(top=1000)
    scores = sorted({s.score for listed in full.values() for s in listed})
    assert len(scores) >= 3
    for floor in (scores[0], scores[len(scores) // 2], scores[-1], scores[-1] + 1.0):
        filtered = vault_index.related_all(top=1000, min_score=floor)
        assert filtered == {p: [s for s in listed if s.score >= floor] for p, listed in full.items()}
    middle = scores[len(scores) // 2]
    assert any(s.score < middle for listed in full.values() for s in listed)  # the floor did filter


def test_excluded_paths_never_appear(vault_index: RankIndex) -> None:
    full = vault_index.related_all(top=1000)
    exclude = {p: {s.path for s in listed[::2]} | {"not/a/note.md"} for p, listed in full.items()}
    assert any(exclude.values())
    lists = vault_index.related_all(top=1000, exclude=exclude)
    for path, listed in lists.items():
        assert_well_formed(path, listed, top=1000, min_score=0.0, exclude=exclude[path])
        assert listed == [s for s in full[path] if s.path not in exclude[path]]
        assert vault_index.related(path, top=1000, exclude=exclude[path]) == listed


def test_ties_are_broken_by_path() -> None:
    """Three notes with the very same text: each scores the other two the same."""
    texts = {f"{name}.md": prose("cedar shingle", "tar paper") for name in ("c", "a", "b")}
    index = index_of(notes_of(texts | {f"filler {i}.md": text for i, text in enumerate(FILLER)}))
    lists = index.related_all(top=5)
    assert [s.path for s in lists["c.md"]] == ["a.md", "b.md"]
    assert [s.path for s in lists["a.md"]] == ["b.md", "c.md"]
    assert lists["c.md"][0].score == lists["c.md"][1].score > 0


def test_stubs_are_never_ranked_nor_suggested(vault_notes: list[Note], vault_index: RankIndex) -> None:
    stub = next(n for n in vault_notes if n.path == "Stub.md")
    assert stub.is_stub
    # A stub whose name every note of the vault states: it would be mentioned everywhere.
    named = note("Sourdough Starter Jar.md", STUB_TEXT)
    assert named.is_stub and named.words
    index = index_of([*vault_notes, named])
    assert "Stub.md" not in index.paths and named.path not in index.paths
    lists = index.related_all(top=1000)
    assert "Stub.md" not in lists and named.path not in lists
    assert {"Stub.md", named.path}.isdisjoint(paths_in(lists))
    assert index.related("Stub.md") == [] and index.related(named.path) == []
    assert index.related_all(only=["Stub.md", "Alpha.md"]) == {"Stub.md": [], "Alpha.md": lists["Alpha.md"][:5]}
    assert index.scores_with(named.path) == {} and index.score(named.path, "Sourdough Starter.md") == 0.0
    assert lists == vault_index.related_all(top=1000)  # the stubs changed nothing


def test_unknown_paths_get_empty_lists(vault_index: RankIndex) -> None:
    assert vault_index.related("nope.md") == []
    assert vault_index.related_all(only=["nope.md"]) == {"nope.md": []}
    assert vault_index.related_all(only=[]) == {}
    assert vault_index.scores_with("nope.md") == {}
    assert vault_index.score("nope.md", "Alpha.md") == 0.0 == vault_index.score("Alpha.md", "nope.md")


# --- related and related_all agree --------------------------------------------------------------


@pytest.mark.parametrize("chunk_products", [rank_index.CHUNK_PRODUCTS, 200, 1])
def test_related_all_equals_related_of_each_note_bit_for_bit(
    vault_index: RankIndex, monkeypatch: pytest.MonkeyPatch, chunk_products: int
) -> None:
    monkeypatch.setattr(rank_index, "CHUNK_PRODUCTS", chunk_products)
    rows = np.arange(len(vault_index.paths), dtype=np.int64)
    chunks = list(vault_index._chunks(rows))
    assert np.array_equal(np.concatenate(chunks), rows)
    if chunk_products == 1:
        assert len(chunks) == len(rows)  # every row is a chunk of its own
    exclude = {p: {vault_index.paths[(i + 3) % len(rows)]} for i, p in enumerate(vault_index.paths)}
    for top, min_score in ((5, 0.0), (1000, 0.0), (3, 0.5)):
        together = vault_index.related_all(top=top, min_score=min_score, exclude=exclude)
        alone = per_note(vault_index, top=top, min_score=min_score, exclude=exclude)
        assert together == alone  # Suggestion equality: same paths, same float scores, same reasons
        assert list(together) == vault_index.paths


def test_related_all_only_equals_related(vault_index: RankIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rank_index, "CHUNK_PRODUCTS", 1)
    only = ["sky/Stars.md", "Alpha.md", "Delta.md"]
    lists = vault_index.related_all(top=4, only=only)
    assert set(lists) == set(only)
    assert lists == {p: vault_index.related(p, top=4) for p in only}


def test_related_without_reasons_has_the_same_paths_and_scores(vault_index: RankIndex) -> None:
    for path in vault_index.paths:
        with_reasons = vault_index.related(path, top=1000, listing=True)
        bare = vault_index.related(path, top=1000, reasons=False, listing=True)
        assert [(s.path, s.score) for s in bare] == [(s.path, s.score) for s in with_reasons]
        assert all(s.reasons == () for s in bare)
        assert all(s.reasons for s in with_reasons)  # every listed suggestion says why


# --- scores ----------------------------------------------------------------------------------------


def test_score_is_symmetric_and_agrees_with_scores_with_and_related(vault_index: RankIndex) -> None:
    positive = 0
    for a in vault_index.paths:
        row = vault_index.scores_with(a)
        assert a not in row
        listed = {s.path: s.score for s in vault_index.related(a, top=1000)}
        assert listed == row  # related (no floor, no exclusion) lists exactly the positive scores
        for b in vault_index.paths:
            if a == b:
                continue
            ab, ba = vault_index.score(a, b), vault_index.score(b, a)
            assert abs(ab - ba) <= TOLERANCE, (a, b, ab, ba)
            assert row.get(b, 0.0) == ab
            positive += ab > 0
    assert positive >= 20


# --- the vocabulary's growth and the notes' order change nothing ---------------------------------


def test_an_index_is_the_same_whatever_order_the_vocabulary_grew_in(vault_notes: list[Note]) -> None:
    fresh = index_of(vault_notes)
    others = notes_of({f"other {i}.md": text + prose("sourdough loaf") for i, text in enumerate(FILLER)})
    vocabulary = reversed_vocabulary([*others, *vault_notes])  # with words of notes not in this index
    reversed_notes = vault_notes[::-1]
    rows = {n.path: note_row(n, vocabulary) for n in reversed_notes[::2]}
    grown = RankIndex(reversed_notes, links_of(reversed_notes), CONFIG, vocabulary=vocabulary, rows=rows)
    assert grown.vocabulary is vocabulary and len(vocabulary.ids) > len(fresh.vocabulary.ids)
    assert vocabulary.ids != fresh.vocabulary.ids
    assert grown.paths == fresh.paths
    assert grown.related_all(top=1000) == fresh.related_all(top=1000)
    for path in fresh.paths:
        assert grown.scores_with(path) == fresh.scores_with(path)


def test_reasons_of_equal_weight_keep_their_order_whatever_the_vocabulary() -> None:
    """Two shared words of equal weight (no phrase): their order as reasons is the words' order,
    not the order in which a long-lived vocabulary happened to meet them."""
    texts = {"a.md": "Zebra. Quokka.\n", "b.md": "Quokka. Zebra.\n"} | {f"f{i}.md": t for i, t in enumerate(FILLER)}
    notes = notes_of(texts)
    fresh = index_of(notes).related("a.md")
    assert [s.path for s in fresh] == ["b.md"] and fresh[0].reasons == ("quokka", "zebra")
    grown = index_of(notes, vocabulary=reversed_vocabulary(notes)).related("a.md")
    assert grown == fresh


def test_a_watcher_style_rebuild_equals_a_fresh_index(vault_notes: list[Note]) -> None:
    """As ``live.py`` does: one vocabulary kept across rebuilds, unchanged notes keep their rows,
    a note is edited and another deleted in between."""
    vocabulary = Vocabulary()
    first = RankIndex(vault_notes, links_of(vault_notes), CONFIG, vocabulary=vocabulary)
    rows = dict(zip(first.paths, first.rows, strict=True))
    edited = note("Delta.md", "# Delta\n\nNow about [[Eta]]. " + prose("index funds", "tar paper"))
    after = [edited if n.path == "Delta.md" else n for n in vault_notes if n.path != "Gamma.md"]
    kept = {p: r for p, r in rows.items() if p not in ("Delta.md", "Gamma.md")}
    rebuilt = RankIndex(after, links_of(after), CONFIG, vocabulary=vocabulary, rows=kept)
    fresh = index_of(after)
    assert rebuilt.related_all(top=1000) == fresh.related_all(top=1000)
    assert "Delta.md" in {s.path for s in fresh.related("sub/Zeta.md", top=1000)}  # the edit mattered


def test_an_index_that_lets_its_rows_go_ranks_the_same(vault_notes: list[Note]) -> None:
    """``keep_rows=False`` (a one-shot sync) frees the rows once the matrices are built: ranking
    never reads them."""
    lean = RankIndex(vault_notes, links_of(vault_notes), CONFIG, keep_rows=False)
    assert lean.rows == []
    full = index_of(vault_notes)
    assert lean.related_all(top=1000) == full.related_all(top=1000)
    assert lean.scores_with("Delta.md") == full.scores_with("Delta.md")


def test_the_order_of_the_notes_changes_nothing(vault_notes: list[Note]) -> None:
    forward = index_of(vault_notes).related_all(top=1000)
    backward = index_of(vault_notes[::-1]).related_all(top=1000)
    assert forward == backward


# --- each part of the score --------------------------------------------------------------------


def test_a_note_stating_another_notes_name_mentions_it_either_way() -> None:
    notes = notes_of(
        {
            "Sourdough Starter.md": "# Sourdough Starter\n\nFed daily, kept in a jar.\n",
            "baking.md": "The sourdough starter bubbled overnight. Bread, at last.\n",
            "half.md": "Only the starter here, and a jar.\n",
            **{f"filler {i}.md": text for i, text in enumerate(FILLER)},
        }
    )
    index = index_of(notes)
    here = index.related("baking.md")
    there = index.related("Sourdough Starter.md")
    assert here[0].path == "Sourdough Starter.md" and here[0].reasons[0] == rank.NAMED_HERE
    assert rank.NAMES_THIS_NOTE not in here[0].reasons
    mentioned_by = {s.path: s for s in there}
    assert mentioned_by["baking.md"].reasons[0] == rank.NAMES_THIS_NOTE
    assert rank.NAMED_HERE not in mentioned_by["baking.md"].reasons
    # Stating only part of the name is no mention.
    half = {s.path: s for s in index.related("half.md")}
    assert all(rank.NAMED_HERE not in s.reasons and rank.NAMES_THIS_NOTE not in s.reasons for s in half.values())
    assert mentioned_by["baking.md"].score > mentioned_by.get("half.md", Suggestion("", 0.0, ())).score
    assert index.score("baking.md", "Sourdough Starter.md") >= rank.MENTION_WEIGHT  # the mention part counts


def test_a_mention_alone_relates_two_notes() -> None:
    """With ``min_df`` 3 the two words both notes state relate nothing as text; the mention still
    does, weighted ``2 / (log(2 + names the note mentions) · log(2 + notes mentioning the other))``."""
    texts = {"Sourdough Starter.md": "Fed daily.\n", "baking.md": "The sourdough starter bubbled. Bread.\n"}
    index = index_of(notes_of(texts | {f"f{i}.md": t for i, t in enumerate(FILLER)}), Config(min_df=3))
    expected = round(rank.MENTION_WEIGHT * 2 / (math.log(3) * math.log(3)), rank.ROUND)
    assert index.related("baking.md") == [Suggestion("Sourdough Starter.md", expected, (rank.NAMED_HERE,))]
    assert index.related("Sourdough Starter.md") == [Suggestion("baking.md", expected, (rank.NAMES_THIS_NOTE,))]


def test_a_name_of_several_words_is_mentioned_only_where_they_follow_each_other() -> None:
    """Stopwords, numbers and punctuation between them don't count; other words and the order do."""
    notes = notes_of(
        {
            "Sourdough Starter.md": "# Sourdough Starter\n\nFed daily.\n",
            "Cradles of Civilization.md": "# Cradles of Civilization\n\nRivers.\n",
            "together.md": "My sourdough, starter of it all. The cradles of civilization.\n",
            "apart.md": "The starter for sourdough. Cradles by wide rivers, and civilization.\n",
            **{f"filler {i}.md": text for i, text in enumerate(FILLER)},
        }
    )
    index = index_of(notes)

    def named_in(a: str) -> set[str]:
        return {s.path for s in index.related(a, top=50) if rank.NAMED_HERE in s.reasons}

    assert named_in("together.md") == {"Sourdough Starter.md", "Cradles of Civilization.md"}
    assert named_in("apart.md") == set()


def test_a_mention_is_found_on_words_as_written_plurals_folded_not_on_stems() -> None:
    """The stemmer singulars "colourfulness" into "colour": on stems, every note saying "colour"
    would mention ``Colourfulness``. Words as written (plurals folded) tell them apart, and
    "metrics" still mentions ``Metric``."""
    notes = notes_of(
        {
            "Colourfulness.md": "# Colourfulness\n\nHow vivid a hue looks.\n",
            "Metric.md": "# Metric\n\nA distance function.\n",
            "paint.md": "Mixing colour on a palette.\n",
            "chroma.md": "Chroma is colourfulness relative to white.\n",
            "spaces.md": "Several metrics on one set.\n",
            **{f"filler {i}.md": text for i, text in enumerate(FILLER)},
        }
    )
    index = index_of(notes)

    def mentions(a: str, b: str) -> bool:
        return bool(index.matrices.mentions[index.row_of[a], index.row_of[b]] != 0)

    assert mentions("chroma.md", "Colourfulness.md")
    assert not mentions("paint.md", "Colourfulness.md")
    assert mentions("spaces.md", "Metric.md")


def test_two_notes_mentioning_each_other_show_both_reasons() -> None:
    notes = notes_of({"Rye Flour.md": "Goes into the sourdough starter.\n", "Sourdough Starter.md": "Rye flour.\n"})
    listed = index_of(notes).related("Rye Flour.md")
    assert [s.path for s in listed] == ["Sourdough Starter.md"]
    assert listed[0].reasons[:2] == (rank.NAMED_HERE, rank.NAMES_THIS_NOTE)


def test_notes_sharing_only_link_targets_are_related_through_shared_links() -> None:
    notes = notes_of(
        {
            "x.md": "[[Hub|alpha]] [[Den|delta]]\n",
            "y.md": "[Beta](Hub.md) [[Den|eps]]\n",
            "lone.md": "[[Elsewhere|gamma]]\n",
            **{f"filler {i}.md": text for i, text in enumerate(FILLER)},
        }
    )
    assert not set(notes[0].words) & set(notes[1].words)  # nothing in common but the targets
    index = index_of(notes)
    lists = index.related_all(top=5, listing=True)
    adamic_adar = round(2 * rank.LINK_WEIGHT / math.log(2), rank.ROUND)  # two shared neighbours, of degree 2
    # Hub and Den are missing notes: named as their links are resolved (case folded).
    assert lists["x.md"] == [Suggestion("y.md", adamic_adar, (f"{rank.BOTH_LINK} [[den]] and [[hub]]",))]
    assert lists["y.md"] == [Suggestion("x.md", adamic_adar, (f"{rank.BOTH_LINK} [[den]] and [[hub]]",))]
    assert lists["lone.md"] == []  # a target nobody else links to relates nothing


def test_a_shared_link_counts_less_the_more_notes_it_links_with() -> None:
    pair = index_of(notes_of({"a.md": "[[Hub|alpha]]\n", "b.md": "[[Hub|beta]]\n"}))
    crowd = index_of(notes_of({"a.md": "[[Hub|alpha]]\n", "b.md": "[[Hub|beta]]\n", "c.md": "[[Hub|gamma]]\n"}))
    two, three = pair.score("a.md", "b.md"), crowd.score("a.md", "b.md")
    assert 0 < three < two
    assert three == round(rank.LINK_WEIGHT / math.log(3), rank.ROUND)


def test_shared_phrases_come_first_labelled_as_the_listing_note_writes_them() -> None:
    """In ``a``'s list, ``b`` is explained in ``a``'s words, and the other way round; the phrase
    comes before single words that weigh more, and its words are not repeated."""
    notes = notes_of(
        {
            "a.md": "Ilya Sutskever on zebra zebra zebra quokka. Ilya Sutskever again.\n",
            "b.md": "ilya sutskever and a zebra, quokka quokka.\n",
            "c.md": "Knitting socks.\n",
        }
    )
    index = index_of(notes)
    (in_a,) = index.related("a.md")
    (in_b,) = index.related("b.md")
    assert in_a.path == "b.md" and in_b.path == "a.md"
    assert in_a.reasons[0] == "Ilya Sutskever"
    assert in_b.reasons[0] == "ilya sutskever"
    for reasons in (in_a.reasons, in_b.reasons):
        assert set(reasons[1:]) == {"zebra", "quokka"}
        assert "ilya" not in reasons and "sutskever" not in reasons


def test_a_mention_comes_before_a_shared_phrase() -> None:
    notes = notes_of(
        {
            "Quokka.md": "Rottnest island quokka. Rottnest island.\n",
            "trip.md": "A quokka on Rottnest Island.\n",
            "marsupials.md": "[[Quokka]]\n",  # the vault uses the one-word name as a name
        }
    )
    listed = index_of(notes).related("trip.md")
    assert listed[0].reasons[:2] == (rank.NAMED_HERE, "Rottnest Island")


def test_a_word_carried_by_too_many_notes_relates_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A count, not a share of the vault: with the cap at 60 notes, a word in 61 of them is
    dropped, a word in 60 still relates, in a vault of 1,200 notes."""
    n, limit = 1200, 60
    monkeypatch.setattr(matrices, "WORD_MAX_DF", limit)
    texts = {f"n{i:04}.md": "lantern\n" if i <= limit else "harbor\n" if i <= 2 * limit else "" for i in range(n)}
    index = RankIndex(notes_of(texts), [], CONFIG)
    lantern = [p for p, t in texts.items() if t == "lantern\n"]
    harbor = [p for p, t in texts.items() if t == "harbor\n"]
    assert (len(lantern), len(harbor)) == (limit + 1, limit)
    assert index.related_all(top=5, only=lantern[:5]) == {p: [] for p in lantern[:5]}
    assert index.scores_with(lantern[0]) == {}
    listed = index.related(harbor[0], top=3)
    assert [s.path for s in listed] == harbor[1:4]


def test_the_word_cap_is_the_same_in_a_small_vault() -> None:
    """Five of nine notes sharing their words still relate (issue 15: a 25% or 5% ratio of nine
    notes dropped every word the five shared)."""
    texts = {f"p{i}.md": f"Podcast episode scaling research transcript {i}.\n" for i in range(5)}
    texts |= {f"other{i}.md": f"{word} recipe\n" for i, word in enumerate(["Soup", "Bread", "Disk", "Salad"])}
    index = index_of(notes_of(texts))
    assert [s.path for s in index.related("p0.md", top=10, listing=True)] == ["p1.md", "p2.md", "p3.md", "p4.md"]


def test_a_word_carried_by_fewer_than_min_df_notes_relates_nothing() -> None:
    texts = {"a.md": "zebra\n", "b.md": "zebra\n", "c.md": "quokka\n", "d.md": "quokka\n", "e.md": "quokka\n"}
    notes = notes_of(texts | {f"f{i}.md": t for i, t in enumerate(FILLER)})
    assert index_of(notes).related("a.md") != []
    index = index_of(notes, Config(min_df=3))
    assert index.related("a.md") == [] and index.related("b.md") == []
    assert [s.path for s in index.related("c.md")] == ["d.md", "e.md"]


def test_a_word_every_note_of_a_small_vault_carries_lists_nothing() -> None:
    """One shared word is no evidence to list a note (``pairs``), in any vault size."""
    index = index_of(notes_of({f"n{i}.md": "lantern\n" for i in range(6)}))
    assert index.related_all(top=5, listing=True) == {f"n{i}.md": [] for i in range(6)}


def test_a_phrase_carried_by_too_many_notes_is_no_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """``x`` and ``y`` are related only through their shared link; the phrase every note states
    took no part in their score, so it does not explain it (regression: 23a2a3e showed it)."""
    monkeypatch.setattr(matrices, "WORD_MAX_DF", 5)
    texts = {f"n{i}.md": "Lantern glow.\n" for i in range(4)}
    texts |= {"x.md": "Lantern glow. [[Hub|alpha]] [[Den]]\n", "y.md": "Lantern glow. [[Hub|beta]] [[Den]]\n"}
    index = index_of(notes_of(texts))
    (listed,) = index.related("x.md", listing=True)
    assert listed.path == "y.md" and listed.reasons == (f"{rank.BOTH_LINK} [[den]] and [[hub]]",)


# --- small and degenerate indexes -------------------------------------------------------------


def test_an_empty_index_ranks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rank_index, "CHUNK_PRODUCTS", 1)
    index = RankIndex([], [], CONFIG)
    assert index.paths == []
    assert index.related("a.md") == []
    assert index.related_all() == {}
    assert index.related_all(only=["a.md"]) == {"a.md": []}
    assert index.scores_with("a.md") == {} and index.score("a.md", "b.md") == 0.0


def test_an_index_of_stubs_only_ranks_nothing() -> None:
    index = index_of(notes_of({"Stub One.md": STUB_TEXT, "Stub Two.md": STUB_TEXT}))
    assert index.paths == [] and index.related_all() == {}


def test_one_note_has_an_empty_list() -> None:
    index = index_of(notes_of({"Only One.md": "# Only One\n\nSee [[Only One]] and [[Elsewhere]].\n"}))
    assert index.related_all() == {"Only One.md": []}
    assert index.related("Only One.md") == [] and index.scores_with("Only One.md") == {}


def test_notes_without_words_have_empty_lists() -> None:
    notes = notes_of({"1.md": "the of and 42\n", "2.md": "", "3.md": "it is what it is, 7\n"})
    assert all(n.words == () for n in notes)
    index = index_of(notes)
    assert index.related_all() == {"1.md": [], "2.md": [], "3.md": []}
    assert index.score("1.md", "2.md") == 0.0


def test_notes_without_words_beside_related_notes_stay_unrelated() -> None:
    notes = notes_of({"1.md": "", "a.md": prose("tar paper"), "b.md": prose("tar paper")})
    lists = index_of(notes).related_all()
    assert lists["1.md"] == [] and "1.md" not in paths_in(lists)
    assert [s.path for s in lists["a.md"]] == ["b.md"]


# --- a property over small generated vaults -----------------------------------------------------

GeneratedVault = tuple[dict[str, str], dict[str, set[str]], int, float]
"""Files by path, exclusions by path, ``top`` and ``min_score``."""
WORDS = ("apple", "river", "stone", "cloud", "ember", "falcon", "garden", "harbor")


@st.composite
def small_vaults(draw: st.DrawFn) -> GeneratedVault:
    """A few notes named after words of a small vocabulary, of random words (phrases too), with
    random links among them (and to a missing note), some stubs; and random exclusions."""
    names = draw(
        st.lists(
            st.lists(st.sampled_from(WORDS), min_size=1, max_size=2, unique=True).map(" ".join),
            min_size=1,
            max_size=7,
            unique=True,
        )
    )
    files: dict[str, str] = {}
    for name in names:
        if draw(st.integers(0, 9)) == 0:
            files[f"{name}.md"] = STUB_TEXT
            continue
        words = draw(st.lists(st.sampled_from(WORDS), max_size=12))
        breaks = draw(st.lists(st.sampled_from([" ", " ", ". ", ", "]), min_size=len(words), max_size=len(words)))
        text = "".join(w + b for w, b in zip(words, breaks, strict=True))
        targets = draw(st.lists(st.sampled_from([*names, "ghost"]), max_size=3, unique=True))
        text += " ".join(f"[[{t}|x{i}]]" for i, t in enumerate(targets))
        files[f"{name}.md"] = text + "\n"
    paths = sorted(files)
    exclude = {p: set(draw(st.lists(st.sampled_from(paths), max_size=2))) for p in paths}
    top = draw(st.integers(1, 6))
    min_score = draw(st.sampled_from([0.0, 0.0, 0.3, 1.0]))
    return files, exclude, top, min_score


@pytest.mark.slow
@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_vaults())
def test_generated_vaults_keep_every_ranking_promise(vault: GeneratedVault) -> None:
    files, exclude, top, min_score = vault
    notes = notes_of(files)
    stubs = {n.path for n in notes if n.is_stub}
    index = index_of(notes)
    assert set(index.paths) == set(files) - stubs

    lists = index.related_all(top=top, min_score=min_score, exclude=exclude)
    assert set(lists) == set(index.paths)
    assert lists == per_note(index, top=top, min_score=min_score, exclude=exclude)
    assert stubs.isdisjoint(paths_in(lists))
    for path, listed in lists.items():
        assert_well_formed(path, listed, top=top, min_score=min_score, exclude=exclude[path])
        full = index.related(path, top=1000)
        assert listed == [s for s in full if s.score >= min_score and s.path not in exclude[path]][:top]
        assert {s.path: s.score for s in full} == index.scores_with(path)
        for other in index.paths:
            assert abs(index.score(path, other) - index.score(other, path)) <= TOLERANCE

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rank_index, "CHUNK_PRODUCTS", 1)
        assert index.related_all(top=top, min_score=min_score, exclude=exclude) == lists

    backward = notes[::-1]
    assert index_of(backward).related_all(top=top, min_score=min_score, exclude=exclude) == lists

    vocabulary = reversed_vocabulary(backward, "zzz unrelated phrase", "aardvark")
    rows = {n.path: note_row(n, vocabulary) for n in notes[1::2] if not n.is_stub}
    grown = RankIndex(backward, links_of(backward), CONFIG, vocabulary=vocabulary, rows=rows)
    assert grown.related_all(top=top, min_score=min_score, exclude=exclude) == lists


# --- end to end: app.rank_all over a vault on disk ------------------------------------------------


def test_rank_all_never_lists_notes_linked_either_way(make_vault: VaultFactory) -> None:
    files = {
        "a.md": "# A\n\nSee [[b]]. " + prose("sourdough starter", "rye flour"),
        "b.md": "# B\n\n" + prose("sourdough starter", "rye flour"),
        "c.md": "# C\n\n" + prose("sourdough starter", "rye flour"),
        "sub/d.md": "# D\n\nBack to [a](../a.md). " + prose("sourdough starter", "rye flour"),
        "e.md": "# E\n\n" + prose("index funds", "expense ratio"),
        "f.md": "# F\n\n" + prose("index funds", "expense ratio") + "[[Ghost]]\n",
        "Ghost.md": STUB_TEXT,
        **{f"filler {i}.md": text + "\n" for i, text in enumerate(FILLER)},
    }
    root = make_vault(files)
    scan = app.scan_vault(root, app.NO_CACHE)
    lists = app.rank_all(scan, 10, 0.0)
    assert set(lists) == set(files) - {"Ghost.md"}
    linked = {("a.md", "b.md"), ("sub/d.md", "a.md")}
    for x, y in linked:
        assert y not in {s.path for s in lists[x]}
        assert x not in {s.path for s in lists[y]}
    assert "Ghost.md" not in paths_in(lists)
    assert {s.path for s in lists["a.md"]} >= {"c.md"}
    assert {s.path for s in lists["b.md"]} >= {"c.md", "sub/d.md"}
    assert [s.path for s in lists["e.md"]] == ["f.md"]
    # Without the exclusion the linked notes would have been listed: the test shows the exclusion.
    unfiltered = RankIndex(scan.notes, scan.links, scan.config)
    for x, y in linked:
        assert y in {s.path for s in unfiltered.related(x, top=10)}
    only = app.rank_all(scan, 10, 0.0, only=["a.md", "Ghost.md"])
    assert only == {"a.md": lists["a.md"], "Ghost.md": []}
