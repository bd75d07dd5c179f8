"""Each kind of listener called as Bolt calls it: its own arguments, plus the services."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_bolt import Ack
from slack_bolt.util.utils import get_arg_names_of_callable

from bot.listeners.actions import draft_clicked
from bot.listeners.binding import bound
from bot.listeners.commands import milestone_command
from bot.listeners.events import message_posted
from bot.listeners.services import Services
from bot.listeners.views import not_applicable_submitted
from bot.reminders.blocks import REASON_ACTION, REASON_BLOCK, VIEW_NOT_APPLICABLE
from bot.slack.blocks import ACTION_SAVE, action_value
from bot.storage.database import DatabaseFile
from bot.storage.drafts import Location
from flows.draft import DraftStatus
from tests.emulators.slack_api import ALICE, BOB, RELIABILITY, TEAM_ID, SlackEmulator
from tests.listeners.support import command, respond_to, said


def _start(slack: SlackEmulator, services: Services, title: str = "Bound retries") -> str:
    """Alice starts a draft with the command listener; the thread's ts."""
    before = {m.ts for m in slack.bot_messages(RELIABILITY)}
    milestone_command(Ack(), command(slack, f"new {title}"), respond_to(slack), services=services)
    [root] = [m for m in slack.bot_messages(RELIABILITY) if m.ts not in before]
    return root.ts


def _draft_id(services: Services) -> str:
    with services.store.session(readonly=True) as s:
        [row] = s.drafts.summaries(ALICE)
    return row.id


def _typed(services: Services, thread_ts: str, text: str, ts: str, event_id: str) -> None:
    """Alice's message `text` in the thread, handed to the message listener as Bolt would."""
    event = {
        "type": "message",
        "user": ALICE,
        "text": text,
        "channel": RELIABILITY,
        "channel_type": "channel",
        "ts": ts,
        "thread_ts": thread_ts,
    }
    message_posted(event, {"team_id": TEAM_ID, "event_id": event_id}, services=services)


def test_bolt_passes_a_bound_listener_only_its_own_arguments() -> None:
    """Binding the services leaves Bolt's argument names, and the function's name, as they are."""
    listener = bound(milestone_command, services=None)  # type: ignore[arg-type]
    assert get_arg_names_of_callable(listener) == ["ack", "command", "respond"]
    assert listener.__name__ == "milestone_command"


def test_the_command_acks_and_starts_a_draft_in_a_thread(
    slack: SlackEmulator, services: Services
) -> None:
    """`/milestone new TITLE` acks, posts the root message and asks the first question."""
    ack = Ack()
    before = {m.ts for m in slack.bot_messages(RELIABILITY)}
    milestone_command(
        ack, command(slack, "new Bound retries"), respond_to(slack), services=services
    )
    assert ack.response is not None and ack.response.status == 200
    [root] = [m for m in slack.bot_messages(RELIABILITY) if m.ts not in before]
    assert "Bound retries" in (root.text or "")
    replies = slack.bot_messages(RELIABILITY, root.ts)
    assert any("Question 1 of 15" in (m.text or "") for m in replies)


def test_help_names_the_configured_command(slack: SlackEmulator, services: Services) -> None:
    """An unknown word gets the help, led by how to use it as a title, with the command's name."""
    milestone_command(Ack(), command(slack, "frobnicate"), respond_to(slack), services=services)
    [help_text] = said(slack)
    assert "I don't know `frobnicate`" in help_text
    assert "`/milestone new frobnicate`" in help_text


def test_resuming_someone_elses_draft_is_refused_in_words(
    slack: SlackEmulator, services: Services
) -> None:
    """NotDraftAuthor, raised by the conversation, reaches Bob as one line naming the author."""
    _start(slack, services)
    draft_id = _draft_id(services)
    bob = respond_to(slack, user=BOB)
    milestone_command(Ack(), command(slack, f"resume {draft_id}", user=BOB), bob, services=services)
    assert said(slack, user=BOB) == [f"Only <@{ALICE}> can change draft `{draft_id}`."]


def test_resume_in_slack_is_the_terminals_resume(slack: SlackEmulator, services: Services) -> None:
    """`/milestone resume ID` on a cancelled draft is the terminal's `chat --resume`: one
    "resume" entry in the journal (which still replays to the stored draft), the question it
    stood at asked again in its thread."""
    thread_ts = _start(slack, services)
    draft_id = _draft_id(services)
    for word in ("cancel", "resume"):
        text = f"{word} {draft_id}"
        milestone_command(Ack(), command(slack, text), respond_to(slack), services=services)
    with services.store.session(readonly=True) as s:
        status = s.drafts.get(draft_id).status
        kinds = [entry.kind for entry in s.drafts.journal(draft_id)]
    assert status is DraftStatus.DRAFTING
    assert kinds[-2:] == ["cancel", "resume"]
    assert services.store.replay(draft_id)[1] == {}
    replies = [m.text or "" for m in slack.bot_messages(RELIABILITY, thread_ts)]
    assert replies[-2] == "Picking up where you left off."
    assert "Question 1 of 15" in replies[-1]


def test_an_unknown_draft_is_refused_with_the_fix(slack: SlackEmulator, services: Services) -> None:
    """UnknownDraft becomes "there is no draft", with the command that lists the author's own."""
    milestone_command(
        Ack(), command(slack, "cancel ms-nope00"), respond_to(slack), services=services
    )
    assert said(slack) == ["There is no draft `ms-nope00`. `/milestone drafts` lists yours."]


def test_github_login_without_github_says_there_is_nothing_to_link(
    slack: SlackEmulator, services: Services
) -> None:
    """With no GITHUB_* settings, `github-login` says so instead of failing."""
    assert services.login_links is None
    milestone_command(
        Ack(), command(slack, "github-login octocat"), respond_to(slack), services=services
    )
    assert said(slack) == ["This bot doesn't file on GitHub, so there's no login to link."]


def test_a_message_in_the_thread_is_taken_as_the_answer(
    slack: SlackEmulator, services: Services
) -> None:
    """The message listener hands Alice's threaded message to the conversation as an answer."""
    thread_ts = _start(slack, services)
    _typed(services, thread_ts, "m3", "1700000999.000100", "Ev0LISTENER1")
    replies = slack.bot_messages(RELIABILITY, thread_ts)
    assert "Question 2 of 15" in (replies[-1].text or "")


def test_a_thread_that_stopped_being_a_drafts_is_left_alone(
    slack: SlackEmulator, services: Services
) -> None:
    """A thread remembered as a draft's, whose draft then moved, no longer takes answers:
    the memory only skips a read, the answer's own transaction decides."""
    thread_ts = _start(slack, services)
    # Remembered as the draft's since the draft was started there, and answered in.
    _typed(services, thread_ts, "m3", "1700000999.000300", "Ev0LISTENER3")
    draft_id = _draft_id(services)
    with services.store.session() as s:
        s.drafts.set_location(draft_id, Location(TEAM_ID, RELIABILITY, "1700000999.999999"))
        before = s.drafts.get(draft_id)
    seen = len(slack.bot_messages(RELIABILITY, thread_ts))
    _typed(services, thread_ts, "m4", "1700000999.000400", "Ev0LISTENER4")
    with services.store.session(readonly=True) as s:
        assert s.drafts.get(draft_id) == before
    assert len(slack.bot_messages(RELIABILITY, thread_ts)) == seen


def test_a_bot_message_in_the_thread_is_no_answer(slack: SlackEmulator, services: Services) -> None:
    """A message another bot posts in the thread changes nothing and says nothing."""
    thread_ts = _start(slack, services)
    seen = len(slack.bot_messages(RELIABILITY, thread_ts))
    event = {
        "type": "message",
        "subtype": "bot_message",
        "bot_id": "B0OTHER001",
        "text": "m3",
        "channel": RELIABILITY,
        "ts": "1700000999.000200",
        "thread_ts": thread_ts,
    }
    message_posted(event, {"team_id": TEAM_ID, "event_id": "Ev0LISTENER2"}, services=services)
    assert len(slack.bot_messages(RELIABILITY, thread_ts)) == seen


def test_save_for_later_tells_how_to_resume(slack: SlackEmulator, services: Services) -> None:
    """The Save button acks and answers with the line that picks the draft up again."""
    thread_ts = _start(slack, services)
    draft_id = _draft_id(services)
    ack = Ack()
    body = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": ALICE},
        "channel": {"id": RELIABILITY},
        "container": {"channel_id": RELIABILITY, "message_ts": thread_ts},
    }
    action = {
        "action_id": ACTION_SAVE,
        "action_ts": "1700001000.000001",
        "value": action_value(draft_id, None, "save"),
        "text": {"type": "plain_text", "text": "Save for later"},
    }
    draft_clicked(ack, body, action, respond_to(slack), services=services)
    assert ack.response is not None and ack.response.status == 200
    assert said(slack) == [f"Saved. `/milestone resume {draft_id}` picks it up when you're ready."]


def test_an_unreadable_button_value_is_acked_and_ignored(
    slack: SlackEmulator, services: Services
) -> None:
    """A click whose value isn't ours is acknowledged and changes nothing."""
    ack = Ack()
    body = {"user": {"id": ALICE}, "channel": {"id": RELIABILITY}}
    action = {"action_id": ACTION_SAVE, "value": "not json"}
    draft_clicked(ack, body, action, respond_to(slack), services=services)
    assert ack.response is not None and ack.response.status == 200
    assert said(slack) == []


def test_a_blank_reason_keeps_the_modal_open_with_an_error(services: Services) -> None:
    """Not applicable without a reason answers the modal with an error on the reason field."""
    ack = Ack()
    view = {
        "callback_id": VIEW_NOT_APPLICABLE,
        "private_metadata": json.dumps({"d": "ms-x", "g": "g", "k": "k"}),
        "state": {"values": {REASON_BLOCK: {REASON_ACTION: {"value": "   "}}}},
    }
    not_applicable_submitted(ack, {"user": {"id": ALICE}}, view, services=services)
    assert ack.response is not None
    answer = json.loads(ack.response.body)
    assert answer["response_action"] == "errors"
    assert REASON_BLOCK in answer["errors"]


def test_an_answer_is_one_write_transaction_and_no_read(
    slack: SlackEmulator, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12's budget for an answer in a known thread: one unit of work that reads the
    draft, journals the change and commits, and no other transaction before or after it."""
    thread_ts = _start(slack, services)
    units: list[bool] = []  # readonly, for each transaction opened
    opened = DatabaseFile.transaction

    def counted(self: DatabaseFile, *, readonly: bool = False) -> Any:
        units.append(readonly)
        return opened(self, readonly=readonly)

    monkeypatch.setattr(DatabaseFile, "transaction", counted)
    for n, text in enumerate(("m3", "No order is re-sent more than 3 times.")):
        units.clear()
        _typed(services, thread_ts, text, f"1700000999.00010{n}", f"Ev0COST{n}")
        assert units == [False], f"answer {n + 1} opened {units} (False: a write)"
    assert "Question 3 of 15" in (slack.bot_messages(RELIABILITY, thread_ts)[-1].text or "")
