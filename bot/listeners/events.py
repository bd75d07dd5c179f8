"""Events API listeners: messages in a draft's thread, and the app leaving the workspace.

Every subscribed event has a listener (an unmatched event gets a 404, which Slack retries).
Bolt acks events before running listeners, so a retried event runs a listener again:
deduplication happens in the store, inside the same transaction as the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext

from bot.errors import StoreError
from bot.listeners.binding import bound
from bot.log import get_logger
from bot.slack.conversation import Origin
from bot.slack.messages import addresses_bot, author_answer

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()


def register(app: App, services: Services) -> None:
    app.event("message")(bound(message_posted, services))
    # A message that mentions the bot comes as both; the store takes the answer once.
    app.event("app_mention")(bound(bot_mentioned, services))
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(app_uninstalled)


def message_origin(event: dict[str, Any], body: dict[str, Any]) -> Origin:
    return Origin(
        team=body.get("team_id", ""),
        user=event.get("user") or (event.get("message") or {}).get("user") or "",
        channel=event.get("channel", ""),
        correlation_id=body.get("event_id", ""),
    )


def message_posted(
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext | None = None,
    *,
    services: Services,
) -> None:
    """A message, a mention of the bot, or an edit: an answer when it is the author's, in a
    draft's thread. What counts as the answer is bot.slack.messages.author_answer's to say."""
    origin = message_origin(event, body)
    bot_user = context.get("bot_user_id") if context is not None else None
    if event.get("subtype") == "message_changed":
        message = event.get("message") or {}
        edit = author_answer({**message, "type": "message"}, bot_user)
        if edit is not None:
            event = {**event, "message": {**message, "text": edit.text}}
        services.conversations.edited(origin, event)
        return
    answer = author_answer(event, bot_user)
    if answer is not None:
        services.conversations.message(origin, {**event, "text": answer.text}, answer.notes)
    # message_deleted, bot posts, joins and other subtypes are not answers.


def bot_mentioned(
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext | None = None,
    *,
    services: Services,
) -> None:
    """`@milestone-bot ...`: an answer in a draft's thread; said to the bot anywhere else,
    the author is told (only them) how to start a draft."""
    message_posted(event, body, context, services=services)
    bot_user = context.get("bot_user_id") if context is not None else None
    if not addresses_bot(event, bot_user):
        return
    conversations = services.conversations
    origin = message_origin(event, body)
    channel, thread_ts = event.get("channel", ""), event.get("thread_ts")
    try:
        in_draft = conversations.locate(origin.team, channel, thread_ts, origin.user, "")
    except StoreError:
        return  # message_posted has said what went wrong
    if in_draft is None:
        conversations.poster.ephemeral(
            channel, origin.user, mention_hint(services.settings.slack_command), thread_ts=thread_ts
        )


def mention_hint(command: str) -> str:
    return (
        f"I draft Reliability Milestone issues in a thread: `{command} new Bound cancel retries` "
        f"starts one (`{command} help` says more). In a draft's thread, each message of yours "
        "answers the question asked."
    )


def app_uninstalled(event: dict[str, Any], body: dict[str, Any]) -> None:
    """The app was removed or its tokens revoked: nothing to do but say so in the log."""
    log.warning("slack.uninstalled", event_type=event.get("type"), team=body.get("team_id"))
