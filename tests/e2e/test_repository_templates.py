"""Two channels drafting for two repositories, each with the template that repository keeps
on GitHub: the real `serve`, the Slack emulator and the GitHub emulator (contents API, push
webhooks), over HTTP.

acme/execution keeps the bundled template; acme/payments keeps one with an extra gate, a
renamed gate label, its own title prefix, labels and assignee.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.github.templates import DEFAULT_REPO_PATH
from flows.draft import Draft
from flows.render import as_filed, render_issue
from flows.template import parse_template
from flows.template_version import blob_sha
from tests.e2e.harness import (
    ROOT,
    Author,
    BotProcess,
    bot_environment,
    filing_settings,
    message_text,
    wait_until,
)
from tests.emulators.github_api import Fault, GitHubEmulator, Issue
from tests.emulators.github_contents import push
from tests.emulators.github_webhooks import post_webhook
from tests.emulators.slack_api import ALICE, BOB, RELIABILITY, SRE_PRIVATE, SlackEmulator
from tests.emulators.slack_requests import SlackRequests
from tests.template_variants import (
    EXTRA_GATE,
    RENAMED_FROM,
    RENAMED_TO,
    bundled_text,
    gate_without_boxes,
    payments_template,
)

pytestmark = pytest.mark.e2e

TOKEN = "ghp-milestone-bot-tpl01"
SECRET = "webhook-secret-tpl"
EXECUTION = "acme/execution"
PAYMENTS = "acme/payments"
NEW_GATE = "Chaos drill run in staging."

ANSWERS = [
    "Bound cancel/replace retries after venue timeouts",
    "m3",
    "No order is re-sent more than 3 times after an ambiguous venue reply",
    "When the venue times out on a cancel, the reconciler re-sends cancel/replace pairs "
    "without bound.",
    "2, 4",
    "skip",
    "- Retry budget per order\n- Reconcile before every retry",
    "- Venue adapters",
    "- execution/reconciler.py",
    "1. Add a retry budget\n2. Reconcile before retrying",
    "skip",
    "- Venue drops every cancel reply for 10 minutes",
    "- order.retry_budget_exhausted",
    "- docs/runbooks/venue-timeouts.md",
    "skip",
    "none",
    "skip",  # the GitHub login
]


def seed(gh: GitHubEmulator) -> None:
    gh.add_token(TOKEN, "milestone-bot")
    gh.add_user("ops-lead")
    gh.add_repo(
        EXECUTION,
        labels=["reliability", "execution"],
        files={DEFAULT_REPO_PATH: bundled_text(), "execution/reconciler.py": ""},
    )
    gh.add_repo(
        PAYMENTS,
        labels=["reliability", "payments"],
        files={DEFAULT_REPO_PATH: payments_template(), "execution/reconciler.py": ""},
    )
    gh.add_repo("acme/plain", files={"README.md": "no template here"})
    gh.add_repo("acme/broken", files={DEFAULT_REPO_PATH: gate_without_boxes()})
    gh.add_repo("acme/revoked", files={DEFAULT_REPO_PATH: payments_template()})


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[SlackEmulator, GitHubEmulator, BotProcess]]:
    with SlackEmulator() as slack, GitHubEmulator() as gh:
        seed(gh)
        env = bot_environment(
            slack,
            tmp_path / "milestones.db",
            **filing_settings(gh.url, TOKEN, EXECUTION),
            GITHUB_WEBHOOK_SECRET=SECRET,
        )
        bot = BotProcess(tmp_path, env).start()
        try:
            yield slack, gh, bot
        finally:
            bot.stop()


_REQUESTS: dict[str, SlackRequests] = {}


def author(world: Any, channel: str, user: str = ALICE) -> Author:
    """A person in `channel`; every person of a test shares one request signer, so event ids
    never repeat (a repeated id is a retry to the bot)."""
    slack, _, bot = world
    if bot.url not in _REQUESTS:
        _REQUESTS[bot.url] = SlackRequests(bot.url + "/slack/events", emulator=slack)
    return Author(slack, _REQUESTS[bot.url], user, channel)


def draft_to_preview(person: Author, answers: list[str] = ANSWERS) -> str:
    """Start a draft and answer every question; the preview's text."""
    person.start()
    for text in answers:
        try:
            person.say(text)
        except AssertionError:
            print(person.transcript())
            raise
    return wait_until(lambda: preview_text(person), what="the preview")


def preview_text(person: Author) -> str | None:
    texts = [message_text(m) for m in person.bot_replies()]
    last = next((i for i in range(len(texts) - 1, -1, -1) if "File issue" in texts[i]), None)
    return "\n".join(texts[max(0, (last or 0) - 3) : (last or 0) + 1]) if last is not None else None


def stored_draft(bot: BotProcess, thread_ts: str) -> Draft:
    db = bot.env["DATABASE_PATH"]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = con.execute("SELECT data FROM drafts WHERE thread_ts = ?", [thread_ts]).fetchone()
    finally:
        con.close()
    return Draft.model_validate_json(row[0])


def file_it(person: Author, gh: GitHubEmulator, repository: str) -> Issue:
    person.say("file", expect="Filed")
    return wait_until(lambda: next(iter(gh.issues(repository)), None), what="the issue")


def set_repository(person: Author, repository: str) -> None:
    """`/milestone repo <repository>`, once both its reply and the announcement are in."""
    person.command(f"repo {repository}")
    for words in (f"set this channel to draft for *{repository}*", "now drafts for"):
        wait_until(
            lambda words=words: any(
                words in m.text for m in person.slack.messages(person.channel, viewer=person.user)
            ),
            what=words,
        )


def test_each_channel_files_with_its_repositorys_template(world: Any) -> None:
    """Two channels, two repositories: each issue is its own template's rendering, exactly."""
    _slack, gh, bot = world
    alice = author(world, RELIABILITY)
    bob = author(world, SRE_PRIVATE, BOB)
    set_repository(bob, PAYMENTS)

    preview = draft_to_preview(bob)
    assert "[Payments] Bound cancel/replace retries" in preview
    assert EXTRA_GATE in preview and RENAMED_TO in preview and RENAMED_FROM not in preview
    draft_to_preview(alice)

    for person, repository, text, labels in (
        (alice, EXECUTION, bundled_text(), ["reliability", "execution"]),
        (bob, PAYMENTS, payments_template(), ["reliability", "payments"]),
    ):
        issue = file_it(person, gh, repository)
        draft = stored_draft(bot, person.thread_ts or "")
        assert draft.repository == repository
        expected = render_issue(parse_template(text), as_filed(draft))
        assert (issue.title, issue.body) == (expected.title, expected.body)
        assert sorted(issue.labels) == sorted(labels)
    payments = gh.issues(PAYMENTS)[0]
    assert payments.assignees == ["ops-lead"]  # the template's front matter
    assert f"- [ ] {EXTRA_GATE}" in payments.body
    assert f"- [ ] {RENAMED_TO}" in payments.body
    assert EXTRA_GATE not in gh.issues(EXECUTION)[0].body


def deliver_push(bot: BotProcess, gh: GitHubEmulator, text: str) -> None:
    payload = push(gh, PAYMENTS, changed={DEFAULT_REPO_PATH: text})
    reply = post_webhook(bot.url + "/github/webhook", SECRET, "push", payload)
    assert reply.status == 200, reply.response_body
    assert b'"template_changed": true' in reply.response_body.replace(b'":true', b'": true')


def test_a_push_changes_the_next_draft_and_an_older_draft_is_told_and_rebases(
    world: Any,
) -> None:
    """After a push (and a restart), a new draft asks the new gate; a draft started before
    keeps its version, is told once at its preview, and `rebase` keeps its answers."""
    _slack, gh, bot = world
    bob = author(world, SRE_PRIVATE, BOB)
    set_repository(bob, PAYMENTS)
    older = draft_to_preview(bob, ANSWERS)
    assert NEW_GATE not in older
    before = stored_draft(bot, bob.thread_ts or "")

    anchor = f"- [ ] {EXTRA_GATE}\n"
    deliver_push(bot, gh, payments_template().replace(anchor, anchor + f"- [ ] {NEW_GATE}\n"))
    bot.restart()  # the older draft's version comes from the database from now on

    carol = author(world, SRE_PRIVATE, ALICE)
    carol.start()
    for text in ANSWERS[:15]:
        carol.say(text)
    gates_question = message_text(carol.bot_replies()[-1])
    assert NEW_GATE in gates_question

    replies = bob.say("preview", expect="File issue")
    # Said after the preview's messages, so it may land a moment after "File issue".
    told = wait_until(
        lambda: [m for m in bob.bot_replies() if "template changed since you started" in m.text],
        what="the notice that the template changed",
    )
    assert len(told) == 1 and f"/milestone rebase {before.id}" in told[0].text
    assert NEW_GATE not in "\n".join(message_text(m) for m in replies)
    bob.say("preview", expect="File issue")

    seen = len(bob.bot_replies())
    bob.command(f"rebase {before.id}")
    moved = bob.await_replies(seen, expect="asked again")
    assert any("asked again: Gates" in message_text(m) for m in moved)
    # Told once: the second preview, answered before the rebase, said nothing of it.
    assert len([m for m in bob.bot_replies() if "template changed" in m.text]) == 1
    after = stored_draft(bot, bob.thread_ts or "")
    assert after.template_sha != before.template_sha
    for name in ("title", "problem_statement", "in_scope", "file_touch_plan", "invariants"):
        assert getattr(after, name) == getattr(before, name)
    preview = "\n".join(message_text(m) for m in bob.say("none", expect="File issue"))
    assert NEW_GATE in preview


def remind_at(bot: BotProcess, when: datetime) -> None:
    """`milestone-bot remind --now WHEN` on the bot's database and settings."""
    env = {**bot.env, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "remind", "--now", when.isoformat()],
        cwd=bot.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def working_morning(after: datetime, tz: str) -> datetime:
    """10:05 local on the first weekday at least four days after `after`."""
    day = (after + timedelta(days=4)).astimezone(ZoneInfo(tz)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(10, 5), ZoneInfo(tz))


def digest_of(slack: SlackEmulator, user: str) -> str:
    channel = slack.im_channel(user)
    texts = [message_text(m) for m in slack.messages(channel) if m.is_bot]
    return next(t for t in reversed(texts) if "Gates left on your Reliability" in t)


def test_each_repositorys_reminders_list_its_own_gates(world: Any) -> None:
    """After filing in both repositories, each author's digest lists the gates of the
    template their issue was filed with."""
    slack, gh, bot = world
    alice = author(world, RELIABILITY)
    bob = author(world, SRE_PRIVATE, BOB)
    set_repository(bob, PAYMENTS)
    for person, repository in ((alice, EXECUTION), (bob, PAYMENTS)):
        draft_to_preview(person)
        file_it(person, gh, repository)
    filed = datetime.now(UTC)
    remind_at(bot, working_morning(filed, "Europe/Berlin"))
    remind_at(bot, working_morning(filed, "America/Los_Angeles"))
    theirs = digest_of(slack, BOB)
    assert EXTRA_GATE in theirs and RENAMED_TO in theirs and RENAMED_FROM not in theirs
    hers = digest_of(slack, ALICE)
    assert RENAMED_FROM in hers and EXTRA_GATE not in hers and RENAMED_TO not in hers


def private_lines(slack: SlackEmulator, channel: str, user: str) -> list[str]:
    return [
        message_text(m)
        for m in slack.messages(channel, viewer=user)
        if m.is_ephemeral or m.source == "response_url"
    ]


@pytest.mark.parametrize(
    ("repository", "line"),
    [
        (
            "acme/plain",
            f"acme/plain has no `{DEFAULT_REPO_PATH}`, so this draft uses the bundled template.",
        ),
        (
            "acme/broken",
            f"`{DEFAULT_REPO_PATH}` in acme/broken can't be used (the section 'Acceptance "
            "Criteria' has no checkboxes); fix the file on GitHub, or go on with the bundled "
            "template.",
        ),
        (
            "acme/revoked",
            f"The bot can't read `{DEFAULT_REPO_PATH}` in acme/revoked (403 Resource not "
            "accessible by personal access token): give it access to the repository "
            "(contents: read), or go on with the bundled template.",
        ),
    ],
)
def test_a_template_that_cannot_serve_gets_one_line_and_the_bundled_one(
    world: Any, repository: str, line: str
) -> None:
    """Missing, broken or unreadable: one line naming the repository and the file, and the
    draft goes on with the bundled template; the channel keeps its repository."""
    slack, gh, bot = world
    bob = author(world, SRE_PRIVATE, BOB)
    if repository == "acme/revoked":
        # A fine-grained token without "Contents: read" on that repository.
        refused = {"message": "Resource not accessible by personal access token"}
        gh.inject("GET", f"/repos/{repository}/contents/*", Fault.custom(403, refused), times=99)
    set_repository(bob, repository)
    first = start_in_thread(bob)
    assert "Question 1 of 17" in message_text(first[-1])
    said = wait_until(
        lambda: [
            t
            for t in private_lines(slack, SRE_PRIVATE, BOB)
            if repository in t and "template" in t and "now drafts" not in t
        ],
        what="the line about the template",
    )
    assert said == [line]
    draft = stored_draft(bot, bob.thread_ts or "")
    assert draft.repository == repository and draft.template_sha == blob_sha(bundled_text())
    preview = draft_to_preview_from_here(bob)
    assert "[Reliability] Bound cancel/replace retries" in preview


def draft_to_preview_from_here(person: Author) -> str:
    for text in ANSWERS:
        person.say(text)
    return wait_until(lambda: preview_text(person), what="the preview")


def start_in_thread(person: Author) -> list[Any]:
    """`/milestone`, when a line only the author sees may come before the thread."""
    slack = person.slack
    before = {m.ts for m in slack.bot_messages(person.channel)}
    person.command("")
    root = wait_until(
        lambda: next(
            (
                m
                for m in slack.bot_messages(person.channel)
                if m.ts not in before and not m.is_ephemeral and m.source != "response_url"
            ),
            None,
        ),
        what="the draft's root message",
    )
    person.thread_ts = root.ts
    return wait_until(person.bot_replies, what="the first question")
