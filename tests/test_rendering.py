"""One plain-text rendering of blocks: the terminal, Telegram and its length budget show lists alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import PROJECT, WriteCorpus, article
from telegram_support import TOKEN, Recorder, message, process, visible

from bot import cli
from bot.knowledge import KnowledgeBase
from bot.settings import Settings
from bot.telegram_app import build_application

QUESTION = "langkah belajar devops"
LIST_SECTION = """
#### Langkah Belajar DevOps

1. Kuasai Linux dasar.
   - Perintah berkas dan izin.
     - chmod dan chown.
   - Manajemen proses.
2. Pelajari container.
   - Docker{pad}.
"""


@pytest.fixture
def whole(settings: Settings) -> Settings:
    """Settings with a token and no length limit of their own on answers: only Telegram's applies."""
    retrieval = dataclasses.replace(settings.retrieval, answer_max_chars=100_000)
    return dataclasses.replace(settings, token=TOKEN, retrieval=retrieval)


def devops(write_corpus: WriteCorpus, pad: str = "") -> Path:
    """One article whose answer is a nested list; `pad` lengthens its last item."""
    return write_corpus({"devops.md": article("Belajar DevOps", LIST_SECTION.format(pad=pad))})


def telegram(settings: Settings, folder: Path) -> str:
    """What a Telegram user sees of the bot's answer to QUESTION."""
    recorder = Recorder()
    process(build_application(settings, KnowledgeBase.load(settings, folder), request=recorder), message(QUESTION))
    (sent,) = recorder.sent()
    return visible(sent["text"])


def terminal(folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """What `python -m bot ask QUESTION` prints."""
    monkeypatch.chdir(PROJECT)
    assert cli.main(["ask", "--knowledge", str(folder), QUESTION]) == 0
    return capsys.readouterr().out


def list_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith(("•", "1.", "2."))]


def test_a_nested_list_is_indented_alike_in_the_terminal_and_on_telegram(
    whole: Settings, write_corpus: WriteCorpus, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = devops(write_corpus)
    expected = [
        "1. Kuasai Linux dasar.",
        "  • Perintah berkas dan izin.",
        "    • chmod dan chown.",
        "  • Manajemen proses.",
        "2. Pelajari container.",
        "  • Docker.",
    ]
    assert list_lines(terminal(folder, capsys, monkeypatch)) == expected
    assert list_lines(telegram(whole, folder)) == expected


def test_a_nested_list_that_fills_a_telegram_message_exactly_is_sent_whole(
    whole: Settings, write_corpus: WriteCorpus
) -> None:
    short = telegram(whole, devops(write_corpus))
    room = 4096 - len(short)  # all of it is ASCII or single UTF-16 units
    exact = telegram(whole, devops(write_corpus, " ab" * (room // 3) + "x" * (room % 3)))
    assert len(exact) == 4096 and "…" not in exact  # the budget counts what Telegram shows, no more
    assert list_lines(exact)[:-1] == list_lines(short)[:-1]
    over = telegram(whole, devops(write_corpus, " ab" * (room // 3) + "x" * (room % 3 + 1)))
    assert len(over) <= 4096 and "…" in over
