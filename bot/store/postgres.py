"""The PostgreSQL backend (when DATABASE_URL is set): psycopg 3, a small pool for reads, one writer."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from bot.store.queued import QueuedStore
from bot.store.schema import apply, migrations

# Serializes schema upgrades of processes starting together (any constant shared by them).
_MIGRATION_LOCK = 0x61726574


class PostgresStore(QueuedStore):
    """Everything the bot keeps, in the PostgreSQL database at DATABASE_URL."""

    name = "database"
    _day_sql = "to_char(to_timestamp(asked_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    _transient = (psycopg.OperationalError,)
    _open_errors = (psycopg.OperationalError,)

    def __init__(
        self,
        url: str,
        retention_days: int,
        pool_size: int = 5,
        salt: str | None = None,
        buffer: int = 10_000,
        connect_timeout: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        extra = {"clock": clock} if clock is not None else {}
        super().__init__(retention_days, buffer=buffer, salt=salt, **extra)
        self.url = url
        self.connect_timeout = connect_timeout
        # The pool logs each failed connection attempt; the store warns once per outage instead.
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        # One connection is the writer's; readers share the rest.
        self._pool = ConnectionPool(
            url,
            min_size=0,
            max_size=max(1, pool_size - 1),
            open=True,
            timeout=connect_timeout,
            check=ConnectionPool.check_connection,  # after a database restart, pooled connections are dead
            kwargs={"connect_timeout": max(1, int(connect_timeout))},
            name="bot-store",
        )

    @classmethod
    def open(
        cls, url: str, retention_days: int, pool_size: int = 5, salt: str | None = None, buffer: int = 10_000
    ) -> PostgresStore:
        """The store at `url` with its writer started."""
        store = cls(url, retention_days, pool_size, salt, buffer)
        store.start()
        return store

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(self.connect_timeout)))

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[psycopg.Connection[Any]]:
        with self._pool.connection() as db:
            yield db

    @contextmanager
    def _transaction(self, db: psycopg.Connection[Any]) -> Iterator[None]:
        with db.transaction():
            yield

    def _migrate(self, db: psycopg.Connection[Any]) -> None:
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            apply(db, migrations("postgres"), self._run)

    def _load_salt(self, db: psycopg.Connection[Any]) -> str:
        with db.transaction():
            db.execute(
                "INSERT INTO meta (key, value) VALUES ('salt', %s) ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(16),),
            )
            row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        assert row is not None  # inserted just above when missing
        return str(row[0])

    def _close_backend(self) -> None:
        self._pool.close()
