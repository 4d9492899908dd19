"""The labels a Related entry's reasons are given by the ranking, and the words a block writes
them in (``[reason_words]`` in ``.vaultlink.toml``, issue 21). Apart from the ranking
(``rank/reasons.py``), which needs numpy: the config and the planner read these, and a sync with
nothing to rank imports no numpy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

NAMED_HERE = "mentioned here"
NAMES_THIS_NOTE = "mentions this note"
BOTH_LINK = "both link"
BOTH_TAGGED = "both tagged"
REASON_WORDS = {
    "mentioned_here": NAMED_HERE,
    "mentions_this_note": NAMES_THIS_NOTE,
    "both_link": BOTH_LINK,
    "both_tagged": BOTH_TAGGED,
}
"""The ``[reason_words]`` a vault may set (``.vaultlink.toml``), each with the label it replaces."""


def reason_line(reasons: Sequence[str], words: Sequence[tuple[str, str]] = ()) -> str:
    """A Related entry's reasons as its line writes them: in the vault's ``words`` (``worded``), on
    one line (a title may hold a line break: YAML ``|``) that no block marker ends."""
    text = " ".join(", ".join(worded(reasons, dict(words))).split())
    return text.replace("<!--", "<!‐‐").replace("-->", "‐‐>")


def worded(reasons: Sequence[str], words: Mapping[str, str]) -> list[str]:
    """``reasons`` in the vault's words (``words``: a ``REASON_WORDS`` key to its word), as a Related
    block writes them. The ranking, the cache and every reader of reasons (``related --json``, the
    watcher) keep the English labels; only the written line is translated. A mention label is one
    only where the ranking puts it, before every other reason, so a phrase a note writes that reads
    "mentioned here" stays as written."""
    if not words:
        return list(reasons)
    out: list[str] = []
    mentions = {NAMED_HERE: "mentioned_here", NAMES_THIS_NOTE: "mentions_this_note"}
    leading = True
    for reason in reasons:
        leading = leading and reason in mentions
        if leading:
            out.append(words.get(mentions[reason], reason))
            continue
        for key, label, then in (("both_link", BOTH_LINK, " [["), ("both_tagged", BOTH_TAGGED, " #")):
            if reason.startswith(label + then) and key in words:
                reason = words[key] + reason[len(label) :]
                break
        out.append(reason)
    return out
