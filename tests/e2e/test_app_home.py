"""The App Home, end to end over HTTP: the real `milestone-bot serve`, the Slack emulator
(views.publish, views.open) and the GitHub emulator for the gate controls.

What a Home shows (drafts, filed issues with their gates, recently closed; only its owner's),
what its buttons do (Resume, Cancel, the digest's gate controls, Snooze, New milestone), that
it follows changes by itself, and that it stays inside Slack's 100 blocks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.home.view import ACTION_CANCEL, ACTION_NEW, ACTION_RESUME
from bot.slack.modals import CHANNEL_BLOCK, TITLE_BLOCK, VIEW_NEW
from bot.storage.drafts import Location
from bot.storage.store import Store
from flows import tracking
from flows.draft import Draft, DraftStatus
from flows.render import render_issue
from flows.template import load_template
from flows.tracking import IssueState
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
    action_value,
    element_on_home,
    home_click,
    home_text,
    initial_values,
    open_home,
    opened_modal,
    submit_view,
    wait_home,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import ALICE, BOB, RELIABILITY, TEAM_ID, SlackEmulator
from tests.emulators.slack_requests import SlackRequests

GITHUB_TOKEN = "ghp-milestone-bot-home1"
REPO = "acme/execution"
TEMPLATE = load_template()
UNIT = "Added/updated unit tests for new behavior."
RUNBOOK = "Updated at least one reliability doc/runbook."


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        emulator.add_token(GITHUB_TOKEN, "milestone-bot")
        emulator.add_user("alice")
        emulator.add_repo(REPO, labels=["reliability"], milestones=["M3 - Cancel safety"])
        yield emulator


@pytest.fixture
def home_bot(tmp_path: Path, slack: SlackEmulator, gh: GitHubEmulator) -> Iterator[BotProcess]:
    env = bot_environment(slack, db_path(tmp_path), **filing_settings(gh.url, GITHUB_TOKEN, REPO))
    process = BotProcess(tmp_path, env).start()
    yield process
    process.stop()


@pytest.fixture
def requests(home_bot: BotProcess, slack: SlackEmulator) -> SlackRequests:
    return SlackRequests(home_bot.url + "/slack/events", emulator=slack)


def file_issue(
    tmp_path: Path,
    gh: GitHubEmulator,
    slack: SlackEmulator,
    title: str,
    *,
    author: str = ALICE,
    closed: bool = False,
) -> tracking.TrackedIssue:
    """A draft filed as an issue, as filing leaves it: the issue on GitHub, the draft FILED,
    the issue tracked (closed when asked)."""
    client = WebClient(token=slack.bot_token, base_url=slack.url)
    root_ts = str(client.chat_postMessage(channel=RELIABILITY, text=f"Drafting {title}")["ts"])
    store = Store(db_path(tmp_path))
    with store.session() as s:
        draft = s.drafts.create(
            Draft(
                id=s.drafts.new_id(),
                author=author,
                title=title,
                target_milestone="M3",
                risk_objective="No order is re-sent more than 3 times",
                problem_statement="Cancel/replace retries are unbounded.",
                status=DraftStatus.PREVIEW,
            ),
            location=Location(TEAM_ID, RELIABILITY, root_ts, root_ts),
            actor=author,
            source="test",
            correlation_id="seed",
        )
    rendered = render_issue(TEMPLATE, draft)
    issue = gh.add_issue(REPO, rendered.title, rendered.body, user="milestone-bot")
    url = f"{gh.web_url}/{REPO}/issues/{issue.number}"
    filed_at = datetime.now(UTC) - timedelta(days=3)
    with store.session() as s:
        before = s.drafts.get(draft.id)
        filed = before.model_copy(
            update={"status": DraftStatus.FILED, "issue_number": issue.number, "issue_url": url}
        )
        s.drafts.record(
            before, filed, kind="filed", actor=author, source="test", correlation_id="f"
        )
        followed = tracking.from_draft(filed, REPO, filed_at)
        if closed:
            followed = replace(
                followed, state=IssueState.CLOSED, remote_updated_at=filed_at + timedelta(days=1)
            )
        s.tracked.save(followed)
    return followed


def start_draft(
    requests: SlackRequests, slack: SlackEmulator, title: str, user: str = ALICE
) -> Author:
    author = Author(slack, requests, user=user)
    author.start(f"new {title}")
    return author


def test_a_home_with_nothing_yet_says_so_and_offers_a_new_milestone(
    requests: SlackRequests, slack: SlackEmulator
) -> None:
    """Opening the Home with no drafts and no issues: each section says it's empty."""
    open_home(requests, slack, BOB)
    shown = wait_home(slack, BOB, "Drafts in progress")
    assert "No drafts in progress" in shown
    assert "No open milestone issues filed through me." in shown
    assert "None closed yet." in shown
    assert element_on_home(slack, BOB, ACTION_NEW)["text"]["text"] == "New milestone"


def test_a_home_shows_its_owners_drafts_and_issues_and_nobody_elses(
    requests: SlackRequests, slack: SlackEmulator, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """Drafts with where they stand, filed issues with gates settled and the digest's
    controls, the last closed: Alice's only, never Bob's."""
    start_draft(requests, slack, "Bound cancel retries")
    start_draft(requests, slack, "Bob's private plan", user=BOB)
    file_issue(tmp_path, gh, slack, "Reconcile before retry")
    file_issue(tmp_path, gh, slack, "Old venue fix", closed=True)
    open_home(requests, slack, ALICE)
    shown = wait_home(slack, ALICE, "Bound cancel retries")
    assert "▱▱▱▱▱ question 1 of 16" in shown
    assert "Reconcile before retry" in shown and "0/15 gates settled" in shown
    assert "✓" in shown and "Old venue fix" in shown
    assert "Bob's private plan" not in shown
    home = slack.home(ALICE)
    assert home is not None and len(home["blocks"]) <= 100
    menus = [
        b["accessory"]
        for b in home["blocks"]
        if (b.get("accessory") or {}).get("type") == "overflow"
    ]
    assert len(menus) == 15  # each gate left has the digest's Done / Not applicable menu
    assert [o["text"]["text"] for o in menus[0]["options"]] == ["Done", "Not applicable…"]
    open_home(requests, slack, BOB)
    bobs = wait_home(slack, BOB, "Bob's private plan")
    assert "Bound cancel retries" not in bobs and "Reconcile before retry" not in bobs


def test_resume_from_the_home_links_the_thread_and_asks_again_there(
    requests: SlackRequests, slack: SlackEmulator
) -> None:
    """Resume's button opens the draft's thread; the click re-asks the question in it."""
    alice = start_draft(requests, slack, "Bound cancel retries")
    open_home(requests, slack, ALICE)
    wait_home(slack, ALICE, "Bound cancel retries")
    resume = element_on_home(slack, ALICE, ACTION_RESUME)
    assert resume["url"].startswith(f"https://acme-reliability.slack.com/archives/{RELIABILITY}/p")
    assert resume["url"].endswith(alice.thread_ts.replace(".", ""))
    seen = len(alice.bot_replies())
    home_click(requests, slack, ALICE, ACTION_RESUME)
    replies = alice.await_replies(seen, "Picking up where you left off.")
    wait_until(
        lambda: any("Question 1 of 16" in message_text(m) for m in alice.bot_replies()[seen:]),
        what="the question asked again",
    )
    assert replies


def test_cancel_from_the_home_is_confirmed_and_leaves_the_list(
    requests: SlackRequests, slack: SlackEmulator
) -> None:
    """Cancel asks Slack's confirmation first; the draft is cancelled in its thread, and
    the Home, republished, no longer lists it."""
    alice = start_draft(requests, slack, "Bound cancel retries")
    open_home(requests, slack, ALICE)
    wait_home(slack, ALICE, "Bound cancel retries")
    cancel = element_on_home(slack, ALICE, ACTION_CANCEL)
    assert cancel["confirm"]["confirm"]["text"] == "Cancel draft"
    home_click(requests, slack, ALICE, ACTION_CANCEL)
    wait_until(
        lambda: "was cancelled" in (slack.message(RELIABILITY, alice.thread_ts or "").text or ""),
        what="the root message to say cancelled",
    )
    shown = wait_home(slack, ALICE, "Bound cancel retries", absent=True)
    assert "No drafts in progress" in shown


def test_gate_controls_on_the_home_settle_on_github_snooze_and_mute(
    requests: SlackRequests, slack: SlackEmulator, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """Done ticks the box on GitHub and the Home counts it; Snooze and Mute act on that
    issue alone; each says what it did at the top of the Home."""
    issue = file_issue(tmp_path, gh, slack, "Reconcile before retry")
    other = file_issue(tmp_path, gh, slack, "Cap replace storms")
    open_home(requests, slack, ALICE)
    wait_home(slack, ALICE, "Reconcile before retry")
    home = slack.home(ALICE)
    assert home is not None
    gate = next(
        b["accessory"]["action_id"]
        for b in home["blocks"]
        if f"☐ {UNIT}" in (b.get("text") or {}).get("text", "")
        and json.loads(b["accessory"]["options"][0]["value"])["d"] == issue.draft_id
    )
    home_click(requests, slack, ALICE, gate, selected="Done")
    wait_until(
        lambda: f"- [x] {UNIT}" in (gh.issue(REPO, issue.number).body or ""),
        what="the box ticked on GitHub",
    )
    wait_home(slack, ALICE, "1/15 gates settled")
    assert f"Ticked “{UNIT}”" in wait_home(slack, ALICE, "Ticked")  # what Done did, on top
    snooze = next(
        e["action_id"]
        for b in slack.home(ALICE)["blocks"]  # type: ignore[index]
        if b.get("block_id") == f"issue:{other.draft_id}"
        for e in b["elements"]
        if e["text"]["text"] == "Snooze 1 week"
    )
    home_click(requests, slack, ALICE, snooze)
    shown = wait_home(slack, ALICE, "Snoozed")
    assert "for 7 days" in shown
    with Store(db_path(tmp_path)).session() as s:
        assert s.tracked.get(other.draft_id).snoozed_until is not None  # type: ignore[union-attr]
        assert s.tracked.get(issue.draft_id).snoozed_until is None  # type: ignore[union-attr]
    mute = next(
        b["accessory"]["action_id"]
        for b in slack.home(ALICE)["blocks"]  # type: ignore[index]
        if (b.get("accessory") or {}).get("type") == "button"
        and action_value(b["accessory"]).get("d") == issue.draft_id
    )
    home_click(requests, slack, ALICE, mute)
    wait_home(slack, ALICE, "(muted)")
    assert "no more reminders for it" in wait_home(slack, ALICE, "Muted")
    with Store(db_path(tmp_path)).session() as s:
        assert s.tracked.get(issue.draft_id).muted  # type: ignore[union-attr]
        assert not s.tracked.get(other.draft_id).muted  # type: ignore[union-attr]


def test_an_answer_in_the_thread_republishes_the_home(
    requests: SlackRequests, slack: SlackEmulator
) -> None:
    """The Home follows the draft without being opened again: an answer moves it on."""
    alice = start_draft(requests, slack, "Bound cancel retries")
    open_home(requests, slack, ALICE)
    wait_home(slack, ALICE, "question 1 of 16")
    publishes = len(slack.calls("views.publish"))
    alice.say("m3", expect="Question 2 of 16")
    wait_home(slack, ALICE, "question 2 of 16")
    assert len(slack.calls("views.publish")) > publishes
    assert all(c.params["user_id"] == ALICE for c in slack.calls("views.publish"))


def test_beyond_100_blocks_the_oldest_drafts_collapse_into_one_line(
    requests: SlackRequests, slack: SlackEmulator, tmp_path: Path
) -> None:
    """60 drafts don't fit in Slack's 100 blocks: the newest are shown, the rest counted."""
    store = Store(db_path(tmp_path))
    for n in range(60):  # one unit of work each: each a moment later than the one before
        with store.session() as s:
            s.drafts.create(
                Draft(id=s.drafts.new_id(), author=ALICE, title=f"Draft number {n:02d}"),
                location=None,
                actor=ALICE,
                source="test",
                correlation_id=f"seed-{n}",
            )
    open_home(requests, slack, ALICE)
    shown = wait_home(slack, ALICE, "more: `/milestone drafts`")
    home = slack.home(ALICE)
    assert home is not None and len(home["blocks"]) <= 100
    listed = shown.count("last touched")
    assert f"and {60 - listed} more: `/milestone drafts`" in shown
    assert "Draft number 59" in shown  # the newest stay


def test_new_milestone_from_the_home_starts_one_draft_in_the_chosen_channel(
    requests: SlackRequests, slack: SlackEmulator, tmp_path: Path
) -> None:
    """New milestone opens the modal preset to the channel last used; an empty title is
    refused in the modal; a double submit starts one draft, in a thread there."""
    start_draft(requests, slack, "An earlier draft")
    open_home(requests, slack, ALICE)
    wait_home(slack, ALICE, "An earlier draft")
    home_click(requests, slack, ALICE, ACTION_NEW)
    view = opened_modal(slack, VIEW_NEW)
    assert initial_values(view)[CHANNEL_BLOCK] == RELIABILITY
    assert len(view["title"]["text"]) <= 24
    refused = submit_view(requests, view, ALICE, {TITLE_BLOCK: "", CHANNEL_BLOCK: RELIABILITY})
    assert refused.json()["response_action"] == "errors"
    assert TITLE_BLOCK in refused.json()["errors"]
    values = {TITLE_BLOCK: "Cap replace storms", CHANNEL_BLOCK: RELIABILITY}
    first = submit_view(requests, view, ALICE, values)
    second = submit_view(requests, view, ALICE, values)
    assert first.status == 200 and second.status == 200
    root = wait_until(
        lambda: next(
            (m for m in slack.bot_messages(RELIABILITY) if "Cap replace storms" in m.text), None
        ),
        what="the new draft's thread",
    )
    wait_until(
        lambda: any(
            "Question 1 of 16" in message_text(m)
            for m in slack.bot_messages(RELIABILITY, root.ts)
            if m.ts != root.ts
        ),
        what="the first question in the thread",
    )
    wait_home(slack, ALICE, "Cap replace storms")
    with Store(db_path(tmp_path)).session() as s:
        titles = [d.title for d in s.drafts.summaries(ALICE)]
    assert titles.count("Cap replace storms") == 1
    assert home_text(slack, ALICE).count("*Cap replace storms*\n") == 1


def gate_menu(slack: SlackEmulator, draft_id: str, label: str) -> str:
    """The action_id of the Done / Not applicable menu beside `label` of that issue."""
    home = slack.home(ALICE)
    assert home is not None
    return next(
        b["accessory"]["action_id"]
        for b in home["blocks"]
        if f"☐ {label}" in (b.get("text") or {}).get("text", "")
        and json.loads(b["accessory"]["options"][0]["value"])["d"] == draft_id
    )


def test_not_applicable_on_the_home_asks_why_and_writes_it_on_github(
    requests: SlackRequests, slack: SlackEmulator, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """The digest's Not applicable modal opens from the Home; its reason lands on the box's
    line on GitHub and the Home counts the gate settled."""
    issue = file_issue(tmp_path, gh, slack, "Reconcile before retry")
    open_home(requests, slack, ALICE)
    wait_home(slack, ALICE, "0/15 gates settled")
    home_click(
        requests,
        slack,
        ALICE,
        gate_menu(slack, issue.draft_id, RUNBOOK),
        selected="Not applicable…",
    )
    view = opened_modal(slack, "ms_gate_na")
    reason = {"reason": {"reason_input": {"type": "plain_text_input", "value": "No runbook here"}}}
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": requests.team_domain},
        "user": {"id": ALICE, "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": requests.api_app_id,
        "token": requests.verification_token,
        "trigger_id": requests.trigger_id(),
        "view": {**view, "state": {"values": reason}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    assert requests.send_interaction(payload).status == 200
    wait_until(
        lambda: (
            f"- [x] {RUNBOOK} — N/A: No runbook here" in (gh.issue(REPO, issue.number).body or "")
        ),
        what="the reason on GitHub",
    )
    wait_home(slack, ALICE, "1/15 gates settled")
