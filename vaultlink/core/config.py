"""Settings, as plain data. Loading them from files is the adapter's job (``vaultlink.config``)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_EXTENSIONS: tuple[str, ...] = (".md", ".markdown")
DEFAULT_TAG_KEYS: tuple[str, ...] = ("tags", "tag", "labels", "categories", "keywords")


@dataclass(frozen=True)
class Rule:
    """A ``[[rules]]`` entry of ``.vaultlink.toml``: what vaultlink may do with the notes ``glob``
    matches (gitignore syntax). None leaves a setting to the rules before it (default: allowed)."""

    glob: str
    write: bool | None = None
    """Write Related and Backlinks blocks into these notes, and stubs at these paths."""
    suggest: bool | None = None
    """List these notes in other notes' Related blocks."""
    stubs: bool | None = None
    """Let the links written in these notes ask for stubs."""


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
    new_link_format: str = "shortest"
    """Obsidian's "New link format": "shortest", "relative" or "absolute"."""
    # Obsidian's templates (core Templates, Templater, the daily note's template): folders and
    # files vaultlink never reads, writes or suggests; links to them still resolve.
    templates: tuple[str, ...] = ()
    # Obsidian's Daily notes: their folder and moment.js date format ("" when not in use).
    daily_folder: str = ""
    daily_format: str = ""
    rules: tuple[Rule, ...] = ()
    related_heading: str = "Related"
    """The heading vaultlink writes above a Related list (``## Related``)."""
    backlinks_heading: str = "Backlinks"
    """The heading vaultlink writes above a Backlinks list (``## Backlinks``)."""
    reason_words: tuple[tuple[str, str], ...] = ()
    """The words a Related entry's reasons are written in, each for the English label it replaces
    (``[reason_words]``: ``rank.reasons.REASON_WORDS``'s keys); those not set stay English."""
    language: str = "auto"
    """The language notes are read in (an ISO 639-1 code), or "auto": each note's own, detected
    (``core/language.py``). A note's frontmatter ``lang`` or ``language`` comes first."""
    # What sync writes (each overridable on the command line).
    related_top: int = 5
    related_min_score: float = 0.0
    backlinks: bool = True
    stub_links: tuple[str, ...] = ("wikilink", "path")
    stub_min_citers: int = 2
    """A missing note gets a stub when this many notes link to it (or one asks to create it)."""
    stub_limit: int = 100
    """More new stubs than this in one run: none is made (``sync --all-stubs`` makes them)."""
    backlinks_limit: int = 50
    """Entries a Backlinks block lists at most, then a line saying how many more link here."""

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
