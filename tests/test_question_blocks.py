"""A question's controls are built once per question and carry each draft's own id."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.slack.blocks import parse_action_value, question_blocks
from flows.draft import Draft
from flows.questions import build_flow
from flows.template import load_template

FLOW = build_flow(load_template(None), ask_assignee=True)


def _values(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("value"), str) and node["value"].startswith("{"):
                found.append(node["value"])
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return found


def test_every_control_names_the_draft_it_was_posted_for() -> None:
    """Two drafts at the same question get the same controls, each with its own draft id."""
    for question in FLOW.questions:
        for draft_id in ("ms-first1", "ms-second"):
            blocks = question_blocks(Draft(id=draft_id, author="U1"), question, "Asked")
            for value in _values(blocks):
                named, question_id, _ = parse_action_value(value)
                assert (named, question_id) == (draft_id, question.id)


def test_changing_a_posted_message_leaves_the_next_one_alone() -> None:
    """The blocks handed out are a copy: editing them (as a click's update does) changes no
    later message."""
    question = next(q for q in FLOW.questions if not q.required)
    first = question_blocks(Draft(id="ms-first1", author="U1"), question, "Asked")
    first[-1]["elements"].clear()
    first[0]["text"]["text"] = "Changed"
    again = question_blocks(Draft(id="ms-first1", author="U1"), question, "Asked")
    assert again[-1]["elements"], "the cached controls were changed through a copy"
    assert again[0]["text"]["text"] == "Asked", "the cached text was changed through a copy"


def test_an_option_that_reads_like_an_action_value_stays_as_written() -> None:
    """Each draft's id is put into the controls' JSON where the kept controls name any
    draft; a template option holding that very text is left as written, ids still right."""
    milestone = FLOW.question("milestone")
    sly = '{"d":"ms-any","q":null}'
    question = dataclasses.replace(milestone, options=(*milestone.options[:2], sly))
    blocks = question_blocks(Draft(id="ms-first1", author="U1"), question, "Asked")
    assert sly in [element["text"]["text"] for element in blocks[-1]["elements"]]
    for value in _values(blocks):
        named, question_id, _ = parse_action_value(value)
        assert (named, question_id) == ("ms-first1", "milestone")
