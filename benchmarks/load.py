"""End-to-end load: 50 users each asking 20 questions at once, through a local Bot API emulator.

    python benchmarks/load.py [--users 50] [--questions 20]

Starts the emulator (tests/emulator/start.js, npm package telegram-test-api) and
`python -m bot run` against it on 127.0.0.1, with Telegram's rate limits and the flood guard
off (the emulator has no limits to protect). Each simulated user sends a question, waits for
the bot's reply, and sends the next. Prints replies per second, reply latency p50/p95 (from
sending a question to seeing its reply), and the number of lost and duplicated replies.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "tests"))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from emulator_client import TOKEN, BotProcess, Emulator, User, emulator_missing  # noqa: E402 - after sys.path points at the project

TARGET = "target: >= 100 replies per second, 0 lost, 0 duplicated"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for one reply")
    args = parser.parse_args()
    reason = emulator_missing()
    if reason:
        print(f"cannot run: {reason}")
        return 1
    from synthetic import questions

    from bot.settings import load_settings

    asked = questions(load_settings(env={}), args.users * args.questions, seed=3)
    work = Path(tempfile.mkdtemp(prefix="areta-bot-load-"))
    config = work / "load.yaml"
    config.write_text(
        "telegram:\n  rate_limit: false\n  flood_messages: 100000\nknowledge:\n  reload_seconds: 0\n",
        encoding="utf-8",
    )
    emulator = Emulator()
    bot = BotProcess(emulator, PROJECT / "knowledge", work / "data", work / "bot.log", args=("--config", str(config)))
    try:
        warm = User(emulator)
        warm.command("/start")
        warm.replies(1, timeout=60)
        results = run_users(emulator, asked, args.users, args.questions, args.timeout)
    finally:
        bot.stop()
        emulator.stop()
    latencies = sorted(r for user in results["latencies"] for r in user)
    total = args.users * args.questions
    print("| users | questions | replies | replies/s | p50 ms | p95 ms | lost | duplicated |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    print(
        f"| {args.users} | {total} | {len(latencies)} | {len(latencies) / results['seconds']:.0f} | "
        f"{statistics.median(latencies) * 1000:.0f} | {latencies[int(len(latencies) * 0.95)] * 1000:.0f} | "
        f"{results['lost']} | {results['duplicated']} |"
    )
    print(f"\n{TARGET}")
    return 0


def run_users(emulator: Emulator, asked: list[str], users: int, per_user: int, timeout: float) -> dict:
    """Every user in a thread of its own: ask, wait for the reply, ask again."""
    latencies: list[list[float]] = [[] for _ in range(users)]
    lost = [0] * users
    extra = [0] * users
    people = [User(emulator) for _ in range(users)]
    start = threading.Barrier(users + 1)

    def converse(n: int) -> None:
        person = people[n]
        client = httpx.Client(base_url=emulator.url, timeout=10)
        start.wait()
        for q in asked[n * per_user : (n + 1) * per_user]:
            sent = time.perf_counter()
            person.say(q)
            got = wait_replies(client, person, 1, timeout)
            if not got:
                lost[n] += 1
                continue
            latencies[n].append(time.perf_counter() - sent)
            extra[n] += len(got) - 1
        extra[n] += len(wait_replies(client, person, 1, 1.0))  # anything arriving late is a duplicate
        client.close()

    threads = [threading.Thread(target=converse, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return {"latencies": latencies, "seconds": time.perf_counter() - began, "lost": sum(lost), "duplicated": sum(extra)}


def wait_replies(client: httpx.Client, person: User, count: int, timeout: float) -> list[dict]:
    """The bot's messages to this user: the emulator answers once `count` arrived, or at `timeout`."""
    body = {"token": TOKEN, "chatId": person.chat["id"], "count": count, "timeout": timeout}
    return client.post("/_control/next_replies", json=body, timeout=timeout + 10).json()["result"]


if __name__ == "__main__":
    sys.exit(main())
