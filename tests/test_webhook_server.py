"""The webhook server over real HTTP: hostile bodies and paths, repeated updates, /healthz."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CAREERS, article
from emulator_client import TOKEN, WEBHOOK_SECRET, User, Webhook, emulator_missing, eventually, message_update

from bot.telegram_app import webhook_path, webhook_secret

pytestmark = pytest.mark.e2e

BIG = 95 * 1024 * 1024


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webhook]:
    reason = emulator_missing()
    if reason:
        pytest.skip(reason)
    running = Webhook(tmp_path_factory.mktemp("hook"), CAREERS)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def offer_body(port: int, path: str, headers: dict[str, str], size: int, chunked: bool) -> tuple[str, int]:
    """Send a request whose body is `size` bytes, stopping as soon as the server answers.

    Returns the response's status line ("" when the connection closed without one) and the
    body bytes sent.
    """
    piece = b"x" * 65536
    head = [f"POST {path} HTTP/1.1", "Host: bot", "Content-Type: application/json"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            while sent < size and not select.select([conn], [], [], 0)[0]:
                conn.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked and sent >= size:
                conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            answer = conn.recv(4096)
        except ConnectionResetError:
            answer = b""
    return answer.decode("latin-1").split("\r\n", 1)[0], sent


@pytest.mark.parametrize(
    ("where", "headers", "chunked", "status"),
    [
        pytest.param("/some/other/path", {}, False, "404", id="unknown-path"),
        pytest.param("WEBHOOK", {}, False, "403", id="no-secret"),
        pytest.param("WEBHOOK", WEBHOOK_SECRET, False, "413", id="content-length"),
        pytest.param("WEBHOOK", WEBHOOK_SECRET, True, "413", id="chunked"),
    ],
)
def test_a_95_mb_body_is_refused_before_it_is_read(
    hook: Webhook, where: str, headers: dict, chunked: bool, status: str
) -> None:
    path = "/" + webhook_path(TOKEN) if where == "WEBHOOK" else where
    before = peak_rss_mb(hook.bot.process.pid)
    line, sent = offer_body(hook.port, path, headers, BIG, chunked)
    assert line.startswith(f"HTTP/1.1 {status} "), line
    assert sent < 8 * 1024 * 1024  # the server answered long before the body was through
    assert peak_rss_mb(hook.bot.process.pid) - before < 20
    assert hook.health().status_code == 200  # and it keeps serving


def test_an_unknown_path_is_404_and_healthz_counts_the_articles(hook: Webhook) -> None:
    assert httpx.get(f"{hook.base}/telegram/guess", timeout=5).status_code == 404
    assert httpx.post(f"{hook.base}/", content=b"{}", timeout=5).status_code == 404
    health = hook.health()
    assert health.status_code == 200 and health.json() == {"status": "ok", "articles": 3}


def test_an_update_posted_three_times_is_answered_once(hook: Webhook) -> None:
    user = User(hook.emulator)
    again = message_update(user, "gaji network engineer", 777_000 + user.id)
    for _ in range(3):
        hook.post(again)
    hook.post(message_update(user, "apa itu frontend developer", 778_000 + user.id))
    replies = user.replies(2)
    assert [r["text"].split("</b>")[0] for r in replies] == [
        "<b>Berapa Gaji Network Engineer?",
        "<b>Apa Itu Frontend Developer?",
    ]
    assert eventually(lambda: hook.bot.output().count(f"update {again['update_id']} was delivered again; ignored") == 2)
    assert user.replies(0) == []  # nothing more came for the repeats


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b"null", b'"x"', b"{}", b'{"update_id": "x"}', b'{"update_id": 5, "message": 3}']
)
def test_a_body_that_is_not_an_update_is_refused_with_400(hook: Webhook, body: bytes) -> None:
    assert httpx.post(hook.url, content=body, headers=WEBHOOK_SECRET, timeout=5).status_code == 400
    assert hook.health().status_code == 200


def test_the_port_is_bound_before_the_articles_load(tmp_path: Path) -> None:
    """A PaaS kills a web process that has not bound $PORT in time: /healthz answers 503 meanwhile."""
    reason = emulator_missing()
    if reason:
        pytest.skip(reason)
    body = "\n".join(
        f"#### Bagian {i}\n\nIsi bagian {i} tentang jaringan, server {i} dan database {i}.\n" for i in range(12)
    )
    files = {f"a{n:04d}.md": article(f"Artikel nomor {n}", body, tags=[f"tag{n % 50}"]) for n in range(1500)}
    hook = Webhook(tmp_path, files)
    try:
        seen = hook.wait_ready(timeout=180)
        assert seen[0] == 503, seen
        assert seen[-1] == 200 and hook.health().json()["articles"] == 1500
        log = hook.bot.output()
        assert log.index("serving the webhook on 127.0.0.1") < log.index("loaded 1500 articles")
    finally:
        hook.stop()


def test_a_port_in_use_stops_start_up_with_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from conftest import PROJECT

    config = tmp_path / "local.yaml"
    config.write_text("telegram:\n  listen: 127.0.0.1\n", encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            PORT=str(port),
            WEBHOOK_URL="https://bot.example.test",
            BOT_DATA_DIR=str(tmp_path / "data"),
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--webhook", "--config", str(config)],
            cwd=PROJECT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"error: cannot listen on 127.0.0.1:{port}: Address already in use"


def test_a_content_length_that_is_not_a_number_is_refused(hook: Webhook) -> None:
    head = (
        f"POST /{webhook_path(TOKEN)} HTTP/1.1\r\nHost: bot\r\n"
        f"X-Telegram-Bot-Api-Secret-Token: {webhook_secret(TOKEN)}\r\n"
    )
    with socket.create_connection(("127.0.0.1", hook.port), timeout=10) as conn:
        conn.sendall((head + "Content-Length: 12abc\r\n\r\n{}").encode())
        line = conn.recv(4096).decode("latin-1").split("\r\n", 1)[0]
    assert line.split()[1] in ("400", "413"), line
    assert hook.health().status_code == 200
