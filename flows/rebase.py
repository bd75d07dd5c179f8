"""Moving a draft onto a newer version of its template, keeping what the author wrote.

Every answer is carried over where its section still exists. A choice whose option is gone
(a milestone, an invariant label) is asked again, and so are the invariants and the gates
when the template's list of them changed (an added gate is a new option the author may
want to settle). Gate states whose label is gone are dropped; settled ones that remain are
kept. Answers the new template has no place for stay in the draft (the preview names them,
as for any template drift). The result is a draft at the first question to ask again, or at
its preview when there is none.
"""

from __future__ import annotations

from flows.draft import Draft, DraftStatus, FlowState
from flows.questions import Flow


def rebase(old: Flow, new: Flow, draft: Draft, template_sha: str) -> tuple[Draft, tuple[str, ...]]:
    """`draft` on `new`'s template (version `template_sha`), and the questions asked again."""
    before, after = old.template, new.template
    changes: dict[str, object] = {"template_sha": template_sha}
    again: list[str] = []
    if draft.target_milestone and draft.target_milestone not in after.milestones:
        changes["target_milestone"] = ""
        again.append("milestone")
    invariants = [label for label in draft.invariants if label in after.invariant_labels]
    if invariants != list(draft.invariants):
        changes["invariants"] = invariants
    if invariants != list(draft.invariants) or before.invariant_labels != after.invariant_labels:
        again.append("invariants")
    gates = {
        label: state.model_dump(mode="json")
        for label, state in draft.gates.items()
        if label in after.gate_labels
    }
    if len(gates) != len(draft.gates):
        changes["gates"] = gates
    if before.gate_labels != after.gate_labels:
        again.append("gates")
    ids = {q.id for q in new.questions}
    asked = tuple(q.id for q in new.questions if q.id in again)
    answered = tuple(q for q in draft.flow.answered if q in ids and q not in asked)
    history = tuple(q for q in draft.flow.history if q in ids)
    if asked:
        state = FlowState(step=asked[0], answered=answered, history=(*history, asked[0]))
        changes["status"] = DraftStatus.DRAFTING.value
    else:
        step = draft.flow.step if draft.flow.step in ids else None
        state = FlowState(step=step, answered=answered, history=history)
    changes["flow"] = state.model_dump(mode="json")
    return draft.with_changes(changes), asked
