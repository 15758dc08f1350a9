"""The schema, as numbered steps per backend; version 1 is the question log as first shipped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.store.base import Migration

_TYPES = {
    "sqlite": {"id": "INTEGER PRIMARY KEY", "real": "REAL"},
    "postgres": {"id": "BIGSERIAL PRIMARY KEY", "real": "DOUBLE PRECISION"},
}


def migrations(backend: str) -> tuple[Migration, ...]:
    """The steps for `backend` ("sqlite" or "postgres"), oldest first."""
    t = _TYPES[backend]
    return (
        Migration(
            1,
            (
                f"""CREATE TABLE IF NOT EXISTS questions (
                id {t["id"]},
                ref TEXT UNIQUE,
                asked_at {t["real"]} NOT NULL,
                user_hash TEXT,
                chat_type TEXT,
                question TEXT NOT NULL,
                answered INTEGER NOT NULL,
                article TEXT,
                section TEXT,
                score {t["real"]},
                vote INTEGER
            )""",
                "CREATE INDEX IF NOT EXISTS questions_asked_at ON questions (asked_at)",
                "CREATE INDEX IF NOT EXISTS questions_user ON questions (user_hash)",
            ),
        ),
        Migration(
            2,
            (
                "CREATE TABLE buttons (ref TEXT PRIMARY KEY, owner TEXT NOT "
                f"NULL, payload TEXT NOT NULL, created_at {t['real']} NOT NULL)",
                "CREATE INDEX buttons_owner ON buttons (owner)",
                "CREATE INDEX buttons_created_at ON buttons (created_at)",
                "CREATE TABLE contexts (key TEXT PRIMARY KEY, owner TEXT NOT "
                f"NULL, payload TEXT NOT NULL, updated_at {t['real']} NOT NULL)",
                "CREATE INDEX contexts_owner ON contexts (owner)",
                "CREATE TABLE claims (job TEXT NOT NULL, period TEXT NOT NULL, "
                f"claimed_at {t['real']} NOT NULL, PRIMARY KEY (job, period))",
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            ),
        ),
        # The decision behind each entry ("answer", "suggest", "none"; NULL in older rows: unknown)
        # and, for an unanswered question, the article the bot came closest to.
        Migration(
            3,
            (
                "ALTER TABLE questions ADD COLUMN kind TEXT",
                "ALTER TABLE questions ADD COLUMN closest TEXT",
            ),
        ),
    )


LATEST = 3


def apply(db: Any, steps: tuple[Migration, ...], run: Callable[[Any, str, tuple[Any, ...]], Any]) -> int:
    """Bring the schema up to the last step (inside the caller's transaction); the version reached."""
    run(db, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", ())
    row = run(db, "SELECT version FROM schema_version", ()).fetchone()
    version = int(row[0]) if row else 0
    if row is None:
        run(db, "INSERT INTO schema_version (version) VALUES (0)", ())
    for step in steps:
        if step.version > version:
            for statement in step.statements:
                run(db, statement, ())
            version = step.version
    run(db, "UPDATE schema_version SET version = ?", (version,))
    return version
