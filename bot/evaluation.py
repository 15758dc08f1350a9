"""Measure answer quality on a question file, as `../shared/eval/README.md` defines it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.errors import BotError
from bot.normalize import fold
from bot.sections import plain_heading


@dataclass(frozen=True)
class Question:
    """One evaluation question; `article` None means out of scope."""

    q: str
    article: str | None
    corpus: str | None = None
    sections: tuple[str, ...] = ()
    contains: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How the bot did on one question (against one folder)."""

    question: Question
    corpus: str | None
    record: Mapping[str, Any]
    correct: bool
    rank: int | None


@dataclass(frozen=True)
class Report:
    """The four metrics of the contract, with every outcome."""

    accuracy: float
    mrr: float
    rejection: float
    false_rejection: float
    in_scope: int
    out_of_scope: int
    outcomes: tuple[Outcome, ...]

    @property
    def misses(self) -> tuple[Outcome, ...]:
        """Outcomes that were wrong."""
        return tuple(o for o in self.outcomes if not o.correct)


def load_questions(path: Path) -> list[Question]:
    """Read a question file; raise `BotError` naming the entry that is malformed."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BotError(f"cannot read questions {path}: {exc}") from None
    if not isinstance(data, list):
        raise BotError(f"{path}: a question file is a YAML list")
    questions = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str) or "article" not in item:
            raise BotError(f"{path}: entry {n} needs 'q' (text) and 'article'")
        section = item.get("section")
        sections = tuple(section) if isinstance(section, list) else (section,) if section else ()
        questions.append(
            Question(item["q"], item["article"], item.get("corpus"), tuple(map(str, sections)), item.get("contains"))
        )
    return questions


def heading_key(text: str) -> str:
    """A heading compared as the contract says: no markup or emoji, case-folded, letters and digits."""
    return "".join(ch for ch in fold(plain_heading(text)) if ch.isalnum())


def judge(question: Question, record: Mapping[str, Any]) -> tuple[bool, int | None]:
    """Whether `record` answers `question` right, and the rank of the first right candidate."""
    if question.article is None:
        return not record["answered"], None
    wanted = {heading_key(s) for s in question.sections}

    def right(article: str | None, section: str | None) -> bool:
        return article == question.article and (not wanted or heading_key(section or "") in wanted)

    rank = next(
        (i for i, c in enumerate(record["candidates"][:5], 1) if right(c["article"], c["section"])), None
    )
    correct = bool(record["answered"]) and right(record["article"], record["section"])
    if correct and question.contains:
        correct = question.contains.casefold() in (record["text"] or "").casefold()
    return correct, rank


def evaluate(
    questions: Sequence[Question],
    ask: Callable[[str | None, str], Mapping[str, Any]],
    corpora: Sequence[str | None],
) -> Report:
    """Ask every question: in-scope ones in their corpus, out-of-scope ones in every corpus."""
    outcomes = []
    for question in questions:
        targets = [question.corpus] if question.article is not None else list(corpora)
        for corpus in targets:
            record = ask(corpus, question.q)
            correct, rank = judge(question, record)
            outcomes.append(Outcome(question, corpus, record, correct, rank))
    return summarize(outcomes)


def summarize(outcomes: Sequence[Outcome]) -> Report:
    """Compute the metrics; an out-of-scope question counts as declined only if declined everywhere."""
    inside = [o for o in outcomes if o.question.article is not None]
    outside: dict[int, bool] = {}
    for o in outcomes:
        if o.question.article is None:
            outside[id(o.question)] = outside.get(id(o.question), True) and o.correct
    n_in = len(inside)
    return Report(
        accuracy=sum(o.correct for o in inside) / n_in if n_in else 0.0,
        mrr=sum(1 / o.rank for o in inside if o.rank) / n_in if n_in else 0.0,
        rejection=sum(outside.values()) / len(outside) if outside else 0.0,
        false_rejection=sum(not o.record["answered"] for o in inside) / n_in if n_in else 0.0,
        in_scope=n_in,
        out_of_scope=len(outside),
        outcomes=tuple(outcomes),
    )
