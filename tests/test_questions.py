"""The flow as data: its questions, their options from the template, section lookup, prompts."""

from __future__ import annotations

import dataclasses

import pytest

from flows import prompts
from flows.draft import Draft
from flows.errors import InvalidAnswer, TemplateError
from flows.questions import Flow, QuestionKind, build_flow
from flows.template import Template, load_template, parse_template

EXPECTED = [
    ("title", "Title", QuestionKind.SHORT, True),
    ("milestone", "Target milestone", QuestionKind.SINGLE_CHOICE, True),
    ("objective", "Risk-reduction objective", QuestionKind.SHORT, True),
    ("problem", "Problem statement", QuestionKind.PARAGRAPH, True),
    ("invariants", "Invariants strengthened", QuestionKind.MULTIPLE_CHOICE, True),
    ("additional_invariants", "Additional invariants", QuestionKind.LIST, False),
    ("in_scope", "In scope", QuestionKind.LIST, True),
    ("out_of_scope", "Out of scope", QuestionKind.LIST, False),
    ("file_touch", "File touch plan", QuestionKind.LIST, True),
    ("implementation", "Implementation plan", QuestionKind.ORDERED_LIST, True),
    ("test_commands", "Test commands", QuestionKind.LIST, False),
    ("adversarial", "Adversarial scenarios", QuestionKind.LIST, False),
    ("telemetry", "Telemetry events", QuestionKind.LIST, False),
    ("docs", "Docs touched", QuestionKind.LIST, False),
    ("notes", "Notes and assumptions", QuestionKind.LIST, False),
    ("gates", "Gates already settled", QuestionKind.GATES, False),
]


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


@pytest.fixture(scope="module")
def flow(template: Template) -> Flow:
    return build_flow(template)


def test_questions_in_order(flow: Flow) -> None:
    """The flow asks the sixteen sections in the template's order, with these kinds."""
    got = [(q.id, q.title, q.kind, q.required) for q in flow.questions]
    assert got == EXPECTED
    assert flow.version == 1


def test_roadmap_is_editable_but_not_asked(flow: Flow) -> None:
    """The roadmap reference is never asked in turn but can be reached with `edit roadmap`."""
    assert "roadmap" not in [q.id for q in flow.questions]
    assert flow.find_section("roadmap").id == "roadmap"
    assert flow.question("roadmap").fields == ("roadmap_reference",)


def test_options_come_from_the_template(flow: Flow, template: Template) -> None:
    """Milestones, invariants and gates are the template's own labels, in its order."""
    assert flow.question("milestone").options == template.milestones
    assert flow.question("invariants").options == tuple(template.invariant_labels)
    assert len(flow.question("invariants").options) == 5
    assert flow.question("gates").options == tuple(template.gate_labels)
    groups = flow.question("gates").option_groups
    assert groups[0] == "Unit tests" and groups[-1] == "Acceptance Criteria"


def test_options_follow_a_changed_template(template: Template) -> None:
    """A template with other milestones and labels yields a flow with exactly those."""
    source = template.source.replace("`M1 | M2 | M3 | M4 | M5 | M6`", "`Q1 | Q2`").replace(
        "Protective exits remain unblocked.", "Kill switch always reachable."
    )
    flow = build_flow(parse_template(source))
    assert flow.question("milestone").options == ("Q1", "Q2")
    assert flow.question("invariants").options[0] == "Kill switch always reachable."


@pytest.mark.parametrize(
    ("old", "missing"),
    [
        ("- Risk-reduction objective:\n", "the line “Risk-reduction objective:”"),
        ("Docs touched:\n", "the line “Docs touched:”"),
        ("Commands:\n", "the line “Commands:”"),
    ],
)
def test_template_missing_a_line_is_refused(template: Template, old: str, missing: str) -> None:
    """A template without a line the flow writes after is refused, naming the line."""
    broken = parse_template(template.source.replace(old, ""))
    with pytest.raises(TemplateError, match=missing):
        build_flow(broken)


def test_template_without_invariants_is_refused(template: Template) -> None:
    """A template whose invariants section has no checkboxes is refused, saying so."""
    broken = dataclasses.replace(
        template, checkboxes=tuple(c for c in template.checkboxes if c.section != "invariants")
    )
    with pytest.raises(TemplateError, match="invariant checkboxes"):
        build_flow(broken)


def test_template_without_a_heading_is_refused(template: Template) -> None:
    """A template lacking a heading a question writes under is refused, naming it."""
    keys = {k: v for k, v in template.heading_keys.items() if k != "notes"}
    broken = dataclasses.replace(template, heading_keys=keys)
    with pytest.raises(TemplateError, match="the heading for notes"):
        build_flow(broken)


@pytest.mark.parametrize(
    ("name", "question_id"),
    [
        ("Problem statement", "problem"),
        ("PROBLEM", "problem"),
        ("prob", "problem"),
        ("Notes / Assumptions", "notes"),
        ("assumptions", "notes"),
        ("scope", "in_scope"),
        ("out", "out_of_scope"),
        ("roadmap", "roadmap"),
        ("title", "title"),
        ("milestone", "milestone"),
        ("file touch", "file_touch"),
        ("plan", "implementation"),
        ("gates", "gates"),
        ("`docs`", "docs"),
        ("  in   scope ", "in_scope"),
    ],
)
def test_find_section(flow: Flow, name: str, question_id: str) -> None:
    """A section is found by title, id or alias, in any case, or by an unambiguous prefix."""
    assert flow.find_section(name).id == question_id


def test_find_section_ambiguous_prefix(flow: Flow) -> None:
    """An ambiguous prefix is refused, naming the sections it could be."""
    with pytest.raises(InvalidAnswer) as exc:
        flow.find_section("te")
    assert str(exc.value).startswith("“te” could be ")
    assert "Test commands" in str(exc.value) and "Telemetry events" in str(exc.value)


def test_find_section_unknown_lists_sections(flow: Flow) -> None:
    """An unknown section name is refused with the sections the flow asks, and only those."""
    with pytest.raises(InvalidAnswer) as exc:
        flow.find_section("budget")
    message = str(exc.value)
    assert message.startswith("There's no section “budget”. Sections: Title, Target milestone")
    assert message.endswith("Gates already settled.")
    assert "Roadmap reference" not in message
    assert flow.find_section("roadmap").id == "roadmap"  # still reachable by name


def test_find_section_suggests_the_nearest_name(flow: Flow) -> None:
    """A misspelt section is answered with the nearest name, as an `edit` to type."""
    with pytest.raises(InvalidAnswer, match="Did you mean `edit scope`"):
        flow.find_section("sceope")


def test_find_section_empty_asks_which(flow: Flow) -> None:
    """`edit` with no name asks which section, listing them."""
    with pytest.raises(InvalidAnswer, match="Edit which section"):
        flow.find_section("")


def test_every_example_parses(flow: Flow) -> None:
    """Each question's example is a valid answer to it, so copying it works."""
    for q in flow.sections:
        changes = q.parse(q.example, Draft(id="d"))
        assert set(changes) == set(q.fields), q.id


def test_every_question_is_fully_described(flow: Flow) -> None:
    """Each question has a prompt, an example, a how-to line, and a reason if it is required."""
    for q in flow.sections:
        assert q.prompt and q.example and q.how, q.id
        assert len(q.prompt) <= 160, q.id
        assert not q.required or q.why_required, q.id
        assert q.fields and all(f in Draft.model_fields for f in q.fields), q.id


def test_sections_have_distinct_names(flow: Flow) -> None:
    """No title or alias names two sections, so `edit <name>` is never ambiguous on a full name."""
    owners: dict[str, str] = {}
    for q in flow.sections:
        for name in {n.casefold() for n in q.names()}:
            assert owners.setdefault(name, q.id) == q.id, name


def test_question_text_for_a_paragraph(flow: Flow) -> None:
    """A paragraph prompt shows the number, title, question, how to answer and an example."""
    text = prompts.question_text(flow.question("problem"), 4, 15)
    lines = text.split("\n")
    assert lines[0] == "*Question 4 of 15 · Problem statement*"
    assert lines[1] == "What goes wrong today? Describe the failure mode or reliability gap."
    assert lines[2] == "One paragraph, no blank lines."
    assert lines[3].startswith("_Example:_ When a venue times out on a cancel")
    assert "skip" not in text


def test_question_text_for_an_optional_list(flow: Flow) -> None:
    """An optional list prompt says one per line and that `skip` leaves it out."""
    text = prompts.question_text(flow.question("notes"), 15, 16)
    assert "One per line." in text
    assert text.endswith("Optional: `skip` to leave it out.")


def test_question_text_for_test_commands_names_the_default(flow: Flow) -> None:
    """The test commands prompt says `skip` keeps the template's default command."""
    text = prompts.question_text(flow.question("test_commands"), 11, 16)
    assert text.endswith("Optional: `skip` keeps `pytest -q`.")


def test_question_text_for_choices_numbers_the_options(flow: Flow) -> None:
    """Choice prompts number their options; long options get a line each."""
    milestone = prompts.question_text(flow.question("milestone"), 2, 16)
    assert "1. M1 · 2. M2 · 3. M3 · 4. M4 · 5. M5 · 6. M6" in milestone
    invariants = prompts.question_text(flow.question("invariants"), 5, 16)
    assert "\n1. Protective exits remain unblocked.\n" in invariants
    assert "Numbers like `1 3`, or `all`, or `none`." in invariants


def test_question_text_for_gates_documents_the_grammar(flow: Flow) -> None:
    """The gates prompt groups gates under their headings and shows `done` and `n/a` lines."""
    text = prompts.question_text(flow.question("gates"), 16, 16)
    assert "_Unit tests_\n1. Added/updated unit tests for new behavior." in text
    assert "`done 1 2`" in text and "`n/a 8: reason`" in text
    assert "work still to do" in text
    assert "n/a 6: no dashboards for this service" in text


def test_question_text_shows_the_title_limit(flow: Flow) -> None:
    """The title prompt states the character limit and that the prefix is added."""
    text = prompts.question_text(flow.question("title"), 1, 16)
    assert "up to 242 characters; I add “[Reliability]” for you." in text


def test_question_text_when_editing_shows_the_current_answer(flow: Flow) -> None:
    """An edit prompt says it is an edit and shows the current answer to keep or replace."""
    text = prompts.question_text(
        flow.question("in_scope"), 7, 16, current="- Cancel path", editing=True
    )
    assert text.startswith("*Editing · In scope*")
    assert "_Current answer:_\n- Cancel path\nSend a new answer, or `skip` to keep this one." in (
        text
    )


@pytest.mark.parametrize("kind", list(QuestionKind))
def test_help_covers_every_kind(flow: Flow, kind: QuestionKind) -> None:
    """Help for each kind shows the grammar, the example and the words that work anywhere."""
    question = next(q for q in flow.sections if q.kind is kind)
    text = prompts.help_text(question)
    assert text.startswith(f"*How to answer · {question.title}*")
    assert "_Example:_" in text
    assert "`edit <section>`" in text and "`cancel`" in text


def test_help_for_gates_explains_each_line(flow: Flow) -> None:
    """Help for the gates question explains `done`, `n/a` with a reason, and `none`."""
    text = prompts.help_text(flow.question("gates"))
    assert "`done 1 2` already done" in text
    assert "`n/a 8: reason` doesn't apply" in text
    assert "`none` nothing settled yet" in text
