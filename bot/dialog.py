"""The conversation: commands, questions and button presses turned into replies, without Telegram."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import secrets
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot import replies
from bot.articles import Article
from bot.knowledge import KnowledgeBase, Tag
from bot.privacy import mask_personal
from bot.replies import AnswerActions, Button, Reply
from bot.retrieval import SearchResult
from bot.richtext import block
from bot.settings import Settings
from bot.store import Entry, Store, StoreUnavailable, reports

TAGS_PER_PAGE = 8
ARTICLES_PER_PAGE = 6
REMEMBERED = 5000  # recent questions kept for their buttons; older buttons become stale
T = TypeVar("T")


@dataclass(frozen=True)
class InlineItem:
    """One result of an inline query: an article, and the message sent when it is chosen."""

    key: str
    title: str
    description: str
    url: str
    reply: Reply


@dataclass(frozen=True)
class Asked:
    """A question and what was found, remembered for the buttons under its answer."""

    question: str
    result: SearchResult


class Dialog:
    """Answers chat input. The knowledge base can be swapped at any time (live reload)."""

    def __init__(self, settings: Settings, knowledge: KnowledgeBase, store: Store | None = None) -> None:
        self.settings = settings
        self.texts = settings.texts
        self.knowledge = knowledge
        self.store = store
        self._memory: OrderedDict[str, Asked | str] = OrderedDict()
        # A per-process prefix keeps keys from an earlier run from meaning something else now.
        self._prefix = secrets.token_hex(2)
        self._counter = itertools.count(1)

    # Commands -----------------------------------------------------------------------------

    def start(self, payload: str = "", user: str | None = None, chat_type: str | None = None) -> Reply:
        """Welcome; a deep-link payload naming a tag or a question is answered right away."""
        payload = _clean(payload.replace("_", " ").replace("-", " "))
        if payload:
            tag = self._find_tag(payload)
            if tag is not None:
                return self.tag_articles(tag, 0)
            return self.ask(payload, user, chat_type)
        return replies.notice(self.texts.welcome.format(site=self.settings.site.name), kind="welcome")

    def help(self) -> Reply:
        """Usage."""
        return replies.notice(self.texts.help.format(site=self.settings.site.name), kind="help")

    def ask_prompt(self) -> Reply:
        """Asks for the question, with a reply field opened for it."""
        return dataclasses.replace(replies.notice(self.texts.ask_prompt, kind="prompt"), ask_reply=True)

    def unknown_command(self) -> Reply:
        """For a command the bot does not have."""
        return replies.notice(self.texts.unknown_command, kind="unknown")

    def flood_warning(self) -> Reply:
        """Told once to a user who sends too much too fast."""
        return replies.notice(self.texts.flood, kind="flood")

    def error(self) -> Reply:
        """Told when something broke on the bot's side."""
        return replies.notice(self.texts.error, kind="error")

    def forget(self) -> Reply:
        """Asks to confirm deleting everything logged about the user (/hapusdata)."""
        if self.store is None:
            return replies.notice(self.texts.forget_unavailable, kind="forget_unavailable")
        buttons = (Button(self.texts.button_forget_yes, action="x:y"), Button(self.texts.button_forget_no, action="x:n"))
        return Reply(replies.notice(self.texts.forget_confirm).blocks, (buttons,), kind="forget")

    def stats(self, days: int = 7) -> Reply:
        """Question counts for the team (/stats); reads the store (call it off the event loop)."""
        if self.store is None:
            return replies.notice(self.texts.admin_unavailable, kind="admin")
        try:
            t = self.store.totals(reports.since(days, time.time()))
        except StoreUnavailable:
            return replies.notice(self.texts.store_unavailable, kind="admin")
        text = self.texts.admin_stats.format(
            days=days, questions=t.questions, users=t.users, answered=t.answered, share=t.share,
            helpful=t.helpful, not_helpful=t.not_helpful,
        )
        return Reply(tuple(block(line) for line in text.splitlines() if line.strip()), kind="admin")

    def unanswered(self, days: int = 30) -> Reply:
        """Unanswered questions grouped by topic, for the team (/unanswered); call it off the event loop.

        The grouping runs in another process, so it cannot hold up other users' replies.
        """
        if self.store is None:
            return replies.notice(self.texts.admin_unavailable, kind="admin")
        try:
            start = reports.since(days, time.time())
            groups = reports.unanswered(self.store, start, self.settings.language, limit=10, isolated=True)
        except StoreUnavailable:
            return replies.notice(self.texts.store_unavailable, kind="admin")
        if not groups:
            return replies.notice(self.texts.admin_unanswered_none, kind="admin")
        items = tuple(block(f"{g.count}× {' | '.join(g.examples)}", "item") for g in groups)
        return Reply((block(self.texts.admin_unanswered.format(days=days)), *items), kind="admin")

    def reloaded(self, changed: bool | None) -> Reply:
        """Tells an admin what /reload did (None: reloading is not available)."""
        if changed is None:
            return replies.notice(self.texts.admin_unavailable, kind="admin")
        if not changed:
            return replies.notice(self.texts.admin_reload_unchanged, kind="admin")
        return replies.notice(self.texts.admin_reloaded.format(count=len(self.knowledge.articles)), kind="admin")

    def inline(self, query: str, limit: int = 10) -> tuple[InlineItem, ...]:
        """Articles for an inline query: best answers first, or the newest when the query is empty."""
        query = _clean(query)[: self.settings.retrieval.max_question_chars]
        if not query:
            newest = sorted(self.knowledge.articles, key=lambda a: a.date or "", reverse=True)[:limit]
            return tuple(self._inline_article(a) for a in newest)
        result = self.knowledge.search(query)
        items = []
        for i, article in _distinct_articles(result)[:limit]:
            chosen = result.candidates[i]
            snippet = " ".join(chosen.text.split())
            items.append(
                InlineItem(
                    self.knowledge.article_key(article), article.title,
                    _shorten(f"{chosen.section.heading}: {snippet}", 120), self.knowledge.link(chosen),
                    replies.quote(self.texts, chosen.section.heading, chosen.blocks, chosen.article),
                )
            )
        return tuple(items)

    def _inline_article(self, article: Article) -> InlineItem:
        detail = replies.article_detail(self.texts, article, None)
        blocks = detail.blocks[:-1]  # without the pointer to a button that inline results lack
        return InlineItem(
            self.knowledge.article_key(article), article.title, _shorten(article.description, 120),
            article.url, Reply(blocks, kind="article"),
        )

    def ask(self, question: str, user: str | None = None, chat_type: str | None = None) -> Reply:
        """Answer a question, suggest articles when unsure, or say honestly there is no answer.

        With a store, the question is logged (queued: the reply does not wait for it), phone
        numbers and e-mail addresses masked, the user under a salted hash.
        """
        question = _clean(question)
        if not question:
            return replies.notice(self.texts.empty_question, kind="empty")
        limit = self.settings.retrieval.max_question_chars
        if len(question) > limit:
            return replies.notice(self.texts.question_too_long.format(limit=limit), kind="too_long")
        result = self.knowledge.search(question)
        key = self._remember(Asked(question, result))
        if self.store is not None:
            best = result.best
            self.store.record(
                Entry(
                    ref=key, question=mask_personal(question), answered=best is not None,
                    article=best.article.id if best else None, section=best.section.heading if best else None,
                    score=round(result.score, 4), user=user, chat_type=chat_type,
                )
            )
        if not result.answered:
            return replies.notice(self.texts.no_answer, kind="no_answer")
        suggestions = _distinct_articles(result)[:3]
        if self._unsure(result) and len(suggestions) > 1:
            choices = [(a.title, f"a:{key}:{i}") for i, a in suggestions]
            return replies.choice_list(self.texts.did_you_mean, choices, kind="suggest")
        return self._answer(key, result, 0)

    def _unsure(self, result: SearchResult) -> bool:
        """A middle-band score, or another article nearly as good: better ask than guess."""
        r = self.settings.retrieval
        if result.score < r.suggest_threshold:
            return True
        others = [result.candidates[i].score for i, _ in _distinct_articles(result)[1:2]]
        return bool(others) and others[0] >= result.score * (1 - r.close_margin)

    def topics(self, word: str = "", page: int = 0) -> Reply:
        """Browse the most used tags, or tags and articles matching `word`."""
        word = _clean(word)
        if word:
            return self._search_topics(self._remember(word), word, page)
        tags = self._browsable_tags()
        if not tags:
            return replies.notice(self.texts.topics_none)
        return self._tag_page(self.texts.topics_header, tags, page, "t:{page}", edit=False)

    def tag_articles(self, tag: Tag, page: int, edit: bool = False) -> Reply:
        """The articles carrying a tag, a page at a time."""
        header = self.texts.tag_articles.format(tag=tag.name, count=len(tag.articles))
        return self._article_page(header, tag.articles, page, f"g:{tag.key}:{{page}}", edit)

    # Buttons ------------------------------------------------------------------------------

    def press(self, action: str, user: str | None = None) -> Reply:
        """Run a button's action; unknown or outdated actions get a polite notice."""
        kind, _, rest = action.partition(":")
        handler = self._handlers().get(kind)
        reply = handler(rest.split(":"), user) if handler else None
        return reply or Reply(toast=self.texts.stale_button, kind="stale")

    def _handlers(self) -> dict[str, Callable[[list[str], str | None], Reply | None]]:
        return {
            "a": self._press_answer,
            "o": self._press_others,
            "f": self._press_feedback,
            "t": self._press_topics,
            "w": self._press_topic_search,
            "g": self._press_tag,
            "r": self._press_article,
            "x": self._press_forget,
        }

    def _press_forget(self, args: list[str], user: str | None) -> Reply | None:
        if args != ["y"] and args != ["n"]:
            return None
        if args == ["n"]:
            return _as_edit(replies.notice(self.texts.forget_cancelled, kind="forget_cancelled"))
        if self.store is None or user is None:
            return _as_edit(replies.notice(self.texts.forget_unavailable, kind="forget_unavailable"))
        done = self.store.forget(user)  # waits for the database: call press() off the event loop
        if not done.complete:
            return _as_edit(replies.notice(self.texts.forget_pending.format(count=done.buffered), kind="forget_pending"))
        return _as_edit(replies.notice(self.texts.forget_done.format(count=done.count), kind="forget_done"))

    def _press_answer(self, args: list[str], user: str | None) -> Reply | None:
        asked, index = self._asked(args, 0), _int(args, 1)
        if asked is None or index is None or index >= len(asked.result.candidates):
            return None
        return self._answer(args[0], asked.result, index, edit=True)

    def _press_others(self, args: list[str], user: str | None) -> Reply | None:
        asked = self._asked(args, 0)
        if asked is None:
            return None
        candidates = asked.result.candidates
        choices = [
            (f"{c.section.heading} — {c.article.title}", f"a:{args[0]}:{i}")
            for i, c in enumerate(candidates)
            if i > 0
        ]
        header = self.texts.other_answers.format(question=asked.question)
        if not choices:
            header = self.texts.no_more_answers
        back = Button(self.texts.button_back, action=f"a:{args[0]}:0")
        return replies.choice_list(header, choices, extra=(back,), kind="others", edit=True)

    def _press_feedback(self, args: list[str], user: str | None) -> Reply | None:
        asked, index, vote = self._asked(args, 0), _int(args, 1), _int(args, 2)
        if asked is None or index is None or vote not in (0, 1) or index >= len(asked.result.candidates):
            return None
        chosen = asked.result.candidates[index]
        if self.store is not None:
            self.store.vote(args[0], vote == 1, chosen.article.id, chosen.section.heading)
        return Reply(toast=self.texts.feedback_thanks, kind="feedback")

    def _press_topics(self, args: list[str], user: str | None) -> Reply | None:
        page = _int(args, 0)
        if page is None:
            return None
        reply = self.topics(page=page)
        return _as_edit(reply)

    def _press_topic_search(self, args: list[str], user: str | None) -> Reply | None:
        word, page = self._memory.get(args[0]), _int(args, 1)
        if not isinstance(word, str) or page is None:
            return None
        return _as_edit(self._search_topics(args[0], word, page))

    def _press_tag(self, args: list[str], user: str | None) -> Reply | None:
        tag, page = self.knowledge.tag(args[0]), _int(args, 1)
        if tag is None or page is None:
            return None
        return self.tag_articles(tag, page, edit=True)

    def _press_article(self, args: list[str], user: str | None) -> Reply | None:
        article = self.knowledge.article(args[0])
        if article is None:
            return None
        back = ":".join(args[1:]) or None
        return replies.article_detail(self.texts, article, back)

    # Composition --------------------------------------------------------------------------

    def _answer(self, key: str, result: SearchResult, index: int, edit: bool = False) -> Reply:
        chosen = result.candidates[index]
        others = f"o:{key}" if len(result.candidates) > 1 else None
        actions = AnswerActions(
            helpful=f"f:{key}:{index}:1",
            not_helpful=f"f:{key}:{index}:0",
            others=others,
            back=f"o:{key}" if index > 0 else None,
            edit=edit,
        )
        related = [a for a in result.related if a.id != chosen.article.id]
        return replies.answer(
            self.texts, chosen.section.heading, chosen.blocks, chosen.article,
            self.knowledge.link(chosen), related, actions,
        )

    def _search_topics(self, key: str, word: str, page: int) -> Reply:
        tags = self.knowledge.find_tags(word)
        articles = self.knowledge.find_articles(word)
        if not tags and not articles:
            return replies.notice(self.texts.topics_empty.format(word=word), kind="topics_empty")
        if tags:
            return self._tag_page(self.texts.topics_search_header.format(word=word), tags, page, f"w:{key}:{{page}}", False, articles)
        header = self.texts.topics_search_articles.format(word=word)
        return self._article_page(header, articles, page, f"w:{key}:{{page}}", False)

    def _tag_page(
        self, header: str, tags: tuple[Tag, ...], page: int, action: str, edit: bool,
        articles: tuple[Article, ...] = (),
    ) -> Reply:
        shown, page, pages = _page(tags, page, TAGS_PER_PAGE)
        rows = [
            tuple(Button(f"{t.name} ({len(t.articles)})", action=f"g:{t.key}:0") for t in shown[i : i + 2])
            for i in range(0, len(shown), 2)
        ]
        blocks = [block(header)]
        if articles and page == 0:
            back = action.format(page=0)
            rows.extend((Button(f"📄 {a.title}", action=f"r:{self.knowledge.article_key(a)}:{back}"),) for a in articles[:3])
        nav = replies.pager(self.texts, page, pages, action)
        if nav:
            rows.append(nav)
        return Reply(tuple(blocks), tuple(rows), kind="topics", edit=edit)

    def _article_page(self, header: str, articles: tuple[Article, ...], page: int, action: str, edit: bool) -> Reply:
        shown, page, pages = _page(articles, page, ARTICLES_PER_PAGE)
        back = action.format(page=page)
        rows = [(Button(a.title, action=f"r:{self.knowledge.article_key(a)}:{back}"),) for a in shown]
        nav = replies.pager(self.texts, page, pages, action)
        if nav:
            rows.append(nav)
        rows.append((Button(self.texts.button_all_topics, action="t:0"),))
        return Reply((block(header),), tuple(rows), kind="articles", edit=edit)

    def _browsable_tags(self) -> tuple[Tag, ...]:
        tags = self.knowledge.tags
        shared = tuple(t for t in tags if len(t.articles) >= 2)
        return shared if len(shared) >= TAGS_PER_PAGE else tags

    def _find_tag(self, text: str) -> Tag | None:
        matches = self.knowledge.find_tags(text)
        folded = text.casefold()
        return next((t for t in matches if t.name.casefold() == folded), None)

    # Memory of recent questions -----------------------------------------------------------

    def _remember(self, item: Asked | str) -> str:
        key = f"{self._prefix}{next(self._counter):x}"
        self._memory[key] = item
        while len(self._memory) > REMEMBERED:
            self._memory.popitem(last=False)
        return key

    def _asked(self, args: list[str], i: int) -> Asked | None:
        item = self._memory.get(args[i]) if len(args) > i else None
        return item if isinstance(item, Asked) else None


def _distinct_articles(result: SearchResult) -> list[tuple[int, Article]]:
    """The first candidate index of each distinct article, best first."""
    seen: dict[str, tuple[int, Article]] = {}
    for i, c in enumerate(result.candidates):
        seen.setdefault(c.article.id, (i, c.article))
    return list(seen.values())


def _page(items: tuple[T, ...], page: int, size: int) -> tuple[tuple[T, ...], int, int]:
    """The items of page `page` (clamped to the pages there are), that page, and the page count."""
    pages = max(1, math.ceil(len(items) / size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def _as_edit(reply: Reply) -> Reply:
    return dataclasses.replace(reply, edit=True)


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rsplit(" ", 1)[0] + "…"


def _int(args: list[str], i: int) -> int | None:
    if len(args) <= i or not args[i].isdigit() or len(args[i]) > 6:
        return None
    return int(args[i])


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    """Text as typed, without control characters, invisible marks or surrounding spaces."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return " ".join(text.split())
