"""The per-user flood guard."""

from __future__ import annotations

from conftest import Clock

from bot.flood import FloodGuard, Verdict


def test_allows_the_limit_warns_once_then_ignores_until_the_window_passes() -> None:
    clock = Clock()
    guard = FloodGuard(3, 10.0, clock)
    assert [guard.check(1) for _ in range(6)] == [Verdict.ALLOW] * 3 + [Verdict.WARN] + [Verdict.IGNORE] * 2
    assert guard.check(2) is Verdict.ALLOW  # other users are not affected
    clock.now = 10.0
    assert guard.check(1) is Verdict.ALLOW
    assert [guard.check(1) for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN]


def test_idle_users_are_forgotten() -> None:
    clock = Clock()
    guard = FloodGuard(1, 5.0, clock)
    guard.check(1)
    guard.check(1)
    clock.now = 6.0
    guard.forget_idle()
    assert guard._seen == {} and guard._warned == set()


def test_a_stream_of_distinct_users_does_not_grow_the_guard_without_end() -> None:
    import tracemalloc

    clock = Clock()
    tracemalloc.start()
    try:
        guard = FloodGuard(8, 20.0, clock)
        for user in range(20_000):  # one new user a second, nobody calls forget_idle
            clock.now = float(user)
            assert guard.check(user) is Verdict.ALLOW
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 1_000_000  # remembering all 20,000 users would take about 17 MB
    assert len(guard) <= 2 * 20  # the users of the last two windows at most
