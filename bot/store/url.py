"""DATABASE_URL: checked as configuration, and never shown with its password."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qs, urlsplit

from bot.errors import ConfigError


def mask_url(url: str) -> str:
    """The URL with its password replaced by ***, safe to show in a log line or an error."""
    masked = re.sub(r"(://[^:/@?#]*:)[^@/?#]*@", r"\1***@", url)
    return re.sub(r"(password=)[^&\s]*", r"\1***", masked)


def check_url(url: str) -> str:
    """The URL if it is a PostgreSQL connection URL, else a one-line ConfigError (password masked)."""
    shown = mask_url(url)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
        query = parse_qs(parts.query, strict_parsing=bool(parts.query))
    except ValueError as exc:
        raise ConfigError(f"config: DATABASE_URL is malformed ({exc}): {shown}") from None
    if parts.scheme not in ("postgres", "postgresql"):
        raise ConfigError(f"config: DATABASE_URL must start with postgresql:// (got {shown})")
    if not (parts.hostname or query.get("host")) or not parts.path.strip("/"):
        raise ConfigError(
            "config: DATABASE_URL needs a host and a database name, like "
            f"postgresql://user:password@host:5432/name (got {shown})"
        )
    return url


class SecretFilter(logging.Filter):
    """Masks DATABASE_URL (and its password alone) in every log record, whatever library wrote it."""

    def __init__(self, url: str) -> None:
        super().__init__()
        password = urlsplit(url).password if "://" in url else None
        self.secrets = [(url, mask_url(url))] + ([(password, "***")] if password and len(password) >= 3 else [])

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            if self._mask(text) != text:
                record.exc_text, record.exc_info = self._mask(text), None
        return True

    def _mask(self, text: str) -> str:
        for secret, shown in self.secrets:
            text = text.replace(secret, shown)
        return text


def protect_logs(url: str | None) -> None:
    """Mask DATABASE_URL in everything logged from now on."""
    if url:
        for handler in logging.getLogger().handlers:
            handler.addFilter(SecretFilter(url))
