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

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from bot.articles import Article
from bot.intents import Intents
from bot.normalize import Normalizer, fold
from bot.repair import WordRepair
from bot.richtext import Passage, passage_text
from bot.sections import Section
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
    passage_evidence: float = 0.5  # how much a passage that fits the kind of question gains
    repair: bool = True  # informal forms, split compounds and typos mapped to known words
    title_headings: bool = False  # whether a heading restating the title counts as a heading
    passage_focus: bool = True  # passages chosen mostly by the words the heading does not hold
    heading_discount: float = 0.25  # weight, for choosing a passage, of a word the heading holds
    position_prior: float = 0.05  # how much a later passage must outscore an earlier one
    max_passages: int = 3  # passages an answer may join to cover the question's words
    pool: int = 20  # sections rescored with their passages
    related_pool: int = 60  # sections looked at for related articles
    related_floor: float = 0.5  # a related article scores at least this share of the answer's


@dataclass(frozen=True)
class Candidate:
    """A section considered for an answer, with its best passages (one, or two in page order)."""

    article: Article
    section: Section
    passages: tuple[int, ...]
    score: float

    @property
    def text(self) -> str:
        """The chosen passages as plain text."""
        return "\n\n".join(passage_text(self.section.passages[i]) for i in self.passages)

    @property
    def blocks(self) -> Passage:
        """The chosen passages with their structure."""
        return tuple(b for i in self.passages for b in self.section.passages[i])


@dataclass(frozen=True)
class Query:
    """A question as the index sees it: repaired words, matching terms, and its kinds."""

    text: str
    words: tuple[str, ...]
    unknown: tuple[str, ...]
    terms: tuple[str, ...]
    intents: tuple[str, ...]

    @property
    def coverage(self) -> float:
        """Share of the question's content words the articles know."""
        total = len(self.words) + len(self.unknown)
        return len(self.words) / total if total else 0.0


@dataclass(frozen=True)
class SearchResult:
    """What the retriever found for a question, and whether it is confident enough to answer."""

    question: str
    candidates: tuple[Candidate, ...]
    coverage: float
    answered: bool
    related: tuple[Article, ...] = ()

    @property
    def best(self) -> Candidate | None:
        """The answer, when there is one."""
        return self.candidates[0] if self.answered and self.candidates else None

    @property
    def score(self) -> float:
        """The top candidate's score, 0 when there is none."""
        return self.candidates[0].score if self.candidates else 0.0


def _identity(terms: list[str]) -> list[str]:
    return terms


class Retriever:
    """An index of (term, article), (term, section) and (term, passage) matches."""

    def __init__(
        self,
        articles: Sequence[Article],
        normalizer: Normalizer,
        settings: RetrievalSettings,
        intents: Mapping[str, IntentSettings] | None = None,
        method: Method | None = None,
    ) -> None:
        self.articles = tuple(articles)
        self.normalizer = normalizer
        self.settings = settings
        self.method = method or Method()
        self.intents = Intents(intents or {}, normalizer)
        docs = _Documents(self.articles, normalizer, self.intents, self.method.title_headings)
        self.counter = CountVectorizer(analyzer=_identity)
        self.counter.fit(docs.all_terms() or [["_"]])
        self.vocabulary: dict[str, int] = self.counter.vocabulary_
        self.repair = WordRepair(docs.known, normalizer.stem, self.vocabulary, normalizer.canonical)
        self.heading_phrases = docs.heading_phrases
        self.heading_terms = [frozenset(t) for t in docs.heading_and_title]
        self.section_article = np.asarray(docs.section_article, dtype=np.int64)
        self.section_index = np.asarray(docs.section_index, dtype=np.int64)
        self.passage_start = np.asarray(docs.passage_start, dtype=np.int64)
        self._build_matrices(docs)

    def _build_matrices(self, docs: _Documents) -> None:
        m = self.method
        count = self._counts
        n_sections = len(docs.section_article)
        to_article = sparse.csr_matrix(
            (np.ones(n_sections), (docs.section_article, np.arange(n_sections))),
            shape=(len(self.articles), n_sections),
        )
        heading, body = count(docs.heading), count(docs.section_body)
        section_match = _saturate({"heading": heading, "body": body}, m.section_fields, m)
        article_fields = {
            "title": count(docs.title),
            "headings": (to_article @ heading).tocsr(),
            "meta": count(docs.meta),
            "body": (to_article @ body).tocsr(),
        }
        article_match = _saturate(article_fields, m.article_fields, m)
        self.idf = _idf(_presence(article_match).sum(axis=0).A1, len(self.articles), m.idf)
        self.unknown_idf = float(_idf(np.zeros(1), len(self.articles), m.idf)[0])
        self.section_df = (to_article @ _presence(section_match)).tocsc()
        self.sections_per_article = to_article.sum(axis=1).A1
        self.passage_match = _saturate({"body": count(docs.passages)}, {"body": 1.0}, m)
        self.article_match = article_match.tocsc()
        self.section_match = section_match.tocsc()

    def _counts(self, docs: list[list[str]]) -> sparse.csr_matrix:
        if not docs:
            return sparse.csr_matrix((0, len(self.vocabulary)))
        return self.counter.transform(docs).astype(np.float64).tocsr()

    # Questions ------------------------------------------------------------------------------

    def analyze(self, question: str) -> Query:
        """Normalize, repair and classify a question."""
        words = [w for w in self.normalizer.content_words(question) if len(w) > 1 or w.isdigit()]
        known: list[str] = []
        unknown: list[str] = []
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
        terms = tuple(dict.fromkeys(t for t in map(self.normalizer.stem, known) if t in self.vocabulary))
        return Query(question, tuple(known), tuple(unknown), terms, self.intents.detect(question))

    def _fix(self, word: str) -> str | None:
        if not self.method.repair:
            return word if self.repair.is_known(word) else None
        fixed = self.repair.repair(word)
        return self.normalizer.canonical(fixed) if fixed and fixed != word else fixed

    def search(self, question: str, limit: int | None = None) -> SearchResult:
        """Rank sections for `question`; the result says whether the best one is an answer."""
        limit = limit or self.settings.candidates
        query = self.analyze(question)
        if not query.terms or not len(self.section_article):
            return SearchResult(question, (), query.coverage, False)
        article, share = self._section_scores(query)
        base = article * (1 - self.method.section_share + self.method.section_share * share)
        ranked = _top(base, max(limit, self.method.pool, self.method.related_pool))
        candidates = [self._candidate(int(n), float(article[n]), float(share[n]), query) for n in ranked[: max(limit, self.method.pool)]]
        candidates.sort(key=lambda c: -c.score)
        best = tuple(candidates[:limit])
        answered = (
            bool(best)
            and query.coverage >= self.settings.min_coverage
            and best[0].score >= self.settings.answer_threshold
            and self.intents.satisfied(query.intents, best[0].text)
        )
        return SearchResult(question, best, query.coverage, answered, self._related(best, ranked, base))

    def _section_scores(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """Per section: its article's match, and its share of that match."""
        ids = [self.vocabulary[t] for t in query.terms]
        weight = self.idf[ids]
        # Words no article holds weigh in as words of document frequency 0, so a question about
        # something the blog never mentions scores low.
        total = weight.sum() + len(query.unknown) * self.unknown_idf
        article = (self.article_match[:, ids] @ weight) / total
        owner = self.section_article
        local = self._local_weights(ids)[owner] * weight  # sections x terms
        present = (self.section_df[:, ids].toarray() > 0)[owner]
        reach = (local * present).sum(axis=1)
        hits = (local * self.section_match[:, ids].toarray()).sum(axis=1)
        share = np.divide(hits, reach, out=np.zeros(len(owner)), where=reach > 0)
        return article[owner], share

    def _local_weights(self, ids: list[int]) -> np.ndarray:
        """Within-article IDF: a term found in every section of an article tells them apart poorly."""
        if not self.method.local_idf:
            return np.ones((len(self.articles), len(ids)))
        df = self.section_df[:, ids].toarray()
        n = self.sections_per_article[:, None]
        return np.log((n + 1) / (df + 0.5)) / np.log((n + 1) / 0.5)

    def _candidate(self, n: int, article_score: float, share: float, query: Query) -> Candidate:
        """The section's best passages, and its score adjusted for the kind of question."""
        m = self.method
        a, s = int(self.section_article[n]), int(self.section_index[n])
        article = self.articles[a]
        section = article.sections[s]
        evidence = np.array([self.intents.evidence(query.intents, passage_text(p)) for p in section.passages], dtype=float)
        ids = [self.vocabulary[t] for t in query.terms]
        start, end = self.passage_start[n], self.passage_start[n + 1]
        matches = self.passage_match[start:end][:, ids].toarray() if end > start else np.zeros((0, len(ids)))
        # Words the heading or title already hold tell passages apart poorly; earlier passages
        # win ties, as a section usually opens with its point.
        focus = [m.heading_discount if m.passage_focus and t in self.heading_terms[n] else 1.0 for t in query.terms]
        weights = self.idf[ids] * np.asarray(focus)
        order = 1.0 / (1.0 + m.position_prior * np.arange(len(matches)))
        hits = matches @ weights
        # A passage that looks like an answer to the kind of question (a definition, a list of
        # steps) gains a share of the best passage's match.
        top = hits.max() if len(hits) and hits.max() > 0 else 1.0
        ranking = (hits + m.passage_evidence * top * evidence) * order
        best = int(np.argmax(ranking)) if len(ranking) else 0
        chosen = _cover(matches, self.idf[ids], best, m.max_passages)
        if query.intents:
            # The kind of question only decides among sections that match its words.
            fit = self.intents.fit(query.intents, self.heading_phrases[n], [passage_text(p) for p in section.passages])
            share *= 1 - m.intent_weight + m.intent_weight * fit
        score = article_score * (1 - m.section_share + m.section_share * share)
        return Candidate(article, section, chosen, min(1.0, score))

    def _related(self, best: tuple[Candidate, ...], ranked: np.ndarray, scores: np.ndarray) -> tuple[Article, ...]:
        """Other articles that match well, best first, excluding the answer's article."""
        if not best:
            return ()
        top = best[0].article.id
        floor = best[0].score * self.method.related_floor
        found: dict[str, Article] = {}
        for n in ranked:
            article = self.articles[int(self.section_article[n])]
            if article.id != top and scores[n] >= floor:
                found.setdefault(article.id, article)
        return tuple(found.values())[: self.settings.related_articles]


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


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` highest positive scores, best first."""
    k = min(k, len(scores))
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    part = part[scores[part] > 0]
    return part[np.argsort(-scores[part], kind="stable")]


class _Documents:
    """The term lists of every field, in index order, and the words seen."""

    def __init__(self, articles: tuple[Article, ...], normalizer: Normalizer, intents: Intents, title_headings: bool) -> None:
        self.known: Counter[str] = Counter()
        stem = normalizer.stem

        def terms(text: str) -> list[str]:
            words = normalizer.content_words(text)
            self.known.update(words)
            return [stem(w) for w in words]

        self.title = [terms(a.title) for a in articles]
        self.meta = [terms(" ".join((*a.tags, a.description))) for a in articles]
        self.heading: list[list[str]] = []
        self.heading_phrases: list[str] = []
        self.heading_and_title: list[list[str]] = []
        self.section_body: list[list[str]] = []
        self.passages: list[list[str]] = []
        self.section_article: list[int] = []
        self.section_index: list[int] = []
        self.passage_start: list[int] = [0]
        for a, article in enumerate(articles):
            for s, section in enumerate(article.sections):
                heading_text = " ".join((*section.parents, section.heading))
                heading = terms(heading_text)
                self.heading_and_title.append(heading + self.title[a])
                if not title_headings and fold(section.heading) == fold(article.title):
                    # A heading restating the title (or naming the intro) says nothing the
                    # article match has not counted already.
                    heading = []
                self.heading.append(heading)
                self.heading_phrases.append(intents.phrase(heading_text))
                body: list[str] = []
                for passage in section.passages:
                    passage_terms = terms(passage_text(passage))
                    self.passages.append(passage_terms)
                    body.extend(passage_terms)
                self.section_body.append(body)
                self.section_article.append(a)
                self.section_index.append(s)
                self.passage_start.append(len(self.passages))

    def all_terms(self) -> list[list[str]]:
        return self.title + self.meta + self.heading + self.section_body


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
    """BM25F: length-normalized, field-weighted term frequency, saturated into [0, 1)."""
    total: sparse.csr_matrix | None = None
    for name, counts in fields.items():
        lengths = counts.sum(axis=1).A1
        mean = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
        norm = 1 - m.length_norm + m.length_norm * lengths / mean
        scaled = sparse.diags(weights[name] / np.maximum(norm, 1e-9)) @ counts
        total = scaled if total is None else total + scaled
    assert total is not None
    total = total.tocsr()
    total.data = total.data / (total.data + m.saturation)
    return total
