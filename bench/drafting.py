"""What the benchmark's authors type, and how drafts are started through the real bot.

The answers are a whole Reliability Milestone, question by question (the same draft the
end-to-end tests type). Authors read the question number off the bot's post and answer that
question, so a changed flow shows up as rejected answers in the notes, not as a hang.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from bench.slack import WatchedSlack
from tests.emulators.slack_api import RELIABILITY
from tests.emulators.slack_requests import SlackRequests

ANSWERS: tuple[str, ...] = (
    "Bound cancel/replace retries after venue timeouts",
    "m3",
    "No order is re-sent more than 3 times after an ambiguous venue reply",
    "When the venue times out on a cancel, the reconciler re-sends cancel/replace pairs "
    "without bound, so one slow venue can produce hundreds of requests for one order.",
    "2, 4",
    "skip",
    "- Retry budget per order\n- Reconcile before every retry",
    "- Venue adapters",
    "- execution/reconciler.py\n- execution/retry_budget.py",
    "1. Add a retry budget\n2. Reconcile before retrying\n3. Alert on exhaustion",
    "skip",
    "- Venue drops every cancel reply for 10 minutes",
    "- order.retry_budget_exhausted",
    "- docs/runbooks/venue-timeouts.md",
    "skip",
    "none",
)
_QUESTION = re.compile(r"Question (\d+) of (\d+)")


def question_number(text: str) -> tuple[int, int] | None:
    """(n, total) from a post asking "Question n of total", else None."""
    found = _QUESTION.search(text)
    return (int(found.group(1)), int(found.group(2))) if found else None


def answer_for(number: int) -> str:
    """What the authors type for question `number` (1-based)."""
    return ANSWERS[min(number, len(ANSWERS)) - 1]


def start_drafts(
    slack: WatchedSlack,
    url: str,
    users: list[str],
    *,
    concurrency: int = 8,
    timeout: float = 60,
    requests: SlackRequests | None = None,
) -> dict[str, str]:
    """`/milestone` from each user, through the real bot; their thread ts once question 1 is in.

    Sent over HTTP to `url`, or through `requests` (e.g. Socket Mode envelopes). Raises if a
    thread or its first question does not appear within `timeout`.
    """
    requests = requests or SlackRequests(url, emulator=slack, timeout=30)

    def one(user: str) -> tuple[str, str]:
        response = requests.slash_command("", user_id=user, channel_id=RELIABILITY)
        if response.status != 200:
            raise RuntimeError(f"/milestone for {user} answered {response.status}")
        root = slack.wait_for(lambda: slack.root_for(user), timeout)
        if root is None:
            raise RuntimeError(f"no draft thread appeared for {user}")
        asked = slack.wait_for(lambda: slack.thread_posts(RELIABILITY, root.ts), timeout)
        if not asked:
            raise RuntimeError(f"no first question in {user}'s thread")
        return user, root.ts

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="seed") as pool:
        return dict(pool.map(one, users))


def fake_threads(slack: WatchedSlack, users: list[str]) -> dict[str, str]:
    """A thread ts per user for the bare app, which has no drafts to start."""
    return {user: slack.next_ts() for user in users}
