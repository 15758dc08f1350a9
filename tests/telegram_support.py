"""Offline Telegram testing: a request class that records Bot API calls, and real Update objects."""

from __future__ import annotations

import asyncio
import contextlib
import html.parser
import itertools
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from telegram import Update
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.store.queued import QueuedStore
from bot.telegram_app import build_application

TOKEN = "123456789:AAH-test-token-for-offline-tests-only"
BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "Areta", "username": "AretaTestBot"}
USER = {"id": 4242, "is_bot": False, "first_name": "Sari", "language_code": "id"}


class Recorder(BaseRequest):
    """Answers Bot API calls like Telegram would and records them: (method, parameters)."""

    def __init__(self, fail: Callable[[str, int], Exception | None] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail
        self._ids = itertools.count(1000)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **kwargs: Any
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        self.calls.append((name, params))
        error = self.fail(name, len([c for c in self.calls if c[0] == name])) if self.fail else None
        if error is not None:
            raise error
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return BOT_USER
        if name in ("sendMessage", "editMessageText"):
            chat_id = int(params["chat_id"])
            markup = params.get("reply_markup")
            return {
                "message_id": int(params.get("message_id") or next(self._ids)),
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "from": BOT_USER,
                "text": params.get("text", ""),
                # Telegram echoes only inline keyboards back.
                "reply_markup": markup if isinstance(markup, dict) and "inline_keyboard" in markup else None,
            }
        return True

    def sent(self, *methods: str) -> list[dict[str, Any]]:
        """Parameters of the calls to `methods` (sending methods by default), in order."""
        wanted = methods or ("sendMessage", "editMessageText", "answerCallbackQuery", "answerInlineQuery")
        return [params for name, params in self.calls if name in wanted]


_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def message(
    text: str,
    chat_type: str = "private",
    reply_to_bot: bool = False,
    user: dict | None = None,
    reply_markup: dict | None = None,
) -> dict:
    """A user's text message (a command gets its bot_command entity); `reply_markup` is that of
    the bot message it replies to."""
    sender = user or USER
    chat = (
        {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}
        if chat_type == "private"
        else {"id": -100777, "type": chat_type, "title": "Grup Belajar IT"}
    )
    data: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
        "text": text,
    }
    if text.startswith("/"):
        data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if reply_to_bot:
        data["reply_to_message"] = {
            "message_id": 7,
            "date": int(time.time()),
            "chat": chat,
            "from": BOT_USER,
            "text": "Silakan tulis pertanyaanmu",
        }
        if reply_markup is not None:
            data["reply_to_message"]["reply_markup"] = reply_markup
    return {"update_id": next(_update_ids), "message": data}


def callback(data: str, chat_type: str = "private", user: dict | None = None) -> dict:
    """A press of an inline button under message 555."""
    sender = user or USER
    chat = (
        {"id": sender["id"], "type": "private"}
        if chat_type == "private"
        else {"id": -100777, "type": chat_type, "title": "Grup"}
    )
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": sender,
            "chat_instance": "ci",
            "data": data,
            "message": {"message_id": 555, "date": int(time.time()), "chat": chat, "from": BOT_USER, "text": "..."},
        },
    }


def inline(query: str) -> dict:
    """An inline query typed as `@bot query` in any chat."""
    return {"update_id": next(_update_ids), "inline_query": {"id": "iq1", "from": USER, "query": query, "offset": ""}}


@contextlib.contextmanager
def running(app: Application) -> Iterator[Callable[..., None]]:
    """An initialized Application on one event loop; yields `feed(*updates)` to process updates."""
    with asyncio.Runner() as runner:
        runner.run(app.initialize())
        try:
            yield lambda *updates: runner.run(_feed(app, updates))
        finally:
            runner.run(app.shutdown())


async def _feed(app: Application, updates: tuple[dict, ...]) -> None:
    for data in updates:
        await app.process_update(Update.de_json(data, app.bot))


def process(app: Application, *updates: dict) -> None:
    """Feed updates to the real Application, as Telegram delivers them, one after another."""
    with running(app) as feed:
        feed(*updates)


def keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The inline keyboard of a sent message, as rows of button dicts."""
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    return markup.get("inline_keyboard", [])


class TelegramHTML(html.parser.HTMLParser):
    """Checks that text uses only the tags Telegram accepts, properly nested; collects the visible text."""

    ALLOWED = {"b", "i", "u", "s", "code", "pre", "a", "blockquote", "tg-spoiler"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.ALLOWED, f"tag <{tag}> is not Telegram HTML"
        if tag == "a":
            assert [name for name, _ in attrs] == ["href"], f"<a> takes only href, got {attrs}"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, f"</{tag}> does not close the open tag"

    def handle_data(self, data: str) -> None:
        self.text += data


def visible(text: str) -> str:
    """What a user sees of a message in Telegram HTML, after checking its tags are Telegram's and closed."""
    parser = TelegramHTML()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed tags: {parser.stack}"
    return parser.text


def logged_application(settings: Settings, kb: KnowledgeBase, store: QueuedStore) -> tuple[Application, Recorder]:
    """The real Application over `kb`, logging questions to `store`, its Bot API calls recorded."""
    recorder = Recorder()
    return build_application(settings, kb, request=recorder, store=store), recorder
