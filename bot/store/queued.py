"""The part every backend shares: the bounded write buffer, the one writer thread, reconnects,
salted user hashes and the SQL of the interface.

Writes go through a bounded in-memory buffer to one writer thread, so no reply waits for the
database; a write's future completes once it is committed, so a crash (even kill -9) loses no
acknowledged entry. While the database cannot be reached the buffer holds the writes and the
writer reconnects in the background; writes are idempotent (keyed by references the bot makes
before writing), so a batch whose commit was cut off is simply written again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.store.base import ArticleVotes, ButtonState, Day, Entry, Forgotten, LoggedQuestion, StoreUnavailable, Totals

log = logging.getLogger("bot.store")

BATCH = 200


@dataclass(eq=False)
class _Write:
    """One queued write: SQL work on a connection, who it is about, and its future."""

    work: Callable[[Any], Any]
    future: Future[Any]
    owner: str | None = None
    key: tuple[str, str] | None = None  # a buffered button or context, readable before commit
    value: Any = None
    bounded: bool = True
    cancelled: bool = False


def _cancel(write: _Write) -> None:
    """Take a write back before it reaches the database (its future is cancelled)."""
    write.cancelled = True
    write.future.cancel()


@dataclass(frozen=True)
class _Buffered:
    write: _Write
    owner: str
    payload: dict[str, Any]
    stamp: float


# Seconds a read waits for the store's first opening (its schema upgrade) at start-up.
OPENING_WAIT = 5.0


class QueuedStore:
    """The backend-independent part: buffer, writer thread, reconnects, hashing, queries.

    A backend supplies `_connect`, `_migrate`, `_load_salt`, `_transaction`, `_sql` (its
    parameter style) and `_day_sql`, and says which errors mean "the database is away".
    """

    name = "store"
    _day_sql = ""
    _transient: tuple[type[BaseException], ...] = ()  # the database went away: retry later
    _open_errors: tuple[type[BaseException], ...] = ()  # cannot be opened yet: retry later

    def __init__(
        self, retention_days: int, buffer: int = 10_000, clock: Callable[[], float] = time.time, salt: str | None = None
    ) -> None:
        self.retention_days = retention_days
        self.clock = clock
        self.capacity = buffer
        self._salt = salt
        self._pending: list[_Write] = []
        self._inflight: set[int] = set()  # ids of the writes being committed right now
        self._buffered: dict[tuple[str, str], _Buffered] = {}
        self._lock = threading.Condition()
        self._stopping = False
        self._available = threading.Event()
        self._dropped = 0
        self._failures = 0
        self._writer = threading.Thread(target=self._write_loop, name=f"{self.name}-writer", daemon=True)

    def start(self) -> None:
        """Start the writer (it connects, upgrades the schema, prunes, then writes)."""
        self._writer.start()
        self.prune()

    @property
    def available(self) -> bool:
        """Whether the writer is connected right now."""
        return self._available.is_set()

    def wait_available(self, timeout: float) -> bool:
        """Wait until the writer is connected; False on timeout."""
        return self._available.wait(timeout)

    # Identity ------------------------------------------------------------------------------

    def user_hash(self, user: int | str) -> str:
        """The pseudonym a user is stored under (needs the salt: known once connected)."""
        if self._salt is None:
            raise StoreUnavailable(f"the {self.name} has not been reached yet")
        return hashlib.blake2b(f"{self._salt}:{user}".encode(), digest_size=10).hexdigest()

    # Writing -------------------------------------------------------------------------------

    def record(self, entry: Entry) -> Future[None]:
        """Queue an entry; the future completes once it is committed."""
        asked_at = entry.asked_at if entry.asked_at is not None else self.clock()

        def insert(db: Any) -> None:
            self._run(
                db,
                "INSERT INTO questions (ref, asked_at, user_hash, chat_type, question, answered, article, section,"
                " score, kind, closest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ref) DO NOTHING",
                (
                    entry.ref,
                    asked_at,
                    self.user_hash(entry.user) if entry.user else None,
                    entry.chat_type,
                    entry.question,
                    int(entry.answered),
                    entry.article,
                    entry.section,
                    entry.score,
                    entry.kind,
                    entry.closest,
                ),
            )

        return self._submit(_Write(insert, Future(), owner=entry.user))

    def vote(self, ref: str, helpful: bool, article: str, section: str) -> Future[None]:
        """Record a vote on the answer a logged question got (the one rated: maybe another candidate)."""
        sql = "UPDATE questions SET vote = ?, article = ?, section = ? WHERE ref = ?"
        return self._submit(_Write(lambda db: self._run(db, sql, (int(helpful), article, section, ref)), Future()))

    def forget(self, user: str, timeout: float = 10.0) -> Forgotten:
        """Delete everything kept about a user: buffered writes now, stored rows once committed."""
        buffered = 0
        with self._lock:
            for write in self._pending:
                # A write being committed now is counted by the delete that follows it instead.
                if (
                    write.owner == user
                    and not write.cancelled
                    and write.key is None
                    and id(write) not in self._inflight
                ):
                    buffered += 1
                if write.owner == user and not write.cancelled:
                    _cancel(write)
            for key in [k for k, b in self._buffered.items() if b.owner == user]:
                del self._buffered[key]

        def delete(db: Any) -> int:
            owner = self.user_hash(user)
            for table in ("buttons", "contexts"):
                self._run(db, f"DELETE FROM {table} WHERE owner = ?", (owner,))
            return int(self._run(db, "DELETE FROM questions WHERE user_hash = ?", (owner,)).rowcount)

        future = self._submit(_Write(delete, Future(), bounded=False))
        try:
            # Wait while connected or still connecting; not while known to be unreachable.
            return Forgotten(future.result(timeout if self._failures == 0 else 0), buffered, True)
        except TimeoutError:
            return Forgotten(0, buffered, False)
        except StoreUnavailable:
            return Forgotten(0, buffered, False)

    def prune(self) -> Future[int]:
        """Delete entries older than the retention period, and old button state and context."""
        cutoff = self.clock() - self.retention_days * 86400

        def delete(db: Any) -> int:
            self._run(db, "DELETE FROM buttons WHERE created_at < ?", (cutoff,))
            self._run(db, "DELETE FROM contexts WHERE updated_at < ?", (cutoff,))
            return int(self._run(db, "DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount)

        return self._submit(_Write(delete, Future(), bounded=False))

    def put_button(
        self, ref: str, owner: str, payload: dict[str, Any], created_at: float | None = None
    ) -> Future[None]:
        """Keep the state behind a button under a reference the caller made; readable at once."""
        stamp = self.clock() if created_at is None else created_at
        data = json.dumps(payload, ensure_ascii=False)

        def insert(db: Any) -> None:
            self._run(
                db,
                "INSERT INTO buttons (ref, owner, payload, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (ref) DO UPDATE SET owner = excluded.owner, payload = excluded.payload,"
                " created_at = excluded.created_at",
                (ref, self.user_hash(owner), data, stamp),
            )

        return self._submit_buffered(("button", ref), insert, owner, payload, stamp)

    def get_button(self, ref: str, user: str | None) -> ButtonState | None:
        """The state behind a button (from the buffer if not yet written), or None."""
        with self._lock:
            buffered = self._buffered.get(("button", ref))
        if buffered is not None:
            return ButtonState(dict(buffered.payload), user == buffered.owner, buffered.stamp)
        row = self._read_one("SELECT owner, payload, created_at FROM buttons WHERE ref = ?", (ref,))
        if row is None:
            return None
        mine = user is not None and row[0] == self.user_hash(user)
        return ButtonState(json.loads(row[1]), mine, float(row[2]))

    def delete_buttons(self, owner: str) -> Future[None]:
        """Forget the state behind every button sent to `owner` (buffered ones at once)."""
        return self._delete_owned("button", "buttons", owner)

    def _delete_owned(self, kind: str, table: str, owner: str) -> Future[None]:
        with self._lock:
            for key in [k for k, b in self._buffered.items() if k[0] == kind and b.owner == owner]:
                _cancel(self._buffered.pop(key).write)
        sql = f"DELETE FROM {table} WHERE owner = ?"
        return self._submit(_Write(lambda db: self._run(db, sql, (self.user_hash(owner),)), Future(), bounded=False))

    def put_context(
        self, key: str, owner: str, payload: dict[str, Any], updated_at: float | None = None
    ) -> Future[None]:
        """Keep a conversation's context under `key`; readable at once."""
        stamp = self.clock() if updated_at is None else updated_at
        data = json.dumps(payload, ensure_ascii=False)

        def upsert(db: Any) -> None:
            self._run(
                db,
                "INSERT INTO contexts (key, owner, payload, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, payload = excluded.payload,"
                " updated_at = excluded.updated_at",
                (key, self.user_hash(owner), data, stamp),
            )

        return self._submit_buffered(("context", key), upsert, owner, payload, stamp)

    def get_context(self, key: str, max_age: float) -> dict[str, Any] | None:
        """The context under `key` if updated within `max_age` seconds, else None."""
        oldest = self.clock() - max_age
        with self._lock:
            buffered = self._buffered.get(("context", key))
        if buffered is not None:
            return dict(buffered.payload) if buffered.stamp >= oldest else None
        row = self._read_one("SELECT payload FROM contexts WHERE key = ? AND updated_at >= ?", (key, oldest))
        return json.loads(row[0]) if row else None

    def delete_context(self, key: str) -> Future[None]:
        """Forget the context under `key`."""
        with self._lock:
            buffered = self._buffered.pop(("context", key), None)
            if buffered is not None:
                _cancel(buffered.write)
        sql = "DELETE FROM contexts WHERE key = ?"
        return self._submit(_Write(lambda db: self._run(db, sql, (key,)), Future(), bounded=False))

    def delete_contexts(self, owner: str) -> Future[None]:
        """Forget every conversation context of `owner` (buffered ones at once)."""
        return self._delete_owned("context", "contexts", owner)

    def claim(self, job: str, period: str) -> bool:
        """True for exactly one caller (across processes) per job and period."""
        self._ready()
        try:
            with self._connection(write=True) as db, self._transaction(db):
                cur = self._run(
                    db,
                    "INSERT INTO claims (job, period, claimed_at) VALUES "
                    "(?, ?, ?) ON CONFLICT (job, period) DO NOTHING",
                    (job, period, self.clock()),
                )
                return bool(cur.rowcount == 1)
        except self._open_errors as exc:
            raise StoreUnavailable(f"the {self.name} cannot be written: {' '.join(str(exc).split())}") from None

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is committed."""
        self._submit(_Write(lambda db: None, Future(), bounded=False)).result(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued (if the database is reachable) and stop the writer."""
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._writer.is_alive():
            self._writer.join(timeout)
        with self._lock:
            lost = sum(1 for w in self._pending if w.bounded and not w.cancelled)
        if lost:
            log.warning("%s closed while unreachable: %d buffered writes not saved", self.name, lost)
        self._close_backend()

    # Reading -------------------------------------------------------------------------------

    def totals(self, start: float) -> Totals:
        """Counts of the period starting at `start` (epoch seconds)."""
        row = self._read_one(
            "SELECT COUNT(*), COALESCE(SUM(answered), 0), COUNT(DISTINCT user_hash),"
            " COALESCE(SUM(CASE WHEN vote = 1 THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN vote = 0 THEN 1 ELSE 0 END), 0)"
            " FROM questions WHERE asked_at >= ?",
            (start,),
        )
        assert row is not None
        return Totals(*(int(v) for v in row))

    def questions(self, start: float, unanswered: bool = False) -> list[str]:
        """The questions of the period in the order they were asked."""
        only = " AND answered = 0" if unanswered else ""
        return [
            q
            for (q,) in self._read(
                f"SELECT question FROM questions WHERE asked_at >= ?{only} ORDER BY asked_at, id", (start,)
            )
        ]

    def votes_by_article(self, start: float) -> list[ArticleVotes]:
        """Votes per article, least helpful first."""
        rows = self._read(
            "SELECT article, SUM(CASE WHEN vote = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN vote = 0 THEN 1 ELSE 0 END)"
            " FROM questions WHERE vote IS NOT NULL AND article IS NOT NULL AND asked_at >= ? GROUP BY article",
            (start,),
        )
        found = [ArticleVotes(a, int(h), int(n)) for a, h, n in rows]
        return sorted(found, key=lambda v: (v.ratio, -(v.helpful + v.not_helpful), v.article))

    def per_day(self, start: float) -> list[Day]:
        """Questions and answers per UTC day."""
        rows = self._read(
            f"SELECT {self._day_sql} AS day, COUNT(*), SUM(answered) FROM "
            "questions WHERE asked_at >= ? GROUP BY day ORDER BY day",
            (start,),
        )
        return [Day(str(d), int(n), int(a)) for d, n, a in rows]

    def logged(self, start: float) -> list[LoggedQuestion]:
        """Every logged question of the period, oldest first."""
        rows = self._read(
            "SELECT ref, asked_at, user_hash, chat_type, question, answered, article, section, score, vote, kind,"
            " closest FROM questions WHERE asked_at >= ? ORDER BY asked_at, id",
            (start,),
        )
        return [
            LoggedQuestion(
                r[0],
                float(r[1]),
                r[2],
                r[3],
                r[4],
                bool(r[5]),
                r[6],
                r[7],
                None if r[8] is None else float(r[8]),
                None if r[9] is None else int(r[9]),
                r[10],
                r[11],
            )
            for r in rows
        ]

    def schema_version(self) -> int:
        """The schema version of the database."""
        row = self._read_one("SELECT version FROM schema_version", ())
        return int(row[0]) if row else 0

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self._failures and self._writer.is_alive():
            # Known to be unreachable: answer at once rather than wait for a connection timeout.
            raise StoreUnavailable(f"the {self.name} is unreachable; retrying in the background")
        self._ready()
        try:
            with self._connection() as db:
                cursor = self._run(db, sql, params)
                rows: list[tuple[Any, ...]] = []
                # In small steps: a driver may hold the GIL while it converts a whole result.
                while chunk := cursor.fetchmany(500):
                    rows.extend(tuple(r) for r in chunk)
                return rows
        except self._open_errors as exc:
            raise StoreUnavailable(f"the {self.name} cannot be read: {' '.join(str(exc).split())}") from None

    def _ready(self) -> None:
        """Wait for the store's first opening at start-up (its tables may not exist before the
        writer's first schema upgrade); raise `StoreUnavailable` when it does not open."""
        if self._writer.is_alive() and not self._available.is_set() and not self._available.wait(OPENING_WAIT):
            raise StoreUnavailable(f"the {self.name} is not open yet")

    def _read_one(self, sql: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        rows = self._read(sql, params)
        return rows[0] if rows else None

    # The writer ----------------------------------------------------------------------------

    def _submit(self, write: _Write) -> Future[Any]:
        with self._lock:
            if self._stopping:
                write.future.set_exception(RuntimeError(f"the {self.name} is closed"))
                return write.future
            if write.bounded and len(self._pending) >= self.capacity:
                self._dropped += 1
                if self._dropped == 1 or self._dropped % 1000 == 0:
                    log.warning(
                        "%s buffer full (%d writes): %d dropped so far", self.name, self.capacity, self._dropped
                    )
                write.future.set_exception(StoreUnavailable(f"the {self.name} buffer is full"))
                return write.future
            self._pending.append(write)
            self._lock.notify_all()
        return write.future

    def _submit_buffered(
        self, key: tuple[str, str], work: Callable[[Any], Any], owner: str, payload: dict[str, Any], stamp: float
    ) -> Future[None]:
        write = _Write(work, Future(), owner=owner, key=key)
        with self._lock:
            self._buffered[key] = _Buffered(write, owner, dict(payload), stamp)
        return self._submit(write)

    def _write_loop(self) -> None:
        db = None
        pause = 0.5
        while True:
            with self._lock:
                self._pending = [w for w in self._pending if not w.cancelled]
                while not self._pending and not self._stopping:
                    self._lock.wait()
                # Closing: write what is left, unless the database is known to be unreachable.
                if self._stopping and (not self._pending or (db is None and self._failures)):
                    break
                batch = [w for w in self._pending if not w.cancelled][:BATCH]
            if db is None:
                db = self._open_writer()
                if db is None:
                    with self._lock:
                        self._lock.wait_for(lambda: self._stopping, timeout=pause)
                    pause = min(pause * 2, 10.0)
                    continue
                pause = 0.5
            with self._lock:
                batch = [w for w in batch if not w.cancelled]
                self._inflight = {id(w) for w in batch}
            try:
                results = self._commit(db, batch)
            except self._transient as exc:
                with self._lock:
                    self._inflight = set()
                self._lost(exc)
                self._discard(db)
                db = None
                continue
            except Exception as exc:  # noqa: BLE001 - a write that can never succeed: fail it, keep the writer
                log.error("%s write failed: %s", self.name, exc)
                self._finish(batch, [exc] * len(batch))
                continue
            self._finish(batch, results)
        if db is not None:
            self._discard(db)

    def _open_writer(self) -> Any:
        db = None
        try:
            db = self._connect()
            self._migrate(db)
            if self._salt is None:
                self._salt = self._load_salt(db)
        except Exception as exc:  # noqa: BLE001 - whatever stops opening it (down, corrupt, no rights): retry
            self._lost(exc)
            if db is not None:
                self._discard(db)
            return None
        if self._failures:
            log.info("%s reachable again; writing %d buffered writes", self.name, len(self._pending))
        self._failures = 0
        self._available.set()
        return db

    def _lost(self, exc: BaseException) -> None:
        self._available.clear()
        self._failures += 1
        if self._failures == 1:
            log.warning(
                "%s unavailable (%s); answers go on, writes are buffered and retried in the background",
                self.name,
                " ".join(str(exc).split()),
            )

    def _commit(self, db: Any, batch: list[_Write]) -> list[Any]:
        with self._transaction(db):
            return [w.work(db) for w in batch]

    def _finish(self, batch: list[_Write], results: list[Any]) -> None:
        done = set(map(id, batch))
        with self._lock:
            self._inflight = set()
            self._pending = [w for w in self._pending if id(w) not in done]
            for write in batch:
                if write.key is not None:
                    buffered = self._buffered.get(write.key)
                    if buffered is not None and buffered.write is write:
                        del self._buffered[write.key]
        for write, result in zip(batch, results, strict=True):
            if write.future.done():
                continue
            if isinstance(result, BaseException):
                write.future.set_exception(result)
            else:
                write.future.set_result(result)

    # Backend hooks -------------------------------------------------------------------------

    def _run(self, db: Any, sql: str, params: tuple[Any, ...]) -> Any:
        return db.execute(self._sql(sql), params)

    def _sql(self, sql: str) -> str:
        return sql

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Any]:
        raise NotImplementedError
        yield

    @contextmanager
    def _transaction(self, db: Any) -> Iterator[None]:
        raise NotImplementedError
        yield

    def _connect(self) -> Any:
        raise NotImplementedError

    def _migrate(self, db: Any) -> None:
        raise NotImplementedError

    def _load_salt(self, db: Any) -> str:
        raise NotImplementedError

    def _discard(self, db: Any) -> None:
        try:
            db.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
            pass

    def _close_backend(self) -> None:
        pass
