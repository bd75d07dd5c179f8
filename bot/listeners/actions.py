"""Block Kit actions: the drafting buttons and menus, and the digest's controls.

Each listener acks at once (Slack wants an answer within 3 seconds), then does the work. A
drafting button carries the typed answer it stands for, so a click runs the path a typed
message runs. A digest control settles a gate on GitHub, opens the Not applicable modal,
snoozes or mutes; the digest is then rewritten in place with a line saying what happened.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import NotDraftAuthor, UnknownDraft
from bot.listeners.binding import bound
from bot.listeners.replies import refusal
from bot.log import get_logger
from bot.reminders.blocks import (
    ACTION_GATE,
    ACTION_MUTE,
    ACTION_SNOOZE_DAY,
    ACTION_SNOOZE_WEEK,
    DONE,
    NOT_APPLICABLE,
    WITH_EVIDENCE,
    gate_by_hash,
    not_applicable_view,
    parse_value,
)
from bot.reminders.controls import settle_gate
from bot.reminders.evidence_outcomes import tick_with_evidence
from bot.slack.blocks import (
    ACTION_ANSWER,
    ACTION_CANCEL,
    ACTION_CHECKS,
    ACTION_CHECKS_DONE,
    ACTION_EDIT,
    ACTION_FILE,
    ACTION_RESUME,
    ACTION_SAVE,
    ACTION_SELECT,
    parse_action_value,
)
from bot.slack.conversation import Origin
from bot.slack.poster import slack_error
from flows.draft import GateState, GateStatus

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()

DRAFT_ACTIONS = re.compile(
    f"^({ACTION_ANSWER}(_\\d+)?|{ACTION_SELECT}|{ACTION_CHECKS_DONE}|"
    f"{ACTION_FILE}|{ACTION_EDIT}|{ACTION_SAVE}|{ACTION_CANCEL}|{ACTION_RESUME})$"
)
GATE_ACTIONS = re.compile(f"^{ACTION_GATE}_\\d+_\\d+$")
MUTE_ACTIONS = re.compile(f"^{ACTION_MUTE}_\\d+$")


def register(app: App, services: Services) -> None:
    app.action(ACTION_CHECKS)(checkbox_toggled)
    app.action(DRAFT_ACTIONS)(bound(draft_clicked, services))
    app.action(GATE_ACTIONS)(bound(gate_chosen, services))
    app.action(MUTE_ACTIONS)(bound(mute_clicked, services))
    app.action(ACTION_SNOOZE_DAY)(bound(snooze_clicked, services))
    app.action(ACTION_SNOOZE_WEEK)(bound(snooze_clicked, services))


# -- drafting ------------------------------------------------------------------------------


def checkbox_toggled(ack: Ack) -> None:
    """Toggling a box only changes the form; "Done" submits it."""
    ack()


def action_origin(body: dict[str, Any], action: dict[str, Any]) -> Origin:
    container = body.get("container") or {}
    return Origin(
        team=(body.get("team") or {}).get("id", ""),
        user=body["user"]["id"],
        channel=(body.get("channel") or {}).get("id") or container.get("channel_id", ""),
        correlation_id=f"action:{action.get('action_ts', '')}:{action.get('action_id')}",
    )


def chosen(action: dict[str, Any]) -> tuple[str, str]:
    """(the value, the words shown on what was clicked or picked) of a button or menu."""
    if action["action_id"] in (ACTION_SELECT, ACTION_EDIT):
        option = action.get("selected_option") or {}
        return option.get("value", ""), (option.get("text") or {}).get("text", "")
    return action.get("value", ""), (action.get("text") or {}).get("text", "")


def draft_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, *, services: Services
) -> None:
    """A drafting button or menu: Resume, Save for later, or a typed answer it stands for."""
    ack()
    origin = action_origin(body, action)
    action_id = action["action_id"]
    value, echo = chosen(action)
    try:
        draft_id, question_id, typed = parse_action_value(value)
    except (ValueError, KeyError, TypeError):
        log.warning("action.rejected", reason="unreadable value", action_id=action_id)
        return
    log.info(
        "action.received",
        action_id=action_id,
        draft_id=draft_id,
        user=origin.user,
        correlation_id=origin.correlation_id,
    )
    conversations = services.conversations
    message_ts = (body.get("container") or {}).get("message_ts")
    command = services.settings.slack_command
    if action_id == ACTION_RESUME:
        try:
            conversations.resume(origin, draft_id, respond)
        except (UnknownDraft, NotDraftAuthor) as exc:
            respond(text=refusal(exc, command), response_type="ephemeral")
    elif action_id == ACTION_SAVE:
        respond(
            text=f"Saved. `{command} resume {draft_id}` picks it up when you're ready.",
            response_type="ephemeral",
            replace_original=False,
        )
    elif action_id == ACTION_CHECKS_DONE:
        picked = checked_options(body)
        typed = " ".join(v for v, _ in picked) if picked else "none"
        echo = ", ".join(t for _, t in picked) if picked else "none"
        conversations.clicked(origin, draft_id, question_id, typed, message_ts, echo)
    elif action_id in (ACTION_FILE, ACTION_EDIT, ACTION_CANCEL):
        conversations.clicked(origin, draft_id, None, typed, None, echo)
    else:
        conversations.clicked(origin, draft_id, question_id, typed, message_ts, echo)


def checked_options(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(value, label) of the boxes ticked in the message's checkboxes, from its form state."""
    values = ((body.get("state") or {}).get("values")) or {}
    for block in values.values():
        element = block.get(ACTION_CHECKS)
        if element is not None:
            return [
                (o.get("value", ""), (o.get("text") or {}).get("text", ""))
                for o in element.get("selected_options") or []
            ]
    return []


# -- the digest's controls -----------------------------------------------------------------


def digest_message(body: dict[str, Any]) -> tuple[str, str]:
    """(channel, ts) of the digest message a control was clicked on."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    return str(channel), str(container.get("message_ts", ""))


def gate_chosen(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, *, services: Services
) -> None:
    """A gate's menu: Done settles it on GitHub; Not applicable asks why, in a modal."""
    ack()
    user = body["user"]["id"]
    try:
        value = parse_value((action.get("selected_option") or {}).get("value", ""))
    except (ValueError, TypeError):
        log.warning("action.rejected", reason="unreadable value", action_id=action.get("action_id"))
        return
    channel, ts = digest_message(body)
    window_key = str(value.get("k", ""))
    log.info("gate.clicked", user=user, draft_id=value.get("d"), choice=value.get("a"))
    reminders = services.reminders
    if value.get("a") == DONE:
        done = GateState(status=GateStatus.CHECKED)
        result = settle_gate(reminders, services.github, user, value, done)
        reminders.refresh_message(channel, ts, window_key, result.message)
    elif value.get("a") == NOT_APPLICABLE:
        ask_why_not_applicable(body, value, client, services)
    elif value.get("a") == WITH_EVIDENCE:
        result = tick_with_evidence(reminders, services.github, user, value)
        reminders.refresh_message(channel, ts, window_key, result.message)


def ask_why_not_applicable(
    body: dict[str, Any], value: dict[str, Any], client: WebClient, services: Services
) -> None:
    """Open the reason modal; it carries the gate and the digest message to rewrite after."""
    channel, ts = digest_message(body)
    label = gate_by_hash(services.template, str(value.get("g", "")))
    with services.store.session() as s:
        issue = s.tracked.get(str(value.get("d", "")))
    if label is None or issue is None:
        services.reminders.refresh_message(
            channel, ts, str(value.get("k", "")), "I don't follow that gate any more."
        )
        return
    metadata = {**value, "c": channel, "m": ts}
    try:
        client.views_open(
            trigger_id=body["trigger_id"], view=not_applicable_view(issue, label, metadata)
        )
    except SlackApiError as exc:
        log.warning("slack.call_failed", method="views.open", reason=slack_error(exc))


def mute_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], *, services: Services
) -> None:
    """Mute: no more reminders for that issue."""
    ack()
    try:
        value = parse_value(action.get("value", ""))
    except (ValueError, TypeError):
        return
    channel, ts = digest_message(body)
    note = services.reminders.mute(body["user"]["id"], str(value.get("d", "")))
    services.reminders.refresh_message(channel, ts, str(value.get("k", "")), note)


def snooze_clicked(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], *, services: Services
) -> None:
    """Snooze for a day or a week: the digest's issues come back after."""
    ack()
    try:
        value = parse_value(action.get("value", ""))
        days = int(value.get("s", 1))
    except (ValueError, TypeError):
        return
    channel, ts = digest_message(body)
    window_key = str(value.get("k", ""))
    note = services.reminders.snooze(body["user"]["id"], window_key, days)
    services.reminders.refresh_message(channel, ts, window_key, note)
