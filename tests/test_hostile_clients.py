"""Clients that resend updates or send what is not text, fed to the real Application."""

from __future__ import annotations

import dataclasses
import time

import pytest
from telegram_support import TOKEN, USER, Recorder, logged_application, message, process, running

from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.store.sqlite import SqliteStore
from bot.telegram_app import build_application


@pytest.fixture
def tg_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, token=TOKEN)


def test_an_update_delivered_three_times_is_answered_and_logged_once(
    tg_settings: Settings, kb: KnowledgeBase, log: SqliteStore
) -> None:
    app, recorder = logged_application(tg_settings, kb, log)
    again = message("gaji network engineer")
    with running(app) as feed:
        feed(again, again, again)
        feed(message("apa itu frontend developer"))  # a new id is still answered
    log.flush()
    rows = [(q.question,) for q in log.logged(0)]
    log.close()
    assert [p["text"].split("</b>")[0] for p in recorder.sent()] == [
        "<b>Berapa Gaji Network Engineer?",
        "<b>Apa Itu Frontend Developer?",
    ]
    assert [r[0] for r in rows] == ["gaji network engineer", "apa itu frontend developer"]


def media(**content: object) -> dict:
    """A private-chat message without text (a photo, sticker, voice note ...)."""
    data = message("x")
    del data["message"]["text"]
    data["message"].update(content)
    return data


PHOTO = [{"file_id": "p1", "file_unique_id": "u1", "width": 90, "height": 90}]


def test_a_photo_caption_is_answered_as_a_question(tg_settings: Settings, kb: KnowledgeBase) -> None:
    recorder = Recorder()
    process(build_application(tg_settings, kb, request=recorder), media(photo=PHOTO, caption="apa itu backend"))
    (sent,) = recorder.sent()
    assert sent["text"].startswith("<b>Apa Itu Backend Developer?</b>")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(
            {
                "sticker": {
                    "file_id": "s1",
                    "file_unique_id": "u2",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "type": "regular",
                }
            },
            id="sticker",
        ),
        pytest.param({"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 3}}, id="voice"),
        pytest.param({"photo": PHOTO}, id="photo-without-caption"),
        pytest.param({"location": {"latitude": -6.2, "longitude": 106.8}}, id="location"),
    ],
)
def test_messages_without_text_are_told_the_bot_reads_text(
    tg_settings: Settings, kb: KnowledgeBase, content: dict
) -> None:
    recorder = Recorder()
    process(build_application(tg_settings, kb, request=recorder), media(**content))
    (sent,) = recorder.sent()
    assert sent["text"] == tg_settings.texts.text_only
    assert sent["chat_id"] == USER["id"]


def test_service_messages_get_no_reply(tg_settings: Settings, kb: KnowledgeBase) -> None:
    recorder = Recorder()
    pinned = {"message_id": 3, "date": int(time.time()), "chat": {"id": USER["id"], "type": "private"}, "text": "lama"}
    process(build_application(tg_settings, kb, request=recorder), media(pinned_message=pinned))
    assert recorder.sent() == []
