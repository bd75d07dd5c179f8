"""Bolt listeners: thin translations from Slack's payloads to the conversation service.

Every subscribed event has a listener (an unmatched event gets a 404, which Slack retries).
Bolt acks events before running listeners, so a retried event runs a listener again:
deduplication happens in the store, inside the same transaction as the answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.listeners.reminder_listeners import register_reminder_listeners
from bot.log import get_logger
from bot.reminders.status import status_reply
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

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()

# Messages that are someone typing in the thread; every other subtype (joins, bot posts,
# topic changes) is not an answer.
ANSWER_SUBTYPES = {None, "", "file_share", "thread_broadcast"}


def help_text(command: str) -> str:
    return "\n".join(
        [
            f"*{command}* drafts a Reliability Milestone issue with you, one section at a time, "
            "in a thread.",
            f"• `{command} new [title]` start a draft (plain `{command}` does too)",
            f"• `{command} drafts` your drafts, with Resume buttons",
            f"• `{command} resume ID` pick a draft up where you left it",
            f"• `{command} cancel ID` cancel a draft (resume brings it back)",
            f"• `{command} status` your filed issues and the gates still left on them",
            f"• `{command} github-login NAME` the GitHub login your issues are assigned to",
            f"• `{command} help` this message",
            "In the thread, answer each question with one message. You can also type `back`, "
            "`skip`, `preview`, `edit <section>`, `file`, `cancel` or `help`.",
        ]
    )


def register_listeners(app: App, services: Services) -> None:
    conv = services.conversations
    command_name = services.settings.slack_command

    @app.command(command_name)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        text = (command.get("text") or "").strip()
        word, _, rest = text.partition(" ")
        word = word.lower()
        rest = rest.strip()
        origin = Origin(
            team=command.get("team_id", ""),
            user=command["user_id"],
            channel=command["channel_id"],
            correlation_id=command.get("trigger_id", ""),
        )
        log.info(
            "command.received",
            subcommand=word or "new",
            user=origin.user,
            channel=origin.channel,
            team=origin.team,
            correlation_id=origin.correlation_id,
        )
        if word in ("", "new"):
            conv.start(origin, rest, respond)
        elif word == "drafts":
            respond(
                blocks=conv.drafts_blocks(origin.user),
                text="Your drafts",
                response_type="ephemeral",
            )
        elif word == "resume" and rest:
            conv.resume(origin, rest, respond)
        elif word == "cancel" and rest:
            conv.cancel(origin, rest, respond)
        elif word == "github-login":
            link_login = getattr(conv, "link_login", None)
            if link_login is None:
                respond(
                    text="This bot doesn't file on GitHub, so there's no login to link.",
                    response_type="ephemeral",
                )
            else:
                link_login(origin, rest, respond)
        elif word == "status":
            text, blocks = status_reply(
                services.store, services.template, origin.user, services.settings.github_repository
            )
            respond(text=text, blocks=blocks, response_type="ephemeral")
        elif word in ("resume", "cancel"):
            respond(
                text=(
                    f"Which draft? `{command_name} {word} ID` (`{command_name} drafts` lists them)."
                ),
                response_type="ephemeral",
            )
        else:
            lead = (
                ""
                if word == "help"
                else (
                    f"I don't know `{word}`. To start a draft with that title: "
                    f"`{command_name} new {text}`\n\n"
                )
            )
            respond(text=lead + help_text(command_name), response_type="ephemeral")

    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        subtype = event.get("subtype")
        origin = Origin(
            team=body.get("team_id", ""),
            user=event.get("user") or (event.get("message") or {}).get("user") or "",
            channel=event.get("channel", ""),
            correlation_id=body.get("event_id", ""),
        )
        if subtype == "message_changed":
            conv.edited(origin, event)
        elif subtype in ANSWER_SUBTYPES and not event.get("bot_id") and origin.user:
            conv.message(origin, event)
        # message_deleted changes nothing; other subtypes are not answers.

    @app.event("app_uninstalled")
    @app.event("tokens_revoked")
    def on_uninstalled(event: dict[str, Any], body: dict[str, Any]) -> None:
        log.warning("slack.uninstalled", event_type=event.get("type"), team=body.get("team_id"))

    @app.action(ACTION_CHECKS)
    def on_checkbox_toggle(ack: Ack) -> None:
        # Toggling a box only changes the form; "Done" submits it.
        ack()

    @app.action(
        re.compile(
            f"^({ACTION_ANSWER}(_\\d+)?|{ACTION_SELECT}|{ACTION_CHECKS_DONE}|"
            f"{ACTION_FILE}|{ACTION_EDIT}|{ACTION_SAVE}|{ACTION_CANCEL}|{ACTION_RESUME})$"
        )
    )
    def on_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        container = body.get("container") or {}
        origin = Origin(
            team=(body.get("team") or {}).get("id", ""),
            user=body["user"]["id"],
            channel=(body.get("channel") or {}).get("id") or container.get("channel_id", ""),
            correlation_id=f"action:{action.get('action_ts', '')}:{action.get('action_id')}",
        )
        action_id = action["action_id"]
        if action_id in (ACTION_SELECT, ACTION_EDIT):
            option = action.get("selected_option") or {}
            value = option.get("value", "")
            echo = (option.get("text") or {}).get("text", "")
        else:
            value = action.get("value", "")
            echo = (action.get("text") or {}).get("text", "")
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
        if action_id == ACTION_RESUME:
            conv.resume(origin, draft_id, respond)
        elif action_id == ACTION_SAVE:
            respond(
                text=f"Saved. `{command_name} resume {draft_id}` picks it up when you're ready.",
                response_type="ephemeral",
                replace_original=False,
            )
        elif action_id == ACTION_CHECKS_DONE:
            picked = _checked_options(body)
            typed = " ".join(v for v, _ in picked) if picked else "none"
            echo = ", ".join(t for _, t in picked) if picked else "none"
            conv.clicked(origin, draft_id, question_id, typed, container.get("message_ts"), echo)
        elif action_id in (ACTION_FILE, ACTION_EDIT, ACTION_CANCEL):
            conv.clicked(origin, draft_id, None, typed, None, echo)
        else:
            conv.clicked(origin, draft_id, question_id, typed, container.get("message_ts"), echo)

    register_reminder_listeners(app, services)


def _checked_options(body: dict[str, Any]) -> list[tuple[str, str]]:
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
