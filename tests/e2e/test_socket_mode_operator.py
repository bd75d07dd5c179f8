"""What the operator of `milestone-bot socket` can point a health check and a scrape at: with
PORT set, `GET /healthz` (the database takes a write and the connection to Slack is open) and
`GET /metrics`; without it, no HTTP at all and one line saying how to get them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adversarial.support import log_events
from tests.e2e.harness import (
    Author,
    SocketBotProcess,
    db_path,
    http_get,
    socket_environment,
    wait_until,
)
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests


@pytest.fixture
def watched_bot(
    tmp_path: Path, slack: SlackEmulator, socket_mode: SocketModeEmulator
) -> Iterator[tuple[SocketBotProcess, str]]:
    """`milestone-bot socket` with PORT=0, and the URL of the port it bound."""
    env = socket_environment(slack, socket_mode, db_path(tmp_path), PORT="0")
    process = SocketBotProcess(tmp_path, env, socket_mode=socket_mode)
    process.start()
    started = wait_until(
        lambda: log_events(process, "server.started"), what="the server.started line"
    )
    yield process, f"http://127.0.0.1:{started[-1]['port']}"
    process.stop()


def test_healthz_says_the_database_and_the_connection_are_up(
    watched_bot: tuple[SocketBotProcess, str],
) -> None:
    _, url = watched_bot
    status, body = http_get(url + "/healthz")
    assert status == 200
    assert json.loads(body) == {"ok": True, "database": "ok", "socket": "connected"}


def test_metrics_count_what_came_over_the_socket(
    watched_bot: tuple[SocketBotProcess, str], slack: SlackEmulator, socket_mode: SocketModeEmulator
) -> None:
    _, url = watched_bot
    alice = Author(slack, SocketModeRequests(socket_mode))
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    status, text = http_get(url + "/metrics")
    assert status == 200
    assert 'milestone_bot_events_total{event="socket.connected",outcome="ok"} 1.0' in text
    assert 'milestone_bot_events_total{event="answer.recorded",outcome="ok"} 1.0' in text
    assert 'milestone_bot_request_seconds_count{route="/healthz"}' not in text
    http_get(url + "/healthz")
    wait_until(
        lambda: (
            'milestone_bot_request_seconds_count{route="/healthz"} 1.0'
            in http_get(url + "/metrics")[1]
        ),
        what="the health check timed in the histogram",
    )


def test_healthz_turns_unhealthy_while_slack_cannot_be_reached(
    watched_bot: tuple[SocketBotProcess, str], socket_mode: SocketModeEmulator
) -> None:
    """The connection is cut and Slack's socket is gone: the process lives on, reconnecting,
    and says so to the health check, which can then replace it."""
    bot, url = watched_bot
    socket_mode.stop()

    def unhealthy() -> str:
        status, body = http_get(url + "/healthz")
        return body if status == 503 else ""

    body = wait_until(unhealthy, what="/healthz to answer 503")
    health = json.loads(body)
    assert health["ok"] is False and health["database"] == "ok"
    assert health["socket"].startswith("not connected")
    assert bot.proc is not None and bot.proc.poll() is None


def test_without_port_nothing_listens_and_the_log_says_how_to_turn_it_on(
    socket_bot: SocketBotProcess,
) -> None:
    [off] = wait_until(
        lambda: log_events(socket_bot, "capability.off", capability="operator_http"),
        what="the capability.off line",
    )
    assert "set PORT" in off["reason"]
    [started] = wait_until(
        lambda: log_events(socket_bot, "server.started"), what="the server.started line"
    )
    assert "port" not in started
