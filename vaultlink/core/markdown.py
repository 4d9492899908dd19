"""A mistune parser that knows Obsidian's inline syntax.

Three small inline rules are registered on mistune's own parser (see mistune's
``plugins/url.py`` for the pattern), so that anything inside code spans and code blocks
is never mistaken for a link or a tag:

* ``wikilink``: ``[[target#heading^block|display]]`` and embeds ``![[…]]``;
* ``tag``: ``#tag`` and nested ``#a/b`` (not ``#123``, not ``a#b``);
* ``vault_path``: a bare path such as ``~/my-vault/folder/note.md``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import Match
from typing import Any

import mistune
from mistune.core import InlineState
from mistune.inline_parser import InlineParser

WIKILINK_PATTERN = r"!?\[\[[^\[\]\n]+?\]\]"
# Obsidian: a tag follows start or white space, may hold letters, digits, _, -, /,
# and must contain at least one character that is not a digit.
TAG_PATTERN = r"(?<![^\s(\[])#(?:[\w/-]*[^\W\d][\w/-]*)"
# A bare path may hold spaces (``~/vault/My note.md``); it ends at the first note extension.
_PATH_CHARS = r"[^\n\r\t<>()\[\]{}\"'`|*]"


def _vault_path_pattern(extensions: tuple[str, ...]) -> str:
    exts = "|".join(re.escape(e.lstrip(".")) for e in extensions)
    # The prefix has no spaces; the rest may, but never holds another "~/"; a sentence's
    # full stop may follow the extension ("see ~/v/x.md.") but no more name ("x.md.bak").
    return rf"(?<![\w/~])~/[^/\s~]+/(?:(?!~/){_PATH_CHARS})+?\.(?:{exts})(?!\w)(?!\.\w)"


def _parse_wikilink(inline: InlineParser, m: Match[str], state: InlineState) -> int:
    raw = m.group(0)
    embed = raw.startswith("!")
    inner = raw[3:-2] if embed else raw[2:-2]
    state.append_token({"type": "wikilink", "raw": raw, "attrs": {"inner": inner, "embed": embed}})
    return m.end()


def _parse_tag(inline: InlineParser, m: Match[str], state: InlineState) -> int:
    state.append_token({"type": "tag", "raw": m.group(0)})
    return m.end()


def _parse_vault_path(inline: InlineParser, m: Match[str], state: InlineState) -> int:
    state.append_token({"type": "vault_path", "raw": m.group(0)})
    return m.end()


def _obsidian_plugin(extensions: tuple[str, ...]) -> Any:
    def plugin(md: mistune.Markdown) -> None:
        md.inline.register("wikilink", WIKILINK_PATTERN, _parse_wikilink, before="link", start_chars=("!", "["))
        md.inline.register("tag", TAG_PATTERN, _parse_tag, before="link", start_chars="#")
        md.inline.register(
            "vault_path", _vault_path_pattern(extensions), _parse_vault_path, before="link", start_chars="~"
        )

    return plugin


@lru_cache(maxsize=8)
def markdown_parser(extensions: tuple[str, ...]) -> mistune.Markdown:
    """A cached AST-producing parser (mistune parsers are reusable across documents)."""
    return mistune.create_markdown(renderer=None, plugins=["table", _obsidian_plugin(extensions)])


def parse_ast(body: str, extensions: tuple[str, ...]) -> list[dict[str, Any]]:
    """The mistune token tree of a note body."""
    tokens, _state = markdown_parser(extensions).parse(body)
    assert isinstance(tokens, list)  # renderer=None gives the token list
    return tokens
