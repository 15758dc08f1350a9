"""Speed and memory at 100, 1,000 and 10,000 articles, side by side with a lean bm25s, in one run.

    python benchmarks/speed.py                           # all sizes (the 10,000 one takes minutes)
    python benchmarks/speed.py --sizes 1000 --baseline 6829759

For each size a synthetic blog is written (benchmarks/synthetic.py), then separate processes
measure index build seconds (reading the files included), query latency p50/p99 over 1,000
questions and peak RSS, for:

- the bot: `ArticleFolder(...).load()` (fresh, no index cache), then `kb.search(question)`;
  also its cached start-up, `python -m bot ask` from process start to its first answer;
- bm25s as lean as it goes: its build reads the files itself (python-frontmatter,
  markdown-it-py, one text per heading section, the same sections the bot indexes), tokenizes
  with Snowball Indonesian (PyStemmer) and the bot's stopwords; a query is `bm25s.tokenize` +
  `retriever.get_scores` + the top 5 by `np.argpartition`. `bot` is not imported there;
- with `--baseline COMMIT`: the bot of that commit (`git archive` into the work folder), run by
  this same worker over the same blog and questions.

Needs the `bench` extra (bm25s).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent

QUERIES = 1000
TARGETS = (
    "targets at 10,000: p50 <= 5 ms, p99 <= 20 ms, p50 <= 1.5 x bm25s, build <= 1.5 x bm25s, RSS <= 600 MB,"
    " p50 no slower than the baseline; at 1,000: cached start-up <= 1.5 s"
)
COLUMNS = "| articles | sections | system | build s | cached start-up s | p50 ms | p99 ms | peak RSS MB |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "areta-bot-speed")
    parser.add_argument("--baseline", metavar="COMMIT", help="also measure the bot of this commit (e.g. 6829759)")
    parser.add_argument("--worker", choices=["bot", "bm25s"], help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, default=PROJECT, help=argparse.SUPPRESS)
    parser.add_argument("--blog", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.project, args.blog, args.data, args.inputs)))
        return 0
    baseline = checkout(args.baseline, args.work) if args.baseline else None
    print(COLUMNS)
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        measure(size, args.work, baseline, args.baseline)
    print(f"\n{TARGETS}")
    return 0


def measure(size: int, work: Path, baseline: Path | None, commit: str | None) -> None:
    """Print the rows of one blog size."""
    blog, inputs = prepare(size, work)
    rows: list[tuple[str, dict[str, Any], str]] = []
    bot = run_worker("bot", PROJECT, blog, work / f"data-{size}", inputs)
    rows.append(("bot", bot, f"{cached_startup(PROJECT, blog, work / f'data-{size}'):.2f}"))
    ref = run_worker("bm25s", PROJECT, blog, work / f"data-{size}", inputs)
    rows.append(("bm25s (lean)", ref, "-"))
    if baseline is not None:
        base = run_worker("bot", baseline, blog, work / f"data-{size}-base", inputs)
        rows.append((f"bot at {commit}", base, f"{cached_startup(baseline, blog, work / f'data-{size}-base'):.2f}"))
    for name, r, start in rows:
        print(
            f"| {size:,} | {r['sections']:,} | {name} | {r['build']:.1f} | "
            f"{start} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rss']:.0f} |",
            flush=True,
        )
    for name, other in [("bm25s", ref)] + ([(commit or "", rows[2][1])] if baseline is not None else []):
        print(
            f"| {size:,} | | bot / {name} | {bot['build'] / other['build']:.2f}x | | {bot['p50'] / other['p50']:.2f}x "
            f"| {bot['p99'] / other['p99']:.2f}x | {bot['rss'] / other['rss']:.2f}x |",
            flush=True,
        )


def prepare(size: int, work: Path) -> tuple[Path, Path]:
    """The synthetic blog of `size` articles and the inputs every worker reads (questions, stopwords)."""
    sys.path.insert(0, str(PROJECT))
    sys.path.insert(0, str(PROJECT / "benchmarks"))
    from synthetic import questions, write_blog

    from bot.settings import load_settings

    settings = load_settings(env={})
    blog = work / f"blog-{size}"
    if not (blog / f"{size - 1:05}-sintetis.md").exists():
        write_blog(blog, size, settings)
    inputs = work / "inputs.json"
    payload = {"questions": questions(settings, QUERIES), "stopwords": sorted(settings.language.stopwords)}
    inputs.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    return blog, inputs


def checkout(commit: str, work: Path) -> Path:
    """The project at `commit`, extracted once into the work folder (no git metadata)."""
    target = work / f"baseline-{commit}"
    if not (target / "bot").is_dir():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit], cwd=PROJECT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def run_worker(kind: str, project: Path, blog: Path, data: Path, inputs: Path) -> dict[str, Any]:
    """Measure in a process of its own, so peak RSS belongs to one system; the bot starts without a cache."""
    if kind == "bot" and data.exists():
        shutil.rmtree(data / "index", ignore_errors=True)
    command = [sys.executable, __file__, "--worker", kind, "--project", str(project), "--blog", str(blog)]
    command += ["--data", str(data), "--inputs", str(inputs)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cached_startup(project: Path, blog: Path, data: Path, runs: int = 3) -> float:
    """Seconds from starting `python -m bot ask` to its first answer, index cache in place."""
    times = []
    env = {"BOT_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "ask", "--json", "--knowledge", str(blog)],
            cwd=project,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("apa itu backend developer?\n")
        proc.stdin.flush()
        proc.stdout.readline()
        times.append(time.perf_counter() - start)
        proc.stdin.close()
        proc.wait()
    return statistics.median(times)


def worker(kind: str, project: Path, blog: Path, data: Path, inputs: Path) -> dict[str, Any]:
    """Build one system, then time its queries."""
    given = json.loads(inputs.read_text(encoding="utf-8"))
    start = time.perf_counter()
    if kind == "bot":
        search, sections = build_bot(project, blog, data)
    else:
        search, sections = build_bm25s(blog, given["stopwords"])
    build = time.perf_counter() - start
    latencies = []
    for q in given["questions"]:
        t = time.perf_counter()
        search(q)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    return {
        "build": build,
        "sections": sections,
        "p50": latencies[len(latencies) // 2],
        "p99": latencies[int(len(latencies) * 0.99)],
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def build_bot(project: Path, blog: Path, data: Path) -> tuple[Callable[[str], object], int]:
    """The bot of `project`, loaded from the folder as `python -m bot` does (the cache written too)."""
    sys.path.insert(0, str(project))
    from bot.settings import load_settings
    from bot.source import ArticleFolder

    settings = load_settings(env={"BOT_DATA_DIR": str(data)})
    kb = ArticleFolder(settings, blog).load()
    return kb.search, len(kb.retriever.section_article)


def build_bm25s(blog: Path, stopwords: list[str]) -> tuple[Callable[[str], object], int]:
    """bm25s over one text per heading section (title, heading, body), read without the bot."""
    import bm25s
    import frontmatter
    import numpy as np
    import Stemmer
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    texts = []
    for path in sorted(blog.rglob("*.md")):
        post = frontmatter.load(path)
        title = str(post.get("title", path.stem))
        texts.extend(f"{title} {section}" for section in _sections(md.parse(post.content)))
    stemmer = Stemmer.Stemmer("indonesian")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, show_progress=False), show_progress=False
    )

    def search(q: str) -> np.ndarray | None:
        tokens = bm25s.tokenize(q, stopwords=stopwords, stemmer=stemmer, return_ids=False, show_progress=False)[0]
        tokens = [t for t in tokens if t in retriever.vocab_dict]
        if not tokens:
            return None
        scores = retriever.get_scores(tokens)
        top = np.argpartition(-scores, 5)[:5]
        return top[np.argsort(-scores[top])]

    return search, len(texts)


def _sections(tokens: list[Any]) -> list[str]:
    """The text of each heading section (the text before the first heading is one too), non-empty ones."""
    sections: list[list[str]] = [[]]
    for tok in tokens:
        if tok.type == "heading_open":
            sections.append([])
        if tok.type == "inline":
            sections[-1].append(tok.content)
    return [" ".join(words) for words in sections if words]


if __name__ == "__main__":
    sys.exit(main())
