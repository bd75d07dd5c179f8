"""SLACK_COMMAND renames the slash command: every message the bot sends names that command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Author, BotProcess, bot_environment, message_text, wait_until
from tests.e2e.home_requests import open_home, wait_home
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests

RENAMED = "/reliability"


@pytest.fixture
def renamed_bot(tmp_path: Path, slack: SlackEmulator) -> Iterator[BotProcess]:
    environment = bot_environment(slack, tmp_path / "data" / "milestones.db", SLACK_COMMAND=RENAMED)
    process = BotProcess(tmp_path, environment)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def author(renamed_bot: BotProcess, slack: SlackEmulator) -> Author:
    requests = SlackRequests(renamed_bot.url + "/slack/events", emulator=slack)
    return Author(slack, requests)


def _said(slack: SlackEmulator, author: Author, needle: str) -> list[str]:
    """What the bot said to the author through response_url that contains `needle`."""
    return [
        message_text(m)
        for m in slack.messages(author.channel, viewer=author.user)
        if m.source == "response_url" and needle in message_text(m)
    ]


def _everything_said(slack: SlackEmulator, author: Author) -> list[str]:
    said = [
        message_text(m)
        for m in slack.messages(author.channel, viewer=author.user)
        if m.source == "response_url" or m.is_bot
    ]
    if author.thread_ts:
        said += [message_text(m) for m in author.bot_replies()]
    return said


def test_help_lists_and_refusals_name_the_configured_command(
    author: Author, slack: SlackEmulator
) -> None:
    """Help, the empty drafts list and each refusal say /reliability, never /milestone."""
    author.requests.slash_command("help", command=RENAMED, user_id=author.user)
    wait_until(lambda: _said(slack, author, f"`{RENAMED} new [title]`"), what="the help")
    author.requests.slash_command("drafts", command=RENAMED, user_id=author.user)
    wait_until(lambda: _said(slack, author, f"`{RENAMED} new <title>`"), what="no drafts")
    author.requests.slash_command("resume", command=RENAMED, user_id=author.user)
    wait_until(lambda: _said(slack, author, f"`{RENAMED} resume ID`"), what="which draft")
    author.requests.slash_command("resume ms-nope00", command=RENAMED, user_id=author.user)
    wait_until(lambda: _said(slack, author, f"`{RENAMED} drafts` lists yours"), what="no draft")
    author.requests.slash_command("frobnicate", command=RENAMED, user_id=author.user)
    wait_until(lambda: _said(slack, author, f"`{RENAMED} new frobnicate`"), what="unknown")
    assert not [text for text in _everything_said(slack, author) if "/milestone" in text]


def test_a_cancelled_draft_says_how_to_resume_with_the_configured_command(
    author: Author, slack: SlackEmulator
) -> None:
    """The root message of a cancelled draft names /reliability resume, not /milestone."""
    before = {m.ts for m in slack.bot_messages(author.channel)}
    author.requests.slash_command("new Bound retries", command=RENAMED, user_id=author.user)
    root = wait_until(
        lambda: next((m for m in slack.bot_messages(author.channel) if m.ts not in before), None),
        what="the draft's root message",
    )
    author.thread_ts = root.ts
    wait_until(author.bot_replies, what="the first question")
    author.say("cancel")
    cancelled = wait_until(
        lambda: (
            text
            if "cancelled" in (text := slack.message(author.channel, root.ts).text or "")
            else None
        ),
        what="the root message to say cancelled",
    )
    assert f"`{RENAMED} resume ms-" in cancelled
    author.requests.slash_command("drafts", command=RENAMED, user_id=author.user)
    wait_until(lambda: _said(slack, author, "Your drafts"), what="the drafts list")
    assert not [text for text in _everything_said(slack, author) if "/milestone" in text]


def test_the_home_names_the_configured_command(author: Author, slack: SlackEmulator) -> None:
    """The App Home of an author with a draft says /reliability (Cancel's confirmation
    included), never /milestone."""
    before = {m.ts for m in slack.bot_messages(author.channel)}
    author.requests.slash_command("new Bound retries", command=RENAMED, user_id=author.user)
    wait_until(
        lambda: [m for m in slack.bot_messages(author.channel) if m.ts not in before],
        what="the draft's root message",
    )
    open_home(author.requests, slack, author.user)
    wait_home(slack, author.user, "Bound retries")
    home = json.dumps(slack.home(author.user))
    assert f"`{RENAMED} resume ms-" in home
    assert "/milestone" not in home
