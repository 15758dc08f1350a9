"""Running on a PaaS, through the Bot API emulator: buttons and topics survive a SIGTERM restart
(SQLite and PostgreSQL) and are stored without Telegram ids, two webhook processes on one
PostgreSQL serve each other's buttons, and a button whose article a reload removed or whose
section an edit moved says so."""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CAREERS
from emulator_client import (
    BotProcess,
    Emulator,
    User,
    Webhook,
    buttons,
    careers_bot,
    eventually,
    message_update,
    new_update_id,
)
from postgres_server import PostgresServer

from bot.settings import load_settings
from bot.store.postgres import PostgresStore

TEXTS = load_settings(env={}).texts


@pytest.fixture
def emulator(own_emulator: Emulator) -> Emulator:
    """An emulator of its own for each test: each starts bots of its own."""
    return own_emulator


def button(message: dict[str, Any], label: str) -> str:
    """The callback data of the button labelled `label`."""
    return next(b["callback_data"] for b in buttons(message) if b["text"] == label)


def answer_survives_a_restart(
    emulator: Emulator, before: Path, after: Path, extra_env: dict[str, str]
) -> tuple[BotProcess, User]:
    """Ask the bot running on `before`, stop it, start it again on `after`, then follow up and
    press the old answer's buttons; the second bot (stopped, for its log) and the user."""
    user = User(emulator)
    first = careers_bot(emulator, before, extra_env=extra_env)
    try:
        user.say("apa itu backend developer?")
        (answer,) = user.replies()
    finally:
        first.stop()  # SIGTERM, as a PaaS does at every deploy
    assert first.process.returncode == 0, first.output()
    assert answer["text"].startswith("<b>Apa Itu Backend Developer?</b>")

    second = careers_bot(emulator, after, extra_env=extra_env)
    try:
        user.say("terus gajinya berapa?")  # only the topic from before the restart says whose salary
        (followup,) = user.replies()
        assert followup["text"].startswith("<b>Gaji Backend Developer</b>"), followup["text"]

        user.press(answer, button(answer, TEXTS.button_helpful))
        assert user.notice() == TEXTS.feedback_thanks

        user.press(answer, button(answer, TEXTS.button_other_answers))
        listing = user.current(answer, changed_from=answer["text"])
        assert listing["text"] == "Jawaban lain untuk “apa itu backend developer?”:"
        choices = buttons(listing)
        assert choices[-1]["text"] == TEXTS.button_back
        user.press(answer, choices[0]["callback_data"])
        picked = user.current(answer, changed_from=listing["text"])
        assert picked["text"].startswith("<b>" + choices[0]["text"].split(" — ")[0])
    finally:
        second.stop()
    assert TEXTS.stale_button not in [a.get("text") for a in emulator.control("callback_answers")]
    assert "Traceback" not in second.output()
    return second, user


def test_buttons_and_topics_survive_a_restart_with_sqlite(emulator: Emulator, tmp_path: Path) -> None:
    _, user = answer_survives_a_restart(emulator, tmp_path, tmp_path, {})
    with sqlite3.connect(tmp_path / "data" / "questions.sqlite3") as db:
        kept = db.execute("SELECT owner, payload FROM buttons UNION ALL SELECT owner, payload FROM contexts").fetchall()
    # Kept by salted user hash only: no Telegram user id in the rows an operator can read.
    assert kept and not [row for row in kept if re.search(rf"(?<![\d.]){user.id}(?!\d)", " ".join(row))]


def test_buttons_and_topics_survive_a_restart_with_postgresql(
    emulator: Emulator, postgres: PostgresServer, tmp_path: Path
) -> None:
    # A fresh data folder after the restart: on a PaaS the local disk is wiped at every deploy.
    before, after = tmp_path / "before", tmp_path / "after"
    second, _ = answer_survives_a_restart(emulator, before, after, {"DATABASE_URL": postgres.new_database()})
    assert not (before / "data" / "questions.sqlite3").exists() and not (after / "data" / "questions.sqlite3").exists()
    assert postgres.PASSWORD not in second.output()


def callback_update(user: User, message: dict[str, Any], data: str) -> dict[str, Any]:
    return {
        "update_id": new_update_id(),
        "callback_query": {
            "id": f"cb{new_update_id()}",
            "from": user.user,
            "chat_instance": "paas",
            "data": data,
            "message": {
                "message_id": message["messageId"],
                "date": int(time.time()),
                "chat": user.chat,
                "text": message["text"],
            },
        },
    }


@pytest.fixture
def two_hooks(
    emulator: Emulator, postgres: PostgresServer, tmp_path: Path
) -> Iterator[tuple[Webhook, Webhook, PostgresStore]]:
    url = postgres.new_database()
    hooks = tuple(Webhook(tmp_path / name, CAREERS, emulator, {"DATABASE_URL": url}, rate_limit=True) for name in "ab")
    reader = PostgresStore(url, 30)
    try:
        for hook in hooks:
            hook.wait_ready()
        yield (*hooks, reader)
    finally:
        reader.close()
        for hook in hooks:
            hook.stop()


def test_two_webhook_processes_on_one_postgresql_serve_each_others_buttons(
    emulator: Emulator, two_hooks: tuple[Webhook, Webhook, PostgresStore]
) -> None:
    a, b, log = two_hooks
    user = User(emulator)
    a.post(message_update(user, "apa itu backend developer?"))
    (answer,) = user.replies()
    assert answer["text"].startswith("<b>Apa Itu Backend Developer?</b>")
    # A press comes a moment after the answer: by then A has written the question (and, queued
    # before it, the state behind its buttons), as an operator sees in the log.
    assert eventually(lambda: log.logged(0))

    b.post(message_update(user, "terus gajinya berapa?"))  # A's topic, read by B
    (followup,) = user.replies()
    assert followup["text"].startswith("<b>Gaji Backend Developer</b>"), followup["text"]

    answers = len(emulator.control("callback_answers"))
    b.post(callback_update(user, answer, button(answer, TEXTS.button_other_answers)))
    listing = user.current(answer, changed_from=answer["text"])
    assert listing["text"] == "Jawaban lain untuk “apa itu backend developer?”:"
    back = buttons(listing)[-1]
    assert back["text"] == TEXTS.button_back

    a.post(callback_update(user, answer, back["callback_data"]))  # B's listing, served by A
    again = user.current(answer, changed_from=listing["text"])
    assert again["text"] == answer["text"]

    b.post(callback_update(user, answer, button(answer, TEXTS.button_helpful)))
    notices = eventually(
        lambda: [n.get("text") for n in emulator.control("callback_answers")[answers:] if n.get("text")]
    )
    assert notices == [TEXTS.feedback_thanks]
    votes = eventually(lambda: [(r.question, r.vote) for r in log.logged(0) if r.vote is not None])
    assert votes == [("apa itu backend developer?", 1)]  # B's vote on A's logged question


@dataclasses.dataclass(frozen=True)
class Reloading:
    """A bot that re-reads its articles every 0.2 s, a user, and the answer it gave before any edit."""

    bot: BotProcess
    user: User
    answer: dict[str, Any]
    knowledge: Path


@pytest.fixture
def reloading(emulator: Emulator, tmp_path: Path) -> Iterator[Reloading]:
    """The career bot reloading its articles, having answered "apa itu backend developer?"; no traceback after."""
    config = tmp_path / "reload.yaml"
    config.write_text("knowledge:\n  reload_seconds: 0.2\n", encoding="utf-8")
    user = User(emulator)
    bot = careers_bot(emulator, tmp_path, args=("--config", str(config)))
    try:
        user.say("apa itu backend developer?")
        (answer,) = user.replies()
        assert answer["text"].startswith("<b>Apa Itu Backend Developer?</b>")
        yield Reloading(bot, user, answer, tmp_path / "knowledge")
    finally:
        bot.stop()
    assert "Traceback" not in bot.output()


def test_a_button_whose_article_was_removed_says_so(reloading: Reloading) -> None:
    user, answer = reloading.user, reloading.answer
    user.command("/topik")
    (topics,) = user.replies()
    user.press(topics, button(topics, "Karier IT (3)"))
    listing = user.current(topics, changed_from=topics["text"])
    (reloading.knowledge / "2025-01-01-backend.md").unlink()
    assert eventually(lambda: "reloaded: 2 articles" in reloading.bot.output(), timeout=30), reloading.bot.output()

    user.press(topics, button(listing, "Mengenal Backend Developer"))
    assert user.notice() == TEXTS.article_gone

    user.press(answer, button(answer, TEXTS.button_other_answers))
    assert user.notice() == TEXTS.article_gone
    user.press(answer, button(answer, TEXTS.button_helpful))
    assert user.notice() == TEXTS.article_gone
    assert user.current(answer)["text"] == answer["text"]  # the message is left as it was


def test_a_button_whose_section_moved_in_an_edit_says_so(reloading: Reloading) -> None:
    user, answer = reloading.user, reloading.answer
    path = reloading.knowledge / "2025-01-01-backend.md"
    edited = path.read_text(encoding="utf-8").replace(
        "#### Apa Itu Backend Developer?",
        "#### Sejarah Singkat\n\nProfesi ini lahir bersama web dinamis.\n\n#### Apa Itu Backend Developer?",
    )
    path.write_text(edited, encoding="utf-8")
    assert eventually(lambda: "reloaded: 3 articles" in reloading.bot.output(), timeout=30), reloading.bot.output()

    # The old button's sections are read by position: they now point at other sections.
    user.press(answer, button(answer, TEXTS.button_other_answers))
    assert user.notice() == TEXTS.article_gone
    assert user.current(answer)["text"] == answer["text"]
