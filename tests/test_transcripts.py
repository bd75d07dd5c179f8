"""Whole conversations replayed through the engine, checked against the final draft and issue."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.draft import Draft, DraftStatus, GateStatus
from flows.engine import advance, start
from flows.outcome import Action, Outcome, ReplyKind
from flows.questions import Flow, build_flow
from flows.render import render_body
from flows.template import Template, load_template

FLOW = build_flow(load_template())


@dataclass(frozen=True)
class Turn:
    """One message of a transcript and what the bot must answer."""

    text: str
    reply: ReplyKind  # kind of the first reply
    snippet: str = ""  # must appear in one of the replies


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template()


@pytest.fixture(scope="module")
def flow(template: Template) -> Flow:
    return build_flow(template)


def play(flow: Flow, draft: Draft, turns: list[Turn]) -> tuple[Draft, list[Outcome]]:
    """Replay `turns`, checking each reply; also checks the journal (changes) folds to the draft."""
    outcome = start(flow, draft)
    outcomes = [outcome]
    folded = draft.with_changes(outcome.changes)
    for turn in turns:
        outcome = advance(flow, outcome.draft, turn.text)
        outcomes.append(outcome)
        where = f"after {turn.text!r}"
        assert outcome.replies[0].kind is turn.reply, (where, outcome.replies)
        texts = "\n".join(r.text for r in outcome.replies)
        assert turn.snippet in texts, (where, texts)
        if outcome.kind == "rejected":
            assert outcome.changes == {}, where
        folded = folded.with_changes(outcome.changes)
        assert folded == outcome.draft, where
        assert Draft.model_validate_json(outcome.draft.model_dump_json()) == outcome.draft
    return outcome.draft, outcomes


Q = ReplyKind.QUESTION

COMPLETE = [
    Turn("help", ReplyKind.HELP, "One line, up to 242 characters"),
    Turn("Reconciler double-submits\ncancels", ReplyKind.INVALID, "A title is one line"),
    Turn(
        "[Reliability] Reconciler double-submits cancels after a venue timeout",
        Q,
        "*Question 2 of 16 · Target milestone*",
    ),
    Turn(
        "M7",
        ReplyKind.INVALID,
        "`M7` isn't one of the choices. Pick one of M1, M2, M3, M4, M5, M6 (or its number).",
    ),
    Turn("3", Q, "*Question 3 of 16 · Risk-reduction objective*"),
    Turn(
        "Cancels that time out are never resent blind,\nso exposure stays bounded.",
        Q,
        "*Question 4 of 16 · Problem statement*",
    ),
    Turn("skip", ReplyKind.INVALID, "*Problem statement* can't be skipped"),
    Turn(
        "When the FIX gateway times out on a cancel, the reconciler marks the order live and "
        "sends another cancel.\n\nThe venue rejects the duplicate.",
        ReplyKind.INVALID,
        "The problem statement should be one paragraph; you sent 2.",
    ),
    Turn(
        "When the FIX gateway times out on a cancel, the reconciler marks the order live and "
        "sends another cancel; the venue rejects the duplicate and the retry loop starves "
        "protective exits for up to 40 s.",
        Q,
        "1. Protective exits remain unblocked.",
    ),
    Turn("1 7", ReplyKind.INVALID, "There is no option 7; pick numbers from 1 to 5."),
    Turn("1, 2 3", Q, "*Question 6 of 16 · Additional invariants*"),
    Turn("- A cancel is sent at most once per order per venue session", Q, "In scope"),
    Turn(
        "• Cancel path in the order reconciler\n• Timeout classification for cancel acks",
        Q,
        "*Question 8 of 16 · Out of scope*",
    ),
    Turn("back", Q, "_Current answer:_\n- Cancel path in the order reconciler"),
    Turn("skip", Q, "*Question 8 of 16 · Out of scope*"),
    Turn("skip", Q, "*Question 9 of 16 · File touch plan*"),
    Turn("", ReplyKind.INVALID, "The file touch plan needs at least one item; send one per line."),
    Turn(
        "execution/reconciler.py\n\nexecution/venues/timeouts.py\n"
        "tests/execution/test_reconciler_cancel.py",
        Q,
        "Implementation plan",
    ),
    Turn("preview", ReplyKind.PREVIEW, "1 required question left: Implementation plan."),
    Turn(
        "1) Classify cancel timeouts as ambiguous\n"
        "2) Reconcile ambiguous cancels against order status\n"
        "3) Cap retries per order and journal each attempt",
        Q,
        "Optional: `skip` keeps `pytest -q`.",
    ),
    Turn("skip", Q, "Adversarial scenarios"),
    Turn("- Venue acks the cancel after our timeout fires", Q, "Telemetry events"),
    Turn("- order.cancel.ambiguous", Q, "Docs touched"),
    Turn("- docs/runbooks/venue_timeouts.md", Q, "Notes and assumptions"),
    Turn("skip", Q, "*Question 16 of 16 · Gates already settled*"),
    Turn("n/a 6", ReplyKind.INVALID, "Say why it doesn't apply"),
    Turn("done 2\nn/a 6: no dashboards for this service", ReplyKind.PREVIEW, "That's everything."),
    Turn("ship it", ReplyKind.INFO, "Type `file` to file it on GitHub"),
    Turn("edit roadmap", Q, "*Editing · Roadmap reference*"),
    Turn("skip", ReplyKind.PREVIEW, "Type `file`"),
    Turn("file", ReplyKind.INFO, "Filing"),
]

EXPECTED_BODY = """\
## Milestone Context

- Roadmap reference: `docs/execution_roadmap_90d.md`
- Target milestone: `M3`
- Risk-reduction objective: Cancels that time out are never resent blind, so exposure stays \
bounded.

## Problem Statement

When the FIX gateway times out on a cancel, the reconciler marks the order live and sends \
another cancel; the venue rejects the duplicate and the retry loop starves protective exits \
for up to 40 s.

## Invariants Strengthened

- [x] Protective exits remain unblocked.
- [x] No infinite create/cancel/replace loops.
- [x] Worst-case exposure remains bounded under ambiguity.
- [ ] Reconcile remains authority over speculative request outcomes.
- [ ] Critical behavior is replayable from journal + evidence.

List any additional invariant(s) for this milestone:

- A cancel is sent at most once per order per venue session

## Scope

### In scope
- Cancel path in the order reconciler
- Timeout classification for cancel acks

### Out of scope
- _None_

## File Touch Plan

- execution/reconciler.py
- execution/venues/timeouts.py
- tests/execution/test_reconciler_cancel.py

## Implementation Plan

1. Classify cancel timeouts as ambiguous
2. Reconcile ambiguous cancels against order status
3. Cap retries per order and journal each attempt

## Test Gates (Required)

### Unit tests
- [ ] Added/updated unit tests for new behavior.
- [x] Existing related unit suites pass.

Commands:
```bash
pytest -q
```

### Adversarial/chaos validation
- [ ] Added or updated at least one adversarial scenario test (when applicable).
- [ ] Scenario validates invariant outcomes, not only happy-path outputs.

Scenario(s):

- Venue acks the cancel after our timeout fires

## Telemetry and Observability

- [ ] New/changed behavior emits structured telemetry.
- [x] Dashboard/alert impact reviewed. — N/A: no dashboards for this service
- [ ] Correlation/reason fields preserved for incident tracing.

Telemetry events touched:

- order.cancel.ambiguous

## Rollout and Safety

- [ ] Feature-gated or staged rollout plan documented (if needed).
- [ ] Failure fallback behavior is explicit and bounded.
- [ ] Recovery behavior and unlock conditions are defined.

## Documentation Updates (Required)

- [ ] Updated at least one reliability doc/runbook.
- [ ] Added operator-facing notes for incident diagnosis if behavior changed.

Docs touched:

- docs/runbooks/venue_timeouts.md

## Acceptance Criteria

- [ ] All declared invariants hold in tests.
- [ ] No regression in critical execution/reconcile paths.
- [ ] Review confirms bounded behavior under ambiguous exchange responses.

## Notes / Assumptions

- _None_

<!-- milestone-draft: ms-42 -->"""


def test_complete_typed_draft_to_file(flow: Flow, template: Template) -> None:
    """A whole draft typed from start to `file`, with mistakes on the way, renders as expected."""
    draft, outcomes = play(flow, Draft(id="ms-42", author="U1"), COMPLETE)
    assert outcomes[-1].action is Action.FILE
    assert draft.status is DraftStatus.PREVIEW
    assert draft.title == "Reconciler double-submits cancels after a venue timeout"
    assert draft.target_milestone == "M3"
    assert draft.out_of_scope == () and draft.notes == ()
    assert draft.test_commands == ("pytest -q",)
    gates = flow.question("gates").options
    assert draft.gate(gates[1]).status is GateStatus.CHECKED
    assert draft.gate(gates[5]).reason == "no dashboards for this service"
    assert len(draft.gates) == 2
    assert render_body(template, draft) == EXPECTED_BODY
    # Seven refused answers and one remark at the preview: all kept for the journal.
    rejected = [o for o in outcomes if o.kind == "rejected"]
    assert len(rejected) == 8


def test_title_given_at_start_counts_fifteen(flow: Flow) -> None:
    """With the title given at start the author answers fifteen questions, numbered of 15."""
    turns = [Turn(q.example, Q) for q in flow.questions[1:-1]]
    turns.append(Turn(flow.questions[-1].example, ReplyKind.PREVIEW, "That's everything."))
    draft = Draft(id="ms-7", title="Cancel storm after venue timeout")
    first = start(flow, draft)
    assert first.replies[0].text.startswith("*Question 1 of 15 · Target milestone*")
    final, outcomes = play(flow, draft, turns)
    progresses = [o.replies[0].progress for o in outcomes[:-1]]
    assert progresses == [(n, 15) for n in range(1, 16)]
    assert final.title == "Cancel storm after venue timeout"


def test_edit_from_preview_transcript(flow: Flow, template: Template) -> None:
    """Editing two sections from the preview changes just those and returns to the preview."""
    to_preview = [Turn(q.example, Q) for q in flow.questions[:-1]]
    to_preview.append(Turn("none", ReplyKind.PREVIEW))
    turns = [
        *to_preview,
        Turn("edit milestone", Q, "_Current answer:_ M3"),
        Turn("m1", ReplyKind.PREVIEW),
        Turn("edit nonsense", ReplyKind.INVALID, "There's no section “nonsense”."),
        Turn("edit implementation", Q, "1. Classify cancel timeouts as ambiguous instead"),
        Turn("Just one step", ReplyKind.PREVIEW),
        Turn("file", ReplyKind.INFO),
    ]
    draft, outcomes = play(flow, Draft(id="ms-8"), turns)
    assert outcomes[-1].action is Action.FILE
    assert draft.target_milestone == "M1"
    assert draft.implementation_plan == ("Just one step",)
    body = render_body(template, draft)
    assert "- Target milestone: `M1`" in body
    assert "## Implementation Plan\n\n1. Just one step\n\n## Test Gates" in body


def test_cancel_transcript(flow: Flow) -> None:
    """Cancelling partway ends the conversation with the draft cancelled."""
    turns = [
        Turn("back", ReplyKind.INFO, "nothing to go back to"),
        Turn("Stale quotes after reconnect", Q),
        Turn("cancel", ReplyKind.CANCELLED, "nothing was filed"),
    ]
    draft, outcomes = play(flow, Draft(id="ms-9"), turns)
    assert draft.status is DraftStatus.CANCELLED
    assert outcomes[-1].action is Action.CANCEL


WORDS = ["skip", "back", "preview", "help", "file", "edit notes", "edit title", "edit roadmap"]


@settings(max_examples=60, deadline=None)
@given(
    choices=st.lists(
        st.one_of(
            st.sampled_from(["example", "example", "example", *WORDS]),
            st.text(max_size=40),
        ),
        max_size=40,
    )
)
def test_random_conversations_fold_and_round_trip(choices: list[str]) -> None:
    """Any conversation's journal of changes folds to its draft, which round-trips through JSON."""
    flow = FLOW
    draft = Draft(id="ms-h")
    turns: list[str] = []
    outcome = start(flow, draft)
    folded = draft.with_changes(outcome.changes)
    for choice in choices:
        current = outcome.draft
        if current.status is not DraftStatus.DRAFTING and current.status is not (
            DraftStatus.PREVIEW
        ):
            break
        text = choice
        if choice == "example":
            step = current.flow.step
            text = flow.question(step).example if step else "file"
        turns.append(text)
        outcome = advance(flow, current, text)
        folded = folded.with_changes(outcome.changes)
        assert folded == outcome.draft, turns
        assert Draft.model_validate_json(outcome.draft.model_dump_json()) == outcome.draft
        if outcome.action is Action.FILE:
            break
