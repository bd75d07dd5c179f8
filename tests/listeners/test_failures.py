"""The global error handler and middleware, called as Bolt calls them, against the emulator."""

from __future__ import annotations

from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.listeners.failures import FAILED, FailureReporter, StickyAck, prepare_request
from tests.emulators.slack_api import ALICE, BOT_TOKEN, RELIABILITY, SlackEmulator
from tests.listeners.support import command, respond_to, said


def test_a_failed_answer_is_told_to_its_author_once(slack: SlackEmulator) -> None:
    """A message listener that raised: one ephemeral note in the thread, even when Slack
    delivers the event again."""
    client = WebClient(token=BOT_TOKEN, base_url=slack.url)
    root = slack.post_user_message(ALICE, RELIABILITY, "Bound retries")
    body = {
        "type": "event_callback",
        "event_id": "Ev0FAILED01",
        "event": {"type": "message", "user": ALICE, "channel": RELIABILITY, "thread_ts": root.ts},
    }
    reporter = FailureReporter()
    for _ in range(2):
        reporter.report(KeyError("channel"), body, None, None, client)
    told = [
        m
        for m in slack.messages(RELIABILITY, root.ts, viewer=ALICE)
        if m.is_ephemeral and m.text == FAILED
    ]
    assert len(told) == 1


def test_a_command_that_failed_before_its_ack_is_answered_in_the_ack(
    slack: SlackEmulator,
) -> None:
    """Not acked yet: the HTTP answer is 200 with the note, not Bolt's 500 and Slack's error."""
    body = {**command(slack, "new Broken"), "response_url": "https://hooks.example/x"}
    response = BoltResponse(status=500)
    FailureReporter().report(KeyError("channel_id"), body, response, respond_to(slack), None)  # type: ignore[arg-type]
    assert response.status == 200 and FAILED in response.body
    assert said(slack) == []  # told in the ack, not a second time


def test_a_command_that_failed_after_its_ack_is_told_through_respond(
    slack: SlackEmulator,
) -> None:
    """Acked already: the note goes through the command's response_url, once."""
    body = {**command(slack, "new Broken"), "response_url": "https://hooks.example/x"}
    reporter = FailureReporter()
    reporter.report(KeyError("x"), body, None, respond_to(slack), None)  # type: ignore[arg-type]
    reporter.report(KeyError("x"), body, None, respond_to(slack), None)  # type: ignore[arg-type]
    assert said(slack) == [FAILED]


def test_an_ack_once_given_is_not_taken_back() -> None:
    """Bolt resets `ack.response` when a listener fails just after acking; it stays given."""
    request = BoltRequest(body="{}", mode="socket_mode")
    prepare_request(request)
    ack = request.context.ack
    assert isinstance(ack, StickyAck) and ack.response is None
    ack()
    given = ack.response
    ack.response = None
    assert given is not None and ack.response is given
