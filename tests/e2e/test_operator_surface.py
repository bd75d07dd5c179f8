"""What the operator reads: /healthz, /metrics, and Slack's rate limits absorbed."""

from __future__ import annotations

import json

from tests.adversarial.support import built_answer, log_events, redeliver
from tests.e2e.harness import Author, BotProcess, http_get, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests


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


def test_a_retried_delivery_has_a_request_line_with_its_correlation_id(
    alice: Author, bot: BotProcess, requests: SlackRequests
) -> None:
    """An answer acked in time is said by the listener's line, not by an `http.request` line;
    Slack's retry of it gets one, with the delivery's correlation id, once it is answered."""
    alice.start()
    sent = built_answer(requests, alice, "Bound retries")
    event_id = sent.payload["event_id"]
    assert redeliver(requests, sent, 0).status == 200
    wait_until(lambda: log_events(bot, "answer.recorded", correlation_id=event_id))
    assert log_events(bot, "http.request", route="/slack/events") == []
    assert redeliver(requests, sent, 1).status == 200
    [line] = wait_until(lambda: log_events(bot, "http.request", correlation_id=event_id))
    assert (line["route"], line["status"], line["slack_retry"]) == ("/slack/events", 200, "1")
    assert line["method"] == "POST" and line["duration_ms"] >= 0
    assert len(log_events(bot, "answer.recorded", correlation_id=event_id)) == 1
