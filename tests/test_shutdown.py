"""SIGTERM during a burst of questions: each is answered or was never taken, exit within 10 s."""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import CAREERS
from emulator_client import (
    WEBHOOK_SECRET,
    BotProcess,
    Emulator,
    User,
    Webhook,
    careers_bot,
    emulator_missing,
    eventually,
    message_update,
)

pytestmark = pytest.mark.e2e

QUESTIONS = ["gaji network engineer", "apa itu backend developer", "framework frontend", "sertifikasi jaringan"]


@pytest.fixture(autouse=True)
def _needs_emulator() -> None:
    reason = emulator_missing()
    if reason:
        pytest.skip(reason)


def stop_and_time(process: BotProcess) -> float:
    """Send SIGTERM and return the seconds until the process exited (it must exit by itself)."""
    start = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    code = process.process.wait(timeout=30)
    elapsed = time.monotonic() - start
    process.stop()  # already exited: closes its log file
    assert code == 0, process.output()
    return elapsed


def logged_questions(data_dir: Path) -> list[str]:
    db = sqlite3.connect(data_dir / "questions.sqlite3")
    try:
        return [row[0] for row in db.execute("SELECT question FROM questions")]
    finally:
        db.close()


def test_sigterm_in_webhook_mode_finishes_what_was_taken(tmp_path: Path) -> None:
    hook = Webhook(tmp_path, CAREERS)
    try:
        hook.wait_ready()
        users = [User(hook.emulator) for _ in range(150)]
        outcome: dict[int, int | str] = {}
        enough = threading.Event()

        def burst() -> None:
            with httpx.Client(timeout=10) as client:
                for n, user in enumerate(users):
                    question = f"{QUESTIONS[n % len(QUESTIONS)]} {user.id}"
                    try:
                        outcome[user.id] = client.post(
                            hook.url, json=message_update(user, question, 900_000 + user.id), headers=WEBHOOK_SECRET
                        ).status_code
                    except httpx.TransportError as exc:
                        outcome[user.id] = type(exc).__name__  # the server was gone: never taken
                    if sum(v == 200 for v in outcome.values()) == 20:
                        enough.set()

        poster = threading.Thread(target=burst)
        poster.start()
        assert enough.wait(60)
        elapsed = stop_and_time(hook.bot)
        poster.join(60)
        log = hook.bot.output()
        taken = [u for u in users if outcome[u.id] == 200]
        refused = [u for u in users if outcome[u.id] != 200]
        assert elapsed < 10, log
        assert len(taken) >= 20 and refused, outcome  # the signal came in the middle of the burst
        assert {outcome[u.id] for u in refused} <= {503, "ConnectError", "RemoteProtocolError", "ReadError"}, outcome
        for user in taken:  # every question taken got its answer before the exit
            (reply,) = user.replies(1, timeout=1)
            assert reply["text"].startswith("<b>"), reply
        assert all(user.replies(0) == [] for user in refused)
        assert sorted(logged_questions(tmp_path / "data")) == sorted(
            f"{QUESTIONS[users.index(u) % len(QUESTIONS)]} {u.id}" for u in taken
        )
        assert "question log flushed and closed" in log
    finally:
        hook.stop()


def test_sigterm_while_polling_loses_no_question(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "fast.yaml"
    config.write_text("telegram:\n  rate_limit: false\n", encoding="utf-8")
    first = careers_bot(emulator, tmp_path / "first", args=("--config", str(config)))
    users = [User(emulator) for _ in range(60)]
    sent = threading.Event()
    answered = threading.Event()

    def burst() -> None:
        for n, user in enumerate(users):
            user.say(f"{QUESTIONS[n % len(QUESTIONS)]} {user.id}")
            if n == 10:
                sent.set()
                answered.wait(30)  # keep asking while the bot shuts down

    poster = threading.Thread(target=burst)
    poster.start()
    assert sent.wait(30)
    early = users[0].replies(1)  # the bot is answering the burst
    answered.set()
    elapsed = stop_and_time(first)
    poster.join(60)
    assert elapsed < 10, first.output()
    before = {u.id: len(u.replies(0)) + (len(early) if u is users[0] else 0) for u in users}
    assert 1 in before.values() and 0 in before.values(), before  # stopped mid-burst
    second = careers_bot(emulator, tmp_path / "second", args=("--config", str(config)))  # takes what was never taken
    try:
        after = {u.id: before[u.id] + len(u.replies(1 - before[u.id], timeout=30)) for u in users}
    finally:
        second.stop()
    assert after == {u.id: 1 for u in users}  # every question answered once: none lost, none twice
    assert "question log flushed and closed" in first.output()


def test_sigterm_during_a_telegram_outage_still_exits_within_10_s(tmp_path: Path) -> None:
    hook = Webhook(tmp_path, CAREERS)
    try:
        hook.wait_ready()
        user = User(hook.emulator)
        hook.emulator.control("outage", seconds=120)  # the reply will be retried for 60 s
        hook.post(message_update(user, "gaji network engineer", 990_000 + user.id))
        assert eventually(lambda: "Telegram call failed" in hook.bot.output(), timeout=20)  # the reply is in flight
        elapsed = stop_and_time(hook.bot)
        log = hook.bot.output()
    finally:
        hook.stop()
    assert elapsed < 10, log
    assert "error while handling an update" in log  # given up after the grace period, with its traceback
    assert logged_questions(tmp_path / "data") == ["gaji network engineer"]
