"""Webhook mode: `python -m bot run --webhook` serves updates on $PORT and checks Telegram's secret."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import CAREERS
from emulator_client import TOKEN, WEBHOOK_SECRET, User, Webhook, emulator_missing, message_update

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    """The career bot in webhook mode, with the rate limiter it runs with by default."""
    reason = emulator_missing()
    if reason:
        pytest.skip(reason)
    served = Webhook(tmp_path_factory.mktemp("webhook"), CAREERS, rate_limit=True)
    try:
        served.wait_ready()  # until the articles are loaded and updates are taken
        yield served
    finally:
        served.stop()


def test_updates_with_the_secret_are_answered(hook: Webhook) -> None:
    user = User(hook.emulator)
    response = httpx.post(hook.url, json=message_update(user, "gaji network engineer"), headers=WEBHOOK_SECRET)
    assert response.status_code == 200
    (reply,) = user.replies()
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")


@pytest.mark.parametrize(
    "headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "tebakan"}], ids=["no-secret", "wrong-secret"]
)
def test_requests_without_the_right_secret_are_refused(hook: Webhook, headers: dict) -> None:
    user = User(hook.emulator)
    response = httpx.post(hook.url, json=message_update(user, "gaji network engineer"), headers=headers)
    assert response.status_code == 403
    body = httpx.post(f"{hook.emulator.url}/getUpdates", json={"token": TOKEN, "chatId": user.chat["id"]}).json()
    assert body["result"] == []


def test_the_registered_webhook_is_the_one_served_and_the_token_stays_out_of_the_log(hook: Webhook) -> None:
    emulator = hook.emulator
    registered = emulator.control("webhook", token=TOKEN)
    assert registered is not None, "the bot never called setWebhook"
    public = urlsplit(registered["url"])
    assert (public.scheme, public.netloc) == ("https", "bot.example.test")
    assert TOKEN not in registered["url"] and TOKEN.split(":")[1] not in registered["url"]
    # Telegram would post to the registered path with the registered secret: the bot answers that.
    user = User(emulator)
    local = f"{hook.base}{public.path}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": registered["secret_token"]}
    assert httpx.post(local, json=message_update(user, "gaji network engineer"), headers=headers).status_code == 200
    (reply,) = user.replies()
    assert reply["text"].startswith("<b>Berapa Gaji Network Engineer?</b>")
    log = hook.bot.output()
    assert "serving the webhook on 127.0.0.1" in log
    assert TOKEN not in log
