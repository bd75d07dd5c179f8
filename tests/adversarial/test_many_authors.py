"""Fifty authors drafting at once, each in their own thread of one channel.

Every author answers as soon as the bot asks (a closed loop, as people do), all fifty at
the same time, so the bot's request threads, listener pool and SQLite writers are busy with
interleaved drafts. Each author's answers carry their own marker; afterwards every draft,
read from the database file and printed by `milestone-bot show`, holds its author's markers
and nobody else's, and `milestone-bot replay` finds its journal and row in agreement.
"""

from __future__ import annotations

import itertools
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tests.adversarial.support import (
    StoreView,
    cli_process,
    database_path,
    poll,
    replay_agrees,
    shown_issue,
)
from tests.e2e.harness import BotProcess, message_text
from tests.emulators.slack_api import RELIABILITY, Message, SlackEmulator, User
from tests.emulators.slack_requests import SlackRequests

AUTHORS = 50
MARKER = re.compile(r"AUTHOR\d\dX")
INTERVAL = 0.1  # seconds between one author's looks at their thread


def _answers(tag: str) -> list[tuple[str, str]]:
    """(what the author types, what the bot's reply to it says): six questions' worth."""
    return [
        (f"{tag} bounds cancel retries", "Question 2 of 16"),
        ("m2", "Question 3 of 16"),
        (f"Exposure stays bounded for {tag}", "Question 4 of 16"),
        (f"When a venue times out, {tag} re-sends cancels without bound.", "Question 5 of 16"),
        ("1 3", "Question 6 of 16"),
        (f"- {tag} keeps one live cancel per order", "Question 7 of 16"),
    ]


@dataclass
class Drafter:
    """One of the fifty: a Slack user with a marker of their own."""

    number: int
    slack: SlackEmulator
    requests: SlackRequests
    thread_ts: str | None = None

    @property
    def user(self) -> str:
        return f"U0ADV{self.number:05d}"

    @property
    def tag(self) -> str:
        return f"AUTHOR{self.number:02d}X"

    def replies(self) -> list[Message]:
        return [
            m
            for m in self.slack.messages(RELIABILITY, self.thread_ts, viewer=self.user)
            if m.is_bot and m.ts != self.thread_ts
        ]

    def draft(self, start: threading.Barrier) -> None:
        start.wait()
        assert self.requests.slash_command("", user_id=self.user).status == 200
        root = poll(
            lambda: next(
                (
                    m
                    for m in self.slack.bot_messages(RELIABILITY)
                    if f"<@{self.user}>" in (m.text or "")
                ),
                None,
            ),
            interval=INTERVAL,
            timeout=45,
            what=f"{self.user}'s thread",
        )
        self.thread_ts = root.ts
        poll(self.replies, interval=INTERVAL, timeout=45, what=f"{self.user}'s first question")
        for text, expect in _answers(self.tag):
            seen = len(self.replies())
            sent = self.requests.message_event(
                text, user=self.user, channel=RELIABILITY, thread_ts=self.thread_ts
            )
            assert sent.status == 200
            poll(
                lambda seen=seen, expect=expect: any(
                    expect in message_text(m) for m in self.replies()[seen:]
                ),
                interval=INTERVAL,
                timeout=45,
                what=f"{self.user}: {expect}",
            )


def test_fifty_authors_at_once_each_get_only_their_own_answers(
    slack: SlackEmulator, bot: BotProcess, requests: SlackRequests, store_view: StoreView
) -> None:
    """Fifty concurrent drafts in fifty threads: no answer lands in another author's draft."""
    drafters = [Drafter(n, slack, requests) for n in range(1, AUTHORS + 1)]
    for d in drafters:
        slack.add_user(User(d.user, f"author{d.number:02d}", f"Author {d.number}"))
        slack.set_member(RELIABILITY, d.user)

    start = threading.Barrier(AUTHORS)
    with ThreadPoolExecutor(AUTHORS) as pool:
        for done in [pool.submit(d.draft, start) for d in drafters]:
            done.result()

    db = database_path(bot)
    # The drafts really were written at the same time: the journal interleaves them.
    order = [e["draft_id"] for e in store_view.journal()]
    switches = sum(a != b for a, b in itertools.pairwise(order))
    assert switches > 3 * AUTHORS, f"only {switches} switches between drafts in the journal"
    rows = {r["author"]: r for r in store_view.drafts()}
    assert sorted(rows) == sorted(d.user for d in drafters)
    assert len(store_view.drafts()) == AUTHORS
    for d in drafters:
        row = rows[d.user]
        assert row["thread_ts"] == d.thread_ts, d.user
        title, body = shown_issue(db, row["id"])
        assert d.tag in title, (d.user, title)
        assert set(MARKER.findall(title + body)) == {d.tag}, (d.user, title, body)
        assert body.count(d.tag) == 3, (d.user, body)  # objective, problem, invariant
        for entry in store_view.journal(row["id"]):
            assert entry["actor"] == d.user
            assert set(MARKER.findall(entry["input"] or "")) <= {d.tag}
        assert replay_agrees(db, row["id"]), d.user
        # Each question was asked once, in the author's own thread, and nobody was taken
        # for someone else.
        said = [message_text(m) for m in d.replies()]
        for n in range(1, 8):
            assert sum(f"Question {n} of 16" in s for s in said) == 1, (d.user, n)
        assert not any("Only <@" in s for s in said)

    sample = rows[drafters[0].user]["id"]
    printed = cli_process(db, "show", sample)
    assert printed.code == 0, printed.err
    assert printed.out == "\n\n".join(shown_issue(db, sample))
