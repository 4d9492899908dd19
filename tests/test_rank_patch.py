"""A patched ranking (``vaultlink/core/rank/patch.py``): the watcher ranks with it right after a save.

Where a save moved no document frequency and no mention (the same words, other counts, other
links), a patched index ranks as a rebuilt one; otherwise its lists keep every promise of a list
and its scores stay symmetric. It never changes the index it patches, and it refuses the notes it
can't stand for (new ones, stubs, renamed ones).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from conftest import FILLER, SMALL_VAULT, examples, prose
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_rank import CONFIG, STUB_TEXT, TOLERANCE, assert_well_formed, links_of, note, notes_of, per_note

from vaultlink.core import rank
from vaultlink.core.note import Note
from vaultlink.core.rank import PatchedIndex, RankIndex, Vocabulary, matrices, note_row, patched
from vaultlink.core.rank import index as rank_index

VAULT: dict[str, str] = {
    **SMALL_VAULT,
    "Delta.md": "# Delta\n\nSee zz.\n\n" + prose("dark sky", "light pollution"),
    "Sourdough Starter.md": "# Sourdough Starter\n\nFed daily; it lives in a jar on the counter.\n",
    "bread/Rye Loaf.md": "A rye loaf from the sourdough starter. " + prose("rye flour", "proofing basket"),
    "bread/Notes.md": "Links: [[Rye Loaf]], [[Alpha]] and [[Nowhere]].\n" + prose("bulk fermentation"),
    "sky/Stars.md": "See [[Nowhere|the void]] and [[Delta]]. " + prose("dark sky", times=1),
    "Stub.md": STUB_TEXT,
}


def patch_and_rebuild(files: Mapping[str, str], edits: Mapping[str, str]) -> tuple[RankIndex, PatchedIndex, RankIndex]:
    """The index of ``files``, it patched with ``edits`` (as the watcher does: one vocabulary,
    every link from or to an edited note), and a fresh index of the edited files."""
    before = notes_of(files)
    vocabulary = Vocabulary()
    base = RankIndex(before, links_of(before), CONFIG, vocabulary=vocabulary)
    edited = {path: note(path, text) for path, text in edits.items()}
    after = [edited.get(n.path, n) for n in before] + [n for p, n in edited.items() if p not in files]
    links = links_of(after)
    touching = [r for r in links if r.source in edits or r.resolution.target in edits]
    index = patched(base, {p: (n, note_row(n, vocabulary)) for p, n in edited.items()}, touching)
    assert index is not None
    return base, index, RankIndex(after, links, CONFIG)


def same_words(a: Note, b: Note) -> bool:
    return set(a.words) == set(b.words) and {t.key for t in a.terms} == {t.key for t in b.terms}


# --- where a patch is exact ------------------------------------------------------------------------


def test_other_counts_of_the_same_words_rank_as_a_rebuild_bit_for_bit() -> None:
    body = VAULT["Delta.md"].split("\n", 2)[2]
    edit = {"Delta.md": "# Delta\n\n" + body + body + "Dark sky.\n"}
    assert same_words(note("Delta.md", VAULT["Delta.md"]), note("Delta.md", edit["Delta.md"]))
    base, index, rebuilt = patch_and_rebuild(VAULT, edit)
    assert base.related("Delta.md", top=1000) != rebuilt.related("Delta.md", top=1000)  # the edit mattered
    assert index.related_all(top=1000) == rebuilt.related_all(top=1000)


def test_links_gained_and_lost_rank_as_a_rebuild() -> None:
    """Delta links Alpha (degree 2 to 3), the missing Ghost (Epsilon's, degree 1 to 2: it starts
    to weigh) and a missing note nobody linked; Stars stops linking Delta. Each link's text is a
    word Delta already states, so only links move."""
    edit = {
        "Delta.md": VAULT["Delta.md"].replace("See zz.", "See zz. [[Alpha|zz]]. [[Ghost|zz]]. [[Brand New|zz]]."),
        "sky/Stars.md": VAULT["sky/Stars.md"].replace("[[Delta]]", "Delta"),
    }
    assert same_words(note("Delta.md", VAULT["Delta.md"]), note("Delta.md", edit["Delta.md"]))
    base, index, rebuilt = patch_and_rebuild(VAULT, edit)
    assert base.related_all(top=1000) != rebuilt.related_all(top=1000)
    assert index.related_all(top=1000) == rebuilt.related_all(top=1000)


@pytest.mark.parametrize("gained", [True, False])
def test_a_phrase_two_notes_start_or_stop_sharing_moves_both_as_a_rebuild_does(gained: bool) -> None:
    """Lonely alone states "zebra crossing": its words weigh nothing (min_df is 2) until Gamma
    states them too; then both notes' rows weigh them."""
    files = {**VAULT, "Lonely.md": "# Lonely\n\n" + prose("zebra crossing")}
    shared = VAULT["Gamma.md"] + prose("zebra crossing")
    if not gained:
        files["Gamma.md"] = shared
    base, index, rebuilt = patch_and_rebuild(files, {"Gamma.md": shared if gained else VAULT["Gamma.md"]})
    assert ("Lonely.md" in {s.path for s in rebuilt.related("Gamma.md")}) is gained
    assert ("Lonely.md" in {s.path for s in base.related("Gamma.md")}) is not gained
    assert index.related_all(top=1000) == rebuilt.related_all(top=1000)


def test_a_note_starting_to_mention_another_reweighs_every_mention_of_it_as_a_rebuild_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Twelve notes state "common" and "thing" (too many for the words to weigh anything, with a
    word cap of 10 notes, not for the name to be mentioned): each mentions Common Thing. A
    thirteenth starting to, every mention of it weighs less."""
    monkeypatch.setattr(matrices, "upper_df", lambda config, n: 10.0)
    files = {"Common Thing.md": "# Common Thing\n\nA note.\n"}
    files |= {f"n{i}.md": f"# N {i}\n\nThe common view. A thing. " + prose(f"topic {i // 2}") for i in range(12)}
    files |= {f"Filler {i}.md": f"# Filler {i}\n\n{text}\n" for i, text in enumerate(FILLER)}
    edit = {"Filler 0.md": files["Filler 0.md"] + "Common. Thing.\n"}
    base, index, rebuilt = patch_and_rebuild(files, edit)
    assert base.score("Filler 0.md", "Common Thing.md") == 0 < rebuilt.score("Filler 0.md", "Common Thing.md")
    assert base.score("n0.md", "Common Thing.md") > rebuilt.score("n0.md", "Common Thing.md") > 0
    assert index.related_all(top=1000) == rebuilt.related_all(top=1000)


def test_a_note_starting_to_state_a_name_in_a_new_form_mentions_it_as_a_rebuild_does() -> None:
    """ "colourfulness" has the stem of "colour", which the note already states: its words stay,
    and only the folded words the mention check reads move."""
    files = {
        "Colourfulness.md": "# Colourfulness\n\nHow vivid a hue looks.\n",
        "paint.md": "# Paint\n\nMixing colour on a palette.\n",
        "vision.md": "# Vision\n\n[[Colourfulness]]\n",  # the vault uses the one-word name as a name
        **{f"Filler {i}.md": f"# Filler {i}\n\n{text}\n" for i, text in enumerate(FILLER)},
    }
    edit = {"paint.md": files["paint.md"] + "And its colourfulness.\n"}
    base, index, rebuilt = patch_and_rebuild(files, edit)
    assert set(base.notes[base.row_of["paint.md"]].words) == set(index.notes[index.row_of["paint.md"]].words)
    before = {s.path: s.reasons for s in base.related("paint.md", top=50)}
    assert rank.NAMED_HERE not in before.get("Colourfulness.md", ())
    assert rank.NAMED_HERE in index.related("paint.md")[0].reasons
    assert index.related_all(top=1000) == rebuilt.related_all(top=1000)


def test_a_patch_with_the_same_rows_ranks_as_its_base() -> None:
    base, index, _ = patch_and_rebuild(
        VAULT, {"Gamma.md": VAULT["Gamma.md"], "bread/Notes.md": VAULT["bread/Notes.md"]}
    )
    assert index.related_all(top=1000) == base.related_all(top=1000)


def test_patching_leaves_the_base_index_as_it_was() -> None:
    before = notes_of(VAULT)
    base = RankIndex(before, links_of(before), CONFIG)
    lists = base.related_all(top=1000)
    edited = note("Gamma.md", "# Gamma\n\nNow [[Beta]] and [[Zeta]]. " + prose("dark sky", "index funds"))
    after = [edited if n.path == "Gamma.md" else n for n in before]
    index = patched(base, {"Gamma.md": (edited, note_row(edited, base.vocabulary))}, links_of(after))
    assert index is not None and index.related_all(top=1000) != lists
    assert base.related_all(top=1000) == lists


# --- where a patch is refused ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("New note.md", "# New note\n\nAbout the dark sky.\n"),  # not in the base index
        ("Stub.md", STUB_TEXT + "\nStill a stub.\n"),  # stubs are not ranked
        ("Gamma.md", "---\naliases: [Third Letter]\n---\n# Gamma\n"),  # a name more: mentions of it move
    ],
)
def test_notes_a_patch_cant_stand_for_get_none(path: str, text: str) -> None:
    before = notes_of(VAULT)
    base = RankIndex(before, links_of(before), CONFIG)
    edited = note(path, text)
    assert patched(base, {path: (edited, note_row(edited, base.vocabulary))}, []) is None


# --- any edit ---------------------------------------------------------------------------------------

WORDS = ("apple", "river", "stone", "cloud", "ember", "falcon", "garden", "harbor", "meadow", "willow")
Edits = tuple[dict[str, str], dict[str, str], bool]
"""Files, their edits, and whether each edit keeps its note's words (so the patch is exact)."""


def text_of(draw: st.DrawFn, names: Sequence[str]) -> str:
    words = draw(st.lists(st.sampled_from(WORDS), max_size=14))
    breaks = draw(st.lists(st.sampled_from([" ", " ", ". ", ", "]), min_size=len(words), max_size=len(words)))
    targets = draw(st.lists(st.sampled_from([*names, "ghost"]), max_size=3, unique=True))
    links = " ".join(f"[[{t}|zz]]." for t in targets)
    return "".join(w + b for w, b in zip(words, breaks, strict=True)) + f"\nzz. {links}\n"


@st.composite
def edited_vaults(draw: st.DrawFn) -> Edits:
    """A few notes named after words, of random words and links; then either new text for one or
    two of them, or one note's words repeated in another order with other links."""
    names = draw(st.lists(st.sampled_from(WORDS).map(str), min_size=2, max_size=7, unique=True))
    files = {f"{name}.md": text_of(draw, names) for name in names}
    paths = sorted(files)
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(paths), min_size=1, max_size=2, unique=True))
        return files, {p: text_of(draw, names) for p in chosen}, False
    path = draw(st.sampled_from(paths))
    prose_part = files[path].split("\n")[0]
    sentences = [s for s in prose_part.replace(",", ".").split(".") if s.strip()]
    shuffled = draw(st.permutations(sentences * draw(st.integers(1, 2))))
    targets = draw(st.lists(st.sampled_from([*names, "ghost", "nowhere"]), max_size=3, unique=True))
    links = " ".join(f"[[{t}|zz]]." for t in targets)
    return files, {path: ". ".join(shuffled) + (". " if shuffled else "") + f"\nzz. {links}\n"}, True


@pytest.mark.slow
@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited_vaults())
def test_any_patch_keeps_every_ranking_promise(vault: Edits) -> None:
    files, edits, exact = vault
    _, index, rebuilt = patch_and_rebuild(files, edits)
    lists = index.related_all(top=1000)
    assert lists == per_note(index, top=1000)
    for path, listed in lists.items():
        assert_well_formed(path, listed, top=1000, min_score=0.0)
        assert {s.path: s.score for s in listed} == index.scores_with(path)
        for other in index.paths:
            assert abs(index.score(path, other) - index.score(other, path)) <= TOLERANCE
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(rank_index, "CHUNK_PRODUCTS", 1)
        assert index.related_all(top=1000) == lists
    if exact and all(same_words(note(p, files[p]), note(p, t)) for p, t in edits.items()):
        assert lists == rebuilt.related_all(top=1000)
