"""The draft: every answer of a Reliability Milestone, the gate states and where the flow stands.

A draft is a value. The engine returns a new one for each answer; the store keeps a journal
of the field changes between them, and the fold of that journal is the draft.
"""

from __future__ import annotations

import functools
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# defer_build: each model builds its validator when first used rather than at import, so
# `milestone-bot drafts`, which reads drafts' columns and never a Draft, skips it (about
# 18 ms of its start, bench/README.md figure 5). Building on first use is thread-safe from
# pydantic 2.14 (its rebuild lock), the floor in pyproject.toml; the server pays ~2 ms once.


def _empty(value: str) -> bool:
    return not value


class GateStatus(StrEnum):
    UNCHECKED = "unchecked"
    CHECKED = "checked"
    NOT_APPLICABLE = "not_applicable"


class GateState(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    status: GateStatus = GateStatus.UNCHECKED
    reason: str = ""  # only for NOT_APPLICABLE
    # Only for CHECKED: `owner/repo#123` when ticked with evidence. Left out when empty, so
    # journals and stored gates written before evidence existed stay byte-identical.
    evidence: str = Field("", exclude_if=_empty)

    @property
    def settled(self) -> bool:
        return self.status is not GateStatus.UNCHECKED


class DraftStatus(StrEnum):
    DRAFTING = "drafting"  # questions still being asked
    PREVIEW = "preview"  # every required answer is in; the author is reviewing
    FILED = "filed"  # on GitHub; read-only here
    CANCELLED = "cancelled"
    ARCHIVED = "archived"  # left unanswered too long; kept in the journal, out of lists


class FlowState(BaseModel):
    """Where the conversation stands. Part of the draft so that it is journaled too."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    step: str | None = None  # id of the question being asked; None at preview or end
    answered: tuple[str, ...] = ()  # question ids answered or skipped, in order
    history: tuple[str, ...] = ()  # question ids asked, for `back`
    return_to_preview: bool = False  # set by `edit <section>`


class Draft(BaseModel):
    """Everything the Reliability Milestone issue says, plus the flow's position."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    id: str
    author: str = ""  # Slack user id, or the terminal user's name
    flow_version: int = 1
    status: DraftStatus = DraftStatus.DRAFTING
    flow: FlowState = Field(default_factory=FlowState)

    title: str = ""  # without the template's "[Reliability] " prefix
    roadmap_reference: str = "docs/execution_roadmap_90d.md"
    target_milestone: str = ""  # one of the template's milestones (M1..M6)
    risk_objective: str = ""
    problem_statement: str = ""
    invariants: tuple[str, ...] = ()  # labels of the standard invariants strengthened
    additional_invariants: tuple[str, ...] = ()
    in_scope: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    file_touch_plan: tuple[str, ...] = ()
    implementation_plan: tuple[str, ...] = ()
    test_commands: tuple[str, ...] = ("pytest -q",)
    adversarial_scenarios: tuple[str, ...] = ()
    telemetry_events: tuple[str, ...] = ()
    docs_touched: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    gates: dict[str, GateState] = Field(default_factory=dict)  # by the template's label
    assignee: str = ""  # GitHub login, if the author linked one
    # Where it files and the template version it started with (git blob sha). Empty, as in
    # drafts stored before repositories had templates of their own: GITHUB_REPOSITORY and
    # the bundled or configured template. Left out when empty, so such drafts serialize as
    # they did before there was a repository of their own.
    repository: str = Field("", exclude_if=_empty)
    template_sha: str = Field("", exclude_if=_empty)

    # Set when filed on GitHub.
    issue_number: int | None = None
    issue_url: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def gate(self, label: str) -> GateState:
        return self.gates.get(label, GateState())

    def with_changes(self, changes: dict[str, Any]) -> Draft:
        """A copy with `changes` (field -> JSON value) applied and validated.

        Only the changed fields are validated, each as `model_validate` would; the others are
        this draft's own values, already valid, and shared with it (so `diff` finds them
        unchanged by identity). Keys that are not fields are ignored, as `model_validate` does.
        """
        try:
            update = {
                name: _field_validator(name).validate_python(value)
                for name, value in changes.items()
                if name in Draft.model_fields
            }
        except ValidationError:
            # Refused as the whole draft would be, so the error names the field.
            data = self.model_dump(mode="json")
            data.update(changes)
            return Draft.model_validate(data)
        return self.model_copy(update=update)


@functools.cache
def _field_validator(name: str) -> TypeAdapter[Any]:
    """Validates one Draft field's value as `Draft.model_validate` validates that field."""
    field = Draft.model_fields[name]
    annotation: Any = field.annotation
    if field.metadata:  # constraints such as max_length, should a field gain one
        annotation = Annotated[annotation, *field.metadata]
    return TypeAdapter(annotation)


# Fields that are the issue's content (what the author wrote), as opposed to bookkeeping.
CONTENT_FIELDS: tuple[str, ...] = (
    "title",
    "roadmap_reference",
    "target_milestone",
    "risk_objective",
    "problem_statement",
    "invariants",
    "additional_invariants",
    "in_scope",
    "out_of_scope",
    "file_touch_plan",
    "implementation_plan",
    "test_commands",
    "adversarial_scenarios",
    "telemetry_events",
    "docs_touched",
    "notes",
    "gates",
)


def diff(before: Draft, after: Draft) -> dict[str, Any]:
    """The fields (as JSON values) that differ: what the journal records for one change.

    The fields are compared as values and only the changed ones serialized, which gives what
    comparing both whole drafts as JSON gives (tests/test_roundtrip_property.py holds it) at
    a fraction of the cost: an answer changes two or three fields, and a journal row is
    written for each. A field the JSON leaves out when empty is recorded when it is emptied,
    so that replaying the journal empties it too.
    """
    old = before.__dict__  # a model's fields, by name
    changed = {
        name
        for name, value in after.__dict__.items()
        if value is not old[name] and _differs(old[name], value)
    }
    if not changed:
        return {}
    changes = after.model_dump(mode="json", include=changed)
    for name in sorted(changed - changes.keys()):  # emptied, so left out of the JSON
        changes[name] = after.__dict__[name]
    return changes


def _differs(a: Any, b: Any) -> bool:
    # Equal values serialize alike, but for one case: the same instant in two time zones.
    if isinstance(a, datetime) and isinstance(b, datetime):
        return a != b or a.utcoffset() != b.utcoffset()
    return bool(a != b)
