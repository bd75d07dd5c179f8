"""Reading an issue body back, including bodies people have edited on GitHub."""

from __future__ import annotations

import pytest

from flows.draft import CONTENT_FIELDS, Draft, GateState, GateStatus
from flows.parse import parse_issue, unchecked_gates
from flows.render import render_body
from tests.test_render import EMPTY, FULL, FULL_BODY, TEMPLATE

UNIT_1 = "Added/updated unit tests for new behavior."
UNIT_2 = "Existing related unit suites pass."
DASHBOARD = "Dashboard/alert impact reviewed."
CHECKED = GateState(status=GateStatus.CHECKED)
UNCHECKED = GateState()


def _na(reason: str) -> GateState:
    return GateState(status=GateStatus.NOT_APPLICABLE, reason=reason)


def _section(body: str, heading: str) -> str:
    """The text from `heading` up to the next heading of the same or a higher level."""
    start = body.index(heading + "\n")
    level = heading.split(" ")[0]
    rest = body[start + len(heading) + 1 :]
    ends = [rest.find("\n" + "#" * n + " ") for n in range(1, len(level) + 1)]
    ends = [e for e in ends if e >= 0] + [rest.find("\n<!-- milestone-draft")]
    return body[start : start + len(heading) + 1 + min(e for e in ends if e >= 0) + 1]


def _unit_tests(lines: str) -> str:
    """The full body with the Unit tests section's boxes replaced by `lines`."""
    old = f"- [x] {UNIT_1}\n- [ ] {UNIT_2}\n"
    assert old in FULL_BODY
    return FULL_BODY.replace(old, lines)


@pytest.mark.parametrize("draft", [FULL, EMPTY], ids=["full", "empty"])
def test_rendered_body_reads_back_as_the_draft(draft: Draft) -> None:
    """Every answer, gate state and the draft id come back from a rendered body."""
    parsed = parse_issue(TEMPLATE, render_body(TEMPLATE, draft))
    assert parsed.draft_id == draft.id
    assert set(parsed.fields) == set(CONTENT_FIELDS) - {"title"}
    for name, value in parsed.fields.items():
        if name == "gates":
            continue
        assert value == getattr(draft, name), name
    expected = {label: draft.gate(label) for label in TEMPLATE.gate_labels}
    assert parsed.gates == expected
    assert parsed.fields["gates"] == expected


def test_fields_apply_to_a_draft() -> None:
    """A blank draft given the parsed fields holds the original draft's content."""
    parsed = parse_issue(TEMPLATE, FULL_BODY)
    copy = Draft(id=FULL.id, title=FULL.title).with_changes(parsed.fields)
    for name in CONTENT_FIELDS:
        if name != "gates":
            assert getattr(copy, name) == getattr(FULL, name), name
    assert {k: copy.gate(k) for k in TEMPLATE.gate_labels} == {
        k: FULL.gate(k) for k in TEMPLATE.gate_labels
    }


@pytest.mark.parametrize(
    ("lines", "state_1", "state_2"),
    [
        pytest.param(f"- [X] {UNIT_1}\n- [X] {UNIT_2}\n", CHECKED, CHECKED, id="capital-X"),
        pytest.param(f"* [x] {UNIT_1}\n* [ ] {UNIT_2}\n", CHECKED, UNCHECKED, id="star"),
        pytest.param(f"+ [ ] {UNIT_1}\n+ [x] {UNIT_2}\n", UNCHECKED, CHECKED, id="plus"),
        pytest.param(f"1. [x] {UNIT_1}\n2. [ ] {UNIT_2}\n", CHECKED, UNCHECKED, id="numbered"),
        pytest.param(f"1) [ ] {UNIT_1}\n2) [x] {UNIT_2}\n", UNCHECKED, CHECKED, id="paren"),
        pytest.param(
            f"- Unit\n  - [x] {UNIT_1}\n    - [x] {UNIT_2}\n", CHECKED, CHECKED, id="nested"
        ),
        pytest.param(f"> - [x] {UNIT_1}\n> - [x] {UNIT_2}\n", CHECKED, CHECKED, id="blockquote"),
        pytest.param(
            f"- [x] {UNIT_1} (see #12)\n- [ ] {UNIT_2} done in #13\n",
            CHECKED,
            UNCHECKED,
            id="text-after-label",
        ),
        pytest.param(
            f"- [x] {UNIT_1}\n  wrapped onto a second line\n- [x]   {UNIT_2}\n",
            CHECKED,
            CHECKED,
            id="wrapped-and-spaced",
        ),
        pytest.param(f"- [x] {UNIT_2}\n", UNCHECKED, CHECKED, id="box-deleted"),
        pytest.param(
            f"- [ ] {UNIT_1}\n- [x] {UNIT_1}\n- [ ] {UNIT_2}\n",
            UNCHECKED,
            UNCHECKED,
            id="copy-ignored",
        ),
    ],
)
def test_hand_edited_boxes(lines: str, state_1: GateState, state_2: GateState) -> None:
    """Boxes ticked, re-bulleted, numbered, nested, quoted or annotated on GitHub are read."""
    gates = parse_issue(TEMPLATE, _unit_tests(lines)).gates
    assert gates.get(UNIT_1, UNCHECKED) == state_1
    assert gates.get(UNIT_2, UNCHECKED) == state_2


@pytest.mark.parametrize(
    "fake",
    [
        pytest.param(f"```\n- [x] {UNIT_2}\n```\n", id="backtick-fence"),
        pytest.param(f"~~~md\n- [x] {UNIT_2}\n~~~\n", id="tilde-fence"),
        pytest.param(f"Example:\n\n    - [x] {UNIT_2}\n", id="indented-code"),
        pytest.param(f"<!--\n- [x] {UNIT_2}\n-->\n", id="html-comment"),
        pytest.param(f"<details>\n- [x] {UNIT_2}\n</details>\n", id="html-block"),
    ],
)
def test_boxes_in_code_or_comments_do_not_count(fake: str) -> None:
    """A ticked box inside a code block or HTML is text, not the gate's box."""
    body = _unit_tests(f"- [x] {UNIT_1}\n\n{fake}\n- [ ] {UNIT_2}\n")
    assert parse_issue(TEMPLATE, body).gates[UNIT_2] == UNCHECKED
    only_fake = _unit_tests(f"- [x] {UNIT_1}\n\n{fake}")
    assert UNIT_2 not in parse_issue(TEMPLATE, only_fake).gates


@pytest.mark.parametrize(
    ("suffix", "state"),
    [
        (" — N/A: no new behaviour", _na("no new behaviour")),
        (" - N/A: no new behaviour", _na("no new behaviour")),
        (" – N/A - no new behaviour", _na("no new behaviour")),
        (" -- n/a: no new behaviour", _na("no new behaviour")),
        (" N/A: no new behaviour", _na("no new behaviour")),
        (" N/A", _na("")),
        (" — N/A", _na("")),
        (" (see #12) — N/A: covered by #12", _na("covered by #12")),
        (" — N/A: reason — N/A: inner", _na("reason — N/A: inner")),
        (" (NA region)", CHECKED),
        (" for N/A region", CHECKED),
    ],
)
def test_not_applicable_forms(suffix: str, state: GateState) -> None:
    """A ticked box whose text goes on with a dash and N/A is not applicable, with its reason."""
    body = _unit_tests(f"- [ ] {UNIT_1}\n- [x] {UNIT_2}{suffix}\n")
    assert parse_issue(TEMPLATE, body).gates[UNIT_2] == state


def test_unticked_box_marked_not_applicable_is_still_unchecked() -> None:
    """N/A text after an unticked box does not settle the gate."""
    body = _unit_tests(f"- [ ] {UNIT_1}\n- [ ] {UNIT_2} — N/A: later\n")
    assert parse_issue(TEMPLATE, body).gates[UNIT_2] == UNCHECKED


def test_crlf_body_reads_like_lf() -> None:
    """A body with CRLF (or CR) line endings parses the same as with LF."""
    expected = parse_issue(TEMPLATE, FULL_BODY)
    assert parse_issue(TEMPLATE, FULL_BODY.replace("\n", "\r\n")) == expected
    assert parse_issue(TEMPLATE, FULL_BODY.replace("\n", "\r")) == expected


def test_sections_reordered_read_the_same() -> None:
    """Moving whole sections around changes nothing that is read."""
    acceptance = _section(FULL_BODY, "## Acceptance Criteria")
    telemetry = _section(FULL_BODY, "## Telemetry and Observability")
    body = FULL_BODY.replace(acceptance, "").replace(telemetry, "")
    body = acceptance + telemetry + body
    assert body.index("## Acceptance") < body.index("## Milestone Context")
    assert parse_issue(TEMPLATE, body) == parse_issue(TEMPLATE, FULL_BODY)


def test_deleted_section_drops_its_fields_and_gates() -> None:
    """A deleted section's answers are absent and its gates are reported as not settled."""
    body = FULL_BODY.replace(_section(FULL_BODY, "## Telemetry and Observability"), "")
    parsed = parse_issue(TEMPLATE, body)
    assert "telemetry_events" not in parsed.fields
    assert DASHBOARD not in parsed.gates
    assert ("Telemetry and Observability", DASHBOARD) in unchecked_gates(TEMPLATE, body)
    assert parsed.fields["notes"] == FULL.notes


def test_box_counts_only_under_its_own_heading() -> None:
    """A gate's box written under another section's heading is not that gate's box."""
    body = FULL_BODY.replace(
        "## Rollout and Safety\n\n", f"## Rollout and Safety\n\n- [x] {DASHBOARD}\n"
    ).replace(f"- [x] {DASHBOARD}\n- [ ] Correlation", "- [ ] Correlation")
    assert DASHBOARD not in parse_issue(TEMPLATE, body).gates


def test_unknown_headings_end_or_keep_a_section_by_level() -> None:
    """An unknown deeper heading stays in the section; one at the same level ends it."""
    deeper = _unit_tests(f"- [x] {UNIT_1}\n\n#### Details\n\n- [x] {UNIT_2}\n")
    assert parse_issue(TEMPLATE, deeper).gates[UNIT_2] == CHECKED
    same = _unit_tests(f"- [x] {UNIT_1}\n\n### Extra\n\n- [x] {UNIT_2}\n")
    assert UNIT_2 not in parse_issue(TEMPLATE, same).gates


def test_unchecked_gates_in_template_order_with_headings() -> None:
    """Unsettled gates come back in the template's order with their section's heading."""
    result = unchecked_gates(TEMPLATE, FULL_BODY)
    settled = {label for label, s in FULL.gates.items() if s.settled}
    assert result == [
        (TEMPLATE.heading(c.section).text, c.label)
        for c in TEMPLATE.gates
        if c.label not in settled
    ]
    assert result[0] == ("Unit tests", UNIT_2)


def test_all_settled_leaves_nothing_unchecked() -> None:
    """When every gate is ticked or not applicable, nothing is reported."""
    gates = {label: CHECKED for label in TEMPLATE.gate_labels}
    gates[UNIT_1] = _na("pure refactor")
    body = render_body(TEMPLATE, Draft(id="d1", gates=gates))
    assert unchecked_gates(TEMPLATE, body) == []


@pytest.mark.parametrize(
    ("body", "draft_id"),
    [
        pytest.param("text\n\n<!-- milestone-draft: abc-1 -->", "abc-1", id="real"),
        pytest.param("text\n\n<!--milestone-draft:abc-1-->\r\n", "abc-1", id="tight-crlf"),
        pytest.param("```\n<!-- milestone-draft: abc-1 -->\n```", None, id="in-fence"),
        pytest.param("~~~\n<!-- milestone-draft: abc-1 -->\n~~~", None, id="in-tilde-fence"),
        pytest.param("    <!-- milestone-draft: abc-1 -->", None, id="indented-code"),
        pytest.param("text <!-- milestone-draft: abc-1 -->", None, id="inline"),
        pytest.param(r"\<!-- milestone-draft: abc-1 -->", None, id="escaped"),
        pytest.param("no marker", None, id="none"),
        pytest.param(
            "<!-- milestone-draft: a -->\n\n<!-- milestone-draft: b -->", "b", id="last-wins"
        ),
    ],
)
def test_marker_only_from_a_real_comment_block(body: str, draft_id: str | None) -> None:
    """The draft id comes only from an HTML comment block, never from code or text."""
    assert parse_issue(TEMPLATE, body).draft_id == draft_id


def test_hand_edited_lists_and_values() -> None:
    """Re-bulleted items, a kept `_None_` beside new items and extra spaces read as meant."""
    body = FULL_BODY.replace("- &#95;None_\n- &lt;!--", "* first\n+ second\n- _None_\n- &lt;!--")
    body = body.replace("- Target milestone: `M3`", "- Target milestone:    `M4`  ")
    body = body.replace("1. Add a budget.\n2. Wire it in.\n", "1) Add a budget.\n1) Wire it in.\n")
    parsed = parse_issue(TEMPLATE, body)
    assert parsed.fields["notes"] == ("first", "second", *FULL.notes[1:])
    assert parsed.fields["target_milestone"] == "M4"
    assert parsed.fields["implementation_plan"] == FULL.implementation_plan


def test_invariant_boxes_are_not_gates() -> None:
    """Ticked invariants are answers, not gates, and read back in the template's order."""
    labels = TEMPLATE.invariant_labels
    draft = Draft(id="d1", invariants=(labels[4], labels[0]))
    parsed = parse_issue(TEMPLATE, render_body(TEMPLATE, draft))
    assert parsed.fields["invariants"] == (labels[0], labels[4])
    assert not set(labels) & set(parsed.gates)


def test_problem_statement_paragraphs_join_and_placeholder_reads_empty() -> None:
    """Extra paragraphs typed on GitHub join with a blank line; `_None_` reads as empty."""
    body = FULL_BODY.replace("&#35;# Not a heading\n", "&#35;# Not a heading\n\nSecond *para*.\n")
    parsed = parse_issue(TEMPLATE, body)
    assert parsed.fields["problem_statement"] == FULL.problem_statement + "\n\nSecond *para*."
    empty = parse_issue(TEMPLATE, render_body(TEMPLATE, EMPTY))
    assert empty.fields["problem_statement"] == ""


def test_empty_body_holds_nothing() -> None:
    """An empty body has no id, no gates and no fields but the (empty) gate map."""
    parsed = parse_issue(TEMPLATE, "")
    assert parsed.draft_id is None
    assert parsed.gates == {}
    assert parsed.fields == {"gates": {}}
    assert len(unchecked_gates(TEMPLATE, "")) == len(TEMPLATE.gates)


@pytest.mark.parametrize(
    ("answer", "items"),
    [
        pytest.param("**bold** `code` [l](https://x)", ["**bold** `code` [l](https://x)"], id="md"),
        pytest.param("&lt;b> &amp;copy; &#36;5", ["<b> &copy; $5"], id="references"),
        pytest.param("`&lt;b>` &copy;", ["`&lt;b>` &copy;"], id="typed-on-github"),
        pytest.param("a\\\n  b", ["a\\\nb"], id="wrapped-on-github"),
    ],
)
def test_answers_read_back_as_markdown_source(answer: str, items: list[str]) -> None:
    """An item reads back as its Markdown source, with only the bot's references undone."""
    body = FULL_BODY.replace("- Exchange adapters\n", f"- {answer}\n")
    assert parse_issue(TEMPLATE, body).fields["out_of_scope"] == tuple(items)


def test_answers_in_a_blockquote_or_nested_list_read_without_their_markers() -> None:
    """List markers, indentation and `>` around an answer are not part of it."""
    body = FULL_BODY.replace("- Exchange adapters\n", "> - *quoted* `x`\n> - - nested\n")
    assert parse_issue(TEMPLATE, body).fields["out_of_scope"] == ("*quoted* `x`", "nested")


def test_reason_reads_back_as_its_source() -> None:
    """A N/A reason holding Markdown and references reads back exactly as the author wrote it."""
    reason = "covered by `make chaos` & **#12** | <later>"
    gates = {UNIT_2: _na(reason)}
    body = render_body(TEMPLATE, Draft(id="d1", gates=gates))
    assert parse_issue(TEMPLATE, body).gates[UNIT_2] == _na(reason)
    bold = body.replace(f"- [x] {UNIT_2}", f"- [x] **{UNIT_2}**")
    assert parse_issue(TEMPLATE, bold).gates[UNIT_2].status is GateStatus.NOT_APPLICABLE
