"""Webhook mode: `python -m bot run --webhook` serves updates on $PORT and checks Telegram's secret."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import CAREERS
from emulator_client import TOKEN, BotProcess, Emulator, User, emulator_missing, free_port

from bot.telegram_app import webhook_path, webhook_secret

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Emulator, BotProcess, str]]:
    reason = emulator_missing()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("webhook")
    knowledge = root / "knowledge"
    knowledge.mkdir()
    for name, text in CAREERS.items():
        (knowledge / name).write_text(text, encoding="utf-8")
    config = root / "local.yaml"
    config.write_text("telegram:\n  listen: 127.0.0.1\n", encoding="utf-8")
    emulator = Emulator()
    port = free_port()
    bot = BotProcess(
        emulator,
        knowledge,
        root / "data",
        root / "bot.log",
        extra_env={"PORT": str(port), "WEBHOOK_URL": "https://bot.example.test"},
        args=("--webhook", "--config", str(config)),
    )
    url = f"http://127.0.0.1:{port}/{webhook_path(TOKEN)}"
    deadline = time.monotonic() + 60
    while True:  # until the articles are loaded and updates are taken
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert bot.process.poll() is None, bot.output()
        assert time.monotonic() < deadline, bot.output()
        time.sleep(0.1)
    yield emulator, bot, url
    bot.stop()
    emulator.stop()


def update(user: User, text: str) -> dict:
    return {
        "update_id": int(time.time() * 1000) % 1_000_000_000,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": user.chat,
            "from": user.user,
            "text": text,
        },
    }


def test_updates_with_the_secret_are_answered(served: tuple[Emulator, BotProcess, str]) -> None:
    emulator, bot, url = served
    user = User(emulator)
    response = httpx.post(
        url,
        json=update(user, "gaji network engineer"),
        headers={"X-Telegram-Bot-Api-Secret-Token": webhook_secret(TOKEN)},
    )
    assert response.status_code == 200
    (reply,) = user.replies()
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")


@pytest.mark.parametrize(
    "headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "tebakan"}], ids=["no-secret", "wrong-secret"]
)
def test_requests_without_the_right_secret_are_refused(served: tuple[Emulator, BotProcess, str], headers: dict) -> None:
    emulator, bot, url = served
    user = User(emulator)
    response = httpx.post(url, json=update(user, "gaji network engineer"), headers=headers)
    assert response.status_code == 403
    body = httpx.post(f"{emulator.url}/getUpdates", json={"token": TOKEN, "chatId": user.chat["id"]}).json()
    assert body["result"] == []


def test_the_registered_webhook_is_the_one_served_and_the_token_stays_out_of_the_log(
    served: tuple[Emulator, BotProcess, str],
) -> None:
    emulator, bot, url = served
    registered = emulator.control("webhook", token=TOKEN)
    assert registered is not None, "the bot never called setWebhook"
    public = urlsplit(registered["url"])
    assert (public.scheme, public.netloc) == ("https", "bot.example.test")
    assert TOKEN not in registered["url"] and TOKEN.split(":")[1] not in registered["url"]
    # Telegram would post to the registered path with the registered secret: the bot answers that.
    user = User(emulator)
    local = f"http://127.0.0.1:{urlsplit(url).port}{public.path}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": registered["secret_token"]}
    assert httpx.post(local, json=update(user, "gaji network engineer"), headers=headers).status_code == 200
    (reply,) = user.replies()
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")
    log = bot.output()
    assert "serving the webhook on 127.0.0.1" in log
    assert TOKEN not in log
