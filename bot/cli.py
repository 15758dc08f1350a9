"""Command line: `python -m bot chat | ask | eval | check | run`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot import __version__
from bot.errors import BotError
from bot.settings import Settings, load_settings

if TYPE_CHECKING:  # imported when a command runs, so --help stays fast
    from bot.articles import Article
    from bot.evaluation import Outcome
    from bot.knowledge import KnowledgeBase

log = logging.getLogger("bot")


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; errors print one line and give a non-zero exit code."""
    args = _parser().parse_args(argv)
    _setup_logging(args.verbose, quiet=args.command in ("ask", "eval"))
    try:
        settings = load_settings(args.config, args.knowledge)
        return int(args.func(args, settings) or 0)
    except BotError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Q&A bot over a blog's Markdown articles.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, metavar="FILE", help="extra settings file merged over config/*.yaml")
    common.add_argument("--knowledge", type=Path, metavar="DIR", help="articles folder (default: from settings)")
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="-v: the bot's own detail; -vv: also the libraries' debug output (holds personal data)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("chat", parents=[common], help="chat with the bot in this terminal")
    p.set_defaults(func=_chat)

    p = sub.add_parser(
        "ask", parents=[common], help="answer a question (the arguments), or questions on stdin one a line"
    )
    p.add_argument("words", nargs="*", metavar="WORD", help="the question (all arguments are one question)")
    p.add_argument("--json", action="store_true", help="one JSON object a line (the evaluation contract)")
    p.add_argument(
        "--conversation",
        action="store_true",
        help="stdin lines are one user's conversation (follow-ups understood); a blank line starts a new one",
    )
    p.set_defaults(func=_ask)

    p = sub.add_parser("eval", parents=[common], help="measure answer quality on a question file")
    p.add_argument("questions", type=Path, metavar="QUESTIONS.yaml")
    p.add_argument(
        "--corpus", action="append", default=[], metavar="NAME=DIR", help="a folder for questions of corpus NAME"
    )
    p.add_argument("--misses", type=int, default=50, metavar="N", help="list at most N misses (default 50)")
    p.set_defaults(func=_eval)

    p = sub.add_parser("check", parents=[common], help="load the articles and report what was found")
    p.set_defaults(func=_check)

    p = sub.add_parser(
        "report", parents=[common], help="what people asked, what went unanswered, how answers were rated"
    )
    p.add_argument("--since", type=float, metavar="DAYS", help="only the last DAYS days (default: everything)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="also write every logged question of the period to FILE")
    p.add_argument(
        "--html", type=Path, metavar="FILE", help="also write the report as one self-contained HTML page with charts"
    )
    p.set_defaults(func=_report)

    p = sub.add_parser(
        "migrate-log", parents=[common], help="copy the SQLite question log, salt included, to DATABASE_URL"
    )
    p.set_defaults(func=_migrate_log)

    p = sub.add_parser("run", parents=[common], help="run the Telegram bot (long polling, or --webhook)")
    p.add_argument("--webhook", action="store_true", help="serve a webhook on $PORT instead of long polling")
    p.set_defaults(func=_run)
    return parser


def _setup_logging(verbosity: int, quiet: bool) -> None:
    """-v: debug lines of the bot's own loggers; -vv: every library's too (whole updates)."""
    level = logging.DEBUG if verbosity >= 2 else logging.WARNING if quiet and not verbosity else logging.INFO
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if verbosity == 1:
        log.setLevel(logging.DEBUG)
    elif verbosity >= 2:
        logging.getLogger("markdown_it").setLevel(logging.INFO)  # one line per parser rule: noise
        log.warning(
            "-vv: library debug output is on; it holds whole Telegram "
            "updates, so personal data will be written to this log"
        )


def _knowledge(settings: Settings, folder: Path | None = None) -> KnowledgeBase:
    from bot.source import ArticleFolder

    return ArticleFolder(settings, folder).load()


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import chat
    from bot.dialog import Dialog

    dialog = Dialog(settings, _knowledge(settings))
    interactive = sys.stdin.isatty()
    chat(dialog, _input_lines() if interactive else sys.stdin, sys.stdout, prompt="> " if interactive else "")
    return 0


def _input_lines() -> Iterator[str]:
    while True:
        try:
            yield input()
        except EOFError:
            return


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console import render
    from bot.dialog import Dialog

    dialog = Dialog(settings, _knowledge(settings))
    lines = [" ".join(args.words)] if args.words else (line.rstrip("\n") for line in sys.stdin)
    conversation = 0
    for n, question in enumerate(lines):
        if not question.strip():
            conversation += 1  # with --conversation, a blank line starts a new user's conversation
            continue
        chat = f"ask:{conversation}" if args.conversation else f"ask:line{n}"
        turn = dialog.turn(question, chat=chat)
        if args.json:
            print(json.dumps(dialog.record(question, turn), ensure_ascii=False), flush=True)
        else:
            print(render(turn.reply, settings.texts.console_choices, actions=False)[0] + "\n", flush=True)
    return 0


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from bot.dialog import Dialog
    from bot.evaluation import (
        asker,
        evaluate,
        evaluate_conversations,
        is_conversation_file,
        load_conversations,
        load_questions,
    )

    folders: dict[str | None, Path] = {}
    for item in args.corpus:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            raise BotError(f"--corpus takes NAME=DIR, got '{item}'")
        folders[name] = Path(folder)
    if args.knowledge is not None:
        folders[None] = settings.knowledge.folder
    if not folders:
        raise BotError("give --corpus NAME=DIR (one per corpus) or --knowledge DIR")
    dialogs = {name: Dialog(settings, _knowledge(settings, folder)) for name, folder in folders.items()}
    converse = asker(dialogs)

    if is_conversation_file(args.questions):
        conversations = load_conversations(args.questions)
        asked = [c for c in conversations if c.corpus in dialogs]
        conv = evaluate_conversations(asked, converse)
        note = _skipped(len(conversations) - len(asked))
        print(f"conversations: {len(asked)}, turns: {len(conv.outcomes)}{note}")
        print(f"first questions  {conv.first}")
        print(f"follow-ups       {conv.follow_ups}")
        print(f"small talk       {conv.small_talk}")
        print(f"declines         {conv.declines}")
        print(f"shown chars      {conv.shown_chars:.0f} (mean length of answers to in-scope turns)")
        _print_misses(conv.misses, args.misses)
        return 0
    questions = load_questions(args.questions)
    asked_q = [q for q in questions if q.article is None or q.corpus in dialogs]
    report = evaluate(asked_q, lambda corpus, q: converse(corpus, [q])[0], list(dialogs))
    note = _skipped(len(questions) - len(asked_q))
    inside = [o for o in report.outcomes if o.question.article is not None]
    print(f"questions: {report.in_scope} in scope, {report.out_of_scope} out of scope{note}")
    print(f"accuracy@1       {report.accuracy:.3f} ({sum(o.correct for o in inside)}/{len(inside)})")
    print(f"MRR@5            {report.mrr:.3f}")
    print(f"rejection        {report.rejection:.3f}")
    print(f"false rejection  {report.false_rejection:.3f}")
    print(f"shown chars      {report.shown_chars:.0f} (mean length of answers to in-scope questions)")
    _print_misses(report.misses, args.misses)
    return 0


def _skipped(count: int) -> str:
    """What an eval report says about entries left out for want of their corpus's folder."""
    return f" ({count} skipped: no folder given for their corpus)" if count else ""


def _print_misses(misses: Sequence[Outcome], limit: int) -> None:
    if not misses or not limit:
        return
    print(f"\nmisses ({len(misses)}):")
    for o in misses[:limit]:
        r = o.record
        want = "(small talk)" if o.question.chat else o.question.article or "(decline)"
        got = f"{r['kind']}: {r['article']} / {r['section']}" if r["answered"] else f"({r['kind']})"
        where = f" [{o.corpus}]" if o.corpus else ""
        follow = " (follow-up)" if o.question.follows else ""
        sections = " / " + " | ".join(o.question.sections) if o.question.sections else ""
        print(f"- {o.question.q}{where}{follow}\n    want: {want}{sections}")
        print(f"    got:  {got}  score={r['score']}  rank of right section={o.rank or '-'}")


def _check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.articles import load_articles, require_folder
    from bot.knowledge import KnowledgeBase

    folder = require_folder(settings.knowledge.folder)
    loaded = load_articles(folder, settings.knowledge, settings.site)
    sections = sum(len(a.sections) for a in loaded.articles)
    passages = sum(len(s.passages) for a in loaded.articles for s in a.sections)
    print(f"folder:    {folder}")
    print(f"articles:  {len(loaded.articles)}")
    print(f"sections:  {sections}")
    print(f"passages:  {passages}")
    if loaded.articles:
        kb = KnowledgeBase(settings, loaded)
        print(f"tags:      {len(kb.tags)} ({sum(len(t.articles) >= 2 for t in kb.tags)} on two or more articles)")
    print(f"left out:  {loaded.excluded} (drafts, unpublished, other templateKey or language)")
    for left_out in loaded.left_out:
        print(f"  - {left_out}")
    print(f"warnings:  {len(loaded.warnings)}")
    for warning in loaded.warnings:
        print(f"  - {warning}")
    _print_phrasings(loaded.articles)
    if not loaded.articles:
        print("error: no articles could be loaded", file=sys.stderr)
        return 1
    return 0


def _print_phrasings(articles: Sequence[Article]) -> None:
    """Each article's taught phrasings; a `section` that names no heading of it is flagged."""
    from bot.sections import heading_key

    taught = [a for a in articles if a.phrasings]
    print(f"questions: {sum(len(a.phrasings) for a in taught)} taught in {len(taught)} articles")
    for article in taught:
        print(f"  {article.id}:")
        headings = {heading_key(s.heading) for s in article.sections}
        for p in article.phrasings:
            where = f" -> {p.section}" if p.section else " -> (the section that answers best)"
            flag = (
                "  [no such heading: answered from the section that answers best]"
                if p.section and heading_key(p.section) not in headings
                else ""
            )
            print(f"    - {p.text}{where}{flag}")


def _report(args: argparse.Namespace, settings: Settings) -> int:
    import time

    from bot.store import StoreUnavailable, open_reader, reports
    from bot.store.sqlite import log_file
    from bot.store.url import mask_url, protect_logs

    protect_logs(settings.database_url)
    path = log_file(settings.data_dir)
    if not settings.database_url and not path.is_file():
        raise BotError(f"no question log at {path} yet: it is written while the Telegram bot runs")
    where = mask_url(settings.database_url) if settings.database_url else str(path)
    start = reports.since(args.since, time.time())
    store = open_reader(settings)
    try:
        print(reports.text_report(store, start, settings.language, args.since, settings.report.timezone))
        if args.csv:
            count = reports.write_csv(store, start, args.csv)
            print(f"\n{count} questions written to {args.csv}")
        if args.html:
            from bot.decision import Answerer
            from bot.report_page import page

            # Unanswered topics are asked again of today's articles, when they load.
            try:
                answerer = Answerer(_knowledge(settings), settings.retrieval, settings.language)
            except BotError as exc:
                print(f"note: unanswered topics not checked against today's articles: {exc}", file=sys.stderr)
                answerer = None
            args.html.write_text(page(store, settings, args.since, time.time(), answerer=answerer), encoding="utf-8")
            print(f"\nHTML report written to {args.html}")
    except StoreUnavailable as exc:
        raise BotError(f"cannot read the question log {where}: {exc}") from None
    finally:
        store.close()
    return 0


def _migrate_log(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store.migrate import migrate
    from bot.store.sqlite import log_file
    from bot.store.url import mask_url, protect_logs

    if not settings.database_url:
        raise BotError(
            "migrate-log copies to the database named by the environment variable DATABASE_URL: set it first"
        )
    protect_logs(settings.database_url)
    done = migrate(
        log_file(settings.data_dir), settings.database_url, settings.log_salt, settings.database.connect_timeout
    )
    salt = {"copied": "salt copied", "kept": "salt already there", "environment": "salt from BOT_LOG_SALT"}[done.salt]
    print(f"copied {done.copied} questions to {mask_url(settings.database_url)} ({done.already} already there; {salt})")
    return 0


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot.telegram_app import run

    run(settings, webhook=args.webhook)
    return 0
