"""Slack's HTTP bodies are told apart by their shape, never by a word inside them."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from bot.runtime.slack_request import SlackHttpRequest, parse_slack_body

FORM = "application/x-www-form-urlencoded"


@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_a_slash_command_is_its_form_whatever_its_text(text: str) -> None:
    """Any text, `payload` and JSON included, leaves a slash command a slash command."""
    fields = {"command": "/milestone", "text": text, "user_id": "U1", "channel_id": "C1"}
    assert parse_slack_body(urlencode(fields), FORM) == fields


def test_an_interaction_is_its_payload_field() -> None:
    """The form's one `payload` field holds the interaction's JSON."""
    payload = {"type": "block_actions", "actions": [{"value": "payload=text&type=x"}]}
    assert parse_slack_body(urlencode({"payload": json.dumps(payload)}), FORM) == payload


def test_an_event_is_json_and_a_broken_body_is_empty() -> None:
    """Events are JSON; a signed body that cannot be read parses to nothing, not a 500."""
    event = {"type": "event_callback", "event": {"text": "payload"}}
    assert parse_slack_body(json.dumps(event), "application/json") == event
    assert parse_slack_body("payload=%7Bnot-json", FORM) == {}
    assert parse_slack_body("[1, 2]", "application/json") == {}
    assert parse_slack_body("", FORM) == {}


def test_the_request_keeps_its_raw_body_for_the_signature() -> None:
    """Bolt checks the signature over the raw body; the parsed body feeds its routing."""
    raw = urlencode({"command": "/milestone", "text": "new Validate payload size"})
    request = SlackHttpRequest(body=raw, headers={"Content-Type": FORM})
    assert request.raw_body == raw
    assert request.body["text"] == "new Validate payload size"
    copy = request.to_copyable()
    assert isinstance(copy, SlackHttpRequest) and copy.body == request.body
