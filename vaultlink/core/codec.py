"""ParsedNote <-> JSON text, for the scan cache.

JSON rather than pickle: the cache lives inside the vault, which other people or sync tools
may write to, and unpickling a crafted file would run code. Records are encoded as compact
positional lists (field order as declared) so a cached vault loads fast; any malformed input
raises ``ValueError``, and the caller then parses the note again instead of trusting it.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import Any

from vaultlink.core.note import (
    Diagnostic,
    Link,
    LinkKind,
    Note,
    PackedTerms,
    ParsedNote,
    Severity,
    Term,
    TermKind,
    packed_counts,
)


def encode_parsed(parsed: ParsedNote) -> str:
    note = parsed.note
    return json.dumps(
        [
            parsed.path,
            None if note is None else _encode_note(note),
            [[d.path, d.code, d.message, d.severity.value, d.lineno] for d in parsed.diagnostics],
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _encode_note(note: Note) -> list[Any]:
    return [
        note.path,
        note.title,
        note.aliases,
        note.tags,
        note.headings,
        [[x.target, x.kind.value, x.raw, x.heading, x.block, x.display] for x in note.links],
        [[t.key, t.label, t.kind.value, t.count] for t in note.terms],
        note.frontmatter_format,
        note.metadata_keys,
        note.body_offset,
        note.words,
        list(note.word_counts),
        note.is_stub,
        note.forms,
        base64.b64encode(note.pairs).decode("ascii"),
        base64.b64encode(note.lines).decode("ascii"),
        base64.b64encode(note.boilerplate).decode("ascii"),
        note.link_lines,
        note.language,
    ]


def decode_parsed(text: str) -> ParsedNote:
    """The ParsedNote ``encode_parsed`` wrote; ``ValueError`` for anything else."""
    try:
        path, note, diagnostics = json.loads(text)
        if type(diagnostics) is not list:
            raise ValueError("diagnostics are not a list")
        return ParsedNote(
            _str(path),
            None if note is None else _decode_note(note),
            tuple(Diagnostic(_str(p), _str(c), _str(m), Severity(s), _int(n)) for p, c, m, s, n in diagnostics),
        )
    except (TypeError, KeyError, AttributeError, RecursionError) as exc:  # wrong shapes: not our encoding
        raise ValueError(f"not a cached note: {exc}") from exc


_LINK_KINDS = {k.value: k for k in LinkKind}
_TERM_KINDS = {k.value: k for k in TermKind}


def _decode_note(fields: list[Any]) -> Note:
    path, title, aliases, tags, headings, links, terms, fm_format, keys, offset = fields[:10]
    words, counts, is_stub, forms, pairs, lines, boilerplate, link_lines, language = fields[10:]
    if type(links) is not list or type(terms) is not list or type(is_stub) is not bool:
        raise ValueError("links, terms or is_stub have the wrong type")
    if type(link_lines) is not list or len(link_lines) != len(links):
        raise ValueError("links and their lines do not pair up")
    if type(words) is not list or type(counts) is not list or len(words) != len(counts):
        raise ValueError("words and their counts do not pair up")
    # Built first and checked in one pass: this loop runs for every term of every cached note.
    link_rows = tuple(Link(t, _LINK_KINDS[k], r, h, b, d) for t, k, r, h, b, d in links)
    term_rows = [Term(key, label, _TERM_KINDS[kind], n) for key, label, kind, n in terms]
    if not all(type(x) is str for link in link_rows for x in (link[0], *link[2:])):
        raise ValueError("a link field is not a string")
    if not all(type(t[0]) is str and type(t[1]) is str and type(t[3]) is int for t in term_rows):
        raise ValueError("a term field has the wrong type")
    return Note(
        path=_str(path),
        title=_str(title),
        aliases=_strs(aliases),
        tags=_strs(tags),
        headings=_strs(headings),
        links=link_rows,
        terms=PackedTerms.of(term_rows).interned(),  # keys shared, as parsing shares them
        frontmatter_format=_str(fm_format),
        metadata_keys=_strs(keys),
        body_offset=_int(offset),
        is_stub=is_stub,
        words=tuple(sys.intern(w) for w in _strs(words)),  # shared, as parsing shares them
        word_counts=packed_counts(_ints(counts)),
        forms=tuple(sys.intern(f) for f in _strs(forms)),
        pairs=_packed(pairs, 4),
        lines=_packed(lines, 8),
        boilerplate=_packed(boilerplate, 8),
        link_lines=_ints(link_lines),
        language=sys.intern(_str(language)),
    )


def _packed(value: Any, size: int) -> bytes:
    """Packed numbers of ``size`` bytes each (pair codes: ``terms.packed_pairs``, line digests:
    ``evidence.line_digests``) from their base64 text."""
    try:
        packed = base64.b64decode(_str(value).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"packed numbers are not base64: {exc}") from exc
    if len(packed) % size:
        raise ValueError(f"packed numbers are not {size} bytes each")
    return packed


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {type(value).__name__}")
    return value


def _strs(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise ValueError(f"expected a list, got {type(values).__name__}")
    return tuple(_str(v) for v in values)


def _ints(values: Any) -> tuple[int, ...]:
    if not isinstance(values, list):
        raise ValueError(f"expected a list, got {type(values).__name__}")
    return tuple(_int(v) for v in values)
