"""The store when things go wrong: old files, outages, crashes, bad URLs, a second process."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from conftest import PROJECT
from postgres_server import PostgresServer

from bot.store import Entry, Forgotten, StoreUnavailable
from bot.store.postgres import PostgresStore
from bot.store.sqlite import SqliteStore

# The question log's schema as first shipped (bot/questionlog.py at commit 6829759), verbatim.
SCHEMA_6829759 = """
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


def old_log(data_dir: Path, salt: str = "garam-lama") -> Path:
    """A log as the first version wrote it: its schema, its salt file, three questions of two users."""
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "log-salt").write_text(salt)
    path = data_dir / "questions.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_6829759)
        db.execute("PRAGMA journal_mode=WAL")
        for n, (user, question) in enumerate([("11", "apa itu vlan"), ("11", "harga kursus"), ("22", "alamat kantor")]):
            user_hash = hashlib.blake2b(f"{salt}:{user}".encode(), digest_size=10).hexdigest()
            db.execute(
                "INSERT INTO questions (ref, asked_at, user_hash, chat_type, "
                "question, answered, vote) VALUES (?, ?, ?, 'private', ?, ?, ?)",
                (f"abcd{n}", 1.8e9 + n, user_hash, question, int(n == 0), 1 if n == 0 else None),
            )
    return path


def test_a_log_written_by_the_first_version_is_upgraded_in_place(tmp_path: Path) -> None:
    path = old_log(tmp_path)
    store = SqliteStore.open(tmp_path, retention_days=36500)
    store.flush()
    assert store.schema_version() == 3
    assert {r.kind for r in store.logged(0)} == {None}  # older rows: the decision is unknown
    assert [r.question for r in store.logged(0)] == ["apa itu vlan", "harga kursus", "alamat kantor"]
    assert store.totals(0).helpful == 1
    store.put_button("b1", "11", {"q": 1}).result(10)
    assert store.get_button("b1", "11").mine
    # The salt file is still used: /hapusdata finds the old entries.
    assert store.forget("11") == Forgotten(2, 0, True)
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT question FROM questions").fetchall() == [("alamat kantor",)]


def bot_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BOT_LOG_SALT")}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_log_copies_the_log_and_its_salt_once(postgres: PostgresServer, tmp_path: Path) -> None:
    old_log(tmp_path / "data")
    url = postgres.new_database()
    env = {"BOT_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": url}
    first = bot_command("migrate-log", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("copied 3 questions to postgresql://postgres:***@/")
    assert "(0 already there; salt copied)" in first.stdout
    again = bot_command("migrate-log", env=env)
    assert again.returncode == 0, again.stderr
    assert "copied 0 questions" in again.stdout and "(3 already there; salt already there)" in again.stdout
    for done in (first, again):
        assert postgres.PASSWORD not in done.stdout + done.stderr
    store = PostgresStore.open(url, retention_days=36500)  # no BOT_LOG_SALT: the salt comes from the database
    store.flush()
    assert [r.question for r in store.logged(0)] == ["apa itu vlan", "harga kursus", "alamat kantor"]
    assert store.forget("11") == Forgotten(2, 0, True)
    store.close()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bot:hunter2secret@db.example:notaport/bot",
        "mysql://bot:hunter2secret@db.example/bot",
        "postgresql://bot:hunter2secret@db.example",
    ],
)
def test_a_malformed_database_url_is_one_line_with_the_password_masked(url: str, tmp_path: Path) -> None:
    done = bot_command("check", "--knowledge", str(tmp_path), env={"DATABASE_URL": url})
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("error: config: DATABASE_URL") and "Traceback" not in done.stderr
    assert "hunter2secret" not in done.stderr and "bot:***@" in done.stderr


def writes_in_a_child(url: str) -> subprocess.Popen[str]:
    script = textwrap.dedent(
        f"""
        import itertools
        from bot.store import Entry
        from bot.store.postgres import PostgresStore
        store = PostgresStore({url!r}, 30, salt="s")
        store.start()
        pending = []
        for n in itertools.count():
            pending.append((n, store.record(Entry(f"r{{n}}", f"pertanyaan {{n}}", True))))
            done = [p for p in pending if p[1].done()]
            for m, future in done:
                future.result()
                print(f"ACK r{{m}}", flush=True)
            pending = [p for p in pending if not p[1].done()]
            if n % 50 == 0:
                import time; time.sleep(0.01)  # pace the writer a little, as users would
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_a_database_crash_mid_writes_loses_no_acknowledged_entry(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    child = writes_in_a_child(url)
    assert child.stdout is not None
    before = [child.stdout.readline().split()[1] for _ in range(200)]
    postgres.stop("immediate")
    postgres.start()  # meanwhile the child keeps recording: entries wait in its buffer
    after = [child.stdout.readline().split()[1] for _ in range(200)]  # written again: the writer reconnected
    child.kill()
    child.wait(10)
    _, errors = child.communicate(timeout=10)
    store = PostgresStore(url, 30, salt="s")
    stored = {r.ref for r in store.logged(0)}
    store.close()
    assert set(before + after) <= stored
    assert errors.count("database unavailable") == 1, errors


@pytest.mark.slow
def test_unreachable_at_start_buffers_and_writes_when_back(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    postgres.stop("immediate")
    try:
        store = PostgresStore.open(url, retention_days=30, salt="s")
        pending = store.record(Entry("r1", "ditanya saat database mati", False, user="5"))
        store.put_button("b1", "5", {"q": 1})
        assert store.get_button("b1", "5").payload == {"q": 1}  # from the buffer
        with pytest.raises(StoreUnavailable):
            store.totals(0)
        # /hapusdata while unreachable: the buffered entry is purged now, honestly reported.
        assert store.forget("5") == Forgotten(0, 1, False)
        assert pending.cancelled()
        with pytest.raises(StoreUnavailable):  # gone from the buffer; the table cannot be asked yet
            store.get_button("b1", "5")
        store.record(Entry("r2", "lagi", False, user="6"))
    finally:
        postgres.start()
    assert store.wait_available(60)
    store.flush(30)
    assert [r.ref for r in store.logged(0)] == ["r2"]
    store.close()


class Warned(logging.Handler):
    """Sets an event when the store warns (to wait for the writer's first attempt, not sleep)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.event = threading.Event()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self.event.set()


def test_a_corrupt_sqlite_file_is_retried_in_the_background(tmp_path: Path) -> None:
    path = tmp_path / "questions.sqlite3"
    path.write_bytes(b"this is not a database\n" * 200)
    warned = Warned()
    logging.getLogger("bot.store").addHandler(warned)
    try:
        store = SqliteStore.open(tmp_path, retention_days=30, salt="s")
        pending = store.record(Entry("r1", "pertanyaan", True))
        assert warned.event.wait(30)
        with pytest.raises(StoreUnavailable):
            store.totals(0)
        path.unlink()  # the operator moves the broken file away
        assert store.wait_available(60)
        pending.result(10)
        assert store.totals(0).questions == 1
        store.close()
    finally:
        logging.getLogger("bot.store").removeHandler(warned)
    assert warned.messages[0].startswith("question log unavailable (file is not a database)")
    assert sum("unavailable" in w for w in warned.messages) == 1


def test_a_data_folder_that_cannot_be_written_is_retried_in_the_background(tmp_path: Path) -> None:
    """A read-only data folder, as root sees one: a file where the folder should be."""
    blocked = tmp_path / "data"
    blocked.write_text("a file, not a folder")
    warned = Warned()
    logging.getLogger("bot.store").addHandler(warned)
    try:
        store = SqliteStore.open(blocked, retention_days=30)  # the salt file cannot be written either
        pending = store.record(Entry("r1", "pertanyaan", True, user="9"))
        assert warned.event.wait(30)
        assert not pending.done()
        blocked.unlink()
        assert store.wait_available(60)
        pending.result(10)
        assert [r.user_hash for r in store.logged(0)] == [store.user_hash("9")]
        store.close()
    finally:
        logging.getLogger("bot.store").removeHandler(warned)
    assert len(warned.messages) == 1 and warned.messages[0].startswith("question log unavailable")


def test_two_processes_upgrading_a_new_database_together(postgres: PostgresServer) -> None:
    url = postgres.new_database()
    script = textwrap.dedent(
        f"""
        import sys
        from bot.store.postgres import PostgresStore
        store = PostgresStore({url!r}, 30)
        sys.stdin.readline()
        store.start()
        store.flush(30)
        print(store.schema_version(), store.user_hash(1), flush=True)
        store.close()
        """
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            cwd=PROJECT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    results = [child.communicate(timeout=60) for child in children]
    assert [out.split()[0] for out, _ in results] == ["3"] * 4, results
    assert len({out.split()[1] for out, _ in results}) == 1  # one salt for all
    assert all("Error" not in err for _, err in results), results


def test_report_with_an_unreachable_database_is_one_line_with_the_password_masked(tmp_path: Path) -> None:
    url = f"postgresql://bot:hunter2secret@/bot?host={tmp_path}/no-server-here"
    (tmp_path / "fast.yaml").write_text("database:\n  connect_timeout: 1\n")
    done = bot_command(
        "report", "--config", str(tmp_path / "fast.yaml"), env={"DATABASE_URL": url, "BOT_DATA_DIR": str(tmp_path)}
    )
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith(
        f"error: cannot read the question log postgresql://bot:***@/bot?host={tmp_path}/no-server-here"
    )
    assert "hunter2secret" not in done.stderr


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("database:\n  pool_size: 1\n", "'database.pool_size' must be at least 2"),
        ("database:\n  buffer: 0\n", "'database.buffer' and 'database.connect_timeout' positive"),
        (
            "database_url: postgresql://a:b@c/d\n",
            "'database_url' is read only from the environment variable DATABASE_URL",
        ),
    ],
)
def test_database_settings_are_checked(setting: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(setting)
    done = bot_command(
        "check", "--config", str(tmp_path / "bad.yaml"), "--knowledge", str(PROJECT / "knowledge"), env={}
    )
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
