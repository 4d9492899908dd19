"""What the Related entries a plain sync writes rest on, counted by issue 15's five causes.

Run by hand: ``python benchmarks/related_causes.py [VAULT ...]`` (default: ``../shared/vaults/*`` and
sample_vault). Each vault is synced in a temporary copy (``quality/written.py``); every written entry is
then checked for each cause (an entry can have several):

1. **invisible**: a reason names a word or phrase that one of the two notes holds only in text a reader
   never sees or the author did not write (comments, placeholders, alt text, callout markers,
   boilerplate lines: ``rankers/evidence.py``);
2. **one-word name**: the entry rests on a mention (no shared phrase) that is no mention once a one-word
   name counts only where the vault uses it as a name, and names are found as phrases
   (``rankers/mentions.py``): "mentioned here" for every note that writes "journal";
3. **shared name word**: all the entry's words are words of both notes' names, and it has no mention of a
   whole name of several words: two people called Alex, a "Turner" for "Colin Turner";
4. **unusable reason**: the reason line is thin (only unnamed shared links, or one word that is not a
   mentioned name, or nothing);
5. **phrase names missed** (the other way): note pairs where one note writes the other's name of several
   words as a phrase, but ranking v2.1 finds no mention between them; how many of them a sync lists.

The per-entry rules are automatic; ``docs/related_quality.md`` gives what reading the blocks by eye found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import written
from quality.common import copy_vault, default_vaults, scan_vault
from rankers import evidence, mentions
from rankers.parts import Parts

from vaultlink import app
from vaultlink.core.rank import NAMED_HERE, NAMES_THIS_NOTE, RankIndex

CAUSES = ("invisible", "one-word name", "shared name word", "unusable reason")


def causes_of(
    vault: Path, work: Path, tagged: list[tuple[written.Entry, tuple[str, ...]]] | None = None
) -> tuple[int, Counter[str], dict[str, int]]:
    """(entries, entries by cause, the phrase-name misses) of one vault; each entry with its causes
    appended to ``tagged`` if given."""
    copy = copy_vault(vault, work)
    scan = scan_vault(copy)
    app.sync(copy)
    entries = written.read_written(copy, scan).entries
    notes = scan.linked_notes
    row = {n.path: i for i, n in enumerate(notes)}
    raw = {n.path: evidence.split_body(scan.sources.read(n.path).text)[1].casefold() for n in notes}
    shown = {p: evidence.split_body(t)[1].casefold() for p, t in evidence.filtered_texts(scan).items()}
    phrase = mentions.mentions(scan, notes)
    names = {n.path: {w for name in mentions.name_tokens(n) for w in name} for n in notes}
    counts: Counter[str] = Counter()
    for e in entries:
        if not e.listed:
            continue
        found: set[str] = set()
        labels = [r for r in e.reasons if r not in (NAMED_HERE, NAMES_THIS_NOTE, written.SHARED_LINKS)]
        if any(_only_unseen(label, raw[p], shown.get(p, "")) for label in labels for p in (e.note, e.listed)):
            found.add("invisible")
        a, b = row[e.note], row[e.listed]
        said = (NAMED_HERE in e.reasons, NAMES_THIS_NOTE in e.reasons)
        kept = ((a, b) in phrase.strict_found, (b, a) in phrase.strict_found)
        if any(said) and not any(s and k for s, k in zip(said, kept, strict=True)) and not _phrases(labels):
            found.add("one-word name")
        shared = names[e.note] & names[e.listed]
        words = {t for label in labels for t in mentions.tokens(label)}
        whole = [phrase.found[pair] if pair in phrase.strict_found else () for pair in ((a, b), (b, a))]
        if shared and words <= shared and not any(len(w) > 1 for w in whole) and (words or any(said)):
            found.add("shared name word")
        if written.evidence_kind(e.reasons) in written.THIN:
            found.add("unusable reason")
        counts.update(found)
        counts["any"] += bool(found)
        if tagged is not None:
            tagged.append((e, tuple(sorted(found))))
    return len(entries), counts, _missed(scan, notes, phrase, entries)


def _only_unseen(label: str, raw: str, shown: str) -> bool:
    pattern = re.compile(r"(?<!\w)" + re.escape(label.casefold()) + r"(?!\w)")
    return bool(pattern.search(raw)) and not pattern.search(shown)


def _phrases(labels: Sequence[str]) -> bool:
    return any(" " in label for label in labels)


def _missed(
    scan: app.VaultScan, notes: Sequence[object], phrase: mentions.Mentions, entries: Sequence[written.Entry]
) -> dict[str, int]:
    """Pairs where one note writes the other's multi-word name as a phrase but v2.1 finds no mention."""
    index = RankIndex(scan.notes, scan.links, scan.config)
    v21 = Parts.of(index).mentions
    order = {p: i for i, p in enumerate(index.paths)}
    paths = [n.path for n in scan.linked_notes]
    listed = {(e.note, e.listed) for e in entries} | {(e.listed, e.note) for e in entries}
    missed = [
        (paths[a], paths[b])
        for (a, b), name in phrase.found.items()
        if len(name) > 1 and not mentions.one_word(name) and v21[order[paths[a]], order[paths[b]]] == 0
    ]
    return {
        "phrase mentions": sum(1 for name in phrase.found.values() if len(name) > 1 and not mentions.one_word(name)),
        "missed by v2.1": len(missed),
        "of them listed anyway": sum(1 for pair in missed if pair in listed),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("vaults", type=Path, nargs="*", help="default: ../shared/vaults/* and sample_vault")
    parser.add_argument("--dump", type=Path, metavar="DIR", help="every entry and its causes: DIR/<vault>.causes.jsonl")
    args = parser.parse_args(argv)
    print(
        "| vault | entries | "
        + " | ".join(CAUSES)
        + " | any of them | phrase names: found / missed by v2.1 / listed anyway |"
    )
    print("|---|---|" + "---|" * (len(CAUSES) + 2))
    for vault in (v for v in (args.vaults or default_vaults()) if v.is_dir()):
        tagged: list[tuple[written.Entry, tuple[str, ...]]] = []
        with tempfile.TemporaryDirectory(prefix="vaultlink-causes-") as tmp:
            total, counts, missed = causes_of(vault, Path(tmp), tagged)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            with (args.dump / f"{vault.resolve().name}.causes.jsonl").open("w", encoding="utf-8") as out:
                for e, found in tagged:
                    row = {"note": e.note, "listed": e.listed, "reasons": e.reasons, "causes": found}
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        cells = " | ".join(f"{counts[c]} ({counts[c] / max(total, 1):.1%})" for c in (*CAUSES, "any"))
        print(
            f"| {vault.resolve().name} | {total} | {cells} | {missed['phrase mentions']} / {missed['missed by v2.1']}"
            f" / {missed['of them listed anyway']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
