"""Issue 15's small-vault check: the five seed notes laid out as seed 003's own paths say
(``~/rdco-vault/06-reference/…``), plus four notes on unrelated subjects. At default settings the house
note (seed 003) should list its sibling notes on the episode, and nothing unrelated.

The seeds are read from ``../shared/seeds/`` when the vault is built (never copied into the project);
the four unrelated notes are written here.
"""

from __future__ import annotations

from pathlib import Path

from quality.common import ROOT

SEEDS = ROOT.parent / "shared" / "seeds"
HOUSE = "06-reference/2026-04-19-dwarkesh-ilya-sutskever-age-of-research.md"
SEED_PATHS = {
    "000": "06-reference/2026-04-19-the-age-of-scaling-is-over.md",
    "001": "06-reference/transcripts/2026-04-19-dwarkesh-ilya-sutskever-age-of-research-transcript.md",
    "002": "06-reference/2026-04-19-ilya-sutskever-moving-to-the-age-of-research.md",
    "003": HOUSE,
    "004": "06-reference/2026-04-19-notes-dwarkesh-patel-ilya-sutskever.md",
}
UNRELATED = {
    "04-personal/cooking/braised-lentils.md": (
        "# Braised lentils\n\nBrown the onions slowly, add green lentils, stock and a bay leaf, and braise for forty"
        " minutes. A spoon of vinegar at the end wakes the dish up. Good with rice or flatbread.\n"
    ),
    "04-personal/cooking/weeknight-bread.md": (
        "# Weeknight bread\n\nMix flour, water, salt and a little yeast in the morning; shape after work and bake"
        " in a hot covered pot. The crust needs the lid off for the last fifteen minutes.\n"
    ),
    "03-ops/disk-encryption.md": (
        "# Disk encryption\n\nThe laptop uses LUKS full disk encryption with a long passphrase. Keep the header"
        " backup offline; without it a damaged header means the data is gone.\n"
    ),
    "03-ops/backup-rotation.md": (
        "# Backup rotation\n\nDaily snapshots kept for a week, weekly ones for two months, and one copy off site."
        " Restores are tested every quarter on a spare disk.\n"
    ),
}


def available() -> bool:
    return all(any(SEEDS.glob(f"{number}_*")) for number in SEED_PATHS)


def build(parent: Path) -> Path:
    """The vault, named ``rdco-vault`` (the prefix its notes' bare paths use), in ``parent``."""
    root = parent / "rdco-vault"
    for number, rel in SEED_PATHS.items():
        (source,) = SEEDS.glob(f"{number}_*")
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(source.read_bytes())
    for rel, text in UNRELATED.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def verdict(listed: list[str]) -> str:
    """What the house note lists: siblings, unrelated notes, and the siblings it misses."""
    siblings = {p for p in SEED_PATHS.values() if p != HOUSE}
    found = [p for p in listed if p in siblings]
    unrelated = [p for p in listed if p in UNRELATED]
    return f"{len(found)} sibling(s) listed, {len(unrelated)} unrelated: " + (", ".join(listed) or "no block")
