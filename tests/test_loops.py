"""The loops beside Slack: a round that fails is reported and the next still runs."""

from __future__ import annotations

from bot.runtime.loops import Periodic
from tests.e2e.harness import wait_until


def test_a_failed_round_is_reported_and_the_loop_goes_on() -> None:
    """The first round raises; it is reported once, and the rounds after it still run."""
    rounds: list[int] = []
    reported: list[int] = []

    def run() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the first round fails")

    loop = Periodic(
        "test-loop", 0.01, run, failed=lambda: reported.append(len(rounds)), at_once=True
    ).start()
    try:
        wait_until(lambda: len(rounds) >= 3, what="rounds after the failed one")
    finally:
        loop.stop()
    assert reported == [1]


def test_a_loop_not_at_once_waits_a_period_and_stops_without_running() -> None:
    """Stopped before its first period is over, a loop that does not start at once never
    runs its function."""
    rounds: list[int] = []
    loop = Periodic("test-loop", 60, lambda: rounds.append(1), failed=lambda: None, at_once=False)
    loop.start().stop()
    assert rounds == []
