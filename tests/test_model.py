"""VaultModel, the notes and links updated in place: after any sequence of edits, deletes,
creates, renames and notes turned back into stubs, the model's links equal links resolved from
scratch, and the set of notes it reports as affected covers every note whose Backlinks moved."""

from __future__ import annotations

from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaultlink.core.config import Config
from vaultlink.core.model import VaultModel
from vaultlink.core.neighbours import Neighbours
from vaultlink.core.note import Note
from vaultlink.core.parse import parse_text
from vaultlink.core.resolve import Outcome, ResolvedLink, demote_stub_links, resolve_all

CONFIG = Config()
STUB_TEXT = "---\nvaultlink: stub\n---\n"

# Two notes share a stem ("Alpha"), some sit in folders, one stem has a space.
PATHS = (
    "Alpha.md",
    "Beta.md",
    "Gamma.md",
    "Kappa notes.md",
    "sub/Alpha.md",
    "sub/Delta.md",
    "sub/deep/Epsilon.md",
    "other/Zeta.md",
    "other/Eta.md",
    "Theta.md",
)
PHRASES = (
    "sourdough starter",
    "bulk fermentation",
    "rye flour",
    "dark sky",
    "light pollution",
    "telescope mount",
    "index funds",
    "expense ratio",
    "Great Red Spot",
    "Sandor Katz",
)
TAGS = ("baking", "astro/deep-sky", "money", "garden/soil", "fermentation")
ALIASES = ("Starter Guide", "Sky Notes", "Money Plan", "Gus", "Dark Sky")
# Link targets: existing names (by stem, by path, ambiguous "Alpha"), aliases, missing names.
MISSING = ("Ghost", "Missing Note", "sub/Phantom", "other/Nowhere Else")
TARGETS = (
    "Alpha",
    "sub/Alpha",
    "Beta",
    "Gamma",
    "Kappa notes",
    "Delta",
    "sub/deep/Epsilon",
    "Zeta",
    "Eta",
    "Theta",
    "Starter Guide",
    "Gus",
    "Sky Notes",
    *MISSING,
)


@st.composite
def note_texts(draw: st.DrawFn) -> str:
    parts: list[str] = []
    tags = draw(st.lists(st.sampled_from(TAGS), max_size=3, unique=True))
    aliases = draw(st.lists(st.sampled_from(ALIASES), max_size=2, unique=True))
    if tags or aliases:
        parts.append("---")
        if tags:
            parts.append("tags: [" + ", ".join(tags) + "]")
        if aliases:
            parts.append("aliases: [" + ", ".join(aliases) + "]")
        parts.append("---")
    if draw(st.booleans()):
        parts.append(f"# {draw(st.sampled_from(('Some title', 'Dark Sky', 'Notes on bread')))}\n")
    phrases = draw(st.lists(st.sampled_from(PHRASES), max_size=5))
    for phrase in phrases:
        times = draw(st.integers(1, 3))
        parts.append(" ".join(f"About the {phrase}." for _ in range(times)))
    for target in draw(st.lists(st.sampled_from(TARGETS), max_size=4)):
        parts.append(f"See [[{target}]] for more.")
    if draw(st.booleans()):
        parts.append(f"Inline #{draw(st.sampled_from(TAGS))} tag.")
    return "\n\n".join(parts) + "\n"


def parse(path: str, text: str) -> Note:
    note = parse_text(path, text, CONFIG).note
    assert note is not None
    return note


def fresh_links(notes: dict[str, Note]) -> list[ResolvedLink]:
    ordered = [notes[p] for p in sorted(notes)]
    stubs = [n.path for n in ordered if n.is_stub]
    return demote_stub_links(resolve_all(ordered, CONFIG), stubs)


def outgoing(links: list[ResolvedLink]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in links:
        if r.resolution.outcome is Outcome.NOTE:
            out.setdefault(r.source, set()).add(r.resolution.target)
    return out


def incoming(links: list[ResolvedLink]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in links:
        if r.resolution.outcome is Outcome.NOTE:
            out.setdefault(r.resolution.target, set()).add(r.source)
    return out


def check_step(
    model: VaultModel,
    before_links: list[ResolvedLink],
    before_notes: dict[str, Note],
    affected: set[str],
    step: str,
) -> None:
    links = fresh_links(model.notes)
    assert model.all_links() == links, step
    assert affected <= model.notes.keys(), step
    out_before, out_after = outgoing(before_links), outgoing(links)
    in_before, in_after = incoming(before_links), incoming(links)
    for path, note in model.notes.items():
        old = before_notes.get(path)
        if path in affected or note.is_stub or old is None or old.is_stub:
            continue
        ex_before, ex_after = out_before.get(path, set()), out_after.get(path, set())
        back_before = in_before.get(path, set()) - ex_before - {path}
        back_after = in_after.get(path, set()) - ex_after - {path}
        assert back_before == back_after, (step, path)
        assert in_before.get(path, set()) == in_after.get(path, set()), (step, path)


# Edits keep the note names as they are, which is when the affected set is narrow and worth
# checking; they come up more often than the other operations.
OPS = ("edit", "append", "append", "rename", "rename", "delete", "create", "stub")
ADDITIONS = (*(f"About the {p}." for p in PHRASES), *(f"See [[{t}]]." for t in TARGETS), "#baking")


@settings(
    max_examples=examples(50), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    initial=st.dictionaries(st.sampled_from(PATHS), note_texts(), min_size=3, max_size=len(PATHS)),
    data=st.data(),
)
def test_model_matches_links_resolved_from_scratch(initial: dict[str, str], data: st.DataObject) -> None:
    texts = dict(initial)
    model = VaultModel([parse(p, t) for p, t in sorted(texts.items())], CONFIG)
    assert model.all_links() == fresh_links(model.notes)
    steps = data.draw(st.integers(1, 8), label="steps")
    for _ in range(steps):
        present = sorted(model.notes)
        absent = [p for p in PATHS if p not in model.notes]
        choices = [op for op in OPS if (op != "create" or absent) and (op == "create" or present)]
        choices = [op for op in choices if op != "rename" or absent]
        op = data.draw(st.sampled_from(choices), label="op")
        before_links = model.all_links()
        before_notes = dict(model.notes)
        removed: list[str]
        if op == "edit":
            path = data.draw(st.sampled_from(present), label="path")
            texts[path] = data.draw(note_texts(), label="text")
            changed, removed = [parse(path, texts[path])], []
        elif op == "append":
            path = data.draw(st.sampled_from(present), label="path")
            texts[path] += "\n" + data.draw(st.sampled_from(ADDITIONS), label="addition") + "\n"
            changed, removed = [parse(path, texts[path])], []
        elif op == "delete":
            path = data.draw(st.sampled_from(present), label="path")
            del texts[path]
            changed, removed = [], [path]
        elif op == "create":
            path = data.draw(st.sampled_from(absent), label="path")
            texts[path] = data.draw(note_texts(), label="text")
            changed, removed = [parse(path, texts[path])], []
        elif op == "rename":  # the same text under another path, as a file move does
            old = data.draw(st.sampled_from(present), label="old")
            path = data.draw(st.sampled_from(absent), label="new")
            texts[path] = texts.pop(old)
            changed, removed = [parse(path, texts[path])], [old]
        else:
            path = data.draw(st.sampled_from(present), label="path")
            texts[path] = STUB_TEXT
            changed, removed = [parse(path, STUB_TEXT)], []
        affected = model.update(changed, removed)
        step = f"{op} {path}"
        check_step(model, before_links, before_notes, affected, step)


def test_stub_text_parses_as_an_unedited_stub() -> None:
    assert parse("Ghost.md", STUB_TEXT).is_stub


def test_batch_of_several_changes_matches_a_fresh_build() -> None:
    texts = {
        "Alpha.md": "About the sourdough starter. About the rye flour. See [[Beta]].\n",
        "Beta.md": "About the sourdough starter. About the dark sky. See [[Ghost]].\n",
        "Gamma.md": "About the rye flour. About the dark sky.\n",
        "sub/Delta.md": "---\ntags: [baking]\n---\nAbout the sourdough starter.\n",
        "Theta.md": "---\ntags: [baking]\naliases: [Gus]\n---\nNothing else.\n",
    }
    model = VaultModel([parse(p, t) for p, t in texts.items()], CONFIG)
    before_links, before_notes = model.all_links(), dict(model.notes)
    affected = model.update(
        [
            parse("Alpha.md", "About the dark sky. See [[Gus]] and [[Ghost]].\n"),
            parse("sub/Epsilon.md", "About the rye flour twice. About the rye flour.\n"),
            parse("Ghost.md", STUB_TEXT),
        ],
        ["Gamma.md"],
    )
    check_step(model, before_links, before_notes, affected, "batch")


def test_a_model_given_the_scans_links_equals_one_that_resolves_them() -> None:
    texts = {
        "A.md": "# A\n\nSee [[B]] and [[Ghost]]. About the sourdough starter.\n",
        "sub/B.md": "# B\n\nAbout the sourdough starter. Back to [[A]].\n",
        "Stub.md": "---\nvaultlink: stub\n---\n",
        "C.md": "Links [[Stub]].\n",
    }
    notes = {p: note for p, t in texts.items() if (note := parse_text(p, t, CONFIG).note) is not None}
    links = fresh_links(notes)
    given = VaultModel(notes.values(), CONFIG, links)
    resolved = VaultModel(notes.values(), CONFIG)
    assert given.links == resolved.links
    assert given.all_links() == links
    assert (given.neighbours.outgoing, given.neighbours.incoming, given.citing) == (
        resolved.neighbours.outgoing,
        resolved.neighbours.incoming,
        resolved.citing,
    )


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.dictionaries(st.sampled_from(PATHS), note_texts(), min_size=1, max_size=len(PATHS)))
def test_neighbours_are_the_links_either_way_and_forget_them_all(texts: dict[str, str]) -> None:
    links = fresh_links({p: parse(p, t) for p, t in texts.items()})
    neighbours = Neighbours(links)
    out, into = outgoing(links), incoming(links)
    assert (dict(neighbours.outgoing), dict(neighbours.incoming)) == (out, into)
    either = neighbours.either_way()
    assert either == {p: out.get(p, set()) | into.get(p, set()) for p in out.keys() | into.keys()}
    assert all(neighbours.of(p) == either.get(p, set()) for p in PATHS)
    neighbours.remove(links)
    assert not neighbours.outgoing and not neighbours.incoming

