"""Property tests: any draft renders to a body that reads back as that draft (each answer's
Markdown source exactly), and no author text, however hostile, adds structure to the issue."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from mdit_py_plugins.tasklists import tasklists_plugin
from pydantic import ValidationError

from flows.draft import Draft, DraftStatus, FlowState, GateState, GateStatus, diff
from flows.gate_edit import set_gate
from flows.parse import gate_boxes, parse_issue, unchecked_gates
from flows.render import body_length_bound, render_body
from tests.test_render import TEMPLATE, template_file_structure

# Pieces of Markdown and Unicode an author might paste, on purpose or not: structure that
# must stay text, inline Markdown that must render, and escapes that must not combine.
FRAGMENTS = [
    "## Test Gates (Required)",
    "### Unit tests",
    "- [x] Protective exits remain unblocked.",
    "- [ ] Existing related unit suites pass.",
    "[x] ",
    "[ ] ",
    "[X]",
    "<!-- milestone-draft: forged -->",
    "<!--",
    "-->",
    "<details>",
    "</b>",
    "<https://example.com>",
    "https://example.com/a?b=1&c=2",
    "```",
    "````bash",
    "~~~",
    "`",
    "``",
    "`code`",
    "``a`b``",
    "\\",
    "\\\\",
    "\\<",
    "\\&",
    "\\`",
    "\\*",
    "\\$",
    "**bold**",
    "*it*",
    "_it_",
    "__",
    "~~x~~",
    "~x~",
    "[a](b)",
    "[label](https://x)",
    "![img](y.png)",
    "[x]: /url",
    "[^1]: ",
    "]:",
    "[",
    "]",
    "_None_",
    "*None*",
    "None",
    "1. ",
    "1) ",
    "10.",
    "- ",
    "-",
    "* ",
    "+ ",
    "# ",
    "#",
    "#12",
    "@alice",
    "> ",
    "> [!NOTE]",
    "| a | b |",
    "|---|",
    ":-:",
    "---",
    "--",
    "===",
    "***",
    "_ _ _",
    "    ",
    "\t",
    "&amp;",
    "&#10;",
    "&#38;",
    "&#x41;",
    "&copy;",
    "&",
    "<",
    ">",
    "|",
    "$",
    "$$",
    "$x$",
    " — N/A: ",
    "N/A",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u2067",
    "\u05e9\u05dc\u05d5\u05dd",
    "\u00a0",
    "\u2028",
    "\u3000",
    "é",
    "日本語",
    "🚀",
    " ",
]

# Answers may hold anything but surrogates (control characters included: they are written
# as references). Commands sit in a code block, which cannot carry control characters.
_CHARS = st.characters(blacklist_categories=("Cs",))
_COMMAND_CHARS = st.characters(blacklist_categories=("Cs", "Cc"))
_LINE_BREAKS = st.sampled_from(["\n", "\r", "\r\n"])


def _text(*, breaks: bool, chars: st.SearchStrategy[str] = _CHARS) -> st.SearchStrategy[str]:
    parts = [st.sampled_from(FRAGMENTS), st.text(chars, max_size=8)]
    if breaks:
        parts.append(_LINE_BREAKS)
    # A fragment alone (a whole line of "```" or "- [x] ...") is the sharpest case: draw it
    # often rather than hoping a random concatenation lands on it.
    return st.one_of(
        st.sampled_from(FRAGMENTS), st.lists(st.one_of(*parts), max_size=6).map("".join)
    )


# What the flow lets through: list items are one non-blank line; a command is one non-blank
# line; the problem statement is one paragraph (no blank line).
line_item = _text(breaks=False).filter(lambda s: s.strip() != "")
paragraph = _text(breaks=True).filter(lambda s: "\n\n" not in s.replace("\r", "\n"))
items = st.lists(line_item, max_size=4).map(tuple)
command = _text(breaks=False, chars=_COMMAND_CHARS).filter(
    lambda s: s.strip() != "" and not any(c in s for c in "\r\n\x85")
)
commands = st.lists(command, max_size=4).map(tuple)
draft_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)


def _gates(reasons: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, GateState]]:
    state = st.one_of(
        st.just(GateState()),
        st.just(GateState(status=GateStatus.CHECKED)),
        reasons.map(lambda r: GateState(status=GateStatus.NOT_APPLICABLE, reason=r)),
    )
    return st.dictionaries(st.sampled_from(TEMPLATE.gate_labels), state)


def _invariants() -> st.SearchStrategy[tuple[str, ...]]:
    labels = TEMPLATE.invariant_labels
    return st.sets(st.sampled_from(labels)).map(lambda s: tuple(x for x in labels if x in s))


@st.composite
def drafts(
    draw: st.DrawFn,
    text: st.SearchStrategy[str],
    para: st.SearchStrategy[str],
    lists: st.SearchStrategy[tuple[str, ...]],
    commands: st.SearchStrategy[tuple[str, ...]],
) -> Draft:
    """A draft whose every answer is drawn from the given strategies."""
    return Draft(
        id=draw(draft_ids),
        title=draw(line_item),
        roadmap_reference=draw(text),
        target_milestone=draw(text),
        risk_objective=draw(text),
        problem_statement=draw(para),
        invariants=draw(_invariants()),
        additional_invariants=draw(lists),
        in_scope=draw(lists),
        out_of_scope=draw(lists),
        file_touch_plan=draw(lists),
        implementation_plan=draw(lists),
        test_commands=draw(commands),
        adversarial_scenarios=draw(lists),
        telemetry_events=draw(lists),
        docs_touched=draw(lists),
        notes=draw(lists),
        gates=draw(_gates(text)),
    )


flow_drafts = drafts(_text(breaks=False), paragraph, items, commands)
any_text = _text(breaks=True)
# Arbitrary text, control characters and blank lines included: structure is checked with
# these, and every answer but the commands must still read back.
wild_text = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), max_size=4).map("\n".join),
    st.lists(
        st.one_of(st.sampled_from(FRAGMENTS), _LINE_BREAKS, st.text(max_size=8)), max_size=6
    ).map("".join),
)
wild_drafts = drafts(
    wild_text,
    wild_text,
    st.lists(wild_text, max_size=4).map(tuple),
    st.lists(wild_text, max_size=4).map(tuple),
)


_LINE_END = re.compile(r"\r\n|\r|\n")  # the line endings Markdown knows


def _assert_reads_back(draft: Draft, body: str) -> None:
    parsed = parse_issue(TEMPLATE, body)
    assert parsed.draft_id == draft.id
    for name, value in parsed.fields.items():
        if name != "gates":
            assert value == getattr(draft, name), name
    assert parsed.gates == {label: draft.gate(label) for label in TEMPLATE.gate_labels}


@settings(max_examples=300, deadline=None)
@given(flow_drafts)
def test_every_answer_and_gate_reads_back(draft: Draft) -> None:
    """Parsing the rendered body gives back every answer, gate state and the draft id."""
    body = render_body(TEMPLATE, draft)
    _assert_reads_back(draft, body)
    _assert_reads_back(draft, body.replace("\n", "\r\n"))


@settings(max_examples=200, deadline=None)
@given(
    drafts(
        any_text,
        any_text,
        st.lists(any_text.filter(bool), max_size=4).map(tuple),
        commands,
    )
)
def test_multi_line_answers_read_back_too(draft: Draft) -> None:
    """Even answers the flow would refuse (line breaks in items, blank lines) read back."""
    _assert_reads_back(draft, render_body(TEMPLATE, draft))


def _structure(body: str) -> dict[str, Any]:
    """What a GitHub-like parser (CommonMark, tables, strikethrough, task lists) finds."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(tasklists_plugin)
    headings: list[tuple[int, str]] = []
    boxes = 0
    html_blocks: list[str] = []
    html_inline = 0
    tokens = md.parse(body)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            headings.append((int(tok.tag[1]), tokens[i + 1].content.strip()))
        elif tok.type == "html_block":
            html_blocks.append(tok.content)
        elif tok.type == "inline":
            for child in tok.children or []:
                if child.type == "html_inline":
                    if "task-list-item-checkbox" in child.content:
                        boxes += 1
                    else:
                        html_inline += 1
    types = [t.type for t in tokens]
    return {
        "headings": headings,
        "boxes": boxes,
        "html_blocks": html_blocks,
        "html_inline": html_inline,
        "fences": [t.info for t in tokens if t.type in ("fence", "code_block")],
        "list_items": types.count("list_item_open"),
        "other_blocks": sorted(
            {t for t in types if t in ("table_open", "blockquote_open", "hr", "code_block")}
        ),
    }


def _list_answers(draft: Draft) -> list[tuple[str, ...]]:
    return [
        draft.additional_invariants,
        draft.in_scope,
        draft.out_of_scope,
        draft.file_touch_plan,
        draft.implementation_plan,
        draft.adversarial_scenarios,
        draft.telemetry_events,
        draft.docs_touched,
        draft.notes,
    ]


@settings(max_examples=300, deadline=None)
@given(wild_drafts)
def test_no_answer_forges_structure(draft: Draft) -> None:
    """Any text yields exactly the template's headings, boxes and items, one code block and
    one marker, no HTML, table or quote, and reads back (but for its commands)."""
    body = render_body(TEMPLATE, draft)
    found = _structure(body)
    file_headings, file_labels = template_file_structure()
    assert found["headings"] == file_headings
    assert found["boxes"] == len(file_labels)
    assert found["html_blocks"] == [f"<!-- milestone-draft: {draft.id} -->"]
    assert found["html_inline"] == 0
    assert found["fences"] == ["bash"]
    assert found["other_blocks"] == []
    context_items = 3
    lists = _list_answers(draft)
    expected_items = context_items + len(file_labels) + sum(max(1, len(x)) for x in lists)
    assert found["list_items"] == expected_items
    # Counted again the way the bot reads a body: one marker, every gate box, and no more.
    parsed = parse_issue(TEMPLATE, body)
    assert parsed.draft_id == draft.id
    assert len(gate_boxes(TEMPLATE, body)) == len(TEMPLATE.gate_labels)
    assert len(unchecked_gates(TEMPLATE, body)) == sum(
        not draft.gate(label).settled for label in TEMPLATE.gate_labels
    )
    for name, value in parsed.fields.items():
        if name not in ("gates", "test_commands"):
            expected = getattr(draft, name)
            if isinstance(expected, tuple):
                # An empty item (never stored by the flow) is an empty bullet: no answer.
                expected = tuple(x for x in expected if x)
            assert value == expected, name
    assert parsed.gates == {label: draft.gate(label) for label in TEMPLATE.gate_labels}


@settings(max_examples=150, deadline=None)
@given(flow_drafts, st.sampled_from(TEMPLATE.gate_labels), any_text, st.booleans())
def test_setting_a_gate_changes_only_that_gate(
    draft: Draft, label: str, reason: str, not_applicable: bool
) -> None:
    """Setting one unsettled gate settles it and leaves every other answer and gate alone."""
    body = render_body(TEMPLATE, draft)
    state = (
        GateState(status=GateStatus.NOT_APPLICABLE, reason=reason)
        if not_applicable
        else GateState(status=GateStatus.CHECKED)
    )
    after = set_gate(TEMPLATE, body, label, state)
    expected = dict(draft.gates)
    if not draft.gate(label).settled:
        expected[label] = state
    else:
        assert after is body
    _assert_reads_back(draft.model_copy(update={"gates": expected}), after)
    assert len(_LINE_END.split(after)) == len(_LINE_END.split(body))


# The characters the escaping grows most, and little else: edge whitespace written as
# `&#12288;`, control characters, backslashes before references, backtick runs a command's
# fence must outgrow, and what opens blocks at a line's start.
_COSTLY = st.lists(
    st.sampled_from(
        [
            *("\u3000", "\u205f", "\x85", "\x01", "\r", "\n", "`", "\\", "<", "&", "|", "$"),
            *("#", "-", "*", " ", "\t", "_", "&#1;", "1."),
        ]
    ),
    max_size=40,
).map("".join)
costly_drafts = drafts(
    _COSTLY,
    _COSTLY,
    st.lists(_COSTLY, max_size=4).map(tuple),
    st.lists(_COSTLY, max_size=4).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(wild_drafts, costly_drafts, flow_drafts))
def test_the_length_bound_is_never_below_the_body(draft: Draft) -> None:
    """The bound the engine checks instead of rendering is at least the body's length."""
    assert len(render_body(TEMPLATE, draft)) <= body_length_bound(TEMPLATE, draft)


def _json_diff(before: Draft, after: Draft) -> dict[str, Any]:
    """What a journal row held before `diff` compared values: both drafts as JSON."""
    a, b = before.model_dump(mode="json"), after.model_dump(mode="json")
    return {k: v for k, v in b.items() if a.get(k) != v}


_REPLACEMENTS = st.fixed_dictionaries(
    {},
    optional={
        "title": line_item,
        "problem_statement": paragraph,
        "in_scope": items,
        "test_commands": commands,
        "invariants": _invariants(),
        "gates": _gates(any_text),
        "repository": st.sampled_from(["", "octo/payments"]),
        "template_sha": st.sampled_from(["", "0" * 40]),
        "status": st.sampled_from(list(DraftStatus)),
        "flow": st.builds(
            FlowState,
            step=st.sampled_from([None, "title", "scope"]),
            answered=st.lists(st.sampled_from(["title", "scope"]), unique=True).map(tuple),
        ),
        "updated_at": st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=1))])),
        "issue_number": st.one_of(st.none(), st.integers(1, 10**6)),
    },
)


@settings(max_examples=300, deadline=None)
@given(flow_drafts, _REPLACEMENTS, _REPLACEMENTS)
def test_a_journal_diff_is_the_json_difference(
    draft: Draft, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """The journal's diff is what comparing both drafts as JSON gives, whatever changed
    (gates, the same instant in two zones), plus the fields the JSON leaves out once emptied:
    replayed on the stored draft, it gives the new one."""
    before = draft.model_copy(update=first)
    after = before.model_copy(update=second)
    emptied = {
        name: ""
        for name in ("repository", "template_sha")
        if getattr(before, name) and not getattr(after, name)
    }
    expected = {**_json_diff(before, after), **emptied}
    assert diff(before, after) == expected
    assert list(diff(before, after)) == list(expected)
    # Replaying the change on the stored draft gives the new one, an emptied field too.
    assert Draft.model_validate({**before.model_dump(mode="json"), **diff(before, after)}) == after


def test_the_same_instant_in_another_zone_is_a_change() -> None:
    """Equal as values, different as JSON: the journal records what the row will hold."""
    noon = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    before = Draft(id="ms-zone", updated_at=noon)
    after = before.model_copy(update={"updated_at": noon.astimezone(timezone(timedelta(hours=1)))})
    assert (
        diff(before, after)
        == _json_diff(before, after)
        == {"updated_at": "2026-12-05T13:00:00+01:00"}
    )


@settings(max_examples=300, deadline=None)
@given(flow_drafts, _REPLACEMENTS, _REPLACEMENTS)
def test_changes_apply_as_validating_the_whole_draft_would(
    draft: Draft, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """`with_changes` validates only the changed fields; what it gives is what validating the
    whole draft with them gives, value for value and byte for byte once stored."""
    before = draft.model_copy(update=first)
    changes = diff(before, before.model_copy(update=second))
    whole = Draft.model_validate({**before.model_dump(mode="json"), **changes})
    changed = before.with_changes(changes)
    assert changed == whole
    assert changed.model_dump_json() == whole.model_dump_json()


def test_a_change_the_draft_cannot_hold_is_refused_naming_its_field() -> None:
    """A bad value (a corrupt journal row) is refused as validating the whole draft refuses
    it, and keys that are not fields are ignored as that ignores them."""
    draft = Draft(id="ms-bad")
    with pytest.raises(ValidationError) as refused:
        draft.with_changes({"title": "kept", "issue_number": "twelve"})
    assert [error["loc"] for error in refused.value.errors()] == [("issue_number",)]
    assert draft.with_changes({"title": "kept", "no_such_field": 1}) == Draft(
        id="ms-bad", title="kept"
    )
