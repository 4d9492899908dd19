"""A note's terms and word counts are stored packed and read back as what they were."""

from __future__ import annotations

import pickle
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vaultlink.core.codec import decode_parsed, encode_parsed
from vaultlink.core.note import LABEL_SEPARATOR, NO_TERMS, Note, PackedTerms, ParsedNote, Term, TermKind, packed_counts

# Any text, the separator the packing uses most likely of all; counts beyond what one character holds.
_TEXT = st.text(alphabet=st.sampled_from(["a", " ", "é", "\x00", "😀", LABEL_SEPARATOR]) | st.characters(), max_size=12)
_TERM = st.builds(
    Term,
    _TEXT,
    _TEXT,
    st.sampled_from(list(TermKind)),
    st.integers(min_value=0, max_value=1 << 40) | st.integers(min_value=0, max_value=5),
)
_TERMS = st.lists(_TERM, max_size=12) | st.lists(_TERM.map(lambda t: t._replace(label=t.key)), max_size=4)


@given(_TERMS)
def test_packed_terms_read_back_as_given(terms: list[Term]) -> None:
    packed = PackedTerms.of(terms)
    assert list(packed) == terms
    assert len(packed) == len(terms) and bool(packed) == bool(terms)
    assert packed.keys == tuple(t.key for t in terms)
    assert list(packed.counted_keys()) == [(t.key, t.kind, t.count) for t in terms]
    assert [packed.count_at(k) for k in range(len(terms))] == [t.count for t in terms]
    assert [packed[k] for k in range(len(terms))] == terms
    assert all(type(t) is Term and type(t.kind) is TermKind for t in packed)


@given(_TERMS, _TERMS)
def test_packings_are_equal_exactly_when_the_terms_are(a: list[Term], b: list[Term]) -> None:
    assert (PackedTerms.of(a) == PackedTerms.of(b)) == (a == b)
    if a == b:
        assert hash(PackedTerms.of(a)) == hash(PackedTerms.of(b))


@given(_TERMS)
def test_packed_terms_survive_pickling_and_the_cache(terms: list[Term]) -> None:
    packed = PackedTerms.of(terms)
    assert pickle.loads(pickle.dumps(packed)) == packed  # how parser workers send them
    parsed = ParsedNote("a.md", Note("a.md", "a", terms=packed))
    decoded = decode_parsed(encode_parsed(parsed))
    assert decoded == parsed
    assert decoded.note is not None and list(decoded.note.terms) == terms


def test_labels_equal_to_their_key_are_not_stored() -> None:
    packed = PackedTerms.of([Term("a b", "a b", TermKind.PHRASE, 2), Term("b c", "B c", TermKind.ENTITY, 1)])
    assert packed.labels == "B c"
    assert isinstance(packed.codes, str)


def test_keys_can_be_shared_or_interned() -> None:
    key = "".join(["research", " taste"])  # built at run time: neither interned nor shared yet
    packed = PackedTerms.of([Term(key, key, TermKind.PHRASE, 2)])
    assert packed.interned().keys[0] is sys.intern("research taste")
    pool = {"research taste": "research taste"}
    shared = packed.shared(pool)
    assert shared == packed and shared.keys[0] is pool["research taste"]
    other = PackedTerms.of([Term("x y", "X y", TermKind.ENTITY, 1)]).shared(pool)
    assert other.keys[0] is pool["x y"] and list(other) == [Term("x y", "X y", TermKind.ENTITY, 1)]


def test_a_label_holding_the_separator_keeps_the_labels_apart() -> None:
    terms = [Term("a", f"x{LABEL_SEPARATOR}y", TermKind.ALIAS, 1), Term("b", "z", TermKind.TAG, 3)]
    packed = PackedTerms.of(terms)
    assert packed.labels == (f"x{LABEL_SEPARATOR}y", "z")
    assert list(packed) == terms


def test_counts_whose_code_is_a_surrogate_survive_pickling() -> None:
    terms = [Term("a", "a", TermKind.PHRASE, 0xD800 >> 3), Term("b", "B", TermKind.TAG, 0xDFFF >> 3)]
    packed = PackedTerms.of(terms)
    assert isinstance(packed.codes, str)
    assert list(pickle.loads(pickle.dumps(packed))) == terms


def test_no_terms() -> None:
    assert PackedTerms.of([]) == NO_TERMS and list(NO_TERMS) == [] and not NO_TERMS


def test_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        PackedTerms.of([Term("a", "a", TermKind.PHRASE, -1)])


@given(st.lists(st.integers(min_value=0, max_value=300) | st.integers(min_value=1, max_value=3)))
def test_word_counts_are_packed_as_bytes_when_they_fit(counts: list[int]) -> None:
    packed = packed_counts(counts)
    assert list(packed) == counts and len(packed) == len(counts)
    assert isinstance(packed, bytes) == all(c < 256 for c in counts)
    assert packed_counts(iter(counts)) == packed
