"""How much /unanswered over a big question log delays other users' answers.

    python benchmarks/store.py                   # 16,000 unanswered questions, SQLite
    python benchmarks/store.py --questions 4000
    DATABASE_URL=postgresql://... python benchmarks/store.py   # the same against PostgreSQL

The real Application (offline: Bot API calls are recorded, not sent) over the three test career
articles. First a baseline: one user's answer times with nothing else running. Then an admin
sends /unanswered while that user keeps asking (one question every 50 ms) until the report is
sent; printed: the report's time, the answer times meanwhile, and the extra delay over the
baseline. Target: extra delay under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "tests"))

from conftest import CAREERS  # noqa: E402 - after sys.path points at the project
from telegram import Update  # noqa: E402 - after sys.path points at the project
from telegram.ext import Application  # noqa: E402 - after sys.path points at the project
from telegram_support import TOKEN, Recorder, message  # noqa: E402 - after sys.path points at the project

from bot.knowledge import KnowledgeBase  # noqa: E402 - after sys.path points at the project
from bot.settings import load_settings  # noqa: E402 - after sys.path points at the project
from bot.store import Entry, open_store  # noqa: E402 - after sys.path points at the project
from bot.telegram_app import build_application  # noqa: E402 - after sys.path points at the project

ADMIN = {"id": 7, "is_bot": False, "first_name": "Admin"}
WORDS = (
    "kursus harga jadwal lokasi sertifikat ujian mikrotik cisco linux python jaringan server cloud docker kubernetes "
    "keamanan database web android desain gratis online malam akhir pekan cicilan diskon kelas karyawan mahasiswa "
    "beasiswa magang kerja gaji lowongan bootcamp modul praktik lab"
).split()
QUESTIONS = [
    "apa itu backend developer",
    "gaji network engineer",
    "framework frontend apa saja",
    "sertifikasi jaringan",
]


_users = iter(range(10_000, 100_000))


async def answer_time(app: Application, text: str) -> float:
    """Seconds from an update's arrival to its answer being sent (a new user each: no flood guard)."""
    user = {"id": next(_users), "is_bot": False, "first_name": "Sari"}
    started = time.perf_counter()
    await app.process_update(Update.de_json(message(text, user=user), app.bot))
    return time.perf_counter() - started


async def measure(app: Application, recorder: Recorder) -> tuple[list[float], list[float], float]:
    baseline = [await answer_time(app, QUESTIONS[n % len(QUESTIONS)]) for n in range(40)]
    started = time.perf_counter()
    report = asyncio.create_task(app.process_update(Update.de_json(message("/unanswered", user=ADMIN), app.bot)))
    during: list[float] = []
    n = 0
    while not report.done():
        during.append(await answer_time(app, QUESTIONS[n % len(QUESTIONS)]))
        n += 1
        await asyncio.sleep(0.05)
    await report
    took = time.perf_counter() - started
    sent = recorder.sent("sendMessage")
    assert any(p["chat_id"] == 7 for p in sent), "the report was not sent"
    assert sum(p["text"].startswith("<b>") for p in sent) >= len(baseline) + len(during), (
        "not every question was answered"
    )
    return baseline, during, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=16_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "knowledge").mkdir()
        for name, text in CAREERS.items():
            (root / "knowledge" / name).write_text(text, encoding="utf-8")
        os.environ["BOT_DATA_DIR"] = str(root / "data")
        settings = load_settings(knowledge=root / "knowledge")
        settings = dataclasses.replace(
            settings, token=TOKEN, telegram=dataclasses.replace(settings.telegram, admin_ids=(7,))
        )
        store = open_store(settings)
        rng = random.Random(5)
        tag = f"{time.time():.0f}"
        for n in range(args.questions):
            store.record(Entry(f"bench-{tag}-{n}", " ".join(rng.sample(WORDS, 5)), False, user=str(n % 900)))
            if n % 5000 == 4999:
                store.flush(120)  # within the write buffer's bound
        store.flush(120)
        recorder = Recorder()
        app = build_application(settings, KnowledgeBase.load(settings), request=recorder, store=store)
        with asyncio.Runner() as runner:
            runner.run(app.initialize())
            try:
                baseline, during, took = runner.run(measure(app, recorder))
            finally:
                runner.run(app.shutdown())
        store.close()
    base = statistics.median(baseline)
    backend = "PostgreSQL" if settings.database_url else "SQLite"
    print(f"{backend}, {args.questions:,} unanswered questions")
    print(f"/unanswered reply after       {took:8.2f} s")
    print(f"answers, baseline median      {base * 1000:8.1f} ms")
    print(
        f"answers during /unanswered    {len(during)} answered, median "
        f"{statistics.median(during) * 1000:.1f} ms, max {max(during) * 1000:.1f} ms"
    )
    print(f"extra delay (max - baseline)  {(max(during) - base) * 1000:8.1f} ms   (target < 100 ms)")


if __name__ == "__main__":
    main()
