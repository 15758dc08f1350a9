"""The SQLite backend: one file in the data folder, WAL mode, one writer (the default)."""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.store.queued import QueuedStore
from bot.store.schema import apply, migrations

FILE = "questions.sqlite3"
SALT_FILE = "log-salt"


def log_file(data_dir: Path) -> Path:
    """Where the SQLite question log lives in the data folder."""
    return data_dir / FILE


class SqliteStore(QueuedStore):
    """Everything the bot keeps, in `<data_dir>/questions.sqlite3`."""

    name = "question log"
    _day_sql = "date(asked_at, 'unixepoch')"
    _transient = (sqlite3.OperationalError,)
    _open_errors = (sqlite3.DatabaseError, OSError)

    def __init__(
        self,
        path: Path,
        retention_days: int,
        salt: str | None = None,
        buffer: int = 10_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        extra = {"clock": clock} if clock is not None else {}
        super().__init__(retention_days, buffer=buffer, salt=salt, **extra)
        self.path = path

    @classmethod
    def open(cls, data_dir: Path, retention_days: int, salt: str | None = None, buffer: int = 10_000) -> SqliteStore:
        """The log in `data_dir`, salted with `salt` or a random salt kept beside it; writer started."""
        store = cls(log_file(data_dir), retention_days, salt, buffer)
        store.start()
        return store

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL survives a crash of the process; only power loss may drop the
            # last commits.
            db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error:
            db.close()
            raise
        return db

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        if write:
            db = self._connect()
        else:
            # Read-only: a reader never creates the file, and needs no writable folder.
            db = sqlite3.connect(
                f"file:{self.path}?mode=ro", uri=True, timeout=30, isolation_level=None, check_same_thread=False
            )
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self, db: sqlite3.Connection) -> Iterator[None]:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def _migrate(self, db: sqlite3.Connection) -> None:
        with self._transaction(db):
            apply(db, migrations("sqlite"), self._run)

    def _load_salt(self, db: Any) -> str:
        return file_salt(self.path.parent)


def file_salt(data_dir: Path) -> str:
    """A random salt created once in the data folder (readable by the owner only)."""
    path = data_dir / SALT_FILE
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        salt = secrets.token_hex(16)
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(salt)
        return salt
