"""The bot's settings: one frozen, validated object built from `config/*.yaml` and the environment."""

from __future__ import annotations

import dataclasses
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from bot.errors import ConfigError
from bot.schema import build

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_DIR / "config"

# Keys holding paths: resolved against the folder of the file (or the project) that sets them.
_PATH_KEYS = (("knowledge", "folder"), ("data_dir",))


@dataclass(frozen=True)
class SiteSettings:
    """Where the blog lives and how links to its articles are made."""

    name: str
    base_url: str
    article_url: str = "{base_url}/blog/{path}/"
    section_links: Literal["text_fragment", "anchor", "none"] = "text_fragment"
    # How people reach the team (a WhatsApp number, a registration page); added to declines of
    # questions only the team can answer (price, schedule, registration ...). Empty: none.
    contact: str = ""


@dataclass(frozen=True)
class KnowledgeSettings:
    """Which files of the articles folder are indexed."""

    folder: Path
    template_keys: tuple[str, ...] = ("blog-post",)
    # Only articles whose frontmatter `lang` is one of these (empty: any); no `lang`: indexed.
    languages: tuple[str, ...] = ()
    extensions: tuple[str, ...] = (".md", ".markdown")
    max_file_kb: int = 1024
    # Seconds between looks for added, edited or removed articles while the bot runs (0: never).
    reload_seconds: float = 10.0
    # Frontmatter key of the phrasings editors teach the bot ({q, section} items, or strings).
    questions_key: str = "questions"


@dataclass(frozen=True)
class RetrievalSettings:
    """Knobs of the retriever and of the answer decision."""

    answer_threshold: float = 0.2
    suggest_threshold: float = 0.25
    close_margin: float = 0.05
    candidates: int = 5
    related_articles: int = 3
    min_coverage: float = 0.5
    max_question_chars: int = 500
    # A section up to this long is shown whole; a longer one shows this much around what answers.
    answer_max_chars: int = 700


@dataclass(frozen=True)
class IntentSettings:
    """A kind of question (definition, steps, price ...) and how an answer to it looks."""

    # Phrases that mark the question as this kind ("apa itu", "gimana cara").
    cues: tuple[str, ...]
    # Heading phrases of sections that answer this kind ("pengertian", "langkah").
    headings: tuple[str, ...] = ()
    # Regular expressions a passage answering it matches (on lower-case text).
    evidence: tuple[str, ...] = ()
    # When true, a passage without evidence is no answer (a price question needs a price).
    required: bool = False
    # Heading phrases of sections that answer the opposite ("kelebihan" for a drawbacks question).
    avoid: tuple[str, ...] = ()
    # When true, declining such a question adds the team's contact line (site.contact).
    contact: bool = False
    # How much a passage with evidence gains when choosing what to show, as a share of the best
    # passage's match (2: evidence decides, as for a creator's name or a figure).
    weight: float = 0.5
    # Title phrases of articles that answer this kind ("pelatihan" for "ada kelas X ga?"): other
    # articles keep only part of their match, as sections keep part of theirs.
    titles: tuple[str, ...] = ()
    # Kinds this one refines: asked together, only this one counts ("mending X atau Y?" wants
    # a verdict, not what X and Y are).
    replaces: tuple[str, ...] = ()


@dataclass(frozen=True)
class FollowUpSettings:
    """Signs that a message leans on the previous answer, or starts a new topic."""

    # Words that open a follow-up ("terus", "kalau").
    connectors: tuple[str, ...] = ()
    # Words that point back ("itu", "dia"); a word ending in one of `suffixes` points back too.
    pointers: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    # Words with such a suffix that are idioms, not references ("maksudnya", "caranya").
    idioms: tuple[str, ...] = ()
    # Words that announce a new topic ("btw").
    switches: tuple[str, ...] = ()


@dataclass(frozen=True)
class LanguageSettings:
    """How questions and articles are normalized before matching."""

    stemmer: Literal["indonesian", "none"] = "indonesian"
    stopwords: tuple[str, ...] = ()
    slang: Mapping[str, str] = field(default_factory=dict)
    synonyms: tuple[tuple[str, ...], ...] = ()
    intents: Mapping[str, IntentSettings] = field(default_factory=dict)
    # Small talk: kind (greeting, thanks ...) -> phrases; replies are in texts.smalltalk.
    smalltalk: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    followup: FollowUpSettings = field(default_factory=FollowUpSettings)
    # Words that ask something ("?" counts too): small talk holding one is a question.
    question_words: tuple[str, ...] = ()
    question_tags: tuple[str, ...] = ()  # question words that ask only at the end of a clause
    # Words that carry no question in small talk ("kak", "boleh nanya").
    chat_fillers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConversationSettings:
    """How long the bot remembers what a chat was about, for follow-up questions."""

    context_minutes: float = 15.0
    # Chats remembered at once; the least recently active are forgotten first.
    max_contexts: int = 10000


@dataclass(frozen=True)
class TelegramSettings:
    """How the bot talks to Telegram."""

    # The Bot API address before the token; TELEGRAM_BASE_URL overrides (e.g. a local emulator).
    base_url: str = "https://api.telegram.org/bot"
    # Webhook mode (for a PaaS) instead of long polling; WEBHOOK_URL and PORT override.
    webhook: bool = False
    webhook_url: str = ""
    listen: str = "0.0.0.0"
    port: int = 8443
    # Per-user flood guard: more than `flood_messages` within `flood_seconds` is ignored.
    flood_messages: int = 8
    flood_seconds: float = 20.0
    # How long a reply that fails on a network error is retried (with growing pauses) before
    # the bot gives up on it: long enough to ride out a short Telegram or network outage.
    send_retry_seconds: float = 60.0
    # Attempts to reach Telegram at start-up (with growing pauses) before giving up.
    startup_retries: int = 5
    # Keep within Telegram's sending limits (off only against a local emulator).
    rate_limit: bool = True
    # Updates handled at the same time (replies to different users overlap their network waits).
    concurrent_updates: int = 8
    # Telegram user ids allowed to use /stats, /unanswered and /reload.
    admin_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LogSettings:
    """The question log (SQLite in the data folder)."""

    enabled: bool = True
    # Entries older than this many days are deleted (Indonesia's UU 27/2022: keep no longer than needed).
    retention_days: int = 180


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class ReportSettings:
    """The team's reports: the HTML page (`report --html`, /laporan) and the weekly digest."""

    # Days and weeks of the reports are those of this IANA time zone.
    timezone: str = "Asia/Jakarta"
    # The weekly digest to telegram.admin_ids: off unless enabled; sent on this day at this hour.
    digest: bool = False
    digest_day: str = "monday"
    digest_hour: int = 8


@dataclass(frozen=True)
class DatabaseSettings:
    """PostgreSQL, used instead of the SQLite file when DATABASE_URL is set."""

    # Connections the bot opens at most (one is the writer's); small plans allow about 20.
    pool_size: int = 5
    # Writes kept in memory while the database is unreachable; beyond this they are dropped (counted).
    buffer: int = 10_000
    # Seconds to wait for a connection before treating the database as unreachable.
    connect_timeout: float = 5.0


@dataclass(frozen=True)
class CommandTexts:
    """What the command menu and /help say about one command."""

    menu: str
    help: str


@dataclass(frozen=True)
class Texts:
    """Every sentence a chat user reads, in Indonesian."""

    welcome: str
    help: str
    ask_prompt: str
    empty_question: str
    question_too_long: str
    unknown_command: str
    no_answer: str
    did_you_mean: str
    answer_source: str
    other_answers: str
    related_articles: str
    no_more_answers: str
    topics_header: str
    topics_search_header: str
    topics_search_articles: str
    topics_empty: str
    topics_none: str
    tag_articles: str
    article_detail_link: str
    stale_button: str
    feedback_thanks: str
    error: str
    button_read_more: str
    button_other_answers: str
    button_back: str
    button_helpful: str
    button_not_helpful: str
    button_previous: str
    button_next: str
    button_open_article: str
    button_all_topics: str
    console_intro: str
    console_choices: str
    console_unknown_choice: str
    flood: str
    ask_placeholder: str
    text_only: str
    inline_ask_in_chat: str
    forget_confirm: str
    forget_done: str
    forget_cancelled: str
    forget_unavailable: str
    forget_pending: str
    store_unavailable: str
    button_forget_yes: str
    button_forget_no: str
    admin_stats: str
    admin_unanswered: str
    admin_unanswered_none: str
    admin_reloaded: str
    admin_reload_unchanged: str
    admin_unavailable: str
    admin_report_caption: str
    admin_digest: str
    admin_digest_group: str
    admin_digest_no_groups: str
    no_answer_contact: str
    not_your_button: str
    article_gone: str
    other_answers_plain: str
    commands: Mapping[str, CommandTexts] = field(default_factory=dict)
    # The labels of the HTML report (PAGE_TEXTS); `period` may use {days}.
    report_page: Mapping[str, str] = field(default_factory=dict)
    # Small-talk replies by kind (the kinds of language.smalltalk); one is picked per message.
    smalltalk: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to run, built once at start-up."""

    site: SiteSettings
    knowledge: KnowledgeSettings
    texts: Texts
    data_dir: Path = Path("data")
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    language: LanguageSettings = field(default_factory=LanguageSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    log: LogSettings = field(default_factory=LogSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    token: str | None = field(default=None, repr=False)
    database_url: str | None = field(default=None, repr=False)
    # Signs button data (BOT_SECRET); when unset, a key derived from the token is used.
    secret: str | None = field(default=None, repr=False)
    log_salt: str | None = field(default=None, repr=False)

    def with_knowledge(self, folder: Path) -> Settings:
        """Return a copy reading articles from `folder`."""
        return dataclasses.replace(self, knowledge=dataclasses.replace(self.knowledge, folder=folder))


def load_settings(
    config_file: Path | None = None,
    knowledge: Path | None = None,
    env: Mapping[str, str] | None = None,
    config_dir: Path = CONFIG_DIR,
) -> Settings:
    """Merge `config_dir/*.yaml`, then `config_file`, then the environment, and validate."""
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    files = sorted(config_dir.glob("*.yaml")) if config_dir.is_dir() else []
    if not files:
        raise ConfigError(f"config: no settings found in {config_dir}")
    for path in files:
        _merge(merged, _read_layer(path, base=config_dir.parent), str(path))
    override = config_file or (Path(env["BOT_CONFIG"]) if env.get("BOT_CONFIG") else None)
    if override is not None:
        _merge(merged, _read_layer(override, base=override.resolve().parent), None)
    if "token" in merged:
        raise ConfigError("config: 'token' is read only from the environment variable TELEGRAM_BOT_TOKEN")
    for key, variable in (("log_salt", "BOT_LOG_SALT"), ("secret", "BOT_SECRET"), ("database_url", "DATABASE_URL")):
        if key in merged:
            raise ConfigError(f"config: '{key}' is read only from the environment variable {variable}")
    if env.get("BOT_DATA_DIR"):
        merged["data_dir"] = str(Path(env["BOT_DATA_DIR"]).resolve())
    if knowledge is not None:
        merged.setdefault("knowledge", {})["folder"] = str(knowledge.resolve())
    _apply_environment(merged, env)
    settings = build(Settings, merged)
    _check(settings)
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip() or None
    salt = env.get("BOT_LOG_SALT", "").strip() or None
    secret = env.get("BOT_SECRET", "").strip() or None
    url = env.get("DATABASE_URL", "").strip() or None
    if url is not None:
        from bot.store.url import check_url

        check_url(url)
    return dataclasses.replace(settings, token=token, log_salt=salt, secret=secret, database_url=url)


def _apply_environment(merged: dict[str, Any], env: Mapping[str, str]) -> None:
    """Settings a PaaS or a test harness passes through the environment."""
    telegram = merged.setdefault("telegram", {})
    if not isinstance(telegram, dict):
        return  # reported by validation
    if env.get("TELEGRAM_BASE_URL"):
        telegram["base_url"] = env["TELEGRAM_BASE_URL"]
    if env.get("WEBHOOK_URL"):
        telegram["webhook_url"] = env["WEBHOOK_URL"]
    if env.get("PORT"):
        try:
            telegram["port"] = int(env["PORT"])
        except ValueError:
            raise ConfigError(f"config: environment variable PORT must be a number, got {env['PORT']!r}") from None


def _read_layer(path: Path, base: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config: file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config: cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"config: {path}{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config: {path} must hold a mapping of settings")
    for keys in _PATH_KEYS:
        _resolve_path(data, keys, base)
    return data


def _resolve_path(data: dict[str, Any], keys: tuple[str, ...], base: Path) -> None:
    parent = data
    for key in keys[:-1]:
        parent = parent.get(key)  # type: ignore[assignment]  # not a dict is reported just below
        if not isinstance(parent, dict):
            return
    value = parent.get(keys[-1])
    if isinstance(value, str) and value.strip():
        parent[keys[-1]] = str((base / value).resolve())


def _merge(into: dict[str, Any], layer: dict[str, Any], exclusive: str | None) -> None:
    """Deep-merge `layer` into `into`; for bundled files (`exclusive`) a key may be set once."""
    for key, value in layer.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value, exclusive)
        elif exclusive is not None and key in into:
            raise ConfigError(f"config: key '{key}' is set twice ({exclusive})")
        else:
            into[key] = value


def _check(settings: Settings) -> None:  # noqa: C901, PLR0912 - one flat check per rule, read top to bottom
    """Validate what types alone cannot: ranges and URL templates."""
    r = settings.retrieval
    for name in ("answer_threshold", "suggest_threshold", "min_coverage", "close_margin"):
        value = getattr(r, name)
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"config: 'retrieval.{name}' must be between 0 and 1, got {value}")
    if r.suggest_threshold < r.answer_threshold:
        raise ConfigError("config: 'retrieval.suggest_threshold' must not be below 'retrieval.answer_threshold'")
    for name in ("candidates", "related_articles", "max_question_chars", "answer_max_chars"):
        if getattr(r, name) < 1:
            raise ConfigError(f"config: 'retrieval.{name}' must be at least 1")
    t = settings.telegram
    if not t.base_url.startswith(("http://", "https://")):
        raise ConfigError("config: 'telegram.base_url' must start with http:// or https://")
    if t.webhook_url and not t.webhook_url.startswith("https://"):
        raise ConfigError("config: 'telegram.webhook_url' must start with https:// (Telegram requires it)")
    if not 0 < t.port < 65536:
        raise ConfigError(f"config: 'telegram.port' must be a TCP port, got {t.port}")
    if t.flood_messages < 1 or t.flood_seconds <= 0 or t.send_retry_seconds < 0 or t.concurrent_updates < 1:
        raise ConfigError(
            "config: 'telegram.flood_messages', 'flood_seconds', "
            "'send_retry_seconds' and 'concurrent_updates' must be positive"
        )
    if settings.log.retention_days < 1:
        raise ConfigError("config: 'log.retention_days' must be at least 1")
    d = settings.database
    if d.pool_size < 2 or d.buffer < 1 or d.connect_timeout <= 0:
        raise ConfigError(
            "config: 'database.pool_size' must be at least 2, 'database.buffer' and 'database.connect_timeout' positive"
        )
    _check_report(settings.report)
    if settings.knowledge.reload_seconds < 0:
        raise ConfigError("config: 'knowledge.reload_seconds' must not be negative")
    if settings.knowledge.max_file_kb < 1:
        raise ConfigError("config: 'knowledge.max_file_kb' must be at least 1")
    if not settings.site.base_url.startswith(("http://", "https://")):
        raise ConfigError("config: 'site.base_url' must start with http:// or https://")
    try:
        settings.site.article_url.format(base_url="", path="x")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"config: 'site.article_url' may use only {{base_url}} and {{path}} ({exc})") from None
    _check_texts(settings.texts)
    if settings.conversation.context_minutes < 0 or settings.conversation.max_contexts < 1:
        raise ConfigError(
            "config: 'conversation.context_minutes' must not be negative "
            "and 'conversation.max_contexts' must be at least 1"
        )
    from bot.commands import public

    untold = [c.name for c in public() if c.name not in settings.texts.commands]
    if untold:
        raise ConfigError(
            f"config: 'texts.commands.{untold[0]}' is missing: every command needs its menu and help line"
        )
    missing = [k for k in settings.language.smalltalk if not settings.texts.smalltalk.get(k)]
    if missing:
        raise ConfigError(
            f"config: 'texts.smalltalk.{missing[0]}' is missing: every kind of language.smalltalk needs replies"
        )
    phrase = next((w for w in settings.language.stopwords if len(w.split()) != 1), None)
    if phrase is not None:
        raise ConfigError(f"config: 'language.stopwords' holds {phrase!r}: a stopword is one word")
    for name, intent in settings.language.intents.items():
        unknown = [r for r in intent.replaces if r not in settings.language.intents]
        if unknown:
            raise ConfigError(f"config: 'language.intents.{name}.replaces' names no kind {unknown[0]!r}")
        for pattern in intent.evidence:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ConfigError(
                    f"config: 'language.intents.{name}.evidence' has a broken pattern {pattern!r} ({exc})"
                ) from None


def _check_report(report: ReportSettings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(report.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"config: 'report.timezone' must be an IANA time zone such as Asia/Jakarta, got {report.timezone!r}"
        ) from None
    if report.digest_day not in WEEKDAYS:
        raise ConfigError(
            f"config: 'report.digest_day' must be one of {', '.join(WEEKDAYS)}, got {report.digest_day!r}"
        )
    if not 0 <= report.digest_hour <= 23:
        raise ConfigError(f"config: 'report.digest_hour' must be an hour from 0 to 23, got {report.digest_hour}")


# The labels the HTML report needs (texts.report_page).
PAGE_TEXTS = (
    "title",
    "period",
    "all_time",
    "generated",
    "questions",
    "users",
    "answered",
    "suggested",
    "unanswered",
    "unknown",
    "share",
    "helpful",
    "not_helpful",
    "per_day",
    "share_over_time",
    "most_asked",
    "unanswered_groups",
    "closest",
    "none",
    "answered_now",
    "not_yet",
    "votes",
    "figures",
    "day",
    "count",
    "question",
    "examples",
    "article",
    "empty",
)

# Placeholders each text may use; any other placeholder is a typo that would crash a reply.
_TEXT_FIELDS = {
    "welcome": {"site"},
    "help": {"site", "commands"},
    "answer_source": {"title"},
    "other_answers": {"question"},
    "topics_search_header": {"word"},
    "topics_search_articles": {"word"},
    "topics_empty": {"word"},
    "tag_articles": {"tag", "count"},
    "question_too_long": {"limit"},
    "forget_done": {"count"},
    "forget_pending": {"count"},
    "admin_stats": {"days", "questions", "users", "answered", "share", "helpful", "not_helpful"},
    "admin_unanswered": {"days"},
    "admin_reloaded": {"count"},
    "admin_report_caption": {"days"},
    "admin_digest": {
        "start",
        "end",
        "questions",
        "users",
        "answered",
        "share",
        "suggested",
        "unanswered",
        "helpful",
        "not_helpful",
        "groups",
    },
    "admin_digest_group": {"count", "examples", "closest"},
    "no_answer_contact": {"contact"},
}


def _check_texts(texts: Texts) -> None:
    for f in dataclasses.fields(texts):
        value = getattr(texts, f.name)
        if isinstance(value, str):
            _check_text(f.name, value, _TEXT_FIELDS.get(f.name, set()))
    for name, command in texts.commands.items():
        _check_text(f"commands.{name}.menu", command.menu, set())
        _check_text(f"commands.{name}.help", command.help, set())
    for key in PAGE_TEXTS:
        if key not in texts.report_page:
            raise ConfigError(f"config: 'texts.report_page.{key}' is missing: the HTML report needs every label")
        _check_text(f"report_page.{key}", texts.report_page[key], {"days"} if key == "period" else set())
    for kind, variants in texts.smalltalk.items():
        for i, variant in enumerate(variants):
            _check_text(f"smalltalk.{kind}[{i}]", variant, set())


def _check_text(where: str, value: str, allowed: set[str]) -> None:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ConfigError(f"config: 'texts.{where}' has a broken placeholder ({exc})") from None
    unknown = names - allowed
    if unknown:
        raise ConfigError(
            f"config: 'texts.{where}' uses unknown placeholder {{{sorted(unknown)[0]}}}"
            + (f"; allowed: {', '.join('{' + a + '}' for a in sorted(allowed))}" if allowed else "")
        )
