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
    """How the vault writes links, as Obsidian writes a new one (``link`` formats one; nothing is
    written here): wikilinks, or markdown links when Obsidian is set to them (``useMarkdownLinks``),
    and ``~/prefix/path.md`` in a Related list whose entries are written that way.

    The path a link names follows Obsidian's "New link format" (``newLinkFormat``), as its
    ``fileToLinktext`` builds it: "shortest" (the default) the file name where no other note has
    it, else the vault path; "relative" the path from the linking note's folder (``../`` up to
    the folder both are in); "absolute" the vault path. A wikilink drops the ``.md``; a markdown
    link keeps it, URL-encoded, with the note's name as its text: ``[[sub/Note]]``,
    ``[Note](sub/Note.md)``. Two departures, where Obsidian's own form would be read as another
    note (``resolve.py`` reads a markdown link's path from the linking note's folder first, and a
    wikilink's as a name): a relative wikilink inside the linking note's folder whose name is not
    unique starts ``./``, and a markdown link's vault path that would name another note from that
    folder is written relative.
    """

    def __init__(self, paths: Iterable[str], config: Config) -> None:
        self.config = config
        self.name_counts: dict[str, int] = defaultdict(int)
        self.folded: set[str] = set()
        for path in paths:
            self.name_counts[fold(link_name(path))] += 1
            self.folded.add(fold(path))

    def link(self, target: str, source: str, path_prefix: str = "") -> str:
        if path_prefix and not re.search(r"[\r\n]", target):  # an entry is one line
            return f"~/{path_prefix}/{target}"
        unique = self.name_counts[fold(link_name(target))] == 1
        name = self.config.without_extension(self._linktext(target, source, unique))
        if self.config.use_markdown_links or not _wikilink_safe(name):
            return f"[{_md_text(link_name(target))}]({quote(self._markdown_path(target, source, unique), safe='/')})"
        if self.config.new_link_format == "relative" and not unique and not name.startswith("../"):
            name = f"./{name}"  # the same name elsewhere: a bare "c/Note" would be read as a name
        return f"[[{name}]]"

    def _linktext(self, target: str, source: str, unique: bool) -> str:
        """The path Obsidian's "New link format" gives a link to ``target`` from ``source``."""
        link_format = self.config.new_link_format
        if link_format == "relative":
            return posixpath.relpath(target, posixpath.dirname(source) or ".")
        if link_format == "shortest" and unique:
            return target.rsplit("/", 1)[-1]
        return target

    def _markdown_path(self, target: str, source: str, unique: bool) -> str:
        path = self._linktext(target, source, unique)
        folder = posixpath.dirname(source)
        if path == target and folder and fold(posixpath.join(folder, path)) in self.folded:
            return posixpath.relpath(target, folder)  # read from the folder, the vault path is another note
        return path


def _wikilink_safe(name: str) -> bool:
    return not re.search(r"[\[\]|#^\r\n]|-->|<!--", name) and name == name.strip()


def _md_text(text: str) -> str:
    """A link's visible text: brackets escaped, and on one line (an entry is one line of a block)."""
    one_line = re.sub(r"[\r\n]+", " ", text)
    return re.sub(r"([\[\]\\])", r"\\\1", one_line).replace("<!--", "&lt;!--")
