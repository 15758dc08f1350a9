"""Faults against the local Bot API emulator: an outage, a 429, a failing handler."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from emulator_client import TOKEN, BotProcess, Emulator, User, careers_bot, eventually

from bot.settings import load_settings

pytestmark = pytest.mark.e2e

TEXTS = load_settings(env={}).texts
POLL_FAILED = re.compile(
    r"^\S+ \S+ ERROR bot\.telegram_app: error while handling an update$(?s:.*?)"
    r"^telegram\.error\.NetworkError: httpx\.\w+: .+$",
    re.M,
)


@pytest.fixture(scope="module")
def bot(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    process = careers_bot(emulator, tmp_path_factory.mktemp("faults"))
    yield process
    process.stop()


def test_an_outage_of_the_bot_api_is_survived_and_the_messages_sent_meanwhile_answered(
    emulator: Emulator, bot: BotProcess
) -> None:
    user = User(emulator)
    emulator.control("outage", seconds=600)  # until the test ends it
    try:
        user.say("gaji network engineer")  # the user side keeps working during the outage
        # Polling goes on during the outage: each failed getUpdates is one logged error with its cause.
        failed = eventually(lambda: POLL_FAILED.search(bot.output()), timeout=30)
        assert failed, bot.output()
        assert user.replies(0) == []  # nothing can reach the user while the API is down
    finally:
        emulator.control("outage", seconds=0)
    (reply,) = user.replies(timeout=30)
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")
    assert bot.process.poll() is None
    assert TOKEN not in bot.output()


def test_a_429_with_retry_after_is_honoured(emulator: Emulator, bot: BotProcess) -> None:
    user = User(emulator)
    emulator.control("fail", method="sendMessage", count=1, status=429, retry_after=2)
    started = time.monotonic()
    user.say("apa itu frontend developer")
    (reply,) = user.replies(timeout=30)
    assert time.monotonic() - started >= 2
    assert reply["text"].startswith("<b>Apa Itu Frontend Developer?</b>")


def test_an_exception_in_a_handler_gives_a_polite_reply_and_the_bot_carries_on(
    emulator: Emulator, bot: BotProcess
) -> None:
    user = User(emulator)
    emulator.control("fail", method="sendMessage", count=1, status=400, description="Bad Request: can't parse entities")
    user.say("apa itu backend developer")
    (notice,) = user.replies(timeout=30)
    assert notice["text"] == TEXTS.error
    assert "error while handling an update" in bot.output() and "Traceback" in bot.output()
    user.say("gaji network engineer")
    (reply,) = user.replies(timeout=30)
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")
