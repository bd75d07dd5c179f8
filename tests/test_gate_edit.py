"""Settling one gate box in an issue body without touching anything else."""

from __future__ import annotations

import difflib

import pytest

from flows.draft import GateState, GateStatus
from flows.gate_edit import set_gate
from flows.parse import parse_issue
from tests.test_parse import UNIT_1, UNIT_2, _unit_tests
from tests.test_render import FULL_BODY, TEMPLATE

CHECKED = GateState(status=GateStatus.CHECKED)
SCENARIO = "Scenario validates invariant outcomes, not only happy-path outputs."
DASHBOARD = "Dashboard/alert impact reviewed."


def _na(reason: str) -> GateState:
    return GateState(status=GateStatus.NOT_APPLICABLE, reason=reason)


def _changed_lines(before: str, after: str) -> list[str]:
    """The lines that differ, as a unified diff without its header."""
    diff = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_done_ticks_only_that_box() -> None:
    """Ticking a gate changes its one line from `[ ]` to `[x]` and nothing else."""
    after = set_gate(TEMPLATE, FULL_BODY, UNIT_2, CHECKED)
    assert _changed_lines(FULL_BODY, after) == [f"-- [ ] {UNIT_2}\n", f"+- [x] {UNIT_2}\n"]
    assert parse_issue(TEMPLATE, after).gates[UNIT_2] == CHECKED


def test_not_applicable_ticks_and_writes_the_reason() -> None:
    """Not applicable ticks the box and appends ` — N/A: <reason>` on the same line."""
    after = set_gate(TEMPLATE, FULL_BODY, SCENARIO, _na("covered by the replay suite"))
    assert _changed_lines(FULL_BODY, after) == [
        f"-- [ ] {SCENARIO}\n",
        f"+- [x] {SCENARIO} — N/A: covered by the replay suite\n",
    ]
    assert parse_issue(TEMPLATE, after).gates[SCENARIO] == _na("covered by the replay suite")


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "## Test Gates (Required)",
        "- [ ] x\nsecond line",
        "<!-- milestone-draft: y -->",
        " `",
        "covered by `make chaos | tee log` & **#12**",
        "costs $5 & <b>AT&T</b> &amp;",
        "ends in a backslash \\",
        "\\<escaped> and \\\\<not>",
    ],
)
def test_hostile_reason_stays_on_the_line_and_reads_back(reason: str) -> None:
    """Any reason is escaped onto the box's own line and reads back exactly."""
    after = set_gate(TEMPLATE, FULL_BODY, SCENARIO, _na(reason))
    assert len(_changed_lines(FULL_BODY, after)) == 2
    parsed = parse_issue(TEMPLATE, after)
    assert parsed.gates[SCENARIO] == _na(reason)
    assert parsed.draft_id == "draft-42"


@pytest.mark.parametrize("ending", ["\r\n", "\r"])
def test_line_endings_are_kept(ending: str) -> None:
    """A CRLF (or CR) body keeps its line endings; only the box's line changes."""
    body = FULL_BODY.replace("\n", ending)
    after = set_gate(TEMPLATE, body, UNIT_2, CHECKED)
    assert after == body.replace(f"- [ ] {UNIT_2}", f"- [x] {UNIT_2}")


def test_mixed_line_endings_are_kept() -> None:
    """Each line keeps its own ending when a body mixes LF and CRLF."""
    body = _unit_tests(f"- [x] {UNIT_1}\r\n- [ ] {UNIT_2}\r\n")
    after = set_gate(TEMPLATE, body, UNIT_2, _na("none"))
    assert after == body.replace(f"- [ ] {UNIT_2}\r\n", f"- [x] {UNIT_2} — N/A: none\r\n")


@pytest.mark.parametrize(
    "state",
    [CHECKED, _na("other reason"), GateState()],
    ids=["done", "not-applicable", "unchecked"],
)
def test_settled_box_is_left_as_it_is(state: GateState) -> None:
    """A box someone already ticked, or marked N/A, is not changed again."""
    ticked = FULL_BODY.replace(f"- [ ] {UNIT_2}", f"- [X] {UNIT_2} (see #9)")
    assert set_gate(TEMPLATE, ticked, UNIT_2, state) is ticked
    na_label = "Added or updated at least one adversarial scenario test (when applicable)."
    assert set_gate(TEMPLATE, FULL_BODY, na_label, state) is FULL_BODY


def test_unchecked_request_changes_nothing() -> None:
    """Asking for a box to stay unchecked leaves the body as it is."""
    assert set_gate(TEMPLATE, FULL_BODY, UNIT_2, GateState()) is FULL_BODY


def test_unknown_label_raises_key_error() -> None:
    """A label that is not one of the template's gates is a KeyError."""
    with pytest.raises(KeyError, match="not a gate"):
        set_gate(TEMPLATE, FULL_BODY, "Protective exits remain unblocked.", CHECKED)


def test_missing_box_raises_value_error_naming_the_heading() -> None:
    """A gate whose box was deleted (or only sits in a code block) cannot be set."""
    body = _unit_tests(f"- [x] {UNIT_1}\n\n```\n- [ ] {UNIT_2}\n```\n")
    with pytest.raises(ValueError, match="under '### Unit tests'"):
        set_gate(TEMPLATE, body, UNIT_2, CHECKED)


def test_box_under_the_wrong_heading_is_not_edited() -> None:
    """Only the box under the gate's own heading is the gate's box."""
    body = FULL_BODY.replace(f"- [x] {DASHBOARD}\n", "").replace(
        "## Rollout and Safety\n\n", f"## Rollout and Safety\n\n- [ ] {DASHBOARD}\n"
    )
    with pytest.raises(ValueError, match="Telemetry and Observability"):
        set_gate(TEMPLATE, body, DASHBOARD, CHECKED)


def test_fake_box_in_a_fence_is_skipped_for_the_real_one() -> None:
    """A look-alike inside a fence stays as it is; the real box below it is ticked."""
    body = _unit_tests(f"- [x] {UNIT_1}\n\n~~~\n- [ ] {UNIT_2}\n~~~\n\n- [ ] {UNIT_2}\n")
    after = set_gate(TEMPLATE, body, UNIT_2, CHECKED)
    assert after == body.replace(f"~~~\n\n- [ ] {UNIT_2}", f"~~~\n\n- [x] {UNIT_2}")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"> 1. [ ] {UNIT_2}", f"> 1. [x] {UNIT_2} — N/A: r"),
        (f"- Unit\n  * [ ] {UNIT_2}", f"- Unit\n  * [x] {UNIT_2} — N/A: r"),
        (f"3)  [ ] {UNIT_2} (see #4)  ", f"3)  [x] {UNIT_2} (see #4) — N/A: r"),
        (f"- [ ] {UNIT_2}\n  more words", f"- [x] {UNIT_2}\n  more words — N/A: r"),
    ],
    ids=["quoted-numbered", "nested", "annotated", "wrapped"],
)
def test_box_anywhere_markdown_puts_it(line: str, expected: str) -> None:
    """Quoted, numbered, nested, annotated or wrapped boxes are ticked in place."""
    body = _unit_tests(f"- [x] {UNIT_1}\n\n{line}\n")
    after = set_gate(TEMPLATE, body, UNIT_2, _na("r"))
    assert after == _unit_tests(f"- [x] {UNIT_1}\n\n{expected}\n")
    assert parse_issue(TEMPLATE, after).gates[UNIT_2] == _na("r")
