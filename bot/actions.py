"""Button data: one codec that signs every action and binds it to the user it was sent to.

Telegram sends a button's callback data back as the client gives it, and clients can send
any data they like. So every action is `kind:args...:user:signature`, the signature an HMAC
over the rest with a key only the bot knows (`BOT_SECRET`, or one derived from the bot
token): forged or altered data is refused, and a press by anyone but the user the button was
sent to is refused too. State behind an action (a question's candidates) is referred to by a
random reference the bot made, never carried in the data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit for callback data
_SIGNATURE_BYTES = 9  # 12 characters of base64: forging one takes ~2^72 tries


@dataclass(frozen=True)
class Action:
    """A decoded button press: its kind, arguments, and the user it was sent to (None: anyone)."""

    kind: str
    args: tuple[str, ...]
    user: str | None


class ButtonCodec:
    """Encodes and checks signed, user-bound button data."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_secret(cls, secret: str | None, token: str | None) -> ButtonCodec:
        """The codec keyed by `secret` (BOT_SECRET), else by the token, else a key for this process only."""
        if secret:
            material = f"buttons:secret:{secret}"
        elif token:
            material = f"buttons:token:{token}"
        else:
            return cls(secrets.token_bytes(32))
        return cls(hashlib.sha256(material.encode()).digest())

    def encode(self, user: str | None, kind: str, *args: str | int) -> str:
        """Button data for action `kind` with `args`, for `user` only (None: anyone)."""
        fields = [kind, *map(str, args), _user(user)]
        if not kind or any(":" in f for f in fields):
            raise ValueError(f"button fields must not contain ':' ({fields!r})")
        body = ":".join(fields)
        data = f"{body}:{self._sign(body)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        return data

    def decode(self, data: str) -> Action | None:
        """The action in `data`, or None when it is malformed or not signed by this bot."""
        body, _, signature = data.rpartition(":")
        if not body or not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        fields = body.split(":")
        if len(fields) < 2:
            return None
        user = fields[-1]
        return Action(fields[0], tuple(fields[1:-1]), None if user == "-" else _from_base36(user))

    def _sign(self, body: str) -> str:
        digest = hmac.new(self._key, body.encode(), hashlib.sha256).digest()[:_SIGNATURE_BYTES]
        return base64.urlsafe_b64encode(digest).decode()


def new_reference() -> str:
    """A fresh random reference for state behind buttons (8 URL-safe characters)."""
    return secrets.token_urlsafe(6)


def _user(user: str | None) -> str:
    """A user as short button text: numeric ids in base 36 (saves bytes), else as given."""
    if user is None:
        return "-"
    if user.isdigit():
        return "#" + _base36(int(user))
    return user


def _from_base36(text: str) -> str:
    return str(int(text[1:], 36)) if text.startswith("#") else text


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out
