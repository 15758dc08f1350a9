"""Memory of the flood guard after many distinct users.

    python benchmarks/flood.py [--users 100000] [--gap 0.1]

Feeds one message from each of `--users` distinct users to bot.flood.FloodGuard, one every
`--gap` seconds of a simulated clock (the bundled window: 8 messages per 20 s), and prints the
memory the guard holds afterwards (tracemalloc), next to a reference guard that never forgets
idle users (the behaviour before idle users were swept). A second row puts every user inside
one window, where nobody can be forgotten yet: the worst case, bounded by the message rate.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.flood import FloodGuard


class NeverForgets(FloodGuard):
    """The reference: the guard as it was, with no sweep of idle users."""

    def forget_idle(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def measure(kind: type[FloodGuard], users: int, gap: float) -> tuple[float, int]:
    """MB held by a guard of `kind` after `users` distinct users, `gap` seconds apart, and its size."""
    gc.collect()
    tracemalloc.start()
    clock = Clock()
    guard = kind(8, 20.0, clock)
    for user in range(users):
        clock.now = user * gap
        guard.check(10_000_000 + user)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held / 1e6, len(guard._seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--gap", type=float, default=0.1, help="simulated seconds between two users' messages")
    args = parser.parse_args()
    print(f"{args.users:,} distinct users, one message each; window 8 messages / 20 s")
    print("| arrival | guard | users remembered | memory MB |")
    print("| --- | --- | --- | --- |")
    for label, gap in ((f"one every {args.gap:g} s", args.gap), ("all within one window", 0.0)):
        for name, kind in (("reference (never forgets)", NeverForgets), ("bot.flood.FloodGuard", FloodGuard)):
            mb, remembered = measure(kind, args.users, gap)
            print(f"| {label} | {name} | {remembered:,} | {mb:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
