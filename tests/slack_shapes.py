"""Slack events built from Slack's own payload shapes (tests/fixtures/payloads/slack).

The fixtures are the Java SDK's samples: every field, placeholder values. `shaped_event`
keeps every field of the shape and fills in real-looking values, as Slack's docs show them.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "fixtures" / "payloads" / "slack"
# Fields of the samples that a person's own message does not carry.
NOT_A_PERSONS = ("bot_id", "bot_profile", "app_id", "username", "client_msg_id", "root")


@cache
def _shape(name: str) -> dict[str, Any]:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))["event"]


def rich_text(*elements: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text", "block_id": "rT1x", "elements": list(elements)}


def section(*inline: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(inline)}


def text(value: str, **style: bool) -> dict[str, Any]:
    return {"type": "text", "text": value, **({"style": style} if style else {})}


def shaped_event(name: str, wire_text: str = "", **values: Any) -> dict[str, Any]:
    """The payload's event, every field of its shape kept, filled with `values`."""
    event = copy.deepcopy(_shape(name))
    for key in NOT_A_PERSONS:
        event.pop(key, None)
    if event.get("subtype") == "":
        event.pop("subtype")
    event.update(
        {
            "text": wire_text,
            # What Slack's client attaches to a typed message.
            "blocks": [rich_text(section(text(wire_text)))] if wire_text else [],
        }
    )
    event.update(values)
    return event
