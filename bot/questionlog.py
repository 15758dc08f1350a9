"""The question log: what people asked and whether the bot could answer, in SQLite.

Entries go through a queue to one writer thread, so logging never delays a reply; the writer
commits each batch in WAL mode, and `record` reports an entry as acknowledged only once it
is committed, so a crash (even kill -9) loses no acknowledged entry. Users are stored as a
salted hash of their Telegram id: no ids, names or usernames. Entries older than the
retention period are pruned, and a user can delete everything logged about them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    ref TEXT UNIQUE,
    asked_at REAL NOT NULL,
    user_hash TEXT,
    chat_type TEXT,
    question TEXT NOT NULL,
    answered INTEGER NOT NULL,
    article TEXT,
    section TEXT,
    score REAL,
    vote INTEGER
);
CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at);
CREATE INDEX IF NOT EXISTS questions_user ON questions (user_hash);
"""


@dataclass(frozen=True)
class Entry:
    """One question as logged."""

    ref: str
    question: str
    answered: bool
    article: str | None = None
    section: str | None = None
    score: float | None = None
    user_hash: str | None = None
    chat_type: str | None = None
    asked_at: float | None = None


class QuestionLog:
    """A SQLite question log with a single background writer."""

    def __init__(self, path: Path, salt: str, retention_days: int, clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.salt = salt
        self.retention_days = retention_days
        self.clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)
        self._queue: queue.Queue[tuple[Callable[[sqlite3.Connection], Any], Future[Any]] | None] = queue.Queue()
        self._writer = threading.Thread(target=self._write, name="question-log", daemon=True)
        self._writer.start()
        self.prune()

    @classmethod
    def open(cls, data_dir: Path, retention_days: int, salt: str | None = None) -> QuestionLog:
        """The log in `data_dir`, salted with `salt` or a random salt kept beside the log."""
        return cls(data_dir / "questions.sqlite3", salt or _salt(data_dir), retention_days)

    def user_hash(self, user_id: int | str) -> str:
        """The pseudonym a user is logged under."""
        return hashlib.blake2b(f"{self.salt}:{user_id}".encode(), digest_size=10).hexdigest()

    # Writing (queued) ---------------------------------------------------------------------

    def record(self, entry: Entry) -> Future[int]:
        """Queue an entry; the future completes once it is committed."""
        asked_at = entry.asked_at if entry.asked_at is not None else self.clock()

        def insert(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "INSERT OR IGNORE INTO questions (ref, asked_at, user_hash, chat_type, question, answered, article, section, score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (entry.ref, asked_at, entry.user_hash, entry.chat_type, entry.question, int(entry.answered),
                 entry.article, entry.section, entry.score),
            )
            return int(cur.lastrowid or 0)

        return self._submit(insert)

    def vote(self, ref: str, helpful: bool, article: str, section: str) -> Future[int]:
        """Record a vote on the answer a logged question got (the one rated: maybe another candidate)."""
        return self._submit(
            lambda db: db.execute(
                "UPDATE questions SET vote = ?, article = ?, section = ? WHERE ref = ?", (int(helpful), article, section, ref)
            ).rowcount
        )

    def forget_user(self, user_hash: str) -> Future[int]:
        """Delete everything logged about a user; the future gives the rows deleted."""
        return self._submit(lambda db: db.execute("DELETE FROM questions WHERE user_hash = ?", (user_hash,)).rowcount)

    def prune(self) -> Future[int]:
        """Delete entries older than the retention period; the future gives the rows deleted."""
        cutoff = self.clock() - self.retention_days * 86400
        return self._submit(lambda db: db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is committed."""
        self._submit(lambda db: 0).result(timeout)

    def close(self) -> None:
        """Commit what is queued and stop the writer."""
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join(10)

    def _submit(self, work: Callable[[sqlite3.Connection], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        if not self._writer.is_alive():
            future.set_exception(RuntimeError("the question log is closed"))
            return future
        self._queue.put((work, future))
        return future

    def _write(self) -> None:
        db = self._connect()
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                batch = [item]
                while len(batch) < 200:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        self._queue.put(None)
                        break
                    batch.append(more)
                self._commit(db, batch)
        finally:
            db.close()

    def _commit(self, db: sqlite3.Connection, batch: list[tuple[Callable[[sqlite3.Connection], Any], Future[Any]]]) -> None:
        results = []
        try:
            with db:
                for work, _ in batch:
                    results.append(work(db))
        except sqlite3.Error as exc:
            log.error("question log write failed: %s", exc)
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)

    # Reading -------------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection (readers do not wait for the writer in WAL mode)."""
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL survives a crash of the process; only power loss may drop the
        # last commits.
        db.execute("PRAGMA synchronous=NORMAL")
        db.row_factory = sqlite3.Row
        return db


def _salt(data_dir: Path) -> str:
    """A random salt created once in the data folder (readable by the owner only)."""
    path = data_dir / "log-salt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        salt = secrets.token_hex(16)
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(salt)
        return salt
