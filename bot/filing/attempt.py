"""One filing attempt and what it leaves behind: its steps in the filing journal (with
GitHub's request ids), the draft turned FILED in the transaction that releases the lease,
the lease released on failure, and the log lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from bot.filing.outcome import FiledIssue, FilingFailure, FilingOutcome, FilingResult
from bot.github.failures import GitHubError
from bot.log import get_logger
from bot.storage.store import Session, Store
from flows.draft import Draft, DraftStatus

log = get_logger()


@dataclass
class Attempt:
    draft_id: str
    actor: str
    source: str
    correlation_id: str
    owner: str  # the lease holder: this process and this attempt
    tz: tzinfo | None
    notes: list[str] = field(default_factory=list)
    login: str = ""
    waited: float = 0.0  # seconds of rate-limit waits so far
    repo_seen: bool = False  # the repository answered in this round


def journal(s: Session, attempt: Attempt, event: str, **fields: Any) -> None:
    """One step of `attempt` in the filing journal (status, request_id, detail, issue_number)."""
    s.filings.log(
        attempt.draft_id,
        event,
        actor=attempt.actor,
        source=attempt.source,
        correlation_id=attempt.correlation_id,
        **fields,
    )


class AttemptRecords:
    """Writes what attempts come to, in the store and the log."""

    def __init__(self, store: Store, repository: str) -> None:
        self.store = store
        self.repository = repository

    def filed(
        self, attempt: Attempt, draft: Draft, issue: FiledIssue, outcome: FilingOutcome
    ) -> FilingResult:
        """The draft is FILED as `issue`, in the transaction that releases the lease."""
        with self.store.session() as s:
            before = s.drafts.get(draft.id)
            if before.status is not DraftStatus.FILED:
                state = before.flow.model_copy(update={"step": None, "return_to_preview": False})
                after = before.model_copy(
                    update={
                        "status": DraftStatus.FILED,
                        "issue_number": issue.number,
                        "issue_url": issue.url,
                        "flow": state,
                    }
                )
                s.drafts.record(
                    before,
                    after,
                    kind="filed",
                    actor=attempt.actor,
                    source=attempt.source,
                    correlation_id=attempt.correlation_id,
                )
            s.filings.finish(
                draft.id, attempt.owner, "filed", issue_number=issue.number, issue_url=issue.url
            )
        if outcome is FilingOutcome.ADOPTED:
            # GitHub already had it: an ambiguous create, a crash or a second process.
            log.info(
                "github.reconciled",
                draft_id=draft.id,
                issue_number=issue.number,
                repository=self.repository,
                correlation_id=attempt.correlation_id,
            )
        log.info(
            "draft.filed",
            draft_id=draft.id,
            issue_number=issue.number,
            outcome=outcome.value,
            repository=self.repository,
            correlation_id=attempt.correlation_id,
        )
        return FilingResult(outcome, draft.id, issue=issue, notes=tuple(attempt.notes))

    def failed(self, attempt: Attempt, failure: FilingFailure) -> FilingResult:
        self.released(attempt, failure)
        log.warning(
            "github.filing_failed",
            draft_id=attempt.draft_id,
            reason=failure.kind.value,
            kind=failure.kind.value,
            status=failure.status,
            request_id=failure.request_id,
            repository=self.repository,
            correlation_id=attempt.correlation_id,
        )
        return FilingResult(FilingOutcome.FAILED, attempt.draft_id, failure=failure)

    def released(self, attempt: Attempt, failure: FilingFailure | GitHubError) -> None:
        """The lease is let go, the failure journaled: the next attempt starts afresh."""
        with self.store.session() as s:
            s.filings.finish(attempt.draft_id, attempt.owner, "failed")
            journal(
                s,
                attempt,
                "failed",
                status=failure.status,
                request_id=failure.request_id,
                detail=str(failure.message)[:1000],
            )

    def step(
        self,
        attempt: Attempt,
        event: str,
        *,
        error: GitHubError | None = None,
        status: int | None = None,
        request_id: str | None = None,
        issue_number: int | None = None,
    ) -> None:
        with self.store.session() as s:
            journal(
                s,
                attempt,
                event,
                status=error.status if error else status,
                request_id=error.request_id if error else request_id,
                detail=error.detail[:1000] if error else None,
                issue_number=issue_number,
            )
