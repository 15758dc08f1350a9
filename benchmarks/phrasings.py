"""Taught phrasings must not cost answers elsewhere: before and after, on questions they were not taught.

    python benchmarks/phrasings.py [QUESTIONS.yaml] [--corpus DIR]

On a temporary copy of the areta blog, the dev questions of half the articles (every other
article, in id order) are written into those articles' frontmatter as phrasings (`questions:`
with `q` and `section`). Then the other half's questions and every out-of-scope question are
asked before and after: accuracy@1, rejection and false rejection must not drop. The taught
half's own questions are shown too, asked as written.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bot.dialog import Dialog  # noqa: E402 - importable only after sys.path holds the project
from bot.evaluation import Question, Report, asker, evaluate, load_questions  # noqa: E402 - importable only after sys.path holds the project
from bot.settings import load_settings  # noqa: E402 - importable only after sys.path holds the project
from bot.source import ArticleFolder  # noqa: E402 - importable only after sys.path holds the project


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", nargs="?", type=Path, default=PROJECT.parent / "shared/eval/dev-questions.yaml")
    parser.add_argument("--corpus", type=Path, default=PROJECT.parent / "shared/corpus/areta")
    args = parser.parse_args(argv)
    questions = [q for q in load_questions(args.questions) if q.corpus in ("areta", None)]
    inside = [q for q in questions if q.article is not None]
    articles = sorted({q.article for q in inside if q.article})
    taught = set(articles[::2])
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "areta"
        shutil.copytree(args.corpus, folder)
        before = measure(folder, Path(tmp) / "before", questions, taught)
        teach(folder, [q for q in inside if q.article in taught])
        after = measure(folder, Path(tmp) / "after", questions, taught)
    print(
        f"phrasings taught: {sum(q.article in taught for q in inside)} questions"
        f" of {len(taught)} of {len(articles)} articles\n"
    )
    print("| questions | when | accuracy@1 | rejection | false rejection |")
    print("| --- | --- | --- | --- | --- |")
    for name, index in (("not taught (other half + out of scope)", 0), ("taught, asked as written", 1)):
        for when, reports in (("before", before), ("after", after)):
            r = reports[index]
            print(f"| {name} | {when} | {r.accuracy:.3f} | {r.rejection:.3f} | {r.false_rejection:.3f} |")
    untaught_before, untaught_after = before[0], after[0]
    lost = untaught_after.accuracy < untaught_before.accuracy or untaught_after.rejection < untaught_before.rejection
    print("\nno loss on untaught questions" if not lost else "\nLOSS on untaught questions")
    return 1 if lost else 0


def measure(folder: Path, data: Path, questions: list[Question], taught: set[str]) -> tuple[Report, Report]:
    """(untaught in-scope + out-of-scope report, taught in-scope report)."""
    import os

    os.environ["BOT_DATA_DIR"] = str(data)
    settings = load_settings()
    converse = asker({"areta": Dialog(settings, ArticleFolder(settings, folder).load())})

    def ask(corpus: str | None, q: str) -> dict:
        return converse("areta", [q])[0]

    untaught = [q for q in questions if q.article is None or q.article not in taught]
    own = [q for q in questions if q.article in taught]
    return evaluate(untaught, ask, ["areta"]), evaluate(own, ask, ["areta"])


def teach(folder: Path, questions: list[Question]) -> None:
    """Write each question into its article's frontmatter as a phrasing of its first section."""
    by_article: dict[str, list[Question]] = {}
    for q in questions:
        by_article.setdefault(q.article or "", []).append(q)
    for article, asked in by_article.items():
        path = folder / f"{article}.md"
        text = path.read_text(encoding="utf-8")
        head, sep, body = text[3:].partition("\n---")
        meta = yaml.safe_load(head) or {}
        meta["questions"] = [{"q": q.q, "section": q.sections[0]} if q.sections else q.q for q in asked]
        path.write_text(
            "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---" + body, encoding="utf-8"
        )


if __name__ == "__main__":
    sys.exit(main())
