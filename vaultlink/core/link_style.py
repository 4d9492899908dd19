"""LinkStyle: how the vault writes a link to a note, in the entries vaultlink writes."""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from urllib.parse import quote

from vaultlink.core.config import Config
from vaultlink.core.note import link_name
from vaultlink.core.resolve import fold


class LinkStyle:
    """How the vault writes links (``link`` formats one; nothing is written here): wikilinks
    with the shortest unambiguous name (as Obsidian's "shortest" setting; its "absolute" one: the
    vault path), markdown links when Obsidian is set to them, and ``~/prefix/path.md`` in a
    Related list whose entries are written that way."""

    def __init__(self, paths: Iterable[str], config: Config) -> None:
        self.config = config
        self.name_counts: dict[str, int] = defaultdict(int)
        for path in paths:
            self.name_counts[fold(link_name(path))] += 1

    def link(self, target: str, source: str, path_prefix: str = "") -> str:
        if path_prefix and not re.search(r"[\r\n]", target):  # an entry is one line
            return f"~/{path_prefix}/{target}"
        absolute = self.config.new_link_format == "absolute"  # Obsidian's "New link format"
        name = (
            link_name(target)
            if self.name_counts[fold(link_name(target))] == 1 and not absolute
            else self.config.without_extension(target)
        )
        if self.config.use_markdown_links or not _wikilink_safe(name):
            relative = target if absolute else posixpath.relpath(target, posixpath.dirname(source) or ".")
            return f"[{_md_text(link_name(target))}]({quote(relative, safe='/')})"
        return f"[[{name}]]"


def _wikilink_safe(name: str) -> bool:
    return not re.search(r"[\[\]|#^\r\n]|-->|<!--", name) and name == name.strip()


def _md_text(text: str) -> str:
    """A link's visible text: brackets escaped, and on one line (an entry is one line of a block)."""
    one_line = re.sub(r"[\r\n]+", " ", text)
    return re.sub(r"([\[\]\\])", r"\\\1", one_line).replace("<!--", "&lt;!--")
