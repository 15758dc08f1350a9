"""Phrasings editors teach in the frontmatter (`questions`): a paraphrase is answered from their section."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import CAREERS, WriteCorpus, article

from bot.cli import main
from bot.decision import Answerer
from bot.settings import Settings
from bot.source import ArticleFolder

TAUGHT = """
questions:
  - q: kerja jadi NE capek gak
    section: Sertifikasi Jaringan
  - q: ada lowongan buat lulusan baru ga
    section: Bagian Yang Tidak Ada
  - sertifikat apa yg dicari perusahaan ISP
"""


def corpus(write_corpus: WriteCorpus, extra: str = "") -> Path:
    files = dict(CAREERS)
    files["2025-01-02-network.md"] = article(
        "Network Engineer: Tugas dan Prospek",
        """
        #### Tugas Network Engineer

        Network engineer merancang dan merawat jaringan komputer, router, dan switch.

        #### Sertifikasi Jaringan

        Pekerjaannya menuntut ketelitian dan jam kerja shift; sertifikasi Mikrotik dan Cisco
        membantu saat melamar kerja di ISP.
        """,
        extra=extra,
    )
    return write_corpus(files)


def decide(settings: Settings, folder: Path, question: str):  # noqa: ANN201 - Decision
    return Answerer(ArticleFolder(settings, folder).load(), settings.retrieval, settings.language).decide(question)


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("capek ga sih kerja sbg NE?", id="other-word-order-and-slang"),
        pytest.param("jadi NE itu capek nggak kerjanya", id="other-words-around"),
        pytest.param("kerjaan NE melelahkan gak", id="a-synonym-and-a-slang-word"),
    ],
)
def test_a_paraphrase_of_a_taught_phrasing_is_answered_from_its_section(
    settings: Settings, write_corpus: WriteCorpus, question: str
) -> None:
    before = decide(settings, corpus(write_corpus), question)
    assert before.kind != "answer" or before.answer.section.heading != "Sertifikasi Jaringan"  # type: ignore[union-attr]  # an answer comes with kind "answer"
    after = decide(settings, corpus(write_corpus, TAUGHT), question)
    assert after.kind == "answer" and after.answer is not None
    assert (after.answer.article.id, after.answer.section.heading) == ("2025-01-02-network", "Sertifikasi Jaringan")


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("gaji NE brp", id="shares-only-a-rare-word"),
        pytest.param("resep rendang padang", id="unrelated"),
        pytest.param("apa itu backend developer?", id="another-article"),
    ],
)
def test_a_phrasing_never_makes_an_unrelated_question_match(
    settings: Settings, write_corpus: WriteCorpus, question: str
) -> None:
    before = decide(settings, corpus(write_corpus), question)
    after = decide(settings, corpus(write_corpus, TAUGHT), question)
    assert (after.kind, after.answer.section.heading if after.answer else None) == (
        before.kind,
        before.answer.section.heading if before.answer else None,
    )


def test_a_plain_phrasing_is_answered_from_the_section_that_answers_it(
    settings: Settings, write_corpus: WriteCorpus
) -> None:
    after = decide(settings, corpus(write_corpus, TAUGHT), "perusahaan ISP nyari sertifikat apa")
    assert after.kind == "answer" and after.answer.section.heading == "Sertifikasi Jaringan"  # type: ignore[union-attr]  # an answer comes with kind "answer"


def test_phrasings_survive_the_index_cache(
    settings: Settings, write_corpus: WriteCorpus, caplog: pytest.LogCaptureFixture
) -> None:
    folder = corpus(write_corpus, TAUGHT)
    ArticleFolder(settings, folder).load()
    with caplog.at_level(logging.INFO):
        cached = ArticleFolder(settings, folder).load()
    assert "index loaded from cache" in caplog.text
    answer = Answerer(cached, settings.retrieval, settings.language).decide("capek ga sih kerja sbg NE?").answer
    assert answer is not None and answer.section.heading == "Sertifikasi Jaringan"


def test_check_lists_phrasings_and_flags_a_section_that_names_no_heading(
    settings: Settings, write_corpus: WriteCorpus, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = corpus(write_corpus, TAUGHT)
    assert main(["check", "--knowledge", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "questions: 3 taught in 1 articles" in out
    assert "    - kerja jadi NE capek gak -> Sertifikasi Jaringan\n" in out
    assert (
        "    - ada lowongan buat lulusan baru ga -> Bagian Yang Tidak Ada"
        "  [no such heading: answered from the section that answers best]" in out
    )
    assert "    - sertifikat apa yg dicari perusahaan ISP -> (the section that answers best)" in out
