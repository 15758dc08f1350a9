"""The answer decision: every gate, small talk, and follow-ups read with the chat's topic."""

from __future__ import annotations

import dataclasses

import pytest

from bot.context import MemoryContexts
from bot.decision import Answerer, judge
from bot.dialog import Dialog
from bot.knowledge import KnowledgeBase
from bot.retrieval import SearchResult
from bot.settings import Settings


@pytest.fixture
def answerer(settings: Settings, kb: KnowledgeBase) -> Answerer:
    return Answerer(kb, settings.retrieval, settings.language)


@pytest.fixture
def confident(kb: KnowledgeBase) -> SearchResult:
    """A real result the bot answers: the backend definition, clearly ahead of anything else."""
    return kb.search("apa itu backend developer?")


def scored(result: SearchResult, *scores: float) -> SearchResult:
    """The result with its candidates' scores replaced (best first)."""
    candidates = tuple(dataclasses.replace(c, score=s) for c, s in zip(result.candidates, scores, strict=False))
    return dataclasses.replace(result, candidates=candidates + result.candidates[len(scores) :])


class TestGates:
    """Each gate of `judge`, shown by a result that only that gate turns away."""

    def test_a_confident_result_is_an_answer(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        decision = judge(confident, settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason) == ("answer", "confident")
        assert decision.answer is confident.top

    def test_nothing_found_is_declined(self, confident: SearchResult, answerer: Answerer, settings: Settings) -> None:
        decision = judge(dataclasses.replace(confident, candidates=()), settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason, decision.answer) == ("none", "no match", None)

    def test_too_many_unknown_words_are_declined_whatever_the_score(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        query = dataclasses.replace(confident.query, unknown=("rendang", "padang", "santan"))
        assert query.coverage < settings.retrieval.min_coverage
        decision = judge(dataclasses.replace(scored(confident, 0.9), query=query), settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason) == ("none", "unknown words")

    def test_a_score_below_the_answer_threshold_is_declined(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        low = settings.retrieval.answer_threshold - 0.01
        decision = judge(scored(confident, low, low / 2), settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason) == ("none", "low score")

    def test_a_price_question_without_a_price_is_declined_with_the_contact_line(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        price = answerer.intents.mask(["price"])
        query = dataclasses.replace(confident.query, kinds=price, needs=price)
        decision = judge(dataclasses.replace(scored(confident, 0.9), query=query), settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason, decision.contact) == ("none", "no price", True)

    def test_a_nearly_as_good_section_that_shows_the_evidence_is_taken(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        price = answerer.intents.mask(["price"])
        query = dataclasses.replace(confident.query, kinds=price, needs=price)
        first, second, *rest = confident.candidates
        shown = dataclasses.replace(second, score=0.88, kinds=price)  # within EVIDENCE_MARGIN of 0.9
        result = dataclasses.replace(
            confident, query=query, candidates=(dataclasses.replace(first, score=0.9), shown, *rest)
        )
        decision = judge(result, settings.retrieval, answerer.intents)
        assert decision.kind == "answer" and decision.answer is shown

    def test_the_middle_band_offers_articles_to_pick(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        r = settings.retrieval
        middle = (r.answer_threshold + r.suggest_threshold) / 2
        second = next(i for i, c in enumerate(confident.candidates) if c.article.id != confident.top.article.id)
        scores = [middle] + [middle / 2] * (len(confident.candidates) - 1)
        decision = judge(scored(confident, *scores), settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason) == ("suggest", "middle band")
        assert decision.suggestions[:2] == (0, second)

    def test_another_article_nearly_as_good_offers_articles_to_pick(
        self, confident: SearchResult, answerer: Answerer, settings: Settings
    ) -> None:
        second = next(i for i, c in enumerate(confident.candidates) if c.article.id != confident.top.article.id)
        scores = [0.9] * (second + 1)
        scores[second] = 0.9 * (1 - settings.retrieval.close_margin / 2)
        decision = judge(scored(confident, *scores), settings.retrieval, answerer.intents)
        assert (decision.kind, decision.reason) == ("suggest", "close margin")

    def test_one_article_alone_in_the_middle_band_is_answered(
        self, kb: KnowledgeBase, answerer: Answerer, settings: Settings
    ) -> None:
        result = kb.search("apa itu backend developer?")
        same = tuple(c for c in result.candidates if c.article.id == result.top.article.id)
        r = settings.retrieval
        middle = (r.answer_threshold + r.suggest_threshold) / 2
        decision = judge(
            scored(dataclasses.replace(result, candidates=same), middle), settings.retrieval, answerer.intents
        )
        assert decision.kind == "answer"


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        pytest.param("halo", "greeting", id="hello"),
        pytest.param("selamat pagi kak", "greeting", id="good-morning"),
        pytest.param("makasih ya", "thanks", id="thanks"),
        pytest.param("makasih banyak kak, membantu bgt", "thanks", id="thanks-helpful"),
        pytest.param("oke deh, dadah", "goodbye", id="goodbye"),
        pytest.param("kamu bot ya?", "identity", id="are-you-a-bot"),
        pytest.param("bisa bantu apa aja?", "capabilities", id="what-can-you-do"),
        pytest.param("wkwkwk", "laughter", id="laughter"),
        pytest.param("ok sip", "acknowledgement", id="ok"),
        pytest.param("min mau nanya dong", "asking", id="about-to-ask"),
        pytest.param("kak", "asking", id="only-a-filler"),
    ],
)
def test_small_talk_gets_a_friendly_reply_from_the_settings(
    settings: Settings, kb: KnowledgeBase, message: str, kind: str
) -> None:
    dialog = Dialog(settings, kb)
    turn = dialog.turn(message)
    assert turn.decision is not None and (turn.decision.kind, turn.decision.chat) == ("chat", kind)
    assert turn.reply.kind == "chat"
    assert turn.reply.text in settings.texts.smalltalk[kind]
    assert dialog.turn(message).reply.text == turn.reply.text  # the same message, the same variant


def test_a_question_after_thanks_is_answered(settings: Settings, kb: KnowledgeBase) -> None:
    dialog = Dialog(settings, kb)
    dialog.ask("apa itu backend developer?", chat="c")
    turn = dialog.turn("makasih, terus gajinya brp?", chat="c")
    assert turn.decision is not None and turn.decision.kind == "answer"
    assert turn.reply.blocks[0].text == "Gaji Backend Developer"


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("mau nanya, gaji backend brp?", id="announced-then-asked"),
        pytest.param("boleh tanya soal backend developer", id="announced-subject-without-question-mark"),
    ],
)
def test_a_question_after_announcing_one_is_answered(settings: Settings, kb: KnowledgeBase, message: str) -> None:
    turn = Dialog(settings, kb).turn(message)
    assert turn.decision is not None and turn.decision.kind == "answer"
    assert turn.decision.answer is not None and "backend" in turn.decision.answer.article.id


class TestFollowUps:
    def test_a_follow_up_keeps_the_topic(self, settings: Settings, kb: KnowledgeBase) -> None:
        dialog = Dialog(settings, kb)
        assert dialog.ask("apa itu backend developer?", chat="c").blocks[0].text == "Apa Itu Backend Developer?"
        turn = dialog.turn("terus gajinya berapa?", chat="c")
        assert turn.decision is not None and turn.decision.follows
        assert turn.reply.blocks[0].text == "Gaji Backend Developer"
        alone = Dialog(settings, kb).turn("terus gajinya berapa?", chat="other")
        assert alone.decision is not None and not alone.decision.follows
        assert alone.reply.blocks[:1] != turn.reply.blocks[:1]  # without the topic it is another question

    def test_each_chat_has_its_own_topic(self, settings: Settings, kb: KnowledgeBase) -> None:
        dialog = Dialog(settings, kb)
        dialog.ask("apa itu backend developer?", chat="a")
        dialog.ask("tugas network engineer apa?", chat="b")
        assert dialog.ask("terus gajinya berapa?", chat="a").blocks[0].text == "Gaji Backend Developer"
        assert dialog.ask("terus gajinya berapa?", chat="b").blocks[0].text == "Berapa Gaji Network Engineer?"

    def test_a_complete_new_question_switches_topic(self, settings: Settings, kb: KnowledgeBase) -> None:
        dialog = Dialog(settings, kb)
        dialog.ask("gaji backend developer", chat="c")
        turn = dialog.turn("kalau framework frontend yang populer apa?", chat="c")
        assert turn.reply.blocks[0].text == "Framework Frontend"
        assert dialog.ask("terus apa itu?", chat="c").blocks[0].text != "Apa Itu Backend Developer?"

    def test_a_follow_up_naming_a_new_subject_switches_to_it(self, settings: Settings, kb: KnowledgeBase) -> None:
        dialog = Dialog(settings, kb)
        dialog.ask("gaji backend developer", chat="c")
        turn = dialog.turn("terus frontend developer?", chat="c")  # a follow-up sign, but a subject of its own
        assert turn.decision is not None and not turn.decision.follows
        assert turn.reply.blocks[0].text == "Apa Itu Frontend Developer?"

    def test_a_follow_up_whose_words_the_topic_article_lacks_is_not_answered_from_it(
        self, settings: Settings, kb: KnowledgeBase
    ) -> None:
        dialog = Dialog(settings, kb)
        dialog.ask("gaji backend developer", chat="c")
        reply = dialog.ask("kalo react?", chat="c")  # the backend article never mentions React
        assert reply.kind == "no_answer"

    def test_a_follow_up_the_blog_cannot_answer_is_declined_with_the_contact_line(
        self, settings: Settings, kb: KnowledgeBase
    ) -> None:
        contact = "wa.me/6281200000000"
        with_contact = dataclasses.replace(settings, site=dataclasses.replace(settings.site, contact=contact))
        dialog = Dialog(with_contact, kb)
        dialog.ask("tugas network engineer apa?", chat="c")
        reply = dialog.ask("biayanya brp kak?", chat="c")
        assert reply.kind == "no_answer"
        assert with_contact.texts.no_answer_contact.format(contact=contact) in reply.text

    def test_a_one_word_message_asks_about_the_topic(self, settings: Settings, kb: KnowledgeBase) -> None:
        dialog = Dialog(settings, kb)
        dialog.ask("apa itu frontend developer?", chat="c")
        turn = dialog.turn(
            "gaji?", chat="c"
        )  # the frontend article names no pay: declined, not another article's salary
        assert turn.decision is not None and (turn.decision.kind, turn.decision.follows) == ("none", True)
        alone = Dialog(settings, kb).turn("gaji?", chat="other")
        assert alone.decision is not None and alone.decision.kind != "none"

    def test_the_topic_is_forgotten_after_a_while(self, settings: Settings, kb: KnowledgeBase) -> None:
        now = [1000.0]
        contexts = MemoryContexts(seconds=15 * 60, limit=10, clock=lambda: now[0])
        dialog = Dialog(settings, kb, contexts=contexts)
        dialog.ask("apa itu backend developer?", chat="c")
        assert contexts.get("c") is not None
        now[0] += 16 * 60
        assert contexts.get("c") is None
        assert dialog.turn("terus gajinya berapa?", chat="c").decision.follows is False  # type: ignore[union-attr]  # an answer or a follow-up is what the test expects

    def test_contexts_are_bounded_in_number(self, settings: Settings, kb: KnowledgeBase) -> None:
        contexts = MemoryContexts(seconds=900, limit=2)
        dialog = Dialog(settings, kb, contexts=contexts)
        for chat in ("a", "b", "c"):
            dialog.ask("apa itu backend developer?", chat=chat)
        assert len(contexts) == 2 and contexts.get("a") is None


@pytest.mark.parametrize(
    ("message", "leans"),
    [
        pytest.param("terus gajinya?", True, id="connector-and-pointing-suffix"),
        pytest.param("contohnya di kehidupan sehari-hari?", True, id="idiom-opening-the-message"),
        pytest.param("kerja backend developer contohnya ngapain aja?", False, id="idiom-inside-a-question"),
        pytest.param("apa itu docker container?", False, id="a-complete-question"),
    ],
)
def test_signs_that_a_message_leans_on_the_last_answer(answerer: Answerer, message: str, leans: bool) -> None:
    assert answerer.leans(message) is leans
