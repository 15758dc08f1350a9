"""Answer quality on the public dev set must not silently drop below what was reached."""

from __future__ import annotations

import pytest
from conftest import CORPUS, EVAL, needs_shared

from bot.dialog import Dialog
from bot.evaluation import (
    ConversationReport,
    Report,
    asker,
    evaluate,
    evaluate_conversations,
    load_conversations,
    load_questions,
)
from bot.settings import Settings
from bot.source import ArticleFolder

# Reached on ../shared/eval/dev-questions.yaml and dev-conversations.yaml (as `python -m bot
# eval` reports them); a plain TfidfVectorizer() over whole sections reaches accuracy@1 0.63,
# MRR@5 0.74 and rejects none of the out-of-scope questions.
FLOOR = {"accuracy": 0.87, "mrr": 0.90, "rejection": 0.90, "false_rejection_max": 0.0}
CONVERSATION_FLOOR = {"first": 0.84, "follow_ups": 0.86, "small_talk": 1.0, "declines": 0.92}


@pytest.fixture(scope="module")
def dialogs() -> dict[str | None, Dialog]:
    from bot.settings import load_settings

    settings: Settings = load_settings(env={})
    # Loaded as `python -m bot eval` loads them (ArticleFolder: the same file order and index).
    return {name: Dialog(settings, ArticleFolder(settings, CORPUS / name).load()) for name in ("areta", "mazipan")}


@pytest.fixture(scope="module")
def report(dialogs: dict[str | None, Dialog]) -> Report:
    converse = asker(dialogs)
    return evaluate(
        load_questions(EVAL / "dev-questions.yaml"), lambda corpus, q: converse(corpus, [q])[0], list(dialogs)
    )


@pytest.fixture(scope="module")
def conversations(dialogs: dict[str | None, Dialog]) -> ConversationReport:
    return evaluate_conversations(load_conversations(EVAL / "dev-conversations.yaml"), asker(dialogs))


@needs_shared
def test_dev_conversation_quality_holds(conversations: ConversationReport) -> None:
    reached = {name: round(getattr(conversations, name).share, 3) for name in CONVERSATION_FLOOR}
    assert all(reached[name] >= floor for name, floor in CONVERSATION_FLOOR.items()), reached


@needs_shared
def test_dev_set_quality_holds(report: Report) -> None:
    reached = {
        "accuracy": round(report.accuracy, 3),
        "mrr": round(report.mrr, 3),
        "rejection": round(report.rejection, 3),
        "false_rejection": round(report.false_rejection, 3),
    }
    assert reached["accuracy"] >= FLOOR["accuracy"], reached
    assert reached["mrr"] >= FLOOR["mrr"], reached
    assert reached["rejection"] >= FLOOR["rejection"], reached
    assert reached["false_rejection"] <= FLOOR["false_rejection_max"], reached
