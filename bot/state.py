"""The state behind buttons, as plain JSON-able data a database can keep across restarts.

A question's buttons refer to what was found for it by a random reference; the state stores
the candidates as article ids and section numbers, so it survives a restart and is read back
against the articles loaded now (a candidate whose article was removed, or whose section an
edit moved, is gone).
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

from bot.context import MemoryContexts, Topic
from bot.knowledge import KnowledgeBase
from bot.retrieval import Candidate, Query, SearchResult
from bot.store import Store, StoreUnavailable


@dataclass(frozen=True)
class Asked:
    """A question and what was found, remembered for the buttons under its answer."""

    question: str  # empty when questions are not kept (log.enabled: false)
    result: SearchResult
    chat: str | None = None  # the chat's context key, for follow-ups after a pick
    suggestions: tuple[int, ...] = ()


@dataclass(frozen=True)
class Words:
    """A word searched with /topik, remembered for its paging buttons."""

    word: str


# Marks a chat key already hashed with the store's salt (chat keys hold Telegram ids).
HASHED = "#"


class Gone(Exception):
    """The state refers to an article that is no longer loaded (removed by a reload)."""


class ButtonStates(Protocol):
    """Where the state behind buttons is kept, by reference and owner."""

    def put(self, ref: str, owner: str | None, payload: dict[str, Any]) -> None:
        """Keep `payload` under `ref` for `owner` (no reply waits for it to be written)."""

    def get(self, ref: str) -> dict[str, Any] | None:
        """The payload under `ref`, if still kept."""

    def forget_owner(self, owner: str) -> None:
        """Drop every payload of one user."""


class MemoryButtonStates:
    """Button state in a bounded in-memory table (the oldest go first)."""

    def __init__(self, limit: int = 5000) -> None:
        self.limit = limit
        self._items: OrderedDict[str, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, ref: str, owner: str | None, payload: dict[str, Any]) -> None:
        with self._lock:
            self._items[ref] = (owner, payload)
            while len(self._items) > self.limit:
                self._items.popitem(last=False)

    def get(self, ref: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._items.get(ref)
        return item[1] if item else None

    def forget_owner(self, owner: str) -> None:
        with self._lock:
            for ref in [r for r, (o, _) in self._items.items() if o == owner]:
                del self._items[ref]


def encode(item: Asked | Words) -> dict[str, Any]:
    """An item as JSON-able data."""
    if isinstance(item, Words):
        return {"kind": "words", "word": item.word}
    result = item.result
    return {
        "kind": "asked",
        "question": item.question,
        "words": list(result.query.words),
        "candidates": [
            [
                c.article.id,
                c.article.sections.index(c.section),
                list(c.passages),
                round(c.score, 6),
                c.kinds,
                c.section.heading,
            ]
            for c in result.candidates
        ],
        "related": [a.id for a in result.related],
        "chat": item.chat,
        "suggestions": list(item.suggestions),
    }


def decode(payload: dict[str, Any], knowledge: KnowledgeBase, limit: int) -> Asked | Words:
    """An item read back against the articles loaded now; raises `Gone` when one was removed."""
    if payload.get("kind") == "words":
        return Words(str(payload["word"]))
    candidates = []
    for article_id, section, passages, score, kinds, *heading in payload["candidates"]:
        index = knowledge.article_index(article_id)
        if index is None:
            raise Gone(article_id)
        article = knowledge.articles[index]
        if not 0 <= section < len(article.sections) or any(
            p >= len(article.sections[section].passages) for p in passages
        ):
            raise Gone(article_id)
        # Sections are kept by position: an edit that adds or removes one before it moves it.
        if heading and heading[0] != article.sections[section].heading:
            raise Gone(article_id)
        candidates.append(Candidate(article, article.sections[section], tuple(passages), score, kinds, limit))
    related = tuple(knowledge.articles[i] for i in map(knowledge.article_index, payload["related"]) if i is not None)
    question = str(payload["question"])
    query = Query(question, tuple(payload["words"]), (), (), ())
    result = SearchResult(question, tuple(candidates), query, related)
    return Asked(question, result, payload.get("chat"), tuple(payload["suggestions"]))


class StoreButtonStates:
    """Button state in the store (SQLite or PostgreSQL): it survives restarts and is shared by
    every process on the same database. Writes are queued; a read of a reference still being
    written is served from the store's buffer, also while the store has not been reached yet
    (then it is written once it is); in this process's memory when the store refuses it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._fallback = MemoryButtonStates()

    def put(self, ref: str, owner: str | None, payload: dict[str, Any]) -> None:
        try:
            self.store.put_button(ref, owner or "", self._without_ids(payload))
        except StoreUnavailable:
            self._fallback.put(ref, owner, payload)

    def _without_ids(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The payload with its chat key (Telegram ids) as the salted key its topic is kept under;
        without it while the salt is unknown (a pick then leaves the chat's topic as it was)."""
        chat = payload.get("chat")
        if not chat:
            return payload
        try:
            return {**payload, "chat": HASHED + self.store.user_hash(chat)}
        except StoreUnavailable:
            return {**payload, "chat": None}

    def get(self, ref: str) -> dict[str, Any] | None:
        kept = self._fallback.get(ref)
        if kept is not None:
            return kept
        state = self.store.get_button(ref, None)  # who may press it is checked on the signed data
        return state.payload if state is not None else None

    def forget_owner(self, owner: str) -> None:
        self._fallback.forget_owner(owner)
        with contextlib.suppress(StoreUnavailable):
            self.store.delete_buttons(owner)


class StoreContexts:
    """Chats' topics in the store, under a salted hash of the chat key (no raw ids kept); in
    this process's memory while the store has never been reached."""

    def __init__(self, store: Store, seconds: float) -> None:
        self.store = store
        self.seconds = seconds
        self._fallback = MemoryContexts(seconds, 10_000)

    def get(self, key: str) -> Topic | None:
        kept = self._fallback.get(key)
        if kept is not None:
            return kept
        payload = self.store.get_context(self._stored_key(key), self.seconds)
        if payload is None:
            return None
        try:
            return Topic(**payload)
        except TypeError:
            return None  # written by another version of the bot

    def put(self, key: str, topic: Topic) -> None:
        payload = dataclasses.asdict(topic)
        del payload["owner"]  # a Telegram id: kept only as the row's salted owner hash
        try:
            self.store.put_context(self._stored_key(key), topic.owner or "", payload)
        except StoreUnavailable:
            self._fallback.put(key, topic)

    def _stored_key(self, key: str) -> str:
        """The salted hash a chat's topic is kept under (a button's state holds it already hashed)."""
        return key.removeprefix(HASHED) if key.startswith(HASHED) else self.store.user_hash(key)

    def forget_owner(self, owner: str) -> int:
        self._fallback.forget_owner(owner)
        with contextlib.suppress(StoreUnavailable):
            self.store.delete_contexts(owner)
        return 0
