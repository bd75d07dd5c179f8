"""A draft as the GitHub issue it files: title, labels and the Markdown body.

The body follows the template: its headings in its order and words, its checkbox labels,
and the author's answers where the template has empty bullets or placeholders. Answers are
Markdown inline content (emphasis, code spans, links render); flows.markdown_text writes
them so that nothing an author types can add structure. The body ends with a hidden
marker naming the draft, which is how a filed issue is found again.

Choices kept consistent with flows.parse:
* An empty list or paragraph reads `- _None_` / `_None_`; an answer that is itself
  `_None_` or `*None*` is written so that it shows those characters (`&#95;None_`).
* The roadmap reference and target milestone are shown as code spans, as the template
  shows them; the risk-reduction objective and N/A reasons as inline Markdown.
* The File Touch Plan's instruction line ("List expected files/modules to modify.") is an
  instruction to the author, like the Problem Statement's "Describe ..." line, and is
  replaced by the answer.
* A lead-in line before a list ("Scenario(s):") is followed by a blank line: in the
  template the list follows directly, which makes an empty bullet a setext underline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flows.draft import Draft, GateStatus
from flows.markdown_text import (
    EMPTY_MARK,
    code_block,
    code_span,
    escape_inline,
    escape_line,
    escape_paragraph,
)
from flows.template import Template

MAX_BODY = 65536  # GitHub's limit on an issue body, in characters

# The template's words that are neither headings nor checkbox labels. tests/test_render.py
# checks each against the template file.
ROADMAP_LABEL = "Roadmap reference:"
MILESTONE_LABEL = "Target milestone:"
OBJECTIVE_LABEL = "Risk-reduction objective:"
ADDITIONAL_INVARIANTS_LEAD = "List any additional invariant(s) for this milestone:"
COMMANDS_LEAD = "Commands:"
SCENARIOS_LEAD = "Scenario(s):"
TELEMETRY_LEAD = "Telemetry events touched:"
DOCS_LEAD = "Docs touched:"
COMMANDS_INFO = "bash"
NA_SEPARATOR = " — N/A"  # written after a gate's label; ": <reason>" follows if there is one
EVIDENCE_SEPARATOR = " — evidence: "  # written after a ticked gate's label, then its proof

_DRAFT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def marker(draft_id: str) -> str:
    """The hidden line that ties an issue to its draft."""
    if not _DRAFT_ID.fullmatch(draft_id):
        raise ValueError(f"draft id {draft_id!r} cannot go in an issue marker")
    return f"<!-- milestone-draft: {draft_id} -->"


@dataclass(frozen=True)
class RenderedIssue:
    title: str
    body: str
    labels: tuple[str, ...]


def as_filed(draft: Draft) -> Draft:
    """The draft as it is filed: its notes end by naming the assignee, if there is one.

    The preview renders this too, so it shows exactly what GitHub will.
    """
    if not draft.assignee:
        return draft
    return draft.model_copy(update={"notes": (*draft.notes, f"Assignee: @{draft.assignee}")})


def render_issue(template: Template, draft: Draft) -> RenderedIssue:
    """The issue that filing `draft` creates."""
    return RenderedIssue(
        title=f"{template.title_prefix}{draft.title}",
        body=render_body(template, draft),
        labels=template.labels,
    )


def body_budget(template: Template, draft: Draft) -> int:
    """Characters left before the body reaches GitHub's limit (negative when over)."""
    return MAX_BODY - len(render_body(template, draft))


# The most one character of the draft's JSON can become in the body. A character of an
# answer becomes at most 8 (`&#12288;`, the longest reference the escaping writes, for edge
# whitespace); in the JSON each answer also brings its two quotes, which pays for what the
# body writes around it (a list marker and number, a line break, a gate's ` — evidence: `,
# its share of a command fence that outgrows the backticks it holds).
_GROWTH_PER_JSON_CHAR = 8
_EMPTY_LENGTHS: dict[int, tuple[Template, int]] = {}


def body_length_bound(template: Template, draft: Draft) -> int:
    """A length the body cannot exceed, found without rendering it.

    The body is the template's skeleton plus each piece of the draft's text, escaped. Every
    answer asks whether the body still fits GitHub's limit; for a draft far under it this
    answers in a fraction of a render (the engine renders only when the bound is over).
    """
    return _empty_length(template) + _GROWTH_PER_JSON_CHAR * len(draft.model_dump_json())


def _empty_length(template: Template) -> int:
    """The length of the body of a draft with nothing in it, once per template."""
    cached = _EMPTY_LENGTHS.get(id(template))
    if cached is None or cached[0] is not template:
        cached = (template, len(render_body(template, Draft(id="x" * 128, author=""))))
        _EMPTY_LENGTHS[id(template)] = cached
    return cached[1]


def bullet_list(items: tuple[str, ...] | list[str]) -> list[str]:
    """A bullet list of the items as inline Markdown; `- _None_` when there are none."""
    if not items:
        return [f"- {EMPTY_MARK}"]
    return [f"- {escape_line(item)}" for item in items]


def numbered_list(items: tuple[str, ...] | list[str]) -> list[str]:
    """An ordered list `1. 2. 3.` of inline-Markdown items; `- _None_` when there are none."""
    if not items:
        return [f"- {EMPTY_MARK}"]
    return [f"{n}. {escape_line(item)}" for n, item in enumerate(items, start=1)]


def _labelled(label: str, value: str, *, code: bool) -> str:
    # A code value the code span cannot carry (edge spaces, line breaks) is written as
    # inline Markdown that never reads back as a code span.
    if code:
        shown = code_span(value) or escape_inline(value, no_code_span=True)
    else:
        shown = escape_inline(value)
    return f"- {label} {shown}" if shown else f"- {label}"


def gate_line(label: str, draft: Draft) -> str:
    """The checkbox line of one gate, in the state the draft holds for it."""
    state = draft.gate(label)
    if state.status is GateStatus.UNCHECKED:
        return f"- [ ] {escape_inline(label)}"
    if state.status is GateStatus.CHECKED:
        return f"- [x] {escape_inline(label)}{evidence_suffix(state.evidence)}"
    return f"- [x] {escape_inline(label)}{not_applicable_suffix(state.reason)}"


def not_applicable_suffix(reason: str) -> str:
    """What follows a gate's label when it does not apply: ` — N/A: <reason>`."""
    return f"{NA_SEPARATOR}: {escape_inline(reason)}" if reason else NA_SEPARATOR


def evidence_suffix(reference: str) -> str:
    """What follows a gate's label when it was ticked with evidence: ` — evidence: o/r#1`."""
    return f"{EVIDENCE_SEPARATOR}{escape_inline(reference)}" if reference else ""


def _section(template: Template, key: str, draft: Draft) -> list[str]:
    """The lines under one heading, without the heading and the blank lines around it."""
    if key == "context":
        return [
            _labelled(ROADMAP_LABEL, draft.roadmap_reference, code=True),
            _labelled(MILESTONE_LABEL, draft.target_milestone, code=True),
            _labelled(OBJECTIVE_LABEL, draft.risk_objective, code=False),
        ]
    if key == "problem":
        return [escape_paragraph(draft.problem_statement) or EMPTY_MARK]
    if key == "invariants":
        boxes = [
            f"- [{'x' if label in draft.invariants else ' '}] {escape_inline(label)}"
            for label in template.invariant_labels
        ]
        return [
            *boxes,
            "",
            ADDITIONAL_INVARIANTS_LEAD,
            "",
            *bullet_list(draft.additional_invariants),
        ]
    if key == "in_scope":
        return bullet_list(draft.in_scope)
    if key == "out_of_scope":
        return bullet_list(draft.out_of_scope)
    if key == "file_touch":
        return bullet_list(draft.file_touch_plan)
    if key == "implementation":
        return numbered_list(draft.implementation_plan)
    gates = [gate_line(label, draft) for label in template.labels_in(key)]
    if key == "unit_tests":
        return [*gates, "", COMMANDS_LEAD, code_block(draft.test_commands, COMMANDS_INFO)]
    if key == "adversarial":
        return [*gates, "", SCENARIOS_LEAD, "", *bullet_list(draft.adversarial_scenarios)]
    if key == "telemetry":
        return [*gates, "", TELEMETRY_LEAD, "", *bullet_list(draft.telemetry_events)]
    if key == "documentation":
        return [*gates, "", DOCS_LEAD, "", *bullet_list(draft.docs_touched)]
    if key == "notes":
        return bullet_list(draft.notes)
    return gates  # rollout, acceptance; "scope" and "test_gates" only hold subsections


def drift(template: Template, draft: Draft) -> list[str]:
    """What the draft holds that `template` has no place for, each named with its text.

    A template can drop or reword a gate or invariant line after a draft decided on it.
    The body cannot show such a decision, but the draft keeps it: the surfaces report
    these (show, chat, the preview) rather than lose them without a word.
    """
    kept: list[str] = []
    invariants = set(template.invariant_labels)
    for label in draft.invariants:
        if label not in invariants:
            kept.append(f"invariant “{label}” (strengthened)")
    gates = set(template.gate_labels)
    for label, state in draft.gates.items():
        if label in gates or not state.settled:
            continue
        if state.status is GateStatus.CHECKED:
            kept.append(f"gate “{label}” (done)")
        else:
            reason = f": {state.reason}" if state.reason else ""
            kept.append(f"gate “{label}” (N/A{reason})")
    return kept


def render_body(template: Template, draft: Draft) -> str:
    """The issue body: the template's headings in its order, the answers, then the marker."""
    blocks: list[str] = []
    for key, heading in template.heading_keys.items():
        lines = _section(template, key, draft)
        head = template.heading_line(key)
        if heading.level > 2:
            # The template writes its subsections' lists right under their heading.
            blocks.append("\n".join([head, *lines]) if lines else head)
        else:
            blocks.append(head)
            if lines:
                blocks.append("\n".join(lines))
    blocks.append(marker(draft.id))
    return "\n\n".join(blocks)
