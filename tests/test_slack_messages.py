"""The author's answer read from each message shape a real Slack client sends.

Events are built from Slack's own payload shapes (tests/fixtures/payloads/slack, every field
of the Java SDK's samples) with real-looking values, as Slack's docs show them.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.messages import (
    ATTACHMENT_NOTE,
    ATTACHMENT_ONLY_NOTE,
    AuthorMessage,
    addresses_bot,
    author_answer,
    rich_text_to_wire,
)
from tests.slack_shapes import shaped_event

BOT = "U0BOTUSER1"
ALICE = "U0ALICE001"


def event(name: str, text: str = "", **values: Any) -> dict[str, Any]:
    """A person's event of this shape, in a draft's thread."""
    filled: dict[str, Any] = {
        "user": ALICE,
        "channel": "C0RELIABLE",
        "ts": "1717000100.000200",
        "event_ts": "1717000100.000200",
        "thread_ts": "1717000000.000100",
        "channel_type": "channel",
    }
    return shaped_event(name, text, **{**filled, **values})


def test_a_plain_message_is_its_text() -> None:
    """A person's message in the thread answers with its text as Slack sent it."""
    assert author_answer(event("MessagePayload", "Bound cancel retries"), BOT) == AuthorMessage(
        "Bound cancel retries"
    )


def test_also_send_to_channel_counts_as_the_answer() -> None:
    """`thread_broadcast` ("Also send to channel") is the author answering in the thread."""
    broadcast = event("MessageThreadBroadcastPayload", "Retries are bounded at 3")
    assert broadcast["subtype"] == "thread_broadcast"
    assert author_answer(broadcast, BOT) == AuthorMessage("Retries are bounded at 3")


def test_a_file_share_keeps_the_text_and_says_the_file_is_not_carried() -> None:
    """`file_share`: the text is the answer, and a note tells the author to link the file."""
    shared = event("MessageFileSharePayload", "See the attached trace")
    shared["files"] = [{"id": "F0TRACE001", "name": "trace.png", "mimetype": "image/png"}]
    assert author_answer(shared, BOT) == AuthorMessage("See the attached trace", (ATTACHMENT_NOTE,))


def test_a_file_alone_is_no_text_and_a_note() -> None:
    """A file with no text answers nothing (the engine asks again) and says why."""
    shared = event("MessageFileSharePayload", "")
    shared["files"] = [{"id": "F0TRACE001", "name": "trace.png"}]
    assert author_answer(shared, BOT) == AuthorMessage("", (ATTACHMENT_ONLY_NOTE,))


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        (f"<@{BOT}> Bound cancel retries", "Bound cancel retries"),
        (f"<@{BOT}|milestone-bot>: Bound cancel retries", "Bound cancel retries"),
        (f"  <@{BOT}>, skip", "skip"),
        (f"<@{BOT}>\n• one\n• two", "• one\n• two"),
        (f"Ask <@{BOT}> later", f"Ask <@{BOT}> later"),  # not a leading address
        ("<@U0BOB00001> owns it", "<@U0BOB00001> owns it"),  # someone else is the answer
    ],
)
def test_the_address_to_the_bot_is_not_part_of_the_answer(typed: str, answer: str) -> None:
    """A leading `<@BOT>` (with `:` or `,`) is dropped; other mentions are kept."""
    got = author_answer(event("MessagePayload", typed), BOT)
    assert got is not None and got.text == answer


def test_an_app_mention_is_an_answer_without_the_address() -> None:
    """`app_mention` (the same message, delivered as a mention) answers without the address."""
    mention = event("AppMentionPayload", f"<@{BOT}> Bound cancel retries")
    assert mention["type"] == "app_mention"
    assert author_answer(mention, BOT) == AuthorMessage("Bound cancel retries")


def test_an_address_alone_is_not_an_answer() -> None:
    """`@milestone-bot` and nothing else answers nothing."""
    assert author_answer(event("AppMentionPayload", f"<@{BOT}>"), BOT) is None


@pytest.mark.parametrize(
    "shape",
    [
        ("MessageBotPayload", {"bot_id": "B0DEPLOY01", "user": None}),
        ("MessageDeletedPayload", {"hidden": True}),
        ("MessageChangedPayload", {"hidden": True}),
        ("MessagePayload", {"subtype": "channel_join", "inviter": "U0BOB00001"}),
        ("MessagePayload", {"subtype": "group_join"}),
        ("MessagePayload", {"subtype": "channel_topic", "topic": "x"}),
        ("MessagePayload", {"user": BOT, "bot_id": "B0MILESTON"}),  # the bot's own post
        ("MessagePayload", {"user": BOT}),
    ],
)
def test_what_is_not_someone_answering_is_none(shape: tuple[str, dict[str, Any]]) -> None:
    """Bot posts, deletions, edits (handled apart), joins, topics and the bot's own posts."""
    name, values = shape
    assert author_answer(event(name, "Bound cancel retries", **values), BOT) is None


def test_a_bulleted_list_from_the_composer_is_one_item_per_line() -> None:
    """A `rich_text_list` (bullet) is read item by item, with nested items indented."""
    blocks = [
        {
            "type": "rich_text",
            "block_id": "Lst1",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": "Scope:\n"}]},
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "indent": 0,
                    "elements": [
                        _item({"type": "text", "text": "cancel path"}),
                        _item(
                            {"type": "text", "text": "retry "},
                            {"type": "text", "text": "budget", "style": {"bold": True}},
                        ),
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "indent": 1,
                    "elements": [_item({"type": "text", "text": "per tenant"})],
                },
            ],
        }
    ]
    got = author_answer(event("MessagePayload", "fallback", blocks=blocks), BOT)
    assert got == AuthorMessage("Scope:\n• cancel path\n• retry *budget*\n    ◦ per tenant")


def test_a_numbered_list_is_read_from_its_elements_and_offset() -> None:
    """An ordered `rich_text_list` numbers from its offset, whatever the fallback text says."""
    blocks = [
        {
            "type": "rich_text",
            "block_id": "Num1",
            "elements": [
                {
                    "type": "rich_text_list",
                    "style": "ordered",
                    "indent": 0,
                    "offset": 2,
                    "elements": [
                        _item({"type": "text", "text": "Add the budget & tests"}),
                        _item(
                            {"type": "link", "url": "https://example.com/x", "text": "the doc"},
                            {"type": "text", "text": " by "},
                            {"type": "user", "user_id": "U0BOB00001"},
                        ),
                    ],
                }
            ],
        }
    ]
    got = author_answer(event("MessagePayload", "1. a 2. b", blocks=blocks), BOT)
    assert got is not None
    assert got.text == (
        "3. Add the budget &amp; tests\n4. <https://example.com/x|the doc> by <@U0BOB00001>"
    )


def test_rich_text_quotes_code_and_emoji_read_as_slack_writes_them() -> None:
    """Preformatted text, quotes, code spans and emoji keep Slack's wire form."""
    elements = [
        {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted <x>"}]},
        {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a *b*"}]},
        {
            "type": "rich_text_section",
            "elements": [
                {"type": "text", "text": "run ", "style": {}},
                {"type": "text", "text": "make", "style": {"code": True, "bold": True}},
                {"type": "emoji", "name": "rocket", "unicode": "1f680"},
                {"type": "broadcast", "range": "here"},
            ],
        },
    ]
    assert rich_text_to_wire(elements) == (
        "&gt; quoted &lt;x&gt;\n```a *b*```\nrun `make`:rocket:<!here>"
    )


def _item(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(inline)}


def test_a_message_begins_with_the_address_or_talks_about_the_bot() -> None:
    """`<@BOT> help` is said to the bot; `ask <@BOT>` is said about it."""
    assert addresses_bot(event("AppMentionPayload", f"<@{BOT}> help"), BOT)
    assert addresses_bot(event("AppMentionPayload", f"<@{BOT}|milestone-bot>: help"), BOT)
    assert not addresses_bot(event("AppMentionPayload", f"ask <@{BOT}> later"), BOT)
    assert not addresses_bot(event("MessagePayload", "help"), None)
