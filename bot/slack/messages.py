"""What the author answered, read from a message as real Slack clients send it.

A pure function of one event: `author_answer(event, bot_user_id)` gives the answer's text
(in Slack's wire format: `&amp;`, `<@U…>`, `<url|label>`, as `slack_to_markdown` expects)
and notes to tell the author, or None when the event is not someone answering.

* A plain message, `thread_broadcast` ("Also send to channel") and `app_mention` are answers.
* `file_share` is an answer too: its text counts; the file is not carried into the issue,
  and a note says so (the author is told, the file is not dropped silently).
* A leading address to the bot (`<@BOT> …`, `@bot: …`) is not part of the answer.
* Lists typed in Slack's composer arrive as `rich_text_list` elements; when there are any,
  the answer is read from the rich_text block (one item per line, numbered from the list's
  offset) rather than from the fallback `text`.
* `@bot ...` outside a draft's thread is not an answer; the listener points the author to
  the slash command (`addresses_bot`).
* Every other subtype (`bot_message`, `message_deleted`, `message_changed`, joins, topic
  changes, …), the bot's own posts and hidden messages are not answers: None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# `message` subtypes that are a person typing; None and "" are a plain message.
ANSWER_SUBTYPES = frozenset({"", "thread_broadcast", "file_share"})
ATTACHMENT_NOTE = (
    "I kept your text; attachments aren't carried into the issue: link the file instead "
    "(paste its link in an answer or in the notes)."
)
ATTACHMENT_ONLY_NOTE = (
    "Attachments aren't carried into the issue: type the answer, or paste a link to the file."
)
_STYLE_MARKS = (("code", "`"), ("bold", "*"), ("italic", "_"), ("strike", "~"))


@dataclass(frozen=True)
class AuthorMessage:
    """The author's answer as Slack wire text, and what to tell them about the message."""

    text: str
    notes: tuple[str, ...] = ()


def author_answer(event: Mapping[str, Any], bot_user_id: str | None = None) -> AuthorMessage | None:
    """The answer a `message` or `app_mention` event carries, or None if it is not one."""
    if event.get("type") not in ("message", "app_mention"):
        return None
    if (event.get("subtype") or "") not in ANSWER_SUBTYPES or event.get("hidden"):
        return None
    user = event.get("user") or ""
    if not user or event.get("bot_id") or (bot_user_id and user == bot_user_id):
        return None
    text = _without_address(_typed_text(event), bot_user_id)
    has_files = bool(event.get("files")) or event.get("subtype") == "file_share"
    if not has_files:
        return AuthorMessage(text) if text.strip() else None
    return AuthorMessage(text, (ATTACHMENT_NOTE if text.strip() else ATTACHMENT_ONLY_NOTE,))


def addresses_bot(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """Whether the message begins with `<@BOT>`: said to the bot, not about it."""
    if not bot_user_id:
        return False
    text = str(event.get("text") or "")
    return _without_address(text, bot_user_id) != text


def _without_address(text: str, bot_user_id: str | None) -> str:
    """The text without a leading `<@BOT>` (and the `:` or `,` after it)."""
    if not bot_user_id:
        return text
    address = re.compile(rf"^\s*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>\s*[:,]?[ \t]*\n?")
    return address.sub("", text, count=1)


def _typed_text(event: Mapping[str, Any]) -> str:
    """The message text; rebuilt from its rich_text block when that holds a list."""
    text = str(event.get("text") or "")
    for block in event.get("blocks") or ():
        if isinstance(block, Mapping) and block.get("type") == "rich_text":
            elements = block.get("elements") or ()
            if any(_is(e, "rich_text_list") for e in elements):
                return rich_text_to_wire(elements)
    return text


def _is(node: Any, kind: str) -> bool:
    return isinstance(node, Mapping) and node.get("type") == kind


def rich_text_to_wire(elements: Sequence[Any]) -> str:
    """A rich_text block's elements as the `text` Slack would send, lists one item a line."""
    parts: list[str] = []
    for element in elements:
        if _is(element, "rich_text_list"):
            parts.append(_list(element))
        elif _is(element, "rich_text_preformatted"):
            parts.append("```" + _inline(element.get("elements") or (), code=True) + "```")
        elif _is(element, "rich_text_quote"):
            quoted = _inline(element.get("elements") or ()).rstrip("\n")
            parts.append("\n".join("&gt; " + line for line in quoted.split("\n")))
        elif isinstance(element, Mapping):
            parts.append(_inline(element.get("elements") or ()).rstrip("\n"))
    return "\n".join(part for part in parts if part)


def _list(element: Mapping[str, Any]) -> str:
    ordered = element.get("style") == "ordered"
    start = int(element.get("offset") or 0) + 1
    indent = "    " * int(element.get("indent") or 0)
    lines = []
    for number, item in enumerate(element.get("elements") or (), start=start):
        body = _inline(item.get("elements") or ()) if isinstance(item, Mapping) else ""
        marker = f"{number}." if ordered else ("•" if not indent else "◦")
        lines.append(f"{indent}{marker} {body.strip()}")
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _inline(elements: Sequence[Any], *, code: bool = False) -> str:
    """Inline rich text elements as Slack wire text."""
    out: list[str] = []
    for node in elements:
        if not isinstance(node, Mapping):
            continue
        kind = node.get("type")
        if kind == "text":
            out.append(_styled(_escape(str(node.get("text") or "")), node, code=code))
        elif kind == "link":
            url, label = str(node.get("url") or ""), str(node.get("text") or "")
            out.append(f"<{url}|{_escape(label)}>" if label and label != url else f"<{url}>")
        elif kind == "user":
            out.append(f"<@{node.get('user_id', '')}>")
        elif kind == "channel":
            out.append(f"<#{node.get('channel_id', '')}>")
        elif kind == "usergroup":
            out.append(f"<!subteam^{node.get('usergroup_id', '')}>")
        elif kind == "broadcast":
            out.append(f"<!{node.get('range', 'here')}>")
        elif kind == "emoji":
            out.append(f":{node.get('name', '')}:")  # as Slack's own `text` writes it
        else:  # date, team, canvas...: their fallback text, if they have one
            out.append(_escape(str(node.get("fallback") or node.get("text") or "")))
    return "".join(out)


def _styled(text: str, node: Mapping[str, Any], *, code: bool) -> str:
    style = node.get("style") or {}
    core = text.strip()
    if code or not core or not isinstance(style, Mapping):
        return text
    # Marks hug the words, as Slack's own `text` has them: `*bold* ` not `*bold *`.
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    for name, mark in _STYLE_MARKS:
        if style.get(name):
            core = f"{mark}{core}{mark}"
            if name == "code":
                break  # nothing inside a code span is formatting
    return lead + core + trail
