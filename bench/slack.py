"""The Slack side of the benchmark: an emulator that reports each bot post as it lands, and
a sender that signs requests like Slack and keeps one keep-alive connection per thread.

`WatchedSlack` is the tests' SlackEmulator with one addition: every message the bot stores
(a post, a response_url reply) is timestamped with `time.perf_counter()` in this process and
wakes whoever waits for it, so "the next question arrived" is observed when Slack has it,
not when a poller happens to look.
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from tests.emulators.slack_api import (
    APP_ID,
    BOT_USER_ID,
    RELIABILITY,
    TEAM_ID,
    Message,
    SlackEmulator,
    User,
)
from tests.emulators.slack_requests import (
    SIGNING_SECRET,
    SlackRequests,
    as_typed,
    rich_text_blocks,
    signature,
)

T = TypeVar("T")
_MENTION = re.compile(r"<@(U[A-Z0-9]+)>")
# gunicorn closes a keep-alive connection idle for 2 s; reconnect before that can bite.
_IDLE_RECONNECT = 1.0
# Slack's event_id is unique per delivery and the bot deduplicates on it: one sequence for
# every sender in this process, so no two runs against one database ever reuse an id.
_EVENT_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class Posted:
    """A message the bot stored in Slack, and when (perf_counter in this process)."""

    at: float
    channel: str
    ts: str
    thread_ts: str | None
    text: str
    source: str
    ephemeral_to: str | None


class WatchedSlack(SlackEmulator):
    """The Slack emulator, with a condition the benchmark waits on for the bot's posts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seen = threading.Condition()
        self._threads: dict[tuple[str, str], list[Posted]] = {}
        self._roots: dict[str, Posted] = {}  # top-level posts by the first user they mention
        self._responses: dict[str, list[Posted]] = {}  # response_url replies by user
        self._bot_posts = 0

    def _append(self, message: Message) -> None:
        super()._append(message)
        if message.user != self.bot_user_id:
            return
        posted = Posted(
            time.perf_counter(),
            message.channel,
            message.ts,
            message.thread_ts,
            message.text or "",
            message.source,
            message.ephemeral_to,
        )
        with self._seen:
            self._bot_posts += 1
            if message.source == "response_url":
                self._responses.setdefault(message.ephemeral_to or "", []).append(posted)
            elif message.thread_ts and message.thread_ts != message.ts:
                self._threads.setdefault((message.channel, message.thread_ts), []).append(posted)
            else:
                mention = _MENTION.search(posted.text)
                if mention:
                    self._roots.setdefault(mention.group(1), posted)
            self._seen.notify_all()

    # Read these only inside wait_for's predicate (it holds the condition).

    def thread_posts(self, channel: str, thread_ts: str) -> list[Posted]:
        return self._threads.get((channel, thread_ts), [])

    def root_for(self, user: str) -> Posted | None:
        return self._roots.get(user)

    def responses_to(self, user: str) -> list[Posted]:
        return self._responses.get(user, [])

    def posts_in_threads(self) -> int:
        return sum(len(p) for p in self._threads.values())

    def count_in_thread(self, channel: str, thread_ts: str) -> int:
        """How many bot posts the thread holds now (safe to call from any thread)."""
        with self._seen:
            return len(self.thread_posts(channel, thread_ts))

    def response_count(self, user: str) -> int:
        with self._seen:
            return len(self.responses_to(user))

    def thread_post_total(self) -> int:
        with self._seen:
            return self.posts_in_threads()

    def wait_for(self, predicate: Callable[[], T], timeout: float) -> T | None:
        """The first truthy value of `predicate`, re-checked at each bot post; None on timeout."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._seen.wait(remaining)

    def forget(self) -> None:
        """A clean slate between runs: no messages, calls or faults, no delay."""
        self.delay = 0.0
        self.reset()
        with self._seen:
            self._threads.clear()
            self._roots.clear()
            self._responses.clear()
            self._bot_posts = 0


def bench_users(count: int, prefix: str = "U0BN") -> list[str]:
    """`count` distinct Slack user ids, added to the emulator's workspace by `add_people`."""
    return [f"{prefix}{n:06d}" for n in range(1, count + 1)]


def add_people(slack: SlackEmulator, users: list[str], channel: str = RELIABILITY) -> None:
    for n, user in enumerate(users, start=1):
        slack.add_user(User(user, f"author{n}", f"Author {n}", f"author{n}", "Europe/Berlin"))
        slack.set_member(channel, user)


@dataclass(frozen=True)
class Prepared:
    """A signed request body, ready to send."""

    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Sent:
    status: int  # 0: no HTTP answer (connection error)
    started: float  # perf_counter before the request was written
    seconds: float  # until the whole response was read


class SlackSender:
    """Sends Slack's requests to one app at 127.0.0.1:`port`, signed with `signing_secret`."""

    def __init__(self, port: int, *, signing_secret: str = SIGNING_SECRET) -> None:
        self.port = port
        self.signing_secret = signing_secret
        self._local = threading.local()
        self._envelopes = SlackRequests(f"http://127.0.0.1:{port}/slack/events")

    def message_event(
        self, user: str, text: str, *, ts: str, thread_ts: str, channel: str = RELIABILITY
    ) -> Prepared:
        """The event_callback Slack sends when `user` types `text` in a thread, signed now."""
        n = next(_EVENT_NUMBERS)
        wire = as_typed(text)
        event: dict[str, Any] = {
            "user": user,
            "type": "message",
            "ts": ts,
            "client_msg_id": f"{n:08x}-5e1f-4c3a-9d2b-{n:012x}",
            "text": wire,
            "team": TEAM_ID,
            "blocks": rich_text_blocks(text, f"rt{n:05d}"),
            "thread_ts": thread_ts,
            "parent_user_id": BOT_USER_ID,
            "channel": channel,
            "event_ts": ts,
            "channel_type": "channel",
        }
        payload = self._envelopes.envelope(event, event_id=f"Ev0BENCH{n:08d}", api_app_id=APP_ID)
        body = json.dumps(payload).encode()
        return self.sign(body, "application/json")

    def sign(self, body: bytes, content_type: str) -> Prepared:
        now = int(time.time())
        return Prepared(
            body,
            {
                "Content-Type": content_type,
                "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": signature(self.signing_secret, now, body),
            },
        )

    def send(self, request: Prepared, *, timeout: float = 30.0) -> Sent:
        """POST it over this thread's keep-alive connection; a failure is status 0."""
        conn = self._connection(timeout)
        started = time.perf_counter()
        try:
            conn.request("POST", "/slack/events", body=request.body, headers=request.headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                self._drop()
        except (OSError, http.client.HTTPException):
            self._drop()
            status = 0
        finished = time.perf_counter()
        self._local.used = finished
        return Sent(status, started, finished - started)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        idle = time.perf_counter() - getattr(self._local, "used", 0.0)
        if conn is not None and idle > _IDLE_RECONNECT:
            self._drop()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def close(self) -> None:
        self._drop()
