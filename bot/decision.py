"""The answer decision: answer, suggest articles, decline, or small talk, made in one place.

Every adapter (terminal, Telegram, `ask --json`, `eval`) shows what this module decides, so
what is measured is what users see. A question is read on its own and, when the chat has a
recent topic, also together with that topic's subject; follow-up signs ("terus", "-nya",
"itu") and the two readings' scores say which reading the user meant.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Literal

from bot.context import Topic
from bot.intents import Intents
from bot.knowledge import KnowledgeBase
from bot.normalize import Normalizer
from bot.privacy import EMAIL_MASK, PHONE_MASK, mask_personal
from bot.retrieval import Candidate, SearchResult
from bot.settings import LanguageSettings, RetrievalSettings
from bot.smalltalk import SmallTalkDetector

Kind = Literal["answer", "suggest", "none", "chat"]

# A follow-up sign is overruled when the question read alone answers from another article and
# scores this much better than read with the chat's topic: the user changed the subject.
SWITCH_MARGIN = 0.15
# Without a follow-up sign, the reading with the chat's topic is taken when it answers from the
# topic's article and scores nearly as well (within this share) as the question read alone.
KEEP_MARGIN = 0.1
# A question needing evidence (a price, a name) takes a section showing it that scores at least
# this share of the best one.
EVIDENCE_MARGIN = 0.9
# Letters a word with a pointing suffix must have left to point back ("apanya" does, "nya" alone not).
POINTED_LETTERS = 3
# Words of a topic's subject carried from one question to the next.
SUBJECT_WORDS = 6


@dataclass(frozen=True)
class Decision:
    """What the bot does with a message, and why (`reason` names the gate that decided)."""

    kind: Kind
    question: str
    result: SearchResult | None = None
    reason: str = ""
    chat: str | None = None  # the kind of small talk
    contact: bool = False  # a decline the team's contact line helps with (price, schedule ...)
    follows: bool = False  # read together with the chat's topic
    subject: str = ""  # the subject words the reading used (carried to the next question)
    suggestions: tuple[int, ...] = field(default=())  # candidates offered by "Maksud kamu"

    @property
    def answer(self) -> Candidate | None:
        """The section shown (for a suggestion: the best candidate), else None."""
        if self.kind in ("answer", "suggest") and self.result is not None:
            return self.result.top
        return None


def distinct_articles(result: SearchResult) -> list[int]:
    """The index of the first candidate of each distinct article, best first."""
    seen: dict[str, int] = {}
    for i, c in enumerate(result.candidates):
        seen.setdefault(c.article.id, i)
    return list(seen.values())


def judge(result: SearchResult, settings: RetrievalSettings, intents: Intents) -> Decision:
    """The gates, in order, over one reading of a question."""
    q = result.question
    top = result.top
    contact = bool(result.query.kinds & intents.contact)
    if top is None:
        return Decision("none", q, result, "no match", contact=contact)
    if result.coverage < settings.min_coverage:
        return Decision("none", q, result, "unknown words", contact=contact)
    if top.score < settings.answer_threshold:
        return Decision("none", q, result, "low score", contact=contact)
    missing = intents.missing(result.query.needs, top.kinds)
    if missing:
        # A question that needs evidence (a name, a price) takes a nearly as good section that
        # shows it over the best one that does not.
        shows = next(
            (
                c
                for c in result.candidates[1:]
                if not intents.missing(result.query.needs, c.kinds) and c.score >= top.score * EVIDENCE_MARGIN
            ),
            None,
        )
        if shows is not None:
            result = dataclasses.replace(result, candidates=(shows, *(c for c in result.candidates if c is not shows)))
            return judge(result, settings, intents)
    if missing:
        return Decision(
            "none", q, result, "no " + "/".join(intents.kinds_of(missing)), contact=bool(missing & intents.contact)
        )
    articles = distinct_articles(result)
    if len(articles) > 1:
        if top.score < settings.suggest_threshold:
            return Decision("suggest", q, result, "middle band", suggestions=tuple(articles[:3]))
        if result.candidates[articles[1]].score >= top.score * (1 - settings.close_margin):
            return Decision("suggest", q, result, "close margin", suggestions=tuple(articles[:3]))
    return Decision("answer", q, result, "confident")


class Answerer:
    """Decides what to do with each message of a chat, over one knowledge base."""

    def __init__(self, knowledge: KnowledgeBase, retrieval: RetrievalSettings, language: LanguageSettings) -> None:
        self.knowledge = knowledge
        self.settings = retrieval
        normalizer: Normalizer = knowledge.normalizer
        self.normalizer = normalizer
        self.intents = knowledge.retriever.intents
        self.smalltalk = SmallTalkDetector(language, normalizer)
        follow = language.followup
        self._connectors = [tuple(normalizer.words(c)) for c in follow.connectors]
        self._pointers = frozenset(normalizer.words(" ".join(follow.pointers)))
        self._idioms = frozenset(w.casefold() for w in follow.idioms)
        self._switches = [tuple(normalizer.words(c)) for c in follow.switches]
        self._quiet = frozenset(normalizer.words(" ".join(language.stopwords)))

    def decide(self, question: str, topic: Topic | None = None) -> Decision:
        """What to do with `question`, given the chat's current topic (if any)."""
        # A phone number or e-mail address says nothing about the question: left out of the search.
        question = _without_personal(question)
        talk = self.smalltalk.read(question)
        if talk.only:
            return Decision("chat", question, reason="small talk", chat=talk.kind)
        text = talk.rest
        alone = self._reading(text, None)
        if topic is None or self._starts(text, self._switches):
            return alone
        together = self._reading(text, topic)
        # The question's own words (without the topic's subject), read in the article the
        # topic's reading answers from: once, for both checks below.
        own = self._own_reading(text, together)
        if own is not None and own.query.terms and own.top is None:
            # The topic's words found an article that holds none of the question's own words
            # ("kalo react?" after a question on backend developers): not an answer to it.
            together = dataclasses.replace(together, kind="none", reason="follow-up not answered")
        if self.leans(text):
            switched = (
                alone.kind == "answer"
                and alone.answer is not None
                and alone.answer.article.id != topic.article
                and alone.answer.score >= _score(together) * (1 + SWITCH_MARGIN)
                and self._names_subject(alone)
            )
            return alone if switched else together
        # Without a sign, the topic is kept when its own article answers by the question's own words.
        kept = (
            together.kind == "answer"
            and together.answer is not None
            and together.answer.article.id == topic.article
            and together.answer.score >= _score(alone) * (1 - KEEP_MARGIN)
            and own is not None
            and judge(own, self.settings, self.intents).kind == "answer"
        )
        return together if kept else alone

    def _own_reading(self, text: str, reading: Decision) -> SearchResult | None:
        """The question alone, within the article an answering reading answers from."""
        if reading.kind != "answer" or reading.answer is None:
            return None
        index = self.knowledge.article_index(reading.answer.article.id)
        return self.knowledge.search(text, within=index) if index is not None else None

    def _names_subject(self, alone: Decision) -> bool:
        """Whether the article a question finds alone has one of its words in its title: only
        then does the question name a new subject ("kalo node.js?" does, "gaji?" does not)."""
        answer = alone.answer
        if answer is None or alone.result is None:
            return False
        query = alone.result.query
        # The words that say what kind of question it is ("pelatihan" in "ada pelatihan buat
        # belajar itu?") name no subject.
        kind_terms = {self.normalizer.stem(w) for w in self.intents.cue_words(query.kinds)}
        # Nor do words pointing back at the topic ("cara kerjanya?": the topic's workings).
        pointed = {
            self.normalizer.stem(bare) for w in self.normalizer.words(alone.question) if (bare := self._pointed(w))
        }
        named = set(query.terms) - kind_terms - pointed
        return bool(named & set(self.normalizer.terms(answer.article.title)))

    def leans(self, text: str) -> bool:
        """Whether a message carries a sign that it leans on what was said before.

        Signs: a connector first ("terus", "kalau"), a pointer at the end ("belajar itu ga?"),
        a word with a pointing suffix ("gajinya"; an idiom such as "contohnya" only when it opens
        the message), or a single word of content ("bisa online ga?").
        """
        words = self.normalizer.words(text)
        if self._starts(text, self._connectors) or len(self.normalizer.content_words(text)) <= 1:
            return True
        for i, w in enumerate(words):
            if w in self._pointers and all(x in self._quiet for x in words[i + 1 :]) and i > 0:
                return True
            if self._pointed(w, opening=i == 0):
                return True
        return False

    def _pointed(self, word: str, opening: bool = False) -> str | None:
        """The word without its pointing suffix when it points back ("gajinya" -> "gaji"); an
        idiom ("contohnya") points back only when it opens the message."""
        if word in self._idioms and not opening:
            return None
        bare = self.normalizer.bare(word, POINTED_LETTERS)
        return bare if bare != word else None

    def topic(self, decision: Decision, owner: str | None, previous: Topic | None) -> Topic | None:
        """The chat's topic after `decision`: a new answer sets it, anything else keeps it."""
        answer = decision.answer
        if decision.kind != "answer" or answer is None:
            return previous
        article = answer.article
        named = set(
            self.normalizer.terms(" ".join((article.title, *article.tags, article.description, answer.section.heading)))
        )
        words = [w for w in decision.result.query.words if self.normalizer.stem(w) in named] if decision.result else []
        if decision.follows and previous is not None and previous.article == article.id:
            words = [*previous.subject.split(), *words]
        if not words:
            words = self.normalizer.content_words(article.title)
        subject = " ".join(list(dict.fromkeys(words))[:SUBJECT_WORDS])
        return Topic(article.id, answer.section.heading, subject, owner, time.time())

    def _reading(self, text: str, topic: Topic | None) -> Decision:
        if topic is None:
            result = self.knowledge.search(text)
            return judge(result, self.settings, self.intents)
        prefer = self.knowledge.article_index(topic.article)
        question, named = self._naming_topic(text, prefer)
        subject = " ".join((topic.subject, *named))
        result = self.knowledge.search(question, prefer=prefer, subject=subject, section=topic.section)
        decision = judge(result, self.settings, self.intents)
        return Decision(
            decision.kind,
            text,
            result,
            decision.reason,
            contact=decision.contact,
            follows=True,
            subject=topic.subject,
            suggestions=decision.suggestions,
        )

    def _naming_topic(self, text: str, article: int | None) -> tuple[str, list[str]]:
        """The message without the words that point back at the topic by its title's words
        ("trainingnya bahas apa aja?" after a training: "training" names the topic, the rest
        asks), and those words: they help find the article, not the section."""
        if article is None:
            return text, []
        title = set(self.normalizer.terms(self.knowledge.articles[article].title))
        kept: list[str] = []
        named: list[str] = []
        for w in self.normalizer.words(text):
            bare = self.normalizer.bare(w)
            pointing = bare != w and w not in self._idioms
            names = pointing and bool(set(self.normalizer.terms(bare)) & title)
            (named if names else kept).append(bare if pointing else w)
        if not named or not self.normalizer.content_words(" ".join(kept)):
            return text, []
        return " ".join(kept), named

    def _starts(self, text: str, phrases: list[tuple[str, ...]]) -> bool:
        words = tuple(self.normalizer.words(text))
        return any(p and words[: len(p)] == p for p in phrases)


def _without_personal(text: str) -> str:
    return mask_personal(text).replace(PHONE_MASK, " ").replace(EMAIL_MASK, " ")


def _score(decision: Decision) -> float:
    return decision.result.score if decision.result is not None else 0.0
