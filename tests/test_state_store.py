"""Buttons and conversation topics kept in the store: they survive restarts and are shared by processes."""

from __future__ import annotations

import dataclasses

from conftest import MakeStore

from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.replies import Reply
from bot.settings import Settings
from bot.telegram_app import prune_once

ASKER = "4242"
DAY = 86400.0


def action(dialog: Dialog, reply: Reply, kind: str) -> str:
    return next(
        b.action for row in reply.buttons for b in row if b.action and dialog.codec.decode(b.action).kind == kind
    )


def test_a_button_sent_before_a_restart_works_after_it(
    settings: Settings, kb: KnowledgeBase, make_store: MakeStore
) -> None:
    signed = dataclasses.replace(settings, secret="rahasia-bersama")
    before = make_store()
    answer = Dialog(signed, kb, store=before).ask("apa itu backend developer?", ASKER, "private")
    first = Dialog(signed, kb, store=before)
    others = action(first, answer, "o")
    helpful = action(first, answer, "f")
    before.close()  # the process ends (a deploy, a restart)
    after = Dialog(signed, kb, store=make_store())
    listed = after.press(others, ASKER)
    assert listed.kind == "others" and "apa itu backend developer?" in listed.text
    assert after.press(helpful, ASKER).kind == "feedback"


def test_the_chats_topic_survives_a_restart_and_is_kept_hashed(
    settings: Settings, kb: KnowledgeBase, make_store: MakeStore
) -> None:
    before = make_store()
    Dialog(settings, kb, store=before).ask("apa itu backend developer?", ASKER, "private")
    before.flush()
    before.close()
    after = make_store()
    follow = Dialog(settings, kb, store=after).turn("terus gajinya berapa?", ASKER, "private")
    assert follow.decision is not None and follow.decision.follows
    assert follow.reply.blocks[0].text == "Gaji Backend Developer"
    after.flush()
    assert ASKER not in repr([q for q in after.logged(0)])  # users only ever as salted hashes


def test_hapusdata_drops_the_users_buttons_and_topic_from_the_store(
    settings: Settings, kb: KnowledgeBase, make_store: MakeStore
) -> None:
    store = make_store()
    dialog = Dialog(settings, kb, store=store)
    answer = dialog.ask("apa itu backend developer?", ASKER, "private")
    others = action(dialog, answer, "o")
    assert dialog.press(dialog.codec.encode(ASKER, "x", "y"), ASKER).kind == "forget_done"
    assert dialog.press(others, ASKER).kind == "stale"
    assert Dialog(settings, kb, store=store).turn("terus gajinya berapa?", ASKER, "private").decision.follows is False  # type: ignore[union-attr]  # an answer or a follow-up is what the test expects


def test_retention_pruning_runs_once_a_day_across_processes(make_store: MakeStore) -> None:
    one, two = make_store(), make_store()
    now = 1_800_000_000.0
    assert prune_once(one, now) is True
    assert prune_once(two, now + 60) is False  # the same day, another process: already done
    assert prune_once(two, now + DAY) is True


def test_a_button_sent_before_the_store_was_reached_is_written_once_it_is(
    settings: Settings, kb: KnowledgeBase, make_store: MakeStore
) -> None:
    signed = dataclasses.replace(settings, secret="rahasia-bersama")
    before = make_store(salt=None, start=False)  # not reached yet: the salt of its hashes is unknown
    dialog = Dialog(signed, kb, store=before)
    others = action(dialog, dialog.ask("apa itu backend developer?", ASKER, "private"), "o")
    before.start()
    before.flush()
    before.close()  # a restart
    listed = Dialog(signed, kb, store=make_store(salt=None)).press(others, ASKER)
    assert listed.kind == "others" and "apa itu backend developer?" in listed.text
