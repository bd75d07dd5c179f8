"""The App Home: opening it, and its own buttons (New milestone, Resume, Cancel, Snooze).

A Home click has no response_url, so what it says back shows at the top of the Home (the
publisher's notice). The gates' Done / Not applicable menus and Mute on the Home are the
digest's controls, handled by bot/listeners/actions.py: their window key `home:<user>` sends
what they did to the Home's notice (Reminders.home_note), and the refresh shows the change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.errors import NotDraftAuthor, UnknownDraft
from bot.home.controls import snooze_issue
from bot.home.view import ACTION_CANCEL, ACTION_NEW, ACTION_RESUME, ACTION_SNOOZE
from bot.listeners.binding import bound
from bot.listeners.replies import refusal
from bot.listeners.shortcuts import open_new_milestone
from bot.log import get_logger
from bot.slack.conversation import Origin
from bot.slack.origin import Respond

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()

SNOOZE_ACTIONS = re.compile(f"^{ACTION_SNOOZE}_\\d+_\\d+$")


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(bound(home_opened, services))
    app.action(ACTION_NEW)(bound(new_clicked, services))
    app.action(ACTION_RESUME)(bound(resume_clicked, services))
    app.action(ACTION_CANCEL)(bound(cancel_clicked, services))
    app.action(SNOOZE_ACTIONS)(bound(snooze_clicked, services))


def home_opened(event: dict[str, Any], *, services: Services) -> None:
    """The person opened the Home tab (not the Messages tab): publish it as it is now."""
    if event.get("tab") != "home" or not event.get("user") or services.home is None:
        return
    log.info("home.opened", user=event["user"])
    services.home.opened(str(event["user"]))


def new_clicked(ack: Ack, body: dict[str, Any], client: WebClient, *, services: Services) -> None:
    """New milestone: the modal asking for a title and the channel to draft in."""
    ack()
    open_new_milestone(client, body["trigger_id"], body["user"]["id"], services)


def _draft_id(action: dict[str, Any]) -> str | None:
    try:
        return str(json.loads(action.get("value") or "")["d"])
    except (ValueError, KeyError, TypeError):
        log.warning("action.rejected", reason="unreadable value", action_id=action.get("action_id"))
        return None


def home_origin(body: dict[str, Any], action: dict[str, Any], services: Services) -> Origin:
    """A Home click as a delivery. It has no channel: a draft whose thread was never
    posted restarts in the channel the person last drafted in."""
    user = body["user"]["id"]
    with services.store.session(readonly=True) as s:
        channel = s.home.last_channel(user) or ""
    return Origin(
        team=(body.get("team") or {}).get("id", ""),
        user=user,
        channel=channel,
        correlation_id=f"home:{action.get('action_ts', '')}:{action.get('action_id')}",
    )


def resume_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], *, services: Services
) -> None:
    """Resume: the button opens the thread; the bot re-asks where the draft stands there."""
    ack()
    _on_draft(body, action, services, services.conversations.resume)


def cancel_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], *, services: Services
) -> None:
    """Cancel (after Slack's confirmation dialog): as typing `cancel` in the thread."""
    ack()
    _on_draft(body, action, services, services.conversations.cancel)


def _on_draft(
    body: dict[str, Any],
    action: dict[str, Any],
    services: Services,
    act: Callable[[Origin, str, Respond], None],
) -> None:
    """Do what the Home's button asks to the draft it names; a refusal goes to the Home."""
    draft_id = _draft_id(action)
    if draft_id is None:
        return
    origin = home_origin(body, action, services)
    tell = _notice(services, origin.user)
    try:
        act(origin, draft_id, tell)
    except (UnknownDraft, NotDraftAuthor) as exc:
        tell(text=refusal(exc, services.settings.slack_command))


def snooze_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], *, services: Services
) -> None:
    """Snooze one issue for a day or a week."""
    ack()
    try:
        value = json.loads(action.get("value") or "")
        draft_id, days = str(value["d"]), int(value["s"])
    except (ValueError, KeyError, TypeError):
        log.warning("action.rejected", reason="unreadable value", action_id=action.get("action_id"))
        return
    user = body["user"]["id"]
    note = snooze_issue(services.store, user, draft_id, days)
    if services.home is not None:
        services.home.notify(user, note)


def _notice(services: Services, user: str) -> Any:
    """A `respond` for Home clicks: what it says shows at the top of the person's Home."""

    def tell(text: str = "", **_: Any) -> None:
        if services.home is not None:
            services.home.notify(user, text)

    return tell
