"""The loops a serving process (`serve`, `socket`) runs beside Slack.

Each is a daemon thread, so it ends with the process, calling one function on a period; a
round that fails is logged under the loop's own event and the next one runs on time.

- The reminder sweep: one at once, then one every REMINDER_SWEEP_MINUTES (0: none). Several
  processes each running it are safe (digests are claimed in SQLite), only wasteful: run
  `serve` once, or set REMINDER_SWEEP_MINUTES=0 and run `milestone-bot remind` from a
  scheduler instead.
- The App Home refresh: every few seconds, republish the Homes whose rows changed
  (bot/home/publisher.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from bot.home.publisher import REFRESH_SECONDS, HomePublisher
from bot.log import get_logger
from bot.reminders.sweep import Sweeper
from bot.storage.database import utc_now

log = get_logger()


class Periodic:
    """`run` every `seconds` in a daemon thread named `name` (first at once if `at_once`);
    an exception is logged by `failed` (called where it was caught) and ends only that
    round."""

    def __init__(
        self,
        name: str,
        seconds: float,
        run: Callable[[], object],
        *,
        failed: Callable[[], None],
        at_once: bool,
    ) -> None:
        self.name = name
        self.seconds = seconds
        self._run_once = run
        self._failed = failed
        self._at_once = at_once
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Periodic:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        if not self._at_once and self._stopping.wait(self.seconds):
            return
        while not self._stopping.is_set():
            try:
                self._run_once()
            except Exception:  # noqa: BLE001 - one failed round must not end the loop; logged
                self._failed()
            self._stopping.wait(self.seconds)


def start_sweep_loop(sweeper: Sweeper) -> Periodic | None:
    """Start the sweep loop over `sweeper` (bot.app.build_sweeper builds it), unless
    REMINDER_SWEEP_MINUTES is 0."""
    minutes = sweeper.settings.reminder_sweep_minutes
    if minutes == 0:
        log.info("sweep.off", reason="REMINDER_SWEEP_MINUTES=0")
        return None
    log.info("sweep.started", every_minutes=minutes)
    loop = Periodic(
        "reminder-sweep",
        minutes * 60,
        lambda: sweeper.sweep(utc_now()),
        failed=lambda: log.exception("sweep.failed"),
        at_once=True,
    )
    return loop.start()


def start_home_refresh(publisher: HomePublisher, seconds: float = REFRESH_SECONDS) -> Periodic:
    """Start republishing changed Homes every `seconds`."""
    log.info("home.refresh_started", every_seconds=seconds)
    loop = Periodic(
        "home-refresh",
        seconds,
        publisher.refresh_all,
        failed=lambda: log.exception("home.refresh_failed"),
        at_once=False,
    )
    return loop.start()
