"""Write a synthetic vault of N notes with realistic shape, seeded (same seed, same vault).

    python benchmarks/make_vault.py 10000 /tmp/vault10k [--seed 1]
    python benchmarks/make_vault.py --describe /tmp/vault10k    # the distributions of any vault

The shape follows what real vaults show (measured on ../shared/vaults/vaultofknowledge and
typical Obsidian vaults):

- note length is log-normal (median ~150 words, a long tail of notes thousands of words long);
- words follow a Zipf law over a made-up vocabulary whose size grows with the vault (Heaps' law),
  mixed with stop words; notes fall into topics (a few large, many small) and each topic has its
  own key phrases and people, repeated across its notes;
- links go mostly within a topic, to notes drawn by a Zipf law over popularity, so in-degree is a
  power law (a few hubs cited hundreds of times, most notes cited once or never); each large topic
  has an index note listing its members (out-degree has a tail too); some links carry an alias, a
  heading or are embeds, a few are markdown links; 5% point at notes that don't exist yet, drawn
  from a per-topic pool so that several notes cite the same missing note;
- tags are Zipf-distributed over a small tag vocabulary (some nested, some per topic), in YAML
  frontmatter for a third of the notes and inline ``#tags`` for others;
- bodies mix paragraphs, bullet lists, headings, quotes and code blocks (which hold text that
  looks like links and tags but is not); 5% of notes are short daily notes; a few use CRLF.

About 2 s per 1,000 notes; 100,000 notes (~160 MB) in under two minutes.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import itertools
import math
import random
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import quote

STOP = "the of and to in a is that for it as with was on be by this are from or at an not but".split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze ba do fe gu hi ja ko lu ma no pe qui ra se to vu wa xe yo".split()
GENERAL_TAGS = [
    "todo", "idea", "reading", "draft", "rough", "complete", "incomplete", "question", "book", "paper",
    "person", "project", "meeting", "review", "howto", "quote", "reference", "someday", "archive", "important",
    "project/active", "project/done", "status/open", "status/closed", "area/work", "area/home", "area/health",
    "source/web", "source/podcast", "source/book",
]  # fmt: skip
LANGUAGES = ["python", "sh", "js", ""]
# How the body is built: block kind -> weight.
BLOCKS = {"paragraph": 60, "list": 25, "heading": 8, "quote": 4, "code": 3}


def _word(rng: random.Random, low: int = 2, high: int = 4) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(low, high)))


def _zipf_cumulative(count: int, exponent: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count)))


class Generator:
    def __init__(self, n: int, seed: int) -> None:
        rng = self.rng = random.Random(seed)
        self.n = n
        # Heaps' law: the vocabulary grows with the square root of the vault.
        size = int(20000 * max(1.0, n / 1000) ** 0.5)
        words: dict[str, None] = {}
        while len(words) < size:
            words[_word(rng, 2, 5)] = None
        self.vocabulary = list(words)
        topic_count = max(5, n // 60)
        self.topic_of = rng.choices(range(topic_count), _zipf_cumulative(topic_count, 0.8), k=n)
        self.daily = {i for i in range(n) if rng.random() < 0.05}
        self.topic_name = [_word(rng) for _ in range(topic_count)]
        self.phrases = {t: [self._phrase() for _ in range(25)] for t in range(topic_count)}
        self.people = {t: [f"{_word(rng).title()} {_word(rng).title()}" for _ in range(4)] for t in range(topic_count)}
        self.ghosts = {t: [self._title_words() for _ in range(8)] for t in range(topic_count)}
        self.tag_cum = _zipf_cumulative(len(GENERAL_TAGS), 1.1)
        self.members: dict[int, list[int]] = collections.defaultdict(list)
        for i, t in enumerate(self.topic_of):
            if i not in self.daily:
                self.members[t].append(i)
        for pool in self.members.values():
            rng.shuffle(pool)  # position in the pool is popularity rank
        self.member_cum = {t: _zipf_cumulative(len(pool), 1.0) for t, pool in self.members.items()}
        self.popular = [i for i in range(n) if i not in self.daily]
        rng.shuffle(self.popular)
        self.popular_cum = _zipf_cumulative(len(self.popular), 0.8)
        self.hubs = {pool[0]: t for t, pool in self.members.items() if len(pool) >= 12}
        self.titles = self._titles()
        self.paths = [self._path(i) for i in range(n)]

    # --- names ---------------------------------------------------------------------------------

    def _title_words(self) -> str:
        picks = self.rng.choices(self.vocabulary[30:4000], k=self.rng.choice((1, 2, 2, 2, 3, 3, 4)))
        return " ".join(picks).capitalize()

    def _titles(self) -> list[str]:
        titles: list[str] = []
        seen: set[str] = set()
        day = datetime.date(2019, 1, 1)
        for i in range(self.n):
            if i in self.daily:
                day += datetime.timedelta(days=self.rng.randint(1, 3))
                title = day.isoformat()
            elif i in self.hubs:
                title = f"{self.topic_name[self.hubs[i]].title()} index"
            else:
                title = self._title_words()
            base, k = title, 2
            while title.lower() in seen:
                title, k = f"{base} {k}", k + 1
            seen.add(title.lower())
            titles.append(title)
        return titles

    def _path(self, i: int) -> str:
        if i in self.daily:
            return f"journal/{self.titles[i][:4]}/{self.titles[i]}.md"
        t = self.topic_of[i]
        folder = f"area{t % 20}"
        if len(self.members[t]) >= 30:
            folder += f"/{self.topic_name[t]}"
        return f"{folder}/{self.titles[i]}.md"

    # --- text ----------------------------------------------------------------------------------

    def _phrase(self) -> str:
        return " ".join(self.rng.choices(self.vocabulary[200:4000], k=self.rng.choice((2, 2, 3))))

    def sentence(self, topic: int) -> str:
        """6 to 22 words: a third stop words, a tenth the topic's key phrases, a few of its people,
        the rest Zipf-distributed (rank = (V+1)^u - 1 inverts the Zipf law's continuous CDF)."""
        draw = self.rng.random
        phrases, people, vocabulary = self.phrases[topic], self.people[topic], self.vocabulary
        top = len(vocabulary) + 1
        words = []
        for _ in range(self.rng.randint(6, 22)):
            roll = draw()
            if roll < 0.35:
                words.append(STOP[int(roll / 0.35 * len(STOP))])
            elif roll < 0.45:
                words.append(phrases[int((roll - 0.35) / 0.10 * len(phrases))])
            elif roll < 0.47:
                words.append(people[int((roll - 0.45) / 0.02 * len(people))])
            else:
                words.append(vocabulary[int(top ** draw()) - 1])
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def target(self, topic: int) -> int:
        rng = self.rng
        if rng.random() < 0.85 and self.members[topic]:
            return rng.choices(self.members[topic], cum_weights=self.member_cum[topic])[0]
        return rng.choices(self.popular, cum_weights=self.popular_cum)[0]

    def link(self, i: int, topic: int) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return f"[[{rng.choice(self.ghosts[topic])}]]"  # a note that doesn't exist yet
        target = self.target(topic)
        title = self.titles[target]
        if roll < 0.08:  # a markdown link, relative to this note's folder
            here = self.paths[i].count("/")
            relative = "../" * here + self.paths[target]
            return f"[{title}]({quote(relative)})"
        if roll < 0.18:
            return f"[[{title}|{self._title_words().lower()}]]"
        if roll < 0.23:
            return f"[[{title}#{self._title_words()}]]"
        if roll < 0.25:
            return f"![[{title}]]"
        return f"[[{title}]]"

    def linked_sentence(self, i: int, topic: int) -> str:
        text = self.sentence(topic)
        if self.rng.random() < 0.25:
            text += f" See {self.link(i, topic)}."
        return text

    def tags(self, topic: int) -> list[str]:
        rng = self.rng
        count = rng.choices((0, 1, 2, 3, 4), (45, 25, 15, 10, 5))[0]
        tags = set(rng.choices(GENERAL_TAGS, cum_weights=self.tag_cum, k=count))
        if count and rng.random() < 0.5:
            tags.add(f"topic/{self.topic_name[topic]}")
        return sorted(tags)

    def body(self, i: int, topic: int) -> list[str]:
        rng = self.rng
        lines: list[str] = []
        remaining = min(600, max(1, round(math.exp(rng.gauss(math.log(10), 1.0)))))  # sentences
        while remaining > 0:
            kind = rng.choices(list(BLOCKS), list(BLOCKS.values()))[0]
            lines.append("")
            if kind == "heading":
                lines.append(f"{'#' * rng.choice((2, 2, 3))} {self._title_words()}")
            elif kind == "list":
                items = min(remaining, rng.randint(2, 6))
                lines += [f"- {self.linked_sentence(i, topic)}" for _ in range(items)]
                remaining -= items
            elif kind == "quote":
                lines.append(f"> {self.sentence(topic)}")
                remaining -= 1
            elif kind == "code":
                fake = f"[[{self._title_words()}]] #{_word(rng)}"  # not a link, not a tag: inside code
                lines += [f"```{rng.choice(LANGUAGES)}", f"x = '{fake}'", "print(x)", "```"]
            else:
                count = min(remaining, rng.randint(1, 5))
                lines.append(" ".join(self.linked_sentence(i, topic) for _ in range(count)))
                remaining -= count
        return lines

    def daily_note(self, i: int, topic: int) -> list[str]:
        lines = [f"# {self.titles[i]}", ""]
        for _ in range(self.rng.randint(2, 8)):
            line = f"- {self.sentence(topic)}"
            if self.rng.random() < 0.5:
                line += f" {self.link(i, topic)}"
            lines.append(line)
        return lines

    def note(self, i: int) -> str:
        rng = self.rng
        topic = self.topic_of[i]
        if i in self.daily:
            return "\n".join(self.daily_note(i, topic)) + "\n"
        tags = self.tags(topic)
        lines: list[str] = []
        frontmatter = rng.random() < 0.33
        if frontmatter:
            lines += ["---", f"created: {2019 + i % 6}-{1 + i % 12:02d}-{1 + i % 28:02d}"]
            if tags:
                lines.append(f"tags: [{', '.join(tags)}]")
            if rng.random() < 0.2:
                lines.append(f"aliases: [{self._title_words()}]")
            lines += ["---"]
        lines.append(f"# {self.titles[i]}")
        if not frontmatter and tags:
            lines += ["", " ".join(f"#{tag}" for tag in tags)]
        lines += self.body(i, topic)
        if i in self.hubs:
            lines += ["", "## Notes in this topic", ""]
            lines += [f"- [[{self.titles[m]}]]" for m in self.members[topic][1:61]]
        return "\n".join(lines) + "\n"

    def write(self, out: Path) -> None:
        made: set[Path] = set()
        for i in range(self.n):
            path = out / self.paths[i]
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(path.parent)
            text = self.note(i)
            newline = "\r\n" if i % 50 == 7 else "\n"
            path.write_bytes(text.replace("\n", newline).encode("utf-8"))


# --- describing a vault (to check a synthetic one against a real one) -----------------------------

CODE_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
WIKILINK = re.compile(r"\[\[([^\]|#^]+)")
INLINE_TAG = re.compile(r"(?<![\w#])#([A-Za-z][\w/-]*)")
YAML_TAGS = re.compile(r"^tags: \[(.*)\]", re.MULTILINE)


def _quantiles(values: list[int]) -> str:
    ordered = sorted(values) or [0]
    points = {p: ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] for p in (25, 50, 75, 90, 99, 100)}
    return ", ".join(f"p{p} {v}" for p, v in points.items()) + f", mean {statistics.mean(ordered):.1f}"


def describe(root: Path) -> None:
    """Print a vault's length, link, tag and vocabulary distributions (regex-level, approximate)."""
    files = [p for p in root.rglob("*") if p.suffix in (".md", ".markdown") and p.is_file()]
    files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(root).parts)]
    lengths, out_degree, tags_per_note = [], [], []
    in_degree: collections.Counter[str] = collections.Counter()
    tags: collections.Counter[str] = collections.Counter()
    words: collections.Counter[str] = collections.Counter()
    for path in files:
        text = CODE_BLOCK.sub("", path.read_text("utf-8", "replace"))
        tokens = text.lower().split()
        lengths.append(len(tokens))
        words.update(tokens)
        links = WIKILINK.findall(text)
        out_degree.append(len(links))
        in_degree.update(link.strip().lower() for link in links)
        found = set(INLINE_TAG.findall(text))
        for match in YAML_TAGS.findall(text):
            found |= {t.strip() for t in match.split(",") if t.strip()}
        tags.update(found)
        tags_per_note.append(len(found))
    cited = sorted(in_degree.values(), reverse=True)
    ccdf = ", ".join(f"≥{k}: {sum(c >= k for c in cited) / max(1, len(cited)):.3f}" for k in (1, 2, 4, 8, 16, 64, 256))
    ranked = [c for _, c in words.most_common()]
    print(f"{len(files)} notes, {sum(p.stat().st_size for p in files) / 1e6:.1f} MB")
    print(f"words per note: {_quantiles(lengths)}")
    print(f"wikilinks per note: {_quantiles(out_degree)}")
    print(f"times cited (targets of wikilinks, {len(cited)}): {_quantiles(cited)}; share cited {ccdf}")
    print(f"tags: {len(tags)} distinct, per note {_quantiles(tags_per_note)}; top {tags.most_common(5)}")
    by_rank = ", ".join(f"#{r}: {ranked[r - 1]}" for r in (1, 10, 100, 1000, 10000) if r <= len(ranked))
    print(f"vocabulary: {len(words)} distinct tokens; count by rank {by_rank}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notes", nargs="?", type=int)
    parser.add_argument("out", nargs="?", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--describe", type=Path, metavar="VAULT", help="print a vault's distributions and exit")
    args = parser.parse_args()
    if args.describe:
        describe(args.describe)
        return
    if args.notes is None or args.out is None:
        parser.error("give NOTES and OUT (or --describe VAULT)")
    if args.out.exists() and any(args.out.iterdir()):
        sys.exit(f"{args.out} is not empty")
    Generator(args.notes, args.seed).write(args.out)
    print(f"wrote {args.notes} notes to {args.out}")


if __name__ == "__main__":
    main()
