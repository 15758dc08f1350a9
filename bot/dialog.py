"""The conversation: commands, questions and button presses turned into replies, without Telegram."""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot import replies
from bot.actions import Action, ButtonCodec, new_reference
from bot.articles import Article
from bot.commands import public
from bot.context import Contexts, MemoryContexts, Topic, chat_key
from bot.decision import Answerer, Decision, distinct_articles
from bot.knowledge import KnowledgeBase, Tag
from bot.privacy import mask_personal
from bot.replies import AnswerActions, Button, Reply
from bot.retrieval import SearchResult
from bot.richtext import block
from bot.settings import Settings
from bot.state import (
    Asked,
    ButtonStates,
    Gone,
    MemoryButtonStates,
    StoreButtonStates,
    StoreContexts,
    Words,
    decode,
    encode,
)
from bot.store import Entry, Store, StoreUnavailable, reports

TAGS_PER_PAGE = 8
ARTICLES_PER_PAGE = 6
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
class Turn:
    """A reply to a question, with the decision behind it."""

    decision: Decision | None
    reply: Reply


class Dialog:
    """Answers chat input. The knowledge base can be swapped at any time (live reload)."""

    def __init__(
        self,
        settings: Settings,
        knowledge: KnowledgeBase,
        store: Store | None = None,
        contexts: Contexts | None = None,
        codec: ButtonCodec | None = None,
        states: ButtonStates | None = None,
    ) -> None:
        self.settings = settings
        self.texts = settings.texts
        self.store = store
        c = settings.conversation
        # Topics of chats and the questions behind buttons: in the store when there is one (they
        # survive restarts and are shared by processes), else in memory (the last 5,000 questions).
        if contexts is None:
            seconds = c.context_minutes * 60
            contexts = StoreContexts(store, seconds) if store is not None else MemoryContexts(seconds, c.max_contexts)
        self.contexts: Contexts = contexts
        self.states: ButtonStates = (
            states
            if states is not None
            else StoreButtonStates(store)
            if store is not None
            else MemoryButtonStates(5000)
        )
        self.codec = codec or ButtonCodec.from_secret(settings.secret, settings.token)
        self.knowledge = knowledge

    @property
    def knowledge(self) -> KnowledgeBase:
        """The articles answered from."""
        return self._knowledge

    @knowledge.setter
    def knowledge(self, knowledge: KnowledgeBase) -> None:
        # One assignment swaps both, so a reload never pairs an index with another's answerer.
        self._knowledge, self.answerer = knowledge, Answerer(knowledge, self.settings.retrieval, self.settings.language)

    # Commands -----------------------------------------------------------------------------

    def start(self, payload: str = "", user: str | None = None, chat_type: str | None = None) -> Reply:
        """Welcome; a deep-link payload naming a tag or a question is answered right away."""
        payload = _clean(payload.replace("_", " ").replace("-", " "))
        if payload:
            tag = self._find_tag(payload)
            if tag is not None:
                return self.tag_articles(tag, 0, user=user)
            return self.ask(payload, user, chat_type)
        return replies.notice(self.texts.welcome.format(site=self.settings.site.name), kind="welcome")

    def help(self, terminal: bool = False) -> Reply:
        """Usage: one line per command this chat knows (the command table)."""
        lines = "\n".join(self.texts.commands[c.name].help for c in public(terminal))
        return replies.notice(self.texts.help.format(site=self.settings.site.name, commands=lines), kind="help")

    def ask_prompt(self) -> Reply:
        """Asks for the question, with a reply field opened for it."""
        return dataclasses.replace(replies.notice(self.texts.ask_prompt, kind="prompt"), ask_reply=True)

    def unknown_command(self) -> Reply:
        """For a command the bot does not have."""
        return replies.notice(self.texts.unknown_command, kind="unknown")

    def text_only(self) -> Reply:
        """For a sticker, voice note or other message without text."""
        return replies.notice(self.texts.text_only, kind="text_only")

    def flood_warning(self) -> Reply:
        """Tells a user flooding the bot to slow down."""
        return replies.notice(self.texts.flood, kind="flood")

    def error(self) -> Reply:
        """The polite reply when handling a message failed."""
        return replies.notice(self.texts.error, kind="error")

    def forget(self, user: str | None = None) -> Reply:
        """Asks to confirm deleting everything logged about the user (/hapusdata)."""
        if self.store is None:
            self._forget_memory(user)
            return replies.notice(self.texts.forget_unavailable, kind="forget_unavailable")
        buttons = (
            Button(self.texts.button_forget_yes, action=self._action(user, "x", "y")),
            Button(self.texts.button_forget_no, action=self._action(user, "x", "n")),
        )
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
            days=days,
            questions=t.questions,
            users=t.users,
            answered=t.answered,
            share=t.share,
            helpful=t.helpful,
            not_helpful=t.not_helpful,
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
        for i in distinct_articles(result)[:limit]:
            chosen = result.candidates[i]
            article = chosen.article
            snippet = " ".join(chosen.text.split())
            items.append(
                InlineItem(
                    self.knowledge.article_key(article),
                    article.title,
                    _shorten(f"{chosen.section.heading}: {snippet}", 120),
                    self.knowledge.link(chosen),
                    replies.quote(self.texts, chosen.section.heading, chosen.blocks, chosen.article),
                )
            )
        return tuple(items)

    def _inline_article(self, article: Article) -> InlineItem:
        detail = replies.article_detail(self.texts, article, None)
        blocks = detail.blocks[:-1]  # without the pointer to a button that inline results lack
        return InlineItem(
            self.knowledge.article_key(article),
            article.title,
            _shorten(article.description, 120),
            article.url,
            Reply(blocks, kind="article"),
        )

    def ask(
        self,
        question: str,
        user: str | None = None,
        chat_type: str | None = None,
        chat: str | None = None,
        reply_to: str | None = None,
    ) -> Reply:
        """Answer a question, suggest articles when unsure, decline honestly, or chat back."""
        return self.turn(question, user, chat_type, chat, reply_to).reply

    def turn(
        self,
        question: str,
        user: str | None = None,
        chat_type: str | None = None,
        chat: str | None = None,
        reply_to: str | None = None,
    ) -> Turn:
        """The reply to a message and the decision behind it.

        `chat` names the conversation (its context: the topic of the last answer); `reply_to`
        is button data of a bot message the user replied to, whose answer becomes the topic.
        With a store, the question is logged (queued: the reply does not wait for it), phone
        numbers and e-mail addresses masked, the user under a salted hash.
        """
        question = _clean(question)
        if not question:
            return Turn(None, replies.notice(self.texts.empty_question, kind="empty"))
        limit = self.settings.retrieval.max_question_chars
        if len(question) > limit:
            return Turn(None, replies.notice(self.texts.question_too_long.format(limit=limit), kind="too_long"))
        key = chat or chat_key(user, None, chat_type in (None, "private"))
        topic = self._replied_topic(reply_to) or self._topic(key)
        decision = self.answerer.decide(question, topic)
        if decision.kind == "chat":
            return Turn(decision, self._chat(decision))
        result = decision.result
        assert result is not None
        # Buttons keep the question (masked) only where questions are logged at all.
        kept = mask_personal(question) if self.settings.log.enabled else ""
        ref = self._remember(Asked(kept, result, key, decision.suggestions), user)
        self._log(ref, question, decision, user, chat_type)
        new_topic = self.answerer.topic(decision, user, topic)
        if new_topic is not None and new_topic is not topic:
            self.contexts.put(key, new_topic)
        if decision.kind == "none":
            return Turn(decision, self._declined(decision))
        if decision.kind == "suggest":
            return Turn(decision, self._suggestions(ref, result, decision.suggestions, user, edit=False))
        return Turn(decision, self._answer(ref, result, 0, user))

    def record(self, question: str, turn: Turn) -> dict[str, object]:
        """A turn as the evaluation contract's JSON object."""
        decision = turn.decision
        if decision is None:
            return self.knowledge.record(question, "none", None)
        return self.knowledge.record(question, decision.kind, decision.result)

    def _log(self, ref: str, question: str, decision: Decision, user: str | None, chat_type: str | None) -> None:
        if self.store is None:
            return
        shown = decision.answer if decision.kind == "answer" else None
        top = decision.result.top if decision.result else None
        self.store.record(
            Entry(
                ref=ref,
                question=mask_personal(question),
                answered=shown is not None,
                article=shown.article.id if shown else None,
                section=shown.section.heading if shown else None,
                score=round(decision.result.score if decision.result else 0.0, 4),
                user=user,
                chat_type=chat_type,
                kind=decision.kind,
                closest=top.article.id if top and not shown else None,
            )
        )

    def _chat(self, decision: Decision) -> Reply:
        variants = self.texts.smalltalk.get(decision.chat or "", ())
        if not variants:
            return replies.notice(self.texts.no_answer, kind="no_answer")
        pick = int.from_bytes(hashlib.blake2b(decision.question.casefold().encode(), digest_size=4).digest(), "big")
        return replies.notice(variants[pick % len(variants)], kind="chat")

    def _declined(self, decision: Decision) -> Reply:
        text = self.texts.no_answer
        contact = self.settings.site.contact
        if decision.contact and contact:
            text += "\n\n" + self.texts.no_answer_contact.format(contact=contact)
        return replies.notice(text, kind="no_answer")

    def _topic(self, key: str) -> Topic | None:
        """The chat's topic; none when the store cannot be read (the question is answered alone)."""
        try:
            return self.contexts.get(key)
        except StoreUnavailable:
            return None

    def _replied_topic(self, data: str | None) -> Topic | None:
        """The topic of the answer a message replies to (from that answer's button data)."""
        action = self.codec.decode(data) if data else None
        if action is None or action.kind not in ("a", "f", "o") or not action.args:
            return None
        asked = self._asked(action.args[0])
        index = _int(action.args, 1) if action.kind in ("a", "f") else 0
        if not isinstance(asked, Asked) or index is None or index >= len(asked.result.candidates):
            return None
        return self._picked_topic(asked, index, action.user)

    def _picked_topic(self, asked: Asked, index: int, owner: str | None) -> Topic | None:
        """The topic a chat has once candidate `index` of an earlier question is shown."""
        chosen = asked.result.candidates[index]
        decision = Decision("answer", asked.question, dataclasses.replace(asked.result, candidates=(chosen,)))
        return self.answerer.topic(decision, owner, None)

    def topics(self, word: str = "", page: int = 0, user: str | None = None) -> Reply:
        """Browse the most used tags, or tags and articles matching `word`."""
        word = _clean(word)
        if word:
            return self._search_topics(self._remember(Words(word), user), word, page, user)
        tags = self._browsable_tags()
        if not tags:
            return replies.notice(self.texts.topics_none)
        return self._tag_page(self.texts.topics_header, tags, page, ("t",), user, edit=False)

    def tag_articles(self, tag: Tag, page: int, edit: bool = False, user: str | None = None) -> Reply:
        """The articles carrying a tag, a page at a time."""
        header = self.texts.tag_articles.format(tag=tag.name, count=len(tag.articles))
        return self._article_page(header, tag.articles, page, ("g", tag.key), user, edit)

    # Buttons ------------------------------------------------------------------------------

    def press(self, data: str, user: str | None = None) -> Reply:
        """Run a button's action; forged, outdated or someone else's buttons get a polite notice."""
        action = self.codec.decode(data)
        if action is None:
            return Reply(toast=self.texts.stale_button, kind="stale")
        if action.user is not None and action.user != user:
            return Reply(toast=self.texts.not_your_button, kind="not_yours")
        handler = self._handlers().get(action.kind)
        reply = handler(action, user) if handler else None
        return reply or Reply(toast=self.texts.stale_button, kind="stale")

    def _action(self, user: str | None, kind: str, *args: str | int) -> str:
        return self.codec.encode(user, kind, *args)

    def _handlers(self) -> dict[str, Callable[[Action, str | None], Reply | None]]:
        return {
            "a": self._press_answer,
            "o": self._press_others,
            "s": self._press_suggestions,
            "f": self._press_feedback,
            "t": self._press_topics,
            "w": self._press_topic_search,
            "g": self._press_tag,
            "r": self._press_article,
            "x": self._press_forget,
        }

    def _press_forget(self, action: Action, user: str | None) -> Reply | None:
        if action.args not in (("y",), ("n",)):
            return None
        if action.args == ("n",):
            return _as_edit(replies.notice(self.texts.forget_cancelled, kind="forget_cancelled"))
        self._forget_memory(user)
        if self.store is None or user is None:
            return _as_edit(replies.notice(self.texts.forget_unavailable, kind="forget_unavailable"))
        done = self.store.forget(user)  # waits for the database: call press() off the event loop
        if not done.complete:
            return _as_edit(
                replies.notice(self.texts.forget_pending.format(count=done.buffered), kind="forget_pending")
            )
        return _as_edit(replies.notice(self.texts.forget_done.format(count=done.count), kind="forget_done"))

    def _forget_memory(self, user: str | None) -> None:
        """Drop what memory holds about a user: their questions behind buttons and their chats' topics."""
        if user is None:
            return
        self.states.forget_owner(user)
        self.contexts.forget_owner(user)

    def _press_answer(self, action: Action, user: str | None) -> Reply | None:
        args = action.args
        asked, index = self._asked(args[0] if args else ""), _int(args, 1)
        if not isinstance(asked, Asked) or index is None or index >= len(asked.result.candidates):
            return asked if isinstance(asked, Reply) else None
        back = args[2] if len(args) > 2 else ""
        if asked.chat is not None:
            topic = self._picked_topic(asked, index, user)
            if topic is not None:
                self.contexts.put(asked.chat, topic)
        return self._answer(args[0], asked.result, index, user, back=back, edit=True)

    def _press_others(self, action: Action, user: str | None) -> Reply | None:
        args = action.args
        asked, shown = self._asked(args[0] if args else ""), _int(args, 1)
        if not isinstance(asked, Asked) or shown is None:
            return asked if isinstance(asked, Reply) else None
        ref = args[0]
        choices = [
            (f"{c.section.heading} — {c.article.title}", self._action(user, "a", ref, i, f"o{shown}"))
            for i, c in enumerate(asked.result.candidates)
            if i != shown
        ]
        header = self.texts.no_more_answers
        if choices:
            header = (
                self.texts.other_answers.format(question=asked.question)
                if asked.question
                else self.texts.other_answers_plain
            )
        back = Button(self.texts.button_back, action=self._action(user, "a", ref, shown))
        return replies.choice_list(header, choices, extra=(back,), kind="others", edit=True)

    def _press_suggestions(self, action: Action, user: str | None) -> Reply | None:
        asked = self._asked(action.args[0] if action.args else "")
        if not isinstance(asked, Asked) or not asked.suggestions:
            return asked if isinstance(asked, Reply) else None
        return self._suggestions(action.args[0], asked.result, asked.suggestions, user, edit=True)

    def _press_feedback(self, action: Action, user: str | None) -> Reply | None:
        args = action.args
        asked, index, vote = self._asked(args[0] if args else ""), _int(args, 1), _int(args, 2)
        if not isinstance(asked, Asked) or index is None or vote not in (0, 1) or index >= len(asked.result.candidates):
            return asked if isinstance(asked, Reply) else None
        chosen = asked.result.candidates[index]
        if self.store is not None:
            self.store.vote(args[0], vote == 1, chosen.article.id, chosen.section.heading)
        return Reply(toast=self.texts.feedback_thanks, kind="feedback")

    def _press_topics(self, action: Action, user: str | None) -> Reply | None:
        page = _int(action.args, 0)
        if page is None:
            return None
        return _as_edit(self.topics(page=page, user=user))

    def _press_topic_search(self, action: Action, user: str | None) -> Reply | None:
        args = action.args
        item, page = self._asked(args[0]) if args else None, _int(args, 1)
        if not isinstance(item, Words) or page is None:
            return None
        return _as_edit(self._search_topics(args[0], item.word, page, user))

    def _press_tag(self, action: Action, user: str | None) -> Reply | None:
        args = action.args
        tag, page = self.knowledge.tag(args[0]) if args else None, _int(args, 1)
        if tag is None or page is None:
            return None
        return self.tag_articles(tag, page, edit=True, user=user)

    def _press_article(self, action: Action, user: str | None) -> Reply | None:
        args = action.args
        article = self.knowledge.article(args[0]) if args else None
        if article is None:  # the id came signed from the bot: a reload removed its article
            return Reply(toast=self.texts.article_gone, kind="gone") if args else None
        # The way back is a page action the bot itself made (carried inside this signed data).
        back = self._action(user, args[1], *args[2:]) if len(args) > 1 and args[1] in ("t", "w", "g") else None
        return replies.article_detail(self.texts, article, back)

    # Composition --------------------------------------------------------------------------

    def _answer(
        self, ref: str, result: SearchResult, index: int, user: str | None, back: str = "", edit: bool = False
    ) -> Reply:
        chosen = result.candidates[index]
        back_action = None
        if back == "s":
            back_action = self._action(user, "s", ref)
        elif back.startswith("o") and back[1:].isdigit():
            back_action = self._action(user, "o", ref, back[1:])
        others = self._action(user, "o", ref, index) if len(result.candidates) > 1 else None
        actions = AnswerActions(
            helpful=self._action(user, "f", ref, index, 1),
            not_helpful=self._action(user, "f", ref, index, 0),
            others=others,
            back=back_action,
            edit=edit,
        )
        related = [a for a in result.related if a.id != chosen.article.id]
        return replies.answer(
            self.texts,
            chosen.section.heading,
            chosen.blocks,
            chosen.article,
            self.knowledge.link(chosen),
            related,
            actions,
        )

    def _suggestions(
        self, ref: str, result: SearchResult, picks: tuple[int, ...], user: str | None, edit: bool
    ) -> Reply:
        choices = [(result.candidates[i].article.title, self._action(user, "a", ref, i, "s")) for i in picks]
        return replies.choice_list(self.texts.did_you_mean, choices, kind="suggest", edit=edit)

    def _search_topics(self, key: str, word: str, page: int, user: str | None) -> Reply:
        tags = self.knowledge.find_tags(word)
        articles = self.knowledge.find_articles(word)
        if not tags and not articles:
            return replies.notice(self.texts.topics_empty.format(word=word), kind="topics_empty")
        if tags:
            return self._tag_page(
                self.texts.topics_search_header.format(word=word), tags, page, ("w", key), user, False, articles
            )
        header = self.texts.topics_search_articles.format(word=word)
        return self._article_page(header, articles, page, ("w", key), user, False)

    def _tag_page(
        self,
        header: str,
        tags: tuple[Tag, ...],
        page: int,
        action: tuple[str, ...],
        user: str | None,
        edit: bool,
        articles: tuple[Article, ...] = (),
    ) -> Reply:
        shown, page, pages = _page(tags, page, TAGS_PER_PAGE)
        rows = [
            tuple(
                Button(f"{t.name} ({len(t.articles)})", action=self._action(user, "g", t.key, 0))
                for t in shown[i : i + 2]
            )
            for i in range(0, len(shown), 2)
        ]
        if articles and page == 0:
            rows.extend(
                (Button(f"📄 {a.title}", action=self._action(user, "r", self.knowledge.article_key(a), *action, 0)),)
                for a in articles[:3]
            )
        nav = self._pager(page, pages, action, user)
        if nav:
            rows.append(nav)
        return Reply((block(header),), tuple(rows), kind="topics", edit=edit)

    def _article_page(
        self,
        header: str,
        articles: tuple[Article, ...],
        page: int,
        action: tuple[str, ...],
        user: str | None,
        edit: bool,
    ) -> Reply:
        shown, page, pages = _page(articles, page, ARTICLES_PER_PAGE)
        rows: list[tuple[Button, ...]] = [
            (Button(a.title, action=self._action(user, "r", self.knowledge.article_key(a), *action, page)),)
            for a in shown
        ]
        nav = self._pager(page, pages, action, user)
        if nav:
            rows.append(nav)
        rows.append((Button(self.texts.button_all_topics, action=self._action(user, "t", 0)),))
        return Reply((block(header),), tuple(rows), kind="articles", edit=edit)

    def _pager(self, page: int, pages: int, action: tuple[str, ...], user: str | None) -> tuple[Button, ...]:
        previous = self._action(user, *action, page - 1) if page > 0 else None
        following = self._action(user, *action, page + 1) if page + 1 < pages else None
        return replies.pager(self.texts, previous, following)

    def _browsable_tags(self) -> tuple[Tag, ...]:
        tags = self.knowledge.tags
        shared = tuple(t for t in tags if len(t.articles) >= 2)
        return shared if len(shared) >= TAGS_PER_PAGE else tags

    def _find_tag(self, text: str) -> Tag | None:
        matches = self.knowledge.find_tags(text)
        folded = text.casefold()
        return next((t for t in matches if t.name.casefold() == folded), None)

    # Memory of recent questions -----------------------------------------------------------

    def _remember(self, item: Asked | Words, owner: str | None) -> str:
        ref = new_reference()
        self.states.put(ref, owner, encode(item))
        return ref

    def _asked(self, ref: str) -> Asked | Words | Reply | None:
        """What a button refers to; a polite notice when its article was removed since."""
        try:
            payload = self.states.get(ref)
        except StoreUnavailable:
            return Reply(toast=self.texts.store_unavailable, kind="store_unavailable")
        if payload is None:
            return None
        try:
            return decode(payload, self.knowledge, self.settings.retrieval.answer_max_chars)
        except Gone:
            return Reply(toast=self.texts.article_gone, kind="gone")


def _page(items: tuple[T, ...], page: int, size: int) -> tuple[tuple[T, ...], int, int]:
    """The items of page `page` (clamped to the pages there are), that page, and the page count."""
    pages = max(1, math.ceil(len(items) / size))
    page = min(max(page, 0), pages - 1)
    return items[page * size : (page + 1) * size], page, pages


def _as_edit(reply: Reply) -> Reply:
    return dataclasses.replace(reply, edit=True)


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rsplit(" ", 1)[0] + "…"


def _int(args: tuple[str, ...] | list[str], i: int) -> int | None:
    if len(args) <= i or not args[i].isdigit() or len(args[i]) > 6:
        return None
    return int(args[i])


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    """Text as typed, without control characters, invisible marks or surrounding spaces."""
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text))
    return " ".join(text.split())
