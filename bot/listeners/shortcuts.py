"""Shortcuts and their modals: "New Reliability Milestone" (global; also the Home's New
milestone button) and "Draft a milestone from this" (on a message).

Submitting either modal starts the draft through the path `/milestone new` takes
(`Conversations.start`): a thread in the chosen channel, or the message's own thread, with
the DM fallback where the bot can't post. The modal's id is the delivery's id, so a double
submit starts one draft. Slack wants the trigger used within 3 seconds: a shortcut opens
its modal before anything slow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.listeners.binding import bound
from bot.log import get_logger
from bot.slack.conversation import Origin, Preset
from bot.slack.modals import (
    CHANNEL_ACTION,
    CHANNEL_BLOCK,
    PROBLEM_ACTION,
    PROBLEM_BLOCK,
    SHORTCUT_FROM_MESSAGE,
    SHORTCUT_NEW,
    TITLE_ACTION,
    TITLE_BLOCK,
    VIEW_FROM_MESSAGE,
    VIEW_NEW,
    MessageRef,
    from_message_view,
    new_milestone_view,
    problem_from_message,
    submitted,
    title_from_message,
)
from bot.slack.poster import slack_error
from bot.slack.text import slack_to_markdown
from flows.draft import Draft
from flows.errors import InvalidAnswer
from flows.questions import GITHUB_TITLE_LIMIT

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()

ERROR_LIMIT = 150  # an inline modal error is one short line


def register(app: App, services: Services) -> None:
    app.global_shortcut(SHORTCUT_NEW)(bound(new_milestone_shortcut, services))
    app.message_shortcut(SHORTCUT_FROM_MESSAGE)(bound(message_shortcut, services))
    app.view(VIEW_NEW)(bound(new_milestone_submitted, services))
    app.view(VIEW_FROM_MESSAGE)(bound(from_message_submitted, services))


def title_limit(services: Services) -> int:
    return GITHUB_TITLE_LIMIT - len(services.template.title_prefix)


def open_view(client: WebClient, trigger_id: str, view: dict[str, Any]) -> str:
    """Open a modal; "" when Slack took it, else its error (an expired trigger, ...)."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        reason = slack_error(exc)
        log.warning("slack.call_failed", method="views.open", reason=reason)
        return reason
    return ""


def open_new_milestone(client: WebClient, trigger_id: str, user: str, services: Services) -> str:
    """The New milestone modal, its channel preset to the one the person used last."""
    with services.store.session(readonly=True) as s:
        last = s.home.last_channel(user)
    view = new_milestone_view(last, title_limit=title_limit(services))
    return open_view(client, trigger_id, view)


def new_milestone_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, *, services: Services
) -> None:
    """The global shortcut: the same modal as the Home's New milestone button."""
    ack()
    user = body["user"]["id"]
    log.info("shortcut.received", callback_id=SHORTCUT_NEW, user=user)
    open_new_milestone(client, body["trigger_id"], user, services)


def message_shortcut(
    ack: Ack, body: dict[str, Any], client: WebClient, *, services: Services
) -> None:
    """Draft a milestone from this: a modal with the title and problem statement preset from
    the message (Slack text made Markdown, as answers are)."""
    ack()
    user = body["user"]["id"]
    message = body.get("message") or {}
    channel = str((body.get("channel") or {}).get("id") or "")
    ts = str(message.get("ts") or body.get("message_ts") or "")
    log.info("shortcut.received", callback_id=SHORTCUT_FROM_MESSAGE, user=user, channel=channel)
    markdown = slack_to_markdown(str(message.get("text") or ""), services.users.resolve)
    ref = MessageRef(channel, ts, str(message.get("thread_ts") or ts))
    view = from_message_view(
        ref,
        title_from_message(markdown),
        problem_from_message(markdown),
        title_limit=title_limit(services),
    )
    error = open_view(client, body["trigger_id"], view)
    if error:
        Teller(services, user, channel).say(
            f"I couldn't open the form ({error}). Use the shortcut on the message again."
        )


def parse_or_error(
    services: Services, question_id: str, text: str, block_id: str, errors: dict[str, str]
) -> str:
    """The text when the question's grammar takes it; else its refusal, for the modal."""
    try:
        services.flow.question(question_id).parse(text, Draft(id="ms-modal"))
    except InvalidAnswer as exc:
        errors[block_id] = str(exc)[:ERROR_LIMIT]
    return text


def new_milestone_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], *, services: Services
) -> None:
    """New milestone: start the draft in the chosen channel, as `/milestone new` would."""
    title = str(submitted(view, TITLE_BLOCK, TITLE_ACTION) or "").strip()
    channel = str(submitted(view, CHANNEL_BLOCK, CHANNEL_ACTION) or "")
    errors: dict[str, str] = {}
    parse_or_error(services, "title", title, TITLE_BLOCK, errors)
    if not channel:
        errors[CHANNEL_BLOCK] = "Choose the channel to draft in."
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    origin = view_origin(body, view, channel)
    with services.store.session() as s:
        s.home.used_channel(origin.user, channel)
    preset = Preset(answers=(("title", title),))
    start(services, origin, preset)


def from_message_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], *, services: Services
) -> None:
    """Draft a milestone from this: the draft starts in the message's thread, its title and
    problem statement answered, the discussion's permalink in its notes."""
    title = str(submitted(view, TITLE_BLOCK, TITLE_ACTION) or "").strip()
    problem = str(submitted(view, PROBLEM_BLOCK, PROBLEM_ACTION) or "").strip()
    errors: dict[str, str] = {}
    parse_or_error(services, "title", title, TITLE_BLOCK, errors)
    parse_or_error(services, "problem", problem, PROBLEM_BLOCK, errors)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack()
    try:
        ref = MessageRef.from_metadata(view.get("private_metadata") or "")
    except (ValueError, KeyError, TypeError):
        log.warning("view.rejected", reason="unreadable private_metadata")
        return
    origin = view_origin(body, view, ref.channel)
    link = services.conversations.poster.permalink(ref.channel, ref.message_ts)
    notes = (f"Discussed in Slack: {link}",) if link else ()
    preset = Preset(
        answers=(("title", title), ("problem", problem)), thread_ts=ref.thread_ts, notes=notes
    )
    start(services, origin, preset)


def view_origin(body: dict[str, Any], view: dict[str, Any], channel: str) -> Origin:
    """The submission as a delivery: its id is the modal's, so a double submit is one."""
    return Origin(
        team=(body.get("team") or {}).get("id", "") or view.get("team_id", ""),
        user=body["user"]["id"],
        channel=channel,
        correlation_id=f"view:{view.get('id', '')}",
    )


def start(services: Services, origin: Origin, preset: Preset) -> None:
    """As `/milestone new`: a second submit of the same modal is a repeated delivery
    (`command.duplicate`) and starts nothing."""
    teller = Teller(services, origin.user, origin.channel)
    services.conversations.start(origin, "", teller.respond, preset=preset)


class Teller:
    """Says something to one person about a channel: an ephemeral note there, or, where the
    bot can't post (a channel it isn't in), a DM. What a modal has instead of `respond`."""

    def __init__(self, services: Services, user: str, channel: str) -> None:
        self.poster = services.conversations.poster
        self.user = user
        self.channel = channel

    def say(self, text: str) -> None:
        if self.channel and self.poster.ephemeral(self.channel, self.user, text):
            return
        dm = self.poster.open_dm(self.user)
        if dm is not None:
            self.poster.post(dm, text)

    def respond(self, text: str = "", **_: Any) -> None:
        self.say(text)
