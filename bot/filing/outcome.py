"""What a filing came to: created, adopted, already filed, in progress, or failed (and why),
with the words each outcome gives the author in the terminal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum

OnWait = Callable[[float, datetime], None]  # (seconds, when the retry happens)


class FilingOutcome(StrEnum):
    CREATED = "created"  # a new issue
    ADOPTED = "adopted"  # the issue already existed (an earlier attempt made it)
    ALREADY_FILED = "already_filed"  # the draft was filed before this call
    IN_PROGRESS = "in_progress"  # another caller holds the lease
    FAILED = "failed"


class FailureKind(StrEnum):
    NOT_READY = "not_ready"  # the draft is not at its preview
    CREDENTIALS = "credentials"  # 401
    NOT_FOUND = "not_found"  # 404
    FORBIDDEN = "forbidden"  # 403, not a rate limit
    RATE_LIMITED = "rate_limited"  # 403/429 rate limit, longer than we may wait
    ISSUES_DISABLED = "issues_disabled"  # 410
    INVALID = "invalid"  # 422
    UNAVAILABLE = "unavailable"  # 5xx, timeouts, dropped connections


@dataclass(frozen=True)
class FilingFailure:
    kind: FailureKind
    message: str  # for the author: what happened, that the draft is kept, what to do
    status: int | None = None
    request_id: str | None = None
    retry_at: datetime | None = None
    operator: bool = False  # the fix is the operator's (credentials, repository, access)


@dataclass(frozen=True)
class FiledIssue:
    number: int
    url: str
    title: str
    labels: tuple[str, ...] = ()
    milestone: str | None = None
    assignees: tuple[str, ...] = ()


@dataclass(frozen=True)
class FilingResult:
    outcome: FilingOutcome
    draft_id: str
    issue: FiledIssue | None = None
    failure: FilingFailure | None = None
    notes: tuple[str, ...] = ()  # what the author should know beside the link
    busy_until: datetime | None = None  # IN_PROGRESS: when the holder's lease runs out

    @property
    def filed(self) -> bool:
        return self.issue is not None


def clock_time(moment: datetime, tz: tzinfo | None) -> str:
    """`14:05:30 UTC`, or in the author's zone (`14:05:30 Europe/Paris`) when known."""
    local = moment.astimezone(tz or UTC)
    name = getattr(tz, "key", None) or local.tzname() or "UTC"
    return f"{local:%H:%M:%S} {name}"


def result_lines(result: FilingResult, *, tz: tzinfo | None = None) -> list[str]:
    """What to tell the author about `result`, as plain Markdown lines (no link markup)."""
    if result.issue is not None:
        issue = result.issue
        head = {
            FilingOutcome.ALREADY_FILED: f"Already filed as #{issue.number}: {issue.url}",
        }.get(result.outcome, f"Filed on GitHub as #{issue.number}: {issue.url}")
        return [head, *result.notes]
    if result.outcome is FilingOutcome.IN_PROGRESS:
        until = (
            f" If nothing shows up by {clock_time(result.busy_until, tz)}, file again."
            if result.busy_until
            else ""
        )
        return [f"I'm already filing this draft; the link will appear in a moment.{until}"]
    assert result.failure is not None
    return [result.failure.message]
