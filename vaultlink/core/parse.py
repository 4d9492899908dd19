"""parse_note(path, data) -> ParsedNote: bytes of one file in, a Note record out.

Pure: no file system. Bad input never raises; it becomes a Diagnostic naming the file.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from vaultlink.core import terms as term_extraction
from vaultlink.core.blocks import remove_spans, scan_blocks
from vaultlink.core.config import Config
from vaultlink.core.evidence import NOT_PROSE, boilerplate_of, line_digests, shown_words, visible, without_lines
from vaultlink.core.frontmatter import EXPANSION_LIMIT, flatten_strings, frontmatter_extent, split_frontmatter
from vaultlink.core.language import note_language
from vaultlink.core.link_lines import line_at, lines_of_links
from vaultlink.core.markdown import parse_ast
from vaultlink.core.note import Diagnostic, Link, LinkKind, Note, ParsedNote, Severity, link_name, packed_counts

BOM = "\ufeff"
_BLOCK_BREAKS = frozenset({"paragraph", "heading", "block_text", "table_cell", "list_item", "block_quote"})
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def too_large(path: str, size: int, max_bytes: int) -> Diagnostic:
    return Diagnostic(path, "too-large", f"{size:,} bytes is over the {max_bytes:,}-byte limit; skipped")


def decode_note(path: str, data: bytes, max_bytes: int) -> str | Diagnostic:
    """Decode a note's bytes as UTF-8 (BOM allowed), or say why it can't be read as a note."""
    if len(data) > max_bytes:
        return too_large(path, len(data), max_bytes)
    if b"\x00" in data:
        return Diagnostic(path, "binary", "contains NUL bytes (not a text note); skipped")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Diagnostic(path, "invalid-utf8", f"not valid UTF-8 at byte {exc.start}; skipped")
    return text[1:] if text.startswith(BOM) else text


NO_BOILERPLATE: frozenset[int] = frozenset()


def parse_note(path: str, data: bytes, config: Config, boilerplate: frozenset[int] = NO_BOILERPLATE) -> ParsedNote:
    """Parse one file's bytes. ``path`` is vault-relative with ``/`` separators; ``boilerplate``
    holds the vault's boilerplate lines (``evidence.boilerplate``), which are read as no words."""
    text = decode_note(path, data, config.max_bytes)
    if isinstance(text, Diagnostic):
        return ParsedNote(path, None, (text,))
    return parse_text(path, text, config, boilerplate)


def shown_lines(data: bytes, max_bytes: int) -> bytes:
    """The digests of a file's shown lines (``evidence.line_digests``), as ``parse_note`` gives them in
    ``Note.lines``, for a fraction of its cost (none for a file it skips): what a vault's boilerplate
    is found from before the notes are parsed."""
    text = decode_note("", data, max_bytes)
    if isinstance(text, Diagnostic):
        return b""
    text = remove_spans(text, scan_blocks(text).blocks)
    return line_digests(visible(text[frontmatter_extent(text) :]))


def parse_key(data: bytes) -> str:
    """A digest of everything ``parse_note`` reads from a file's bytes (path and config aside).

    Two files with the same key parse to the same result: their text differs at most in
    well-formed managed blocks, which ``parse_text`` removes before reading anything. So a
    note whose Related block sync just rewrote keeps its key, and its cached parse.
    """
    text = decode_note("", data, len(data))
    if isinstance(text, Diagnostic):
        return "b" + hashlib.sha256(data).hexdigest()
    scan = scan_blocks(text)
    canonical = "\0".join([remove_spans(text, scan.blocks), *scan.problems])
    return "u" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def parse_text(path: str, text: str, config: Config, boilerplate: frozenset[int] = NO_BOILERPLATE) -> ParsedNote:
    """Parse decoded text (BOM removed)."""
    diagnostics: list[Diagnostic] = []
    scan = scan_blocks(text)
    # The note as it was before vaultlink wrote into it: what it wrote is never read back as
    # the user's words (GUIDE property 6), and ``parse_key`` relies on exactly this removal.
    # Removing from the whole text, not from the body, takes each block out with the very line
    # ending that was put before it, which may be the frontmatter's last (a note that is only
    # frontmatter) or follow a CR that the frontmatter's end split from its LF.
    text = remove_spans(text, scan.blocks)
    fm = split_frontmatter(text)
    if fm.error:
        message = f"invalid {fm.format.upper()} frontmatter: {fm.error}"
        diagnostics.append(Diagnostic(path, "frontmatter", message, lineno=fm.error_line))
    for problem in scan.problems:
        diagnostics.append(Diagnostic(path, "managed-block", problem, Severity.WARNING))
    body = text[fm.body_offset :]
    walk = _BodyWalk(config, _vault_prefixes(config))
    shown = visible(body)  # what a reader sees: ``core/evidence.py``
    walk.visit(parse_ast(shown, config.extensions))
    lines = line_digests(shown)
    hidden = boilerplate_of(lines, boilerplate)
    prose, first_h1 = walk.prose, walk.first_h1
    if hidden:  # its words and title without the boilerplate lines; its links and tags with them
        without = _BodyWalk(config, _vault_prefixes(config))
        without.visit(parse_ast(without_lines(shown, hidden), config.extensions))
        prose, first_h1 = without.prose, without.first_h1  # "# Text Elements" of every drawing is no title

    link_lines = lines_of_links(walk.links, shown, line_at(text, fm.body_offset))

    meta = fm.metadata
    reader = _MetaReader(meta)
    aliases = reader.aliases()
    tags = _dedupe(reader.tags(config.tag_keys) + walk.tags, key=str.casefold)
    for problem in reader.problems:
        diagnostics.append(Diagnostic(path, "frontmatter", f"{fm.format.upper()} frontmatter: {problem}"))
    own_name = link_name(path)
    title = _title(meta) or first_h1 or own_name
    names = [*aliases, title] if title != own_name else [*aliases, own_name]
    language = note_language(meta, prose, config.language)
    phrases, bag = term_extraction.analyse_prose(prose, {own_name, title, *aliases}, language)
    terms = term_extraction.select_terms(
        phrases,
        term_extraction.tag_terms(tags, language),
        term_extraction.name_terms(names, language),
        config.terms_per_note,
    )
    note = Note(
        path=path,
        title=title,
        aliases=tuple(aliases),
        tags=tuple(tags),
        headings=tuple(walk.headings),
        links=tuple(walk.links),
        terms=terms,
        frontmatter_format=fm.format,
        metadata_keys=tuple(str(k) for k in meta),
        body_offset=fm.body_offset,
        is_stub=is_unedited_stub(meta, body),
        words=bag.words,
        word_counts=packed_counts(bag.counts),
        forms=bag.forms,
        pairs=bag.pairs,
        lines=lines,
        boilerplate=hidden,
        link_lines=link_lines,
        language=language,
    )
    return ParsedNote(path, note, tuple(diagnostics))


STUB_MARK = {"vaultlink": "stub"}


def is_unedited_stub(meta: dict[str, Any], body_without_blocks: str) -> bool:
    """A stub vaultlink wrote, untouched since: only our frontmatter mark, no text outside
    managed blocks. Anything the user adds makes it their note."""
    return meta == STUB_MARK and not body_without_blocks.strip()


def is_stub_text(text: str) -> bool:
    """Does the note's own text make it an unedited stub (``is_unedited_stub``)? Deleting or
    rewriting a stub is decided from this, never from a parse alone: a parse may come from
    the cache, a file other programs can write."""
    text = text.removeprefix("\ufeff")
    scan = scan_blocks(text)
    if scan.problems:
        return False
    rest = remove_spans(text, scan.blocks)
    fm = split_frontmatter(rest)
    return not fm.error and is_unedited_stub(fm.metadata, rest[fm.body_offset :])


def _vault_prefixes(config: Config) -> frozenset[str]:
    return frozenset(p.strip("/~").casefold() for p in config.path_prefixes if p.strip("/~"))


class _BodyWalk:
    """One pass over mistune's token tree collecting links, tags, headings and prose."""

    def __init__(self, config: Config, prefixes: frozenset[str]) -> None:
        self.config = config
        self.prefixes = prefixes
        self.links: list[Link] = []
        self.tags: list[str] = []
        self.headings: list[str] = []
        self.first_h1 = ""
        self.prose: list[str] = []
        self._chunk: list[str] = []

    def visit(self, tokens: Iterable[dict[str, Any]]) -> None:
        for token in tokens:
            self._visit_one(token)
        self._flush()

    def _flush(self) -> None:
        if self._chunk:
            self.prose.append("".join(self._chunk))
            self._chunk = []

    def _visit_one(self, token: dict[str, Any]) -> None:
        kind = token["type"]
        if kind in NOT_PROSE:
            self._chunk.append("\n")
            return
        if kind in _BLOCK_BREAKS:
            self._flush()
        if kind == "heading":
            self._heading(token)
        elif kind == "text":
            self._chunk.append(shown_words(token["raw"]))
        elif kind in ("softbreak", "linebreak"):
            self._chunk.append("\n")
        elif kind == "wikilink":
            self._wikilink(token)
        elif kind == "tag":
            self.tags.append(token["raw"][1:])
        elif kind == "vault_path":
            self._vault_path(token["raw"])
        elif kind in ("link", "image"):
            self._markdown_link(token)
        if kind == "image":
            return  # its alt text is no evidence, and holds no link
        for child in token.get("children", ()):
            self._visit_one(child)
        if kind in _BLOCK_BREAKS:
            self._flush()

    def _heading(self, token: dict[str, Any]) -> None:
        text = "".join(_plain_text(token.get("children", ()))).strip()
        self.headings.append(text)
        if token["attrs"]["level"] == 1 and not self.first_h1:
            self.first_h1 = text

    def _wikilink(self, token: dict[str, Any]) -> None:
        inner = token["attrs"]["inner"].replace("\\|", "|")
        target, _, display = inner.partition("|")
        target, _, anchor = target.partition("#")
        heading, block = _split_anchor(anchor)
        target = target.strip()
        if not token["attrs"]["embed"]:  # an embed shows the note or file, not its name
            self._chunk.append(display or target or heading)
        if not target:  # [[#heading]] points into the note itself
            return
        kind = LinkKind.EMBED if token["attrs"]["embed"] else LinkKind.WIKILINK
        self.links.append(Link(target, kind, token["raw"], heading, block, display.strip()))

    def _vault_path(self, raw: str) -> None:
        prefix, _, rest = raw[2:].partition("/")
        if prefix.casefold() not in self.prefixes or not rest:
            self._chunk.append(raw)
            return
        self.links.append(Link(rest, LinkKind.PATH, raw))

    def _markdown_link(self, token: dict[str, Any]) -> None:
        url = token["attrs"].get("url", "")
        if _SCHEME.match(url) or url.startswith("//"):
            return  # http:, mailto:, obsidian: … are not notes in this vault
        parts = urlsplit(url)
        target = unquote(parts.path)
        heading, block = _split_anchor(unquote(parts.fragment))
        if not target or not self._looks_like_note(target):
            return
        kind = LinkKind.EMBED if token["type"] == "image" else LinkKind.MARKDOWN
        display = "".join(_plain_text(token.get("children", ()))).strip()
        self.links.append(Link(target, kind, url, heading, block, display))

    def _looks_like_note(self, target: str) -> bool:
        name = posixpath.basename(target.rstrip("/"))
        return self.config.is_note_name(name) or "." not in name


def _split_anchor(anchor: str) -> tuple[str, str]:
    """``Heading`` → (heading, ""); ``^id`` → ("", id); ``Heading^id`` → both."""
    heading, _, block = anchor.partition("^")
    return heading.strip(), block.strip()


def _plain_text(tokens: Iterable[dict[str, Any]]) -> Iterator[str]:
    for token in tokens:
        if "raw" in token and token["type"] not in ("block_code", "block_html"):
            yield token["raw"]
        yield from _plain_text(token.get("children", ()))


def _title(meta: dict[str, Any]) -> str:
    title = meta.get("title")
    return title.strip() if isinstance(title, str) else ""


class _MetaReader:
    """Reads list-of-strings values from parsed frontmatter, collecting what is wrong with them
    (a list that contains itself, an alias bomb) as one-line problems."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.meta = meta
        self.problems: list[str] = []

    def strings(self, key: str, value: Any) -> list[str]:
        flat = flatten_strings(value)
        if flat.cyclic:
            self.problems.append(f"'{key}' contains itself (an alias inside its own anchor); read once")
        elif flat.expanded > EXPANSION_LIMIT:
            self.problems.append(
                f"'{key}' stands for over {EXPANSION_LIMIT:,} values through aliases (an alias bomb?); "
                "each aliased list read once"
            )
        return list(flat.strings)

    def aliases(self) -> list[str]:
        key = "aliases" if "aliases" in self.meta else "alias"
        return _dedupe(self.strings(key, self.meta.get(key)))

    def tags(self, keys: tuple[str, ...]) -> list[str]:
        """Tags from the configured keys, at the top level and in a ``taxonomies`` table (Zola's
        TOML ``[taxonomies] tags = [...]``). A string value may hold several tags."""
        found: list[str] = []
        nested = self.meta.get("taxonomies")
        tables = [("", self.meta), ("taxonomies.", nested)] if isinstance(nested, dict) else [("", self.meta)]
        for prefix, table in tables:
            for key in keys:
                value = table.get(key)
                if isinstance(value, str):
                    found.extend(t for t in re.split(r"[,\s]+", value) if t)
                else:
                    found.extend(self.strings(prefix + key, value))
        return [t.lstrip("#") for t in found if t.lstrip("#")]


def _dedupe(items: Iterable[str], key: Any = None) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        k = key(item) if key else item
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out
