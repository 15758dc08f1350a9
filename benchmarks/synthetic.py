"""Synthetic blogs of any size, recombined from real articles, for speed benchmarks.

Each synthetic article takes its sections from a few random source articles (the bundled
knowledge base and, when present, ../shared/corpus), gets a new title and tags, and mentions
a handful of made-up product and place names drawn from a Zipf-like distribution, so the
vocabulary keeps growing with the blog as real vocabularies do (Heaps' law).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from bot.articles import Article, load_articles
from bot.richtext import passage_text
from bot.settings import Settings

PROJECT = Path(__file__).resolve().parent.parent
SOURCES = [PROJECT / "knowledge", PROJECT.parent / "shared/corpus/areta", PROJECT.parent / "shared/corpus/mazipan"]
_SYLLABLES = "ka ri to na mu se lo pi da ve zu go ra ne ti ba so le mi ku".split()


@dataclass(frozen=True)
class Source:
    """A section of a real article, as Markdown text."""

    heading: str
    body: str


def sources(settings: Settings) -> tuple[list[Source], list[str], list[str]]:
    """Sections, titles and tags of every available real article."""
    sections: list[Source] = []
    titles: list[str] = []
    tags: list[str] = []
    for folder in SOURCES:
        if not folder.is_dir():
            continue
        for article in load_articles(folder, settings.knowledge, settings.site).articles:
            titles.append(article.title)
            tags.extend(article.tags)
            sections.extend(_sections(article))
    return sections, titles, tags


def _sections(article: Article) -> list[Source]:
    out = []
    for section in article.sections:
        body = "\n\n".join(passage_text(p) for p in section.passages)
        out.append(Source(section.heading, body))
    return out


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def write_blog(folder: Path, count: int, settings: Settings, seed: int = 7) -> Path:
    """Write `count` synthetic articles under `folder` (replacing it) and return it."""
    rng = random.Random(seed)
    sections, titles, tags = sources(settings)
    lexicon = [_name(rng) for _ in range(max(2000, count * 20))]
    weights = [1 / (i + 1) for i in range(len(lexicon))]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for n in range(count):
        names = rng.choices(lexicon, weights, k=5)
        title = f"{rng.choice(titles)} {names[0]} {n}"
        chosen = rng.sample(sections, k=min(len(sections), rng.randint(4, 9)))
        body = []
        for s in chosen:
            body.append(
                f"#### {s.heading}\n\n{s.body}\n\n{rng.choice(names)} dan {rng.choice(names)} ikut dibahas di sini."
            )
        article_tags = rng.sample(tags, k=min(len(tags), 3)) + [names[1]]
        text = "\n".join(
            [
                "---",
                "templateKey: blog-post",
                f'title: "{title.replace(chr(34), chr(39))}"',
                f"date: 2025-{1 + n % 12:02}-{1 + n % 28:02}T08:00:00.000Z",
                f'description: "Artikel sintetis {n} tentang {names[2]} dan {names[3]}."',
                "tags:",
                *[f'  - "{t.replace(chr(34), chr(39))}"' for t in article_tags],
                "---",
                "\n\n".join(body),
                "",
            ]
        )
        (folder / f"{n:05}-sintetis.md").write_text(text, encoding="utf-8")
    return folder


def questions(settings: Settings, count: int, seed: int = 11) -> list[str]:
    """Informal-looking questions made from real headings and titles."""
    rng = random.Random(seed)
    sections, titles, _ = sources(settings)
    openers = ["apa itu", "gimana cara", "kenapa", "bedanya", "tips", "", "jelasin dong", "berapa lama"]
    out = []
    for _ in range(count):
        words = (rng.choice(sections).heading + " " + rng.choice(titles)).split()
        picked = rng.sample(words, k=min(len(words), rng.randint(2, 5)))
        out.append(f"{rng.choice(openers)} {' '.join(picked)}".strip().lower())
    return out
