"""A Q&A bot over a blog's Markdown articles: a pure core with Telegram, console and CLI adapters."""

from __future__ import annotations

__version__ = "0.1.0"
