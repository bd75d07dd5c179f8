"""Buttons, other people in the thread, edits, the DM fallback and the subcommands."""

from __future__ import annotations

from tests.e2e.harness import Author, message_text, wait_until
from tests.emulators.slack_api import ALICE, BOB, RANDOM, SECRET, SlackEmulator
from tests.emulators.slack_requests import SlackRequests


def _last_with(author: Author, action_id_prefix: str):  # type: ignore[no-untyped-def]
    for message in reversed(author.bot_replies()):
        for block in message.blocks or []:
            for element in [*block.get("elements", []), block.get("accessory") or {}]:
                if str(element.get("action_id", "")).startswith(action_id_prefix):
                    return message, element["action_id"]
    raise AssertionError(f"no message with an element {action_id_prefix}")


def test_buttons_answer_choice_questions_and_echo_the_choice(
    alice: Author, slack: SlackEmulator
) -> None:
    """Clicking M3, ticking invariants and Done, and Skip each answer like the typed word."""
    alice.start("new Bound cancel retries")
    message, action_id = _last_with(alice, "ms_answer_3")
    seen = len(alice.bot_replies())
    alice.click(action_id, message=message)
    alice.await_replies(seen, "Question 2 of 15")
    chosen = slack.message(alice.channel, message.ts)
    assert "chose" in message_text(chosen) and "M3" in message_text(chosen)

    alice.say("No order is re-sent more than 3 times", expect="Question 3 of 15")
    alice.say("Cancels loop without bound when a venue times out.", expect="Question 4 of 15")
    message, _ = _last_with(alice, "ms_checks_done")
    alice.click(
        "ms_checks",
        message=message,
        selected=["No infinite create/cancel/replace loops.", "3"],
    )
    seen = len(alice.bot_replies())
    alice.click("ms_checks_done", message=message)
    alice.await_replies(seen, "Question 5 of 15")

    message, _ = _last_with(alice, "ms_answer")
    seen = len(alice.bot_replies())
    alice.click("ms_answer", message=message)  # Skip
    alice.await_replies(seen, "Question 6 of 15")
    assert "Question 6 of 15" in message_text(alice.bot_replies()[-1])


def test_a_double_click_on_a_choice_answers_once(alice: Author, slack: SlackEmulator) -> None:
    """The second click on an answered question changes nothing and asks nothing twice."""
    alice.start("new Bound cancel retries")
    message, action_id = _last_with(alice, "ms_answer_2")
    seen = len(alice.bot_replies())
    shown = {"ts": message.ts, "blocks": message.blocks, "thread_ts": alice.thread_ts}
    for _ in range(2):  # both clicks leave before Slack shows the first one's update
        response = alice.requests.block_action(
            action_id,
            user=alice.user,
            channel=alice.channel,
            message=shown,
            thread_ts=alice.thread_ts,
        )
        assert response.status == 200
    alice.await_replies(seen, "Question 2 of 15")
    alice.say("An objective", expect="Question 3 of 15")
    asked = [m for m in alice.bot_replies() if "Question 2 of 15" in message_text(m)]
    assert len(asked) == 1


def test_someone_else_in_the_thread_is_told_once_and_not_recorded(
    alice: Author, slack: SlackEmulator, requests: SlackRequests
) -> None:
    """Bob's messages in Alice's thread are not answers; he is told once, privately."""
    alice.start("new Bound cancel retries")
    bob = Author(slack, requests, user=BOB, thread_ts=alice.thread_ts)
    requests.message_event("m1", user=BOB, channel=alice.channel, thread_ts=alice.thread_ts)
    requests.message_event("m2", user=BOB, channel=alice.channel, thread_ts=alice.thread_ts)

    def told() -> list[object]:
        return [
            m
            for m in slack.messages(alice.channel, alice.thread_ts, viewer=BOB)
            if m.is_ephemeral and "Only <@" in (m.text or "")
        ]

    wait_until(told, what="the note to Bob")
    alice.say("m4", expect="Question 2 of 15")  # Alice is still at the milestone question
    assert len(told()) == 1
    assert bob.thread_ts == alice.thread_ts


def test_an_edited_answer_is_updated_and_a_deleted_one_changes_nothing(
    alice: Author, slack: SlackEmulator, requests: SlackRequests
) -> None:
    """Editing a sent answer replaces it without moving on; deleting it changes nothing."""
    alice.start()
    sent = requests.message_event(
        "Bound retries", user=ALICE, channel=alice.channel, thread_ts=alice.thread_ts
    )
    alice.await_replies(1, "Question 2 of 16")
    assert sent.message is not None
    seen = len(alice.bot_replies())
    requests.message_changed(
        sent.message.ts,
        "Bound cancel/replace retries",
        channel=alice.channel,
        thread_ts=alice.thread_ts,
    )
    alice.await_replies(seen, "Updated your answer to *Title*")
    requests.message_deleted(sent.message.ts, channel=alice.channel)
    alice.say("preview", expect="Bound cancel/replace retries")


def test_a_channel_the_bot_is_not_in_moves_the_draft_to_a_dm(
    slack: SlackEmulator, requests: SlackRequests
) -> None:
    """Where the bot cannot post, it drafts in a DM and says so through response_url."""
    for channel in (RANDOM, SECRET):
        response = requests.slash_command("new Bound retries", user_id=ALICE, channel_id=channel)
        assert response.status == 200
    dm = slack.im_channel(ALICE)
    roots = wait_until(
        lambda: (
            [m for m in slack.bot_messages(dm) if "drafting" in (m.text or "")][:2]
            if len(slack.bot_messages(dm)) >= 2
            else None
        ),
        what="two drafts in the DM",
    )
    assert len(roots) >= 1
    notes = wait_until(
        lambda: [
            m
            for channel in (RANDOM, SECRET)
            for m in slack.messages(channel, viewer=ALICE)
            if m.source == "response_url" and "DM" in (m.text or "")
        ],
        what="the response_url notes",
    )
    assert notes
    author = Author(slack, requests, channel=dm, thread_ts=roots[0].ts)
    wait_until(author.bot_replies, what="the first question in the DM")
    author.say("m2", expect="Question 2 of 15")


def test_drafts_resume_cancel_and_help_answer_the_author(
    alice: Author, slack: SlackEmulator
) -> None:
    """The subcommands list drafts, pick one up, cancel it and explain themselves."""
    alice.start("new Bound cancel retries")
    draft_id = _draft_id(slack, alice)
    alice.command("drafts")
    listing = wait_until(lambda: _ephemerals(slack, alice, draft_id), what="the drafts list")
    assert "Resume" in message_text(listing[-1])

    alice.command(f"cancel {draft_id}")
    wait_until(
        lambda: "cancelled" in (slack.message(alice.channel, alice.thread_ts or "").text or ""),
        what="the root message to say cancelled",
    )
    seen = len(alice.bot_replies())
    alice.command(f"resume {draft_id}")
    alice.await_replies(seen, "Question 1 of 15")

    alice.command("frobnicate")
    help_notes = wait_until(lambda: _ephemerals(slack, alice, "`/milestone new"), what="help")
    assert "I don't know `frobnicate`" in (help_notes[-1].text or "")


def _ephemerals(slack: SlackEmulator, author: Author, needle: str) -> list[object]:
    return [
        m
        for m in slack.messages(author.channel, viewer=author.user)
        if m.source == "response_url" and needle in message_text(m)
    ]


def _draft_id(slack: SlackEmulator, author: Author) -> str:
    import json
    import re

    for message in author.bot_replies():
        for block in message.blocks or []:
            for element in block.get("elements", []):
                value = element.get("value")
                if value and value.startswith("{"):
                    return str(json.loads(value)["d"])
    match = re.search(r"ms-[0-9a-z]{6}", author.transcript())
    assert match
    return match.group(0)
