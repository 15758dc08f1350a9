"""Buttons: signed, bound to the user they were sent to, and leading back to what was seen."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CAREERS, WriteCorpus, article
from telegram_support import TOKEN, USER, Recorder, callback, keyboard, message, running

from bot.actions import MAX_BYTES, ButtonCodec
from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.replies import Reply
from bot.settings import Settings
from bot.store.sqlite import SqliteStore
from bot.telegram_app import build_application

ASKER = "4242"
OTHER = "777000111"
KINDS = ("a", "o", "s", "f", "t", "w", "g", "r", "x")


def actions(reply: Reply) -> list[str]:
    return [b.action for row in reply.buttons for b in row if b.action]


@pytest.fixture
def unsure(settings: Settings) -> Settings:
    """Settings under which every question gets "Maksud kamu" (to reach its buttons)."""
    return dataclasses.replace(settings, retrieval=dataclasses.replace(settings.retrieval, suggest_threshold=0.99))


def buttons_of_every_kind(dialog: Dialog, user: str, unsure: Settings) -> dict[str, str]:
    """One button of each action kind, as sent to `user`."""
    found: dict[str, str] = {}

    def keep(reply: Reply) -> Reply:
        for data in actions(reply):
            action = dialog.codec.decode(data)
            assert action is not None
            found.setdefault(action.kind, data)
        return reply

    keep(dialog.ask("apa itu backend developer?", user))  # an answer: other answers, feedback
    sure = dialog.answerer.settings
    dialog.answerer.settings = unsure.retrieval  # once unsure, to reach "Maksud kamu"
    suggestion = keep(dialog.ask("karier developer", user))
    dialog.answerer.settings = sure
    picked = keep(dialog.press(actions(suggestion)[1], user))  # an answer with a way back to the list
    keep(dialog.press(next(a for a in actions(picked) if dialog.codec.decode(a).kind == "s"), user))
    keep(dialog.topics(user=user))
    keep(dialog.topics("topik", user=user))  # nine tags: pages of a word's topics
    keep(dialog.forget(user))
    return found


@pytest.fixture
def many(write_corpus: WriteCorpus) -> Path:
    """The career articles and nine more, each with a tag of its own."""
    files = dict(CAREERS)
    for i in range(1, 10):
        files[f"2025-03-0{i}-topik.md"] = article(
            f"Catatan {i}", f"#### Bagian {i}\n\nIsi catatan nomor {i}.\n", tags=[f"Topik {i}"]
        )
    return write_corpus(files)


@pytest.fixture
def dialog(settings: Settings, many: Path, log: SqliteStore) -> Dialog:
    return Dialog(settings, KnowledgeBase.load(settings, many), store=log)


@pytest.mark.parametrize("kind", KINDS)
def test_every_action_kind_refuses_anyone_else_politely(dialog: Dialog, unsure: Settings, kind: str) -> None:
    data = buttons_of_every_kind(dialog, ASKER, unsure)[kind]
    refused = dialog.press(data, OTHER)
    assert (refused.kind, refused.toast, refused.blocks) == ("not_yours", unsure.texts.not_your_button, ())
    assert dialog.press(data, ASKER).kind != "not_yours"


def test_every_button_fits_telegram_limit_even_for_long_user_ids(dialog: Dialog, unsure: Settings) -> None:
    found = buttons_of_every_kind(dialog, "9" * 16, unsure)
    assert set(found) == set(KINDS)
    assert all(len(data.encode()) <= MAX_BYTES for data in found.values())


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda data: data[:-1] + ("A" if data[-1] != "A" else "B"), id="signature-altered"),
        pytest.param(lambda data: data.replace(":#", ":#1", 1), id="user-swapped"),
        pytest.param(lambda data: "x:y:-:" + data.rsplit(":", 1)[1], id="signature-reused"),
        pytest.param(lambda data: "o:deadbeef:0", id="unsigned-old-format"),
    ],
)
def test_forged_or_altered_data_is_refused(dialog: Dialog, unsure: Settings, forge: Callable[[str], str]) -> None:
    data = buttons_of_every_kind(dialog, ASKER, unsure)["o"]
    reply = dialog.press(forge(data), ASKER)
    assert (reply.kind, reply.toast) == ("stale", unsure.texts.stale_button)


def test_a_key_from_another_secret_does_not_verify() -> None:
    data = ButtonCodec.from_secret("rahasia-a", TOKEN).encode(ASKER, "t", 0)
    assert ButtonCodec.from_secret("rahasia-a", TOKEN).decode(data) is not None
    assert ButtonCodec.from_secret("rahasia-b", TOKEN).decode(data) is None
    assert ButtonCodec.from_secret(None, TOKEN).decode(data) is None


def test_deleted_users_questions_are_gone_from_memory(dialog: Dialog, unsure: Settings) -> None:
    others = buttons_of_every_kind(dialog, ASKER, unsure)["o"]
    assert dialog.press(others, ASKER).kind == "others"
    done = dialog.press(dialog.codec.encode(ASKER, "x", "y"), ASKER)
    assert done.kind == "forget_done"
    assert dialog.press(others, ASKER).kind == "stale"


def test_back_after_a_pick_from_maksud_kamu_returns_to_the_list(unsure: Settings, kb: KnowledgeBase) -> None:
    dialog = Dialog(unsure, kb)
    suggestion = dialog.ask("karier developer", ASKER)
    assert suggestion.kind == "suggest"
    picked = dialog.press(actions(suggestion)[1], ASKER)
    back = next(b.action for row in picked.buttons for b in row if b.label == unsure.texts.button_back)
    again = dialog.press(back or "", ASKER)
    assert (again.kind, again.text) == ("suggest", suggestion.text)
    assert [b.label for row in again.buttons for b in row] == [b.label for row in suggestion.buttons for b in row]


def test_other_answers_lead_back_to_the_answer_they_came_from(settings: Settings, kb: KnowledgeBase) -> None:
    dialog = Dialog(settings, kb)
    answer = dialog.ask("apa itu backend developer?", ASKER)
    others = dialog.press(next(a for a in actions(answer) if dialog.codec.decode(a).kind == "o"), ASKER)
    second = dialog.press(actions(others)[0], ASKER)
    back_to_list = next(b.action for row in second.buttons for b in row if b.label == settings.texts.button_back)
    listed = dialog.press(back_to_list or "", ASKER)
    assert listed.kind == "others"
    back_to_answer = next(b.action for row in listed.buttons for b in row if b.label == settings.texts.button_back)
    assert dialog.press(back_to_answer or "", ASKER).blocks[0].text == answer.blocks[0].text


@pytest.mark.parametrize("chat_type", ["private", "supergroup"])
def test_a_press_by_another_telegram_user_is_refused(settings: Settings, kb: KnowledgeBase, chat_type: str) -> None:
    recorder = Recorder()
    app = build_application(dataclasses.replace(settings, token=TOKEN), kb, request=recorder)
    other = {"id": int(OTHER), "is_bot": False, "first_name": "Budi"}
    with running(app) as feed:
        feed(message("/tanya apa itu backend developer?", chat_type=chat_type))
        (sent,) = recorder.sent("sendMessage")
        data = [b["callback_data"] for row in keyboard(sent) for b in row if "callback_data" in b]
        assert data
        recorder.calls.clear()
        feed(*(callback(d, chat_type=chat_type, user=other) for d in data))
        notices = recorder.sent("answerCallbackQuery")
        assert [n.get("text") for n in notices] == [settings.texts.not_your_button] * len(data)
        assert recorder.sent("sendMessage", "editMessageText") == []
        recorder.calls.clear()
        feed(callback(data[0], chat_type=chat_type, user=USER))
        assert recorder.sent("answerCallbackQuery")[0].get("text") != settings.texts.not_your_button


def test_state_behind_buttons_is_plain_data_another_process_can_serve(settings: Settings, kb: KnowledgeBase) -> None:
    from bot.state import MemoryButtonStates

    shared = MemoryButtonStates()
    signed = dataclasses.replace(settings, secret="rahasia-bersama")
    first, second = (
        Dialog(signed, kb, states=shared),
        Dialog(signed, kb, states=shared),
    )  # e.g. before and after a restart
    answer = first.ask("apa itu backend developer?", ASKER)
    others = next(a for a in actions(answer) if first.codec.decode(a).kind == "o")
    listed = second.press(others, ASKER)
    assert listed.kind == "others" and "apa itu backend developer?" in listed.text


def test_a_button_whose_article_was_removed_says_so(settings: Settings, write_corpus: WriteCorpus) -> None:
    from bot.state import MemoryButtonStates

    shared = MemoryButtonStates()
    signed = dataclasses.replace(settings, secret="rahasia-bersama")
    before = Dialog(signed, KnowledgeBase.load(settings, write_corpus(CAREERS)), states=shared)
    answer = before.ask("apa itu backend developer?", ASKER)
    others = next(a for a in actions(answer) if before.codec.decode(a).kind == "o")
    without = {k: v for k, v in CAREERS.items() if "backend" not in k}
    after = Dialog(signed, KnowledgeBase.load(settings, write_corpus(without)), states=shared)
    reply = after.press(others, ASKER)
    assert (reply.kind, reply.toast) == ("gone", settings.texts.article_gone)


def test_without_a_log_buttons_keep_no_question_text(settings: Settings, kb: KnowledgeBase) -> None:
    from bot.state import MemoryButtonStates

    states = MemoryButtonStates()
    quiet = dataclasses.replace(settings, log=dataclasses.replace(settings.log, enabled=False))
    dialog = Dialog(quiet, kb, states=states)
    answer = dialog.ask("apa itu backend developer? nomorku 0812", ASKER)
    assert all("nomorku" not in str(payload) for _, payload in states._items.values())
    others = dialog.press(next(a for a in actions(answer) if dialog.codec.decode(a).kind == "o"), ASKER)
    assert others.kind == "others" and others.text.startswith(quiet.texts.other_answers_plain)
