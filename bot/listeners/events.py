"""Events API listeners: messages in a draft's thread, and the app leaving the workspace.

Every subscribed event has a listener (an unmatched event gets a 404, which Slack retries).
Bolt acks events before running listeners, so a retried event runs a listener again:
deduplication happens in the store, inside the same transaction as the answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import App

from bot.listeners.binding import bound
from bot.log import get_logger
from bot.slack.conversation import Origin

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()

# Messages that are someone typing in the thread; every other subtype (joins, bot posts,
# topic changes) is not an answer.
ANSWER_SUBTYPES = {None, "", "file_share", "thread_broadcast"}


def register(app: App, services: Services) -> None:
    app.event("message")(bound(message_posted, services))
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(app_uninstalled)


def message_origin(event: dict[str, Any], body: dict[str, Any]) -> Origin:
    return Origin(
        team=body.get("team_id", ""),
        user=event.get("user") or (event.get("message") or {}).get("user") or "",
        channel=event.get("channel", ""),
        correlation_id=body.get("event_id", ""),
    )


def message_posted(event: dict[str, Any], body: dict[str, Any], *, services: Services) -> None:
    """A message, or an edit of one: an answer when it is the author's, in a draft's thread."""
    subtype = event.get("subtype")
    origin = message_origin(event, body)
    if subtype == "message_changed":
        services.conversations.edited(origin, event)
    elif subtype in ANSWER_SUBTYPES and not event.get("bot_id") and origin.user:
        services.conversations.message(origin, event)
    # message_deleted changes nothing; other subtypes are not answers.


def app_uninstalled(event: dict[str, Any], body: dict[str, Any]) -> None:
    """The app was removed or its tokens revoked: nothing to do but say so in the log."""
    log.warning("slack.uninstalled", event_type=event.get("type"), team=body.get("team_id"))
