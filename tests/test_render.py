"""Rendering a draft as its GitHub issue: exact Markdown, the template's words, escaping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from mdit_py_plugins.tasklists import tasklists_plugin

from flows.draft import Draft, GateState, GateStatus
from flows.markdown_text import (
    code_span,
    escape_line,
    escape_paragraph,
    read_code_span,
    unescape,
)
from flows.render import (
    ADDITIONAL_INVARIANTS_LEAD,
    COMMANDS_LEAD,
    DOCS_LEAD,
    MAX_BODY,
    MILESTONE_LABEL,
    OBJECTIVE_LABEL,
    ROADMAP_LABEL,
    SCENARIOS_LEAD,
    TELEMETRY_LEAD,
    body_budget,
    marker,
    render_body,
    render_issue,
)
from flows.template import load_template

TEMPLATE_FILE = (
    Path(__file__).resolve().parents[1] / "flows" / "templates" / "reliability_milestone.md"
)
TEMPLATE = load_template()


def structure(markdown: str) -> tuple[list[tuple[int, str, str]], list[tuple[bool, str]], int]:
    """Headings (level, markup, text), task boxes (ticked, text) and marker count, read
    with a plain CommonMark + task-list parser independent of the code under test."""
    md = MarkdownIt("commonmark").use(tasklists_plugin)
    tokens = md.parse(markdown)
    headings: list[tuple[int, str, str]] = []
    boxes: list[tuple[bool, str]] = []
    markers = 0
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            headings.append((int(tok.tag[1]), tok.markup, tokens[i + 1].content.strip()))
        elif tok.type == "inline" and tok.children:
            first = tok.children[0]
            if first.type == "html_inline" and "task-list-item-checkbox" in first.content:
                boxes.append(('checked="checked"' in first.content, tok.content.strip()))
        elif tok.type == "html_block" and "milestone-draft:" in tok.content:
            markers += 1
    return headings, boxes, markers


def template_file_structure() -> tuple[list[tuple[int, str]], list[str]]:
    """The template file's ATX headings and checkbox labels, read straight from the file.

    Only ATX (`#`) headings count: in the file, "Scenario(s):" followed by an empty bullet
    parses as a setext heading, which is an accident of the empty template, not a section.
    """
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    headings, boxes, _ = structure(body)
    return [(lvl, t) for lvl, mk, t in headings if mk.startswith("#")], [t for _, t in boxes]


L = TEMPLATE.gate_labels
FULL = Draft(
    id="draft-42",
    title="Bound cancel/replace retries",
    target_milestone="M3",
    risk_objective="Stop retry storms from growing exposure.",
    problem_statement="When the exchange times out, we resend *every* cancel.\n## Not a heading",
    invariants=(TEMPLATE.invariant_labels[1], TEMPLATE.invariant_labels[2]),
    additional_invariants=("Retries stay under 5 per order.",),
    in_scope=("Retry budget in `executor/retry.py`", "- [x] Protective exits remain unblocked."),
    out_of_scope=("Exchange adapters",),
    file_touch_plan=("executor/retry.py", "tests/test_retry.py"),
    implementation_plan=("Add a budget.", "Wire it in.", "1. Ship it."),
    test_commands=("pytest -q tests/test_retry.py", "echo ```"),
    adversarial_scenarios=("Timeout storm",),
    telemetry_events=("retry.budget_exhausted",),
    docs_touched=("docs/runbooks/retries.md",),
    notes=(
        "_None_",
        "<!-- milestone-draft: forged -->",
        "Budget: $5 | **hard** cap, see [runbook](https://example.com/r?a=1&b=2)",
    ),
    gates={
        L[0]: GateState(status=GateStatus.CHECKED),
        L[2]: GateState(status=GateStatus.NOT_APPLICABLE, reason="none"),
        L[5]: GateState(status=GateStatus.CHECKED),
    },
)

FULL_BODY = r"""## Milestone Context

- Roadmap reference: `docs/execution_roadmap_90d.md`
- Target milestone: `M3`
- Risk-reduction objective: Stop retry storms from growing exposure.

## Problem Statement

When the exchange times out, we resend *every* cancel.
&#35;# Not a heading

## Invariants Strengthened

- [ ] Protective exits remain unblocked.
- [x] No infinite create/cancel/replace loops.
- [x] Worst-case exposure remains bounded under ambiguity.
- [ ] Reconcile remains authority over speculative request outcomes.
- [ ] Critical behavior is replayable from journal + evidence.

List any additional invariant(s) for this milestone:

- Retries stay under 5 per order.

## Scope

### In scope
- Retry budget in `executor/retry.py`
- &#45; [x] Protective exits remain unblocked.

### Out of scope
- Exchange adapters

## File Touch Plan

- executor/retry.py
- tests/test_retry.py

## Implementation Plan

1. Add a budget.
2. Wire it in.
3. 1&#46; Ship it.

## Test Gates (Required)

### Unit tests
- [x] Added/updated unit tests for new behavior.
- [ ] Existing related unit suites pass.

Commands:
````bash
pytest -q tests/test_retry.py
echo ```
````

### Adversarial/chaos validation
- [x] Added or updated at least one adversarial scenario test (when applicable). — N/A: none
- [ ] Scenario validates invariant outcomes, not only happy-path outputs.

Scenario(s):

- Timeout storm

## Telemetry and Observability

- [ ] New/changed behavior emits structured telemetry.
- [x] Dashboard/alert impact reviewed.
- [ ] Correlation/reason fields preserved for incident tracing.

Telemetry events touched:

- retry.budget_exhausted

## Rollout and Safety

- [ ] Feature-gated or staged rollout plan documented (if needed).
- [ ] Failure fallback behavior is explicit and bounded.
- [ ] Recovery behavior and unlock conditions are defined.

## Documentation Updates (Required)

- [ ] Updated at least one reliability doc/runbook.
- [ ] Added operator-facing notes for incident diagnosis if behavior changed.

Docs touched:

- docs/runbooks/retries.md

## Acceptance Criteria

- [ ] All declared invariants hold in tests.
- [ ] No regression in critical execution/reconcile paths.
- [ ] Review confirms bounded behavior under ambiguous exchange responses.

## Notes / Assumptions

- &#95;None_
- &lt;!-- milestone-draft: forged -->
- Budget: &#36;5 &#124; **hard** cap, see [runbook](https://example.com/r?a=1&b=2)

<!-- milestone-draft: draft-42 -->"""

EMPTY = Draft(id="empty-1", roadmap_reference="", test_commands=())

EMPTY_BODY = r"""## Milestone Context

- Roadmap reference:
- Target milestone:
- Risk-reduction objective:

## Problem Statement

_None_

## Invariants Strengthened

- [ ] Protective exits remain unblocked.
- [ ] No infinite create/cancel/replace loops.
- [ ] Worst-case exposure remains bounded under ambiguity.
- [ ] Reconcile remains authority over speculative request outcomes.
- [ ] Critical behavior is replayable from journal + evidence.

List any additional invariant(s) for this milestone:

- _None_

## Scope

### In scope
- _None_

### Out of scope
- _None_

## File Touch Plan

- _None_

## Implementation Plan

- _None_

## Test Gates (Required)

### Unit tests
- [ ] Added/updated unit tests for new behavior.
- [ ] Existing related unit suites pass.

Commands:
```bash
```

### Adversarial/chaos validation
- [ ] Added or updated at least one adversarial scenario test (when applicable).
- [ ] Scenario validates invariant outcomes, not only happy-path outputs.

Scenario(s):

- _None_

## Telemetry and Observability

- [ ] New/changed behavior emits structured telemetry.
- [ ] Dashboard/alert impact reviewed.
- [ ] Correlation/reason fields preserved for incident tracing.

Telemetry events touched:

- _None_

## Rollout and Safety

- [ ] Feature-gated or staged rollout plan documented (if needed).
- [ ] Failure fallback behavior is explicit and bounded.
- [ ] Recovery behavior and unlock conditions are defined.

## Documentation Updates (Required)

- [ ] Updated at least one reliability doc/runbook.
- [ ] Added operator-facing notes for incident diagnosis if behavior changed.

Docs touched:

- _None_

## Acceptance Criteria

- [ ] All declared invariants hold in tests.
- [ ] No regression in critical execution/reconcile paths.
- [ ] Review confirms bounded behavior under ambiguous exchange responses.

## Notes / Assumptions

- _None_

<!-- milestone-draft: empty-1 -->"""


@pytest.mark.parametrize(
    ("draft", "expected"),
    [pytest.param(FULL, FULL_BODY, id="full"), pytest.param(EMPTY, EMPTY_BODY, id="empty")],
)
def test_golden_body(draft: Draft, expected: str) -> None:
    """A draft renders to exactly the expected Markdown."""
    assert render_body(TEMPLATE, draft) == expected


def test_issue_title_and_labels_come_from_the_template() -> None:
    """The title is the template's prefix plus the draft's title; labels are the template's."""
    issue = render_issue(TEMPLATE, FULL)
    assert issue.title == "[Reliability] Bound cancel/replace retries"
    assert issue.labels == ("reliability", "execution")
    assert issue.body == FULL_BODY


@pytest.mark.parametrize("draft", [FULL, EMPTY], ids=["full", "empty"])
def test_headings_are_the_template_files(draft: Draft) -> None:
    """The rendered headings are the template file's headings, in its order and words."""
    file_headings, _ = template_file_structure()
    headings, _, _ = structure(render_body(TEMPLATE, draft))
    assert [(lvl, text) for lvl, _, text in headings] == file_headings
    assert all(markup.startswith("#") for _, markup, _ in headings)


@pytest.mark.parametrize("draft", [FULL, EMPTY], ids=["full", "empty"])
def test_checkbox_labels_are_the_template_files(draft: Draft) -> None:
    """The rendered checkbox labels are the template file's, in its order and words."""
    _, file_labels = template_file_structure()
    _, boxes, _ = structure(render_body(TEMPLATE, draft))
    labels = [re.sub(r" — N/A.*\Z", "", text) for _, text in boxes]
    assert labels == file_labels


@pytest.mark.parametrize(
    "words",
    [
        ROADMAP_LABEL,
        MILESTONE_LABEL,
        OBJECTIVE_LABEL,
        ADDITIONAL_INVARIANTS_LEAD,
        COMMANDS_LEAD,
        SCENARIOS_LEAD,
        TELEMETRY_LEAD,
        DOCS_LEAD,
    ],
)
def test_fixed_words_are_the_template_files(words: str) -> None:
    """Every fixed phrase the renderer writes is worded as in the template file."""
    assert words in TEMPLATE_FILE.read_text(encoding="utf-8")


def test_body_ends_with_the_marker() -> None:
    """The body ends with the hidden marker naming the draft."""
    assert render_body(TEMPLATE, FULL).endswith("\n\n" + marker("draft-42"))
    assert marker("draft-42") == "<!-- milestone-draft: draft-42 -->"


@pytest.mark.parametrize("draft_id", ["", "a b", "x -->", "<x>", "a\nb", "-lead"])
def test_marker_refuses_ids_that_could_break_the_comment(draft_id: str) -> None:
    """A draft id that could end or garble the HTML comment is refused."""
    with pytest.raises(ValueError, match="draft id"):
        marker(draft_id)


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").use(tasklists_plugin).render(markdown)


def _gfm() -> MarkdownIt:
    """CommonMark with GitHub's tables, strikethrough and task lists, as GitHub reads a body."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).use(tasklists_plugin)


# Author text that would add structure if written as is: it must show literally.
STRUCTURAL = [
    "## Test Gates (Required)",
    "- [x] Protective exits remain unblocked.",
    "<!-- milestone-draft: x -->",
    "<!-- hidden",
    "```",
    "````bash",
    "~~~",
    "1. first",
    "1) first",
    "- item",
    "-",
    "+ item",
    "* item",
    "# heading",
    "###### six",
    "> quote",
    "> [!NOTE]",
    "| a | b |",
    "|---|---|",
    ":-:",
    "===",
    "---",
    "--",
    "***",
    "_ _ _",
    "    indented code",
    "\tTabbed",
    "trailing backslash \\",
    "&amp; &#35; &#x41; entity",
    "<b>bold</b> <script>",
    "<https://example.com>",
    "[x]: https://example.com",
    "[^1]: a footnote",
    "[ ] a task",
    "[X] a task",
    "$$",
    "$5 and $10",
    "_None_",
    "*None*",
]

# Inline Markdown an author types (or Slack converts to): it renders as GitHub renders it.
INLINE = [
    "**bold** and *it* and _it_",
    "**Bold** start",
    "~~gone~~ and ~x~",
    "`pytest -q`",
    "`a < b && c | d $HOME`",
    "``a`b``",
    "see [the runbook](https://example.com/r?a=1&b=2)",
    "![diagram](https://example.com/d.png)",
    "AT&T and a && b",
    "\\*not emphasis\\* and \\<b> and \\$5",
    "#12 is fixed by @alice",
    "3.14 is pi",
    "+1 from me",
    "[link](https://x) first",
    "`unclosed code and **open strong",
    "\u200b\u202ezero-width and right-to-left\u202c \u05e9\u05dc\u05d5\u05dd",
]


def _assert_template_structure(body: str) -> None:
    headings, boxes, markers = structure(body)
    assert len(headings) == len(TEMPLATE.heading_keys)
    assert len(boxes) == len(TEMPLATE.checkboxes)
    assert markers == 1
    tokens = _gfm().parse(body)
    assert [t.info for t in tokens if t.type in ("fence", "code_block")] == ["bash"]
    assert not [t for t in tokens if t.type == "table_open"]
    assert [t.type for t in tokens if t.type == "html_block"] == ["html_block"]
    html_inline = [
        c.content
        for t in tokens
        if t.type == "inline"
        for c in t.children or []
        if c.type == "html_inline" and "task-list-item-checkbox" not in c.content
    ]
    assert html_inline == []


@pytest.mark.parametrize("text", STRUCTURAL)
def test_structural_list_item_shows_literally(text: str) -> None:
    """Author text that looks like a block or HTML shows as that literal text in one item."""
    body = render_body(TEMPLATE, Draft(id="d1", notes=(text,)))
    _assert_template_structure(body)
    assert f"<li>{escapeHtml(text)}</li>" in _html(body)
    assert _gfm().render(escape_line(text)) == f"<p>{escapeHtml(text)}</p>\n"


@pytest.mark.parametrize("text", STRUCTURAL + INLINE)
def test_hostile_paragraph_stays_one_paragraph(text: str) -> None:
    """A problem statement holding Markdown renders as one paragraph and adds no structure."""
    paragraph = f"Before\n{text}\nafter"
    body = render_body(TEMPLATE, Draft(id="d1", problem_statement=paragraph))
    _assert_template_structure(body)
    tokens = _gfm().parse(escape_paragraph(paragraph))
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    # Inside a longer paragraph "_None_" is the author's emphasis and a backslash ending a
    # line is the author's hard break: both are inline Markdown, not structure.
    if text in STRUCTURAL and text not in ("_None_", "*None*", "trailing backslash \\"):
        assert _gfm().render(escape_paragraph(paragraph)) == f"<p>{escapeHtml(paragraph)}</p>\n"


@pytest.mark.parametrize("text", INLINE)
def test_inline_markdown_renders_as_github_renders_it(text: str) -> None:
    """Emphasis, code spans, links and escapes in an answer render as the author wrote them."""
    body = render_body(TEMPLATE, Draft(id="d1", notes=(text,)))
    _assert_template_structure(body)
    assert f"<li>{_gfm().renderInline(text)}</li>" in _gfm().render(body)


def test_slack_formatting_reaches_github_as_formatting() -> None:
    """Bold, italics, strike, code and links converted from Slack render, not as markup."""
    text = "**bold** *it* ~~x~~ `pytest -q` [label](https://x)"
    assert escape_line(text) == text
    assert _gfm().renderInline(escape_line(text)) == (
        '<strong>bold</strong> <em>it</em> <s>x</s> <code>pytest -q</code> <a href="https://x">label</a>'
    )


@pytest.mark.parametrize(
    "items",
    [
        ("`open code", "closed` here"),
        ("**open strong", "closed** here"),
        ("[open link", "](https://x)"),
        ("<!-- open comment", "-->"),
    ],
)
def test_an_unclosed_inline_stays_in_its_item(items: tuple[str, str]) -> None:
    """An unclosed code span, emphasis, link or comment does not run into the next item."""
    body = render_body(TEMPLATE, Draft(id="d1", notes=items, problem_statement=items[0]))
    _assert_template_structure(body)
    html = _html(body)
    for item in items:
        assert f"<li>{escapeHtml(item)}</li>" in html
    assert f"<p>{escapeHtml(items[0])}</p>\n<h2>Invariants Strengthened</h2>" in html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Bold** start", "**Bold** start"),
        ("#12 is fixed", "#12 is fixed"),
        ("# heading", "&#35; heading"),
        ("#", "&#35;"),
        ("> [!NOTE]", "&gt; [!NOTE]"),
        ("- item", "&#45; item"),
        ("-x", "-x"),
        ("* item", "&#42; item"),
        ("*it* first", "*it* first"),
        ("***", "&#42;**"),
        ("2) two", "2&#41; two"),
        ("3.14 is pi", "3.14 is pi"),
        ("```", "&#96;&#96;&#96;"),
        ("```x``` inline", "```x``` inline"),
        ("~~~", "&#126;&#126;&#126;"),
        ("[x]: /url", "&#91;x]: /url"),
        ("[^1]: note", "&#91;^1]: note"),
        ("[ ] task", "&#91; ] task"),
        ("[link](https://x) first", "[link](https://x) first"),
        ("<b>", "&lt;b>"),
        ("a < b", "a &lt; b"),
        ("`a < b`", "`a < b`"),
        ("a | b", "a &#124; b"),
        ("$5 and $10", "&#36;5 and &#36;10"),
        ("\\$5", "\\$5"),
        ("AT&T", "AT&T"),
        ("&copy; &#10; &#x41;", "&amp;copy; &amp;#10; &amp;#x41;"),
        ("`&#10;`", "`&#38;#10;`"),
        ("\\<b>", "\\<b>"),
        ("\\\\<b>", "\\\\&lt;b>"),
        ("a\\ ", "a&#92;&#32;"),
        ("a\\", "a\\"),
        ("two\nlines", "two&#10;lines"),
        (" lead", "&#32;lead"),
        ("_None_", "&#95;None_"),
        ("*None*", "&#42;None*"),
        ("_None_ at all", "_None_ at all"),
        ("bell\x07", "bell&#7;"),
    ],
)
def test_escaping_is_minimal_and_reads_back(text: str, expected: str) -> None:
    """Only what would open a block or raw HTML is escaped, and unescape undoes exactly that."""
    assert escape_line(text) == expected
    assert unescape(expected) == text


@pytest.mark.parametrize(
    "source",
    ["&lt;b>", "`&lt;b>`", "&copy;", "a \\& b", "&#x41;", "**x**", "&#99999999;"],
)
def test_unescape_keeps_what_the_bot_did_not_write(source: str) -> None:
    """References in code spans, named entities typed on GitHub and Markdown stay as written."""
    expected = {"&lt;b>": "<b>"}.get(source, source)
    assert unescape(source) == expected


def test_empty_mark_is_distinguishable_from_an_author_none() -> None:
    """An empty list shows the emphasis `_None_`; an answer `_None_` shows its underscores."""
    body = render_body(TEMPLATE, Draft(id="d1", notes=("_None_",), docs_touched=()))
    html = _html(body)
    assert "<li>_None_</li>" in html
    assert "<li><em>None</em></li>" in html


def test_command_with_backtick_fence_cannot_close_the_block() -> None:
    """A command holding ``` or ```` gets a longer fence, so it stays inside the block."""
    body = render_body(TEMPLATE, Draft(id="d1", test_commands=("echo ````", "~~~", "```")))
    assert "`````bash\necho ````\n~~~\n```\n`````" in body
    headings, boxes, _ = structure(body)
    assert len(headings) == len(TEMPLATE.heading_keys)
    assert len(boxes) == len(TEMPLATE.checkboxes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("docs/x.md", "`docs/x.md`"),
        ("a`b", "``a`b``"),
        ("`a", "`` `a ``"),
        ("a``", "``` a`` ```"),
        (" lead", None),
        ("trail ", None),
        ("", None),
        ("two\nlines", None),
    ],
)
def test_code_span_carries_text_exactly_or_declines(text: str, expected: str | None) -> None:
    """A code span is used only when CommonMark gives back exactly the text inside it."""
    assert code_span(text) == expected
    if expected is not None:
        assert read_code_span(expected) == text
        inline = MarkdownIt("commonmark").parseInline(expected)[0].children
        assert inline is not None and inline[0].type == "code_inline"
        assert inline[0].content == text


@pytest.mark.parametrize("value", ["`M3` ", " `x`", "`a`\n", "M3", "``"])
def test_code_value_reads_back_whether_or_not_a_code_span_carries_it(value: str) -> None:
    """A milestone a code span cannot carry is written so it never reads as a code span."""
    body = render_body(TEMPLATE, Draft(id="d1", target_milestone=value))
    line = next(x for x in body.split("\n") if x.startswith(f"- {MILESTONE_LABEL}"))
    written = line.removeprefix(f"- {MILESTONE_LABEL} ")
    assert (read_code_span(written) is not None) == (code_span(value) is not None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb", "a\nb"),
        ("a\n\nb", "a&#10;\nb"),
        ("\na", "&#10;a"),
        ("a  \n  b", "a&#32;&#32;\n&#32;&#32;b"),
        ("x\r\ny", "x&#13;\ny"),
        ("1. one\n2) two", "1&#46; one\n2&#41; two"),
        ("a\n---", "a\n&#45;--"),
        ("a\n==", "a\n&#61;="),
        ("a | b\n--|--", "a &#124; b\n&#45;-&#124;--"),
        ("[a\nb]: /url", "&#91;a\nb]: /url"),
        ("`a\n<div>`", "`a\n&#60;div>`"),
        ("a\\\n\nb", "a&#92;&#10;\nb"),
        ("hard\\\nbreak", "hard\\\nbreak"),
    ],
)
def test_paragraph_escaping_keeps_one_block(text: str, expected: str) -> None:
    """Line breaks stay; a blank line, edge whitespace or a line opening a block is referenced."""
    assert escape_paragraph(text) == expected
    assert unescape(expected) == text
    tokens = _gfm().parse(expected)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]


def test_huge_answer_renders_and_overflows_the_budget() -> None:
    """A 100 KB answer still renders, and the body budget goes negative."""
    huge = "x" * 100_000
    draft = Draft(id="d1", problem_statement=huge, notes=("<" * 1000,))
    body = render_body(TEMPLATE, draft)
    assert huge in body
    assert body_budget(TEMPLATE, draft) == MAX_BODY - len(body) < 0


def test_budget_counts_what_is_left() -> None:
    """The budget is GitHub's limit minus the rendered body's length."""
    assert body_budget(TEMPLATE, FULL) == MAX_BODY - len(FULL_BODY)
    assert body_budget(TEMPLATE, FULL) > 60_000


def test_unknown_invariants_and_gates_are_not_rendered() -> None:
    """Labels the template no longer has do not appear in the body."""
    draft = Draft(
        id="d1",
        invariants=("Gone invariant.",),
        gates={"Gone gate.": GateState(status=GateStatus.CHECKED)},
    )
    body = render_body(TEMPLATE, draft)
    assert "Gone" not in body
    assert "- [x]" not in body
