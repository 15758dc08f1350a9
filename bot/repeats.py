"""Recently seen Telegram update ids, to drop an update delivered more than once."""

from __future__ import annotations

from collections import deque


class RecentIds:
    """The last `size` ids seen; `first_time` says whether an id is new (and remembers it)."""

    def __init__(self, size: int = 10_000) -> None:
        self._order: deque[int] = deque()
        self._ids: set[int] = set()
        self.size = size

    def first_time(self, update_id: int) -> bool:
        """True the first time an id is seen among the last `size` ids."""
        if update_id in self._ids:
            return False
        self._ids.add(update_id)
        self._order.append(update_id)
        if len(self._order) > self.size:
            self._ids.discard(self._order.popleft())
        return True
