"""The `edit` list is the same everywhere: only the sections the flow asks are offered."""

from __future__ import annotations

from bot.slack.blocks import preview_actions
from flows.draft import Draft
from flows.engine import advance, start
from flows.questions import build_flow
from flows.template import load_template

FLOW = build_flow(load_template())


def _menu_titles() -> list[str]:
    actions = preview_actions(FLOW, Draft(id="ms-abc123"))
    menu = next(
        element
        for block in actions
        for element in block.get("elements", [])
        if element.get("type") == "static_select"
    )
    return [option["text"]["text"] for option in menu["options"]]


def test_slacks_edit_menu_offers_the_asked_sections_only() -> None:
    """The preview's Edit section menu lists every asked section and never the roadmap."""
    assert _menu_titles() == [q.title for q in FLOW.questions]
    assert "Roadmap reference" not in _menu_titles()


def test_the_typed_edit_refusal_lists_the_same_sections() -> None:
    """A typed `edit` of an unknown section lists exactly the menu's sections."""
    draft = start(FLOW, Draft(id="ms-abc123")).draft
    text = advance(FLOW, draft, "edit nothing-like-it").replies[0].text
    listed = text.split("Sections: ", 1)[1].split(".")[0].split(", ")
    assert listed == _menu_titles()
