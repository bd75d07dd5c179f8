"""Bolt listeners for the digest's controls: a gate's Done and Not applicable, Snooze, Mute.

Each acks at once (Slack wants an answer within 3 seconds), then does the work: GitHub
edits for Done, the reason modal for Not applicable. The digest message is then rewritten
in place so it shows what is left, with a line saying what just happened.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.github.issues import GitHubUnavailable, IssueAccess
from bot.log import get_logger
from bot.reminders.blocks import (
    ACTION_GATE,
    ACTION_MUTE,
    ACTION_SNOOZE_DAY,
    ACTION_SNOOZE_WEEK,
    DONE,
    NOT_APPLICABLE,
    REASON_ACTION,
    REASON_BLOCK,
    VIEW_NOT_APPLICABLE,
    gate_by_hash,
    not_applicable_view,
    parse_value,
)
from bot.reminders.digests import Reminders, Settled, cadence_from
from bot.slack.poster import slack_error
from flows.draft import GateState, GateStatus

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()


def _where(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id", "")
    return str(channel), str(container.get("message_ts", ""))


def register_reminder_listeners(app: App, services: Services) -> None:
    reminders = Reminders(
        store=services.store,
        template=services.template,
        client=services.client,
        cadence=cadence_from(services.settings),
        default_tz=services.settings.reminder_default_tz,
    )
    github = services.github
    template = services.template

    def settle(user: str, value: dict[str, Any], state: GateState) -> Settled:
        label = gate_by_hash(template, str(value.get("g", "")))
        if label is None:
            return Settled(False, "That gate is no longer in the template; tick it on GitHub.")
        if github is None:
            return Settled(
                False,
                "GitHub isn't set up on this bot (GITHUB_TOKEN and GITHUB_REPOSITORY); "
                "tick it on GitHub.",
            )
        try:
            return reminders.settle(
                user, str(value.get("d", "")), label, state, IssueAccess(github.client())
            )
        except GitHubUnavailable as exc:
            log.warning("gate.settle_failed", reason=str(exc))
            return Settled(False, f"GitHub didn't take the change ({exc}); try again in a minute.")

    @app.action(re.compile(f"^{ACTION_GATE}_\\d+_\\d+$"))
    def on_gate(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        try:
            value = parse_value((action.get("selected_option") or {}).get("value", ""))
        except (ValueError, TypeError):
            log.warning(
                "action.rejected", reason="unreadable value", action_id=action.get("action_id")
            )
            return
        channel, ts = _where(body)
        window_key = str(value.get("k", ""))
        log.info("gate.clicked", user=user, draft_id=value.get("d"), choice=value.get("a"))
        if value.get("a") == DONE:
            result = settle(user, value, GateState(status=GateStatus.CHECKED))
            reminders.refresh_message(channel, ts, window_key, result.message)
        elif value.get("a") == NOT_APPLICABLE:
            label = gate_by_hash(template, str(value.get("g", "")))
            with services.store.session() as s:
                issue = s.tracked.get(str(value.get("d", "")))
            if label is None or issue is None:
                reminders.refresh_message(
                    channel, ts, window_key, "I don't follow that gate any more."
                )
                return
            metadata = {**value, "c": channel, "m": ts}
            try:
                client.views_open(
                    trigger_id=body["trigger_id"], view=not_applicable_view(issue, label, metadata)
                )
            except SlackApiError as exc:
                log.warning("slack.call_failed", method="views.open", reason=slack_error(exc))

    @app.view(VIEW_NOT_APPLICABLE)
    def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        reason = str(((values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}).get("value") or "")
        reason = " ".join(reason.split())
        if not reason:
            ack(
                response_action="errors",
                errors={REASON_BLOCK: "Say in a few words why it doesn't apply."},
            )
            return
        ack()
        try:
            metadata = parse_value(view.get("private_metadata") or "")
        except (ValueError, TypeError):
            log.warning("view.rejected", reason="unreadable private_metadata")
            return
        user = body["user"]["id"]
        result = settle(user, metadata, GateState(status=GateStatus.NOT_APPLICABLE, reason=reason))
        reminders.refresh_message(
            str(metadata.get("c", "")),
            str(metadata.get("m", "")),
            str(metadata.get("k", "")),
            result.message,
        )

    @app.action(re.compile(f"^{ACTION_MUTE}_\\d+$"))
    def on_mute(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        try:
            value = parse_value(action.get("value", ""))
        except (ValueError, TypeError):
            return
        channel, ts = _where(body)
        note = reminders.mute(body["user"]["id"], str(value.get("d", "")))
        reminders.refresh_message(channel, ts, str(value.get("k", "")), note)

    @app.action(ACTION_SNOOZE_DAY)
    @app.action(ACTION_SNOOZE_WEEK)
    def on_snooze(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        try:
            value = parse_value(action.get("value", ""))
            days = int(value.get("s", 1))
        except (ValueError, TypeError):
            return
        channel, ts = _where(body)
        window_key = str(value.get("k", ""))
        note = reminders.snooze(body["user"]["id"], window_key, days)
        reminders.refresh_message(channel, ts, window_key, note)
