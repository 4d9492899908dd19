"""The evidence filter prototype: what of a note is the author's own, visible text.

vaultlink already leaves out code, raw HTML (so HTML comments) and its own blocks. This takes out, in
a copy of the vault that ranking then reads, what it still reads as prose although a reader never sees
it or the author did not write it:

- Obsidian comments ``%% … %%`` (hidden in reading view), and HTML comments;
- template placeholders: ``{{date}}``-style and Templater's ``<% … %>``;
- image alt text (``![github last commit](https://img.shields.io/…)``: badges), and embedded attachments,
  whose file names vaultlink reads as text (``![[Pasted image 20220907.png]]``);
- bare URLs, with a scheme or a plain domain and path (``https://twitter.com/…`` made "twitter https" a
  phrase, ``twitter.com/x`` "twitter com"): an address, not prose; a link's text stays;
- callout markers (``> [!TIP]``: the type, not the callout's text);
- boilerplate: a body line repeated verbatim in at least ``BOILERPLATE_NOTES`` notes (a footer, a
  template's prompt or heading, a type line such as "- A [[person]]."), found from the vault itself.
  Its links stay (the author made them); its words go.

Every match is replaced by the line breaks it held, so the note's block structure stays.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from vaultlink.app import VaultScan
from vaultlink.core.frontmatter import frontmatter_extent

BOILERPLATE_NOTES = 5
"""A line in this many notes is a pattern, not a statement about any two of them. A count, not a share
of the vault: a footer in 5 notes is boilerplate whether the vault has 9 notes or 100,000."""

_HIDDEN = re.compile(r"%%.*?%%|<!--.*?-->|\{\{.*?\}\}|<%.*?%>", re.S)
_IMAGE_ALT = re.compile(r"(!\[)[^\]\n]*(\]\()")
_ATTACHMENT = re.compile(r"!\[\[[^\]|\n]*\.(?!md\b)[A-Za-z0-9]{1,10}(?:\|[^\]\n]*)?\]\]")
_BARE_URL = re.compile(
    r"(?<!\]\()(?<!<)\b(?:https?|ftp)://[^\s)>\]]+|<(?:https?|ftp)://[^>\s]+>"
    r"|(?<![\w./@])(?:www\.)?[\w-]+\.(?:com|org|net|io|me|app|dev|co|de|info|edu|gov|ai|xyz|social|pub)/[^\s)>\]]*"
)
_CALLOUT = re.compile(r"^((?:[ \t]*>)+[ \t]*)\[![\w-]+\][+-]?", re.M)
_LINK = re.compile(r"!?\[\[[^\]\n]+\]\]|!?\[[^\]\n]*\]\([^)\n]*\)")
_WORD_CHARS = re.compile(r"\w")


def _blank(m: re.Match[str]) -> str:
    return "\n" * m.group(0).count("\n")


def visible(body: str) -> str:
    """``body`` without comments, placeholders, image alt text and callout markers."""
    body = _HIDDEN.sub(_blank, body)
    body = _ATTACHMENT.sub("", body)
    body = _BARE_URL.sub("", body)
    body = _IMAGE_ALT.sub(r"\1\2", body)
    return _CALLOUT.sub(r"\1", body)


def line_key(line: str) -> str:
    """A line as boilerplate is recognised: blanks collapsed; "" for a line with under 3 word characters."""
    key = " ".join(line.split())
    return key if len(_WORD_CHARS.findall(key)) >= 3 else ""


def boilerplate(bodies: Iterable[str], min_notes: int = BOILERPLATE_NOTES) -> frozenset[str]:
    """The line keys found in at least ``min_notes`` of the bodies (each body counted once)."""
    counts: Counter[str] = Counter()
    for body in bodies:
        counts.update({line_key(line) for line in body.splitlines()} - {""})
    return frozenset(key for key, n in counts.items() if n >= min_notes)


def without_boilerplate(body: str, lines: frozenset[str]) -> str:
    """``body`` with each boilerplate line replaced by its links alone."""
    if not lines:
        return body
    out = []
    for line in body.splitlines(keepends=True):
        if line_key(line) in lines:
            ending = line[len(line.rstrip("\r\n")) :]
            line = " ".join(_LINK.findall(line)) + ending
        out.append(line)
    return "".join(out)


def split_body(text: str) -> tuple[str, str]:
    """(frontmatter with its BOM, body): the filter never touches the frontmatter."""
    start = (1 if text.startswith("\ufeff") else 0) + frontmatter_extent(text.removeprefix("\ufeff"))
    return text[:start], text[start:]


def filtered_texts(scan: VaultScan) -> dict[str, str]:
    """Every note's text with only its author's visible evidence left in its body."""
    parts = {n.path: split_body(scan.sources.read(n.path).text) for n in scan.notes}
    shown = {path: visible(body) for path, (_, body) in parts.items()}
    lines = boilerplate(shown.values())
    return {path: parts[path][0] + without_boilerplate(body, lines) for path, body in shown.items()}


def filtered_copy(scan: VaultScan, dest: Path) -> Path:
    """A copy of the scanned vault (attachments and settings included) at ``dest``/<its name>, each
    note's body filtered."""
    copy = dest / scan.root.name
    shutil.copytree(scan.root, copy, symlinks=True, ignore=shutil.ignore_patterns(".vaultlink"))
    for path, text in filtered_texts(scan).items():
        target = copy / path
        if not target.is_symlink():
            target.write_bytes(text.encode("utf-8", "surrogatepass"))
    return copy
