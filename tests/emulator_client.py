"""End-to-end harness: the telegram-test-api emulator and a user talking to the bot through it."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bot.telegram_app import webhook_path, webhook_secret

TESTS = Path(__file__).resolve().parent
EMULATOR_SCRIPT = TESTS / "emulator" / "start.js"
TOKEN = "987654321:AAE-end-to-end-token-not-a-real-one"
WEBHOOK_SECRET = {"X-Telegram-Bot-Api-Secret-Token": webhook_secret(TOKEN)}  # sent with every webhook call
T = TypeVar("T")
_users = itertools.count(5001)


def emulator_missing() -> str | None:
    """Why the emulator cannot run here, or None. Installs its npm package when needed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node and npm are needed for the Bot API emulator (telegram-test-api)"
    if not (TESTS / "node_modules" / "telegram-test-api").is_dir():
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=TESTS, capture_output=True, text=True)
        if done.returncode != 0:
            return f"npm ci in tests/ failed: {done.stderr.strip().splitlines()[-1:]}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Emulator:
    """A running emulator process on 127.0.0.1."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["node", str(EMULATOR_SCRIPT), str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # blocks until the emulator listens (or dies)
        if not line.startswith("EMULATOR READY"):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {line!r}")
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def control(self, path: str, **params: Any) -> Any:
        return self.http.post(f"/_control/{path}", json=params).json().get("result")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if hasattr(self, "http"):
            self.http.close()


class BotProcess:
    """`python -m bot run` against the emulator, as a PaaS would start it."""

    def __init__(
        self,
        emulator: Emulator,
        knowledge: Path,
        data_dir: Path,
        log: Path,
        extra_env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=f"{emulator.url}/bot",
            BOT_DATA_DIR=str(data_dir),
            PYTHONUNBUFFERED="1",
            **(extra_env or {}),
        )
        self.log = log
        self.data_dir = data_dir
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--knowledge", str(knowledge), *args],
            cwd=TESTS.parent,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log_file.close()

    def output(self) -> str:
        return self.log.read_text()


def careers_bot(
    emulator: Emulator, root: Path, args: tuple[str, ...] = (), extra_env: dict[str, str] | None = None
) -> BotProcess:
    """`python -m bot run` over the three career articles of the test corpus, up and polling."""
    from conftest import CAREERS

    knowledge = root / "knowledge"
    knowledge.mkdir(parents=True, exist_ok=True)
    for name, text in CAREERS.items():
        (knowledge / name).write_text(text, encoding="utf-8")
    process = BotProcess(emulator, knowledge, root / "data", root / "bot.log", extra_env, args)
    try:
        warm = User(emulator)
        warm.command("/start")
        warm.replies(1, timeout=60)  # answered: the bot is up and polling
    except BaseException:
        process.stop()  # a bot that never came up must not outlive the test
        raise
    return process


class Webhook:
    """`python -m bot run --webhook` over `files` on a free port, against `emulator` (one of its own by default)."""

    def __init__(
        self,
        root: Path,
        files: dict[str, str],
        emulator: Emulator | None = None,
        extra_env: dict[str, str] | None = None,
        rate_limit: bool = False,
    ) -> None:
        knowledge = root / "knowledge"
        knowledge.mkdir(parents=True)
        for name, text in files.items():
            (knowledge / name).write_text(text, encoding="utf-8")
        config = root / "local.yaml"
        config.write_text(
            f"telegram:\n  listen: 127.0.0.1\n  rate_limit: {str(rate_limit).lower()}\n", encoding="utf-8"
        )
        self._own_emulator = emulator is None
        self.emulator = emulator or Emulator()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/{webhook_path(TOKEN)}"
        self.bot = BotProcess(
            self.emulator,
            knowledge,
            root / "data",
            root / "bot.log",
            extra_env={"PORT": str(self.port), "WEBHOOK_URL": "https://bot.example.test", **(extra_env or {})},
            args=("--webhook", "--config", str(config)),
        )

    def health(self) -> httpx.Response | None:
        """GET /healthz, or None while nothing listens."""
        try:
            return httpx.get(f"{self.base}/healthz", timeout=5)
        except httpx.TransportError:
            assert self.bot.process.poll() is None, self.bot.output()
            return None

    def wait_ready(self, timeout: float = 90) -> list[int]:
        """The /healthz statuses seen until it says 200 (polling another process)."""
        seen: list[int] = []
        deadline = time.monotonic() + timeout
        while not seen or seen[-1] != 200:
            assert time.monotonic() < deadline, f"not ready: {seen}\n{self.bot.output()}"
            response = self.health()
            if response is not None and (not seen or seen[-1] != response.status_code):
                seen.append(response.status_code)
            time.sleep(0.05)
        return seen

    def post(self, update: dict[str, Any]) -> None:
        """Deliver an update as Telegram does, with the webhook's secret; it must be taken."""
        response = httpx.post(self.url, json=update, headers=WEBHOOK_SECRET, timeout=10)
        assert response.status_code == 200, response.text

    def stop(self) -> None:
        self.bot.stop()
        if self._own_emulator:
            self.emulator.stop()


_update_ids = itertools.count(1)


def new_update_id() -> int:
    """An update id no other update of this test run has (a bot ignores an id it has seen)."""
    return next(_update_ids)


def message_update(user: User, text: str, update_id: int | None = None) -> dict[str, Any]:
    """`user`'s text message as Telegram posts it to a webhook (the next update id unless given)."""
    return {
        "update_id": new_update_id() if update_id is None else update_id,
        "message": {"message_id": 1, "date": int(time.time()), "chat": user.chat, "from": user.user, "text": text},
    }


class User:
    """A Telegram user chatting with the bot through the emulator's client API."""

    def __init__(self, emulator: Emulator, chat_type: str = "private") -> None:
        self.http = emulator.http
        self.emulator = emulator
        self.id = next(_users)
        self.user = {"id": self.id, "is_bot": False, "first_name": f"Pengguna{self.id}"}
        self.chat = (
            {"id": self.id, "type": "private"}
            if chat_type == "private"
            else {"id": -self.id, "type": chat_type, "title": "Grup"}
        )
        self._answers_before = 0

    def _post(self, path: str, body: dict[str, Any]) -> None:
        response = self.http.post(path, json=body)
        assert response.status_code == 200 and response.json()["ok"], response.text

    def say(self, text: str) -> None:
        self._post(
            "/sendMessage",
            {"botToken": TOKEN, "from": self.user, "chat": self.chat, "date": int(time.time()), "text": text},
        )

    def command(self, text: str) -> None:
        entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
        self._post(
            "/sendCommand",
            {
                "botToken": TOKEN,
                "from": self.user,
                "chat": self.chat,
                "date": int(time.time()),
                "text": text,
                "entities": [entity],
            },
        )

    def press(self, message: dict[str, Any], data: str) -> None:
        self._answers_before = len(self.emulator.control("callback_answers"))
        self._post(
            "/sendCallback",
            {
                "botToken": TOKEN,
                "from": self.user,
                "data": data,
                "message": {"message_id": message["messageId"], "date": int(time.time()), "chat": self.chat},
            },
        )

    def replies(self, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The bot's next `count` messages to this chat (each with its `messageId`)."""
        got: list[dict[str, Any]] = []
        for _ in _until(timeout, lambda: len(got) >= count):
            body = self.http.post("/getUpdates", json={"token": TOKEN, "chatId": self.chat["id"]}).json()
            got.extend({**entry["message"], "messageId": entry["messageId"]} for entry in body["result"])
        assert len(got) >= count, f"expected {count} replies, got {got}"
        return got

    def current(
        self, message: dict[str, Any], changed_from: str | None = None, timeout: float = 20.0
    ) -> dict[str, Any]:
        """A message as it is now (edits show only in the history), waiting for it to change."""
        found: dict[str, Any] = {}

        def latest() -> bool:
            for entry in self.http.post("/getUpdatesHistory", json={"token": TOKEN}).json()["result"]:
                if entry.get("messageId") == message["messageId"] and "message" in entry and "text" in entry["message"]:
                    found.update(entry["message"])
            return bool(found) and found.get("text") != changed_from

        for _ in _until(timeout, latest):
            pass
        return found

    def notice(self, timeout: float = 20.0) -> str | None:
        """The text the bot showed for the last button press (its callback answer)."""
        new: list[dict[str, Any]] = []

        def answered() -> bool:
            new[:] = self.emulator.control("callback_answers")[self._answers_before :]
            return bool(new)

        for _ in _until(timeout, answered):
            pass
        assert new, "the button press was never answered"
        return new[-1].get("text")


def eventually(read: Callable[[], T], timeout: float = 10.0) -> T:
    """What `read` returns once it returns something truthy (or at `timeout`): for another process's writes."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _until(timeout: float, done: Callable[[], object]) -> Iterator[None]:
    """Yield until `done()` is true or `timeout` passes: polling an external process."""
    deadline = time.monotonic() + timeout
    while True:
        yield
        if done() or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """All inline buttons of a bot message, row after row."""
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]
