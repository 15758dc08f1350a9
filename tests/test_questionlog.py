"""The question log: durable, never in the way of a reply, private, and readable as reports."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import reports
from bot.normalize import Normalizer
from bot.questionlog import Entry, QuestionLog
from bot.settings import Settings
from conftest import PROJECT

DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log(tmp_path: Path) -> Iterator[QuestionLog]:
    questions = QuestionLog(tmp_path / "questions.sqlite3", salt="garam", retention_days=30)
    yield questions
    questions.close()


def count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM questions").fetchone()[0]


def test_the_log_is_a_wal_sqlite_file(log: QuestionLog) -> None:
    log.record(Entry("r1", "apa itu vlan", True, "vlan", "Apa Itu VLAN?", 0.5)).result(5)
    with sqlite3.connect(log.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert count(log.path) == 1


def test_recording_does_not_wait_for_the_database(log: QuestionLog) -> None:
    blocker = sqlite3.connect(log.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database
    started = time.perf_counter()
    pending = log.record(Entry("r1", "gaji network engineer", True))
    assert time.perf_counter() - started < 0.5
    assert not pending.done()
    blocker.execute("COMMIT")
    blocker.close()
    assert pending.result(10) > 0


def test_users_are_stored_only_as_salted_hashes(tmp_path: Path) -> None:
    a = QuestionLog(tmp_path / "a.sqlite3", salt="satu", retention_days=30)
    b = QuestionLog(tmp_path / "b.sqlite3", salt="dua", retention_days=30)
    assert a.user_hash(4242) == a.user_hash("4242") != b.user_hash(4242)
    assert "4242" not in a.user_hash(4242)
    a.close()
    b.close()


def test_the_salt_is_created_once_and_kept_private(tmp_path: Path) -> None:
    first = QuestionLog.open(tmp_path, retention_days=30)
    second = QuestionLog.open(tmp_path, retention_days=30)
    assert first.salt == second.salt and len(first.salt) == 32
    assert (tmp_path / "log-salt").stat().st_mode & 0o777 == 0o600
    first.close()
    second.close()


def test_old_entries_are_pruned_by_the_retention_period(tmp_path: Path) -> None:
    clock = Clock(1_000 * DAY)
    log = QuestionLog(tmp_path / "q.sqlite3", salt="s", retention_days=30, clock=clock)
    log.record(Entry("old", "pertanyaan lama", True, asked_at=clock.now - 31 * DAY))
    log.record(Entry("new", "pertanyaan baru", True, asked_at=clock.now - 29 * DAY))
    assert log.prune().result(5) == 1
    log.close()
    reopened = QuestionLog(tmp_path / "q.sqlite3", salt="s", retention_days=10, clock=clock)  # pruned again at start-up
    reopened.flush()
    assert count(tmp_path / "q.sqlite3") == 0
    reopened.close()


def test_a_user_can_delete_everything_about_them(log: QuestionLog) -> None:
    me, other = log.user_hash(1), log.user_hash(2)
    for n, user in enumerate([me, me, other]):
        log.record(Entry(f"r{n}", f"pertanyaan {n}", True, user_hash=user))
    assert log.forget_user(me).result(5) == 2
    assert count(log.path) == 1


def test_no_acknowledged_entry_is_lost_when_the_process_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite3"
    script = textwrap.dedent(
        f"""
        import itertools, sys
        from pathlib import Path
        from bot.questionlog import Entry, QuestionLog
        log = QuestionLog(Path({str(path)!r}), salt="s", retention_days=30)
        for n in itertools.count():
            pending = log.record(Entry(f"r{{n}}", f"pertanyaan {{n}}", n % 2 == 0))
            if n % 7 == 0:
                pending.result(10)
                print(f"ACK r{{n}}", flush=True)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], cwd=PROJECT, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    acknowledged = [child.stdout.readline().split()[1] for _ in range(40)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    with sqlite3.connect(path) as db:
        stored = {r for (r,) in db.execute("SELECT ref FROM questions")}
    assert set(acknowledged) <= stored


def test_reports(tmp_path: Path, settings: Settings) -> None:
    clock = Clock(1_000 * DAY)
    log = QuestionLog(tmp_path / "q.sqlite3", salt="s", retention_days=365, clock=clock)
    asked = [
        ("Apa itu VLAN?", True, "vlan", 1, 0),
        ("apa itu vlan", True, "vlan", 0, 1),
        ("biaya kursus mikrotik berapa", False, None, None, 0),
        ("harga kursus mikrotik", False, None, None, 1),
        ("alamat kantor areta", False, None, None, 2),
    ]
    for n, (q, answered, article, vote, day) in enumerate(asked):
        log.record(Entry(f"r{n}", q, answered, article, "S" if article else None, 0.5, log.user_hash(n), "private", clock.now - day * DAY))
        if vote is not None:
            log.vote(f"r{n}", vote == 1, article or "", "S")
    log.flush()
    normalizer = Normalizer(settings.language)
    with log.reading() as db:
        assert reports.totals(db, 0) == reports.Totals(5, 2, 5, 1, 1)
        assert reports.most_asked(db, 0)[0] == reports.Group("apa itu vlan", 2, ("apa itu vlan", "Apa itu VLAN?"))
        groups = reports.unanswered(db, 0, normalizer)
        assert [(g.count, g.examples) for g in groups] == [
            (2, ("harga kursus mikrotik", "biaya kursus mikrotik berapa")),
            (1, ("alamat kantor areta",)),
        ]
        assert reports.votes_by_article(db, 0) == [reports.ArticleVotes("vlan", 1, 1)]
        assert [(d.questions, d.answered) for d in reports.per_day(db, 0)] == [(1, 0), (2, 1), (2, 1)]
        assert reports.totals(db, reports.since(1.5, clock.now)).questions == 4
    log.close()


def test_report_command(tmp_path: Path) -> None:
    log = QuestionLog(tmp_path / "questions.sqlite3", salt="s", retention_days=365)
    for n, q in enumerate(["apa itu vlan", "biaya kursus mikrotik", "harga kursus mikrotik"]):
        log.record(Entry(f"r{n}", q, n == 0, "vlan" if n == 0 else None, score=0.4, user_hash=log.user_hash(n)))
    log.close()
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--since", "7", "--csv", str(tmp_path / "out.csv")],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Questions, the last 7 days: 3 from 3 users, 1 answered (33%)")
    assert "Unanswered, by topic (write articles for these):\n     2  [" in out
    assert "biaya kursus mikrotik | harga kursus mikrotik" in out
    assert "3 questions written to" in out
    with (tmp_path / "out.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["question"] for r in table] == ["apa itu vlan", "biaya kursus mikrotik", "harga kursus mikrotik"]


def test_report_without_a_log_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bot", "report"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: no question log at {tmp_path / 'questions.sqlite3'} yet: it is written while the Telegram bot runs"
