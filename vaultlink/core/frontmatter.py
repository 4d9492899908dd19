"""Split a note into frontmatter and body with python-frontmatter's handlers.

python-frontmatter ships a TOML handler only when the unmaintained ``toml`` package is
installed, and otherwise silently treats ``+++`` blocks as body text. We register our own
handler backed by the standard library's ``tomllib`` so TOML frontmatter really parses.
We only ever *read* frontmatter: nothing here serialises it back.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, JSONHandler, YAMLHandler


class TOMLHandler(BaseHandler):
    """Read-only TOML frontmatter between ``+++`` lines, parsed by ``tomllib``."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


class JSONObjectHandler(JSONHandler):
    """JSON frontmatter: one JSON object at the top of the note.

    python-frontmatter's JSON handler ends the object at the first line holding only
    ``}`` (wrong for nested objects) and misses ``{`` followed by CRLF; the standard
    library's ``raw_decode`` finds the object's real end.
    """

    def split(self, text: str) -> tuple[str, str]:
        try:
            _, end = json.JSONDecoder().raw_decode(text)
        except (json.JSONDecodeError, RecursionError):  # nested past the interpreter's limit: unparseable too
            # Unparseable: the frontmatter runs to the first closing-brace line, as before,
            # so its error is reported and the body after it is still read.
            match = re.search(r"^\}\r?$", text, re.MULTILINE)
            if match is None:
                raise ValueError("no end of JSON frontmatter") from None
            end = match.end()
        rest = text[end:]
        newline = re.match(r"[ \t]*\r?\n", rest)
        return text[:end], rest[newline.end() :] if newline else rest


# Frontmatter must open on the note's very first line, as in Obsidian, Hugo and Zola.
_OPENERS: tuple[tuple[str, str, BaseHandler], ...] = (
    ("yaml", "---", YAMLHandler()),
    ("toml", "+++", TOMLHandler()),
    ("json", "{", JSONObjectHandler()),
)


@dataclass(frozen=True)
class Frontmatter:
    """``format`` is "" when the note has none; ``body_offset`` indexes the body in the text;
    ``error_line`` is the note's line the parser's ``error`` is on (0 when it says none)."""

    format: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    body_offset: int = 0
    error: str = ""
    error_line: int = 0


def _first_line(text: str) -> str:
    end = text.find("\n")
    return (text if end < 0 else text[:end]).rstrip("\r").rstrip()


def split_frontmatter(text: str) -> Frontmatter:
    """Find and parse the frontmatter at the start of ``text`` (BOM already removed).

    An opening delimiter without a closing one is not frontmatter (Obsidian agrees), so
    the whole text is body. Frontmatter that fails to parse keeps its extent, so the body
    is still read, and carries the parser's error for a diagnostic.
    """
    found = _find(text)
    if found is None:
        return Frontmatter()
    name, handler, fm, offset = found
    try:
        data = handler.load(fm)
    except Exception as exc:
        return Frontmatter(name, {}, offset, _one_line(exc), _error_line(exc))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return Frontmatter(name, {}, offset, "frontmatter is not a mapping of keys to values")
    return Frontmatter(name, data, offset)


def frontmatter_extent(text: str) -> int:
    """Where the body starts, without parsing the frontmatter (cheap: for cache keys)."""
    found = _find(text)
    return 0 if found is None else found[3]


def _find(text: str) -> tuple[str, BaseHandler, str, int] | None:
    """(format, handler, frontmatter text, body offset) of the frontmatter, if there is one."""
    # (A parser's RecursionError on deep nesting is an Exception: ``split_frontmatter`` reports it.)
    first = _first_line(text)
    for name, opener, handler in _OPENERS:
        if not _opens(first, opener):
            continue
        try:
            fm, content = handler.split(text)
        except ValueError:
            return None
        return name, handler, fm, len(text) - len(content)
    return None


def _opens(first_line: str, opener: str) -> bool:
    if opener == "{":
        return first_line == "{"
    return len(first_line) >= 3 and set(first_line) == {opener[0]}


def _error_line(exc: Exception) -> int:
    """The note's line a YAML error is on (the frontmatter text starts on the opening ``---``
    line, so its line N is the note's N+1); 0 for another parser's error."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        return exc.problem_mark.line + 1
    return 0


def _one_line(exc: Exception) -> str:
    """The parser's error as one line a person reads. PyYAML's own text names positions in
    ``"<unicode string>"`` over several lines; its line is told apart (``_error_line``, which
    ``check`` prints before the message), and a second position as the note's line number."""
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        told = exc.problem or "cannot be read"
        if exc.context and exc.context_mark is not None and exc.context_mark.line != exc.problem_mark.line:
            told += f" ({exc.context} on line {exc.context_mark.line + 1})"
        elif exc.context:
            told += f" ({exc.context})"
        return " ".join(told.split())
    return " ".join(str(exc).split())


# More values than this from one frontmatter key, counting every alias as a copy, is reported.
EXPANSION_LIMIT = 10_000


@dataclass(frozen=True)
class FlatStrings:
    """A frontmatter value flattened to its strings. ``expanded`` is how many values reading
    every YAML alias as a copy would give (at most ``EXPANSION_LIMIT + 1``); ``cyclic`` says a
    list contains itself (``&a [x, *a]``)."""

    strings: tuple[str, ...]
    expanded: int
    cyclic: bool


def flatten_strings(value: Any) -> FlatStrings:
    """The non-empty strings (and numbers, as strings) of ``value``: a string, a number, or
    lists of them nested to any depth, in document order.

    YAML aliases make a value a graph, not a tree: ``tags: *l7`` may stand for 9**8 strings
    in a few hundred bytes (an alias bomb) and ``&a [x, *a]`` for infinitely many. So each
    list is read once, however many times it is referred to (its strings are out already,
    and callers drop repeats anyway), one that contains itself is not entered again, and
    the walk is a loop, not a recursion: the work is linear in the frontmatter's size.
    """
    strings: list[str] = []
    sizes: dict[int, int] = {}  # lists read: how many values each stands for
    on_path: set[int] = set()
    cyclic = False
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        item, leaving = stack.pop()
        if leaving:
            on_path.discard(id(item))
            sizes[id(item)] = _expanded_size(item, sizes)
        elif not isinstance(item, (list, tuple)):
            strings.extend(_scalar_strings(item))
        elif id(item) in on_path:
            cyclic = True
        elif id(item) not in sizes:
            on_path.add(id(item))
            stack.append((item, True))
            stack.extend((child, False) for child in reversed(item))
    expanded = sizes.get(id(value), 0) if isinstance(value, (list, tuple)) else len(strings)
    return FlatStrings(tuple(strings), expanded, cyclic)


def _expanded_size(items: list[Any] | tuple[Any, ...], sizes: dict[int, int]) -> int:
    """How many values ``items`` stands for with every alias copied, saturating just over the
    limit (a list that contains itself counts as nothing more)."""
    total = 0
    for child in items:
        total += sizes.get(id(child), 0) if isinstance(child, (list, tuple)) else 1
        if total > EXPANSION_LIMIT:
            return EXPANSION_LIMIT + 1
    return total


def _scalar_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    return []
