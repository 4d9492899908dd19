"""What a Related block lists (issue 15): only notes on evidence a person would accept
(``rank.pairs``), cut relative to the best, with reasons naming what the notes share."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from conftest import FILLER, requires_seeds
from test_rank import index_of, notes_of

from vaultlink import app
from vaultlink.core import rank
from vaultlink.core.plan import SyncOptions
from vaultlink.core.rank.mentions import PASSING_NAMES

ROOT = Path(__file__).resolve().parents[1]
FILLERS = {f"filler {i}.md": text for i, text in enumerate(FILLER)}


def listed(files: dict[str, str], path: str) -> list[str]:
    return [s.path for s in index_of(notes_of(files)).related(path, top=10, listing=True)]


def test_a_shared_given_name_alone_lists_nothing() -> None:
    """Two people called Alex share a name word, not a subject; the score still counts it."""
    files = {
        "Alex Smith.md": "Alex Smith writes compilers and parsers.\n",
        "Alex Jones.md": "Alex Jones grows tomatoes and beans.\n",
        **FILLERS,
    }
    assert index_of(notes_of(files)).score("Alex Smith.md", "Alex Jones.md") > 0
    assert listed(files, "Alex Smith.md") == [] and listed(files, "Alex Jones.md") == []


def mentioned(files: dict[str, str], path: str, other: str) -> bool:
    """Does ``path`` mention ``other`` as evidence to list it (``PairEvidence.named_here``)?"""
    index = index_of(notes_of(files))
    rows = np.array([index.row_of[path]]), np.array([index.row_of[other]])
    return bool(rank.PairEvidence.of(index, *rows).named_here[0])


def test_a_one_word_name_the_vault_does_not_use_as_a_name_is_no_mention() -> None:
    """Five notes write "simple", none links `Simple`: they do not mean the note. Once notes link
    the note, at least a quarter as many as write the word, a mention means it."""
    files = {"Simple.md": "A design principle about lean interfaces.\n", **FILLERS}
    files |= {f"n{i}.md": f"A simple fix for topic {i}.\n" for i in range(5)}
    assert index_of(notes_of(files)).score("n0.md", "Simple.md") > 0
    assert not mentioned(files, "n0.md", "Simple.md")
    files |= {f"linking{i}.md": "The Simple note. [[Simple]]\n" for i in range(2)}
    assert mentioned(files, "n0.md", "Simple.md")


def test_a_mention_alone_lists_nothing() -> None:
    """A passing mention of a one-word name with nothing else shared is no subject both notes are
    about: a mention lists a note together with a shared phrase or words, or a note both link."""
    files = {"Quokka.md": "Marsupial of Rottnest Island.\n", "zoo.md": "[[Quokka]]\n", **FILLERS}
    files["trip.md"] = "Saw a quokka today.\n"
    assert mentioned(files, "trip.md", "Quokka.md")
    assert listed(files, "trip.md") == []
    files["trip.md"] = "Saw a quokka today, on Rottnest Island, the marsupial one.\n"
    assert listed(files, "trip.md") == ["Quokka.md"]


def test_the_words_of_a_mentioned_name_are_the_mention_not_more_evidence() -> None:
    """A journal day writing "fediverse" and one more word shared with `Fediverse` rests on one
    mention, not a mention and two shared words: the name's words are what the mention is."""
    files = {
        "Fediverse.md": "The fediverse federates servers; mastodon and peertube speak activitypub.\n",
        "hub.md": "[[Fediverse]]\n",
        **FILLERS,
    }
    files["day.md"] = "Met the coop board. Asked on the fediverse about mastodon.\n"
    assert mentioned(files, "day.md", "Fediverse.md")
    assert listed(files, "day.md") == []
    files["day.md"] = "Met the coop board. Asked on the Fediverse about mastodon servers and activitypub.\n"
    assert listed(files, "day.md") == ["Fediverse.md"]
    (entry,) = index_of(notes_of(files)).related("day.md", listing=True)
    assert entry.reasons[:2] == (rank.NAMED_HERE, "fediverse")  # the name the mention is of


def test_a_one_word_name_two_notes_have_is_no_mention_of_either() -> None:
    """Two ``Temperature`` notes, both linked by the notes writing the word: a note saying
    "temperature" can't be said to mean one of them."""
    files = {
        "astronomy/Temperature.md": "Star colour and heat.\n",
        "cooking/Temperature.md": "Dough heat.\n",
        "ride.md": "The temperature dropped on the ride.\n",
        **FILLERS,
    }
    files |= {f"l{i}.md": "[[astronomy/Temperature]] [[cooking/Temperature]] temperature\n" for i in range(3)}
    assert index_of(notes_of(files)).score("ride.md", "cooking/Temperature.md") > 0
    assert listed(files, "ride.md") == []


def test_words_of_links_both_notes_make_are_no_shared_subject() -> None:
    """Two person notes both writing [[person]] and [[twitter]] share links to hubs, not words."""
    files = {
        "ann.md": "A [[person]]. On [[twitter]]. Grows tomatoes.\n",
        "bob.md": "A [[person]]. On [[twitter]]. Writes compilers.\n",
        **FILLERS,
    }
    files |= {f"p{i}.md": "[[person]]\n" for i in range(rank.SPECIFIC)}
    files |= {f"t{i}.md": "[[twitter]]\n" for i in range(rank.SPECIFIC)}
    assert index_of(notes_of(files)).score("ann.md", "bob.md") > 0
    assert listed(files, "ann.md") == []


def test_one_shared_phrase_is_one_piece_of_evidence_not_a_phrase_and_its_words() -> None:
    files = {"a.md": "Hill climbs at dawn.\n", "b.md": "Rye bread before hill climbs.\n", **FILLERS}
    assert index_of(notes_of(files)).score("a.md", "b.md") > 0
    assert listed(files, "a.md") == []


def test_a_title_only_note_is_not_listed_on_words() -> None:
    """Two notes sharing a phrase and words relate; a note holding nothing but its title does not,
    though its title is the phrase."""
    files = {"a.md": "Zebra crossing near the quokka, a wombat.\n", "b.md": "A quokka, a wombat: the zebra crossing.\n"}
    files |= FILLERS
    assert listed(files, "a.md") == ["b.md"]
    files = {"a.md": "Zebra crossing near the quokka, a wombat.\n", "Zebra Crossing.md": "# Zebra Crossing\n"}
    files |= FILLERS
    assert index_of(notes_of(files)).score("a.md", "Zebra Crossing.md") > 0
    assert listed(files, "a.md") == []


def test_notes_both_link_are_named_and_a_hub_is_not_listed_on_them() -> None:
    files = {
        "Hub.md": "".join(f"[[m{i}]]\n" for i in range(rank.SPECIFIC)) + "[[x]] [[Lens]] [[Prism]]\n",
        "Lens.md": "Glass that bends light.\n",
        "Prism.md": "Glass that splits light.\n",
        "x.md": "[[Lens|one]] [[Prism|two]]\n",
        "y.md": "[[Lens|three]] [[Prism|four]]\n",
        **FILLERS,
    }
    files |= {f"m{i}.md": f"Topic {i}.\n" for i in range(rank.SPECIFIC)}
    index = index_of(notes_of(files))
    (entry,) = index.related("x.md", listing=True)
    assert entry.path == "y.md" and entry.reasons == (f"{rank.BOTH_LINK} [[Lens]] and [[Prism]]",)
    assert index.score("y.md", "Hub.md") > 0  # both link Lens and Prism, but Hub has 23 links
    assert [s.path for s in index.related("y.md", listing=True)] == ["x.md"]


def test_one_note_both_link_alone_lists_nothing() -> None:
    files = {"Lens.md": "Glass.\n", "x.md": "[[Lens|one]]\n", "y.md": "[[Lens|two]]\n", **FILLERS}
    assert index_of(notes_of(files)).score("x.md", "y.md") > 0
    assert listed(files, "x.md") == []


def test_a_link_both_notes_make_is_not_also_the_phrase_its_text_makes() -> None:
    """Two notes on different people both linking [[buenos aires]] share one link, not a link and
    the phrase "buenos aires" its text writes; a phrase both notes also write in prose is more."""
    files = {
        "buenos aires.md": "A city.\n",
        "victor.md": "A poet who tweets from [[buenos aires]] about verse.\n",
        "tower.md": "A replica of a landmark in [[buenos aires]], made of steel.\n",
        **FILLERS,
    }
    assert index_of(notes_of(files)).score("victor.md", "tower.md") > 0
    assert listed(files, "victor.md") == []
    files["victor.md"] += "He wrote on the steel replica landmark.\n"
    assert listed(files, "victor.md") == ["tower.md"]


def test_being_linked_from_the_same_note_is_no_evidence() -> None:
    """A journal day linking two notes relates them in the score, not in what is listed."""
    files = {"day.md": "[[a]] [[b]]\n", "a.md": "Kettle descaling.\n", "b.md": "Tax forms.\n", **FILLERS}
    assert index_of(notes_of(files)).score("a.md", "b.md") > 0
    assert listed(files, "a.md") == []


@requires_seeds
def test_the_house_note_lists_its_siblings_and_nothing_unrelated(tmp_path: Path) -> None:
    """The seeds laid out as seed 003's own paths say, plus four unrelated notes (cooking, disk
    encryption, backups), at default settings: the house note lists its three siblings on the episode
    it does not link (it links the transcript), and nothing else."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from quality import seedvault

    scan = app.scan_vault(seedvault.build(tmp_path), app.NO_CACHE)
    options = SyncOptions.from_config(scan.config)
    lists = app.rank_all(scan, options.top, options.min_score)
    siblings = set(seedvault.SEED_PATHS.values()) - {seedvault.HOUSE, seedvault.SEED_PATHS["001"]}
    assert {s.path for s in lists[seedvault.HOUSE]} == siblings
    for path in seedvault.UNRELATED:
        assert not {s.path for s in lists[path]} & set(seedvault.SEED_PATHS.values())


def test_a_word_a_linked_note_name_shows_is_not_repeated() -> None:
    files = {
        "Lens-Maker.md": "Grinds glass.\n",
        "x.md": "[[Lens-Maker|one]] the lens-maker. [[Prism]]\n",
        "y.md": "[[Lens-Maker|two]] a lens-maker. [[Prism]]\n",
        **FILLERS,
    }
    (entry,) = index_of(notes_of(files)).related("x.md", listing=True)
    assert entry.reasons[0].startswith(rank.BOTH_LINK) and "[[Lens-Maker]]" in entry.reasons[0]
    assert "lens-maker" not in entry.reasons


def test_a_phrase_a_longer_shared_phrase_holds_is_not_shown_again() -> None:
    files = {
        "a.md": "The flancia pattern language. Flancia pattern language again.\n",
        "b.md": "A flancia pattern language, as flancia pattern language goes.\n",
        **FILLERS,
    }
    (entry,) = index_of(notes_of(files)).related("a.md", listing=True)
    assert "flancia pattern language" in {r.casefold() for r in entry.reasons}
    assert not {"flancia pattern", "pattern language"} & {r.casefold() for r in entry.reasons}


def test_a_long_phrase_is_shown_cut_to_a_glance() -> None:
    from vaultlink.core.rank.reasons import SHOWN_WIDTH
    from vaultlink.core.rank.reasons import shown_label as shown

    assert shown("sourdough starter") == "sourdough starter"
    clause = "具体的 把目标设定到可以衡量的程度 就叫做明确了"
    cut = shown(clause)
    assert cut.endswith("…") and clause.startswith(cut[:-1])
    columns = sum(2 if "\u4e00" <= c <= "\u9fff" else 1 for c in cut[:-1])
    assert SHOWN_WIDTH - 2 <= columns <= SHOWN_WIDTH
    assert shown("x" * SHOWN_WIDTH) == "x" * SHOWN_WIDTH and shown("x" * (SHOWN_WIDTH + 1)).endswith("…")


def test_a_tag_over_notes_that_share_nothing_else_is_no_evidence() -> None:
    """``#todo`` on a tax note, a kettle note and a poem marks a state, not a subject; ``#baking``
    on three bread notes is one. Found from the notes, not from a list of tag names."""
    files = {
        "tax.md": "Tax forms and receipts. #todo\n",
        "kettle.md": "Kettle descaling with vinegar. #todo\n",
        "poem.md": "A poem about winter light. #todo\n",
        "rye.md": "Rye bread: starter, flour, dough, oven. #baking\n",
        "spelt.md": "Spelt bread: starter, flour, dough, crust. #baking\n",
        "bagel.md": "Bagels: starter, flour, dough, boiling. #baking\n",
        **FILLERS,
    }
    index = index_of(notes_of(files))
    topical = {index.feature_keys[f] for f in np.flatnonzero(index.topical)}
    assert "#bake" in topical or "#baking" in topical
    assert not {"#todo"} & topical
    assert index.score("tax.md", "kettle.md") > 0
    assert listed(files, "tax.md") == []
    (entry, *_) = index.related("rye.md", listing=True)
    assert any(r.startswith(rank.BOTH_TAGGED) for r in entry.reasons)


def test_a_word_of_a_note_name_is_no_shared_word() -> None:
    """A ride note writing "home" shares no subject with ``Home`` (a one-word name the vault does not
    link as a name is no mention either): the word is judged as a mention, not as a shared word."""
    files = {
        "Home.md": "Index: [[Rides]] and [[Bread]], from home on wet days.\n",
        "ride.md": "Rode home in the rain; [[Rides]] from home, wet home ride.\n",
        "Rides.md": "Cycling.\n",
        "Bread.md": "Baking.\n",
        **FILLERS,
    }
    assert index_of(notes_of(files)).score("ride.md", "Home.md") > 0
    assert listed(files, "ride.md") == []


def test_reasons_name_only_what_carries_the_relation() -> None:
    """Listed on a phrase and a link, an entry shows those, not a stray word the notes also share;
    a link both make is shown as the link, not also as the phrase its text writes."""
    files = {
        "Lens.md": "Glass.\n",
        "x.md": "The lactic acid bacteria in kimchi, near the window. [[Lens]]\n",
        "y.md": "Lactic acid bacteria sour the dough by the window. [[Lens]]\n",
        **FILLERS,
    }
    (entry,) = index_of(notes_of(files)).related("x.md", listing=True)
    assert entry.reasons == ("lactic acid bacteria", f"{rank.BOTH_LINK} [[Lens]]")


def test_a_note_linked_with_many_needs_more_evidence_the_more_it_is_linked() -> None:
    """A magnet: each doubling of a note's links from ``SPECIFIC`` on asks one more piece of
    evidence to list it; a mention and a phrase list an ordinary note, not a hub."""
    from vaultlink.core.rank.pairs import magnet_damping

    assert magnet_damping(np.array([0, 19, 20, 39, 40, 80, 1000])).tolist() == [0, 0, 1, 1, 2, 3, 6]
    text = "Notes on sourdough starter care, rye flour.\n"
    files = {"Starter.md": text, "day.md": "Fed the Starter; sourdough starter needs rye flour.\n", **FILLERS}
    assert listed(files, "day.md") == ["Starter.md"]
    files["Starter.md"] = text + "".join(f"[[t{i}]]\n" for i in range(rank.SPECIFIC))
    assert listed(files, "day.md") == []


def test_a_mention_by_a_note_mentioning_many_is_a_passing_one() -> None:
    """A day listing twenty notes' names mentions each in passing: the mention is no evidence, so a
    mention and a phrase list the note from a short note but not from the list."""
    names = [f"Topic{i}" for i in range(PASSING_NAMES)]
    files = {f"{n}.md": f"About {n.lower()} only.\n" for n in names}
    files |= {f"l{i}.md": " ".join(f"[[{n}]]" for n in names) + "\n" for i in range(2)}  # names used as names
    files["Starter.md"] = "Notes on sourdough starter care.\n"
    files["zoo.md"] = "[[Starter]]\n"
    files["day.md"] = "Fed the Starter, a sourdough starter.\n"
    files["list.md"] = "Fed the Starter, a sourdough starter. " + ", ".join(names) + ".\n"
    assert listed(files, "day.md") == ["Starter.md"]
    assert "Starter.md" not in listed(files, "list.md")
