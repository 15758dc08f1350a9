"""Everything the bot keeps, behind one interface: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

from bot.settings import Settings
from bot.store.base import (
    ArticleVotes,
    ButtonState,
    Day,
    Entry,
    Forgotten,
    LoggedQuestion,
    Store,
    StoreUnavailable,
    Totals,
)
from bot.store.queued import QueuedStore

__all__ = [
    "ArticleVotes",
    "ButtonState",
    "Day",
    "Entry",
    "Forgotten",
    "LoggedQuestion",
    "QueuedStore",
    "Store",
    "StoreUnavailable",
    "Totals",
    "open_reader",
    "open_store",
]


def open_store(settings: Settings) -> QueuedStore:
    """The store the settings name, its writer started; never fails for an unreachable database.

    A database that cannot be opened yet (down, a corrupt file, a read-only folder) is warned
    about once and retried in the background while the bot answers.
    """
    store = open_reader(settings)
    store.start()
    return store


def open_reader(settings: Settings) -> QueuedStore:
    """The store the settings name, for reading only (no writer, nothing created)."""
    if settings.database_url:
        from bot.store.postgres import PostgresStore

        d = settings.database
        return PostgresStore(
            settings.database_url,
            settings.log.retention_days,
            d.pool_size,
            settings.log_salt,
            d.buffer,
            d.connect_timeout,
        )
    from bot.store.sqlite import SqliteStore, log_file

    return SqliteStore(
        log_file(settings.data_dir), settings.log.retention_days, settings.log_salt, settings.database.buffer
    )
