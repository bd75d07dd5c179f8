"""`kill -9` of `milestone-bot serve` at random points of a draft, then a restart.

Acknowledged, defined precisely: the bot acknowledges an answer by replying to it in the
thread (the next question, a refusal, the preview). The bot commits an answer before it
says anything about it, so every acknowledged answer must be in the journal, once, after
any crash. An answer the bot never replied to may be lost (its HTTP 200 only meant
"received": Bolt acks events before its listeners run); the author sees no reply and
types it again, which must work.

The points, chosen in a seeded random order (ADVERSARIAL_SEED overrides the seed):
* idle: between answers, nothing in flight.
* before_commit: the answer mentions someone, and the bot is held in `users.info` while
  turning the mention into a name, before its transaction: killed there, nothing is kept.
* after_commit: the bot is held posting its reply (`chat.postMessage`): the answer is
  committed, not acknowledged.
* in_flight: killed as the request is sent, anywhere from before the ack to after the
  reply; if no HTTP answer came back, Slack retries the delivery after the restart.
Held calls are held by the emulator until the test ends, so they never land late.
"""

from __future__ import annotations

import os
import random
import threading
import urllib.error
from dataclasses import dataclass, field

from tests.adversarial.support import (
    RequestBuilder,
    StoreView,
    builder_for,
    database_path,
    log_events,
    redeliver,
    replay_agrees,
)
from tests.e2e.harness import Author, BotProcess, wait_until
from tests.emulators.slack_api import SlackEmulator, User
from tests.emulators.slack_requests import SentRequest, SlackRequests

SEED = int(os.environ.get("ADVERSARIAL_SEED", "20251126"))
POINTS = ("idle", "before_commit", "after_commit", "in_flight")
HOLD = 600.0  # seconds the emulator holds a call: longer than the test, released at its end

# A valid answer for each question, {m} a marker unique to each message typed.
ANSWERS = {
    "title": "Bound cancel retries {m}",
    "milestone": "m3",
    "objective": "Exposure stays bounded {m}",
    "problem": "Cancels loop without bound when a venue times out {m}.",
    "invariants": "2 4",
    "additional_invariants": "- One live cancel per order {m}",
    "in_scope": "- Retry budget per order {m}",
    "out_of_scope": "- Venue adapters {m}",
    "file_touch": "- execution/reconciler.py {m}",
    "implementation": "1. Add a retry budget {m}\n2. Reconcile first",
    "test_commands": "skip",
    "adversarial": "- Venue drops every cancel reply {m}",
    "telemetry": "- order.retry.exhausted {m}",
    "docs": "- docs/runbooks/venue-timeouts.md {m}",
    "notes": "skip",
    "gates": "none",
}


@dataclass
class Crashes:
    """One author's draft, the answers the bot acknowledged, and the bot being killed."""

    alice: Author
    bot: BotProcess
    slack: SlackEmulator
    requests: SlackRequests
    view: StoreView
    draft_id: str = ""
    acknowledged: list[tuple[str, str]] = field(default_factory=list)  # (event id, text)
    typed: int = 0

    def step_answer(self, mention: str = "") -> str:
        draft = self.view.draft(self.draft_id)
        self.typed += 1
        text = ANSWERS.get(draft.flow.step or "", "preview").format(m=f"K{self.typed:03d}")
        return f"{text} <@{mention}>" if mention else text

    def answer(self) -> None:
        """Type the current question's answer and wait for the reply: acknowledged."""
        text = self.step_answer()
        seen = len(self.alice.bot_replies())
        sent = self.requests.message_event(
            text,
            user=self.alice.user,
            channel=self.alice.channel,
            thread_ts=self.alice.thread_ts,
            typed=False,
        )
        assert sent.status == 200
        self.alice.await_replies(seen)
        self.acknowledged.append((sent.request.payload["event_id"], text))

    def build(self, text: str) -> SentRequest:
        build: RequestBuilder = builder_for(self.requests)
        build.message_event(
            text,
            user=self.alice.user,
            channel=self.alice.channel,
            thread_ts=self.alice.thread_ts,
            typed=False,
        )
        return build.sent[-1]

    def deliver(self, sent: SentRequest, retry_num: int = 0) -> int:
        return redeliver(self.requests, sent, retry_num).status

    def replied_after(self, sent: SentRequest) -> bool:
        ts = sent.payload["event"]["ts"]
        return any(float(m.ts) > float(ts) for m in self.alice.bot_replies())

    def calls(self, method: str) -> int:
        return len(self.slack.calls(method))

    # -- the points ---------------------------------------------------------------------

    def kill_idle(self, number: int) -> None:
        self.bot.kill()
        self.bot.start()

    def kill_before_commit(self, number: int) -> None:
        person = f"U0KILL{number:04d}"
        self.slack.add_user(User(person, f"kill{number}", f"Kill Person {number}"))
        sent = self.build(self.step_answer(mention=person))
        before = self.calls("users.info")
        self.slack.slow("users.info", HOLD)
        assert self.deliver(sent) == 200
        wait_until(lambda: self.calls("users.info") > before, what="the held users.info")
        self.bot.kill()
        self.bot.start()
        self.slack.clear_faults("users.info")
        assert not self.view.journal_for(sent.payload["event_id"]), "committed before the hold"
        assert not self.replied_after(sent)

    def kill_after_commit(self, number: int) -> None:
        sent = self.build(self.step_answer())
        before = self.calls("chat.postMessage")
        self.slack.slow("chat.postMessage", HOLD)
        assert self.deliver(sent) == 200
        wait_until(lambda: self.calls("chat.postMessage") > before, what="the held reply")
        self.bot.kill()
        self.bot.start()
        self.slack.clear_faults("chat.postMessage")
        assert len(self.view.journal_for(sent.payload["event_id"])) == 1, "not committed"
        assert not self.replied_after(sent)

    def kill_in_flight(self, number: int) -> None:
        sent = self.build(self.step_answer())
        status: list[int] = []

        def send() -> None:
            try:
                status.append(self.deliver(sent))
            except (urllib.error.URLError, ConnectionError, OSError):
                status.append(0)  # the connection died with the bot: no HTTP answer

        sender = threading.Thread(target=send)
        sender.start()
        self.bot.kill()
        sender.join(timeout=30)
        self.bot.start()
        event_id = sent.payload["event_id"]
        if status != [200]:
            # No HTTP answer: Slack retries the delivery once the bot is back.
            earlier = len(self.handled(event_id))
            assert self.deliver(sent, retry_num=1) == 200
            handled = wait_until(
                lambda: self.handled(event_id)[earlier:], what="the retried delivery"
            )
            if handled[0]["event"] != "answer.duplicate":
                wait_until(lambda: self.replied_after(sent), what="the reply to the retry")
        if self.replied_after(sent):
            self.acknowledged.append((event_id, sent.payload["event"]["text"]))

    def handled(self, event_id: str) -> list[dict[str, object]]:
        """The bot's log lines saying what became of that delivery."""
        outcomes = ("answer.duplicate", "answer.recorded", "answer.rejected")
        return [e for e in log_events(self.bot, correlation_id=event_id) if e["event"] in outcomes]

    # -- after each restart -------------------------------------------------------------

    def check(self, context: str) -> None:
        """Every acknowledged answer is in the journal once; journal and row agree."""
        for event_id, text in self.acknowledged:
            entries = self.view.journal_for(event_id)
            assert len(entries) == 1, f"{context}: {text!r} is in the journal {len(entries)}×"
            assert entries[0]["input"] == text, context
        assert replay_agrees(database_path(self.bot), self.draft_id), context

    def go_on(self) -> None:
        """The author picks the draft up again and answers: it works."""
        seen = len(self.alice.bot_replies())
        self.alice.command(f"resume {self.draft_id}")
        self.alice.await_replies(seen, "Picking up where you left off")
        wait_until(
            lambda: len(self.alice.bot_replies()) >= seen + 2, what="the question after resuming"
        )
        self.answer()


def test_every_acknowledged_answer_survives_kill_9_at_random_points(
    alice: Author,
    bot: BotProcess,
    slack: SlackEmulator,
    requests: SlackRequests,
    store_view: StoreView,
) -> None:
    """After kill -9 anywhere in a draft and a restart, acknowledged answers are all kept."""
    rng = random.Random(SEED)
    points = [*POINTS, rng.choice(POINTS)]
    rng.shuffle(points)
    alice.start()
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    crashes = Crashes(alice, bot, slack, requests, store_view, draft_id=draft.id)

    for number, point in enumerate(points, 1):
        for _ in range(rng.randint(0, 1)):
            crashes.answer()
        context = f"seed {SEED}, crash {number} ({point}) of {points}"
        getattr(crashes, f"kill_{point}")(number)
        crashes.check(context)
        crashes.go_on()
        crashes.check(context + ", after going on")

    assert bot.starts == len(points) + 1
    assert len(crashes.acknowledged) >= len(points)
