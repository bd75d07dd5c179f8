"""What only Socket Mode has: envelopes delivered twice, Slack's `disconnect`, and a connection
that dies without a word. `milestone-bot socket` must come back by itself each time, and the
next thing the author does must be handled.

The bound on each reconnection below is generous (30 s) but short of what slack_sdk's defaults
take to notice a silent drop (about 50 s); the reconnection target itself (under 10 s) is
measured, not asserted: see bot/runtime/socket_mode.py.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import Author, BotProcess, SocketBotProcess, message_text, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests

RECONNECT_BOUND = 30.0


@pytest.fixture
def alice(slack: SlackEmulator, socket_requests: SocketModeRequests) -> Author:
    return Author(slack, socket_requests)


def logged(bot: SocketBotProcess, event: str) -> int:
    return bot.logs().count(f'"event": "{event}"')


def asked(author: Author, question: str) -> int:
    return sum(question in message_text(m) for m in author.bot_replies())


def test_envelopes_delivered_twice_have_one_effect(
    alice: Author, socket_requests: SocketModeRequests, socket_bot: SocketBotProcess
) -> None:
    """A slash command, an answer and a click each sent twice under one envelope_id start one
    draft, record one answer and answer one question."""
    with socket_requests.twice():
        alice.start("new Bound cancel retries")
    wait_until(lambda: logged(socket_bot, "command.duplicate"), what="the repeat to be ignored")
    roots = [m for m in alice.slack.bot_messages(alice.channel) if "drafting" in (m.text or "")]
    assert len(roots) == 1

    with socket_requests.twice():
        alice.say("m3", expect="Question 2 of 15")
    wait_until(lambda: logged(socket_bot, "answer.duplicate"), what="the repeat to be ignored")
    alice.say("No order is re-sent more than 3 times", expect="Question 3 of 15")
    alice.say("Cancels loop without bound when a venue times out.", expect="Question 4 of 15")

    checks = next(m for m in reversed(alice.bot_replies()) if "ms_checks_done" in str(m.blocks))
    alice.click("ms_checks", message=checks, selected=["3"])
    seen = len(alice.bot_replies())
    with socket_requests.twice():
        alice.click("ms_checks_done", message=checks)
    alice.await_replies(seen, "Question 5 of 15")
    alice.say("skip", expect="Question 6 of 15")
    assert [asked(alice, f"Question {n} of 15") for n in (2, 3, 5, 6)] == [1, 1, 1, 1]
    assert [len(d.acks) for d in socket_requests.deliveries[:2]] == [2, 2]


@pytest.mark.parametrize("reason", ["refresh_requested", "warning"])
def test_after_slacks_disconnect_the_bot_reconnects_and_goes_on(
    alice: Author, socket_mode: SocketModeEmulator, reason: str
) -> None:
    """On `disconnect` the bot opens a new connection and the next answer arrives on it."""
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    old = socket_mode.send_disconnect(reason)
    new = socket_mode.wait_for_connection(after=old.number, timeout=RECONNECT_BOUND)
    alice.say("m2", expect="Question 3 of 16")
    assert alice.requests.deliveries[-1].connection == new.number  # type: ignore[attr-defined]


def test_a_connection_that_dies_silently_is_replaced(
    alice: Author, socket_mode: SocketModeEmulator, socket_bot: SocketBotProcess
) -> None:
    """A black-holed connection (no close, no pong) is given up and replaced by the bot, and
    the answer after it is handled; the process never restarted."""
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    dead = socket_mode.blackhole()
    new = socket_mode.wait_for_connection(after=dead.number, timeout=RECONNECT_BOUND)
    alice.say("m2", expect="Question 3 of 16")
    assert alice.requests.deliveries[-1].connection == new.number  # type: ignore[attr-defined]
    assert socket_bot.starts == 1 and socket_bot.proc is not None
    assert socket_bot.proc.poll() is None


def test_a_redelivered_slash_command_starts_one_draft(
    transport_alice: Author, transport_requests: SlackRequests, transport_bot: BotProcess
) -> None:
    """Over HTTP and over Socket Mode alike, Slack's second delivery of `/milestone new` (a
    retry, or the same envelope again) starts no second draft."""
    sent = transport_alice.command("new Bound cancel retries")
    assert transport_requests.retry(sent.request).status == 200
    wait_until(lambda: "command.duplicate" in transport_bot.logs(), what="the repeat ignored")
    roots = wait_until(
        lambda: [
            m
            for m in transport_alice.slack.bot_messages(transport_alice.channel)
            if "is drafting" in (m.text or "")
        ],
        what="the draft's root message",
    )
    assert len(roots) == 1
