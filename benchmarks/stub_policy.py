"""The figures behind the stub policy (docs/config.md): how many stubs a first sync of a vault
would make, by how many notes cite each missing note, and what the policy keeps of them.

Run by hand, read-only (nothing is written):

    python benchmarks/stub_policy.py VAULT [VAULT ...]

For each vault: the notes; the missing notes a link kind that asks for stubs (wikilinks, bare
paths) leads to, by number of distinct citing notes; those whose name no stub may have (what
Obsidian, macOS or Windows refuse, near-misses of an existing note, daily notes); and the stubs
the policy makes at ``stub_min_citers`` 1, 2 and 3, and whether the per-run limit holds them.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses

from vaultlink import app
from vaultlink.core.plan import SyncOptions
from vaultlink.core.resolve import Outcome, fold
from vaultlink.core.stubs import WantedStub, hold_new_stubs, near_miss, near_names, wanted_stubs


def report(path: str) -> None:
    scan = app.scan_vault(path, cache=app.NO_CACHE)
    config = scan.config
    options = SyncOptions.from_config(config)
    near = near_names(n.path for n in scan.linked_notes)
    cited: dict[str, WantedStub] = {}  # every missing note a link asks for: what sync did before
    for r in scan.links:
        if r.resolution.outcome is Outcome.MISSING and r.link.kind in options.stub_kinds:
            stub = cited.setdefault(fold(r.resolution.target), WantedStub(r.resolution.target))
            stub.citers.setdefault(r.source, r.link)
    by_count = collections.Counter(min(len(s.citers), 6) for s in cited.values())
    policy = options.stub_policy(config)
    refused = collections.Counter(
        _why(policy.refusal(s.path, near), s.path, near) for s in cited.values() if policy.refusal(s.path, near)
    )
    print(f"{path}: {len(scan.notes)} notes, {len(cited)} stubs asked for by any link")
    print("  by citing notes: " + ", ".join(f"{'6+' if k == 6 else k}: {by_count[k]}" for k in sorted(by_count)))
    print("  refused names: " + (", ".join(f"{why} {n}" for why, n in refused.most_common()) or "none"))
    stubs = {fold(n.path) for n in scan.notes if n.is_stub}
    for citers in (1, 2, 3):
        chosen = dataclasses.replace(policy, min_citers=citers)
        wanted = wanted_stubs(scan.links, chosen, scan.scopes, near)
        _, held = hold_new_stubs(wanted, stubs, options.stub_limit)
        top = sorted(wanted.values(), key=lambda s: (-len(s.citers), s.path))[:4]
        shown = ", ".join(f"{s.path} ({len(s.citers)})" for s in top)
        verdict = f"held: over the limit of {options.stub_limit}" if held else "made"
        print(f"  min_citers {citers}: {len(wanted)} stubs, {verdict}; most cited: {shown}")


def _why(refusal: str, path: str, near: dict[str, str]) -> str:
    if near_miss(path, near):
        return "near-miss"
    if refusal.startswith("a daily note"):
        return "daily"
    if refusal.startswith("a rule"):
        return "rule"
    return "bad-name"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vaults", nargs="+")
    for path in parser.parse_args().vaults:
        report(path)


if __name__ == "__main__":
    main()
