"""Conversation context: what each chat was last about, for understanding follow-up questions."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Topic:
    """The last answered article and section of a chat, and the words that named its subject."""

    article: str
    section: str
    subject: str  # normalized words the chat used for its subject ("backend developer")
    owner: str | None = None  # the user it belongs to (deleted with /hapusdata)
    at: float = 0.0


class Contexts(Protocol):
    """Where chats' topics are kept (in memory; a database can keep them across restarts)."""

    def get(self, key: str) -> Topic | None:
        """The chat's topic, if it is recent enough."""

    def put(self, key: str, topic: Topic) -> None:
        """Remember the chat's topic."""

    def forget_owner(self, owner: str) -> int:
        """Forget every topic of one user; returns how many."""


def chat_key(user: str | None, chat: str | None, private: bool) -> str:
    """Whose context a message reads: the user in a private chat, the user within a group."""
    return f"u:{user}" if private or chat is None else f"g:{chat}:{user}"


class MemoryContexts:
    """Topics in a bounded in-memory table: the oldest are forgotten first, and after `seconds`."""

    def __init__(self, seconds: float, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.seconds = seconds
        self.limit = limit
        self.clock = clock
        self._topics: OrderedDict[str, tuple[float, Topic]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Topic | None:
        with self._lock:
            item = self._topics.get(key)
            if item is None:
                return None
            if self.clock() - item[0] > self.seconds:
                del self._topics[key]
                return None
            return item[1]

    def put(self, key: str, topic: Topic) -> None:
        with self._lock:
            self._topics[key] = (self.clock(), topic)
            self._topics.move_to_end(key)
            while len(self._topics) > self.limit:
                self._topics.popitem(last=False)

    def forget_owner(self, owner: str) -> int:
        with self._lock:
            keys = [k for k, (_, t) in self._topics.items() if t.owner == owner]
            for k in keys:
                del self._topics[k]
            return len(keys)

    def __len__(self) -> int:
        return len(self._topics)
