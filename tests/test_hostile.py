"""Hostile and odd input: whatever people send, every reply is valid Telegram HTML within 4096 characters."""

from __future__ import annotations

import pytest
from conftest import PROJECT
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from telegram_support import visible

from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.replies import Reply
from bot.settings import Settings, load_settings
from bot.telegram_html import render, visible_length


def check(reply: Reply) -> None:
    text = render(reply.blocks, reply.footer)
    assert visible_length(visible(text)) <= 4096
    assert text.strip() or reply.toast
    for row in reply.buttons:
        for button in row:
            assert button.url or (button.action and len(button.action.encode()) <= 64)


@pytest.fixture(scope="module")
def dialog() -> Dialog:
    settings: Settings = load_settings(env={})
    return Dialog(settings, KnowledgeBase.load(settings, PROJECT / "knowledge"))


NASTY = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "<b>tebal</b>",
        "</i>",
        "&amp;",
        "&",
        "<",
        ">",
        '"',
        "'",
        "**tebal**",
        "_miring_",
        "`kode`",
        "[tautan](javascript:alert(1))",
        "# judul",
        "> kutipan",
        "\u200b",
        "\u200d",
        "\u202e",
        "\u2066",
        "\ufeff",
        "\u00ad",
        "\x00",
        "\x07",
        "\r\n",
        "🤖",
        "👩‍💻",
        "🇮🇩",
        "ﷺ",
        "𝕏",
        "ꦗꦮ",
        "مرحبا",
        "שלום",
        "  ",
        "\t",
        "gaji",
        "backend",
        "developer",
        "apa itu",
        "/tanya",
        "/topik",
        "@bot",
        "o:abc:1",
    ]
)
MESSAGES = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(NASTY, st.text(max_size=20)), max_size=40).map("".join),
    st.lists(NASTY, min_size=1, max_size=200).map(" ".join).map(lambda s: s[:4096]),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=3900, max_size=4096),
)
run = hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@run
@given(MESSAGES)
def test_any_question_gets_a_valid_reply(dialog: Dialog, text: str) -> None:
    check(dialog.ask(text))


@run
@given(MESSAGES)
def test_any_topic_search_or_start_payload_gets_a_valid_reply(dialog: Dialog, text: str) -> None:
    check(dialog.topics(text))
    check(dialog.start(text))


@run
@given(st.one_of(st.text(max_size=80), st.from_regex(r"[aofgtwrx]:[0-9a-z:]{0,60}", fullmatch=True)))
def test_any_button_data_gets_a_valid_reply(dialog: Dialog, data: str) -> None:
    check(dialog.press(data, user="1"))


def test_answers_quote_article_text_safely(dialog: Dialog) -> None:
    reply = dialog.ask("<b>apa itu backend developer</b> & <script>")
    text = render(reply.blocks, reply.footer)
    assert "<script>" not in text
    check(reply)


@pytest.fixture(scope="module")
def telegram_app():  # noqa: ANN201 - an Application; telegram is imported inside to keep collection fast
    import dataclasses

    from telegram_support import TOKEN, Recorder, running

    from bot.telegram_app import build_application

    settings = load_settings(env={})
    settings = dataclasses.replace(
        settings, token=TOKEN, telegram=dataclasses.replace(settings.telegram, flood_messages=100_000)
    )
    recorder = Recorder()
    app = build_application(settings, KnowledgeBase.load(settings, PROJECT / "knowledge"), request=recorder)
    with running(app) as feed:
        yield feed, recorder


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_any_message_through_the_real_application_gets_one_valid_reply(telegram_app, text: str) -> None:  # noqa: ANN001 - the Application above
    from telegram_support import message

    feed, recorder = telegram_app
    before = len(recorder.sent("sendMessage"))
    feed(message(text or "?"))
    sent = recorder.sent("sendMessage")[before:]
    assert len(sent) == 1
    for params in sent:
        assert visible_length(visible(params["text"])) <= 4096
