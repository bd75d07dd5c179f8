"""The typed-answer grammar: lists, choices, gates, control words and hostile text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows import answers
from flows.answers import BIDI_CONTROLS, Control, check_text
from flows.draft import Draft, GateState, GateStatus
from flows.errors import InvalidAnswer
from flows.questions import QuestionKind, build_flow
from flows.template import load_template

FLOW = build_flow(load_template())
INVARIANTS = FLOW.question("invariants").options
GATES = FLOW.question("gates").options
MILESTONES = FLOW.question("milestone").options


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("one\ntwo", ("one", "two")),
        ("- one\n* two\n• three", ("one", "two", "three")),
        ("1. one\n2) two\n10. ten", ("one", "two", "ten")),
        ("\n\n  - one  \n\n\n two\t\n", ("one", "two")),
        ("-\n- \n- real", ("real",)),
        ("-dash-leading", ("-dash-leading",)),
        ("3.5 ms budget", ("3.5 ms budget",)),
        ("*bold* start", ("*bold* start",)),
        ("- - nested marker", ("- nested marker",)),
        ("one\r\ntwo\rthree", ("one", "two", "three")),
        ("\u200bzero width at the ends\u200b", ("zero width at the ends",)),
    ],
)
def test_list_items(text: str, items: tuple[str, ...]) -> None:
    """A list answer is one item per line with markers, blanks and outer whitespace dropped."""
    assert answers.parse_list(text, what="in scope", required=True) == items


def test_ordered_list_keeps_typed_order() -> None:
    """An ordered list keeps the order lines were typed in, whatever numbers they carry."""
    text = "3. third typed first\n1. then this\n2. and this"
    result = answers.parse_list(text, what="plan", required=True)
    assert result == ("third typed first", "then this", "and this")


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "-\n*\n1.", "\u200b"])
def test_empty_required_list_is_refused_with_the_fix(text: str) -> None:
    """An empty answer to a required list is refused and says to send one item per line."""
    with pytest.raises(InvalidAnswer, match="at least one item; send one per line"):
        answers.parse_list(text, what="in scope", required=True)


def test_none_clears_an_optional_list() -> None:
    """`none` as the whole answer to an optional list means no items."""
    assert answers.parse_list(" None ", what="notes", required=False) == ()


def test_none_is_refused_by_a_required_list() -> None:
    """`none` means no answer everywhere; a required list refuses it instead of storing it."""
    with pytest.raises(InvalidAnswer, match="needs at least one item, so `none` can't"):
        answers.parse_list("none", what="in scope", required=True)


def test_a_repeated_item_is_refused_by_name() -> None:
    """Eleven identical items (any case or spacing) are refused, naming the item and count."""
    typed = "\n".join(["- Retry budget"] * 10 + ["retry   BUDGET"])
    with pytest.raises(InvalidAnswer, match="“Retry budget” is listed 11 times; keep each item"):
        answers.parse_list(typed, what="in scope", required=True)


def test_an_ordered_list_keeps_repeated_steps() -> None:
    """A plan may run the same step twice, so ordered lists keep repeats."""
    steps = answers.parse_list(
        "Run tests\nDeploy\nRun tests", what="plan", required=True, unique=False
    )
    assert steps == ("Run tests", "Deploy", "Run tests")


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("none", []),
        ("- a\nnone", ["none"]),
        ("- a\n- cancel", []),
        ("first\n  CANCEL \nedit title", ["CANCEL", "edit title"]),
    ],
)
def test_command_lines_are_bare_lines_of_longer_messages(text: str, lines: list[str]) -> None:
    """Only a line that is a control word alone, without a list marker, counts."""
    assert [line for line, _ in answers.command_lines(text)] == lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [("m3", "M3"), ("M3", "M3"), ("  3 ", "M3"), ("`M6`", "M6"), ("1", "M1"), ("3.", "M3")],
)
def test_single_choice(text: str, expected: str) -> None:
    """A single choice is the option in any case, or its number in the list shown."""
    assert answers.parse_single_choice(text, MILESTONES) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7", "There is no option 7; pick a number from 1 to 6."),
        ("0", "There is no option 0; pick a number from 1 to 6."),
        (
            "M9",
            "`M9` isn't one of the choices. Pick one of M1, M2, M3, M4, M5, M6 (or its number).",
        ),
        ("", "Pick one of M1"),
        ("9" * 5000, "There is no option 9999"),
    ],
)
def test_single_choice_refusals(text: str, message: str) -> None:
    """A choice that is not an option is refused, naming the options or the number range."""
    with pytest.raises(InvalidAnswer) as exc:
        answers.parse_single_choice(text, MILESTONES)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "picked"),
    [
        ("1 3", (0, 2)),
        ("3,1", (0, 2)),
        ("1, 3 ,5", (0, 2, 4)),
        ("2 2 2", (1,)),
        ("all", (0, 1, 2, 3, 4)),
        ("ALL", (0, 1, 2, 3, 4)),
        ("none", ()),
        (" None\u200b", ()),
    ],
)
def test_multiple_choice(text: str, picked: tuple[int, ...]) -> None:
    """Multiple choice takes numbers split by spaces or commas, `all` or `none`, in option order."""
    expected = tuple(INVARIANTS[i] for i in picked)
    assert answers.parse_multiple_choice(text, INVARIANTS) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7", "There is no option 7; pick numbers from 1 to 5."),
        ("1 7", "There is no option 7; pick numbers from 1 to 5."),
        ("one", "`one` is not an option number; pick numbers from 1 to 5."),
        ("", "Pick option numbers like `1 3`, or `all`, or `none`."),
        ("1-3", "`1-3` is not an option number"),
    ],
)
def test_multiple_choice_refusals(text: str, message: str) -> None:
    """An out-of-range or unreadable choice is refused with the valid range."""
    with pytest.raises(InvalidAnswer) as exc:
        answers.parse_multiple_choice(text, INVARIANTS)
    assert str(exc.value).startswith(message)


def _checked() -> GateState:
    return GateState(status=GateStatus.CHECKED)


def _na(reason: str) -> GateState:
    return GateState(status=GateStatus.NOT_APPLICABLE, reason=reason)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("done 1 2", {1: _checked(), 2: _checked()}),
        ("DONE 2,1", {1: _checked(), 2: _checked()}),
        ("n/a 8: no dashboards for this service", {8: _na("no dashboards for this service")}),
        ("N/A 6 7:  no service  here ", {6: _na("no service here"), 7: _na("no service here")}),
        ("na 3: pure refactor", {3: _na("pure refactor")}),
        ("done 2\n\nn/a 6: no dashboards", {2: _checked(), 6: _na("no dashboards")}),
        ("- done 1\n- n/a 6: why: because", {1: _checked(), 6: _na("why: because")}),
        ("done: 1", {1: _checked()}),
        ("none", {}),
        (" NONE ", {}),
    ],
)
def test_gates(text: str, expected: dict[int, GateState]) -> None:
    """Gate lines settle the numbered gates: `done` ticks, `n/a` ticks with a reason."""
    assert answers.parse_gates(text, GATES) == {GATES[n - 1]: s for n, s in expected.items()}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("n/a 8", "Say why it doesn't apply, e.g. `n/a 8: no dashboards for this service`."),
        ("n/a 8:   ", "Say why it doesn't apply"),
        ("done 16", "There is no option 16; pick numbers from 1 to 15."),
        ("tick 1", "I can't read “tick 1”: start each line with `done` or `n/a`"),
        ("done", "Name the gates by number, e.g. `done 1 2`."),
        ("done 1: because", "Only `n/a` lines take a reason"),
        ("done 3\nn/a 3: nope", "Gate 3 has two decisions; keep one line for it."),
        ("none\ndone 1", "I can't read “none”"),
        ("", "Send `done 1 2`, `n/a 8: reason`, or `none`."),
    ],
)
def test_gates_refusals(text: str, message: str) -> None:
    """Unreadable gate lines are refused with an example of the line to send."""
    with pytest.raises(InvalidAnswer) as exc:
        answers.parse_gates(text, GATES)
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "control"),
    [
        ("skip", Control("skip")),
        ("  SKIP \n", Control("skip")),
        ("Back", Control("back")),
        ("preview", Control("preview")),
        ("file", Control("file")),
        ("cancel", Control("cancel")),
        ("help", Control("help")),
        ("\u200bhelp", Control("help")),
        ("edit problem statement", Control("edit", "problem statement")),
        ("EDIT   Problem   Statement", Control("edit", "Problem Statement")),
        ("edit", Control("edit", "")),
        ("skip this one", None),
        ("please skip", None),
        ("skip\nmore", None),
        ("edit path\nloses acks", None),
        ("skipping", None),
        ("", None),
    ],
)
def test_control_words(text: str, control: Control | None) -> None:
    """A control word counts only as the whole single-line message, in any case."""
    assert answers.parse_control(text) == control


BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]


@pytest.mark.parametrize("char", BIDI)
def test_bidi_controls_are_refused_by_name(char: str) -> None:
    """Text-direction controls are refused, naming the character and the Trojan Source risk."""
    for question in FLOW.sections:
        with pytest.raises(InvalidAnswer) as exc:
            question.parse(f"1 ok{char}text", Draft(id="d"))
        message = str(exc.value)
        assert f"U+{ord(char):04X}" in message
        assert "Trojan Source" in message


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\x0b"])
def test_control_characters_are_refused(char: str) -> None:
    """NUL, escape and other control characters are refused, naming the code point."""
    with pytest.raises(InvalidAnswer, match=f"U\\+{ord(char):04X}"):
        answers.parse_list(f"item{char}", what="notes", required=False)


def test_zero_width_inside_a_title_is_refused() -> None:
    """A zero-width character inside a title is refused so titles read and search as they look."""
    with pytest.raises(InvalidAnswer, match="U\\+200B ZERO WIDTH SPACE"):
        answers.parse_title("Order\u200breconciler", limit=242, prefix="[Reliability] ")


def test_zero_width_at_the_ends_of_a_title_is_trimmed() -> None:
    """Zero-width characters at a title's ends are trimmed, as whitespace is."""
    text = "\ufeff Order reconciler double-submits cancels\u200b "
    assert answers.parse_title(text, limit=242, prefix="[Reliability] ") == (
        "Order reconciler double-submits cancels"
    )


def test_zero_width_inside_other_answers_is_kept() -> None:
    """Zero-width characters are only trimmed at the ends; inside a list item they stay."""
    assert answers.parse_list("a\u200db", what="notes", required=False) == ("a\u200db",)


def test_title_with_newlines_is_refused() -> None:
    """A title must be one line; the refusal counts the lines and says where detail goes."""
    with pytest.raises(InvalidAnswer) as exc:
        answers.parse_title("Line one\nline two\n\nline three", limit=242, prefix="[R] ")
    assert str(exc.value) == (
        "A title is one line; you sent 3 lines. Put the detail in the problem statement."
    )


def test_title_length_limit_is_stated() -> None:
    """A title over the limit is refused, stating the limit, its length and how much to cut."""
    with pytest.raises(InvalidAnswer) as exc:
        answers.parse_title("x" * 250, limit=242, prefix="[Reliability] ")
    assert str(exc.value) == (
        "Titles can be at most 242 characters (GitHub's 256 minus “[Reliability] ”); "
        "yours is 250. Cut 8."
    )


def test_title_at_the_limit_is_accepted() -> None:
    """A title of exactly the limit fits."""
    assert answers.parse_title("x" * 242, limit=242, prefix="[Reliability] ") == "x" * 242


def test_typed_title_prefix_is_dropped() -> None:
    """A title typed with the template's prefix does not get it twice."""
    title = answers.parse_title("[reliability] Cancel storm", limit=242, prefix="[Reliability] ")
    assert title == "Cancel storm"


@pytest.mark.parametrize(
    ("text", "count"), [("one\n\ntwo\n\nthree", 3), ("a\n \nb", 2), ("a\n\u200b\nb", 2)]
)
def test_problem_statement_must_be_one_paragraph(text: str, count: int) -> None:
    """A paragraph answer with blank lines between text is refused, counting the paragraphs."""
    with pytest.raises(InvalidAnswer) as exc:
        answers.parse_paragraph(text, what="problem statement")
    assert str(exc.value).startswith(
        f"The problem statement should be one paragraph; you sent {count}."
    )


def test_paragraph_keeps_its_line_breaks() -> None:
    """Single line breaks stay inside the paragraph; outer blank lines go."""
    text = "\n\nFirst line\nsecond line  \n\n"
    assert answers.parse_paragraph(text, what="problem") == "First line\nsecond line"


def test_sentence_joins_lines() -> None:
    """A one-line field joins the lines it was sent as with spaces."""
    assert answers.parse_sentence("Less risk\n  for everyone ", what="objective") == (
        "Less risk for everyone"
    )


def test_line_separators_count_as_line_breaks() -> None:
    """U+2028 cannot smuggle a second line into a title."""
    with pytest.raises(InvalidAnswer, match="A title is one line"):
        answers.parse_title("one\u2028two", limit=242, prefix="[R] ")


@pytest.mark.parametrize(
    "items", [(), ("one",), ("a", "b c", "3.5 ms"), ("- starts with dash", "1. numbered")]
)
def test_format_list_round_trips(items: tuple[str, ...]) -> None:
    """A list formatted for retyping parses back to the same items."""
    text = answers.format_list(items, ordered=False)
    if items:
        assert answers.parse_list(text, what="x", required=True) == items
        ordered = answers.format_list(items, ordered=True)
        assert answers.parse_list(ordered, what="x", required=True) == items
    else:
        assert text == ""


def test_format_gates_round_trips() -> None:
    """Gates formatted for retyping parse back to the same decisions."""
    gates = {GATES[0]: _checked(), GATES[4]: _checked(), GATES[7]: _na("no rollout: flag only")}
    text = answers.format_gates(gates, GATES)
    assert text == "done 1 5\nn/a 8: no rollout: flag only"
    assert answers.parse_gates(text, GATES) == gates
    assert answers.format_gates({}, GATES) == "none"


def test_format_multiple_choice_round_trips() -> None:
    """Chosen options formatted as numbers parse back to the same options."""
    picked = (INVARIANTS[1], INVARIANTS[3])
    text = answers.format_multiple_choice(picked, INVARIANTS)
    assert text == "2 4"
    assert answers.parse_multiple_choice(text, INVARIANTS) == picked
    assert answers.format_multiple_choice((), INVARIANTS) == "none"


# One question per kind, so every parser meets arbitrary text.
KINDS = {q.kind: q for q in FLOW.sections}


def test_every_kind_is_exercised() -> None:
    """The flow has a question of every kind, so the property test below covers them all."""
    assert set(KINDS) == set(QuestionKind)


@pytest.mark.parametrize("question", list(FLOW.sections), ids=lambda q: q.id)
@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=400) | st.from_regex(r"(done|n/a|\d| |,|:|\n|-|all|none)*"))
def test_any_text_parses_or_is_refused(question, text: str) -> None:
    """Any text either parses into valid draft changes or raises InvalidAnswer, nothing else."""
    draft = Draft(id="d")
    try:
        changes = question.parse(text, draft)
    except InvalidAnswer as exc:
        assert str(exc)
        return
    updated = draft.with_changes(changes)
    assert set(changes) == set(question.fields)
    assert Draft.model_validate_json(updated.model_dump_json()) == updated


def test_exactly_the_control_characters_but_tab_and_line_feed_are_refused() -> None:
    """Every character of Unicode's category Cc except tab and line feed is refused (CR is
    a line ending, normalized first), and no other character is taken for one."""
    for code in range(0x3000):
        ch = chr(code)
        control = unicodedata.category(ch) == "Cc" and ch not in "\n\t\r"
        bidi = ch in BIDI_CONTROLS
        try:
            check_text(f"a{ch}b")
        except InvalidAnswer:
            assert control or bidi, f"U+{code:04X} was refused"
        else:
            assert not (control or bidi), f"U+{code:04X} was let through"
