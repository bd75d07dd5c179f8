"""The Slack emulator's views: views.open, views.update and views.publish with Slack's limits,
and trigger_ids that expire and are taken once, through the real slack_sdk WebClient."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.emulators.slack_api import ALICE, BOB, BOT_USER_ID, SlackEmulator


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.url)


def modal(title: str = "New milestone", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Start"},
        "blocks": [
            {
                "type": "input",
                "block_id": "title",
                "label": {"type": "plain_text", "text": "Title"},
                "element": {"type": "plain_text_input", "action_id": "title_input"},
            }
        ],
        **extra,
    }


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as caught:
        call()
    return dict(caught.value.response.data)


def test_a_trigger_opens_one_modal_once(slack: SlackEmulator, client: WebClient) -> None:
    """A trigger_id is exchanged once; a second views.open with it is exchanged_trigger_id."""
    trigger = slack.new_trigger_id()
    opened = client.views_open(trigger_id=trigger, view=modal())["view"]
    assert opened["type"] == "modal" and slack.view(opened["id"])["callback_id"] == ""
    again = error_of(lambda: client.views_open(trigger_id=trigger, view=modal()))
    assert again["error"] == "exchanged_trigger_id"
    assert error_of(lambda: client.views_open(trigger_id="nope", view=modal()))["error"] == (
        "invalid_trigger_id"
    )


def test_a_trigger_expires_after_slacks_three_seconds(
    slack: SlackEmulator, client: WebClient
) -> None:
    """A trigger older than its lifetime is expired_trigger_id and opens nothing."""
    slack.trigger_ttl = 0.0
    trigger = slack.new_trigger_id()
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal()))["error"] == (
        "expired_trigger_id"
    )
    assert slack.views == []


def test_a_modal_title_over_24_characters_is_refused(
    slack: SlackEmulator, client: WebClient
) -> None:
    """Slack's 24-character limit on a modal's title: invalid_arguments with a json-pointer."""
    refused = error_of(
        lambda: client.views_open(trigger_id=slack.new_trigger_id(), view=modal("x" * 25))
    )
    assert refused["error"] == "invalid_arguments"
    assert "/view/title/text" in refused["response_metadata"]["messages"][0]
    no_submit = {k: v for k, v in modal().items() if k != "submit"}
    refused = error_of(lambda: client.views_open(trigger_id=slack.new_trigger_id(), view=no_submit))
    assert "/view/submit" in refused["response_metadata"]["messages"][0]


def test_a_home_takes_100_blocks_and_no_more(slack: SlackEmulator, client: WebClient) -> None:
    """views.publish takes a Home of 100 blocks, refuses 101 and a 3,001-character text."""
    home = {"type": "home", "blocks": [section(f"line {i}") for i in range(100)]}
    published = client.views_publish(user_id=ALICE, view=home)["view"]
    assert slack.home(ALICE)["id"] == published["id"] and slack.home(BOB) is None
    too_many = {"type": "home", "blocks": [section("x")] * 101}
    refused = error_of(lambda: client.views_publish(user_id=ALICE, view=too_many))
    assert refused["error"] == "invalid_arguments"
    assert "no more than 100 items" in refused["response_metadata"]["messages"][0]
    too_long = {"type": "home", "blocks": [section("x" * 3001)]}
    refused = error_of(lambda: client.views_publish(user_id=ALICE, view=too_long))
    assert "/view/blocks/0/text/text" in refused["response_metadata"]["messages"][0]
    assert len(slack.home(ALICE)["blocks"]) == 100  # the refused ones changed nothing


def test_publish_refuses_a_modal_a_bot_and_a_stale_hash(
    slack: SlackEmulator, client: WebClient
) -> None:
    """A modal can't be a Home, a bot has no Home, and an old hash is a hash_conflict."""
    assert error_of(lambda: client.views_publish(user_id=ALICE, view=modal()))["error"] == (
        "invalid_arguments"
    )
    home = {"type": "home", "blocks": [section("hello")]}
    assert error_of(lambda: client.views_publish(user_id=BOT_USER_ID, view=home))["error"] == (
        "invalid_arguments"
    )
    first = client.views_publish(user_id=ALICE, view=home)["view"]
    client.views_publish(user_id=ALICE, view=home, hash=first["hash"])
    stale = error_of(lambda: client.views_publish(user_id=ALICE, view=home, hash=first["hash"]))
    assert stale["error"] == "hash_conflict"
    slack.home_tab_enabled = False
    assert (
        error_of(lambda: client.views_publish(user_id=ALICE, view=home))["error"] == "not_enabled"
    )


def test_update_replaces_an_open_modal(slack: SlackEmulator, client: WebClient) -> None:
    """views.update changes the modal in place; an unknown id is not_found."""
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=modal())["view"]
    updated = client.views_update(view_id=opened["id"], view=modal("Started"))["view"]
    assert updated["id"] == opened["id"]
    assert slack.view(opened["id"])["title"]["text"] == "Started"
    assert error_of(lambda: client.views_update(view_id="V0NOPE", view=modal()))["error"] == (
        "not_found"
    )
