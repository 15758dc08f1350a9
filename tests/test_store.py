"""The store, on SQLite and PostgreSQL alike: durable, never in the way of a reply, private."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PROJECT, Clock, MakeStore

from bot.store import Entry, Forgotten, StoreUnavailable
from bot.store.base import ButtonState
from bot.store.queued import QueuedStore
from bot.store.sqlite import SqliteStore

DAY = 86400.0


def hold_write_lock(make_store: MakeStore, backend: str, tmp_path: Path) -> Callable[[], object]:
    """Another client holding the write lock of the store's tables; call the result to let go."""
    if backend == "sqlite":
        blocker = sqlite3.connect(tmp_path / "questions.sqlite3", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        return lambda: (blocker.execute("COMMIT"), blocker.close())
    import psycopg

    blocker = psycopg.connect(make_store.url)
    blocker.execute("LOCK TABLE questions, buttons, contexts IN ACCESS EXCLUSIVE MODE")
    return lambda: (blocker.commit(), blocker.close())


def test_an_acknowledged_entry_is_stored(make_store: MakeStore) -> None:
    store = make_store()
    store.record(Entry("r1", "apa itu vlan", True, "vlan", "Apa Itu VLAN?", 0.5, "42", "private")).result(10)
    (row,) = store.logged(0)
    assert (row.ref, row.question, row.answered, row.article, row.chat_type) == (
        "r1",
        "apa itu vlan",
        True,
        "vlan",
        "private",
    )
    assert row.user_hash == store.user_hash(42) and "42" not in row.user_hash


def test_the_sqlite_log_is_a_wal_file(tmp_path: Path) -> None:
    store = SqliteStore.open(tmp_path, retention_days=30, salt="s")
    store.flush()
    store.close()
    with sqlite3.connect(tmp_path / "questions.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_writing_does_not_wait_for_the_database(make_store: MakeStore, backend: str, tmp_path: Path) -> None:
    store = make_store()
    store.flush()
    release = hold_write_lock(make_store, backend, tmp_path)
    pending = store.record(Entry("r1", "gaji network engineer", True))  # returns while the lock is held
    button = store.put_button("b1", "7", {"candidates": [1, 2]})
    assert not pending.done() and not button.done()
    # A press that arrives before the commit is served from the write buffer.
    assert store.get_button("b1", "7") == ButtonState({"candidates": [1, 2]}, True, button_stamp(store, "b1"))
    release()
    pending.result(10)
    button.result(10)
    assert store.get_button("b1", "7").payload == {"candidates": [1, 2]}
    assert store.get_button("b1", "8").mine is False


def button_stamp(store: QueuedStore, ref: str) -> float:
    return store.get_button(ref, None).created_at


def test_users_are_stored_only_as_salted_hashes(make_store: MakeStore) -> None:
    a, b = make_store(salt="satu"), make_store(salt="dua")
    assert a.user_hash(4242) == a.user_hash("4242") != b.user_hash(4242)
    assert "4242" not in a.user_hash(4242)


def test_without_a_salt_given_one_is_created_once_and_kept(make_store: MakeStore, backend: str, tmp_path: Path) -> None:
    first = make_store(salt=None)
    assert first.wait_available(10)
    second = make_store(salt=None)
    assert second.wait_available(10)
    assert first.user_hash(1) == second.user_hash(1)
    if backend == "sqlite":
        assert (tmp_path / "log-salt").stat().st_mode & 0o777 == 0o600


def test_old_entries_are_pruned_by_the_retention_period(make_store: MakeStore) -> None:
    clock = Clock(1_000 * DAY)
    store = make_store(retention_days=30, clock=clock)
    store.record(Entry("old", "pertanyaan lama", True, asked_at=clock.now - 31 * DAY))
    store.record(Entry("new", "pertanyaan baru", True, asked_at=clock.now - 29 * DAY))
    store.put_button("b-old", "1", {}, created_at=clock.now - 31 * DAY)
    assert store.prune().result(10) == 1
    assert store.get_button("b-old", "1") is None
    store.close()
    reopened = make_store(retention_days=10, clock=clock)  # pruned again at start-up
    reopened.flush()
    assert reopened.totals(0).questions == 0


def test_a_user_can_delete_everything_about_them(make_store: MakeStore) -> None:
    store = make_store()
    for n, user in enumerate(["1", "1", "2"]):
        store.record(Entry(f"r{n}", f"pertanyaan {n}", True, user=user))
        store.put_button(f"b{n}", user, {"q": n})
        store.put_context(f"chat{n}", user, {"last": n})
    store.flush()
    assert store.forget("1") == Forgotten(2, 0, True)
    assert [r.ref for r in store.logged(0)] == ["r2"]
    assert store.get_button("b0", "1") is None and store.get_context("chat1", 3600) is None
    assert store.get_button("b2", "2") is not None and store.get_context("chat2", 3600) == {"last": 2}


def test_conversation_context_expires_and_can_be_deleted(make_store: MakeStore) -> None:
    clock = Clock(1_000 * DAY)
    store = make_store(clock=clock)
    store.put_context("chat-1", "1", {"topic": "vlan"})
    assert store.get_context("chat-1", 60) == {"topic": "vlan"}  # from the buffer or the table
    store.flush()
    assert store.get_context("chat-1", 60) == {"topic": "vlan"}
    clock.now += 120
    assert store.get_context("chat-1", 60) is None
    assert store.get_context("chat-1", 600) == {"topic": "vlan"}
    store.delete_context("chat-1").result(10)
    assert store.get_context("chat-1", 600) is None


def test_a_job_is_claimed_by_exactly_one_process(make_store: MakeStore, backend: str, tmp_path: Path) -> None:
    store = make_store()
    store.flush()
    if backend == "sqlite":
        opener = f"SqliteStore(Path({str(tmp_path / 'questions.sqlite3')!r}), 30, salt='garam')"
    else:
        opener = f"PostgresStore({make_store.url!r}, 30, salt='garam')"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from bot.store.sqlite import SqliteStore
        from bot.store.postgres import PostgresStore
        store = {opener}
        sys.stdin.readline()  # start together
        print(store.claim("daily-report", "2026-11-29"), flush=True)
        store.close()
        """
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()
    results = [child.communicate(timeout=60)[0].strip() for child in children]
    assert sorted(results) == ["False", "False", "False", "True"]
    assert store.claim("daily-report", "2026-11-30") is True


def test_no_acknowledged_entry_is_lost_when_the_process_is_killed(
    make_store: MakeStore, backend: str, tmp_path: Path
) -> None:
    store = make_store()
    store.flush()
    if backend == "sqlite":
        opener = f"SqliteStore(Path({str(tmp_path / 'questions.sqlite3')!r}), 30, salt='s')"
    else:
        opener = f"PostgresStore({make_store.url!r}, 30, salt='s')"
    script = textwrap.dedent(
        f"""
        import itertools
        from pathlib import Path
        from bot.store import Entry
        from bot.store.sqlite import SqliteStore
        from bot.store.postgres import PostgresStore
        store = {opener}
        store.start()
        for n in itertools.count():
            pending = store.record(Entry(f"r{{n}}", f"pertanyaan {{n}}", n % 2 == 0))
            if n % 7 == 0:
                pending.result(10)
                print(f"ACK r{{n}}", flush=True)
        """
    )
    with subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        acknowledged = [child.stdout.readline().split()[1] for _ in range(40)]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    stored = {r.ref for r in store.logged(0)}
    assert set(acknowledged) <= stored


def test_a_full_buffer_drops_writes_with_a_counted_warning(
    make_store: MakeStore, backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = make_store(buffer=5)
    store.flush()
    release = hold_write_lock(make_store, backend, tmp_path)
    try:
        with caplog.at_level("WARNING", logger="bot.store"):
            pending = [store.record(Entry(f"r{n}", f"q {n}", True)) for n in range(8)]
        # One write may already be on its way to the database (taken from the buffer).
        dropped = [p for p in pending if p.done() and isinstance(p.exception(), StoreUnavailable)]
        assert len(dropped) in (2, 3)
        assert "buffer full (5 writes): 1 dropped so far" in caplog.text
    finally:
        release()
    kept = [p for p in pending if p not in dropped]
    for p in kept:
        p.result(10)
    assert store.totals(0).questions == len(kept)


def test_button_state_and_context_of_one_owner_can_be_deleted(
    make_store: MakeStore, backend: str, tmp_path: Path
) -> None:
    store = make_store()
    store.put_button("b1", "1", {"q": 1})
    store.put_context("chat-1", "1", {"topic": "vlan"})
    store.put_button("b2", "2", {"q": 2})
    store.flush()
    release = hold_write_lock(make_store, backend, tmp_path)
    try:
        buffered = store.put_button("b3", "1", {"q": 3})  # still in the write buffer
        store.delete_buttons("1")
        store.delete_contexts("1")
        assert buffered.cancelled()
    finally:
        release()
    store.flush()
    assert store.get_button("b1", "1") is None and store.get_button("b3", "1") is None
    assert store.get_context("chat-1", 3600) is None
    assert store.get_button("b2", "2").mine
