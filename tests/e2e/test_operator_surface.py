"""What the operator reads: /healthz, /metrics, and Slack's rate limits absorbed."""

from __future__ import annotations

import json

from tests.adversarial.support import log_events
from tests.e2e.harness import Author, BotProcess, http_get, wait_until
from tests.emulators.slack_api import SlackEmulator


def test_healthz_answers_with_the_database_writable(bot: BotProcess) -> None:
    """GET /healthz is 200 and says the database took a write."""
    status, body = http_get(bot.url + "/healthz")
    assert status == 200 and json.loads(body) == {"ok": True, "database": "ok"}


def test_metrics_count_events_by_outcome_and_time_the_acks(alice: Author, bot: BotProcess) -> None:
    """GET /metrics counts answers recorded and refused, and has the ack latency histogram."""
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    alice.say("M9", expect="isn't one of the choices")
    status, text = http_get(bot.url + "/metrics")
    assert status == 200
    assert 'milestone_bot_events_total{event="answer.recorded",outcome="ok"} 1.0' in text
    assert 'milestone_bot_events_total{event="answer.rejected",outcome="refused"} 1.0' in text
    assert 'milestone_bot_request_seconds_count{route="/slack/events"}' in text


def test_a_rate_limited_slack_is_waited_out_and_the_question_still_arrives(
    alice: Author, slack: SlackEmulator, bot: BotProcess
) -> None:
    """A 429 with Retry-After on posting the next question is retried; nothing is lost."""
    alice.start()
    slack.rate_limit("chat.postMessage", retry_after=1)
    alice.say("Bound retries", expect="Question 2 of 16")
    assert [c.status for c in slack.calls("chat.postMessage")][-2:] == [429, 200]
    wait_until(lambda: '"answer.recorded"' in bot.logs(), what="the answer's log line")


def test_each_request_is_logged_once_with_its_correlation_id_after_its_answer(
    alice: Author, bot: BotProcess
) -> None:
    """One `http.request` line per inbound request (written once the answer is sent), with the
    request's own correlation id, as the listener's lines have it."""
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    answers = wait_until(
        lambda: [
            e
            for e in log_events(bot, "http.request", route="/slack/events", status=200)
            if str(e.get("correlation_id", "")).startswith("Ev")
        ]
    )
    assert len(answers) == 1
    line = answers[0]
    assert line["method"] == "POST" and line["duration_ms"] >= 0
    recorded = log_events(bot, "answer.recorded", correlation_id=line["correlation_id"])
    assert len(recorded) == 1
