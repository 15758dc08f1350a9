"""`python -m bot run` with a store that cannot be opened: it starts, answers, warns once, and
features that need the store say so politely (against the Bot API emulator)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT
from emulator_client import Emulator, User, buttons, careers_bot
from postgres_server import PostgresServer

from bot.settings import load_settings

TEXTS = load_settings(env={}).texts
PASSWORD = "hunter2secret"


@pytest.fixture
def emulator(own_emulator: Emulator) -> Emulator:
    """An emulator of its own for each test: each starts a bot of its own."""
    return own_emulator


def admin_config(root: Path, admin: User) -> tuple[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    config = root / "admin.yaml"
    config.write_text(f"telegram:\n  admin_ids: [{admin.id}]\n")
    return ("--config", str(config))


def exercise(emulator: Emulator, root: Path, extra_env: dict[str, str]) -> str:
    """Ask, /stats as admin and /hapusdata with the store unreachable; the bot's log."""
    user, admin = User(emulator), User(emulator)
    bot = careers_bot(emulator, root, args=admin_config(root, admin), extra_env=extra_env)
    try:
        user.say("apa itu backend developer?")
        (answer,) = user.replies()
        assert answer["text"].startswith("<b>Apa Itu Backend Developer?</b>")
        admin.command("/stats")
        (stats,) = admin.replies()
        assert stats["text"] == TEXTS.store_unavailable
        user.command("/hapusdata")
        (confirm,) = user.replies()
        user.press(confirm, buttons(confirm)[0]["callback_data"])
        done = user.current(confirm, changed_from=confirm["text"])
        assert done["text"] == TEXTS.forget_pending.format(count=1)  # the answered question, still buffered
    finally:
        bot.stop()
    return bot.output()


@pytest.mark.e2e
def test_a_corrupt_sqlite_log_does_not_stop_the_bot(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "questions.sqlite3").write_bytes(b"not a database at all\n" * 100)
    output = exercise(emulator, tmp_path, {})
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if "unavailable" in line] == [
        next(
            line
            for line in output.splitlines()
            if "WARNING bot.store: question log unavailable (file is not a database)" in line
        )
    ]


@pytest.mark.e2e
def test_an_unreachable_database_does_not_stop_the_bot_and_its_password_is_never_logged(
    emulator: Emulator, tmp_path: Path
) -> None:
    url = f"postgresql://bot:{PASSWORD}@/bot?host={tmp_path}/no-server-here"
    output = exercise(emulator, tmp_path, {"DATABASE_URL": url})
    assert "Traceback" not in output and PASSWORD not in output
    assert len([line for line in output.splitlines() if "WARNING bot.store: database unavailable" in line]) == 1


def test_check_and_ask_need_no_writable_data_folder(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    env = {**os.environ, "BOT_DATA_DIR": str(tmp_path / "a-file" / "data")}
    knowledge = PROJECT / "knowledge"
    for command in (["check"], ["ask", "apa itu backend developer"]):
        done = subprocess.run(
            [sys.executable, "-m", "bot", *command, "--knowledge", str(knowledge)],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.e2e
def test_the_bot_logs_to_postgresql_when_database_url_is_set(
    emulator: Emulator, postgres: PostgresServer, tmp_path: Path
) -> None:
    from bot.store.postgres import PostgresStore

    url = postgres.new_database()
    user, admin = User(emulator), User(emulator)
    bot = careers_bot(emulator, tmp_path, args=admin_config(tmp_path, admin), extra_env={"DATABASE_URL": url})
    try:
        user.say("resep rendang wa 0812-5555-0199")
        user.replies()
        user.say("apa itu backend developer?")
        (answer,) = user.replies()
        helpful = next(b for b in buttons(answer) if b["text"] == TEXTS.button_helpful)
        user.press(answer, helpful["callback_data"])
        assert user.notice() == TEXTS.feedback_thanks
        admin.command("/stats")
        (stats,) = admin.replies()
    finally:
        bot.stop()
    assert [line for line in stats["text"].splitlines()[1:] if line] == [
        "Pertanyaan: 2 dari 1 pengguna",
        "Terjawab: 1 (50%)",
        "Masukan: 1 membantu, 0 kurang membantu",
    ]
    assert not (tmp_path / "data" / "questions.sqlite3").exists()  # nothing written to the local disk
    store = PostgresStore(url, 30)
    rows = [(r.question, r.answered, r.vote) for r in store.logged(0)]
    store.close()
    assert rows == [("resep rendang wa [nomor]", False, None), ("apa itu backend developer?", True, 1)]
    assert PASSWORD not in bot.output() and postgres.PASSWORD not in bot.output()
