"""Slack's App Home and shortcut deliveries, signed and sent like SlackRequests' others: the
`app_home_opened` event, a message shortcut (`message_action`), a global shortcut, a click on
a published Home, and a modal's `view_submission`. The shapes follow Slack's payloads in
../shared/payloads/slack/ (AppHomeOpenedPayload, MessageShortcutPayload,
ViewSubmissionPayload); a click or a submission is built from what the bot really published
or opened in the emulator.
"""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.harness import message_text, wait_until
from tests.emulators.slack_api import Message, SlackEmulator
from tests.emulators.slack_requests import (
    BotResponse,
    SlackRequests,
    _action,
    _find_element,
)


def _user(requests: SlackRequests, user: str) -> dict[str, Any]:
    name = requests._user_name(user)
    return {"id": user, "username": name, "name": name, "team_id": requests.team_id}


def _team(requests: SlackRequests) -> dict[str, Any]:
    return {"id": requests.team_id, "domain": requests.team_domain}


def open_home(requests: SlackRequests, slack: SlackEmulator, user: str) -> BotResponse:
    """The person opens the app's Home tab: `app_home_opened` with tab "home"."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": slack.im_channel(user),
        "tab": "home",
        "event_ts": requests.next_ts(),
    }
    published = slack.home(user)
    if published is not None:
        event["view"] = published
    response = requests.send_event(event)
    assert response.status == 200, response.body
    return response


def home_text(slack: SlackEmulator, user: str) -> str:
    """Everything the person reads on their Home tab."""
    view = slack.home(user)
    if view is None:
        return ""
    return message_text(Message("", "", "", "", "home", blocks=view["blocks"]))


def wait_home(slack: SlackEmulator, user: str, needle: str, *, absent: bool = False) -> str:
    """The Home's text once it contains `needle` (or, with `absent`, once it no longer does)."""
    return wait_until(
        lambda: (
            (needle not in home_text(slack, user)) == absent
            and slack.home(user) is not None
            and home_text(slack, user)
        ),
        what=f"the Home {'without' if absent else 'with'} {needle!r}",
    )


def home_click(
    requests: SlackRequests,
    slack: SlackEmulator,
    user: str,
    action_id: str,
    *,
    selected: str | None = None,
) -> BotResponse:
    """A click on the person's published Home: a block_actions with a view container, no
    channel and no response_url, as Slack sends from the Home tab."""
    view = slack.home(user)
    assert view is not None, "no Home published"
    found = _find_element(view["blocks"], action_id)
    if found is None:
        raise LookupError(f"no element {action_id!r} on the Home")
    block_id, element = found
    action = _action(element, block_id, None, selected, f"{requests.clock():.6f}")
    payload = {
        "type": "block_actions",
        "user": _user(requests, user),
        "api_app_id": requests.api_app_id,
        "token": requests.verification_token,
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": requests.trigger_id(),
        "team": _team(requests),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view,
        "actions": [action],
    }
    response = requests.send_interaction(payload)
    assert response.status == 200, response.body
    return response


def element_on_home(slack: SlackEmulator, user: str, action_id: str) -> dict[str, Any]:
    view = slack.home(user)
    assert view is not None
    found = _find_element(view["blocks"], action_id)
    assert found is not None, f"no {action_id} on the Home"
    return found[1]


def message_shortcut(
    requests: SlackRequests, message: Message, user: str, callback_id: str
) -> BotResponse:
    """The person picks a message shortcut on `message`: Slack's `message_action`."""
    emulator = requests.emulator
    assert emulator is not None
    payload = {
        "type": "message_action",
        "token": requests.verification_token,
        "action_ts": f"{requests.clock():.6f}",
        "team": _team(requests),
        "user": _user(requests, user),
        "channel": {"id": message.channel, "name": requests._channel_name(message.channel)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": requests.trigger_id(),
        "response_url": requests.response_url(message.channel, user),
        "message_ts": message.ts,
        "message": emulator.message_json(message),
    }
    response = requests.send_interaction(payload)
    assert response.status == 200, response.body
    return response


def global_shortcut(requests: SlackRequests, user: str, callback_id: str) -> BotResponse:
    """The person picks a global shortcut from the shortcuts menu: Slack's `shortcut`."""
    payload = {
        "type": "shortcut",
        "token": requests.verification_token,
        "action_ts": f"{requests.clock():.6f}",
        "team": _team(requests),
        "user": _user(requests, user),
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": requests.trigger_id(),
    }
    response = requests.send_interaction(payload)
    assert response.status == 200, response.body
    return response


def submit_view(
    requests: SlackRequests, view: dict[str, Any], user: str, values: dict[str, Any]
) -> BotResponse:
    """The person presses the modal's submit button: a `view_submission` with the state of
    each input; `values` maps block_id to the value typed (text) or chosen (a channel)."""
    state: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        element = block.get("element") if block.get("type") == "input" else None
        if element is None:
            continue
        kind = element["type"]
        value = values.get(block["block_id"])
        if kind == "conversations_select":
            entry = {"type": kind, "selected_conversation": value}
        else:
            entry = {"type": kind, "value": value}
        state[block["block_id"]] = {element["action_id"]: entry}
    payload = {
        "type": "view_submission",
        "team": _team(requests),
        "user": _user(requests, user),
        "api_app_id": requests.api_app_id,
        "token": requests.verification_token,
        "trigger_id": requests.trigger_id(),
        "view": {**view, "state": {"values": state}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return requests.send_interaction(payload)


def initial_values(view: dict[str, Any]) -> dict[str, Any]:
    """What the modal's inputs show when it opens, by block_id."""
    shown: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block.get("element") if block.get("type") == "input" else None
        if element is not None:
            shown[block["block_id"]] = element.get("initial_value") or element.get(
                "initial_conversation"
            )
    return shown


def opened_modal(slack: SlackEmulator, callback_id: str, count: int = 1) -> dict[str, Any]:
    """The `count`-th modal with that callback id the bot opened."""
    return wait_until(
        lambda: (
            len(found := [v for v in slack.views if v["callback_id"] == callback_id]) >= count
            and found[count - 1]
        ),
        what=f"the modal {callback_id}",
    )


def action_value(element: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(element["value"]))
