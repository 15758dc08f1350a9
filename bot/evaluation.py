"""Measure answer quality on a question file, as `../shared/eval/README.md` defines it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.errors import BotError
from bot.sections import heading_key


@dataclass(frozen=True)
class Question:
    """One evaluation question; `article` None means out of scope."""

    q: str
    article: str | None
    corpus: str | None = None
    sections: tuple[str, ...] = ()
    contains: str | None = None
    follows: bool = False  # a follow-up: needs the turns before it
    chat: bool = False  # small talk: a friendly reply, no article


@dataclass(frozen=True)
class Conversation:
    """One user's turns, in order, over one corpus."""

    corpus: str | None
    turns: tuple[Question, ...]


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
    shown_chars: float = 0.0  # mean length of the answer text shown for in-scope questions

    @property
    def misses(self) -> tuple[Outcome, ...]:
        """Outcomes that were wrong."""
        return tuple(o for o in self.outcomes if not o.correct)


class Chat(Protocol):
    """A conversation partner the evaluation can talk to (the bot's Dialog)."""

    def turn(self, question: str, *, chat: str | None = None) -> Any:
        """The reply to a message in conversation `chat`."""

    def record(self, question: str, turn: Any) -> dict[str, Any]:
        """A turn as the evaluation contract's JSON object."""


def asker(chats: Mapping[str | None, Chat]) -> Callable[[str | None, Sequence[str]], list[dict[str, Any]]]:
    """Ask a corpus's chat a sequence of turns as one new user's conversation."""
    counter = iter(range(1 << 62))
    prefix = secrets.token_hex(4)  # a new user for every conversation, even on a reused chat

    def converse(corpus: str | None, turns: Sequence[str]) -> list[dict[str, Any]]:
        chat, key = chats[corpus], f"eval:{prefix}:{next(counter)}"
        return [chat.record(q, chat.turn(q, chat=key)) for q in turns]

    return converse


def load_questions(path: Path) -> list[Question]:
    """Read a question file; raise `BotError` naming the entry that is malformed."""
    questions = []
    for n, item in enumerate(_read_list(path), 1):
        questions.append(_question(item, f"{path}: entry {n}", None))
    return questions


def load_conversations(path: Path) -> list[Conversation]:
    """Read a conversation file; raise `BotError` naming the entry that is malformed."""
    conversations = []
    for n, item in enumerate(_read_list(path), 1):
        if not isinstance(item, dict) or not isinstance(item.get("turns"), list) or not item["turns"]:
            raise BotError(f"{path}: conversation {n} needs 'turns' (a list)")
        corpus = item.get("corpus")
        turns = tuple(
            _question(t, f"{path}: conversation {n} turn {k}", corpus) for k, t in enumerate(item["turns"], 1)
        )
        conversations.append(Conversation(corpus, turns))
    return conversations


def is_conversation_file(path: Path) -> bool:
    """Whether a file holds conversations (entries with `turns`) rather than questions."""
    data = _read_list(path)
    return bool(data) and isinstance(data[0], dict) and "turns" in data[0]


def _read_list(path: Path) -> list[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BotError(f"cannot read questions {path}: {exc}") from None
    if not isinstance(data, list):
        raise BotError(f"{path}: a question file is a YAML list")
    return data


def _question(item: Any, where: str, corpus: str | None) -> Question:
    if not isinstance(item, dict) or not isinstance(item.get("q"), str):
        raise BotError(f"{where} needs 'q' (text)")
    chat = bool(item.get("chat"))
    if "article" not in item and not chat:
        raise BotError(f"{where} needs 'article' (or 'chat: true')")
    section = item.get("section")
    sections = tuple(section) if isinstance(section, list) else (section,) if section else ()
    return Question(
        item["q"],
        item.get("article"),
        item.get("corpus", corpus),
        tuple(map(str, sections)),
        item.get("contains"),
        bool(item.get("follows")),
        chat,
    )


def kind(record: Mapping[str, Any]) -> str:
    """What the user saw (records without `kind` are read by `answered`)."""
    return str(record.get("kind") or ("answer" if record["answered"] else "none"))


def judge(question: Question, record: Mapping[str, Any]) -> tuple[bool, int | None]:
    """Whether `record` is right for `question`, and the rank of the first right candidate.

    Only an answer can be right for an in-scope question (a suggestion is neither right nor a
    refusal); out of scope, only a decline; small talk, only a small-talk reply.
    """
    if question.chat:
        return kind(record) == "chat", None
    if question.article is None:
        return kind(record) == "none", None
    wanted = {heading_key(s) for s in question.sections}

    def right(article: str | None, section: str | None) -> bool:
        return article == question.article and (not wanted or heading_key(section or "") in wanted)

    rank = next((i for i, c in enumerate(record["candidates"][:5], 1) if right(c["article"], c["section"])), None)
    correct = kind(record) == "answer" and right(record["article"], record["section"])
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
        false_rejection=sum(kind(o.record) in ("none", "chat") for o in inside) / n_in if n_in else 0.0,
        in_scope=n_in,
        out_of_scope=len(outside),
        outcomes=tuple(outcomes),
        shown_chars=_mean([len(o.record["text"]) for o in inside if kind(o.record) == "answer" and o.record["text"]]),
    )


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


@dataclass(frozen=True)
class Share:
    """k right out of n."""

    right: int
    total: int

    @property
    def share(self) -> float:
        """k / n (0 when n is 0)."""
        return self.right / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.right}/{self.total} = {self.share:.3f}"


@dataclass(frozen=True)
class ConversationReport:
    """The conversation metrics of the contract, with every outcome."""

    first: Share  # in-scope turns that are not follow-ups, answered right
    follow_ups: Share  # in-scope follow-ups answered right
    small_talk: Share  # small talk answered as small talk
    declines: Share  # out-of-scope turns (follow-ups included) declined
    outcomes: tuple[Outcome, ...]
    shown_chars: float = 0.0

    @property
    def misses(self) -> tuple[Outcome, ...]:
        """Turns that went wrong."""
        return tuple(o for o in self.outcomes if not o.correct)


def evaluate_conversations(
    conversations: Sequence[Conversation],
    ask: Callable[[str | None, Sequence[str]], Sequence[Mapping[str, Any]]],
) -> ConversationReport:
    """Run each conversation as a new user (`ask` gets its corpus and all its turns) and score every turn."""
    outcomes = []
    for conversation in conversations:
        records = ask(conversation.corpus, [t.q for t in conversation.turns])
        for turn, record in zip(conversation.turns, records, strict=True):
            correct, rank = judge(turn, record)
            outcomes.append(Outcome(turn, conversation.corpus, record, correct, rank))

    def share(select: Callable[[Question], bool]) -> Share:
        chosen = [o for o in outcomes if select(o.question)]
        return Share(sum(o.correct for o in chosen), len(chosen))

    return ConversationReport(
        first=share(lambda q: q.article is not None and not q.follows and not q.chat),
        follow_ups=share(lambda q: q.article is not None and q.follows and not q.chat),
        small_talk=share(lambda q: q.chat),
        declines=share(lambda q: q.article is None and not q.chat),
        outcomes=tuple(outcomes),
        shown_chars=_mean(
            [
                len(o.record["text"])
                for o in outcomes
                if o.question.article and kind(o.record) == "answer" and o.record["text"]
            ]
        ),
    )
