"""Retrieval: the right section and paragraph for informal questions, honest refusals."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import WriteCorpus, article

from bot.decision import Decision
from bot.knowledge import KnowledgeBase
from bot.normalize import Normalizer
from bot.settings import Settings


@pytest.mark.parametrize(
    ("question", "article_id", "section", "snippet"),
    [
        pytest.param(
            "apa itu backend developer?",
            "2025-01-01-backend",
            "Apa Itu Backend Developer?",
            "mengurus server",
            id="definition",
        ),
        pytest.param(
            "gaji network engineer brp sih",
            "2025-01-02-network",
            "Berapa Gaji Network Engineer?",
            "sertifikasi",
            id="slang-and-synonym",
        ),
        pytest.param(
            "gmn cara jd backend dev dr nol",
            "2025-01-01-backend",
            "Cara Menjadi Backend Developer dari Nol",
            "Kuasai database SQL",
            id="abbreviations",
        ),
        pytest.param(
            "FRAMEWORK FRONTEND yg populer apa aja??",
            "2025-01-03-frontend",
            "Framework Frontend",
            "React",
            id="case-and-punctuation",
        ),
    ],
)
def test_finds_the_answering_section_and_paragraph(
    decide: Callable[[str], Decision], question: str, article_id: str, section: str, snippet: str
) -> None:
    decision = decide(question)
    assert decision.kind == "answer"
    result, best = decision.result, decision.answer
    assert best is not None
    assert (best.article.id, best.section.heading) == (article_id, section)
    assert snippet in best.text
    assert 0 < result.score <= 1


def test_candidates_are_the_top_five_best_first(kb: KnowledgeBase) -> None:
    result = kb.search("karier developer")
    scores = [c.score for c in result.candidates]
    assert len(scores) == 5
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)


@pytest.mark.parametrize(
    "question",
    [
        pytest.param("resep rendang padang yang enak", id="unknown-words"),
        pytest.param("???", id="no-words"),
        pytest.param("jadwal kereta ke bandung besok", id="unrelated"),
    ],
)
def test_out_of_scope_questions_are_declined(decide: Callable[[str], Decision], question: str) -> None:
    decision = decide(question)
    assert decision.kind == "none"
    assert decision.answer is None


def test_paragraph_choice_prefers_words_the_heading_does_not_already_hold(
    settings: Settings, write_corpus: WriteCorpus
) -> None:
    folder = write_corpus(
        {
            "a.md": article(
                "Docker",
                """
                #### Container dan Virtual Machine

                Container dan virtual machine sama-sama mengisolasi aplikasi.

                Container lebih ringan karena berbagi kernel dengan sistem host.
                """,
            )
        }
    )
    kb = KnowledgeBase.load(settings, folder)
    best = kb.search("container vs virtual machine, lebih ringan mana?").top
    assert best is not None and "berbagi kernel" in best.text


def test_related_articles_exclude_the_answers_article(kb: KnowledgeBase) -> None:
    result = kb.search("apa itu frontend developer")
    assert result.top is not None
    assert result.top.article.id == "2025-01-03-frontend"
    assert "2025-01-03-frontend" not in [a.id for a in result.related]


class TestNormalizer:
    @pytest.fixture
    def normalizer(self, settings: Settings) -> Normalizer:
        return Normalizer(settings.language)

    @pytest.mark.parametrize(
        ("text", "words"),
        [
            pytest.param("Gmn CARA jd dev?", ["bagaimana", "cara", "jadi", "developer"], id="slang-and-case"),
            pytest.param("langkah2 kata-kata", ["langkah", "kata"], id="reduplication"),
            pytest.param("🚀 UI/UX—keren!!!", ["ui", "ux", "keren"], id="emoji-and-punctuation"),
            pytest.param("back\u200bend caf\u00e9", ["backend", "cafe"], id="zero-width-and-accents"),
            pytest.param("penghasilan salary", ["gaji", "gaji"], id="synonyms"),
        ],
    )
    def test_words(self, normalizer: Normalizer, text: str, words: list[str]) -> None:
        assert normalizer.words(text) == words

    def test_terms_drop_stopwords_and_stem(self, normalizer: Normalizer) -> None:
        assert normalizer.terms("apa itu pelatihan jaringan yang bagus?") == ["latih", "jaring", "bagus"]


@pytest.mark.parametrize(
    "lead_rows",
    [
        pytest.param([[0, 1, 0], [0, 0, 1]], id="lead-words-among-the-passage-words"),
        pytest.param([[1, 1, 0], [0, 0, 1]], id="a-lead-word-the-passage-lacks"),
    ],
)
def test_lead_values_are_aligned_with_the_passage_matches(lead_rows: list[list[int]]) -> None:
    import numpy as np
    from scipy import sparse

    from bot.retrieval import _aligned

    match = sparse.csr_matrix(np.array([[0, 0.5, 0.25], [0.75, 0, 0.5]], dtype=np.float32))
    lead = sparse.csr_matrix(np.array(lead_rows, dtype=np.float32))
    joined, values = _aligned(match.copy(), lead)
    assert (joined.toarray() == match.toarray()).all()
    assert (sparse.csr_matrix((values, joined.indices, joined.indptr), shape=joined.shape).toarray() == lead).all()
