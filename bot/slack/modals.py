"""The modals that start a draft outside the slash command: New milestone (the Home's button
and the global shortcut) and Draft a milestone from this (the message shortcut).

Built with slack_sdk's Block Kit models, inside Slack's limits (a 24-character title; 3,000
characters in a text input). What a submission needs later (the message's channel and
thread) rides in `private_metadata`, so a submit needs no other state.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

SHORTCUT_NEW = "ms_new_milestone"  # the global shortcut "New Reliability Milestone"
SHORTCUT_FROM_MESSAGE = "ms_draft_from_message"  # the message shortcut
VIEW_NEW = "ms_new_view"
VIEW_FROM_MESSAGE = "ms_from_message_view"

TITLE_BLOCK, TITLE_ACTION = "title", "title_input"
CHANNEL_BLOCK, CHANNEL_ACTION = "channel", "channel_select"
PROBLEM_BLOCK, PROBLEM_ACTION = "problem", "problem_input"

INPUT_LIMIT = 3000  # Slack's most for a plain_text_input
TITLE_PRESET = 100  # a title preset from a message is cut at a word boundary before this


def cut_at_word(text: str, limit: int) -> str:
    """`text` up to `limit` characters, ending at a word boundary (with … when cut)."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if space > limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:-") + "…"


def title_from_message(markdown: str, limit: int = TITLE_PRESET) -> str:
    """The title a message suggests: its first non-empty line, without list or heading
    markers, cut at a word boundary."""
    for line in markdown.split("\n"):
        line = re.sub(r"^\s*(?:[-*•>#]+|\d+[.)])\s+", "", line).strip()
        if line:
            return cut_at_word(plain(line), limit)
    return ""


def plain(markdown: str) -> str:
    """Markdown's emphasis markers dropped: GitHub shows an issue title as typed."""
    text = re.sub(r"(\*\*|~~|__)(\S(?:.*?\S)?)\1", r"\2", markdown)
    return re.sub(r"(?<![\w*_])([*_])(\S(?:.*?\S)?)\1(?![\w*_])", r"\2", text)


def problem_from_message(markdown: str) -> str:
    """The message as one paragraph (the problem statement is one): blank lines dropped."""
    lines = [line.rstrip() for line in markdown.split("\n") if line.strip()]
    return cut_at_word("\n".join(lines), INPUT_LIMIT)


def _title_input(initial: str, limit: int) -> InputBlock:
    return InputBlock(
        block_id=TITLE_BLOCK,
        label=PlainTextObject(text="Title"),
        hint=PlainTextObject(text="One line naming the failure you're fixing."),
        element=PlainTextInputElement(
            action_id=TITLE_ACTION,
            initial_value=initial[:limit] or None,
            max_length=limit,
            placeholder=PlainTextObject(text="e.g. Bound cancel retries after venue timeouts"),
        ),
    )


def new_milestone_view(last_channel: str | None, *, title_limit: int) -> dict[str, Any]:
    """Title, and the channel to draft in (preset to the one used last)."""
    channel = ConversationSelectElement(
        action_id=CHANNEL_ACTION,
        placeholder=PlainTextObject(text="Choose a channel"),
        initial_conversation=last_channel or None,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    return View(
        type="modal",
        callback_id=VIEW_NEW,
        title=PlainTextObject(text="New milestone"),
        submit=PlainTextObject(text="Start drafting"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            _title_input("", title_limit),
            InputBlock(
                block_id=CHANNEL_BLOCK,
                label=PlainTextObject(text="Draft in"),
                hint=PlainTextObject(
                    text="I ask the questions in a thread there; where I can't post, in a DM."
                ),
                element=channel,
            ),
        ],
    ).to_dict()


@dataclass(frozen=True)
class MessageRef:
    """The message a shortcut was used on: where its thread is."""

    channel: str
    message_ts: str
    thread_ts: str  # the thread's root: the message itself, or its parent

    def metadata(self) -> str:
        return json.dumps(
            {"c": self.channel, "m": self.message_ts, "t": self.thread_ts}, separators=(",", ":")
        )

    @classmethod
    def from_metadata(cls, text: str) -> MessageRef:
        data = json.loads(text)
        return cls(str(data["c"]), str(data["m"]), str(data["t"]))


def from_message_view(
    message: MessageRef, title: str, problem: str, *, title_limit: int
) -> dict[str, Any]:
    """Title and problem statement preset from the message; the draft starts in its thread."""
    return View(
        type="modal",
        callback_id=VIEW_FROM_MESSAGE,
        title=PlainTextObject(text="Draft a milestone"),
        submit=PlainTextObject(text="Start drafting"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=message.metadata(),
        blocks=[
            _title_input(title, title_limit),
            InputBlock(
                block_id=PROBLEM_BLOCK,
                label=PlainTextObject(text="Problem statement"),
                hint=PlainTextObject(text="What goes wrong today? One paragraph."),
                element=PlainTextInputElement(
                    action_id=PROBLEM_ACTION,
                    multiline=True,
                    initial_value=problem[:INPUT_LIMIT] or None,
                    max_length=INPUT_LIMIT,
                ),
            ),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="The draft starts in this message's thread, with a link to the "
                        "discussion in its notes. I ask the other questions there."
                    )
                ]
            ),
        ],
    ).to_dict()


def submitted(view: dict[str, Any], block_id: str, action_id: str) -> Any:
    """The value an input holds in a view_submission's state (text, or the chosen channel)."""
    values = ((view.get("state") or {}).get("values") or {}).get(block_id) or {}
    element = values.get(action_id) or {}
    if "selected_conversation" in element:
        return element.get("selected_conversation")
    return element.get("value")
