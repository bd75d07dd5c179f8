"""Bolt's arguments for calling a listener directly, against the Slack Web API emulator."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond

from tests.emulators.slack_api import ALICE, RELIABILITY, TEAM_ID, SlackEmulator


def respond_to(slack: SlackEmulator, user: str = ALICE, channel: str = RELIABILITY) -> Respond:
    """Bolt's `respond`, posting to a response_url the emulator serves."""
    return Respond(response_url=slack.new_response_url(channel, user))


def command(
    slack: SlackEmulator, text: str, *, user: str = ALICE, name: str = "/milestone"
) -> dict[str, Any]:
    """A slash command payload as Bolt hands it to a listener."""
    return {
        "team_id": TEAM_ID,
        "channel_id": RELIABILITY,
        "user_id": user,
        "command": name,
        "text": text,
        "trigger_id": slack.new_trigger_id(),
    }


def said(slack: SlackEmulator, user: str = ALICE, channel: str = RELIABILITY) -> list[str]:
    """What the bot said to `user` through response_url, oldest first."""
    return [
        m.text or "" for m in slack.messages(channel, viewer=user) if m.source == "response_url"
    ]
