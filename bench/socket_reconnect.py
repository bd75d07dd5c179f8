"""`python -m bench.socket_reconnect [--faults N]`: how long `milestone-bot socket` is deaf.

Starts the real `milestone-bot socket` against the Slack and Socket Mode emulators, then N
times each: Slack's `disconnect`, and a connection black-holed without a word (every byte
lost, both TCP ends left open). For each fault it measures the seconds from the fault to the
bot's new connection, and to the first envelope sent after the fault being acknowledged (the
envelope is sent at once and waits for a live connection, as Slack would hold it). The target
is under 10 s for a silent drop. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.stats import median
from tests.e2e.harness import SocketBotProcess, socket_environment
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import SocketConnection, SocketModeEmulator

TARGET_SILENT = 10.0
SETTLE = 5.0  # seconds a connection is up before its fault


def _one(
    sm: SocketModeEmulator, fault: Callable[[SocketConnection], object]
) -> tuple[float, float]:
    """(seconds to the new connection, seconds to the next envelope's ack) after one fault."""
    old = sm.wait_for_connection(timeout=60)
    started = time.monotonic()
    fault(old)
    new = sm.wait_for_connection(after=old.number, timeout=120)
    connected = time.monotonic() - started
    delivery = sm.deliver(
        "events_api", {"type": "event_callback", "event": {"type": "app_home_opened"}}, timeout=60
    )
    acked = time.monotonic() - started if delivery.acked else float("nan")
    assert delivery.connection == new.number
    return connected, acked


def measure(faults: int) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {"disconnect": [], "silent drop": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        SlackEmulator() as slack,
        SocketModeEmulator(slack, ack_timeout=60) as sm,
    ):
        env = socket_environment(slack, sm, Path(tmp) / "m.db", REMINDER_SWEEP_MINUTES="0")
        bot = SocketBotProcess(Path(tmp), env, socket_mode=sm).start()
        try:
            for n in range(faults):
                for name, fault in (
                    ("disconnect", lambda c: sm.send_disconnect("refresh_requested", c)),
                    ("silent drop", sm.blackhole),
                ):
                    # A connection that has been up a while, hit at a varying phase of the
                    # 1 s ping timer.
                    time.sleep(SETTLE + 0.37 * n % 1)
                    results[name].append(_one(sm, fault))
                    print(f"{name} {n + 1}/{faults}: {results[name][-1]}", file=sys.stderr)
        finally:
            bot.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.socket_reconnect")
    parser.add_argument("--faults", type=int, default=5, help="faults of each kind (default 5)")
    args = parser.parse_args(argv)
    results = measure(args.faults)
    print(f"| Fault ({args.faults} each) | new connection | next envelope acked |")
    print("|---|---|---|")
    for name, samples in results.items():
        conn = [c for c, _ in samples]
        ack = [a for _, a in samples]
        print(
            f"| {name} | median {median(conn):.1f} s, max {max(conn):.1f} s "
            f"| median {median(ack):.1f} s, max {max(ack):.1f} s |"
        )
    worst = max(a for _, a in results["silent drop"])
    verdict = "PASS" if worst < TARGET_SILENT else "MISS"
    print(f"\nSilent drop, worst time to the next ack: {worst:.1f} s (target < 10 s): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
