"""End to end: `python -m bot run` over HTTP against a local Bot API emulator on 127.0.0.1."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from emulator_client import BotProcess, Emulator, User, buttons, careers_bot, eventually

from bot.settings import load_settings

pytestmark = pytest.mark.e2e

TEXTS = load_settings(env={}).texts


@pytest.fixture(scope="module")
def bot(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotProcess]:
    process = careers_bot(emulator, tmp_path_factory.mktemp("e2e"))
    yield process
    process.stop()


@pytest.fixture
def user(emulator: Emulator, bot: BotProcess) -> User:
    return User(emulator)


def test_start_greets(user: User) -> None:
    user.command("/start")
    (reply,) = user.replies()
    assert reply["text"].startswith("Halo! 👋 Aku asisten tanya-jawab Areta Training Center.")
    assert reply["parse_mode"] == "HTML"


def test_tanya_answers_with_a_link_and_buttons(user: User) -> None:
    user.command("/tanya apa itu backend developer?")
    (reply,) = user.replies()
    assert reply["text"].startswith("<b>Apa Itu Backend Developer?</b>\nBackend developer adalah pengembang")
    labels = [b["text"] for b in buttons(reply)]
    assert labels == [
        TEXTS.button_read_more,
        TEXTS.button_other_answers,
        TEXTS.button_helpful,
        TEXTS.button_not_helpful,
    ]
    assert buttons(reply)[0]["url"].startswith("https://aretatrainingcenter.space/blog/2025-01-01-backend/#:~:text=")


def test_plain_text_is_a_question(user: User) -> None:
    user.say("gaji network engineer brp sih")
    (reply,) = user.replies()
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")


def test_other_answers_edit_the_message_and_lead_back(user: User) -> None:
    user.say("apa itu backend developer?")
    (answer,) = user.replies()
    others = next(b for b in buttons(answer) if b["text"] == TEXTS.button_other_answers)
    user.press(answer, others["callback_data"])
    listing = user.current(answer, changed_from=answer["text"])
    assert listing["text"] == "Jawaban lain untuk “apa itu backend developer?”:"
    choices = buttons(listing)
    assert choices[-1]["text"] == TEXTS.button_back
    user.press(answer, choices[0]["callback_data"])
    second = user.current(answer, changed_from=listing["text"])
    assert second["text"].startswith("<b>" + choices[0]["text"].split(" — ")[0])


def test_feedback_is_acknowledged_and_recorded(user: User, bot: BotProcess) -> None:
    user.say("gaji network engineer")
    (answer,) = user.replies()
    helpful = next(b for b in buttons(answer) if b["text"] == TEXTS.button_helpful)
    user.press(answer, helpful["callback_data"])
    assert user.notice() == TEXTS.feedback_thanks

    # The notice is sent after the vote was queued; the log's writer commits it right after.
    def votes() -> list[tuple]:
        with sqlite3.connect(bot.data_dir / "questions.sqlite3") as db:
            return db.execute("SELECT question, article, vote FROM questions WHERE vote IS NOT NULL").fetchall()

    assert eventually(votes) == [("gaji network engineer", "2025-01-02-network", 1)]


def test_topik_pages_to_an_article(user: User) -> None:
    user.command("/topik")
    (topics,) = user.replies()
    assert topics["text"] == TEXTS.topics_header
    karier = next(b for b in buttons(topics) if b["text"].startswith("Karier IT"))
    user.press(topics, karier["callback_data"])
    listing = user.current(topics, changed_from=topics["text"])
    assert listing["text"] == "Artikel bertopik “Karier IT” (3):"
    first = buttons(listing)[0]
    user.press(topics, first["callback_data"])
    detail = user.current(topics, changed_from=listing["text"])
    assert detail["text"].startswith(f"<b>{first['text']}</b>")
    assert buttons(detail)[0]["url"].startswith("https://aretatrainingcenter.space/blog/")


def test_a_question_without_answer_is_declined_politely(user: User) -> None:
    user.say("resep rendang padang yang enak")
    (reply,) = user.replies()
    assert reply["text"].startswith("Maaf, aku belum menemukan jawabannya") and "/topik" in reply["text"]


def test_a_stale_button_gets_a_polite_notice(user: User) -> None:
    user.say("apa itu frontend developer?")
    (answer,) = user.replies()
    user.press(answer, "o:00000")  # a key from an earlier run of the bot
    assert user.notice() == TEXTS.stale_button


def test_groups_answer_only_tanya_and_replies(emulator: Emulator, bot: BotProcess) -> None:
    group = User(emulator, chat_type="supergroup")
    group.say("apa itu backend developer?")
    group.command("/tanya@TestNameBot gaji network engineer")
    (reply,) = group.replies()
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")


def test_the_token_never_reaches_the_bot_log(bot: BotProcess) -> None:
    from emulator_client import TOKEN

    log = bot.output()
    assert "polling Telegram for updates" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
