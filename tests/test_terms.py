"""Concept terms: phrases, entities, tags and names, and how a note's terms are chosen."""

from __future__ import annotations

from random import Random

from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultlink.core import terms
from vaultlink.core.config import Config
from vaultlink.core.note import Term, TermKind
from vaultlink.core.parse import parse_text
from vaultlink.core.rank import unpacked_pairs
from vaultlink.core.terms import (
    name_terms,
    phrase_candidates,
    phrase_key,
    select_terms,
    tag_key,
    tag_terms,
)

RESEARCH_TASTE = phrase_key(["research", "taste"])


def by_key(terms: list[Term] | tuple[Term, ...]) -> dict[str, Term]:
    return {t.key: t for t in terms}


# --- Keys --------------------------------------------------------------------------


def test_phrase_key_is_casefolded_and_stemmed() -> None:
    assert phrase_key(["Research", "Tastes"]) == RESEARCH_TASTE
    assert phrase_key(["value", "functions"]) == phrase_key(["Value", "function"])
    assert phrase_key(["research", "taste"]) != phrase_key(["research", "paper"])


def test_tag_key_meets_the_phrase_key_of_the_same_words() -> None:
    assert tag_key("Research-Taste") == RESEARCH_TASTE
    assert tag_key("#research_taste") == RESEARCH_TASTE
    assert tag_key("ml/Research-Taste") == "ml/" + RESEARCH_TASTE


# --- phrase_candidates -------------------------------------------------------------


def test_surface_forms_of_one_phrase_share_one_key() -> None:
    terms = by_key(phrase_candidates(["Research taste matters.", "Good research tastes differ."]))
    term = terms[RESEARCH_TASTE]
    assert term.count == 2
    assert term.kind is TermKind.PHRASE
    assert term.label in ("research taste", "research tastes")


def test_stopword_only_text_gives_no_phrases() -> None:
    assert phrase_candidates(["of the and to the", "it is what it is"]) == []


def test_stopwords_break_a_run() -> None:
    keys = by_key(phrase_candidates(["taste of research"]))
    assert keys == {}


def test_a_single_content_word_is_not_a_phrase() -> None:
    assert phrase_candidates(["Taste."]) == []


def test_punctuation_breaks_a_phrase() -> None:
    for text in ["deep, learning", "deep. Learning", "deep; learning", "deep (learning)", "deep\nlearning"]:
        assert phrase_key(["deep", "learning"]) not in by_key(phrase_candidates([text])), text


def test_numbers_break_a_run() -> None:
    keys = by_key(phrase_candidates(["alpha beta 2024 gamma delta"]))
    assert phrase_key(["alpha", "beta"]) in keys
    assert phrase_key(["gamma", "delta"]) in keys
    assert phrase_key(["beta", "gamma"]) not in keys


def test_phrases_are_two_or_three_words() -> None:
    keys = by_key(phrase_candidates(["alpha beta gamma delta"]))
    assert phrase_key(["alpha", "beta"]) in keys
    assert phrase_key(["alpha", "beta", "gamma"]) in keys
    assert all(2 <= len(key.split()) <= 3 for key in keys)
    assert phrase_key(["alpha", "beta", "gamma", "delta"]) not in keys


def test_capitalised_name_is_an_entity_with_its_surface_label() -> None:
    terms = by_key(phrase_candidates(["We heard Ilya Sutskever speak about research taste."]))
    ilya = terms[phrase_key(["Ilya", "Sutskever"])]
    assert ilya.kind is TermKind.ENTITY
    assert ilya.label == "Ilya Sutskever"
    assert terms[RESEARCH_TASTE].kind is TermKind.PHRASE


def test_lowercase_phrase_is_not_an_entity() -> None:
    (term,) = phrase_candidates(["research taste"])
    assert term.kind is TermKind.PHRASE
    assert term.label == "research taste"


def test_phrases_are_counted_across_texts() -> None:
    terms = by_key(phrase_candidates(["value function", "the value function", "value functions!"]))
    assert terms[phrase_key(["value", "function"])].count == 3


# --- tag_terms ---------------------------------------------------------------------


def test_nested_tag_gives_its_parents() -> None:
    terms = by_key(tag_terms(["a/b/c"]))
    assert set(terms) == {"a", "a/b", "a/b/c"}
    assert all(t.kind is TermKind.TAG for t in terms.values())
    assert terms["a/b"].label == "a/b"


def test_shared_parent_tag_is_counted_once_per_child() -> None:
    terms = by_key(tag_terms(["topic/x", "topic/y"]))
    assert terms["topic"].count == 2
    assert terms["topic/x"].count == 1


def test_tag_label_keeps_its_spelling() -> None:
    (term,) = tag_terms(["#Research-Taste"])
    assert term.key == RESEARCH_TASTE
    assert term.label == "Research-Taste"


# --- name_terms --------------------------------------------------------------------


def test_only_multiword_names_become_terms() -> None:
    terms = by_key(name_terms(["Single", "Two Words", "Three Word Name", "Far Too Many Words Here"]))
    assert set(terms) == {phrase_key(["Two", "Words"]), phrase_key(["Three", "Word", "Name"])}
    assert all(t.kind is TermKind.ALIAS for t in terms.values())
    assert terms[phrase_key(["Two", "Words"])].label == "Two Words"


def test_names_with_the_same_key_are_one_term() -> None:
    assert len(name_terms(["Two Words", "two word"])) == 1


# --- select_terms ------------------------------------------------------------------


def test_select_terms_keeps_all_tags_and_names_and_at_most_limit_phrases() -> None:
    phrases = phrase_candidates(["alpha beta. alpha beta. alpha beta. gamma delta. gamma delta. epsilon zeta."])
    tags = tag_terms(["one", "two/three"])
    names = name_terms(["Proper Name"])
    chosen = select_terms(phrases, tags, names, limit=1)
    kinds = [t.kind for t in chosen]
    assert kinds.count(TermKind.TAG) == 3
    assert kinds.count(TermKind.ALIAS) == 1
    phrase_keys = [t.key for t in chosen if t.kind is TermKind.PHRASE]
    assert phrase_keys == [phrase_key(["alpha", "beta"])]  # the most repeated phrase wins


def test_select_terms_with_zero_limit_keeps_no_phrases() -> None:
    chosen = select_terms(phrase_candidates(["alpha beta"]), [], [], limit=0)
    assert list(chosen) == []


def test_phrase_matching_a_tag_adds_to_the_tag() -> None:
    chosen = select_terms(phrase_candidates(["research taste"]), tag_terms(["research-taste"]), [], limit=5)
    (term,) = chosen
    assert term.kind is TermKind.TAG
    assert term.count == 2


def test_select_terms_is_sorted_by_key() -> None:
    chosen = select_terms(phrase_candidates(["zeta eta. alpha beta."]), tag_terms(["m"]), [], limit=10)
    assert [t.key for t in chosen] == sorted(t.key for t in chosen)


# --- Through the parser ------------------------------------------------------------


def test_parsed_note_terms_come_from_prose_tags_aliases_and_title() -> None:
    text = (
        "---\naliases: [Deep Thought]\ntags: [ml/rl]\n---\n"
        "# Big Title Here\n\nResearch taste matters. Research taste again.\n\n"
        "```\nsecret phrase secret phrase\n```\n"
    )
    note = parse_text("Single.md", text, Config()).note
    assert note is not None
    terms = by_key(note.terms)
    assert terms[RESEARCH_TASTE].count == 2
    assert terms[phrase_key(["Deep", "Thought"])].kind is TermKind.ALIAS
    assert terms[phrase_key(["Big", "Title", "Here"])].kind is TermKind.ALIAS
    assert {"ml", "ml/rl"} <= set(terms)
    assert phrase_key(["secret", "phrase"]) not in terms


def test_terms_per_note_bounds_phrases() -> None:
    prose = " ".join(f"word{chr(97 + i)} other{chr(97 + i)}." for i in range(20))
    note = parse_text("n.md", prose, Config(terms_per_note=3)).note
    assert note is not None
    assert len([t for t in note.terms if t.kind in (TermKind.PHRASE, TermKind.ENTITY)]) == 3


# --- The one-scan tokenizer --------------------------------------------------------


def _runs_by_clauses(text: str) -> list[list[str]]:
    """The definition ``_content_runs`` implements in one scan: split the text at clause
    breaks, find the tokens of each clause, and break runs at numbers, stopwords, 1 letter."""
    runs: list[list[str]] = []
    for clause in terms._CLAUSE_BREAK.split(text):
        run: list[str] = []
        for token in terms._TOKEN.findall(clause):
            word = terms._POSSESSIVE.sub("", token)
            if word[0].isdigit() or word.casefold() in terms.STOPWORDS or len(word) < 2:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append(word)
        if run:
            runs.append(run)
    return runs


_PROSE_ALPHABET = "ab Zé3_-'’.,;:!?()[]#/\\—– \n\t\"“”*~`^=+<>|"


@settings(max_examples=examples(400))
@given(st.lists(st.sampled_from(["the", "of", "Data", "don’t", "it's", "3.5", "x-ray", "a - b", "well-"]) | st.text(
    _PROSE_ALPHABET, max_size=6)).map("".join))
def test_one_scan_finds_the_runs_of_clause_splitting(text: str) -> None:
    assert [[w.text for w in run] for run in terms._content_runs(text)] == _runs_by_clauses(text)


def test_runs_break_at_typographic_apostrophes_and_decimal_points() -> None:
    runs = [[w.text for w in run] for run in terms._content_runs("Ada’s research taste, 3.5 value functions")]
    assert runs == [["Ada"], ["research", "taste"], ["value", "functions"]]


# --- Singulars: the words mentions are found on --------------------------------------


def test_singular_takes_off_plural_endings_only() -> None:
    singulars = {
        "metrics": "metric",
        "categories": "category",
        "classes": "class",
        "matches": "match",
        "boxes": "box",
        "notes": "note",
        "class": "class",
        "status": "status",
        "analysis": "analysis",
        "colourfulness": "colourfulness",
        "lightness": "lightness",
        "gas": "gas",
        "ies": "ies",
    }
    assert {word: terms.singular(word) for word in singulars} == singulars


@settings(max_examples=examples(300))
@given(st.lists(st.sampled_from(["Colour", "colourfulness", "metrics", "Metric", "classes", "class", "the"]) | st.text(
    _PROSE_ALPHABET + "s", max_size=8)).map(" ".join))
def test_a_word_bag_keeps_every_singular_word_once(text: str) -> None:
    """Every content word's singular is one of the bag's words made singular, or one of its forms, and
    the forms are sorted and not the singular of a word already kept."""
    _, bag = terms.analyse_prose([text])
    singular_words = set(map(terms.singular, bag.words))
    every = {w.singular for run in terms._content_runs(text) for w in run}
    assert singular_words | set(bag.forms) == every
    assert list(bag.forms) == sorted(set(bag.forms)) and not singular_words & set(bag.forms)


_NAME_WORDS = st.sampled_from(["Sourdough", "starters", "civilization", "Cradles", "rye", "Flour", "x-ray"])
_BETWEEN = st.sampled_from([" ", " of the ", ", ", " 42 ", "; a ", " (", ") "])


@settings(max_examples=examples(300))
@given(
    before=st.text(_PROSE_ALPHABET, max_size=12),
    name=st.lists(_NAME_WORDS, min_size=1, max_size=4),
    gaps=st.lists(_BETWEEN, min_size=3, max_size=3),
    after=st.text(_PROSE_ALPHABET, max_size=12),
)
def test_a_name_written_in_a_note_has_its_words_and_pairs_in_the_notes_bag(
    before: str, name: list[str], gaps: list[str], after: str
) -> None:
    """What a mention is checked on: a name's words written in order, with stopwords, numbers or
    punctuation between them, give the note every singular and pair code of the name."""
    written = name[0] + "".join(gap + word for gap, word in zip(gaps, name[1:], strict=False))
    _, bag = terms.analyse_prose([f"{before} {written} {after}"])
    _, singulars, pairs = terms.name_keys(" ".join(name))
    assert set(singulars) <= set(map(terms.singular, bag.words)) | set(bag.forms)
    assert set(pairs) <= set(unpacked_pairs(bag.pairs).tolist())


def test_words_apart_or_in_another_order_are_not_a_pair() -> None:
    _, bag = terms.analyse_prose(["The starter for sourdough.", "Sourdough", "starter"])
    pairs = terms.name_keys("Sourdough Starter").pairs
    assert not set(pairs) & set(unpacked_pairs(bag.pairs).tolist())


def test_pair_codes_are_packed_distinct_ascending_and_little_endian() -> None:
    packed = terms.packed_pairs([3, 1, 3, 2**32 - 1])
    assert packed[:4] == b"\x01\x00\x00\x00" and len(packed) == 12
    assert unpacked_pairs(packed).tolist() == [1, 3, 2**32 - 1]


@settings(max_examples=examples(100))
@given(
    names=st.lists(st.sampled_from(["Shots", "Shot list", "shot", "Long Exposures", "exposure"]), unique=True),
    seed=st.randoms(use_true_random=False),
)
def test_the_word_bag_does_not_depend_on_the_order_of_the_names(names: list[str], seed: Random) -> None:
    """A note's names come as a set, in an order that changes from process to process."""
    shuffled = list(names)
    seed.shuffle(shuffled)
    text = ["Photographs taken at night."]
    assert terms.analyse_prose(text, names) == terms.analyse_prose(text, shuffled)
