"""The Telegram adapter: python-telegram-bot handlers that render the dialog's replies."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    JobQueue,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import digest
from bot.commands import COMMANDS, public
from bot.context import chat_key
from bot.dialog import Dialog
from bot.errors import BotError
from bot.flood import FloodGuard, Verdict
from bot.knowledge import KnowledgeBase
from bot.replies import Reply, notice
from bot.settings import Settings
from bot.source import ArticleFolder, Reloader
from bot.store import QueuedStore, Store, StoreUnavailable, open_store
from bot.store.url import protect_logs as protect_database_url
from bot.telegram_html import render
from bot.telegram_state import CONTEXT_TYPES, App, Context
from bot.webhook import Serving, start_server

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{30,}$")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# After SIGTERM, replies still being retried get this long before they are given up: with a
# request's own timeout on top, the process exits within the 10 s platforms wait.
STOP_GRACE_SECONDS = 4.0
T = TypeVar("T")


def check_token(token: str | None) -> str:
    """The token, or a one-line error that never shows it."""
    if not token:
        raise BotError("TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather and export its token")
    if not _TOKEN.match(token):
        raise BotError("TELEGRAM_BOT_TOKEN is malformed: expected digits, a colon and the secret from @BotFather")
    return token


def webhook_secret(token: str) -> str:
    """A secret Telegram sends back with every webhook call, derived so it survives restarts."""
    return hashlib.sha256(f"webhook-secret:{token}".encode()).hexdigest()[:48]


def webhook_path(token: str) -> str:
    """The webhook's URL path: unguessable, but not the token itself (it would reach access logs)."""
    return "telegram/" + hashlib.sha256(f"webhook-path:{token}".encode()).hexdigest()[:24]


class TokenFilter(logging.Filter):
    """Masks the bot token in every log record, whatever library wrote it."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.token in message:
            record.msg = message.replace(self.token, "<token>")
            record.args = None
        if record.exc_info and record.exc_info[1] is not None and self.token in str(record.exc_info[1]):
            record.exc_text = logging.Formatter().formatException(record.exc_info).replace(self.token, "<token>")
            record.exc_info = None
        return True


def protect_logs(token: str) -> None:
    """Keep the token out of logs: httpx logs request URLs (which hold it) at INFO.

    Only with -vv (the root logger at DEBUG) do httpx's lines pass, with the token masked.
    """
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("httpcore").setLevel(logging.WARNING)
    token_filter = TokenFilter(token)
    for handler in logging.getLogger().handlers:
        handler.addFilter(token_filter)


def build_application(
    settings: Settings,
    knowledge: KnowledgeBase,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    store: Store | None = None,
    folder: ArticleFolder | None = None,
) -> App:
    """The bot's Application with every handler; `request` replaces the HTTP layer (tests).

    With `store`, questions and votes are logged; with `folder`, the articles are re-indexed in
    the background when they change.
    """
    token = check_token(settings.token)
    jobs: JobQueue[Context] = JobQueue()
    builder = (
        Application.builder()
        .application_class(BotApplication)
        .context_types(CONTEXT_TYPES)
        .job_queue(jobs)
        .token(token)
        .base_url(settings.telegram.base_url)
        .concurrent_updates(settings.telegram.concurrent_updates)
        .post_init(_post_init)
    )
    if settings.telegram.rate_limit:
        limiter = AIORateLimiter(max_retries=3)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # the default builder is typed for a limiter without per-call arguments
    if request is not None:
        builder = builder.request(request).get_updates_request(updates_request or request)
    app = builder.build()
    state = app.bot_data
    state.settings = settings
    state.dialog = dialog = Dialog(settings, knowledge, store=store)
    if folder is not None:
        state.reloader = Reloader(
            folder, lambda kb: setattr(dialog, "knowledge", kb), settings.knowledge.reload_seconds
        )
    state.flood = FloodGuard(settings.telegram.flood_messages, settings.telegram.flood_seconds)
    _add_handlers(app)
    return app


class BotApplication(App):
    """The Application, running the bot's background work (article reloads, daily pruning) while it runs."""

    async def start(self) -> None:
        """Start taking updates, then the background work."""
        await super().start()
        # Made with create_task while running, so stop() awaits them and their errors reach _on_error.
        state = self.bot_data
        if state.reloader is not None and state.reloader.seconds > 0:
            state.tasks.append(self.create_task(state.reloader.run(), name="reload-articles"))
        if state.dialog.store is not None:
            state.tasks.append(self.create_task(_prune_daily(state.dialog.store), name="prune-daily"))

    async def stop(self) -> None:
        """Cancel the background work, then stop as python-telegram-bot does (awaiting it too)."""
        for task in self.bot_data.tasks:
            task.cancel()
        await super().stop()


def _add_handlers(app: App) -> None:
    new = filters.UpdateType.MESSAGE
    private = filters.ChatType.PRIVATE
    app.add_handler(TypeHandler(Update, _drop_repeats), group=-2)
    app.add_handler(TypeHandler(Update, _flood_check), group=-1)
    handlers = {
        "start": _start,
        "help": _help,
        "tanya": _tanya,
        "topik": _topik,
        "hapusdata": _hapusdata,
        "stats": _stats,
        "unanswered": _unanswered,
        "reload": _reload,
        "laporan": _laporan,
    }
    for command in COMMANDS:
        app.add_handler(
            CommandHandler(command.name, handlers[command.name], filters=new if command.groups else new & private)
        )
    app.add_handler(MessageHandler(new & private & filters.COMMAND, _unknown_command))
    app.add_handler(MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, _question))
    app.add_handler(MessageHandler(new & private & filters.CAPTION & ~filters.TEXT, _caption))
    app.add_handler(
        MessageHandler(new & private & ~filters.TEXT & ~filters.CAPTION & ~filters.StatusUpdate.ALL, _not_text)
    )
    app.add_handler(
        MessageHandler(new & filters.ChatType.GROUPS & filters.REPLY & filters.TEXT & ~filters.COMMAND, _group_reply)
    )
    app.add_handler(CallbackQueryHandler(_button))
    app.add_handler(InlineQueryHandler(_inline))
    app.add_error_handler(_on_error)


async def _post_init(app: App) -> None:
    """Announce the commands in Telegram's menu; a failure here must not stop the bot."""
    texts = app.bot_data.settings.texts
    commands = [BotCommand(c.name, texts.commands[c.name].menu) for c in public() if c.menu]
    try:
        await app.bot.set_my_commands(commands)
    except TelegramError as exc:
        log.warning("could not set the command menu: %s", exc)
    digest.schedule(app)


async def _prune_daily(store: Store) -> None:
    """Apply the retention period once a day (it is applied at start-up too), in one process only."""
    while True:
        await asyncio.sleep(86400)
        await asyncio.to_thread(prune_once, store, time.time())


def prune_once(store: Store, now: float) -> bool:
    """Prune if no process has yet this (UTC) day: the day is claimed in the store."""
    day = time.strftime("%Y-%m-%d", time.gmtime(now))
    try:
        if not store.claim("prune", day):
            return False
    except StoreUnavailable:
        log.warning("retention pruning skipped: the store is unreachable")
        return False
    store.prune()
    return True


# Handlers -------------------------------------------------------------------------------------


async def _drop_repeats(update: Update, context: Context) -> None:
    """Telegram may deliver an update again (a retried webhook call): handle each id once."""
    if not context.bot_data.recent_updates.first_time(update.update_id):
        log.info("update %d was delivered again; ignored", update.update_id)
        raise ApplicationHandlerStop
    log.debug("update %d received", update.update_id)


async def _flood_check(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None or update.inline_query is not None:
        return
    verdict = context.bot_data.flood.check(user.id)
    if verdict is Verdict.ALLOW:
        return
    log.info("flood guard: %s update from a user ignored", verdict.value)
    if update.callback_query is not None:
        await update.callback_query.answer()
    elif verdict is Verdict.WARN and update.effective_chat is not None:
        await _send(update, context, context.bot_data.dialog.flood_warning())
    raise ApplicationHandlerStop


async def _start(update: Update, context: Context) -> None:
    user, chat = _who(update)
    # A deep link may ask a question: the chat's topic may be read from the store, so in a thread.
    start = context.bot_data.dialog.start
    await _send(update, context, await asyncio.to_thread(start, " ".join(context.args or []), user, chat))


async def _help(update: Update, context: Context) -> None:
    await _send(update, context, context.bot_data.dialog.help())


async def _tanya(update: Update, context: Context) -> None:
    question = " ".join(context.args or [])
    dialog = context.bot_data.dialog
    await _send(update, context, await _ask(update, context, question) if question.strip() else dialog.ask_prompt())


async def _topik(update: Update, context: Context) -> None:
    await _send(update, context, context.bot_data.dialog.topics(" ".join(context.args or []), user=_who(update)[0]))


async def _hapusdata(update: Update, context: Context) -> None:
    await _send(update, context, context.bot_data.dialog.forget(_who(update)[0]))


def _is_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return user is not None and user.id in context.bot_data.settings.telegram.admin_ids


async def _stats(update: Update, context: Context) -> None:
    dialog = context.bot_data.dialog
    # Storage reads run in a thread: the event loop keeps serving other users meanwhile.
    await _send(update, context, await asyncio.to_thread(dialog.stats) if _is_admin(update, context) else dialog.help())


async def _unanswered(update: Update, context: Context) -> None:
    dialog = context.bot_data.dialog
    await _send(
        update, context, await asyncio.to_thread(dialog.unanswered) if _is_admin(update, context) else dialog.help()
    )


async def _laporan(update: Update, context: Context, days: int = 30) -> None:
    """The HTML report of the last 30 days, sent to an admin as a file."""
    from bot.report_page import file_name, page

    dialog, chat, settings = context.bot_data.dialog, update.effective_chat, context.bot_data.settings
    if not _is_admin(update, context) or chat is None:
        await _send(update, context, dialog.help())
        return
    if dialog.store is None:
        await _send(update, context, notice(dialog.texts.admin_unavailable, kind="admin"))
        return
    now = time.time()
    try:
        # In a thread, the unanswered questions grouped in another process: other users go on.
        html = await asyncio.to_thread(page, dialog.store, settings, days, now, True, dialog.answerer)
    except StoreUnavailable:
        await _send(update, context, notice(dialog.texts.store_unavailable, kind="admin"))
        return
    name = file_name(settings, now)
    caption = dialog.texts.admin_report_caption.format(days=days)
    await _retry(lambda: context.bot.send_document(chat.id, html.encode(), filename=name, caption=caption), context)


async def _reload(update: Update, context: Context) -> None:
    dialog = context.bot_data.dialog
    if not _is_admin(update, context):
        await _send(update, context, dialog.help())
        return
    reloader = context.bot_data.reloader
    changed = await reloader.check() if reloader is not None else None
    await _send(update, context, dialog.reloaded(changed))


async def _unknown_command(update: Update, context: Context) -> None:
    await _send(update, context, context.bot_data.dialog.unknown_command())


async def _question(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is not None and message.text:
        await _send(update, context, await _ask(update, context, message.text))


async def _caption(update: Update, context: Context) -> None:
    """A photo or file with a caption in a private chat: the caption is the question."""
    message = update.effective_message
    if message is not None and message.caption:
        await _send(update, context, await _ask(update, context, message.caption))


async def _not_text(update: Update, context: Context) -> None:
    """A sticker, voice note or photo without caption: say that the bot reads text."""
    await _send(update, context, context.bot_data.dialog.text_only())


async def _group_reply(update: Update, context: Context) -> None:
    """In groups (privacy mode) a reply to one of the bot's own messages is a question."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if message and message.text and replied and replied.from_user and replied.from_user.id == context.bot.id:
        await _send(update, context, await _ask(update, context, message.text))


async def _ask(update: Update, context: Context, question: str) -> Reply:
    """The dialog's reply in this chat's conversation; a reply to an answer asks about that answer.

    It runs in a thread: the chat's topic and the state behind buttons may be read from the store.
    """
    user, chat_type = _who(update)
    chat = update.effective_chat
    key = chat_key(user, str(chat.id) if chat else None, chat_type == "private")
    replied = _replied_action(update, context)
    return await asyncio.to_thread(context.bot_data.dialog.ask, question, user, chat_type, key, replied)


def _replied_action(update: Update, context: Context) -> str | None:
    """The first button's data of the bot's message this message replies to, if any."""
    message = update.effective_message
    replied = message.reply_to_message if message else None
    if replied is None or replied.from_user is None or replied.from_user.id != context.bot.id:
        return None
    markup = replied.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if isinstance(button.callback_data, str):
                return button.callback_data
    return None


async def _button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    # A press may wait for the store (/hapusdata): off the event loop.
    reply = await asyncio.to_thread(
        context.bot_data.dialog.press, query.data if isinstance(query.data, str) else "", _who(update)[0]
    )
    await _retry(lambda: query.answer(reply.toast), context)
    if not reply.blocks:
        return
    message = query.message
    # Only an inline keyboard can go with an edit: a reply asking for an answer is a new message.
    if reply.edit and not reply.ask_reply and isinstance(message, Message):
        text, markup = render(reply.blocks, reply.footer), _keyboard(reply)
        try:
            await _retry(
                lambda: message.edit_text(
                    text, parse_mode=ParseMode.HTML, reply_markup=markup, link_preview_options=_NO_PREVIEW
                ),
                context,
            )
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("could not edit a message (%s); sending a new one", exc)
    await _send(update, context, reply)


async def _inline(update: Update, context: Context) -> None:
    query = update.inline_query
    if query is None:
        return
    dialog = context.bot_data.dialog
    results = []
    for item in dialog.inline(query.query):
        text, _ = _render(item.reply)
        button = InlineKeyboardMarkup([[InlineKeyboardButton(dialog.texts.button_read_more, url=item.url)]])
        results.append(
            InlineQueryResultArticle(
                id=item.key,
                title=item.title,
                description=item.description,
                url=item.url,
                input_message_content=InputTextMessageContent(
                    text, parse_mode=ParseMode.HTML, link_preview_options=_NO_PREVIEW
                ),
                reply_markup=button,
            )
        )
    await query.answer(results, cache_time=60)


async def _on_error(update: object, context: Context) -> None:
    """The one error boundary: log with the traceback, tell the user politely when possible."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):
            await update.callback_query.answer()
    try:
        await _send(update, context, context.bot_data.dialog.error())
    except TelegramError as exc:
        log.warning("could not send the error notice: %s", exc)


# Sending -------------------------------------------------------------------------------------


async def _send(update: Update, context: Context, reply: Reply) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    text, markup = _render(reply)
    quote = update.effective_message if chat.type != "private" and update.callback_query is None else None
    await _retry(
        lambda: context.bot.send_message(
            chat.id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=_NO_PREVIEW,
            reply_to_message_id=quote.message_id if quote else None,
        ),
        context,
    )


def _render(reply: Reply) -> tuple[str, InlineKeyboardMarkup | ForceReply | None]:
    text = render(reply.blocks, reply.footer)
    if reply.ask_reply:
        return text, ForceReply(selective=True)
    return text, _keyboard(reply)


def _keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (None without buttons)."""
    if not reply.buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(b.label, url=b.url) if b.url else InlineKeyboardButton(b.label, callback_data=b.action)
            for b in row
        ]
        for row in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


async def _retry(call: Callable[[], Awaitable[T]], context: Context) -> T:
    """Run a Bot API call, retrying network failures with growing pauses for a while."""
    budget = context.bot_data.settings.telegram.send_retry_seconds
    deadline = time.monotonic() + budget
    pause = 0.5
    attempt = 1
    while True:
        try:
            return await call()
        except (BadRequest, Forbidden, RetryAfter):
            raise  # not transient, or already retried by the rate limiter
        except NetworkError as exc:  # includes TimedOut
            stop_by = context.bot_data.stop_by
            if time.monotonic() + pause > min(deadline, deadline if stop_by is None else stop_by):
                raise
            log.warning("Telegram call failed (%s), retry %d in %.1f s", exc, attempt, pause)
            await _pause(pause, context.bot_data.stopping)
            pause = min(pause * 2, 10.0)
            attempt += 1


async def _pause(seconds: float, stopping: asyncio.Event) -> None:
    """Sleep, but wake when the bot begins to stop, so the retry is weighed against the grace period."""
    if stopping.is_set():
        await asyncio.sleep(seconds)
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


def _begin_stop(app: App) -> None:
    """SIGTERM: replies still being retried get STOP_GRACE_SECONDS more, then fail."""
    state = app.bot_data
    if state.stop_by is None:
        log.info("SIGTERM: taking no more updates, finishing the ones in flight")
        state.stop_by = time.monotonic() + STOP_GRACE_SECONDS
        state.stopping.set()


# Helpers -------------------------------------------------------------------------------------


def _who(update: Update) -> tuple[str | None, str | None]:
    """The asking user's id (hashed before it is logged) and the chat type."""
    user, chat = update.effective_user, update.effective_chat
    return (str(user.id) if user else None, chat.type if chat else None)


def run(settings: Settings, webhook: bool = False) -> None:
    """Serve Telegram until SIGTERM or Ctrl+C (long polling or webhook), then flush the log."""
    token = check_token(settings.token)
    protect_logs(token)
    protect_database_url(settings.database_url)
    t = settings.telegram
    if (webhook or t.webhook) and not t.webhook_url:
        raise BotError("webhook mode needs the bot's public https address: set WEBHOOK_URL or telegram.webhook_url")
    # Opening never fails for an unreachable store: it warns once and retries in the background.
    questions: QueuedStore | None = open_store(settings) if settings.log.enabled else None
    try:
        if webhook or t.webhook:
            asyncio.run(_serve_webhook(settings, token, questions))
        else:
            _poll(settings, questions)
    except InvalidToken:
        raise BotError("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather") from None
    except TelegramError as exc:
        raise BotError(
            f"cannot start talking to Telegram at {t.base_url}: {str(exc).replace(token, '<token>')}"
        ) from None
    finally:
        if questions is not None:
            questions.close()
            log.info("question log flushed and closed")


def _poll(settings: Settings, questions: Store | None) -> None:
    """Long polling; python-telegram-bot stops fetching on SIGTERM and handles what it fetched."""
    folder = ArticleFolder(settings)
    knowledge = folder.load()
    log.info("loaded %d articles from %s", len(knowledge.articles), folder.folder)
    app = build_application(settings, knowledge, store=questions, folder=folder)
    setup = app.post_init

    async def post_init(app: App) -> None:
        if setup is not None:
            await setup(app)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, _stop_polling, app)

    app.post_init = post_init
    log.info("polling Telegram for updates")
    app.run_polling(allowed_updates=Update.ALL_TYPES, bootstrap_retries=settings.telegram.startup_retries)
    log.info("stopped polling; every update taken was handled")


def _stop_polling(app: App) -> None:
    _begin_stop(app)
    app.stop_running()


async def _serve_webhook(settings: Settings, token: str, questions: Store | None) -> None:
    """Bind the port first (/healthz says 503), load the articles, then take updates until SIGTERM."""
    t = settings.telegram
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    serving = Serving()
    try:
        server = start_server(serving, webhook_path(token), webhook_secret(token), t.listen, t.port)
    except OSError as exc:
        raise BotError(f"cannot listen on {t.listen}:{t.port}: {exc.strerror or exc}") from None
    log.info("serving the webhook on %s:%d; loading the articles", t.listen, t.port)
    try:
        folder = ArticleFolder(settings)
        knowledge = await _unless_stopped(_in_thread(folder.load), stopping)
        if knowledge is None:
            return
        log.info("loaded %d articles from %s", len(knowledge.articles), folder.folder)
        app = build_application(settings, knowledge, store=questions, folder=folder)
        await _bootstrap(
            app, f"{t.webhook_url.rstrip('/')}/{webhook_path(token)}", webhook_secret(token), t.startup_retries
        )
        try:
            await app.start()
            serving.app, serving.articles, serving.accepting = app, len(knowledge.articles), True
            await stopping.wait()
            _begin_stop(app)
            serving.accepting, serving.stopping = False, True
            server.stop()
            await app.stop()
        finally:
            await app.shutdown()
    finally:
        server.stop()
        await server.close_all_connections()


async def _bootstrap(app: App, url: str, secret: str, retries: int) -> None:
    """Initialize the Application and register the webhook, retrying network errors."""
    pause = 1.0
    for attempt in range(retries + 1):
        try:
            await app.initialize()
            await app.bot.set_webhook(url, secret_token=secret, allowed_updates=Update.ALL_TYPES)
            break
        except NetworkError as exc:
            if attempt == retries:
                raise
            log.warning("cannot reach Telegram (%s), retry %d in %.0f s", exc, attempt + 1, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)
    await _post_init(app)


def _in_thread(work: Callable[[], T]) -> asyncio.Future[T]:
    """Run `work` in a daemon thread, so a SIGTERM during a long load need not wait for it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]  # no error means the call returned a T

    def target() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed: the bot stopped meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=target, name="load-articles", daemon=True).start()
    return future


async def _unless_stopped(work: asyncio.Future[T], stopping: asyncio.Event) -> T | None:
    """The result of `work`, or None when `stopping` is set first."""
    stop: asyncio.Future[Any] = asyncio.ensure_future(stopping.wait())
    done, _ = await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
    stop.cancel()
    if work in done:
        return work.result()
    log.info("SIGTERM while loading the articles: exiting")
    return None
