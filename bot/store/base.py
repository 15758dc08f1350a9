"""The storage interface: what the bot keeps (question log, votes, button state, conversation
context, job claims) and what the report queries return, as frozen values."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol


class StoreUnavailable(Exception):
    """The store cannot be reached right now (it is retried in the background)."""


@dataclass(frozen=True)
class Entry:
    """One question as logged; `user` is the raw user id, kept in memory only and stored hashed."""

    ref: str
    question: str
    answered: bool
    article: str | None = None
    section: str | None = None
    score: float | None = None
    user: str | None = None
    chat_type: str | None = None
    asked_at: float | None = None
    kind: str | None = None  # the decision: "answer", "suggest" or "none"
    closest: str | None = None  # unanswered: the id of the article the bot came closest to


@dataclass(frozen=True)
class LoggedQuestion:
    """A logged question as read back (for the CSV report and migration)."""

    ref: str
    asked_at: float
    user_hash: str | None
    chat_type: str | None
    question: str
    answered: bool
    article: str | None
    section: str | None
    score: float | None
    vote: int | None
    kind: str | None = None  # None: logged before the kind was kept (unknown)
    closest: str | None = None


@dataclass(frozen=True)
class Totals:
    """Counts over a period."""

    questions: int
    answered: int
    users: int
    helpful: int
    not_helpful: int

    @property
    def share(self) -> str:
        """The answered share as a percentage, '-' when nothing was asked."""
        return f"{self.answered / self.questions:.0%}" if self.questions else "-"


@dataclass(frozen=True)
class ArticleVotes:
    """Feedback on the answers taken from one article."""

    article: str
    helpful: int
    not_helpful: int

    @property
    def ratio(self) -> float:
        """Share of helpful votes."""
        total = self.helpful + self.not_helpful
        return self.helpful / total if total else 0.0


@dataclass(frozen=True)
class Day:
    """Questions asked on one day (UTC)."""

    date: str
    questions: int
    answered: int


@dataclass(frozen=True)
class ButtonState:
    """What a button refers to, and whether the user asking is the one it was sent to."""

    payload: dict[str, Any]
    mine: bool
    created_at: float


@dataclass(frozen=True)
class Forgotten:
    """What /hapusdata deleted: stored rows, buffered entries, and whether the store was reached."""

    stored: int
    buffered: int
    complete: bool

    @property
    def count(self) -> int:
        """Question entries deleted in all."""
        return self.stored + self.buffered


class Store(Protocol):
    """Everything the bot keeps, whatever the backend."""

    def user_hash(self, user: int | str) -> str: ...
    def record(self, entry: Entry) -> Future[None]: ...
    def vote(self, ref: str, helpful: bool, article: str, section: str) -> Future[None]: ...
    def forget(self, user: str, timeout: float = 10.0) -> Forgotten: ...
    def prune(self) -> Future[int]: ...
    def put_button(
        self, ref: str, owner: str, payload: dict[str, Any], created_at: float | None = None
    ) -> Future[None]: ...
    def get_button(self, ref: str, user: str | None) -> ButtonState | None: ...
    def put_context(
        self, key: str, owner: str, payload: dict[str, Any], updated_at: float | None = None
    ) -> Future[None]: ...
    def get_context(self, key: str, max_age: float) -> dict[str, Any] | None: ...
    def delete_context(self, key: str) -> Future[None]: ...
    def delete_buttons(self, owner: str) -> Future[None]: ...
    def delete_contexts(self, owner: str) -> Future[None]: ...
    def claim(self, job: str, period: str) -> bool: ...
    def totals(self, start: float) -> Totals: ...
    def questions(self, start: float, unanswered: bool = False) -> list[str]: ...
    def votes_by_article(self, start: float) -> list[ArticleVotes]: ...
    def per_day(self, start: float) -> list[Day]: ...
    def logged(self, start: float) -> list[LoggedQuestion]: ...
    def flush(self, timeout: float = 10.0) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Migration:
    """One schema step: the version it brings the database to, and its statements."""

    version: int
    statements: tuple[str, ...] = field(default_factory=tuple)
