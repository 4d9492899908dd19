"""Settings, as plain data. Loading them from files is the adapter's job (``vaultlink.config``)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EXTENSIONS: tuple[str, ...] = (".md", ".markdown")
DEFAULT_TAG_KEYS: tuple[str, ...] = ("tags", "tag", "labels", "categories", "keywords")


@dataclass(frozen=True)
class Config:
    """Everything that changes how a vault is read.

    ``path_prefixes`` are the folder names that start a bare vault path such as
    ``~/rdco-vault/02-strategy/x.md``; the vault folder's own name is always one of them.
    """

    extensions: tuple[str, ...] = DEFAULT_EXTENSIONS
    ignore: tuple[str, ...] = ()
    obsidian_ignore: tuple[str, ...] = ()
    path_prefixes: tuple[str, ...] = ()
    max_bytes: int = 5 * 1024 * 1024
    tag_keys: tuple[str, ...] = DEFAULT_TAG_KEYS
    # Concept extraction: a term shared by fewer than ``min_df`` notes, or by more than
    # ``max_df_ratio`` of all notes, relates nothing.
    min_df: int = 2
    max_df_ratio: float = 0.25
    terms_per_note: int = 40
    # Obsidian's settings for where a new note goes: "root", "current" or "folder".
    new_file_location: str = "root"
    new_file_folder: str = ""
    use_markdown_links: bool = False
    # What sync writes (each overridable on the command line).
    related_top: int = 5
    related_min_score: float = 0.0
    backlinks: bool = True
    stub_links: tuple[str, ...] = ("wikilink", "path")

    def without_extension(self, path: str) -> str:
        """``path`` without its note extension, if it has one."""
        lower = path.lower()
        for ext in self.extensions:
            if lower.endswith(ext):
                return path[: -len(ext)]
        return path

    def is_note_name(self, name: str) -> bool:
        """Does this file name have one of the note extensions (case-insensitive)?"""
        lower = name.lower()
        return any(lower.endswith(ext) for ext in self.extensions)
