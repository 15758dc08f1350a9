"""The weekly digest to the admins: the week's totals and the top unanswered topics, sent once.

python-telegram-bot's job queue runs it in every process of the bot; the week is claimed in the
store, so exactly one process sends it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from telegram.error import TelegramError

from bot.report_page import collect
from bot.settings import WEEKDAYS, Settings
from bot.store.base import Store, StoreUnavailable
from bot.store.reports import group_isolated, group_unanswered
from bot.telegram_state import App, Context

log = logging.getLogger(__name__)

WEEK = 7 * 86400
TOP_GROUPS = 5


def week_label(now: float, timezone: str) -> str:
    """The ISO week of `now` in the report's time zone, e.g. 2026-W48: what a digest is claimed under."""
    year, week, _ = dt.datetime.fromtimestamp(now, ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def digest_text(
    store: Store, settings: Settings, now: float, group: Callable[..., list[Any]] = group_unanswered
) -> str:
    """The digest of the seven days up to `now` (personal data masked)."""
    zone = ZoneInfo(settings.report.timezone)
    data = collect(store.logged(now - WEEK), zone, settings.language, group)
    texts = settings.texts
    answered = data.total("answered")
    lines = [
        texts.admin_digest_group.format(count=g.count, examples=" | ".join(g.examples[:2]), closest=g.closest or "-")
        for g in data.unanswered[:TOP_GROUPS]
    ]

    def day(when: float) -> str:
        return dt.datetime.fromtimestamp(when, zone).date().isoformat()

    return texts.admin_digest.format(
        start=day(now - WEEK + 1),
        end=day(now),
        questions=data.questions,
        users=data.users,
        answered=answered,
        share=f"{answered / data.questions:.0%}" if data.questions else "-",
        suggested=data.total("suggested"),
        unanswered=data.total("unanswered") + data.total("unknown"),
        helpful=sum(v.helpful for v in data.votes),
        not_helpful=sum(v.not_helpful for v in data.votes),
        groups="\n".join(lines) or texts.admin_digest_no_groups,
    )


def claimed_digest(store: Store, settings: Settings, now: float) -> str | None:
    """The digest if this process is the first to claim this week's, else None (blocking: run in a thread)."""
    try:
        if not store.claim("digest", week_label(now, settings.report.timezone)):
            return None
        return digest_text(store, settings, now, group_isolated)
    except StoreUnavailable:
        log.warning("weekly digest skipped: the store is unreachable")
        return None


async def send_digest(context: Context) -> None:
    """The job: claim this week's digest and, if this process got it, send it to every admin."""
    settings, store = context.bot_data.settings, context.bot_data.dialog.store
    if store is None:
        return
    now = dt.datetime.now(dt.UTC).timestamp()
    text = await asyncio.to_thread(claimed_digest, store, settings, now)
    if text is None:
        return
    for admin in settings.telegram.admin_ids:
        try:
            await context.bot.send_message(admin, text)
        except TelegramError as exc:
            log.warning("could not send the weekly digest to an admin: %s", exc)
    log.info("weekly digest sent to %d admins", len(settings.telegram.admin_ids))


def schedule(app: App) -> bool:
    """Run the digest weekly when report.digest is on, admins are set and questions are logged."""
    settings = app.bot_data.settings
    report = settings.report
    if not report.digest or not settings.telegram.admin_ids or app.bot_data.dialog.store is None:
        return False
    if app.job_queue is None:
        log.warning("weekly digest not scheduled: python-telegram-bot was installed without its job-queue extra")
        return False
    # The job queue counts days from Sunday (0) to Saturday (6).
    day = (WEEKDAYS.index(report.digest_day) + 1) % 7
    at = dt.time(report.digest_hour, tzinfo=ZoneInfo(report.timezone))
    app.job_queue.run_daily(send_digest, at, days=(day,), name="weekly-digest")
    return True
