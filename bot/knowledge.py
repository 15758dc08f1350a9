"""The knowledge base: loaded articles, their retriever, and lookups by short stable keys."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.articles import Article, LoadResult, load_articles, require_folder
from bot.errors import KnowledgeError
from bot.links import section_url
from bot.normalize import Normalizer, fold
from bot.retrieval import Candidate, Method, Retriever, SearchResult
from bot.settings import LanguageSettings, Settings

log = logging.getLogger(__name__)


def short_key(text: str, size: int = 8) -> str:
    """A short stable key for `text` (fits Telegram's 64-byte callback data many times over)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()[:size]


@dataclass(frozen=True)
class Tag:
    """A tag merged case-insensitively across articles, with the articles that carry it."""

    key: str
    name: str
    articles: tuple[Article, ...]


class KnowledgeBase:
    """Articles of one folder, searchable and browsable by tag."""

    def __init__(self, settings: Settings, loaded: LoadResult, method: Method | None = None) -> None:
        self.settings = settings
        self.loaded = loaded
        self.articles = loaded.articles
        self.normalizer = Normalizer(settings.language)
        self.retriever = Retriever(
            self.articles,
            self.normalizer,
            settings.retrieval,
            settings.language.intents,
            method,
            settings.language.question_words,
            settings.language.question_tags,
            chat_words(settings.language),
        )
        self._by_key = {short_key(a.id): a for a in self.articles}
        self._index = {a.id: i for i, a in enumerate(self.articles)}
        self.tags = _merge_tags(self.articles, self.normalizer)
        self._tags_by_key = {t.key: t for t in self.tags}

    @classmethod
    def load(cls, settings: Settings, folder: Path | None = None, method: Method | None = None) -> KnowledgeBase:
        """Load the articles folder of `settings` (or `folder`), without the index cache."""
        folder = require_folder(folder or settings.knowledge.folder)
        return cls.from_loaded(settings, load_articles(folder, settings.knowledge, settings.site), folder, method)

    @classmethod
    def from_loaded(
        cls, settings: Settings, loaded: LoadResult, folder: Path, method: Method | None = None
    ) -> KnowledgeBase:
        """Index loaded articles, logging each skipped file; an empty folder is an error."""
        log_warnings(loaded)
        if not loaded.articles:
            raise KnowledgeError(f"no articles could be loaded from {folder}")
        return cls(settings, loaded, method)

    def state(self) -> dict[str, object]:
        """What the index cache stores: everything but the settings, which are rebuilt at start-up."""
        return {k: v for k, v in self.__dict__.items() if k != "settings"}

    @classmethod
    def restore(cls, state: dict[str, object], settings: Settings) -> KnowledgeBase:
        """A knowledge base from `state`, answering with the current (non-index) settings."""
        kb = cls.__new__(cls)
        kb.__dict__.update(state)
        kb.settings = settings
        kb.retriever.settings = settings.retrieval
        return kb

    def search(
        self,
        question: str,
        prefer: int | None = None,
        subject: str = "",
        within: int | None = None,
        section: str | None = None,
    ) -> SearchResult:
        """Retrieve the best sections for `question`; a follow-up gives its topic's article, section and subject."""
        prefer_section = self.retriever.section_number(prefer, section) if prefer is not None and section else None
        return self.retriever.search(
            question, prefer=prefer, subject=subject, within=within, prefer_section=prefer_section
        )

    def article_index(self, article_id: str) -> int | None:
        """The position of an article in the index, if it still exists."""
        return self._index.get(article_id)

    def find_tags(self, word: str) -> tuple[Tag, ...]:
        """Tags whose name contains `word` (as typed, or as a normalized term)."""
        matches = self._matcher(word)
        return tuple(t for t in self.tags if matches(t.name))

    def find_articles(self, word: str) -> tuple[Article, ...]:
        """Articles whose title or tags contain `word`, newest first."""
        matches = self._matcher(word)
        found = [a for a in self.articles if matches(" ".join((a.title, *a.tags)))]
        return tuple(sorted(found, key=lambda a: a.date or "", reverse=True))

    def _matcher(self, word: str) -> Callable[[str], bool]:
        """A test for text holding `word`, with the word normalized once."""
        folded, wanted = fold(word), set(self.normalizer.terms(word))

        def matches(text: str) -> bool:
            return folded in fold(text) or (bool(wanted) and wanted <= set(self.normalizer.terms(text)))

        return matches

    def article_key(self, article: Article) -> str:
        """The short key of an article."""
        return short_key(article.id)

    def article(self, key: str) -> Article | None:
        """The article with short key `key`, if it still exists."""
        return self._by_key.get(key)

    def tag(self, key: str) -> Tag | None:
        """The tag with short key `key`, if it still exists."""
        return self._tags_by_key.get(key)

    def link(self, candidate: Candidate) -> str:
        """The address of a candidate's section inside its article's page."""
        first = candidate.section is candidate.article.sections[0] and candidate.section.level == 0
        return section_url(self.settings.site, candidate.article.url, candidate.section.heading, first)

    def record(self, question: str, kind: str, result: SearchResult | None) -> dict[str, Any]:
        """A decision as the evaluation contract's JSON object (`kind` is what the user saw)."""
        shown = result.top if result is not None and kind in ("answer", "suggest") else None
        return {
            "question": question,
            "answered": shown is not None,
            "kind": kind,
            "article": shown.article.id if shown else None,
            "title": shown.article.title if shown else None,
            "section": shown.section.heading if shown else None,
            "url": self.link(shown) if shown else None,
            "text": shown.text if shown else None,
            "score": round(result.score, 4) if result is not None else 0.0,
            "candidates": [
                {"article": c.article.id, "section": c.section.heading, "score": round(c.score, 4)}
                for c in (result.candidates if result is not None else ())
            ],
        }


def log_warnings(loaded: LoadResult) -> None:
    """Log each file that was skipped or read with a fallback (at every start, cached or not)."""
    for warning in loaded.warnings:
        log.warning("skipped or degraded article %s", warning)


def _tag_key(tag: str, normalizer: Normalizer) -> str:
    """Tags that differ only in case, word order, synonyms or affixes share a key."""
    terms = sorted(set(normalizer.terms(tag)))
    return " ".join(terms) if terms else " ".join(tag.casefold().split())


def _merge_tags(articles: tuple[Article, ...], normalizer: Normalizer) -> tuple[Tag, ...]:
    """Tags merged by wording, most used first; the commonest spelling names each."""
    groups: dict[str, list[tuple[str, Article]]] = {}
    for article in articles:
        for tag in article.tags:
            groups.setdefault(_tag_key(tag, normalizer), []).append((tag, article))
    tags = []
    for norm, items in groups.items():
        spellings = [t for t, _ in items]
        name = max(set(spellings), key=lambda s: (spellings.count(s), s))
        unique = tuple({a.id: a for _, a in items}.values())
        tags.append(Tag(short_key("tag:" + norm), name, unique))
    tags.sort(key=lambda t: (-len(t.articles), t.name.casefold()))
    return tuple(tags)


def chat_words(language: LanguageSettings) -> tuple[str, ...]:
    """Phrases of chat rather than topic: small talk, fillers and the words that steer a conversation."""
    smalltalk = tuple(p for phrases in language.smalltalk.values() for p in phrases)
    follow = language.followup
    return (*smalltalk, *language.chat_fillers, *follow.connectors, *follow.switches)
