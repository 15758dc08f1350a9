"""Reports over the question log: what is asked, what goes unanswered, how answers are rated.

The figures come from the store's queries; grouping unanswered questions by topic is CPU work,
so the bot runs it in a separate process where it cannot hold up other users' replies.
"""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
import re
import types
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from bot.normalize import Normalizer, fold
from bot.privacy import csv_cell, mask_personal, printable
from bot.settings import LanguageSettings
from bot.store.base import ArticleVotes, Day, Store, Totals

__all__ = [
    "ArticleVotes",
    "Day",
    "Group",
    "Totals",
    "group_unanswered",
    "most_asked",
    "since",
    "text_report",
    "unanswered",
    "write_csv",
]


def _proxy(mapping: dict[object, object]) -> types.MappingProxyType[object, object]:
    return types.MappingProxyType(mapping)


# Settings hold read-only mappings, which pickle cannot send to the grouping process as they are.
ForkingPickler.register(types.MappingProxyType, lambda m: (_proxy, (dict(m),)))


@dataclass(frozen=True)
class Group:
    """Questions that ask about the same thing, with how often and an example of each wording."""

    label: str
    count: int
    examples: tuple[str, ...]


def since(days: float | None, now: float) -> float:
    """The start of the period of the last `days` days (everything when None)."""
    return 0.0 if days is None else now - days * 86400


def most_asked(store: Store, start: float, limit: int = 10) -> list[Group]:
    """The most asked questions, counting wordings that differ only in case and punctuation as one."""
    counts: Counter[str] = Counter()
    wording: dict[str, Counter[str]] = {}
    for question in store.questions(start):
        key = question_key(question)
        counts[key] += 1
        wording.setdefault(key, Counter())[question] += 1
    return [
        Group(wording[key].most_common(1)[0][0], n, tuple(w for w, _ in wording[key].most_common(3)))
        for key, n in counts.most_common(limit)
    ]


def unanswered(
    store: Store, start: float, language: LanguageSettings, limit: int = 15, isolated: bool = False
) -> list[Group]:
    """Unanswered questions grouped by topic; `isolated` runs the grouping in another process."""
    questions = store.questions(start, unanswered=True)
    if not questions:
        return []
    return (group_isolated if isolated else group_unanswered)(questions, language, limit)


def group_isolated(questions: list[str], language: LanguageSettings, limit: int = 15) -> list[Group]:
    """`group_unanswered` in another process, where it cannot hold up the bot's replies."""
    # A process per report (spawned: the bot has threads): an admin command is rare, and the
    # worker's memory (scikit-learn) is given back as soon as the report is done.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(group_unanswered, questions, language, limit).result()


def group_unanswered(
    questions: list[str], language: LanguageSettings, limit: int = 15, similarity: float = 0.5
) -> list[Group]:
    """Questions grouped by what they are about, so the team sees topics, not lines.

    Questions are TF-IDF vectors of their normalized words; each joins the first group whose
    first question it resembles (cosine >= `similarity`), else starts a group of its own.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    # Masked here, in the grouping process: entries logged before masking existed show none either.
    questions = [mask_personal(q) for q in questions]
    normalizer = Normalizer(language)
    vectorizer = TfidfVectorizer(analyzer=lambda text: normalizer.terms(text) or [fold(text).strip()])
    vectors = vectorizer.fit_transform(questions)
    leaders: list[int] = []
    members: list[list[int]] = []
    for i in range(len(questions)):
        if leaders:
            sims = (vectors[leaders] @ vectors[i].T).toarray().ravel()
            best = int(np.argmax(sims))
            if sims[best] >= similarity:
                members[best].append(i)
                continue
        leaders.append(i)
        members.append([i])
    vocabulary = np.array(vectorizer.get_feature_names_out())
    groups = []
    for group in members:
        weights = np.asarray(vectors[group].sum(axis=0)).ravel()
        top = np.argsort(-weights)[:3]
        label = " ".join(vocabulary[top][weights[top] > 0])
        examples = tuple(dict.fromkeys(questions[i] for i in group))[:3]
        groups.append(Group(label or questions[group[0]], len(group), examples))
    groups.sort(key=lambda g: -g.count)
    return groups[:limit]


def local_days(store: Store, start: float, timezone: str) -> list[Day]:
    """Questions and answers per day of the period, days as in `timezone`."""
    zone = ZoneInfo(timezone)
    asked: Counter[str] = Counter()
    answered: Counter[str] = Counter()
    for row in store.logged(start):
        day = dt.datetime.fromtimestamp(row.asked_at, zone).date().isoformat()
        asked[day] += 1
        answered[day] += row.answered
    return [Day(d, asked[d], answered[d]) for d in sorted(asked)]


def text_report(
    store: Store, start: float, language: LanguageSettings, days: float | None, timezone: str = "UTC"
) -> str:
    """The whole report, readable in a terminal (no control or bidi characters, personal data masked)."""
    t = store.totals(start)
    period = f"the last {days:g} days" if days is not None else "all time"
    lines = [
        f"Questions, {period}: {t.questions} from {t.users} users, {t.answered} answered ({t.share});"
        f" feedback: {t.helpful} helpful, {t.not_helpful} not helpful",
        "",
        "Most asked:",
        *[f"  {g.count:4}  {_shown(g.label)}" for g in most_asked(store, start)],
        "",
        "Unanswered, by topic (write articles for these):",
    ]
    for g in unanswered(store, start, language):
        lines.append(f"  {g.count:4}  [{_shown(g.label)}]  e.g. " + " | ".join(map(_shown, g.examples)))
    lines += ["", "Feedback per article (least helpful first):"]
    lines += [
        f"  {v.ratio:4.0%}  {v.helpful:3} up {v.not_helpful:3} down  {_shown(v.article)}"
        for v in store.votes_by_article(start)
    ]
    lines += ["", f"Questions per day, {timezone} (answered / asked):"]
    lines += [
        f"  {d.date}  {d.answered:4} / {d.questions:<4} {'#' * min(60, d.questions)}"
        for d in local_days(store, start, timezone)
    ]
    return "\n".join(lines)


def write_csv(store: Store, start: float, path: Path) -> int:
    """Every logged question of the period as a CSV row (no live formulas); returns how many."""
    rows = store.logged(start)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["asked_at", "user", "chat_type", "question", "answered", "article", "section", "score", "vote"])
        for r in rows:
            when = dt.datetime.fromtimestamp(r.asked_at, dt.UTC).isoformat(timespec="seconds")
            cells = [
                when,
                r.user_hash,
                r.chat_type,
                mask_personal(r.question),
                int(r.answered),
                r.article,
                r.section,
                r.score,
                r.vote,
            ]
            out.writerow([csv_cell(c) for c in cells])
    return len(rows)


def _shown(text: str) -> str:
    return printable(mask_personal(text))


def question_key(question: str) -> str:
    """What counts two wordings as one question: their words, case and punctuation aside."""
    return " ".join(re.findall(r"\w+", fold(question)))
