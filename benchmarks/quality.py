"""Answer quality, side by side: the bot, its ablations, plain TF-IDF and bm25s, on question files.

    python benchmarks/quality.py                      # the public dev sets over ../shared/corpus
    python benchmarks/quality.py FILE.yaml ... --corpus NAME=DIR ...

Prints one Markdown table per question file (accuracy@1, article right, MRR@5, rejection and
false rejection at each system's own threshold, the mean length of the answer text shown,
and rejection at an oracle threshold: the lowest score threshold that declines as many
out-of-scope questions as the system can, with the accuracy left at that threshold), and one
per conversation file (first questions, follow-ups, small talk, declines, as k/n), then the
bot's misses. The bot is asked exactly as `python -m bot eval` asks it (its Dialog: the one
answer decision, conversation context). Needs the `bench` extra (bm25s; PySastrawi only for
its stopword list).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bot.articles import Article, LoadResult, load_articles  # noqa: E402 - after sys.path points at the project
from bot.context import MemoryContexts  # noqa: E402 - after sys.path points at the project
from bot.dialog import Dialog  # noqa: E402 - after sys.path points at the project
from bot.evaluation import (  # noqa: E402 - after sys.path points at the project
    Outcome,
    Question,
    Report,
    asker,
    evaluate_conversations,
    is_conversation_file,
    judge,
    load_conversations,
    load_questions,
    summarize,
)
from bot.knowledge import KnowledgeBase  # noqa: E402 - after sys.path points at the project
from bot.retrieval import Method  # noqa: E402 - after sys.path points at the project
from bot.richtext import passage_text  # noqa: E402 - after sys.path points at the project
from bot.settings import Settings, load_settings  # noqa: E402 - after sys.path points at the project

Ask = Callable[[str], dict[str, Any]]
Converse = Callable[[Sequence[str]], list[dict[str, Any]]]

ABLATIONS: dict[str, dict[str, Any]] = {
    "bot without question kinds (intents)": {"intent_weight": 0.0, "passage_evidence": 0.0},
    "bot without word repair": {"repair": False},
    "bot without within-article IDF": {"local_idf": False},
    "bot counting title-like headings": {"title_headings": True},
    "bot choosing passages by all words": {"passage_focus": False},
    "bot with TF-IDF's IDF": {"idf": "tfidf"},
    "bot without passage openings": {"lead_weight": 0.0},
    "bot without heading-named sections": {"heading_bonus": 0.0},
    "bot without headings announcing the kind": {"answer_heading": 0.0},
    "bot weighing scene clauses fully": {"background_weight": 1.0},
    "bot without conversation context": {"_contexts": False},
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "questions",
        nargs="*",
        type=Path,
        default=[
            PROJECT.parent / "shared/eval/dev-questions.yaml",
            PROJECT.parent / "shared/eval/dev-conversations.yaml",
        ],
    )
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--no-ablations", action="store_true", help="only the bot and the two references")
    args = parser.parse_args(argv)
    corpora = dict(c.split("=", 1) for c in args.corpus) or {
        name: str(PROJECT.parent / "shared/corpus" / name) for name in ("areta", "mazipan")
    }
    settings = load_settings(env={})
    loaded = {name: load_articles(Path(folder), settings.knowledge, settings.site) for name, folder in corpora.items()}
    systems: dict[str, Callable[[LoadResult], Converse]] = {
        "plain `TfidfVectorizer()` over whole sections": lambda r: one_by_one(plain_tfidf(r)),
        "bm25s + Snowball Indonesian + Sastrawi stopwords": lambda r: one_by_one(bm25s_reference(r)),
        "**this bot**": lambda r: bot_system(settings, r, {}),
    }
    if not args.no_ablations:
        for name, change in ABLATIONS.items():
            systems[name] = lambda r, change=change: bot_system(settings, r, change)
    for path in args.questions:
        if is_conversation_file(path):
            conversation_table(path, systems, loaded)
            continue
        questions = load_questions(path)
        print(
            f"\n### {path.name}: {sum(q.article is not None for q in questions)} in scope, "
            f"{sum(q.article is None for q in questions)} out of scope\n"
        )
        print(
            "| system | accuracy@1 | article right | MRR@5 | rejection | "
            "false rejection | shown chars | rejection (oracle threshold) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- |")
        bot_report = None
        for name, build in systems.items():
            asks = {corpus: build(result) for corpus, result in loaded.items()}
            records = ask_all(questions, asks)
            report = summarize([Outcome(q, c, r, *judge(q, r)) for q, c, r in records])
            print(
                f"| {name} | {report.accuracy:.2f} | {article_right(records):.2f} | {report.mrr:.2f} | "
                f"{report.rejection:.2f} | {report.false_rejection:.2f} "
                f"| {report.shown_chars:.0f} | {oracle(records)} |",
                flush=True,
            )
            if name == "**this bot**":
                bot_report = report
        if bot_report is not None:
            print_misses(bot_report)
    return 0


def conversation_table(
    path: Path, systems: dict[str, Callable[[LoadResult], Converse]], loaded: dict[str, LoadResult]
) -> None:
    """The conversation metrics of every system on one conversation file."""
    conversations = load_conversations(path)
    print(f"\n### {path.name}: {len(conversations)} conversations, {sum(len(c.turns) for c in conversations)} turns\n")
    print("| system | first questions | follow-ups | small talk | declines | shown chars |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, build in systems.items():
        converse = {corpus: build(result) for corpus, result in loaded.items()}
        report = evaluate_conversations(
            [c for c in conversations if c.corpus in converse],
            lambda corpus, turns, converse=converse: converse[corpus or ""](turns),
        )
        print(
            f"| {name} | {report.first} | {report.follow_ups} | {report.small_talk} | {report.declines} | "
            f"{report.shown_chars:.0f} |",
            flush=True,
        )


def ask_all(questions: Sequence[Question], asks: dict[str, Converse]) -> list[tuple[Question, str, dict[str, Any]]]:
    """Every in-scope question in its corpus, every out-of-scope one in all corpora (each a new user)."""
    records = []
    for q in questions:
        for corpus in [q.corpus] if q.article is not None else list(asks):
            if corpus in asks:
                records.append((q, corpus, asks[corpus]([q.q])[0]))
    return records


def article_right(records: list[tuple[Question, str, dict[str, Any]]]) -> float:
    inside = [(q, r) for q, _, r in records if q.article is not None]
    right = sum(bool(r["candidates"]) and r["candidates"][0]["article"] == q.article for q, r in inside)
    return right / len(inside) if inside else 0.0


def oracle(records: list[tuple[Question, str, dict[str, Any]]]) -> str:
    """The lowest threshold declining the most out-of-scope questions, and the accuracy there."""
    best: tuple[float, float, float] | None = None
    for tau in sorted({r["score"] for _, _, r in records} | {0.0}):
        outcomes = []
        for q, corpus, r in records:
            if r["score"] < tau + 1e-12 and tau > 0:
                r = {**r, "answered": False, "kind": "none", "article": None, "section": None, "text": None}
            outcomes.append(Outcome(q, corpus, r, *judge(q, r)))
        report = summarize(outcomes)
        if best is None or report.rejection > best[1] + 1e-9:
            best = (tau, report.rejection, report.accuracy)
    assert best is not None
    return f"{best[1]:.2f} at accuracy {best[2]:.2f}"


def print_misses(report: Report) -> None:
    print(f"\nThe bot's misses ({len(report.misses)}):\n")
    for o in report.misses:
        r = o.record
        want = o.question.article or "(decline)"
        if o.question.sections:
            want += " / " + " | ".join(o.question.sections)
        got = f"{r['article']} / {r['section']}" if r["answered"] else "(declined)"
        print(
            f"- `{o.question.q}` [{o.corpus}]: want {want}; got {got} (score "
            f"{r['score']:.3f}, right section at rank {o.rank or '-'})"
        )


# Systems --------------------------------------------------------------------------------------


def bot_system(settings: Settings, loaded: LoadResult, change: dict[str, Any]) -> Converse:
    """The bot's Dialog over `loaded`, with a changed method (an ablation), asked as `eval` asks it."""
    change = dict(change)
    contexts = None if change.pop("_contexts", True) else MemoryContexts(seconds=-1, limit=1)  # forgets at once
    kb = KnowledgeBase(settings, loaded, dataclasses.replace(Method(), **change))
    converse = asker({None: Dialog(settings, kb, contexts=contexts)})
    return lambda turns: converse(None, turns)


def one_by_one(ask: Ask) -> Converse:
    """A reference that answers every message on its own (it has no conversation)."""
    return lambda turns: [ask(q) for q in turns]


def _sections(loaded: LoadResult) -> list[tuple[Article, str, str]]:
    """(article, heading, whole section text) for every section: what the references index."""
    return [
        (a, s.heading, "\n\n".join(passage_text(p) for p in s.passages)) for a in loaded.articles for s in a.sections
    ]


def _record(question: str, sections: list[tuple[Article, str, str]], scores: np.ndarray) -> dict[str, Any]:
    order = np.argsort(-scores, kind="stable")[:5]
    a, heading, text = sections[order[0]]
    return {
        "question": question,
        "answered": True,
        "kind": "answer",
        "article": a.id,
        "title": a.title,
        "section": heading,
        "url": a.url,
        "text": text,
        "score": float(scores[order[0]]),
        "candidates": [
            {"article": sections[i][0].id, "section": sections[i][1], "score": float(scores[i])} for i in order
        ],
    }


def plain_tfidf(loaded: LoadResult) -> Ask:
    from sklearn.feature_extraction.text import TfidfVectorizer

    sections = _sections(loaded)
    vectorizer = TfidfVectorizer()
    matrix = vectorizer.fit_transform(f"{a.title} {h} {t}" for a, h, t in sections)
    return lambda q: _record(q, sections, (matrix @ vectorizer.transform([q]).T).toarray().ravel())


def bm25s_reference(loaded: LoadResult) -> Ask:
    import bm25s
    import Stemmer
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    stemmer = Stemmer.Stemmer("indonesian")
    stopwords = StopWordRemoverFactory().get_stop_words()
    sections = _sections(loaded)
    corpus = bm25s.tokenize(
        [f"{a.title} {h} {t}" for a, h, t in sections], stopwords=stopwords, stemmer=stemmer, show_progress=False
    )
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)

    def ask(q: str) -> dict[str, Any]:
        tokens = bm25s.tokenize([q], stopwords=stopwords, stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return _record(q, sections, np.zeros(len(sections)))
        scores = retriever.get_scores(_query_tokens(tokens))
        return _record(q, sections, np.asarray(scores))

    return ask


def _query_tokens(tokens: Any) -> list[str]:
    inverse = {i: w for w, i in tokens.vocab.items()}
    return [inverse[i] for i in tokens.ids[0]]


if __name__ == "__main__":
    sys.exit(main())
