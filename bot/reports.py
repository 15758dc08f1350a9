"""Reports over the question log: what is asked, what goes unanswered, how answers are rated."""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.normalize import Normalizer, fold


@dataclass(frozen=True)
class Totals:
    """Counts over a period."""

    questions: int
    answered: int
    users: int
    helpful: int
    not_helpful: int

    @property
    def share(self) -> str:
        """The answered share as a percentage, '-' when nothing was asked."""
        return f"{self.answered / self.questions:.0%}" if self.questions else "-"


@dataclass(frozen=True)
class Group:
    """Questions that ask about the same thing, with how often and an example of each wording."""

    label: str
    count: int
    examples: tuple[str, ...]


@dataclass(frozen=True)
class ArticleVotes:
    """Feedback on the answers taken from one article."""

    article: str
    helpful: int
    not_helpful: int

    @property
    def ratio(self) -> float:
        """Share of helpful votes."""
        total = self.helpful + self.not_helpful
        return self.helpful / total if total else 0.0


@dataclass(frozen=True)
class Day:
    """Questions asked on one day (UTC)."""

    date: str
    questions: int
    answered: int


def since(days: float | None, now: float) -> float:
    """The start of the period of the last `days` days (everything when None)."""
    return 0.0 if days is None else now - days * 86400


def totals(db: sqlite3.Connection, start: float) -> Totals:
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(answered), 0), COUNT(DISTINCT user_hash),"
        " COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = 0), 0) FROM questions WHERE asked_at >= ?",
        (start,),
    ).fetchone()
    return Totals(*(int(v) for v in row))


def most_asked(db: sqlite3.Connection, start: float, limit: int = 10) -> list[Group]:
    """The most asked questions, counting wordings that differ only in case and punctuation as one."""
    counts: Counter[str] = Counter()
    wording: dict[str, Counter[str]] = {}
    for (question,) in db.execute("SELECT question FROM questions WHERE asked_at >= ? ORDER BY asked_at, id", (start,)):
        key = _key(question)
        counts[key] += 1
        wording.setdefault(key, Counter())[question] += 1
    return [
        Group(wording[key].most_common(1)[0][0], n, tuple(w for w, _ in wording[key].most_common(3)))
        for key, n in counts.most_common(limit)
    ]


def unanswered(db: sqlite3.Connection, start: float, normalizer: Normalizer, limit: int = 15, similarity: float = 0.5) -> list[Group]:
    """Unanswered questions grouped by what they are about, so the team sees topics, not lines.

    Questions are TF-IDF vectors of their normalized words; each joins the first group whose
    first question it resembles (cosine >= `similarity`), else starts a group of its own.
    """
    questions = [q for (q,) in db.execute("SELECT question FROM questions WHERE answered = 0 AND asked_at >= ? ORDER BY asked_at", (start,))]
    if not questions:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

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
        label = " ".join(vocabulary[np.argsort(-weights)[:3]][weights[np.argsort(-weights)[:3]] > 0])
        examples = tuple(dict.fromkeys(questions[i] for i in group))[:3]
        groups.append(Group(label or questions[group[0]], len(group), examples))
    groups.sort(key=lambda g: -g.count)
    return groups[:limit]


def votes_by_article(db: sqlite3.Connection, start: float) -> list[ArticleVotes]:
    rows = db.execute(
        "SELECT article, SUM(vote = 1), SUM(vote = 0) FROM questions"
        " WHERE vote IS NOT NULL AND article IS NOT NULL AND asked_at >= ? GROUP BY article",
        (start,),
    ).fetchall()
    found = [ArticleVotes(a, int(h), int(n)) for a, h, n in rows]
    return sorted(found, key=lambda v: (v.ratio, -(v.helpful + v.not_helpful)))


def per_day(db: sqlite3.Connection, start: float) -> list[Day]:
    rows = db.execute(
        "SELECT date(asked_at, 'unixepoch'), COUNT(*), SUM(answered) FROM questions WHERE asked_at >= ?"
        " GROUP BY 1 ORDER BY 1",
        (start,),
    ).fetchall()
    return [Day(d, int(n), int(a)) for d, n, a in rows]


def text_report(db: sqlite3.Connection, start: float, normalizer: Normalizer, days: float | None) -> str:
    """The whole report, readable in a terminal."""
    t = totals(db, start)
    period = f"the last {days:g} days" if days is not None else "all time"
    lines = [
        f"Questions, {period}: {t.questions} from {t.users} users, {t.answered} answered ({t.share});"
        f" feedback: {t.helpful} helpful, {t.not_helpful} not helpful",
        "",
        "Most asked:",
        *[f"  {g.count:4}  {g.label}" for g in most_asked(db, start)],
        "",
        "Unanswered, by topic (write articles for these):",
    ]
    for g in unanswered(db, start, normalizer):
        lines.append(f"  {g.count:4}  [{g.label}]  e.g. " + " | ".join(g.examples))
    lines += ["", "Feedback per article (least helpful first):"]
    lines += [f"  {v.ratio:4.0%}  {v.helpful:3} up {v.not_helpful:3} down  {v.article}" for v in votes_by_article(db, start)]
    lines += ["", "Questions per day (answered / asked):"]
    lines += [f"  {d.date}  {d.answered:4} / {d.questions:<4} {'#' * min(60, d.questions)}" for d in per_day(db, start)]
    return "\n".join(lines)


def write_csv(db: sqlite3.Connection, start: float, path: Path) -> int:
    """Every logged question of the period as a CSV row; returns how many."""
    rows = db.execute(
        "SELECT asked_at, user_hash, chat_type, question, answered, article, section, score, vote"
        " FROM questions WHERE asked_at >= ? ORDER BY asked_at",
        (start,),
    ).fetchall()
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["asked_at", "user", "chat_type", "question", "answered", "article", "section", "score", "vote"])
        for r in rows:
            when = dt.datetime.fromtimestamp(r[0], dt.timezone.utc).isoformat(timespec="seconds")
            out.writerow([when, *r[1:]])
    return len(rows)


def _key(question: str) -> str:
    return " ".join(re.findall(r"\w+", fold(question)))
