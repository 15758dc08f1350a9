"""`-v` logs the bot's own detail; the libraries' debug lines (whole updates) need `-vv`."""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator_client import TOKEN, Emulator, User, careers_bot

PHONE = "081234567890"


@pytest.fixture
def emulator(own_emulator: Emulator) -> Emulator:
    """An emulator per test: one still long-polling for a stopped bot would swallow updates."""
    return own_emulator


def chat_with_logging(emulator: Emulator, root: Path, flag: str) -> str:
    """Run the bot with `flag`, ask one question holding a phone number, return its log."""
    bot = careers_bot(emulator, root, args=(flag,))
    try:
        user = User(emulator)
        user.say(f"gaji network engineer? wa saya {PHONE}")
        user.replies(1)
    finally:
        bot.stop()
    return bot.output()


@pytest.mark.e2e
def test_v_shows_the_bots_detail_without_personal_data(emulator: Emulator, tmp_path: Path) -> None:
    log = chat_with_logging(emulator, tmp_path, "-v")
    assert PHONE not in log and "Pengguna" not in log  # neither the message nor the user's name
    assert " DEBUG bot.telegram_app: update " in log  # but the bot's own detail
    assert " DEBUG telegram" not in log and " DEBUG httpx" not in log
    assert TOKEN not in log


@pytest.mark.e2e
def test_vv_warns_first_then_writes_library_debug_output_with_the_token_masked(
    emulator: Emulator, tmp_path: Path
) -> None:
    log = chat_with_logging(emulator, tmp_path, "-vv")
    first = log.splitlines()[0]
    assert "WARNING bot: -vv" in first and "personal data" in first
    assert PHONE in log  # what -vv is for: the whole updates
    assert " DEBUG telegram" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "<token>" in log


@pytest.mark.parametrize("flag", ["-v", "-vv"])
def test_check_accepts_both_levels(flag: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    from conftest import PROJECT

    done = subprocess.run(
        [sys.executable, "-m", "bot", "check", flag], cwd=PROJECT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "articles:" in done.stdout
