"""Block Kit for the drafting conversation: questions with their buttons, the preview's
actions, the drafts list.

Every button carries the typed answer it stands for (`value` is JSON with the draft id, the
question id and the text), so a click runs exactly the path a typed message runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any, TypeGuard

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.slack.text import escape_mrkdwn
from flows.draft import Draft
from flows.questions import Flow, Question, QuestionKind

ACTION_ANSWER = "ms_answer"  # a button standing for a typed answer
ACTION_SELECT = "ms_select"  # a static select standing for a typed answer
ACTION_CHECKS = "ms_checks"  # checkboxes: toggling does nothing until "Done"
ACTION_CHECKS_DONE = "ms_checks_done"
ACTION_FILE = "ms_file"
ACTION_EDIT = "ms_edit"
ACTION_SAVE = "ms_save"
ACTION_CANCEL = "ms_cancel"
ACTION_RESUME = "ms_resume"

MAX_BUTTONS = 6  # more options than this become a select menu
SECTION_LIMIT = 3000


def action_value(draft_id: str, question_id: str | None, text: str) -> str:
    return json.dumps({"d": draft_id, "q": question_id, "t": text}, separators=(",", ":"))


def parse_action_value(value: str) -> tuple[str, str | None, str]:
    data = json.loads(value)
    return str(data["d"]), data.get("q"), str(data.get("t", ""))


def _text_sections(text: str) -> list[SectionBlock]:
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > SECTION_LIMIT:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:SECTION_LIMIT])
            line = line[SECTION_LIMIT:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_LIMIT:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current or " ")
    return [SectionBlock(text=MarkdownTextObject(text=c)) for c in chunks]


def text_blocks(text: str) -> list[dict[str, Any]]:
    """A mrkdwn message (already Slack-escaped) split into section blocks."""
    return json.loads(_text_blocks_json(text))  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def _text_blocks_json(text: str) -> str:
    # Every author at the same question is asked the same text: its blocks are built and
    # checked by slack_sdk's models once, and each message gets a fresh copy.
    return json.dumps([b.to_dict() for b in _text_sections(text)])


def question_blocks(draft: Draft, question: Question, text: str) -> list[dict[str, Any]]:
    """The prompt, then buttons or a menu for choice questions and Skip for optional ones."""
    return [*text_blocks(text), *_controls_for(question, draft.id)]


# Any id would do: the controls are built for it once, and each message puts its own in.
_ANY_DRAFT = "ms-any"


def _draft_mark(draft_id: str) -> str:
    """How an action value's draft id reads inside the controls' JSON (a JSON string in a
    JSON string)."""
    return json.dumps('"d":' + json.dumps(draft_id))[1:-1]


_ANY_MARK = _draft_mark(_ANY_DRAFT)


def _controls_for(question: Question, draft_id: str) -> list[dict[str, Any]]:
    """The question's controls, their action values naming `draft_id`: the JSON kept for
    the question with the id put in, or, if its texts happen to hold the mark, a walk."""
    text, values = _controls_json(question)
    if text.count(_ANY_MARK) == values:
        return json.loads(text.replace(_ANY_MARK, _draft_mark(draft_id)))  # type: ignore[no-any-return]
    return list(_for_draft(json.loads(text), draft_id))


@lru_cache(maxsize=512)
def _controls_json(question: Question) -> tuple[str, int]:
    """The question's controls as JSON, and how many action values they hold."""
    controls = _controls(question)
    return json.dumps(controls), _count_values(controls)


def _count_values(node: Any) -> int:
    if isinstance(node, tuple | list):
        return sum(_count_values(item) for item in node)
    if not isinstance(node, dict):
        return 0
    own = _is_action_value(node.get("value"))
    return own + sum(_count_values(item) for item in node.values())


def _is_action_value(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value.startswith('{"d":')


def _controls(question: Question) -> tuple[dict[str, Any], ...]:
    """The question's buttons, menu or checkboxes, built and checked by slack_sdk's models
    once per question of a flow (they are the same for every draft but for its id)."""
    blocks: list[Any] = []
    elements: list[Any] = []
    value = partial(action_value, _ANY_DRAFT, question.id)  # the typed text to a value
    if question.kind is QuestionKind.SINGLE_CHOICE:
        elements += _single_choice(question, value)
    elif question.kind is QuestionKind.MULTIPLE_CHOICE and len(question.options) <= 10:
        blocks.append(
            ActionsBlock(
                elements=[
                    CheckboxesElement(
                        action_id=ACTION_CHECKS,
                        options=[
                            Option(
                                text=MarkdownTextObject(text=escape_mrkdwn(opt)[:75]),
                                value=str(i),
                            )
                            for i, opt in enumerate(question.options, 1)
                        ],
                    )
                ]
            )
        )
        elements.append(
            ButtonElement(
                text=PlainTextObject(text="Done"),
                action_id=ACTION_CHECKS_DONE,
                value=value(""),
                style="primary",
            )
        )
    if not question.required:
        elements.append(
            ButtonElement(
                text=PlainTextObject(text="Skip"), action_id=ACTION_ANSWER, value=value("skip")
            )
        )
    if elements:
        blocks.append(ActionsBlock(elements=elements))
    return tuple(b.to_dict() for b in blocks)


def _single_choice(question: Question, value: Callable[[str], str]) -> list[Any]:
    """A button per option, or a menu when there are too many for buttons."""
    if len(question.options) <= MAX_BUTTONS:
        return [
            ButtonElement(
                text=PlainTextObject(text=opt[:75]),
                action_id=f"{ACTION_ANSWER}_{i}",
                value=value(str(i)),
            )
            for i, opt in enumerate(question.options, 1)
        ]
    return [
        StaticSelectElement(
            action_id=ACTION_SELECT,
            placeholder=PlainTextObject(text="Choose one"),
            options=[
                Option(text=PlainTextObject(text=opt[:75]), value=value(str(i)))
                for i, opt in enumerate(question.options, 1)
            ],
        )
    ]


def _for_draft(node: Any, draft_id: str) -> Any:
    """A copy of cached controls whose action values name `draft_id`."""
    if isinstance(node, tuple | list):
        return [_for_draft(item, draft_id) for item in node]
    if not isinstance(node, dict):
        return node
    copy = {key: _for_draft(item, draft_id) for key, item in node.items()}
    value = copy.get("value")
    if _is_action_value(value):
        _, question_id, text = parse_action_value(value)
        copy["value"] = action_value(draft_id, question_id, text)
    return copy


def answered_blocks(text: str, note: str) -> list[dict[str, Any]]:
    """A question message after it was answered by a click: the prompt and what was chosen."""
    return [
        *text_blocks(text),
        ContextBlock(elements=[MarkdownTextObject(text=note)]).to_dict(),
    ]


def preview_actions(flow: Flow, draft: Draft, *, filed: bool = False) -> list[dict[str, Any]]:
    """File issue, Edit section, Save for later, Cancel."""
    if filed:
        return []
    edit_options = [
        Option(
            text=PlainTextObject(text=q.title[:75]),
            value=action_value(draft.id, q.id, f"edit {q.title}"),
        )
        for q in flow.offered  # the sections the flow asks, as every edit list
    ][:100]
    elements: list[Any] = [
        ButtonElement(
            text=PlainTextObject(text="File issue"),
            action_id=ACTION_FILE,
            value=action_value(draft.id, None, "file"),
            style="primary",
        ),
        StaticSelectElement(
            action_id=ACTION_EDIT,
            placeholder=PlainTextObject(text="Edit section"),
            options=edit_options,
        ),
        ButtonElement(
            text=PlainTextObject(text="Save for later"),
            action_id=ACTION_SAVE,
            value=action_value(draft.id, None, "save"),
        ),
        ButtonElement(
            text=PlainTextObject(text="Cancel"),
            action_id=ACTION_CANCEL,
            value=action_value(draft.id, None, "cancel"),
            style="danger",
        ),
    ]
    return [ActionsBlock(block_id=f"preview:{draft.id}", elements=elements).to_dict()]


def drafts_list_blocks(rows: list[tuple[Draft, int, int]], command: str) -> list[dict[str, Any]]:
    """The author's drafts, each with its progress and a Resume button; `command` is the
    slash command, named when there are none."""
    if not rows:
        return text_blocks(f"You have no drafts. Start one with `{command} new <title>`.")
    blocks: list[dict[str, Any]] = text_blocks(f"*Your drafts* ({len(rows)})")
    for draft, answered, total in rows[:45]:
        title = escape_mrkdwn(draft.title or "(untitled)")
        label = f"*{title}*\n`{draft.id}` · {draft.status.value} · {answered} of {total} answered"
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=label[:SECTION_LIMIT]),
                accessory=ButtonElement(
                    text=PlainTextObject(text="Resume"),
                    action_id=ACTION_RESUME,
                    value=action_value(draft.id, None, "resume"),
                ),
            ).to_dict()
        )
    return blocks
