"""What the Telegram handlers share, typed: the bot's state in python-telegram-bot's `bot_data`."""

from __future__ import annotations

import asyncio
from typing import Any, TypeAlias

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.dialog import Dialog
from bot.flood import FloodGuard
from bot.repeats import RecentIds
from bot.settings import Settings
from bot.source import Reloader


class BotState:
    """The bot's shared state; python-telegram-bot makes it without arguments, build_application fills it in."""

    settings: Settings
    dialog: Dialog
    flood: FloodGuard

    def __init__(self) -> None:
        self.reloader: Reloader | None = None  # re-indexes changed articles (with an article folder)
        self.recent_updates = RecentIds()
        self.stopping = asyncio.Event()  # set when SIGTERM arrives
        self.stop_by: float | None = None  # after SIGTERM: when retried replies are given up
        self.tasks: list[asyncio.Task[None]] = []  # long-running background work while the bot runs


ADict: TypeAlias = dict[Any, Any]
Context: TypeAlias = CallbackContext[ExtBot[None], ADict, ADict, BotState]
App: TypeAlias = Application[ExtBot[None], Context, ADict, ADict, BotState, JobQueue[Context]]
CONTEXT_TYPES = ContextTypes(bot_data=BotState)
