"""The terminal chat: same commands as Telegram, buttons as numbered choices."""

from __future__ import annotations

import io

from conftest import WriteCorpus

from bot.console import chat
from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.settings import Settings

PROMPT = "§ "


def run(settings: Settings, kb: KnowledgeBase, *lines: str) -> str:
    out = io.StringIO()
    chat(Dialog(settings, kb), [line + "\n" for line in lines], out, prompt=PROMPT)
    return out.getvalue()


def test_greets_then_answers_a_plain_question_with_numbered_choices(settings: Settings, kb: KnowledgeBase) -> None:
    out = run(settings, kb, "apa itu backend developer?")
    assert out.startswith("Halo! 👋 Aku asisten tanya-jawab Areta Training Center.")
    answer = out.split(PROMPT, 1)[1]
    assert answer.startswith("== Apa Itu Backend Developer? ==\nBackend developer adalah pengembang")
    assert "  [1] 📖 Baca selengkapnya → https://aretatrainingcenter.space/blog/2025-01-01-backend/#:~:text=" in answer
    assert "  [2] 🔎 Jawaban lain" in answer


def test_choices_press_buttons_and_links_print_their_address(settings: Settings, kb: KnowledgeBase) -> None:
    out = run(settings, kb, "/tanya gaji network engineer", "2", "1", "2", "5", "9")
    turns = out.split(PROMPT)[1:]
    assert turns[1].startswith("Jawaban lain untuk “gaji network engineer”:")
    assert "  [5] « Kembali" in turns[1]
    assert turns[2].startswith("== ")  # the first other answer, shown in full
    assert "  [2] « Kembali" in turns[2]
    assert turns[3].startswith("Jawaban lain untuk")  # back to the list
    assert turns[4].startswith("== Berapa Gaji Network Engineer? ==")  # back to the first answer
    assert turns[5].strip() == settings.texts.console_unknown_choice


def test_feedback_thanks_and_keeps_the_choices(settings: Settings, kb: KnowledgeBase) -> None:
    out = run(settings, kb, "gaji network engineer", "3", "1")
    turns = out.split(PROMPT)[1:]
    assert turns[1].strip() == f"({settings.texts.feedback_thanks})"
    assert turns[2].strip().startswith("https://aretatrainingcenter.space/blog/2025-01-02-network/#:~:text=")


def test_commands(settings: Settings, kb: KnowledgeBase) -> None:
    out = run(settings, kb, "/help", "/tanya", "/topik", "/topik jaringan", "/foo", "/start")
    turns = out.split(PROMPT)[1:]
    assert turns[0].startswith("Cara pakai asisten Areta Training Center:")
    assert turns[1].strip() == settings.texts.ask_prompt
    assert turns[2].startswith(settings.texts.topics_header)
    assert turns[3].startswith("Topik tentang “jaringan”:")
    assert turns[4].strip() == settings.texts.unknown_command
    assert turns[5].startswith("Halo!")


def test_paging_keys_stay_the_same_on_every_page(settings: Settings, write_corpus: WriteCorpus) -> None:
    from conftest import article

    files = {
        f"a{i}.md": article(f"Artikel {i}", f"#### Isi {i}\n\nTeks {i}.\n", tags=[f"Tag {i}", f"Label {i}"])
        for i in range(12)
    }
    kb = KnowledgeBase.load(settings, write_corpus(files))
    out = run(settings, kb, "/topik", ">", ">", "<")
    first, second, third, back = out.split(PROMPT)[1:5]
    assert f"[>] {settings.texts.button_next}" in first and settings.texts.button_previous not in first
    assert f"[<] {settings.texts.button_previous}" in second and f"[>] {settings.texts.button_next}" in second
    assert f"[<] {settings.texts.button_previous}" in third
    assert back.split("\n")[0] == second.split("\n")[0]


def test_help_lists_only_what_the_terminal_knows(settings: Settings, kb: KnowledgeBase) -> None:
    out = run(settings, kb, "/help", "/hapusdata")
    help_text, forget = out.split(PROMPT)[1:3]
    for name in ("tanya", "topik", "help"):
        assert settings.texts.commands[name].help in help_text
    assert "/hapusdata" not in help_text
    assert forget.strip() == settings.texts.unknown_command


def test_a_follow_up_in_the_terminal_keeps_the_topic(settings: Settings, kb: KnowledgeBase) -> None:
    out = run(settings, kb, "apa itu backend developer?", "terus gajinya berapa?")
    assert out.split(PROMPT)[2].startswith("== Gaji Backend Developer ==")
