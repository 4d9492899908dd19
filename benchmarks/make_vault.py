"""Write a synthetic vault of N notes with realistic shape, seeded (same seed, same vault).

    python benchmarks/make_vault.py 10000 /tmp/vault10k [--seed 1]

Notes fall into topics (a few large, many small); words follow a Zipf law over a made-up
vocabulary, and each topic has its own key phrases and people, repeated across its notes;
links go mostly within a topic to popular notes (power-law in-degree), some to notes that
don't exist; a third of the notes have YAML frontmatter with tags and sometimes aliases; a
few use CRLF.
"""

from __future__ import annotations

import argparse
import itertools
import random
from pathlib import Path

STOP = "the of and to in a is that for it as with was on be by this are from or at an not but".split()
SYLLABLES = "ka lo mi ne ru sa ti vo ze ba do fe gu hi ja ko lu ma no pe qui ra se to vu wa xe yo".split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))


class Generator:
    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n
        self.vocabulary = list(dict.fromkeys(_word(self.rng) for _ in range(20000)))
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(self.vocabulary))))
        topic_count = max(5, n // 60)
        sizes = [1 / (t + 1) ** 0.8 for t in range(topic_count)]
        self.topic_of = self.rng.choices(range(topic_count), sizes, k=n)
        self.phrases = {t: [self._phrase() for _ in range(25)] for t in range(topic_count)}
        self.people = {
            t: [f"{_word(self.rng).title()} {_word(self.rng).title()}" for _ in range(4)] for t in range(topic_count)
        }
        self.titles = [f"{_word(self.rng).title()} {_word(self.rng)} {i}" for i in range(n)]
        self.members: dict[int, list[int]] = {}
        for i, t in enumerate(self.topic_of):
            self.members.setdefault(t, []).append(i)

    def _phrase(self) -> str:
        return " ".join(self.rng.choices(self.vocabulary[200:4000], k=self.rng.choice((2, 2, 3))))

    def sentence(self, topic: int) -> str:
        words = []
        for _ in range(self.rng.randint(8, 20)):
            roll = self.rng.random()
            if roll < 0.35:
                words.append(self.rng.choice(STOP))
            elif roll < 0.45:
                words.append(self.rng.choice(self.phrases[topic]))
            elif roll < 0.47:
                words.append(self.rng.choice(self.people[topic]))
            else:
                words.append(self.rng.choices(self.vocabulary, cum_weights=self.cumulative)[0])
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def link(self, topic: int) -> str:
        if self.rng.random() < 0.05:
            return f"[[{_word(self.rng).title()} {_word(self.rng)}]]"  # a note that doesn't exist yet
        pool = self.members[topic] if self.rng.random() < 0.85 else range(self.n)
        target = min(self.rng.choice(pool) for _ in range(3))  # low ids are popular: power-law in-degree
        return f"[[{self.titles[target]}]]"

    def note(self, i: int) -> str:
        topic = self.topic_of[i]
        lines: list[str] = []
        if self.rng.random() < 0.33:
            lines += ["---", f"tags: [topic{topic}, {self.rng.choice(['draft', 'idea', 'reading'])}]"]
            if self.rng.random() < 0.2:
                lines.append(f"aliases: [{self.titles[i].split()[0]} {self.titles[i].split()[1]}]")
            lines += ["---"]
        lines.append(f"# {self.titles[i]}")
        for _ in range(self.rng.randint(1, 6)):
            lines.append("")
            sentences = [self.sentence(topic) for _ in range(self.rng.randint(2, 6))]
            for _ in range(self.rng.randint(0, 3)):
                at = self.rng.randrange(len(sentences))
                sentences[at] += f" See {self.link(topic)}."
            lines.append(" ".join(sentences))
        if self.rng.random() < 0.1:
            lines += ["", f"#topic{topic}"]
        return "\n".join(lines) + "\n"

    def write(self, out: Path) -> None:
        for i in range(self.n):
            folder = out / f"area{self.topic_of[i] % 20}"
            folder.mkdir(parents=True, exist_ok=True)
            text = self.note(i)
            newline = "\r\n" if i % 50 == 7 else "\n"
            (folder / f"{self.titles[i]}.md").write_bytes(text.replace("\n", newline).encode("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notes", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    Generator(args.notes, args.seed).write(args.out)
    print(f"wrote {args.notes} notes to {args.out}")


if __name__ == "__main__":
    main()
