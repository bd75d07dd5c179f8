"""The digest's control listeners called directly, as Bolt calls them, with the services
`serve` builds: the Slack and GitHub emulators answer, nothing is mocked."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from bot.app import build_services
from bot.listeners.actions import gate_chosen, mute_clicked, snooze_clicked
from bot.listeners.services import Services
from bot.reminders.blocks import ACTION_SNOOZE_DAY
from tests.e2e.harness import message_text
from tests.emulators.slack_api import ALICE, BOB, TEAM_ID, Message
from tests.reminders.harness import REPO, World, gate_action

UNIT = "Added/updated unit tests for new behavior."


def _services(world: World) -> Services:
    return build_services(world.settings, store=world.store, client=world.client)


def _body(world: World, digest: Message, user: str = ALICE) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": user},
        "channel": {"id": world.dm()},
        "container": {"channel_id": world.dm(), "message_ts": digest.ts},
        "trigger_id": world.slack.new_trigger_id(),
    }


def _button(digest: Message, action_id: str) -> dict[str, Any]:
    """The button element with `action_id` in the digest, as Bolt hands it over."""
    for block in digest.blocks or []:
        for element in [block.get("accessory") or {}, *block.get("elements", [])]:
            if str(element.get("action_id", "")).startswith(action_id):
                return {**element, "action_ts": "1700002000.000001"}
    raise LookupError(action_id)


def _first_digest(world: World) -> Message:
    world.sweep("2026-12-02T18:05")
    [digest] = world.digests()
    return digest


def test_done_ticks_the_box_on_github_and_rewrites_the_digest(world: World) -> None:
    """Done, called with Bolt's arguments, edits the issue and says so in the digest."""
    filed = world.file(at=world.clock.now)
    digest = _first_digest(world)
    action_id = gate_action(digest, UNIT)
    [done] = [
        o
        for block in digest.blocks or []
        if (block.get("accessory") or {}).get("action_id") == action_id
        for o in block["accessory"]["options"]
        if o["text"]["text"] == "Done"
    ]
    ack = Ack()
    action = {"action_id": action_id, "selected_option": done}
    gate_chosen(ack, _body(world, digest), action, world.client, services=_services(world))
    assert ack.response is not None and ack.response.status == 200
    assert f"- [x] {UNIT}" in (world.gh.issue(REPO, filed.number).body or "")
    assert f"Ticked “{UNIT}”" in message_text(world.slack.message(world.dm(), digest.ts))


def test_mute_by_someone_else_changes_nothing(world: World) -> None:
    """Bob's Mute on Alice's digest is refused in the digest and the issue stays followed."""
    filed = world.file(at=world.clock.now)
    digest = _first_digest(world)
    mute = _button(digest, "ms_mute")
    mute_clicked(Ack(), _body(world, digest, user=BOB), mute, services=_services(world))
    assert not world.tracked(filed.draft_id).muted
    shown = message_text(world.slack.message(world.dm(), digest.ts))
    assert f"Only <@{ALICE}> can mute" in shown


def test_mute_says_how_to_see_the_issue_with_the_configured_command(world: World) -> None:
    """Mute silences the issue and names the renamed command's status subcommand."""
    world.overrides["slack_command"] = "/reliability"
    filed = world.file(at=world.clock.now)
    digest = _first_digest(world)
    mute = _button(digest, "ms_mute")
    mute_clicked(Ack(), _body(world, digest), mute, services=_services(world))
    assert world.tracked(filed.draft_id).muted
    shown = message_text(world.slack.message(world.dm(), digest.ts))
    assert "`/reliability status` still lists it" in shown


def test_snooze_with_an_unreadable_value_is_acked_and_ignored(world: World) -> None:
    """A Snooze whose value isn't ours is acknowledged and changes nothing."""
    world.file(at=world.clock.now)
    digest = _first_digest(world)
    before = message_text(world.slack.message(world.dm(), digest.ts))
    ack = Ack()
    action = {"action_id": ACTION_SNOOZE_DAY, "value": json.dumps(["not", "ours"])}
    snooze_clicked(ack, _body(world, digest), action, services=_services(world))
    assert ack.response is not None and ack.response.status == 200
    assert message_text(world.slack.message(world.dm(), digest.ts)) == before
