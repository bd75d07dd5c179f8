"""Forged, missing and stale Slack signatures, and replayed requests: 401, and nothing stored.

A request is refused before any listener sees it (Bolt checks the signature while the
request is open), so "nothing stored" is checked as soon as the 401 is back: the database
file (read-only) has the same rows, and the bot made no Slack call. The genuine request is
then sent and has its effect, which proves the refused ones would have had one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.adversarial.support import (
    RequestBuilder,
    StoreView,
    builder_for,
    log_events,
    post_raw,
)
from tests.e2e.harness import Author, BotProcess, message_text, wait_until
from tests.emulators.slack_api import Message, SlackEmulator
from tests.emulators.slack_requests import SIGNING_SECRET, SentRequest, SlackRequests, signature

OTHER_SECRET = "0123456789abcdef0123456789abcdef"
STALE = 6 * 60  # seconds: past Slack's five-minute window


def _forgeries(sent: SentRequest) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Ways to get a request wrong, each as (body, headers), from a genuine one."""
    body, headers = sent.body, dict(sent.headers)
    ts = headers["X-Slack-Request-Timestamp"]
    without = {
        name: {k: v for k, v in headers.items() if k != name}
        for name in ("X-Slack-Signature", "X-Slack-Request-Timestamp")
    }
    # Impersonation, still well-formed: the signature, not the parser, must refuse it.
    tampered = body.replace(b"U0ALICE001", b"U0BOB00001")
    assert tampered != body
    now = int(time.time())
    return {
        "tampered body": (tampered, headers),
        "signed with another secret": (
            body,
            {**headers, "X-Slack-Signature": signature(OTHER_SECRET, ts, body)},
        ),
        "no signature": (body, without["X-Slack-Signature"]),
        "no timestamp": (body, without["X-Slack-Request-Timestamp"]),
        "empty signature": (body, {**headers, "X-Slack-Signature": ""}),
        "v1 scheme": (
            body,
            {**headers, "X-Slack-Signature": "v1" + headers["X-Slack-Signature"][2:]},
        ),
        "timestamp moved, signature kept": (
            body,
            {**headers, "X-Slack-Request-Timestamp": str(int(ts) + 1)},
        ),
        "stale, correctly signed": _signed(body, headers, now - STALE),
        "from the future, correctly signed": _signed(body, headers, now + STALE),
    }


def _signed(body: bytes, headers: dict[str, str], ts: int) -> tuple[bytes, dict[str, str]]:
    return body, {
        **headers,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": signature(SIGNING_SECRET, ts, body),
    }


def _question_message(author: Author) -> Message:
    """The last bot reply that has buttons (the milestone question)."""
    for message in reversed(author.bot_replies()):
        if any(b.get("type") == "actions" for b in message.blocks or []):
            return message
    raise AssertionError("no question with buttons in the thread")


Build = Callable[[RequestBuilder, Author], SentRequest]


def _command(build: RequestBuilder, alice: Author) -> SentRequest:
    build.slash_command("new Bound forged retries", user_id=alice.user, channel_id=alice.channel)
    return build.sent[-1]


def _event(build: RequestBuilder, alice: Author) -> SentRequest:
    build.message_event("m3", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts)
    return build.sent[-1]


def _interaction(build: RequestBuilder, alice: Author) -> SentRequest:
    message = _question_message(alice)
    button = next(
        e["action_id"]
        for b in message.blocks or []
        if b.get("type") == "actions"
        for e in b["elements"]
        if e.get("text", {}).get("text") == "M3"
    )
    build.block_action(
        button,
        user=alice.user,
        channel=alice.channel,
        message_ts=message.ts,
        thread_ts=alice.thread_ts,
    )
    return build.sent[-1]


BUILDERS: dict[str, Build] = {"command": _command, "event": _event, "interaction": _interaction}


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_forged_missing_and_stale_signatures_get_401_and_store_nothing(
    kind: str,
    alice: Author,
    requests: SlackRequests,
    slack: SlackEmulator,
    store_view: StoreView,
) -> None:
    """Every way of getting the signature wrong is refused with 401 and leaves no trace."""
    alice.start("new Bound retries")
    genuine = BUILDERS[kind](builder_for(requests), alice)
    before, calls = store_view.counts(), len(slack.calls())
    for name, (body, headers) in _forgeries(genuine).items():
        status, _ = post_raw(genuine.url, body, headers)
        assert status == 401, f"{kind}, {name}: {status}"
        assert store_view.counts() == before, f"{kind}, {name} stored something"
        assert len(slack.calls()) == calls, f"{kind}, {name} made the bot call Slack"

    # The genuine request, re-signed now, has the effect the forgeries were refused.
    assert requests.post(genuine.body, genuine.headers["Content-Type"]).status == 200
    grew = "drafts" if kind == "command" else "journal"
    wait_until(lambda: store_view.counts()[grew] > before[grew], what=f"the genuine {kind}")


def test_requests_replayed_after_five_minutes_get_401_and_store_nothing(
    alice: Author, requests: SlackRequests, slack: SlackEmulator, store_view: StoreView
) -> None:
    """A signed request re-sent byte for byte six minutes later is refused, whatever it holds."""
    # The bot keeps no memory of signatures: a request Slack signed six minutes ago, re-sent
    # unchanged, is exactly the bytes and headers built here with that timestamp. These never
    # reached the bot before, so only the timestamp check stands between them and the store.
    alice.start("new Bound retries")
    build = builder_for(requests)
    build.clock = lambda: time.time() - STALE
    captured = [make(build, alice) for make in BUILDERS.values()]
    before, calls = store_view.counts(), len(slack.calls())
    for sent in captured:
        status, _ = post_raw(sent.url, sent.body, sent.headers)
        assert status == 401, f"{sent.kind}: {status}"
    assert store_view.counts() == before
    assert len(slack.calls()) == calls
    alice.say("m3", expect="Question 2 of 15")
    assert store_view.counts()["drafts"] == before["drafts"]


def test_a_replay_inside_the_window_is_accepted_but_applied_once(
    alice: Author, bot: BotProcess, requests: SlackRequests, store_view: StoreView
) -> None:
    """Within five minutes a replayed answer passes the signature check and is deduplicated."""
    alice.start("new Bound retries")
    sent = requests.message_event(
        "m3", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
    )
    alice.await_replies(1, "Question 2 of 15")
    before = store_view.counts()
    event_id = sent.request.payload["event_id"]
    replayed = requests.replay(sent.request)  # same bytes, same signature
    assert replayed.status == 200
    wait_until(
        lambda: log_events(bot, "answer.duplicate", correlation_id=event_id),
        what="the replay to be handled",
    )
    assert store_view.counts() == before
    assert len(store_view.journal_for(event_id)) == 1
    alice.say("No order is re-sent more than 3 times", expect="Question 3 of 15")
    asked = [m for m in alice.bot_replies() if "Question 2 of 15" in message_text(m)]
    assert len(asked) == 1


MALFORMED = {
    "non-numeric timestamp": (None, {"X-Slack-Request-Timestamp": "abc"}),
    "timestamp with trailing text": (None, {"X-Slack-Request-Timestamp": "1700000000s"}),
    "empty timestamp": (None, {"X-Slack-Request-Timestamp": ""}),
    "body that is not JSON": (b'{"type": "event_callback", ', {}),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_unsigned_requests_get_401_not_a_server_error(
    case: str, alice: Author, requests: SlackRequests, store_view: StoreView
) -> None:
    """A request whose timestamp or body cannot even be read is refused like any forgery."""
    alice.start("new Bound retries")
    genuine = _event(builder_for(requests), alice)
    body, headers = MALFORMED[case]
    before = store_view.counts()
    status, _ = post_raw(genuine.url, body or genuine.body, {**genuine.headers, **headers})
    assert store_view.counts() == before
    assert status == 401, f"{case}: {status}"
