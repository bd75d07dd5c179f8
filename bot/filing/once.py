"""Filing a draft on GitHub exactly once.

How "exactly once" holds:

* The body ends with the draft's hidden marker (flows.render.marker), so the issue a draft
  became can always be found again on GitHub, whatever our database remembers.
* Before creating, and after any outcome that leaves it unknown whether GitHub created the
  issue (a read timeout, a dropped connection, a 5xx), the service reconciles: it lists the
  repository's issues created by the bot's account, newest first, a bounded number of pages,
  reading only `body`, `number` and `html_url` of the raw JSON (pull requests skipped), and
  adopts the issue carrying the marker instead of creating another. The search API lags
  behind writes, so it is not used. The HTTP layer never re-sends a POST (bot.github.client).
* Only one process or thread talks to GitHub for a draft at a time: a lease row in SQLite
  (`filings`), claimed in a write transaction, renewed before each create, released with the
  outcome. Another caller either reports "in progress" (a double click) or waits for the
  holder and reports its result (a second process). A holder that died leaves a lease that
  expires; whoever files next reconciles first and adopts what the dead one created.
* The draft becomes FILED, with the issue's number and URL, in the same transaction that
  releases the lease: the journal records it and the engine makes the draft read-only.

Failures keep the draft and say what to do; each is journaled in `filing_attempts` with
GitHub's X-GitHub-Request-Id. Rate limits (403/429 with Retry-After or x-ratelimit-reset) are
waited out inline when the wait fits in `max_wait` (the surface is told when the retry
happens); a longer wait is reported with the time to retry, and the author retries: nothing
is scheduled behind their back.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from github import Github, GithubException
from requests.exceptions import RequestException

from bot.filing import failures
from bot.filing.attempt import Attempt, AttemptRecords, journal
from bot.filing.outcome import (
    FiledIssue,
    FilingFailure,
    FilingOutcome,
    FilingResult,
    OnWait,
    clock_time,
    result_lines,
)
from bot.filing.request import IssueRequest, dropped, filed_issue, find_milestone, issue_request
from bot.github.client import GitHubAccess
from bot.github.failures import GitHubError, classify, rate_limit_wait
from bot.github.paths import issues_path, milestones_path, repo_path
from bot.log import get_logger
from bot.storage.database import utc_now
from bot.storage.store import Store
from flows.draft import Draft, DraftStatus
from flows.render import marker
from flows.template import Template

# The command line imports these from here, beside the service.
__all__ = ["FilingService", "clock_time", "result_lines"]

log = get_logger()

MAX_WAIT = 60.0  # seconds a rate limit may be waited out inline, per filing
RECONCILE_PAGES = 3
PER_PAGE = 100
CREATE_TRIES = 2  # a second create only after a reconcile found nothing
POLL_SECONDS = 0.25  # while another process holds the lease

Sleep = Callable[[float], None]


class _Stop(Exception):
    """Ends an attempt (or a claim) with this result."""

    def __init__(self, result: FilingResult) -> None:
        super().__init__(result.outcome)
        self.result = result


class FilingService:
    """Files drafts from the store as issues in the configured repository, exactly once."""

    def __init__(
        self,
        store: Store,
        template: Template,
        access: GitHubAccess,
        *,
        clock: Callable[[], datetime] = utc_now,
        sleep: Sleep = time.sleep,
        max_wait: float = MAX_WAIT,
        lease_seconds: float | None = None,
        reconcile_pages: int = RECONCILE_PAGES,
        per_page: int = PER_PAGE,
        command: str = "/milestone",
    ) -> None:
        self.store = store
        self.template = template
        self.access = access
        self._clock = clock
        self._sleep = sleep
        self.max_wait = max_wait
        timeout = access.config.timeout
        # Long enough for every request of one attempt to time out, and for a rate-limit
        # wait (the lease is renewed before waiting and before each create).
        self.lease = timedelta(seconds=lease_seconds or max(60.0, 12.0 * timeout))
        self.reconcile_pages = reconcile_pages
        self.per_page = per_page
        self.command = command  # the slash command, named in notes for the author
        self._records = AttemptRecords(store, access.repository)

    @property
    def repository(self) -> str:
        return self.access.repository

    # ----- the entry point ----------------------------------------------------------------

    def file(
        self,
        draft_id: str,
        *,
        actor: str,
        source: str,
        correlation_id: str,
        wait: bool = True,
        on_wait: OnWait | None = None,
        tz: tzinfo | None = None,
    ) -> FilingResult:
        """File the draft (at its preview) once; see the module docstring for the guarantees.

        `wait`: when another caller is filing the same draft, wait for its result (bounded by
        its lease) instead of answering IN_PROGRESS. `on_wait` is told before any rate-limit
        wait. `tz` is the author's zone, for the times in messages.
        """
        attempt = Attempt(
            draft_id,
            actor,
            source,
            correlation_id or f"file-{uuid.uuid4().hex[:12]}",
            owner=f"{os.getpid()}:{uuid.uuid4().hex[:12]}",
            tz=tz,
        )
        try:
            draft = self._claim_or_wait(attempt, wait)
        except _Stop as stop:
            return stop.result
        try:
            return self._run(attempt, draft, on_wait)
        except _Stop as stop:
            return stop.result
        except BaseException as exc:
            # A bug, or an interrupt: the lease is released so a retry needn't wait it out.
            self._records.released(attempt, GitHubError(None, type(exc).__name__))
            raise

    # ----- the lease ----------------------------------------------------------------------

    def _claim_or_wait(self, attempt: Attempt, wait: bool) -> Draft:
        """The claimed draft; while another caller holds the lease and `wait`, poll (bounded
        by its lease). Raises _Stop with the result when there is nothing to file."""
        waited = 0.0
        bound = self.lease.total_seconds() + 5 * POLL_SECONDS
        while True:
            try:
                return self._claim(attempt)
            except _Stop as stop:
                busy = stop.result.outcome is FilingOutcome.IN_PROGRESS
                if not busy or not wait or waited > bound:
                    raise
            self._sleep(POLL_SECONDS)
            waited += POLL_SECONDS

    def _claim(self, attempt: Attempt) -> Draft:
        with self.store.session() as s:
            draft = s.drafts.get(attempt.draft_id)
            if draft.status is DraftStatus.FILED and draft.issue_number is not None:
                issue = FiledIssue(draft.issue_number, draft.issue_url, self._title(draft))
                raise _Stop(FilingResult(FilingOutcome.ALREADY_FILED, draft.id, issue=issue))
            if draft.status is not DraftStatus.PREVIEW:
                raise _Stop(failures.not_ready(draft))
            record = s.filings.claim(draft.id, attempt.owner, s.now + self.lease)
            if record.owner != attempt.owner:
                busy = FilingResult(
                    FilingOutcome.IN_PROGRESS, draft.id, busy_until=record.lease_until
                )
                raise _Stop(busy)
            journal(s, attempt, "claimed", detail=f"attempt {record.attempts} by {attempt.owner}")
            return draft

    def _renew(self, attempt: Attempt, extra: float = 0.0) -> None:
        with self.store.session() as s:
            until = s.now + self.lease + timedelta(seconds=extra)
            if s.filings.renew(attempt.draft_id, attempt.owner, until):
                return
            record = s.filings.get(attempt.draft_id)
        # Another caller took the lease over (ours ran out): let it finish.
        raise _Stop(
            FilingResult(
                FilingOutcome.IN_PROGRESS,
                attempt.draft_id,
                busy_until=record.lease_until if record else None,
            )
        )

    # ----- one attempt --------------------------------------------------------------------

    def _run(self, attempt: Attempt, draft: Draft, on_wait: OnWait | None) -> FilingResult:
        """Rounds of one attempt: each ends filed, failed, or waiting out a rate limit."""
        while True:
            gh: Github | None = None
            attempt.repo_seen = False
            try:
                gh = self.access.client()
                return self._round(gh, attempt, draft)
            except (GithubException, RequestException, GitHubError) as exc:
                error = classify(exc, timeout=self.access.config.timeout)
                wait = rate_limit_wait(error, self._clock())
                if wait is None:
                    return self._records.failed(attempt, self._failure(gh, attempt, error))
                if attempt.waited + wait > self.max_wait:
                    at = self._clock() + timedelta(seconds=wait)
                    return self._records.failed(
                        attempt, failures.rate_limited(error, at, attempt.tz)
                    )
                self._wait(attempt, error, wait, on_wait)
            finally:
                if gh is not None:
                    gh.close()

    def _round(self, gh: Github, attempt: Attempt, draft: Draft) -> FilingResult:
        """Look for the issue (adopt it), else create it; GitHub's failures propagate."""
        attempt.login = self.access.bot_login()
        self._get(gh, repo_path(self.repository))
        attempt.repo_seen = True
        found = self._reconcile(gh, attempt, draft)
        if found is not None:
            return self._filed(attempt, draft, found, FilingOutcome.ADOPTED)
        request = self._request(gh, draft)
        attempt.notes.extend(request.notes)
        data, unclear = self._create(gh, attempt, draft, request.payload)
        attempt.notes.extend(dropped(request.asked, data, self.repository))
        outcome = FilingOutcome.CREATED if unclear is None else FilingOutcome.ADOPTED
        return self._filed(attempt, draft, data, outcome)

    def _failure(self, gh: Github | None, attempt: Attempt, error: GitHubError) -> FilingFailure:
        visible = False
        if error.status == 404 and attempt.repo_seen and gh is not None:
            # The repository answered before; ask again, so the message says what is true now.
            try:
                self._get(gh, repo_path(self.repository))
                visible = True
            except (GithubException, RequestException):
                visible = False
        context = failures.Context(self.access.config, attempt.login, repo_visible=visible)
        return failures.failure_for(error, context)

    def _wait(
        self, attempt: Attempt, error: GitHubError, seconds: float, on_wait: OnWait | None
    ) -> None:
        until = self._clock() + timedelta(seconds=seconds)
        self._renew(attempt, extra=seconds)
        said = error.message[:200] or error.detail
        with self.store.session() as s:
            journal(
                s,
                attempt,
                "waited",
                status=error.status,
                request_id=error.request_id,
                detail=f"rate limited ({said}); waiting {seconds:g} s",
            )
        log.info(
            "github.rate_limited",
            draft_id=attempt.draft_id,
            reason=f"rate limited; waiting {seconds:g} s",
            wait_seconds=seconds,
            status=error.status,
            request_id=error.request_id,
        )
        if on_wait is not None:
            on_wait(seconds, until)
        self._sleep(seconds)
        attempt.waited += seconds

    def _create(
        self, gh: Github, attempt: Attempt, draft: Draft, payload: dict[str, Any]
    ) -> tuple[dict[str, Any], GitHubError | None]:
        """The created issue's JSON, and the ambiguous error it was found after (if any)."""
        unclear: GitHubError | None = None
        for _ in range(CREATE_TRIES):
            self._renew(attempt)
            try:
                headers, data = gh.requester.requestJsonAndCheck(
                    "POST", issues_path(self.repository), input=payload
                )
            except (GithubException, RequestException) as exc:
                error = classify(exc, write=True, timeout=self.access.config.timeout)
                if error.status == 422 and payload.get("assignees") and _about_assignees(error):
                    payload = self._without_assignee(attempt, payload, error)
                    continue
                if not error.sent:
                    raise error from exc
                unclear = error
                found = self._after_ambiguous(gh, attempt, draft, error)
                if found is not None:
                    return found, error
                continue
            self._records.step(
                attempt,
                "created",
                status=201,
                request_id=headers.get("x-github-request-id"),
                issue_number=data.get("number"),
            )
            return data, None
        assert unclear is not None
        raise GitHubError(
            unclear.status,
            f"GitHub didn't confirm the issue twice ({unclear.detail}); I checked and it "
            "isn't there, so nothing was filed. Press Retry filing in a minute.",
            request_id=unclear.request_id,
            sent=True,
        )

    def _without_assignee(
        self, attempt: Attempt, payload: dict[str, Any], error: GitHubError
    ) -> dict[str, Any]:
        """GitHub refused the assignee outright (nothing created): file without one."""
        attempt.notes.append(
            f"GitHub wouldn't assign @{payload['assignees'][0]} "
            f"({'; '.join(error.errors) or error.message or error.detail}), so the issue has no "
            f"assignee; check the login with `{self.command} github-login`."
        )
        return {**payload, "assignees": []}

    def _after_ambiguous(
        self, gh: Github, attempt: Attempt, draft: Draft, error: GitHubError
    ) -> dict[str, Any] | None:
        """A create whose outcome is unknown: the issue, if GitHub made it after all."""
        self._records.step(attempt, "ambiguous", error=error)
        log.warning(
            "github.create.ambiguous",
            draft_id=draft.id,
            reason=error.detail,
            request_id=error.request_id,
        )
        found = self._reconcile(gh, attempt, draft, after=error)
        if found is not None:
            attempt.notes.append(
                f"GitHub's answer got lost ({error.detail}), so I checked: the issue "
                "was created once, and this is it."
            )
        return found

    # ----- reading GitHub -----------------------------------------------------------------

    def _request(self, gh: Github, draft: Draft) -> IssueRequest:
        def milestones(page: int) -> list[dict[str, Any]]:
            path = milestones_path(self.repository)
            found: list[dict[str, Any]] = self._get(
                gh, path, state="open", per_page=self.per_page, page=page
            )
            return found

        milestone = find_milestone(
            milestones,
            draft.target_milestone,
            max_pages=self.reconcile_pages,
            per_page=self.per_page,
        )
        return issue_request(self.template, draft, milestone, self.repository)

    def _get(self, gh: Github, path: str, **parameters: Any) -> Any:
        return self._get_with_id(gh, path, **parameters)[1]

    def _get_with_id(self, gh: Github, path: str, **parameters: Any) -> tuple[str | None, Any]:
        """(X-GitHub-Request-Id, the JSON) of a GET."""
        headers, data = gh.requester.requestJsonAndCheck("GET", path, parameters=parameters or None)
        return headers.get("x-github-request-id"), data

    def _reconcile(
        self, gh: Github, attempt: Attempt, draft: Draft, *, after: GitHubError | None = None
    ) -> dict[str, Any] | None:
        """The bot's recent issue carrying the draft's marker, if there is one."""
        wanted = marker(draft.id)
        try:
            for page in range(1, self.reconcile_pages + 1):
                request_id, items = self._get_with_id(
                    gh,
                    issues_path(self.repository),
                    state="all",
                    sort="created",
                    direction="desc",
                    creator=attempt.login,
                    per_page=self.per_page,
                    page=page,
                )
                for item in items:
                    # The issue list includes pull requests; they carry a "pull_request" key.
                    if "pull_request" in item:
                        continue
                    if wanted in (item.get("body") or ""):
                        self._records.step(
                            attempt,
                            "adopted",
                            status=200,
                            request_id=request_id,
                            issue_number=item["number"],
                        )
                        return dict(item)
                if len(items) < self.per_page:
                    break
        except (GithubException, RequestException) as exc:
            error = classify(exc, timeout=self.access.config.timeout)
            if after is None or rate_limit_wait(error, self._clock()) is not None:
                raise error from exc
            # The create may have happened and we cannot look: never create again blindly.
            raise GitHubError(
                error.status,
                f"GitHub didn't confirm the issue ({after.detail}) and I couldn't check "
                f"whether it was created ({error.detail}). Press Retry filing in a minute: I "
                "look for it before creating another, so it won't be filed twice.",
                request_id=error.request_id or after.request_id,
                sent=True,
            ) from exc
        return None

    # ----- outcomes -----------------------------------------------------------------------

    def _title(self, draft: Draft) -> str:
        return f"{self.template.title_prefix}{draft.title}"

    def _filed(
        self, attempt: Attempt, draft: Draft, data: Mapping[str, Any], outcome: FilingOutcome
    ) -> FilingResult:
        return self._records.filed(attempt, draft, filed_issue(data, self._title(draft)), outcome)


def _about_assignees(error: GitHubError) -> bool:
    text = " ".join([error.message, *error.errors]).casefold()
    return "assignee" in text
