"""The token stays secret: not in logs, not in error output; bad tokens stop start-up with one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT

TOKEN = "123456789:AAH-secret-token-that-must-not-leak"


def run_bot(
    tmp_path: Path, token: str, base_url: str = "http://127.0.0.1:9/bot", verbose: str = "-v"
) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "fast.yaml"
    config.write_text("telegram:\n  startup_retries: 0\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env.update(TELEGRAM_BOT_TOKEN=token, TELEGRAM_BASE_URL=base_url, BOT_DATA_DIR=str(tmp_path / "data"))
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config), verbose],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.e2e
def test_an_unreachable_telegram_stops_start_up_without_leaking_the_token(tmp_path: Path) -> None:
    done = run_bot(tmp_path, TOKEN, verbose="-vv")  # port 9 on localhost: connection refused
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        "error: cannot start talking to Telegram at http://127.0.0.1:9/bot: "
        "httpx.ConnectError: All connection attempts failed"
    )
    output = done.stdout + done.stderr  # debug logging on: httpx and the library log their requests
    assert TOKEN not in output and TOKEN.split(":")[1] not in output


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("token", "message"),
    [
        pytest.param(
            "", "error: TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token", id="missing"
        ),
        pytest.param(
            "not-a-token",
            "error: TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret from @BotFather",
            id="malformed",
        ),
        pytest.param(
            "12345:short",
            "error: TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret from @BotFather",
            id="too-short",
        ),
    ],
)
def test_a_missing_or_malformed_token_is_one_clear_line(tmp_path: Path, token: str, message: str) -> None:
    done = run_bot(tmp_path, token)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [message]
    assert not token or token not in done.stderr


def test_the_token_is_masked_in_whatever_the_log_handlers_write() -> None:
    """`protect_logs` (what `run` calls) masks the token in messages and tracebacks of any library."""
    import io
    import logging

    from bot.telegram_app import protect_logs

    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # -vv: library lines pass, so the filter is all that protects the token
    try:
        protect_logs(TOKEN)
        logger = logging.getLogger("some.library")
        logger.warning("POST https://api.telegram.org/bot%s/getMe failed", TOKEN)
        try:
            raise RuntimeError(f"url was https://api.telegram.org/bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("request failed")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
    written = stream.getvalue()
    assert TOKEN not in written and TOKEN.split(":")[1] not in written
    assert "POST https://api.telegram.org/bot<token>/getMe failed" in written
    assert "RuntimeError: url was https://api.telegram.org/bot<token>/sendMessage" in written
