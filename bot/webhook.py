"""The webhook's HTTP server: Telegram's updates onto the Application's queue, and /healthz.

Tornado serves it, but every request is judged on its headers first: an unknown path, a
missing secret or a body over the limit is answered at once and the connection closed, so no
body is read that the bot would not accept.
"""

from __future__ import annotations

import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler, stream_request_body

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Telegram's updates are a few KB; a 1 MB bound leaves a wide margin
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass
class Serving:
    """What the server hands updates to: set once the articles are loaded, cleared on SIGTERM."""

    app: Application[Any, Any, Any, Any, Any, Any] | None = None
    articles: int | None = None
    accepting: bool = False
    stopping: bool = False


@stream_request_body
class _Refused(RequestHandler):
    """Any path but the webhook and /healthz: 404 before the body is read."""

    def prepare(self) -> None:
        self.send_error(404)


@stream_request_body
class _Updates(RequestHandler):
    """Telegram's POSTs: the secret and the size are checked before any body byte is read."""

    def initialize(self, serving: Serving, secret: str, max_body: int) -> None:
        self.serving = serving
        self.secret = secret
        self.max_body = max_body
        self.body = bytearray()

    def prepare(self) -> None:
        if not hmac.compare_digest(self.request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            self.send_error(403)
        elif self.request.method != "POST":
            self.send_error(405)
        elif _announced_length(self.request.headers.get("Content-Length")) > self.max_body:
            self.send_error(413)
        elif not self.serving.accepting or self.serving.app is None:
            self.send_error(503)  # loading or stopping: Telegram delivers the update again later

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self.body += chunk
        if len(self.body) > self.max_body:  # a chunked body announces no length
            self.body.clear()
            self.send_error(413)

    async def post(self) -> None:
        if self._finished:
            return
        app = self.serving.app
        if app is None or not self.serving.accepting:
            self.send_error(503)
            return
        update = _parse(bytes(self.body), app)
        if update is None:
            self.send_error(400)
            return
        await app.update_queue.put(update)
        self.set_status(200)
        self.finish()

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        log.warning("error in a webhook request: %s", value)


def _parse(body: bytes, app: Application[Any, Any, Any, Any, Any, Any]) -> Update | None:
    """The update in a request body, or None (logged) when it is not one."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise ValueError("no integer update_id")
        return Update.de_json(data, app.bot)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("refused a request that holds no update (%s)", type(exc).__name__)
        return None


class _Health(RequestHandler):
    """GET /healthz: 200 with the article count once the index is loaded, 503 before."""

    def initialize(self, serving: Serving) -> None:
        self.serving = serving

    def get(self) -> None:
        if self.serving.stopping:
            self.set_status(503)
            self.finish({"status": "stopping"})
        elif self.serving.articles is None:
            self.set_status(503)
            self.finish({"status": "loading"})
        else:
            self.finish({"status": "ok", "articles": self.serving.articles})


def _announced_length(value: str | None) -> int:
    """A request's Content-Length; one that is not a number counts as too large."""
    try:
        return int(value or 0)
    except ValueError:
        return 1 << 62


def _access_log(handler: RequestHandler) -> None:
    """One line per refused request; the webhook path is a secret, so it is never written."""
    status = handler.get_status()
    if status < 400 or status == 503:
        return
    where = "the webhook path" if isinstance(handler, _Updates) else repr(handler.request.path[:100])
    log.log(
        logging.INFO if status in (400, 403, 413) else logging.DEBUG,
        "%d for %s %s",
        status,
        handler.request.method,
        where,
    )


def start_server(
    serving: Serving, path: str, secret: str, listen: str, port: int, max_body: int = MAX_BODY
) -> HTTPServer:
    """Listen on `listen:port` (on the running event loop) and return the server."""
    routes: list[tuple[str, type[RequestHandler], dict[str, Any]]] = [
        (r"/healthz", _Health, {"serving": serving}),
        (f"/{path.strip('/')}", _Updates, {"serving": serving, "secret": secret, "max_body": max_body}),
    ]
    web = TornadoApplication(routes, default_handler_class=_Refused, log_function=_access_log)
    # Tornado's own bound is a backstop above ours, so the handlers answer 413 themselves.
    server = HTTPServer(web, max_body_size=2 * max_body, max_buffer_size=4 * max_body, body_timeout=30)
    server.listen(port, address=listen)
    return server
