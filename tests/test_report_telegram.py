"""The reports in Telegram, against the Bot API emulator: /laporan sends the HTML page as a
file, and the weekly digest reaches the admins once however many processes run the job."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import datetime as dt
import sqlite3
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import MakeStore
from emulator_client import TOKEN, Emulator, User, careers_bot, eventually
from test_report_page import Page

from bot.digest import schedule, week_label
from bot.knowledge import KnowledgeBase
from bot.settings import Settings, load_settings
from bot.store import Entry, Store
from bot.telegram_app import build_application

TEXTS = load_settings(env={}).texts


@pytest.fixture
def emulator(own_emulator: Emulator) -> Emulator:
    """An emulator of its own for each test: each starts a bot of its own."""
    return own_emulator


def logged_count(data_dir: Path) -> int:
    path = data_dir / "questions.sqlite3"
    if not path.is_file():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM questions").fetchone()[0])


def test_laporan_sends_the_report_page_to_an_admin_only(emulator: Emulator, tmp_path: Path) -> None:
    user, admin = User(emulator), User(emulator)
    (tmp_path / "admin.yaml").write_text(f"telegram:\n  admin_ids: [{admin.id}]\n")
    bot = careers_bot(emulator, tmp_path, args=("--config", str(tmp_path / "admin.yaml")))
    try:
        for question in ("apa itu backend developer?", "resep rendang padang, wa saya 0812-5555-0199"):
            user.say(question)
            user.replies()
        assert eventually(lambda: logged_count(tmp_path / "data") == 2)
        user.command("/laporan")
        (refused,) = user.replies()
        assert "/tanya" in refused["text"] and not emulator.control("documents")  # /help, no file
        admin.command("/laporan")
        (sent,) = admin.replies(timeout=60)
    finally:
        bot.stop()
    assert sent["text"] == TEXTS.admin_report_caption.format(days=30)
    (document,) = emulator.control("documents")
    assert document["chat_id"] == str(admin.id)
    assert document["file_name"].startswith("laporan-") and document["file_name"].endswith(".html")
    html = base64.b64decode(document["content"]).decode("utf-8")
    page = Page(html)
    assert page.totals["questions"] == "2" and page.totals["answered"] == "1" and page.totals["unanswered"] == "1"
    assert ["1", "resep rendang padang, wa saya [nomor]", "tidak ada", "belum"] in page.rows("unanswered")
    assert "0812" not in html and "<script" not in html


def digest_settings(settings: Settings, emulator: Emulator, admins: tuple[int, ...]) -> Settings:
    telegram = dataclasses.replace(
        settings.telegram, base_url=f"{emulator.url}/bot", admin_ids=admins, rate_limit=False
    )
    report = dataclasses.replace(settings.report, digest=True, digest_day="friday", digest_hour=9)
    return dataclasses.replace(settings, token=TOKEN, telegram=telegram, report=report)


async def run_weekly_job(settings: Settings, kb: KnowledgeBase, store: Store) -> None:
    """Build the bot as `run` does, and run the job its start-up scheduled."""
    app = build_application(settings, kb, store=store)
    async with app:
        await app.post_init(app)
        (job,) = app.job_queue.get_jobs_by_name("weekly-digest")
        zone = ZoneInfo(settings.report.timezone)
        due = job.job.trigger.get_next_fire_time(None, dt.datetime.now(zone)).astimezone(zone)
        assert (due.strftime("%A"), due.hour, due.minute) == ("Friday", 9, 0)
        await job.run(app)


def test_the_weekly_digest_reaches_every_admin_once_across_processes(
    emulator: Emulator,
    make_store: MakeStore,
    settings: Settings,
    kb: KnowledgeBase,
) -> None:
    admins = (User(emulator), User(emulator))
    configured = digest_settings(settings, emulator, tuple(a.id for a in admins))
    store = make_store(retention_days=3650)
    now = time.time()
    asked = [
        ("apa itu backend developer", "answer", "2025-01-01-backend", None),
        ("biaya kursus backend berapa", "none", None, "2025-01-01-backend"),
        ("harga kursus backend", "none", None, "2025-01-01-backend"),
        ("hubungi saya di 0812-5555-0199 soal kursus backend", "none", None, None),
        ("backend atau frontend", "suggest", None, "2025-01-01-backend"),
    ]
    for n, (question, kind, article, closest) in enumerate(asked):
        store.record(
            Entry(
                f"w{n}",
                question,
                article is not None,
                article,
                None,
                0.5,
                str(n),
                "private",
                now - 3600 * (n + 1),
                kind=kind,
                closest=closest,
            )
        )
    store.record(Entry("old", "pertanyaan bulan lalu", False, asked_at=now - 30 * 86400, kind="none"))
    store.flush()
    other_process = make_store(retention_days=3650)  # a second bot process on the same database
    asyncio.run(run_weekly_job(configured, kb, store))
    asyncio.run(run_weekly_job(configured, kb, other_process))
    for admin in admins:
        (digest,) = admin.replies()
        text = digest["text"]
        assert text.startswith("Ringkasan mingguan ")
        assert "Pertanyaan: 5 dari 5 pengguna" in text
        assert "Terjawab: 1 (20%), ditawari pilihan: 1, tak terjawab: 3" in text
        assert "• 2× harga kursus backend | biaya kursus backend berapa (terdekat: 2025-01-01-backend)" in text
        assert "• 1× backend atau frontend (terdekat: 2025-01-01-backend)" in text
        assert "[nomor]" in text and "0812" not in text and "bulan lalu" not in text
    # The second process found the week claimed: nothing more reached the admins.
    body = emulator.http.post("/getUpdates", json={"token": TOKEN, "chatId": admins[0].id}).json()
    assert body["result"] == []
    assert not store.claim("digest", week_label(now, configured.report.timezone))


def test_the_digest_is_off_by_default(
    emulator: Emulator, make_store: MakeStore, settings: Settings, kb: KnowledgeBase
) -> None:
    configured = dataclasses.replace(digest_settings(settings, emulator, (5,)), report=settings.report)
    app = build_application(configured, kb, store=make_store())
    assert settings.report.digest is False
    assert schedule(app) is False and app.job_queue.get_jobs_by_name("weekly-digest") == ()
