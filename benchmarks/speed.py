"""Speed and memory at 100, 1,000 and 10,000 articles, side by side with bm25s, in one run.

    python benchmarks/speed.py                 # all sizes (the 10,000 one takes a few minutes)
    python benchmarks/speed.py --sizes 100 1000

For each size a synthetic blog is written (benchmarks/synthetic.py), then separate processes
measure, for the bot and for bm25s over the same sections: index build seconds (loading the
files included), query latency p50/p99 over 1,000 questions, and peak RSS; and for the bot the
cached start-up: `python -m bot ask` from process start to its first answer, with the index
cache in place. Needs the `bench` extra (bm25s).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

QUERIES = 1000
TARGETS = (
    "targets at 10,000: p50 <= 5 ms, p99 <= 20 ms, p50 <= 1.5 x bm25s, build <= 60 s, RSS <= 600 MB;"
    " at 1,000: cached start-up <= 1.5 s"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "areta-bot-speed")
    parser.add_argument("--worker", choices=["bot", "bm25s"], help=argparse.SUPPRESS)
    parser.add_argument("--blog", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.blog, args.data)))
        return 0
    from synthetic import write_blog

    from bot.settings import load_settings

    settings = load_settings(env={})
    print("| articles | sections | system | build s | cached start-up s | p50 ms | p99 ms | peak RSS MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for size in args.sizes:
        blog = args.work / f"blog-{size}"
        if not (blog / f"{size - 1:05}-sintetis.md").exists():
            write_blog(blog, size, settings)
        data = args.work / f"data-{size}"
        bot = run_worker("bot", blog, data, fresh=True)
        startup = cached_startup(blog, data)
        ref = run_worker("bm25s", blog, data)
        for name, r, start in (("bot", bot, f"{startup:.2f}"), ("bm25s", ref, "-")):
            print(
                f"| {size:,} | {r['sections']:,} | {name} | {r['build']:.1f} | "
                f"{start} | {r['p50']:.2f} | {r['p99']:.2f} | {r['rss']:.0f} |",
                flush=True,
            )
        print(
            f"| {size:,} | | bot / bm25s | {bot['build'] / ref['build']:.2f}x | | {bot['p50'] / ref['p50']:.2f}x "
            f"| {bot['p99'] / ref['p99']:.2f}x | {bot['rss'] / ref['rss']:.2f}x |",
            flush=True,
        )
    print(f"\n{TARGETS}")
    return 0


def run_worker(kind: str, blog: Path, data: Path, fresh: bool = False) -> dict:
    """Measure in a process of its own, so peak RSS belongs to one system."""
    if fresh and data.exists():
        for cached in (data / "index").glob("*"):
            cached.unlink()
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--blog", str(blog), "--data", str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def cached_startup(blog: Path, data: Path, runs: int = 3) -> float:
    """Seconds from starting `python -m bot ask` to its first answer, index cache in place."""
    times = []
    env = {"BOT_DATA_DIR": str(data), "PATH": "/usr/bin:/bin"}
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "ask", "--json", "--knowledge", str(blog)],
            cwd=PROJECT,
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


def worker(kind: str, blog: Path, data: Path) -> dict:
    from synthetic import questions

    from bot.settings import load_settings

    settings = load_settings(env={"BOT_DATA_DIR": str(data)})
    asked = questions(settings, QUERIES)
    start = time.perf_counter()
    search, sections = build_bot(settings, blog) if kind == "bot" else build_bm25s(settings, blog)
    build = time.perf_counter() - start
    latencies = []
    for q in asked:
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


def build_bot(settings, blog: Path):  # noqa: ANN001, ANN201 - bot is imported inside the timed build, not at the top
    from bot.source import ArticleFolder

    kb = ArticleFolder(settings, blog).load()
    return kb.search, len(kb.retriever.section_article)


def build_bm25s(settings, blog: Path):  # noqa: ANN001, ANN201 - bot is imported inside the timed build, not at the top
    import bm25s
    import Stemmer

    from bot.articles import load_articles
    from bot.richtext import passage_text

    loaded = load_articles(blog, settings.knowledge, settings.site)
    texts = [
        f"{a.title} {s.heading} " + " ".join(passage_text(p) for p in s.passages)
        for a in loaded.articles
        for s in a.sections
    ]
    stemmer = Stemmer.Stemmer("indonesian")
    stopwords = list(settings.language.stopwords)
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, show_progress=False), show_progress=False
    )

    def search(q: str) -> None:
        tokens = bm25s.tokenize([q], stopwords=stopwords, stemmer=stemmer, show_progress=False)
        if tokens.vocab:
            retriever.retrieve(tokens, k=5, show_progress=False)

    return search, len(texts)


if __name__ == "__main__":
    sys.exit(main())
