"""The store seen from Telegram: heavy reports and slow storage never hold up other users' replies,
and /hapusdata says honestly what it could delete."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from pathlib import Path

import pytest
from conftest import MakeStore
from postgres_server import PostgresServer
from telegram import Update
from telegram.ext import Application
from telegram_support import TOKEN, Recorder, callback, keyboard, message, running

from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.store import Entry
from bot.telegram_app import build_application

ADMIN = {"id": 7, "is_bot": False, "first_name": "Admin"}
WORDS = (
    "kursus harga jadwal lokasi sertifikat ujian mikrotik cisco linux python jaringan server cloud docker "
    "kubernetes keamanan database web android desain gratis online malam akhir pekan cicilan diskon".split()
)


def unanswered_questions(count: int) -> list[str]:
    """Many different unanswered questions, as a busy month would log."""
    rng = random.Random(11)
    return [" ".join(rng.sample(WORDS, 4)) + f" {n}" for n in range(count)]


def admin_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, token=TOKEN, telegram=dataclasses.replace(settings.telegram, admin_ids=(7,)))


async def concurrently(app: Application, first: dict, then: dict) -> None:
    """Process `first`, and `then` as soon as the first has started (two users at once)."""
    started = asyncio.create_task(app.process_update(Update.de_json(first, app.bot)))
    await asyncio.sleep(0)  # let the first update begin
    await asyncio.gather(started, app.process_update(Update.de_json(then, app.bot)))


@pytest.mark.slow
def test_unanswered_over_thousands_of_questions_does_not_hold_up_other_users(
    make_store: MakeStore, settings: Settings, kb: KnowledgeBase
) -> None:
    store = make_store(retention_days=3650)
    for n, q in enumerate(unanswered_questions(4000)):
        store.record(Entry(f"r{n}", q, False, user=str(n)))
    store.flush(60)
    recorder = Recorder()
    app = build_application(admin_settings(settings), kb, request=recorder, store=store)
    with asyncio.Runner() as runner:
        runner.run(app.initialize())
        try:
            runner.run(concurrently(app, message("/unanswered", user=ADMIN), message("apa itu backend developer")))
        finally:
            runner.run(app.shutdown())
    sent = recorder.sent("sendMessage")
    assert [s["chat_id"] for s in sent] == [4242, 7]  # the user's answer first, the report after
    assert sent[0]["text"].startswith("<b>Apa Itu Backend Developer?</b>")
    assert "×" in sent[1]["text"]


@pytest.mark.slow
def test_hapusdata_while_the_store_is_unreachable_says_so(
    postgres: PostgresServer, settings: Settings, kb: KnowledgeBase
) -> None:
    from bot.store.postgres import PostgresStore

    store = PostgresStore.open(postgres.new_database(), retention_days=30, salt="s")
    recorder = Recorder()
    app = build_application(admin_settings(settings), kb, request=recorder, store=store)
    with running(app) as feed:
        feed(message("gaji network engineer"))
        store.flush()
        postgres.stop("immediate")
        try:
            feed(message("apa itu backend developer"), message("/hapusdata"), message("/stats", user=ADMIN))
            confirm = recorder.sent("sendMessage")[-2]
            feed(callback(keyboard(confirm)[0][0]["callback_data"]))
        finally:
            postgres.start()
    texts = settings.texts
    answers = [s["text"] for s in recorder.sent("sendMessage")]
    assert answers[1].startswith("<b>Apa Itu Backend Developer?</b>")  # answers flow while the database is down
    assert answers[3] == texts.store_unavailable
    done = recorder.sent("editMessageText")[-1]["text"]
    assert done == texts.forget_pending.format(count=1)
    assert store.wait_available(60)
    store.flush(30)
    assert store.totals(0).questions == 0  # the stored entry went too, once the database was back
    store.close()


def test_phone_numbers_and_emails_never_reach_the_log_or_the_admins(
    make_store: MakeStore, settings: Settings, kb: KnowledgeBase
) -> None:
    store = make_store()
    recorder = Recorder()
    app = build_application(admin_settings(settings), kb, request=recorder, store=store)
    with running(app) as feed:
        feed(
            message("resep rendang hubungi 0812-5555-0199 atau sari.dewi@contoh.co.id"),
            message("resep rendang wa +62 812 5555 0199"),
        )
        store.flush()
        feed(message("/unanswered", user=ADMIN))
    logged = [r.question for r in store.logged(0)]
    assert logged == ["resep rendang hubungi [nomor] atau [email]", "resep rendang wa [nomor]"]
    report = recorder.sent("sendMessage")[-1]["text"]
    assert "5555" not in report and "sari.dewi" not in report and "[nomor]" in report


def test_hapusdata_waiting_for_a_locked_log_does_not_hold_up_other_users(
    settings: Settings, kb: KnowledgeBase, tmp_path: Path
) -> None:
    import sqlite3

    from bot.store.sqlite import SqliteStore

    store = SqliteStore.open(tmp_path, retention_days=30, salt="s")
    recorder = Recorder()
    app = build_application(admin_settings(settings), kb, request=recorder, store=store)
    with asyncio.Runner() as runner:
        runner.run(app.initialize())
        try:
            runner.run(app.process_update(Update.de_json(message("gaji network engineer"), app.bot)))
            runner.run(app.process_update(Update.de_json(message("/hapusdata"), app.bot)))
            confirm = keyboard(recorder.sent("sendMessage")[-1])[0][0]["callback_data"]
            store.flush()
            other = {"id": 99, "is_bot": False, "first_name": "Budi"}
            # Another process holds the log's write lock while the user confirms.
            blocker = sqlite3.connect(tmp_path / "questions.sqlite3", isolation_level=None)
            blocker.execute("BEGIN EXCLUSIVE")

            async def both() -> None:
                pressed = asyncio.create_task(app.process_update(Update.de_json(callback(confirm), app.bot)))
                await asyncio.sleep(0)
                await app.process_update(Update.de_json(message("apa itu backend developer", user=other), app.bot))
                assert not pressed.done()  # still waiting for the lock, in its thread
                blocker.execute("COMMIT")
                await pressed

            runner.run(both())
            blocker.close()
        finally:
            runner.run(app.shutdown())
    store.close()
    calls = [(name, p.get("chat_id")) for name, p in recorder.calls if name in ("sendMessage", "editMessageText")]
    assert calls[-2:] == [("sendMessage", 99), ("editMessageText", 4242)]  # the other user first
    assert recorder.sent("editMessageText")[-1]["text"] == settings.texts.forget_done.format(count=1)


PHONES_AND_EMAILS = [
    ("hubungi 0812-5555-0199", "hubungi [nomor]"),
    ("wa 081255550199 ya", "wa [nomor] ya"),
    ("telp +62 812 5555 0199", "telp [nomor]"),
    ("nomor 62.812.5555.0199", "nomor [nomor]"),
    ("email sari_dewi+kursus@contoh.co.id", "email [email]"),
    ("harga Rp 2.500.000 tahun 2025 jam 08.00-10.00", "harga Rp 2.500.000 tahun 2025 jam 08.00-10.00"),  # not personal
]


def test_each_way_of_writing_a_phone_number_is_masked_and_prices_are_not(
    settings: Settings, kb: KnowledgeBase, tmp_path: Path
) -> None:
    from bot.store.sqlite import SqliteStore

    store = SqliteStore.open(tmp_path, retention_days=30, salt="s")
    app = build_application(admin_settings(settings), kb, request=Recorder(), store=store)
    users = [{"id": 500 + n, "is_bot": False, "first_name": "U"} for n in range(len(PHONES_AND_EMAILS))]
    with running(app) as feed:
        feed(
            *(message(f"resep rendang {typed}", user=u) for (typed, _), u in zip(PHONES_AND_EMAILS, users, strict=True))
        )
    store.flush()
    assert [r.question for r in store.logged(0)] == [f"resep rendang {masked}" for _, masked in PHONES_AND_EMAILS]
    store.close()
