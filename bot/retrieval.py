"""Rank article sections and their passages for a question with scikit-learn term statistics.

A question's terms are weighted by IDF. Every (term, article) and (term, section) pair has a
precomputed match in [0, 1]: BM25F-style field-weighted term frequency, saturated. A section's
score is the article's match (share of the question's weight the article covers) times a
section factor (share of the article's matched weight this section covers, with terms that
appear in every section of the article counting less). The best passage of the section is
the one matching most of the question's words that its heading and title do not already hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from bot.articles import Article
from bot.normalize import Normalizer
from bot.richtext import Passage, passage_text
from bot.sections import Section
from bot.settings import RetrievalSettings

# Field weights (BM25F): a term in a title or heading says more than one in the body.
ARTICLE_FIELDS = {"title": 3.0, "headings": 2.0, "meta": 1.5, "body": 1.0}
SECTION_FIELDS = {"heading": 3.0, "body": 1.0}
SATURATION = 1.0  # BM25's k1: how fast repeated mentions stop adding
LENGTH_NORM = 0.75  # BM25's b: how much a long body is discounted
SECTION_SHARE = 0.5  # how much of a score depends on the section rather than the article
RELATED_POOL = 50  # sections looked at for related articles
RELATED_FLOOR = 0.5  # a related article scores at least this share of the answer's score


@dataclass(frozen=True)
class Candidate:
    """A section considered for an answer, with its best passage."""

    article: Article
    section: Section
    passage: int
    score: float

    @property
    def text(self) -> str:
        """The chosen passage as plain text."""
        return passage_text(self.section.passages[self.passage])

    @property
    def blocks(self) -> Passage:
        """The chosen passage with its structure."""
        return self.section.passages[self.passage]


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

    def __init__(self, articles: Sequence[Article], normalizer: Normalizer, settings: RetrievalSettings) -> None:
        self.articles = tuple(articles)
        self.normalizer = normalizer
        self.settings = settings
        docs = _Documents(self.articles, normalizer)
        self.counter = CountVectorizer(analyzer=_identity)
        self.counter.fit(docs.all_terms() or [["_"]])
        self.vocabulary: dict[str, int] = self.counter.vocabulary_
        count = self._counts
        self.section_article = np.asarray(docs.section_article, dtype=np.int64)
        self.section_index = np.asarray(docs.section_index, dtype=np.int64)
        self.passage_start = np.asarray(docs.passage_start, dtype=np.int64)
        to_article = sparse.csr_matrix(
            (np.ones(len(docs.section_article)), (docs.section_article, np.arange(len(docs.section_article)))),
            shape=(len(self.articles), len(docs.section_article)),
        )
        heading, body = count(docs.heading), count(docs.section_body)
        self.section_match = _saturate({"heading": heading, "body": body}, SECTION_FIELDS)
        self.article_match = _saturate(
            {
                "title": count(docs.title),
                "headings": (to_article @ heading).tocsr(),
                "meta": count(docs.meta),
                "body": (to_article @ body).tocsr(),
            },
            ARTICLE_FIELDS,
        )
        present = self.article_match.copy()
        present.data[:] = 1.0
        df = np.asarray(present.sum(axis=0)).ravel()
        self.idf = np.log((1 + len(self.articles)) / (1 + df)) + 1.0
        in_section = self.section_match.copy()
        in_section.data[:] = 1.0
        self.section_df = (to_article @ in_section).tocsc()
        self.sections_per_article = np.asarray(to_article.sum(axis=1)).ravel()
        self.passage_match = _saturate({"body": count(docs.passages)}, {"body": 1.0})
        self.heading_terms = [frozenset(t) for t in docs.heading_and_title]
        self.article_match = self.article_match.tocsc()
        self.section_match = self.section_match.tocsc()

    def _counts(self, docs: list[list[str]]) -> sparse.csr_matrix:
        if not docs:
            return sparse.csr_matrix((0, len(self.vocabulary)))
        return self.counter.transform(docs).astype(np.float64).tocsr()

    def search(self, question: str, limit: int | None = None) -> SearchResult:
        """Rank sections for `question`; the result says whether the best one is an answer."""
        limit = limit or self.settings.candidates
        words = [w for w in self.normalizer.content_words(question) if len(w) > 1]
        known = [w for w in words if self.normalizer.stem(w) in self.vocabulary]
        coverage = len(known) / len(words) if words else 0.0
        terms = list(dict.fromkeys(t for t in self.normalizer.terms(question) if t in self.vocabulary))
        if not terms or not len(self.section_article):
            return SearchResult(question, (), coverage, False)
        scores = self._section_scores(terms, words)
        order = np.argsort(-scores, kind="stable")[: max(limit, RELATED_POOL)]
        order = order[scores[order] > 0]
        candidates = tuple(self._candidate(int(n), float(scores[n]), terms) for n in order[:limit])
        answered = (
            bool(candidates)
            and coverage >= self.settings.min_coverage
            and candidates[0].score >= self.settings.answer_threshold
        )
        return SearchResult(question, candidates, coverage, answered, self._related(order, scores))

    def _related(self, order: np.ndarray, scores: np.ndarray) -> tuple[Article, ...]:
        """Other articles that match well, best first, excluding the top candidate's article."""
        if not len(order):
            return ()
        top = self.section_article[order[0]]
        floor = scores[order[0]] * RELATED_FLOOR
        found: dict[int, None] = {}
        for n in order:
            a = int(self.section_article[n])
            if a != top and scores[n] >= floor:
                found.setdefault(a)
        return tuple(self.articles[a] for a in list(found)[: self.settings.related_articles])

    def _section_scores(self, terms: list[str], words: list[str]) -> np.ndarray:
        ids = [self.vocabulary[t] for t in terms]
        # Unknown words still weigh in the total, so a question about other things scores low.
        unknown = max(0, len(words) - len(terms))
        weight = self.idf[ids]
        total = weight.sum() + unknown * self.idf.max()
        article = (self.article_match[:, ids] @ weight) / total
        section_hits = self.section_match[:, ids].toarray()
        owner = self.section_article
        local = self._local_weights(ids)[owner] * weight  # sections x terms
        present = (self.section_df[:, ids].toarray() > 0)[owner]
        reach = (local * present).sum(axis=1)
        share = np.divide((local * section_hits).sum(axis=1), reach, out=np.zeros(len(owner)), where=reach > 0)
        return article[owner] * (1 - SECTION_SHARE + SECTION_SHARE * share)

    def _local_weights(self, ids: list[int]) -> np.ndarray:
        """Within-article IDF: a term found in every section of an article tells them apart poorly."""
        df = self.section_df[:, ids].toarray()
        n = self.sections_per_article[:, None]
        return np.log((n + 1) / (df + 0.5)) / np.log((n + 1) / 0.5)

    def _candidate(self, n: int, score: float, terms: list[str]) -> Candidate:
        a, s = int(self.section_article[n]), int(self.section_index[n])
        article = self.articles[a]
        start, end = self.passage_start[n], self.passage_start[n + 1]
        # Words the heading or title already hold do not tell passages apart; without any
        # other word, the section's opening passage is the answer.
        fresh = [self.vocabulary[t] for t in terms if t not in self.heading_terms[n]]
        best = 0
        if fresh and end > start:
            hits = self.passage_match[start:end][:, fresh].toarray() @ self.idf[fresh]
            best = int(np.argmax(hits)) if hits.max() > 0 else 0
        return Candidate(article, article.sections[s], best, min(1.0, score))


class _Documents:
    """The term lists of every field, in index order."""

    def __init__(self, articles: tuple[Article, ...], normalizer: Normalizer) -> None:
        terms = normalizer.terms
        self.title = [terms(a.title) for a in articles]
        self.meta = [terms(" ".join((*a.tags, a.description))) for a in articles]
        self.heading: list[list[str]] = []
        self.section_body: list[list[str]] = []
        self.passages: list[list[str]] = []
        self.heading_and_title: list[list[str]] = []
        self.section_article: list[int] = []
        self.section_index: list[int] = []
        self.passage_start: list[int] = [0]
        for a, article in enumerate(articles):
            for s, section in enumerate(article.sections):
                heading = terms(" ".join((*section.parents, section.heading)))
                self.heading.append(heading)
                self.heading_and_title.append(heading + self.title[a])
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


def _saturate(fields: dict[str, sparse.csr_matrix], weights: dict[str, float]) -> sparse.csr_matrix:
    """BM25F: length-normalized, field-weighted term frequency, saturated into [0, 1)."""
    total: sparse.csr_matrix | None = None
    for name, counts in fields.items():
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        mean = lengths.mean() if len(lengths) and lengths.mean() > 0 else 1.0
        norm = 1 - LENGTH_NORM + LENGTH_NORM * lengths / mean
        scaled = sparse.diags(weights[name] / np.maximum(norm, 1e-9)) @ counts
        total = scaled if total is None else total + scaled
    assert total is not None
    total = total.tocsr()
    total.data = total.data / (total.data + SATURATION)
    return total
