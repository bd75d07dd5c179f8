"""The drafting conversation in Slack, end to end: real server, signed requests, emulator."""

from __future__ import annotations

from tests.e2e.harness import Author, BotProcess, message_text
from tests.emulators.slack_api import ALICE, SlackEmulator

TYPED_ANSWERS: list[tuple[str, str]] = [
    ("Bound cancel/replace retries after venue timeouts", "Question 2 of 16"),
    ("m3", "Question 3 of 16"),
    ("No order is re-sent more than 3 times after an ambiguous venue reply", "Question 4 of 16"),
    (
        "When the venue times out on a cancel, the reconciler re-sends cancel/replace pairs "
        "without bound, so one slow venue can produce hundreds of requests for one order.",
        "Question 5 of 16",
    ),
    ("2, 4", "Question 6 of 16"),
    ("skip", "Question 7 of 16"),
    ("- Retry budget per order\n- Reconcile before every retry", "Question 8 of 16"),
    ("- Venue adapters", "Question 9 of 16"),
    ("- execution/reconciler.py\n- execution/retry_budget.py", "Question 10 of 16"),
    ("1. Add a retry budget\n2. Reconcile before retrying\n3. Alert on exhaustion", "11 of 16"),
    ("skip", "Question 12 of 16"),
    ("- Venue drops every cancel reply for 10 minutes", "Question 13 of 16"),
    ("- order.retry_budget_exhausted", "Question 14 of 16"),
    ("- docs/runbooks/venue-timeouts.md", "Question 15 of 16"),
    ("skip", "Question 16 of 16"),
    ("none", "File issue"),
]


def test_a_whole_draft_typed_in_the_thread_reaches_the_preview(
    alice: Author, slack: SlackEmulator
) -> None:
    """Typed answers alone take a draft from /milestone to a preview with a File button."""
    first = alice.start()
    assert "Question 1 of 16" in message_text(first[-1])
    root = slack.message(alice.channel, alice.thread_ts or "")
    assert f"<@{ALICE}> is drafting a Reliability Milestone" in root.text
    for text, expect in TYPED_ANSWERS:
        alice.say(text, expect=expect)
    preview = "\n".join(message_text(m) for m in alice.bot_replies()[-3:])
    assert "[Reliability] Bound cancel/replace retries after venue timeouts" in preview
    assert "Milestone Context" in preview
    assert "☐ Added/updated unit tests for new behavior." in preview


def test_the_bots_calls_to_slack_share_kept_connections(
    alice: Author, slack: SlackEmulator
) -> None:
    """A draft's calls to the Web API go over connections kept open between calls (one per
    thread that talks to Slack), not a new connection each (bot/slack/connections.py)."""
    alice.start()
    for text, expect in TYPED_ANSWERS[:8]:
        alice.say(text, expect=expect)
    calls = len(slack.calls())
    assert calls >= 10
    assert slack.connections <= calls // 2, (slack.connections, calls)


def test_a_retried_event_applies_the_answer_once(alice: Author, slack: SlackEmulator) -> None:
    """Slack's retry of an answer event neither records it twice nor asks twice."""
    alice.start()
    seen = len(alice.bot_replies())
    sent = alice.requests.message_event(
        "Bound retries", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
    )
    alice.await_replies(seen, "Question 2 of 16")
    retried = alice.requests.retry(sent.request)
    assert retried.status == 200
    # A later answer proves the retry was processed (listeners run in order per thread).
    alice.say("m2", expect="Question 3 of 16")
    asked = [m for m in alice.bot_replies() if "Question 2 of 16" in message_text(m)]
    assert len(asked) == 1


def test_a_forged_signature_is_refused_and_changes_nothing(
    alice: Author, slack: SlackEmulator
) -> None:
    """A request with a tampered body gets 401 and the draft does not move."""
    alice.start()
    sent = alice.requests.message_event(
        "Bound retries", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
    )
    alice.await_replies(1, "Question 2 of 16")
    forged = alice.requests.replay(sent.request, body=sent.request.body.replace(b"Bound", b"Evil"))
    assert forged.status == 401
    stale = alice.requests.message_event(
        "m2",
        user=alice.user,
        channel=alice.channel,
        thread_ts=alice.thread_ts,
        timestamp=int(alice.requests.clock()) - 600,
    )
    assert stale.status == 401
    alice.say("m2", expect="Question 3 of 16")
    assert not any("Evil" in message_text(m) for m in alice.bot_replies())


def test_a_restart_in_the_middle_keeps_every_answer(alice: Author, bot: BotProcess) -> None:
    """After the server restarts, the author goes on at the question they had reached."""
    alice.start()
    alice.say("Bound retries", expect="Question 2 of 16")
    alice.say("m2", expect="Question 3 of 16")
    bot.restart()
    alice.say("Retries stay bounded", expect="Question 4 of 16")
