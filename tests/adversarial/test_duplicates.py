"""Duplicate and out-of-order deliveries: whatever Slack sends twice has one effect.

Slack retries an event it thinks timed out (`X-Slack-Retry-Num`), a proxy can repeat any
request, and a retry can arrive after the author has moved on. Bolt acks events before
their listeners run, so duplicates run concurrently; the store's claim on the delivery id
is what keeps them to one effect. Where a duplicate has no visible effect, the test waits
for the bot's own `answer.duplicate` log line, or (on a bot with one listener thread) for
the effect of a later request, before it looks.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from tests.adversarial.support import StoreView, builder_for, built_answer, log_events, redeliver
from tests.e2e.harness import Author, BotProcess, message_text, wait_until
from tests.emulators.slack_api import BOB, SlackEmulator
from tests.emulators.slack_requests import BotResponse, SentRequest, SlackRequests


def _deliver_at_once(requests: SlackRequests, sent: SentRequest, times: int) -> list[int]:
    """Deliver `sent` `times` times concurrently, as Slack's retries (retry 0, 1, 2 ...)."""
    start = threading.Barrier(times)

    def deliver(retry_num: int) -> BotResponse:
        start.wait()
        return redeliver(requests, sent, retry_num)

    with ThreadPoolExecutor(times) as pool:
        return [r.status for r in pool.map(deliver, range(times))]


def _asked(author: Author, text: str) -> int:
    return sum(text in message_text(m) for m in author.bot_replies())


def test_one_event_delivered_three_times_at_once_is_applied_once(
    alice: Author, bot: BotProcess, requests: SlackRequests, store_view: StoreView
) -> None:
    """Three concurrent deliveries of one answer make one journal entry and one question."""
    alice.start()
    sent = built_answer(requests, alice, "Bound retries")
    event_id = sent.payload["event_id"]
    before = store_view.counts()

    assert _deliver_at_once(requests, sent, 3) == [200, 200, 200]
    wait_until(
        lambda: len(log_events(bot, "answer.duplicate", correlation_id=event_id)) == 2,
        what="both duplicates to be handled",
    )
    alice.await_replies(1, "Question 2 of 16")

    assert len(store_view.journal_for(event_id)) == 1
    assert store_view.counts()["journal"] == before["journal"] + 1
    assert _asked(alice, "Question 2 of 16") == 1
    alice.say("m2", expect="Question 3 of 16")
    assert _asked(alice, "Question 2 of 16") == 1


def test_one_message_under_two_event_ids_is_applied_once(
    alice: Author, bot: BotProcess, requests: SlackRequests, store_view: StoreView
) -> None:
    """The same Slack message (channel and ts) delivered as two events is one answer."""
    alice.start()
    build = builder_for(requests)
    build.message_event(
        "Bound retries", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
    )
    first = build.sent[-1]
    event = first.payload["event"]
    second = build.envelope(event, event_id="Ev0SECOND001")
    before = store_view.counts()
    with ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(
                lambda payload: (
                    requests.send_event(payload["event"], event_id=payload["event_id"]).status
                ),
                [first.payload, second],
            )
        )
    assert statuses == [200, 200]
    wait_until(
        lambda: log_events(bot, "answer.duplicate"), what="the second delivery to be handled"
    )
    alice.await_replies(1, "Question 2 of 16")
    assert store_view.counts()["journal"] == before["journal"] + 1
    assert _asked(alice, "Question 2 of 16") == 1


def test_an_old_retry_arriving_after_later_answers_changes_nothing(
    alice: Author, bot: BotProcess, requests: SlackRequests, store_view: StoreView
) -> None:
    """Slack's retry of the first answer, arriving three answers later, is ignored."""
    alice.start()
    first = requests.message_event(
        "Bound retries", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
    )
    alice.await_replies(1, "Question 2 of 16")
    alice.say("m2", expect="Question 3 of 16")
    alice.say("No order is re-sent more than 3 times", expect="Question 4 of 16")
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    before, replies = store_view.counts(), len(alice.bot_replies())

    event_id = first.request.payload["event_id"]
    assert requests.retry(first.request).status == 200
    wait_until(
        lambda: log_events(bot, "answer.duplicate", correlation_id=event_id),
        what="the old retry to be handled",
    )
    assert store_view.counts() == before
    assert store_view.draft(draft.id) == draft
    assert len(alice.bot_replies()) == replies
    alice.say("Cancels loop without bound when a venue times out.", expect="Question 5 of 16")
    assert store_view.draft(draft.id).title == "Bound retries"


def test_a_click_delivered_three_times_at_once_acts_once(
    alice: Author, bot: BotProcess, requests: SlackRequests, store_view: StoreView
) -> None:
    """Three concurrent deliveries of one button click answer once and ask once."""
    alice.start("new Bound retries")
    question = next(
        m for m in reversed(alice.bot_replies()) if "Question 1 of 15" in message_text(m)
    )
    button = next(
        e["action_id"]
        for b in question.blocks or []
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("text", {}).get("text") == "M3"
    )
    build = builder_for(requests)
    build.block_action(
        button,
        user=alice.user,
        channel=alice.channel,
        message_ts=question.ts,
        thread_ts=alice.thread_ts,
    )
    sent = build.sent[-1]
    action = sent.payload["actions"][0]
    correlation = f"action:{action['action_ts']}:{action['action_id']}"
    before, seen = store_view.counts(), len(alice.bot_replies())

    assert _deliver_at_once(requests, sent, 3) == [200, 200, 200]
    wait_until(
        lambda: len(log_events(bot, "answer.duplicate", correlation_id=correlation)) == 2,
        what="both duplicate clicks to be handled",
    )
    alice.await_replies(seen, "Question 2 of 15")
    assert len(store_view.journal_for(correlation)) == 1
    assert store_view.counts()["journal"] == before["journal"] + 1
    assert _asked(alice, "Question 2 of 15") == 1


def test_a_slash_command_delivered_twice_starts_one_draft(
    serial_alice: Author,
    serial_requests: SlackRequests,
    slack: SlackEmulator,
    serial_view: StoreView,
) -> None:
    """A repeated `/milestone new` (same trigger_id) opens one draft and one thread."""
    sent = serial_requests.slash_command("new Bound retries")
    assert sent.status == 200
    assert serial_requests.retry(sent.request).status == 200
    # Listeners run one at a time in arrival order: Bob's thread appearing proves both
    # deliveries of Alice's command were handled.
    assert serial_requests.slash_command("new Sentinel", user_id=BOB).status == 200
    wait_until(
        lambda: any(f"<@{BOB}>" in m.text for m in slack.bot_messages(serial_alice.channel)),
        what="Bob's thread",
    )
    alice_drafts = [r for r in serial_view.drafts() if r["author"] == serial_alice.user]
    roots = [m for m in slack.bot_messages(serial_alice.channel) if "Bound retries" in m.text]
    assert len(alice_drafts) == 1, [r["id"] for r in alice_drafts]
    assert len(roots) == 1


def test_an_edit_delivered_before_its_message_leaves_the_edited_text(
    serial_alice: Author, serial_requests: SlackRequests, serial_view: StoreView
) -> None:
    """When the edit arrives before the message it edits, the answer is the edited text."""
    alice = serial_alice
    alice.start()
    # Typed, but its delivery failed: Slack will retry it.
    original = built_answer(serial_requests, alice, "Bound retries")
    ts = original.payload["event"]["ts"]
    edited = serial_requests.message_changed(
        ts, "Bound cancel retries", channel=alice.channel, thread_ts=alice.thread_ts
    )
    assert edited.status == 200
    assert redeliver(serial_requests, original, 1).status == 200
    alice.await_replies(1, "Question 2 of 16")
    draft = serial_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    assert draft.title == "Bound cancel retries"
