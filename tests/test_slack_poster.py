"""What a Slack Web API call leaves behind (bot/slack/poster.py): every call timed in
`milestone_bot_slack_call_seconds` and counted in `milestone_bot_events_total`; a line only
for a call that failed or took `SLOW_CALL_SECONDS` or more.

The real WebClient, as the app builds it, against the Slack emulator over 127.0.0.1, with
logging configured as `serve` configures it (the metrics as an observer) onto a buffer.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from bot.app import build_slack_client
from bot.log import configure_logging
from bot.runtime.metrics import Metrics
from bot.settings import Settings
from bot.slack import poster as poster_module
from bot.slack.poster import SlackPoster
from tests.emulators.slack_api import RELIABILITY, SlackEmulator


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def lines(metrics: Metrics, restored: None) -> io.StringIO:
    """Our lines onto a buffer, the metrics observing them; logging restored afterwards."""
    buffer = io.StringIO()
    configure_logging(stream=buffer, observers=[metrics.processor])
    return buffer


@pytest.fixture
def poster(slack: SlackEmulator) -> SlackPoster:
    settings = Settings(slack_bot_token=slack.bot_token, slack_api_url=slack.url)
    return SlackPoster(build_slack_client(settings))


def events(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def scraped(metrics: Metrics, name: str) -> float:
    """One sample's value from the exposition, 0 if absent."""
    for line in metrics.exposition()[0].decode().splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


CALLS = 'milestone_bot_slack_call_seconds_count{method="chat.postMessage"}'
OK = 'milestone_bot_events_total{event="slack.call",outcome="ok"}'
FAILED = 'milestone_bot_events_total{event="slack.call_failed",outcome="failed"}'


def test_a_call_answered_in_time_is_counted_not_logged(
    poster: SlackPoster, lines: io.StringIO, metrics: Metrics
) -> None:
    for n in range(3):
        assert poster.post(RELIABILITY, f"question {n}") is not None
    assert [e for e in events(lines) if e["event"].startswith("slack.")] == []
    assert scraped(metrics, CALLS) == 3 and scraped(metrics, OK) == 3


def test_a_slow_call_keeps_its_line_without_the_marker(
    poster: SlackPoster,
    slack: SlackEmulator,
    lines: io.StringIO,
    metrics: Metrics,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(poster_module, "SLOW_CALL_SECONDS", 0.05)
    slack.slow("chat.postMessage", 0.1)
    assert poster.post(RELIABILITY, "slowly") is not None
    [line] = [e for e in events(lines) if e["event"] == "slack.call"]
    assert line["method"] == "chat.postMessage" and line["duration_ms"] >= 50
    assert not [key for key in line if key.startswith("_")]
    assert scraped(metrics, CALLS) == 1 and scraped(metrics, OK) == 1


def test_a_failed_call_is_logged_timed_and_counted(
    poster: SlackPoster, slack: SlackEmulator, lines: io.StringIO, metrics: Metrics
) -> None:
    slack.fail("chat.postMessage", "not_in_channel")
    assert poster.post_or_error(RELIABILITY, "refused") == (None, "not_in_channel")
    [line] = [e for e in events(lines) if e["event"].startswith("slack.")]
    assert (line["event"], line["reason"]) == ("slack.call_failed", "not_in_channel")
    assert scraped(metrics, CALLS) == 1 and scraped(metrics, FAILED) == 1
