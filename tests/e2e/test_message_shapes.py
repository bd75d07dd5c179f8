"""Answers in the shapes real Slack clients send, through `milestone-bot serve`.

Each event is built from Slack's own payload shape (tests/fixtures/payloads/slack) and sent
signed over HTTP; the draft in the bot's database shows what was taken as the answer.
"""

from __future__ import annotations

from typing import Any

from tests.adversarial.support import StoreView, database_path
from tests.e2e.harness import Author, BotProcess, message_text, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests
from tests.slack_shapes import rich_text, section, shaped_event, text

ANSWERS = {
    "Target milestone": "m2",
    "Risk-reduction objective": "Retries stay bounded",
    "Problem statement": "Cancels loop without bound when a venue times out.",
    "Invariants strengthened": "none",
    "In scope": "- The reconciler",
    "File touch plan": "- execution/reconciler.py",
}


def send(
    alice: Author, requests: SlackRequests, name: str, wire_text: str = "", **values: Any
) -> None:
    """Alice's event of shape `name` in her draft's thread."""
    ts = requests.next_ts()
    filled = {
        "user": alice.user,
        "channel": alice.channel,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": alice.thread_ts,
        "channel_type": "channel",
        "team": requests.team_id,
    }
    event = shaped_event(name, wire_text, **{**filled, **values})
    assert requests.send_event(event).status == 200


def said(alice: Author, seen: int, expect: str) -> str:
    """The bot's replies after the first `seen`, once one contains `expect`."""
    return "\n".join(message_text(m) for m in alice.await_replies(seen, expect))


def answer_until(alice: Author, title: str) -> None:
    """Answer whatever is asked, plainly, until the question is `title`."""
    for _ in range(20):
        last = message_text(alice.bot_replies()[-1])
        if f"· {title}" in last:
            return
        asked = next((t for t in ANSWERS if f"· {t}" in last), None)
        alice.say(ANSWERS[asked] if asked else "skip")
    raise AssertionError(alice.transcript())


def draft(bot: BotProcess, alice: Author) -> Any:
    found = StoreView(database_path(bot)).draft_in_thread(alice.thread_ts)
    assert found is not None
    return found


def test_also_send_to_channel_is_the_answer(
    alice: Author, requests: SlackRequests, bot: BotProcess
) -> None:
    """A `thread_broadcast` answer counts like a plain one."""
    alice.start()
    seen = len(alice.bot_replies())
    send(alice, requests, "MessageThreadBroadcastPayload", "Bound cancel retries")
    said(alice, seen, "Question 2 of")
    assert draft(bot, alice).title == "Bound cancel retries"


def test_a_shared_file_keeps_the_text_and_says_the_file_stays_behind(
    alice: Author, requests: SlackRequests, bot: BotProcess
) -> None:
    """`file_share`: the text is the answer, and the author is told to link the file."""
    alice.start()
    seen = len(alice.bot_replies())
    files = [{"id": "F0TRACE001", "name": "trace.png", "mimetype": "image/png"}]
    send(alice, requests, "MessageFileSharePayload", "Bound cancel retries", files=files)
    replies = said(alice, seen, "attachments aren't carried")
    assert "Question 2 of" in replies
    assert draft(bot, alice).title == "Bound cancel retries"


def test_a_file_alone_moves_nothing_and_says_why(
    alice: Author, requests: SlackRequests, bot: BotProcess
) -> None:
    """A file without text is not an answer: the question stays, and the author knows why."""
    alice.start()
    seen = len(alice.bot_replies())
    send(alice, requests, "MessageFileSharePayload", "", files=[{"id": "F0TRACE001"}])
    said(alice, seen, "Attachments aren't carried")
    assert not draft(bot, alice).title


def test_the_address_to_the_bot_is_not_part_of_the_answer(
    alice: Author, requests: SlackRequests, bot: BotProcess, slack: SlackEmulator
) -> None:
    """`@milestone-bot Bound cancel retries`, as a message and as its app_mention, answers
    once, without the address."""
    alice.start()
    seen = len(alice.bot_replies())
    typed = f"<@{slack.bot_user_id}> Bound cancel retries"
    ts = requests.next_ts()
    common = {"ts": ts, "event_ts": ts}
    send(alice, requests, "MessagePayload", typed, **common)
    send(alice, requests, "AppMentionPayload", typed, type="app_mention", **common)
    said(alice, seen, "Question 2 of")
    assert draft(bot, alice).title == "Bound cancel retries"
    answers = [
        row
        for row in StoreView(database_path(bot)).journal(draft(bot, alice).id)
        if row["question_id"] == "title"
    ]
    assert len(answers) == 1


def test_an_app_mention_alone_answers(
    alice: Author, requests: SlackRequests, bot: BotProcess, slack: SlackEmulator
) -> None:
    """An `app_mention` without its `message` twin (the bot not subscribed there) answers."""
    alice.start()
    seen = len(alice.bot_replies())
    send(alice, requests, "AppMentionPayload", f"<@{slack.bot_user_id}>: Bound cancel retries")
    said(alice, seen, "Question 2 of")
    assert draft(bot, alice).title == "Bound cancel retries"


def test_composer_lists_are_read_item_by_item(
    alice: Author, requests: SlackRequests, bot: BotProcess
) -> None:
    """A bulleted and a numbered list typed in Slack's composer arrive as rich_text lists:
    each item is one answer item, numbered lists in their order, whatever the fallback."""
    alice.start("new Bound cancel retries")
    answer_until(alice, "Additional invariants")
    bullets = rich_text(
        {
            "type": "rich_text_list",
            "style": "bullet",
            "elements": [section(text("One cancel per order")), section(text("No silent drop"))],
        }
    )
    seen = len(alice.bot_replies())
    send(alice, requests, "MessagePayload", "One cancel per order No silent drop", blocks=[bullets])
    said(alice, seen, "· In scope")
    assert draft(bot, alice).additional_invariants == ("One cancel per order", "No silent drop")
    answer_until(alice, "Implementation plan")
    numbered = rich_text(
        section(text("In order:\n")),
        {
            "type": "rich_text_list",
            "style": "ordered",
            "offset": 0,
            "elements": [
                section(text("Classify timeouts")),
                section(text("Cap", bold=True), text(" retries")),
            ],
        },
    )
    seen = len(alice.bot_replies())
    send(alice, requests, "MessagePayload", "Classify timeouts Cap retries", blocks=[numbered])
    said(alice, seen, "Question")
    plan = draft(bot, alice).implementation_plan
    assert plan[-2:] == ("Classify timeouts", "**Cap** retries"), plan


def test_what_is_not_someone_answering_moves_nothing(
    alice: Author, requests: SlackRequests, bot: BotProcess
) -> None:
    """A bot's post, a deletion and a join in the thread change nothing; an answer after
    them is still the title."""
    alice.start()
    view = StoreView(database_path(bot))
    before = len(view.journal(draft(bot, alice).id))
    send(alice, requests, "MessageBotPayload", "Deployed", user=None, bot_id="B0DEPLOY01")
    send(alice, requests, "MessageDeletedPayload", "", hidden=True, deleted_ts=alice.thread_ts)
    send(alice, requests, "MessagePayload", "", subtype="channel_join")
    seen = len(alice.bot_replies())
    alice.say("Bound cancel retries")
    said(alice, seen, "Question 2 of")
    assert len(view.journal(draft(bot, alice).id)) == before + 1
    wait_until(lambda: draft(bot, alice).title == "Bound cancel retries", what="the title")


def test_said_to_the_bot_outside_a_draft_points_to_the_command(
    alice: Author, requests: SlackRequests, slack: SlackEmulator
) -> None:
    """`@milestone-bot ...` in the channel gets the author alone a hint of how to start; a
    mention inside a sentence is talk about the bot, and gets nothing."""

    def hints() -> list[str]:
        return [
            m.text or ""
            for m in slack.messages(alice.channel, viewer=alice.user)
            if m.is_ephemeral and "starts one" in (m.text or "")
        ]

    mention = f"<@{slack.bot_user_id}>"
    send(alice, requests, "AppMentionPayload", f"{mention} can you help?", thread_ts=None)
    (hint,) = wait_until(hints, what="the hint")
    assert "/milestone new" in hint
    send(alice, requests, "AppMentionPayload", f"ask {mention} about it", thread_ts=None)
    send(alice, requests, "AppMentionPayload", f"{mention} and again", thread_ts=None)
    wait_until(lambda: len(hints()) == 2, what="the second hint")
