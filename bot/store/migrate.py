"""`migrate-log`: copy a SQLite question log, salt included, into the PostgreSQL database."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bot.errors import BotError
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SALT_FILE
from bot.store.url import mask_url

_COLUMNS = "ref, asked_at, user_hash, chat_type, question, answered, article, section, score, vote, kind, closest"


@dataclass(frozen=True)
class Copied:
    """What a migration did."""

    copied: int
    already: int
    salt: str  # "copied", "kept" (the same already) or "environment" (BOT_LOG_SALT)


def migrate(path: Path, url: str, env_salt: str | None, timeout: float = 10.0) -> Copied:
    """Copy every question of the SQLite log at `path` that the database lacks (by reference)."""
    salt = env_salt or _file_salt(path.parent)
    rows = _read(path)
    target = PostgresStore(url, retention_days=36500, pool_size=2, salt=salt, connect_timeout=timeout)
    try:
        db = target._connect()
    except psycopg.OperationalError as exc:
        raise BotError(f"cannot reach DATABASE_URL {mask_url(url)}: {' '.join(str(exc).split())}") from None
    try:
        target._migrate(db)
        with db.transaction():
            salt_done = "environment" if env_salt else _adopt_salt(db, salt)
            copied = 0
            for row in rows:
                cur = db.execute(
                    f"INSERT INTO questions ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " ON CONFLICT (ref) DO NOTHING",
                    row,
                )
                copied += cur.rowcount
    except psycopg.Error as exc:
        raise BotError(f"copying to DATABASE_URL {mask_url(url)} failed: {' '.join(str(exc).split())}") from None
    finally:
        db.close()
        target._close_backend()
    return Copied(copied, len(rows) - copied, salt_done)


def _read(path: Path) -> list[tuple[object, ...]]:
    if not path.is_file():
        raise BotError(f"no question log at {path} to copy")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as src:
            # A log of an older schema lacks later columns: they are copied as NULL (unknown).
            present = {row[1] for row in src.execute("PRAGMA table_info(questions)")}
            columns = ", ".join(c if c in present else f"NULL AS {c}" for c in _COLUMNS.split(", "))
            # Entries written before references existed get one from their row id.
            return [
                (ref or f"sqlite-{rowid}", *rest)
                for rowid, ref, *rest in src.execute(f"SELECT id, {columns} FROM questions ORDER BY id")
            ]
    except sqlite3.Error as exc:
        raise BotError(f"cannot read the question log {path}: {exc}") from None


def _file_salt(data_dir: Path) -> str:
    try:
        return (data_dir / SALT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        raise BotError(
            f"no salt at {data_dir / SALT_FILE} and BOT_LOG_SALT is not set: without the log's salt, "
            "/hapusdata could not find the copied entries"
        ) from None


def _adopt_salt(db: psycopg.Connection[tuple[Any, ...]], salt: str) -> str:
    """Make the log's salt the database's; refuse if the database already hashed users otherwise."""
    row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
    if row is not None and row[0] == salt:
        return "kept"
    if row is not None:
        hashed = db.execute("SELECT COUNT(*) FROM questions WHERE user_hash IS NOT NULL").fetchone()
        if hashed and hashed[0]:
            raise BotError(
                "the database already holds questions hashed with another salt: copy the log before the bot "
                "writes to the database, or set BOT_LOG_SALT to the salt the database uses"
            )
        db.execute("DELETE FROM buttons")  # owned under the old salt
        db.execute("DELETE FROM contexts")
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('salt', %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (salt,),
    )
    return "copied"
