"""serve's sweep loop over the sweeper the composition root built: off at 0 minutes, and
otherwise a first sweep at once in its own thread."""

from __future__ import annotations

from bot.runtime.loops import start_sweep_loop
from tests.e2e.harness import wait_until
from tests.reminders.harness import World


def tracked(world: World, draft_id: str) -> bool:
    with world.store.session() as s:
        return s.tracked.get(draft_id) is not None


def test_the_loop_is_off_at_zero_minutes(world: World) -> None:
    """REMINDER_SWEEP_MINUTES=0 starts no loop."""
    assert start_sweep_loop(world.sweeper) is None


def test_the_loop_sweeps_at_once_with_the_built_sweeper(world: World) -> None:
    """With a period set, the built sweeper's first sweep runs at start: a filed draft is
    adopted and tracked without anyone calling sweep."""
    world.overrides["reminder_sweep_minutes"] = 5
    world.restart()
    filed = world.file()
    loop = start_sweep_loop(world.sweeper)
    assert loop is not None
    try:
        wait_until(lambda: tracked(world, filed.draft_id), what="the loop's first sweep")
    finally:
        loop.stop()
