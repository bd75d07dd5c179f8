"""The `— evidence: owner/repo#123` suffix: rendered, read back, written by one box's edit."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.draft import GateState, GateStatus
from flows.gate_edit import set_gate
from flows.parse import parse_issue, unchecked_gates
from flows.render import gate_line, render_body
from tests.test_parse import UNIT_1, UNIT_2
from tests.test_render import FULL, FULL_BODY, TEMPLATE


def _evidence(reference: str) -> GateState:
    return GateState(status=GateStatus.CHECKED, evidence=reference)


def _changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_tick_with_evidence_writes_the_suffix_and_nothing_else() -> None:
    """Only the box's line changes: ticked, with ` — evidence: owner/repo#123` after the label."""
    after = set_gate(TEMPLATE, FULL_BODY, UNIT_2, _evidence("acme/execution#123"))
    assert _changed_lines(FULL_BODY, after) == [
        f"-- [ ] {UNIT_2}\n",
        f"+- [x] {UNIT_2} — evidence: acme/execution#123\n",
    ]
    assert parse_issue(TEMPLATE, after).gates[UNIT_2] == _evidence("acme/execution#123")


def test_a_box_already_ticked_keeps_its_line() -> None:
    """Evidence never rewrites a box someone already ticked."""
    assert parse_issue(TEMPLATE, FULL_BODY).gates[UNIT_1].settled
    assert set_gate(TEMPLATE, FULL_BODY, UNIT_1, _evidence("acme/execution#1")) == FULL_BODY


@pytest.mark.parametrize(
    "suffix",
    [
        " — evidence: acme/execution#123",
        " – Evidence: acme/execution#123",
        " -- evidence acme/execution#123",
        " - evidence: acme/execution#123",
    ],
)
def test_the_parser_reads_the_suffix_as_people_type_it(suffix: str) -> None:
    """Dashes and case as people type them; the reference is kept as written."""
    body = FULL_BODY.replace(f"- [ ] {UNIT_2}", f"- [x] {UNIT_2}{suffix}")
    state = parse_issue(TEMPLATE, body).gates[UNIT_2]
    assert state == _evidence("acme/execution#123")
    assert all(label != UNIT_2 for _, label in unchecked_gates(TEMPLATE, body))


def test_na_and_evidence_stay_apart() -> None:
    """A N/A reason that mentions evidence is still N/A; a plain tick has no evidence."""
    body = FULL_BODY.replace(f"- [ ] {UNIT_2}", f"- [x] {UNIT_2} — N/A: evidence is elsewhere")
    state = parse_issue(TEMPLATE, body).gates[UNIT_2]
    assert state.status is GateStatus.NOT_APPLICABLE and state.reason == "evidence is elsewhere"
    assert parse_issue(TEMPLATE, FULL_BODY).gates[UNIT_1] == GateState(status=GateStatus.CHECKED)


def test_render_writes_what_parse_reads() -> None:
    """A draft holding an evidence tick renders the suffix, and parsing gives it back."""
    draft = FULL.model_copy(update={"gates": {**FULL.gates, UNIT_2: _evidence("a/b#9, a/b#10")}})
    assert gate_line(UNIT_2, draft) == f"- [x] {UNIT_2} — evidence: a/b#9, a/b#10"
    assert parse_issue(TEMPLATE, render_body(TEMPLATE, draft)).gates[UNIT_2] == _evidence(
        "a/b#9, a/b#10"
    )


def test_empty_evidence_is_not_serialized() -> None:
    """Gates without evidence dump as before, so older journals and rows stay identical."""
    assert GateState(status=GateStatus.CHECKED).model_dump(mode="json") == {
        "status": "checked",
        "reason": "",
    }


@given(
    st.sampled_from(TEMPLATE.gate_labels),
    st.from_regex(r"[a-z][a-z0-9-]{0,8}/[a-z][a-z0-9._-]{0,8}#[1-9][0-9]{0,4}", fullmatch=True),
)
def test_tick_with_evidence_round_trips(label: str, reference: str) -> None:
    """Any gate ticked with any reference reads back as exactly that, other gates unchanged."""
    before = parse_issue(TEMPLATE, FULL_BODY).gates
    after_body = set_gate(TEMPLATE, FULL_BODY, label, _evidence(reference))
    after = parse_issue(TEMPLATE, after_body).gates
    expected = before[label] if before[label].settled else _evidence(reference)
    assert after == {**before, label: expected}
