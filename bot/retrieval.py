"""Rank article sections and their passages for a question with scikit-learn term statistics.

A question's terms are weighted by BM25's IDF over articles. Every (term, article) and (term,
section) pair has a precomputed match in [0, 1]: BM25F-style field-weighted term frequency,
saturated. A section scores by its article's match (the share of the question's weight the
article covers; words no article knows weigh in too) times a section factor: the share of
that matched weight the section itself covers, where words found in every section of the
article count less (a within-article IDF) and sections that fit the kind of question
(definition, steps, ...) keep more of it. Inside the best sections the answer passage is the
one holding the question's words that the heading and title do not already hold.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse

from bot.articles import Article
from bot.intents import Intents
from bot.normalize import Normalizer, fold, identity
from bot.repair import WordRepair
from bot.richtext import Passage, Span, passage_text, trim
from bot.sections import Section, heading_key
from bot.settings import IntentSettings, RetrievalSettings


@dataclass(frozen=True)
class Method:
    """The retrieval method's parts and constants; the defaults are the bot's, the rest is ablation."""

    # Field weights (BM25F): a term in a title or heading says more than one in the body.
    article_fields: Mapping[str, float] = field(
        default_factory=lambda: {"title": 3.0, "headings": 2.0, "meta": 1.5, "body": 1.0}
    )
    section_fields: Mapping[str, float] = field(default_factory=lambda: {"heading": 3.0, "body": 1.0})
    saturation: float = 1.0  # BM25's k1: how fast repeated mentions stop adding
    length_norm: float = 0.75  # BM25's b: how much a long body is discounted
    idf: Literal["bm25", "tfidf"] = "bm25"
    section_share: float = 0.5  # how much of a score depends on the section rather than the article
    local_idf: bool = True  # words in every section of an article tell its sections apart poorly
    intent_weight: float = 0.5  # share of its section factor a section that does not fit the question loses
    passage_evidence: float = 1.0  # scales what a passage that fits the kind of question gains (intents' `weight`)
    repair: bool = True  # informal forms, split compounds and typos mapped to known words
    unknown_weight: float = 1.0  # weight of a word no article holds, as a share of the rarest word's
    answer_heading: float = 0.3  # share a heading announcing the question's kind gains per share of its words it names
    title_headings: bool = False  # whether a heading restating the title counts as a heading
    passage_focus: bool = True  # passages chosen mostly by the words the heading does not hold
    heading_discount: float = 0.25  # weight, for choosing a passage, of a word the heading holds
    position_prior: float = 0.05  # how much a later passage must outscore an earlier one
    lead_weight: float = 0.5  # how much opening with the question's words counts, for a passage
    max_passages: int = 3  # passages an answer may join to cover the question's words
    pool: int = 20  # sections rescored with their passages
    related_pool: int = 60  # sections looked at for related articles
    related_floor: float = 0.5  # a related article scores at least this share of the answer's
    phrasing_match: float = 0.6  # share of IDF weight (both ways) from which a taught phrasing answers
    context_bonus: float = 0.25  # how much a follow-up favours the article the chat is about
    heading_bonus: float = 0.3  # how much a heading that alone (in its article) names a question word adds
    section_bonus: float = 0.1  # how much of a section share a follow-up adds to the section just shown
    # Share a section fitting the kind of question gains when no section of its article holds its words.
    kind_bonus: float = 0.1
    # Weight, for choosing the section and passage, of a word only in a clause that asks nothing.
    background_weight: float = 0.5


@dataclass(frozen=True)
class Candidate:
    """A section considered for an answer, with its best passages (one, or two in page order)."""

    article: Article
    section: Section
    passages: tuple[int, ...]
    score: float
    kinds: int = 0  # question kinds the chosen passages look like answers to (a bit mask)
    limit: int = 0  # characters shown at most (0: no limit)
    start: int = 0  # the block the shown text starts from when it is too long to show whole

    @property
    def text(self) -> str:
        """The shown passages as plain text."""
        return passage_text(self.blocks)

    @property
    def blocks(self) -> Passage:
        """The shown passages with their structure, within the length limit."""
        blocks = tuple(b for i in self.passages for b in self.section.passages[i])
        if not self.limit:
            return blocks
        if self.start:
            # The text leading to what answers ("Berikut alasannya:") stays, then what answers.
            lead = blocks[:1] if blocks[0].text.rstrip().endswith(":") and self.start > 1 else ()
            skipped = tuple(dataclasses.replace(b, spans=(*b.spans, Span(" …"))) for b in lead)
            blocks = (*skipped, *blocks[self.start :])
        return trim(blocks, self.limit)


@dataclass(frozen=True)
class Query:
    """A question as the index sees it: repaired words, matching terms, and its kinds."""

    text: str
    words: tuple[str, ...]
    unknown: tuple[str, ...]
    terms: tuple[str, ...]
    intents: tuple[str, ...]
    kinds: int = 0  # the intents as a bit mask
    background: frozenset[str] = frozenset()  # terms only in clauses that ask nothing ("aku lemah di mtk,")
    needs: int = 0  # kinds the first asking clause asks for: only those make evidence required

    @property
    def coverage(self) -> float:
        """Share of the question's content words the articles know."""
        total = len(self.words) + len(self.unknown)
        return len(self.words) / total if total else 0.0


@dataclass(frozen=True)
class SearchResult:
    """What the retriever found for a question: ranked sections, best first (no decision yet)."""

    question: str
    candidates: tuple[Candidate, ...]
    query: Query
    related: tuple[Article, ...] = ()

    @property
    def top(self) -> Candidate | None:
        """The best candidate, if any."""
        return self.candidates[0] if self.candidates else None

    @property
    def coverage(self) -> float:
        """Share of the question's content words the articles know."""
        return self.query.coverage

    @property
    def score(self) -> float:
        """The top candidate's score, 0 when there is none."""
        return self.candidates[0].score if self.candidates else 0.0


_CHUNK = 20_000  # documents counted at once
# Clause ends: commas, question marks ... and full stops that end a sentence (not "node.js").
_CLAUSE = re.compile(r"((?:[,;!?\n]|\.(?=\s|$))+)")
SCENE_WORDS = 3  # a shorter clause without a question is more likely a list item ("html, css dan js apa?")


class Retriever:
    """An index of (term, article), (term, section) and (term, passage) matches."""

    def __init__(
        self,
        articles: Sequence[Article],
        normalizer: Normalizer,
        settings: RetrievalSettings,
        intents: Mapping[str, IntentSettings] | None = None,
        method: Method | None = None,
        question_words: Sequence[str] = (),
        question_tags: Sequence[str] = (),
        chat_words: Sequence[str] = (),
    ) -> None:
        self.articles = tuple(articles)
        # Words of chat ("btw", "oke", "kak"): when no article holds them, they are not a topic
        # the blog lacks.
        self.chat_words = frozenset(w for phrase in chat_words for w in normalizer.words(phrase))
        self.question_tags = frozenset(w for q in question_tags for w in normalizer.words(q))
        self.asking = frozenset(w for q in question_words for w in normalizer.words(q)) - self.question_tags
        self.normalizer = normalizer
        self.settings = settings
        self.method = method or Method()
        self.intents = Intents(intents or {}, normalizer)
        docs = _Documents(self.articles, normalizer, self.intents, self.method.title_headings)
        docs.counts.finish()
        self.vocabulary: dict[str, int] = docs.counts.vocabulary
        self.repair = WordRepair(
            docs.known, normalizer.stem, self.vocabulary, normalizer.canonical, normalizer.spellings()
        )
        self.title_kinds = np.asarray([self.intents.title_mask(a.title) for a in self.articles], dtype=np.int64)
        self.heading_kinds = np.asarray(docs.heading_kinds, dtype=np.int64)
        self.heading_avoid = np.asarray(docs.heading_avoid, dtype=np.int64)
        self.passage_kinds = np.asarray(docs.passage_kinds, dtype=np.int64)
        self.passage_chars = np.asarray(docs.passage_chars, dtype=np.int64)  # shown length, for the window
        self.section_article = np.asarray(docs.section_article, dtype=np.int64)
        self.section_index = np.asarray(docs.section_index, dtype=np.int64)
        self.passage_start = np.asarray(docs.passage_start, dtype=np.int64)
        # Sections are stored article after article: article a owns section_start[a]:[a + 1].
        self.section_start = np.searchsorted(self.section_article, np.arange(len(self.articles) + 1))
        self.sections_per_article = np.diff(self.section_start)
        self._build_matrices(docs)
        self.phrasings: list[tuple[int, int, tuple[str, ...]]] = []
        self.phrasings = self._taught()

    def _build_matrices(self, docs: _Documents) -> None:
        """Precompute every (term, article|section|passage) match; float32 halves the memory."""
        m = self.method
        count = docs.counts.matrix
        n_sections = len(docs.section_article)
        to_article = _membership(docs.section_article, len(self.articles))
        owner = np.repeat(np.arange(n_sections), np.diff(docs.passage_start))
        passages = count("passages")
        body = (_membership(owner, n_sections) @ passages).tocsr()
        # The words a passage opens with (a passage that opens with the question's subject is about
        # it), as values beside the passage's matches, so one read of a passage's row gives both.
        self.passage_match, self.passage_lead = _aligned(
            _saturate({"body": passages}, {"body": 1.0}, m), _presence(count("lead")).tocsr()
        )
        del passages
        heading, title = count("heading"), count("title")
        # Which sections' headings name a term, and in how many headings of its article it is:
        # a heading that alone names a question's word points at its section.
        self.heading_rare = self._heading_rarity(_presence(heading).tocoo(), to_article)
        # What a heading (with its article's title) holds, to discount those words in passages.
        self.heading_terms = (heading + title[docs.section_article]).tocsr()
        article_fields = {
            "title": title,
            "headings": (to_article @ heading).tocsr(),
            "meta": count("meta"),
            "body": (to_article @ body).tocsr(),
        }
        # _saturate scales its inputs in place, so the article fields are summed first.
        section_match = _saturate({"heading": heading, "body": body}, m.section_fields, m)
        del heading, body
        article_match = _saturate(article_fields, m.article_fields, m)
        del article_fields
        self.idf = _idf(_presence(article_match).sum(axis=0).A1, len(self.articles), m.idf)
        self.unknown_idf = float(_idf(np.zeros(1), len(self.articles), m.idf)[0])
        self.section_df = (to_article @ _presence(section_match)).tocsc()
        self.article_match = article_match.tocsc()
        # Each matrix is dropped as soon as its converted copy exists: a large blog's peak memory.
        del article_match
        by_term = section_match.tocsc()
        del section_match
        # Heading rarity as values beside the section matches (a heading's words are the section's),
        # so one read of a term's column gives both; CSC arrays are those of the transpose's CSR.
        joined, self.heading_rare = _aligned(by_term.T, self.heading_rare.T.tocsr())
        del by_term
        self.section_match = joined.T.tocsc()
        starts = self.passage_start[:-1]
        has_passages = starts < self.passage_start[1:]
        self.section_kinds = np.zeros(n_sections, dtype=np.int64)
        if len(self.passage_kinds):
            self.section_kinds[has_passages] = np.bitwise_or.reduceat(self.passage_kinds, starts[has_passages])

    def _taught(self) -> list[tuple[int, int, tuple[str, ...]]]:
        """The phrasings editors taught, as (article, section number in the index, terms).

        A phrasing naming a heading the article does not have, or none, is answered from the
        section that best answers it.
        """
        taught = []
        for a, article in enumerate(self.articles):
            for phrasing in article.phrasings:
                s = self._heading_number(a, phrasing.section) if phrasing.section else None
                if s is None:
                    found = self.search(phrasing.text, within=a)
                    s = self.section_number(a, found.top.section.heading) if found.top else int(self.section_start[a])
                terms = tuple(dict.fromkeys(self.normalizer.terms(phrasing.text)))
                if terms and s is not None:
                    taught.append((a, int(s), terms))
        return taught

    def _heading_number(self, article: int, heading: str) -> int | None:
        """The section of an article whose heading is `heading` (compared without markup and case)."""
        wanted = heading_key(heading)
        for s, section in enumerate(self.articles[article].sections):
            if heading_key(section.heading) == wanted:
                return int(self.section_start[article]) + s
        return None

    def _phrasing_match(self, words: Sequence[str]) -> tuple[float, int]:
        """The best taught phrasing for a question's words: (similarity, section number).

        The similarity is the smaller of two shares of IDF weight: of the question's terms
        the phrasing holds, and of the phrasing's terms the question holds. So a question that
        only shares a rare word with a phrasing ("gaji NE" and "kerja jadi NE capek") stays apart.
        """
        if not self.phrasings:
            return 0.0, -1
        question = set(map(self.normalizer.stem, words))
        weight = self._term_weight
        total = sum(weight(t) for t in question)
        best = (0.0, -1)
        for _, section, terms in self.phrasings:
            shared = sum(weight(t) for t in question.intersection(terms))
            if not shared:
                continue
            similarity = min(shared / total, shared / sum(weight(t) for t in set(terms)))
            if similarity > best[0]:
                best = (similarity, section)
        return best

    def _term_weight(self, term: str) -> float:
        index = self.vocabulary.get(term)
        return float(self.idf[index]) if index is not None else self.unknown_idf

    # Questions ------------------------------------------------------------------------------

    def analyze(self, question: str) -> Query:
        """Normalize, repair and classify a question."""
        known: list[str] = []
        unknown: list[str] = []
        asked: set[str] = set()
        told: set[str] = set()
        questions: list[str] = []  # the clauses that ask, with words of their own
        for clause, asks in self._clauses(question):
            before = len(unknown)
            found = self._repaired(clause, unknown)
            known.extend(found)
            (asked if asks else told).update(map(self.normalizer.stem, (*found, *unknown[before:])))
            if asks and (found or unknown[before:]):
                questions.append(clause)
        terms = tuple(dict.fromkeys(t for t in map(self.normalizer.stem, known) if t in self.vocabulary))
        # A clause that asks nothing ("mau interview frontend nih,") sets the scene: its words
        # help find the article, but the section should answer the clause that asks, and its
        # words no article knows ("aku orangnya pemalu") say less about whether the blog answers.
        background = frozenset(told - asked) if asked & set(terms) else frozenset()
        intents = self.intents.detect(question)
        kinds = self.intents.mask(intents)
        # A word naming the kind of question ("roadmap", "step") says how to answer, not what
        # about: when no article holds it, it does not count against the blog's match.
        form = self.intents.cue_words(kinds)
        unknown = [w for w in unknown if w not in form and w not in self.chat_words]
        needs = kinds
        if kinds & self.intents.required and len(questions) > 1:
            # The first question asked is the main one: "vscode berat gak? trs bayar ga?" is
            # answerable even when the articles name no price, so a price there is evidence
            # that helps, not a must; "alamatnya di mana? bisa dateng?" still needs the address.
            needs = self.intents.mask(self.intents.detect(questions[0]))
        return Query(question, tuple(known), tuple(unknown), terms, intents, kinds, background, needs)

    def _clauses(self, question: str) -> list[tuple[str, bool]]:
        """The question's clauses, each with whether it asks (a question word, or a question mark)."""
        parts = _CLAUSE.split(question)
        clauses = []
        for text, mark in zip(parts[::2], [*parts[1::2], ""], strict=True):
            if text.strip():
                words = self.normalizer.words(text)
                asks = (
                    "?" in mark
                    or len(words) < SCENE_WORDS
                    or words[-1] in self.question_tags
                    or any(w in self.asking for w in words)
                )
                clauses.append((text, asks))
        return clauses

    def _repaired(self, text: str, unknown: list[str]) -> list[str]:
        """The known (repaired) content words of some text; words nothing knows go to `unknown`."""
        words = [w for w in self.normalizer.content_words(text) if len(w) > 1 or w.isdigit()]
        known: list[str] = []
        i = 0
        while i < len(words):
            pair = words[i : i + 2]
            joined = self.repair.join(*pair) if self.method.repair and len(pair) == 2 else None
            if joined and not all(map(self.repair.is_known, pair)):
                known.append(joined)
                i += 2
                continue
            fixed = self._fix(words[i])
            (known if fixed else unknown).append(fixed or words[i])
            i += 1
        return known

    def _fix(self, word: str) -> str | None:
        if not self.method.repair:
            return word if self.repair.is_known(word) else None
        fixed = self.repair.repair(word)
        if fixed == word:
            return self.repair.standard(word)
        return self.normalizer.canonical(fixed) if fixed and fixed != word else fixed

    def search(
        self,
        question: str,
        limit: int | None = None,
        prefer: int | None = None,
        subject: str = "",
        within: int | None = None,
        prefer_section: int | None = None,
    ) -> SearchResult:
        """Rank sections for `question`.

        For a follow-up, `subject` holds the words the chat's topic was named by and `prefer`
        the index of its article: they help choose the article, never the section within it.
        `within` ranks the sections of that one article only; `prefer_section` (a section's
        number in the index) is the section the chat's last answer came from.
        """
        m = self.method
        limit = limit or self.settings.candidates
        query = self.analyze(question)
        extra = self.analyze(subject).terms if subject else ()
        extra = tuple(t for t in extra if t not in query.terms)
        if not (query.terms or extra) or not len(self.section_article):
            if not query.terms and self.phrasings and len(self.section_article):
                # Words the articles lack may still be a phrasing editors taught.
                best, query = self._with_taught(
                    (),
                    query,
                    np.zeros(0, dtype=np.int64),
                    np.zeros(0),
                    np.full(max(len(self.vocabulary), 1), -1, dtype=np.int64),
                    within,
                    limit,
                )
                return SearchResult(question, best, query)
            return SearchResult(question, (), query)
        ids = np.array([self.vocabulary[t] for t in query.terms], dtype=np.int64)
        extra_ids = np.array([self.vocabulary[t] for t in extra], dtype=np.int64)
        need = max(limit, m.pool, m.related_pool)
        focus = self._focus(query, ids)
        sections, article, share, rare = self._section_scores(query, ids, focus, need, prefer, extra_ids, within)
        worded = self._worded(sections, share) if query.kinds else None
        if prefer_section is not None:
            # A follow-up is likelier about the section just shown than about its neighbours.
            share[sections == prefer_section] = np.minimum(1.0, share[sections == prefer_section] + m.section_bonus)
        base = self._combine(article, share)
        order = _top(base, need)
        ranked, ranked_base = sections[order], base[order]
        pool = order[: max(limit, m.pool)]
        if worded is not None:
            # The kind of question decides among sections that match its words, and alone where
            # no section of an article holds them ("bahas apa aja?" about a course).
            n = sections[pool]
            fit = self.intents.fit(query.kinds, self.heading_kinds[n], self.section_kinds[n], self.heading_avoid[n])
            bonus = np.where(worded[pool], 0.0, m.kind_bonus * np.maximum(fit, 0))
            # A heading announcing the kind of question about the question's own words ("Apa Itu
            # Container?" for "container di docker itu apa?") is the answer's own title.
            announced = (self.heading_kinds[n] & query.kinds) != 0
            named = (rare[pool] > 0) @ focus / focus.sum() if focus.sum() > 0 else np.zeros(len(pool))
            bonus = bonus + m.answer_heading * announced * named
            share[pool] = share[pool] * (1 - m.intent_weight + m.intent_weight * fit) + bonus
        scores = np.minimum(1.0, self._combine(article[pool], share[pool]))
        best_first = np.argsort(-scores, kind="stable")[:limit]
        position = _positions(ids, len(self.vocabulary))
        best = self._candidates(sections[pool[best_first]], scores[best_first], query, ids, focus, position)
        best, query = self._with_taught(best, query, ids, focus, position, within, limit)
        return SearchResult(question, best, query, self._related(best, ranked, ranked_base))

    def _worded(self, sections: np.ndarray, share: np.ndarray) -> np.ndarray:
        """Per section, whether some section of its article holds one of the question's own words."""
        owners = self.section_article[sections]
        worded = np.zeros(len(self.articles), dtype=bool)
        worded[owners[share > 0]] = True
        held: np.ndarray = worded[owners]
        return held

    def _with_taught(
        self,
        best: tuple[Candidate, ...],
        query: Query,
        ids: np.ndarray,
        focus: np.ndarray,
        position: np.ndarray,
        within: int | None,
        limit: int,
    ) -> tuple[tuple[Candidate, ...], Query]:
        """A question close to a taught phrasing is answered from its section (its words count as known)."""
        similarity, n = self._phrasing_match((*query.words, *query.unknown))
        if similarity < self.method.phrasing_match or (within is not None and int(self.section_article[n]) != within):
            return best, query
        taught = self._candidates(np.array([n]), np.array([similarity]), query, ids, focus, position)[0]
        others = tuple(c for c in best if c.section is not taught.section)
        known = set(self.phrasings_terms(n))
        unknown = tuple(w for w in query.unknown if self.normalizer.stem(w) not in known)
        moved = tuple(w for w in query.unknown if w not in unknown)
        query = dataclasses.replace(query, words=(*query.words, *moved), unknown=unknown)
        return (dataclasses.replace(taught, score=max(similarity, max((c.score for c in best), default=0.0))), *others)[
            :limit
        ], query

    def phrasings_terms(self, section: int) -> tuple[str, ...]:
        """Every term of the phrasings taught for one section."""
        return tuple(t for _, s, terms in self.phrasings if s == section for t in terms)

    def section_number(self, article: int, heading: str) -> int | None:
        """The index number of an article's section with this heading, if it has one."""
        for s, section in enumerate(self.articles[article].sections):
            if section.heading == heading:
                return int(self.section_start[article]) + s
        return None

    def _combine(self, article: np.ndarray, share: np.ndarray) -> np.ndarray:
        """A section's score: its article's match, weighed by the section's share of it."""
        return article * (1 - self.method.section_share + self.method.section_share * share)

    def _section_scores(
        self,
        query: Query,
        ids: np.ndarray,
        weight: np.ndarray,
        need: int,
        prefer: int | None = None,
        extra: np.ndarray | None = None,
        within: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The sections that may rank among the best `need`, their article's match, their share of it,
        and the rarity in its article's headings of each question term their heading holds (0: not held).

        `weight` is the question's terms' weights for the section share (see `_focus`); `extra`
        terms (a follow-up's subject) count for the article's match only.
        """
        both = np.concatenate((ids, extra)) if extra is not None and len(extra) else ids
        # Words no article holds weigh in as words of document frequency 0, so a question about
        # something the blog never mentions scores low.
        scene = self.method.background_weight
        unknown = sum(scene if self.normalizer.stem(w) in query.background else 1.0 for w in query.unknown)
        total = self.idf[both].sum() + unknown * self.unknown_idf * self.method.unknown_weight
        article_scores = _weighted_columns(self.article_match, both, self.idf[both]) / total
        if prefer is not None and 0 <= prefer < len(article_scores):
            # The chat's current article: a follow-up is first read as a question about it.
            article_scores[prefer] = min(1.0, article_scores[prefer] * (1 + self.method.context_bonus))
        titled = query.kinds & self.intents.titled
        if titled:
            # "ada pelatihan ethical hacking ga?" asks for a course page, not the article that
            # explains ethical hacking best.
            fits = (self.title_kinds & titled) != 0
            article_scores = article_scores * np.where(fits, 1.0, 1 - self.method.intent_weight)
        if within is not None:
            articles = np.array(
                [within] if 0 <= within < len(article_scores) and article_scores[within] > 0 else [], dtype=np.int64
            )
        else:
            articles = self._contenders(article_scores, need)
        counts = self.sections_per_article[articles]
        sections = _ranges(self.section_start[articles], self.section_start[articles + 1])
        (df,) = _dense_columns(self.section_df, ids, _positions(articles, len(self.articles)), len(articles))
        row = np.repeat(np.arange(len(articles)), counts)
        # Per article, then repeated for its sections: what a section can reach depends on its article only.
        local = self._local_weights(df, counts) * weight
        reach = (local * (df > 0)).sum(axis=1)[row]
        places = _positions(sections, len(self.section_article))
        matched, rare = _dense_columns(self.section_match, ids, places, len(sections), self.heading_rare)
        hits = (np.take(local, row, axis=0) * matched).sum(axis=1)
        share = np.divide(hits, reach, out=np.zeros(len(sections)), where=reach > 0)
        if self.method.heading_bonus and len(ids):
            share = np.minimum(1.0, share + self.method.heading_bonus * (rare @ weight) / weight.sum())
        return sections, article_scores[self.section_article[sections]], share, rare

    def _focus(self, query: Query, ids: np.ndarray) -> np.ndarray:
        """The IDF weights of the question's terms, lowered for words only in a clause that asks nothing."""
        weight = self.idf[ids]
        if query.background:
            scene = np.fromiter((t in query.background for t in query.terms), dtype=bool, count=len(query.terms))
            weight = np.where(scene, weight * self.method.background_weight, weight)
        return np.asarray(weight, dtype=np.float64)

    def _contenders(self, scores: np.ndarray, need: int) -> np.ndarray:
        """Articles whose sections may reach the best `need` (sorted by index).

        A section scores between (1 - section_share) and 1 times its article's score, so once
        the best articles hold `need` sections, an article scoring below that floor cannot win.
        """
        matched = np.flatnonzero(scores > 0)
        if not len(matched):
            return matched
        # Only the best few articles need sorting: every article has a section, so the best
        # `need` hold enough sections (a blog of empty articles falls back to sorting them all).
        # The floor is the score where the running count of sections reaches `need`, which
        # does not depend on how tied articles are ordered.
        order = matched
        if need < len(matched):
            order = matched[np.argpartition(-scores[matched], need - 1)[:need]]
        order = order[np.argsort(-scores[order], kind="stable")]
        sections = np.cumsum(self.sections_per_article[order])
        if sections[-1] < need and len(order) < len(matched):
            order = matched[np.argsort(-scores[matched], kind="stable")]
            sections = np.cumsum(self.sections_per_article[order])
        enough = int(np.searchsorted(sections, need))
        floor = (1 - self.method.section_share) * scores[order[min(enough, len(order) - 1)]]
        contenders: np.ndarray = matched[scores[matched] >= floor]
        return contenders

    def _heading_rarity(self, present: sparse.coo_matrix, to_article: sparse.csr_matrix) -> sparse.csc_matrix:
        """Per (section, term) of a heading: the within-article IDF of the term over the article's
        headings (precomputed: it depends on the articles only)."""
        df = (to_article @ present.tocsr()).tocsr()
        article = self.section_article[present.row]
        counts = np.asarray(df[article, present.col]).ravel() if present.nnz else np.zeros(0)
        n = self.sections_per_article[article]
        if self.method.local_idf:
            rarity = np.log((n + 1) / (counts + 0.5)) / np.log((n + 1) / 0.5)
        else:
            rarity = np.ones(present.nnz)
        return sparse.csc_matrix((rarity.astype(np.float32), (present.row, present.col)), shape=present.shape)

    def _local_weights(self, df: np.ndarray, sections: np.ndarray) -> np.ndarray:
        """Within-article IDF: a term found in every section of an article tells them apart poorly."""
        if not self.method.local_idf:
            return np.ones_like(df, dtype=float)
        n = sections[:, None]
        return np.log((n + 1) / (df + 0.5)) / np.log((n + 1) / 0.5)

    def _candidates(
        self,
        numbers: np.ndarray,
        scores: np.ndarray,
        query: Query,
        ids: np.ndarray,
        focus: np.ndarray,
        position: np.ndarray,
    ) -> tuple[Candidate, ...]:
        """Ranked sections with their best passages; `position` maps term ids to columns of `ids`,
        `focus` holds their weights.

        The passages of all the sections are read from the index at once.
        """
        starts, ends = self.passage_start[numbers], self.passage_start[numbers + 1]
        rows = _ranges(starts, ends)
        matches, leads = _dense_rows(self.passage_match, rows, position, len(ids), self.passage_lead)
        (held,) = _dense_rows(self.heading_terms, numbers, position, len(ids))
        bounds = np.concatenate(([0], np.cumsum(ends - starts))).tolist()
        return tuple(
            self._candidate(n, score, query, focus, matches[lo:hi], leads[lo:hi], held[k] > 0)
            for k, (n, score, lo, hi) in enumerate(
                zip(numbers.tolist(), scores.tolist(), bounds[:-1], bounds[1:], strict=True)
            )
        )

    def _candidate(
        self,
        n: int,
        score: float,
        query: Query,
        focus: np.ndarray,
        matches: np.ndarray,
        leads: np.ndarray,
        held: np.ndarray,
    ) -> Candidate:
        """A ranked section with its best passages, from its passages' matches and lead words of the question's
        terms (weighed by `focus`), and the terms its heading holds."""
        m = self.method
        a, s = int(self.section_article[n]), int(self.section_index[n])
        article = self.articles[a]
        start, end = int(self.passage_start[n]), int(self.passage_start[n + 1])
        kinds = self.passage_kinds[start:end]
        evidence = self.intents.evidence_gain(query.kinds, kinds)
        # Words the heading or title already hold tell passages apart poorly; earlier passages
        # win ties, as a section usually opens with its point.
        weights = focus * np.where(held & m.passage_focus, m.heading_discount, 1.0)
        hits = matches @ weights
        leads = leads @ weights
        # A passage that looks like an answer to the kind of question (a definition, a list of
        # steps) gains a share of the best passage's match.
        match = hits + m.lead_weight * leads
        top = match.max() if len(match) and match.max() > 0 else 1.0
        # A kind that requires evidence (a salary figure, a price) is decisive: the passage that
        # holds it is the answer.
        needed = ((kinds & query.kinds & self.intents.required) != 0).astype(float)
        ranking = (match + top * (m.passage_evidence * evidence + needed)) / (
            1.0 + m.position_prior * np.arange(len(hits))
        )
        best = int(np.argmax(ranking)) if len(ranking) else 0
        chosen = _cover(matches, focus, best, m.max_passages)
        section = article.sections[s]
        shown = _window(self.passage_chars[start:end].tolist(), chosen, best, self.settings.answer_max_chars)
        found = int(np.bitwise_or.reduce(kinds[list(shown)])) if end > start else 0
        limit = self.settings.answer_max_chars
        first = self._focus_block(section, shown, query, focus, limit)
        return Candidate(article, section, shown, score, found, limit, first)

    def _focus_block(
        self, section: Section, shown: tuple[int, ...], query: Query, focus: np.ndarray, limit: int
    ) -> int:
        """Where to start showing passages too long to show whole: 0, or the block holding the
        question's rarest words when the leading blocks that fit leave it out."""
        blocks = [b for i in shown for b in section.passages[i]]
        if not limit or sum(len(b.text) + 2 for b in blocks) <= limit:
            return 0
        weight = dict(zip(query.terms, focus.tolist(), strict=True))
        gains = [sum(weight.get(t, 0.0) for t in set(self.normalizer.terms(b.text))) for b in blocks]
        best = int(np.argmax(gains))
        if gains[best] <= gains[0] or len(trim(tuple(blocks), limit)) > best:
            return 0  # the opening already holds it, or shows it
        return best

    def _related(self, best: tuple[Candidate, ...], ranked: np.ndarray, scores: np.ndarray) -> tuple[Article, ...]:
        """Other articles that match well, best first, excluding the answer's article (scores follow `ranked`)."""
        if not best:
            return ()
        top = best[0].article.id
        floor = best[0].score * self.method.related_floor
        found: dict[str, Article] = {}
        wanted = self.settings.related_articles
        for a, score in zip(self.section_article[ranked].tolist(), scores.tolist(), strict=True):
            article = self.articles[a]
            if article.id != top and score >= floor:
                found.setdefault(article.id, article)
                if len(found) >= wanted:
                    break
        return tuple(found.values())[:wanted]


def _window(lengths: list[int], chosen: tuple[int, ...], best: int, budget: int) -> tuple[int, ...]:
    """The passages to show: the whole section when it fits `budget` characters, else the chosen
    passages (or the best alone) widened by their neighbours, following ones first, while they fit."""

    def size(items: Sequence[int]) -> int:
        return sum(lengths[i] for i in items) + 2 * max(0, len(items) - 1)

    # Characters before each passage, so a run of passages is sized without adding it up again.
    before = list(itertools.accumulate(lengths, initial=0))

    def run(first: int, last: int) -> int:
        return before[last + 1] - before[first] + 2 * (last - first)

    if run(0, len(lengths) - 1) <= budget:
        return tuple(range(len(lengths)))
    shown = sorted(chosen) if size(chosen) <= budget else [best]
    if run(shown[0], shown[-1]) > budget:
        return tuple(shown)  # passages too far apart to show what lies between them
    # Passages apart are shown with what lies between them: a list answers as a whole.
    lo, hi = shown[0], shown[-1]
    while True:
        grown = next(
            (w for w in ((lo, hi + 1), (lo - 1, hi)) if 0 <= w[0] and w[1] < len(lengths) and run(*w) <= budget),
            None,
        )
        if grown is None:
            return tuple(range(lo, hi + 1))
        lo, hi = grown


def _cover(matches: np.ndarray, weights: np.ndarray, best: int, limit: int) -> tuple[int, ...]:
    """The best passage, then passages holding question words the chosen ones lack ('CCR' and 'CRS')."""
    chosen = [best]
    if not len(matches):
        return (best,)
    covered = matches[best] > 0
    while len(chosen) < limit:
        gains = matches[:, ~covered] @ weights[~covered] if (~covered).any() else np.zeros(len(matches))
        gains[chosen] = 0
        other = int(np.argmax(gains))
        if gains[other] <= 0:
            break
        chosen.append(other)
        covered |= matches[other] > 0
    return tuple(sorted(chosen))


def _dense_rows(
    matrix: sparse.csr_matrix, rows: np.ndarray, position: np.ndarray, width: int, *aligned: np.ndarray
) -> list[np.ndarray]:
    """Dense matrix[rows] restricted to the question's terms (`position` maps a term id to its column or -1),
    and the same for each array of values `aligned` with the matrix's own."""
    lo, hi = matrix.indptr[rows], matrix.indptr[rows + 1]
    elements = _ranges(lo, hi)
    columns = position[matrix.indices[elements]]
    found = columns >= 0
    row = np.repeat(np.arange(len(rows)), hi - lo)[found]
    columns, elements = columns[found], elements[found]
    out = []
    for values in (matrix.data, *aligned):
        dense = np.zeros((len(rows), width), dtype=np.float32)
        dense[row, columns] = values[elements]
        out.append(dense)
    return out


def _dense_columns(
    matrix: sparse.csc_matrix, ids: np.ndarray, position: np.ndarray, height: int, *aligned: np.ndarray
) -> list[np.ndarray]:
    """Dense matrix[:, ids] restricted to some rows (`position` maps a row to its place or -1), and the same
    for each array of values `aligned` with the matrix's own.

    Reading the CSC arrays directly costs what the question's terms hold, not the matrix size.
    """
    out = [np.zeros((height, len(ids)), dtype=np.float32) for _ in range(1 + len(aligned))]
    for j, term in enumerate(ids.tolist()):
        lo, hi = matrix.indptr[term], matrix.indptr[term + 1]
        places = position[matrix.indices[lo:hi]]
        found = np.flatnonzero(places >= 0)
        rows = places[found]
        found += lo
        for dense, values in zip(out, (matrix.data, *aligned), strict=True):
            dense[rows, j] = values[found]
    return out


def _weighted_columns(matrix: sparse.csc_matrix, ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """matrix[:, ids] @ weights, reading only the nonzeros of those columns."""
    out = np.zeros(matrix.shape[0])
    for term, weight in zip(ids, weights, strict=True):
        lo, hi = matrix.indptr[term], matrix.indptr[term + 1]
        out[matrix.indices[lo:hi]] += matrix.data[lo:hi] * weight
    return out


def _positions(items: np.ndarray, size: int) -> np.ndarray:
    """An array mapping each of `items` (values below `size`) to its index, everything else to -1."""
    position = np.full(size, -1, dtype=np.int64)
    position[items] = np.arange(len(items))
    return position


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of arange(start, end) for each pair, without a Python loop."""
    lengths = ends - starts
    if not len(lengths) or not lengths.sum():
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return offsets + np.arange(lengths.sum())


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest positive scores, best first."""
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    part = part[scores[part] > 0]
    return part[np.argsort(-scores[part], kind="stable")]


class _Documents:
    """Count matrices of every field, in index order, and the words seen, made in one pass."""

    def __init__(
        self, articles: tuple[Article, ...], normalizer: Normalizer, intents: Intents, title_headings: bool
    ) -> None:
        self.known: Counter[str] = Counter()
        self.counts = _Counts()
        stem = normalizer.stem

        def terms(text: str) -> list[str]:
            words = normalizer.content_words(text)
            self.known.update(words)
            return [stem(w) for w in words]

        add = self.counts.add
        self.heading_kinds: list[int] = []
        self.heading_avoid: list[int] = []
        self.passage_kinds: list[int] = []
        self.passage_chars: list[int] = []
        self.section_article: list[int] = []
        self.section_index: list[int] = []
        self.passage_start: list[int] = [0]
        passages = 0
        for a, article in enumerate(articles):
            add("title", terms(article.title))
            add("meta", terms(" ".join((*article.tags, article.description))))
            for s, section in enumerate(article.sections):
                heading_text = " ".join((*section.parents, section.heading))
                heading = terms(heading_text)
                if not title_headings and fold(section.heading) == fold(article.title):
                    # A heading restating the title (or naming the intro) says nothing the
                    # article match has not counted already.
                    heading = []
                add("heading", heading)
                heading_phrase = intents.phrase(heading_text)
                self.heading_kinds.append(intents.heading_mask(heading_phrase))
                self.heading_avoid.append(intents.avoid_mask(heading_phrase))
                for passage in section.passages:
                    text = passage_text(passage)
                    self.passage_kinds.append(intents.evidence_mask(text))
                    self.passage_chars.append(len(text))
                    words = terms(text)
                    add("passages", words)
                    add("lead", _lead(passage, normalizer))
                    passages += 1
                self.section_article.append(a)
                self.section_index.append(s)
                self.passage_start.append(passages)


def _lead(passage: Passage, normalizer: Normalizer) -> list[str]:
    """The terms of a passage's opening words (of its first block that is not an introduction)."""
    opening = next((b.text for b in passage if not b.text.rstrip().endswith(":")), passage[0].text if passage else "")
    return normalizer.terms(" ".join(opening.split()[:LEAD_WORDS]))


LEAD_WORDS = 6


class _Counts:
    """Count matrices (documents x terms) made by scikit-learn's CountVectorizer, chunk by chunk.

    The vocabulary grows as chunks arrive, so term lists never pile up for the whole blog:
    CountVectorizer's memory grows with the tokens it counts at once.
    """

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self._pending: dict[str, list[list[str]]] = {}
        self._chunks: dict[str, list[sparse.csr_matrix]] = {}

    def add(self, name: str, terms: list[str]) -> None:
        pending = self._pending.setdefault(name, [])
        pending.append(terms)
        if len(pending) >= _CHUNK:
            self._flush(name)

    def _flush(self, name: str) -> None:
        from sklearn.feature_extraction.text import CountVectorizer  # only needed to build

        docs = self._pending.pop(name, [])
        if not docs:
            return
        vocabulary = self.vocabulary
        number = vocabulary.setdefault
        for terms in docs:
            for t in terms:
                number(t, len(vocabulary))
        counter = CountVectorizer(analyzer=identity, vocabulary=vocabulary or {"_": 0}, dtype=np.float32)
        self._chunks.setdefault(name, []).append(counter.transform(docs))

    def matrix(self, name: str) -> sparse.csr_matrix:
        """The field's counts (documents x terms), over the final vocabulary."""
        self._flush(name)
        width = max(len(self.vocabulary), 1)
        chunks = [_widen(c, width) for c in self._chunks.pop(name, [])]
        return sparse.vstack(chunks, format="csr") if chunks else sparse.csr_matrix((0, width), dtype=np.float32)

    def finish(self) -> None:
        """Count what is still pending, so the vocabulary is final."""
        for name in list(self._pending):
            self._flush(name)


def _widen(matrix: sparse.csr_matrix, width: int) -> sparse.csr_matrix:
    """The same counts over a vocabulary that grew since they were made."""
    return sparse.csr_matrix((matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], width))


def _membership(owner: Sequence[int] | np.ndarray, groups: int) -> sparse.csr_matrix:
    """A (groups x items) 0/1 matrix that sums items into their groups."""
    owner = np.asarray(owner, dtype=np.int64)
    ones = np.ones(len(owner), dtype=np.float32)
    return sparse.csr_matrix((ones, (owner, np.arange(len(owner)))), shape=(groups, len(owner)))


def _aligned(match: sparse.csr_matrix, lead: sparse.csr_matrix) -> tuple[sparse.csr_matrix, np.ndarray]:
    """`match` with an entry wherever `lead` has one (zero where only `lead` has it), and `lead`'s values
    aligned with those entries."""
    match.sum_duplicates()
    lead.sum_duplicates()
    place = _places(match, lead)
    if place is None:
        # Lead words are words of the passage, so this only guards against a tokenizer change.
        match = _union(match, lead)
        place = _places(match, lead)
        assert place is not None
    values = np.zeros(match.nnz, dtype=np.float32)
    values[place] = lead.data
    return match, values


_ALIGN_ROWS = 50_000  # rows aligned at once, so the keys of a large index never exist all together


def _places(match: sparse.csr_matrix, lead: sparse.csr_matrix) -> np.ndarray | None:
    """Where each entry of `lead` is among the entries of `match`, or None when `match` lacks one."""
    place = np.empty(lead.nnz, dtype=np.int64)
    for start in range(0, match.shape[0], _ALIGN_ROWS):
        end = min(start + _ALIGN_ROWS, match.shape[0])
        haystack, needles = _keys(match, start, end), _keys(lead, start, end)
        found = np.searchsorted(haystack, needles)
        if len(needles) and (found.max() >= len(haystack) or (haystack[found] != needles).any()):
            return None
        place[lead.indptr[start] : lead.indptr[end]] = found + match.indptr[start]
    return place


def _union(match: sparse.csr_matrix, lead: sparse.csr_matrix) -> sparse.csr_matrix:
    """`match` with an explicit zero wherever only `lead` has an entry."""
    rows, width = match.shape[0], max(match.shape[1], 1)
    ours = _keys(match, 0, rows)
    union = np.union1d(ours, _keys(lead, 0, rows))
    data = np.zeros(len(union), dtype=np.float32)
    data[np.searchsorted(union, ours)] = match.data
    indptr = np.concatenate(([0], np.cumsum(np.bincount(union // width, minlength=rows))))
    return sparse.csr_matrix((data, (union % width).astype(match.indices.dtype), indptr), shape=match.shape)


def _keys(matrix: sparse.csr_matrix, start: int, end: int) -> np.ndarray:
    """The entries of rows start:end of a canonical CSR matrix as row * width + column, in ascending order."""
    keys = np.repeat(np.arange(start, end, dtype=np.int64), np.diff(matrix.indptr[start : end + 1]))
    keys *= max(matrix.shape[1], 1)
    keys += matrix.indices[matrix.indptr[start] : matrix.indptr[end]]
    return keys


def _presence(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    ones = matrix.copy()
    ones.data[:] = 1.0
    return ones


def _idf(df: np.ndarray, n: int, kind: str) -> np.ndarray:
    """Inverse document frequency over articles."""
    if kind == "bm25":
        # BM25's IDF separates specific words from common ones more sharply than TF-IDF's.
        return np.log1p((n - df + 0.5) / (df + 0.5))
    return np.log((1 + n) / (1 + df)) + 1.0


def _saturate(fields: dict[str, sparse.csr_matrix], weights: Mapping[str, float], m: Method) -> sparse.csr_matrix:
    """BM25F: length-normalized, field-weighted term frequency, saturated into [0, 1).

    The count matrices are scaled in place (they are not used afterwards), which keeps the
    peak memory of indexing a large blog down.
    """
    total: sparse.csr_matrix | None = None
    for name, counts in fields.items():
        lengths = counts.sum(axis=1).A1
        mean = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
        norm = 1 - m.length_norm + m.length_norm * lengths / mean
        factors = (weights[name] / np.maximum(norm, 1e-9)).astype(np.float32)
        counts.data *= np.repeat(factors, np.diff(counts.indptr))
        total = counts if total is None else total + counts
    assert total is not None
    total = total.tocsr()
    total.data /= total.data + np.float32(m.saturation)
    return total
