"""A per-user flood guard: a sliding window of recent messages per user."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    """What to do with a message."""

    ALLOW = "allow"
    WARN = "warn"  # the first message over the limit: tell the user once
    IGNORE = "ignore"  # further messages in the same burst


class FloodGuard:
    """Allows `limit` messages per `seconds` per user; warns once per burst, then ignores.

    Users idle for a whole window are forgotten at most once a window, so memory follows the
    users active in the last window, not every user ever seen.
    """

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.seconds = seconds
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()
        self._swept = clock()

    def __len__(self) -> int:
        """Users currently remembered."""
        return len(self._seen)

    def check(self, user: int) -> Verdict:
        """Record a message from `user` and say whether to handle it."""
        now = self.clock()
        if now - self._swept >= self.seconds:
            # One pass over the table per window: amortized O(1) per message.
            self.forget_idle()
        recent = self._seen.setdefault(user, deque())
        while recent and now - recent[0] >= self.seconds:
            recent.popleft()
        if len(recent) < self.limit:
            recent.append(now)
            self._warned.discard(user)
            return Verdict.ALLOW
        if user in self._warned:
            return Verdict.IGNORE
        self._warned.add(user)
        return Verdict.WARN

    def forget_idle(self) -> None:
        """Drop users with no recent messages, so memory stays bounded."""
        now = self.clock()
        self._swept = now
        for user in [u for u, q in self._seen.items() if not q or now - q[-1] >= self.seconds]:
            del self._seen[user]
            self._warned.discard(user)
