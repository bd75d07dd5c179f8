"""The shortcuts, end to end over HTTP: "Draft a milestone from this" on a message and the
global "New Reliability Milestone", against the real `milestone-bot serve`, the Slack
emulator and the GitHub emulator for filing.

A discussion's thread becomes the draft's thread, its title and problem statement count as
answered, the filed issue's notes link back to the discussion; a double submit starts one
draft; where the bot can't post, the draft moves to a DM and the author is told.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.blocks import ACTION_FILE
from bot.slack.modals import (
    PROBLEM_BLOCK,
    SHORTCUT_FROM_MESSAGE,
    SHORTCUT_NEW,
    TITLE_BLOCK,
    VIEW_FROM_MESSAGE,
    VIEW_NEW,
)
from bot.storage.store import Store
from flows.render import marker
from tests.e2e.harness import (
    Author,
    BotProcess,
    bot_environment,
    db_path,
    filing_settings,
    message_text,
    wait_until,
)
from tests.e2e.home_requests import (
    global_shortcut,
    initial_values,
    message_shortcut,
    opened_modal,
    submit_view,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import ALICE, BOB, RANDOM, RELIABILITY, Message, SlackEmulator
from tests.emulators.slack_requests import SlackRequests, as_typed

GITHUB_TOKEN = "ghp-milestone-bot-shortcut1"
REPO = "acme/execution"
DISCUSSION = (
    "*Cancel storms* block protective exits\n\n"
    "When a venue times out on a cancel, the reconciler re-sends cancel/replace pairs "
    "without bound. cc <@U0BOB00001>"
)
# The questions left once the title and problem statement are known (17 with GitHub).
REST = [
    ("m3", "Question 2 of 15"),
    ("No order is re-sent more than 3 times after an ambiguous venue reply", "3 of 15"),
    ("2, 4", "Question 4 of 15"),
    ("skip", "Question 5 of 15"),
    ("- Retry budget per order", "Question 6 of 15"),
    ("skip", "Question 7 of 15"),
    ("- execution/reconciler.py", "Question 8 of 15"),
    ("1. Add a retry budget", "Question 9 of 15"),
    ("skip", "Question 10 of 15"),
    ("skip", "Question 11 of 15"),
    ("skip", "Question 12 of 15"),
    ("- docs/runbooks/venue-timeouts.md", "Question 13 of 15"),
    ("skip", "Question 14 of 15"),
    ("none", "Question 15 of 15"),
    ("skip", "File issue"),
]


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        emulator.add_token(GITHUB_TOKEN, "milestone-bot")
        emulator.add_user("alice")
        emulator.add_repo(
            REPO,
            labels=["reliability"],
            milestones=["M3 - Cancel safety"],
            files={"execution/reconciler.py": "", "docs/runbooks/venue-timeouts.md": ""},
        )
        yield emulator


@pytest.fixture
def filing_bot(tmp_path: Path, slack: SlackEmulator, gh: GitHubEmulator) -> Iterator[BotProcess]:
    env = bot_environment(slack, db_path(tmp_path), **filing_settings(gh.url, GITHUB_TOKEN, REPO))
    process = BotProcess(tmp_path, env).start()
    yield process
    process.stop()


@pytest.fixture
def requests(filing_bot: BotProcess, slack: SlackEmulator) -> SlackRequests:
    return SlackRequests(filing_bot.url + "/slack/events", emulator=slack)


def discussion(slack: SlackEmulator, channel: str = RELIABILITY) -> Message:
    """Bob's message that starts a discussion, as Slack holds it."""
    return slack.post_user_message(
        BOB, channel, as_typed(DISCUSSION).replace("&lt;@U0BOB00001&gt;", "<@U0BOB00001>")
    )


def shortcut_modal(requests: SlackRequests, slack: SlackEmulator, message: Message) -> dict:
    message_shortcut(requests, message, ALICE, SHORTCUT_FROM_MESSAGE)
    return opened_modal(slack, VIEW_FROM_MESSAGE)


def submit_as_shown(requests: SlackRequests, view: dict) -> None:
    shown = initial_values(view)
    response = submit_view(
        requests,
        view,
        ALICE,
        {TITLE_BLOCK: shown[TITLE_BLOCK], PROBLEM_BLOCK: shown[PROBLEM_BLOCK]},
    )
    assert response.status == 200 and not response.body, response.body


def drafts_of(tmp_path: Path, user: str = ALICE) -> list:
    with Store(db_path(tmp_path)).session() as s:
        return [s.drafts.get(row.id) for row in s.drafts.summaries(user, include_closed=True)]


def test_a_message_becomes_a_draft_in_its_own_thread_and_files_with_the_link(
    requests: SlackRequests, slack: SlackEmulator, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """The shortcut presets title and problem from the message (as Markdown); the draft
    lives in that message's thread, asks two questions fewer, and files with the
    discussion's permalink in its notes."""
    message = discussion(slack)
    view = shortcut_modal(requests, slack, message)
    shown = initial_values(view)
    assert shown[TITLE_BLOCK] == "Cancel storms block protective exits"
    assert shown[PROBLEM_BLOCK].startswith("**Cancel storms** block protective exits\nWhen a venue")
    assert "cc bob.o" in shown[PROBLEM_BLOCK]  # a mention becomes the person's name
    submit_as_shown(requests, view)
    alice = Author(slack, requests, user=ALICE, channel=RELIABILITY, thread_ts=message.ts)
    first = wait_until(
        lambda: [m for m in alice.bot_replies() if "Question 1 of 15" in message_text(m)],
        what="the first question in the discussion's thread",
    )
    assert "Target milestone" in message_text(first[0])
    intro = alice.bot_replies()[0]
    assert f"<@{ALICE}> is drafting a Reliability Milestone" in intro.text
    [draft] = drafts_of(tmp_path)
    with Store(db_path(tmp_path)).session() as s:
        journal = s.drafts.journal(draft.id)
    presets = [(e.question_id, e.input) for e in journal if e.kind == "preset"]
    assert presets[0] == ("title", "Cancel storms block protective exits")
    assert presets[1][0] == "problem" and presets[2][0] == "notes"
    link = (
        f"https://acme-reliability.slack.com/archives/{RELIABILITY}/p{message.ts.replace('.', '')}"
    )
    assert draft.notes == (f"Discussed in Slack: {link}",)
    assert Store(db_path(tmp_path)).replay(draft.id)[1] == {}  # the journal rebuilds it
    for text, expect in REST:
        alice.say(text, expect=expect)
    file_message = next(
        m
        for m in reversed(alice.bot_replies())
        for b in m.blocks or []
        if any(e.get("action_id") == ACTION_FILE for e in b.get("elements") or [])
    )
    seen = len(alice.bot_replies())
    alice.click(ACTION_FILE, message=file_message)
    alice.await_replies(seen, "Filed on GitHub")
    [issue] = [i for i in gh.issues(REPO) if marker(draft.id) in (i.body or "")]
    assert issue.title == "[Reliability] Cancel storms block protective exits"
    notes = issue.body.split("## Notes / Assumptions", 1)[1]
    assert f"- Discussed in Slack: {link}" in notes
    assert "When a venue times out on a cancel" in issue.body


def test_a_double_submit_starts_one_draft(
    requests: SlackRequests, slack: SlackEmulator, filing_bot: BotProcess, tmp_path: Path
) -> None:
    """The same modal submitted twice (a double click) starts one draft and one thread."""
    message = discussion(slack)
    view = shortcut_modal(requests, slack, message)
    submit_as_shown(requests, view)
    submit_as_shown(requests, view)
    alice = Author(slack, requests, user=ALICE, channel=RELIABILITY, thread_ts=message.ts)
    wait_until(
        lambda: [m for m in alice.bot_replies() if "Question 1 of 15" in message_text(m)],
        what="the first question",
    )
    # The second submit was handled: the bot logged it as the same delivery again.
    wait_until(
        lambda: any(
            '"command.duplicate"' in line and f"view:{view['id']}" in line
            for line in filing_bot.logs().splitlines()
        ),
        what="the second submit seen as a repeat",
    )
    intros = [m for m in alice.bot_replies() if "is drafting a Reliability Milestone" in m.text]
    assert len(intros) == 1
    assert len(drafts_of(tmp_path)) == 1


def test_a_channel_the_bot_cannot_post_in_moves_the_draft_to_a_dm_and_says_so(
    requests: SlackRequests, slack: SlackEmulator, tmp_path: Path
) -> None:
    """In a channel the bot isn't in, the draft starts in a DM with the author, who is told
    why there; the notes still link the discussion."""
    message = discussion(slack, RANDOM)
    view = shortcut_modal(requests, slack, message)
    submit_as_shown(requests, view)
    dm = slack.im_channel(ALICE)
    told = wait_until(
        lambda: [m for m in slack.messages(dm) if "I'm not in this channel" in (m.text or "")],
        what="the author told in the DM",
    )
    assert "we'll draft in a DM instead" in told[0].text
    root = next(
        m for m in slack.bot_messages(dm) if "is drafting a Reliability Milestone" in m.text
    )
    wait_until(
        lambda: any("Question 1 of 15" in message_text(m) for m in slack.bot_messages(dm, root.ts)),
        what="the first question in the DM thread",
    )
    assert slack.bot_messages(RANDOM) == []
    [draft] = drafts_of(tmp_path)
    assert draft.notes[0].startswith(
        f"Discussed in Slack: https://acme-reliability.slack.com/archives/{RANDOM}/"
    )


def test_the_global_shortcut_opens_the_new_milestone_modal(
    requests: SlackRequests, slack: SlackEmulator, tmp_path: Path
) -> None:
    """New Reliability Milestone opens the Home's modal; submitting starts a draft there."""
    global_shortcut(requests, ALICE, SHORTCUT_NEW)
    view = opened_modal(slack, VIEW_NEW)
    assert view["title"]["text"] == "New milestone"
    response = submit_view(
        requests, view, ALICE, {TITLE_BLOCK: "Cap replace storms", "channel": RELIABILITY}
    )
    assert response.status == 200
    root = wait_until(
        lambda: next(
            (m for m in slack.bot_messages(RELIABILITY) if "Cap replace storms" in m.text), None
        ),
        what="the draft's thread",
    )
    assert f"<@{ALICE}> is drafting a Reliability Milestone" in root.text
    [draft] = drafts_of(tmp_path)
    assert draft.title == "Cap replace storms"
