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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from github import Github, GithubException
from github.Requester import Requester
from requests.exceptions import RequestException, Timeout
from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from bot.github.client import GitHubAccess
from bot.log import get_logger
from bot.storage.database import utc_now
from bot.storage.store import Session, Store
from flows.draft import Draft, DraftStatus
from flows.render import as_filed, marker, render_issue
from flows.template import Template

log = get_logger()

MAX_WAIT = 60.0  # seconds a rate limit may be waited out inline, per filing
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub's advice when a secondary limit gives no header
RECONCILE_PAGES = 3
PER_PAGE = 100
CREATE_TRIES = 2  # a second create only after a reconcile found nothing
POLL_SECONDS = 0.25  # while another process holds the lease


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


Sleep = Callable[[float], None]
OnWait = Callable[[float, datetime], None]  # (seconds, when the retry happens)


# -- GitHub's answers, classified ----------------------------------------------------------


@dataclass(eq=False)
class GitHubError(Exception):
    """A GitHub call that did not succeed, with what is needed to explain it."""

    status: int | None
    message: str
    request_id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()  # the `errors[].message` (or field/code) of a 422
    sent: bool = False  # a write that may have been carried out: reconcile before acting

    def __str__(self) -> str:
        return self.detail

    @property
    def detail(self) -> str:
        """`502 Server Error`, or `no answer within 10 s`: what went wrong, briefly."""
        if self.status is None:
            return self.message
        return f"{self.status} {self.message}".strip()


def classify(exc: BaseException, *, write: bool = False, timeout: int = 0) -> GitHubError:
    """The GitHubError for what PyGithub or requests raised."""
    if isinstance(exc, GitHubError):
        return exc
    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, dict) else {}
        headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
        errors: list[str] = []
        for item in data.get("errors") or []:
            if isinstance(item, dict):
                text = item.get("message") or " ".join(
                    str(item[k]) for k in ("field", "code") if item.get(k)
                )
                if text:
                    errors.append(str(text))
            elif isinstance(item, str):
                errors.append(item)
        status = int(exc.status) if exc.status else None
        return GitHubError(
            status=status,
            message=str(data.get("message") or exc.message or "Error").strip(),
            request_id=headers.get("x-github-request-id"),
            headers=headers,
            errors=tuple(errors),
            sent=write and status is not None and status >= 500,
        )
    if isinstance(exc, Timeout) or _timed_out(exc):
        what = f"no answer within {timeout} s" if timeout else "no answer in time"
        return GitHubError(None, what, sent=write)
    if isinstance(exc, RequestException):
        return GitHubError(None, "the connection to GitHub dropped", sent=write)
    raise exc


def _timed_out(exc: BaseException) -> bool:
    """A read that timed out on every retry (requests reports it as a ConnectionError)."""
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError) and isinstance(cause.reason, ReadTimeoutError)


def rate_limit_wait(error: GitHubError, now: datetime) -> float | None:
    """Seconds GitHub asks us to wait, or None when `error` is no rate limit.

    GitHub's rules: Retry-After first; else, with x-ratelimit-remaining 0, until
    x-ratelimit-reset; else (a secondary limit without headers) at least a minute.
    """
    if error.status not in (403, 429):
        return None
    headers = error.headers
    retry_after = headers.get("retry-after")
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    limited = (
        retry_after is not None
        or remaining == "0"
        or error.status == 429
        or Requester.isRateLimitError(error.message)
    )
    if not limited:
        return None
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(retry_after) - now).total_seconds())
            except (TypeError, ValueError):
                return SECONDARY_DEFAULT_WAIT
    if remaining == "0" and reset and reset.isdigit():
        # Plus one second: the reset happens somewhere within that second.
        return max(0.0, int(reset) - now.timestamp()) + 1.0
    return SECONDARY_DEFAULT_WAIT


def clock_time(moment: datetime, tz: tzinfo | None) -> str:
    """`14:05:30 UTC`, or in the author's zone (`14:05:30 Europe/Paris`) when known."""
    local = moment.astimezone(tz or UTC)
    name = getattr(tz, "key", None) or local.tzname() or "UTC"
    return f"{local:%H:%M:%S} {name}"


# -- the service ---------------------------------------------------------------------------


@dataclass
class _Attempt:
    draft_id: str
    actor: str
    source: str
    correlation_id: str
    owner: str
    tz: tzinfo | None
    notes: list[str] = field(default_factory=list)
    login: str = ""
    waited: float = 0.0  # seconds of rate-limit waits so far
    repo_seen: bool = False  # the repository answered in this round


class _Stop(Exception):
    """Ends an attempt with this result."""

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
        attempt = _Attempt(
            draft_id,
            actor,
            source,
            correlation_id or f"file-{uuid.uuid4().hex[:12]}",
            owner=f"{os.getpid()}:{uuid.uuid4().hex[:12]}",
            tz=tz,
        )
        waited = 0.0
        bound = self.lease.total_seconds() + 5 * POLL_SECONDS
        while True:
            claimed = self._claim(attempt)
            if isinstance(claimed, Draft):
                break
            if claimed.outcome is not FilingOutcome.IN_PROGRESS or not wait or waited > bound:
                return claimed
            self._sleep(POLL_SECONDS)
            waited += POLL_SECONDS
        try:
            result = self._run(attempt, claimed, on_wait)
        except _Stop as stop:
            result = stop.result
        except BaseException as exc:
            # A bug, or an interrupt: the lease is released so a retry needn't wait it out.
            self._release_failed(attempt, GitHubError(None, type(exc).__name__))
            raise
        return result

    # ----- the lease ----------------------------------------------------------------------

    def _claim(self, attempt: _Attempt) -> Draft | FilingResult:
        with self.store.session() as s:
            draft = s.drafts.get(attempt.draft_id)
            if draft.status is DraftStatus.FILED and draft.issue_number is not None:
                issue = FiledIssue(draft.issue_number, draft.issue_url, self._title(draft))
                return FilingResult(FilingOutcome.ALREADY_FILED, draft.id, issue=issue)
            if draft.status is not DraftStatus.PREVIEW:
                return self._not_ready(draft)
            record = s.filings.claim(draft.id, attempt.owner, s.now + self.lease)
            if record.owner != attempt.owner:
                return FilingResult(
                    FilingOutcome.IN_PROGRESS, draft.id, busy_until=record.lease_until
                )
            _journal(s, attempt, "claimed", detail=f"attempt {record.attempts} by {attempt.owner}")
            return draft

    def _renew(self, attempt: _Attempt, extra: float = 0.0) -> None:
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

    def _run(self, attempt: _Attempt, draft: Draft, on_wait: OnWait | None) -> FilingResult:
        while True:
            gh: Github | None = None
            attempt.repo_seen = False
            try:
                gh = self.access.client()
                attempt.login = self.access.bot_login()
                self._get(gh, self._repo_path())
                attempt.repo_seen = True
                found = self._reconcile(gh, attempt, draft)
                if found is not None:
                    return self._filed(attempt, draft, found, FilingOutcome.ADOPTED)
                payload, asked = self._payload(gh, attempt, draft)
                data, unclear = self._create(gh, attempt, draft, payload)
                attempt.notes.extend(self._dropped(asked, data))
                outcome = FilingOutcome.CREATED if unclear is None else FilingOutcome.ADOPTED
                return self._filed(attempt, draft, data, outcome)
            except (GithubException, RequestException, GitHubError) as exc:
                error = classify(exc, timeout=self.access.config.timeout)
                wait = rate_limit_wait(error, self._clock())
                if wait is None:
                    return self._fail(attempt, self._failure(gh, attempt, error))
                if attempt.waited + wait > self.max_wait:
                    return self._fail(attempt, self._rate_limited(attempt, error, wait))
                self._wait(attempt, error, wait, on_wait)
            finally:
                if gh is not None:
                    gh.close()

    def _wait(
        self, attempt: _Attempt, error: GitHubError, seconds: float, on_wait: OnWait | None
    ) -> None:
        until = self._clock() + timedelta(seconds=seconds)
        self._renew(attempt, extra=seconds)
        with self.store.session() as s:
            _journal(
                s,
                attempt,
                "waited",
                status=error.status,
                request_id=error.request_id,
                detail=f"rate limited ({error.message[:200]}); waiting {seconds:g} s",
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
        self, gh: Github, attempt: _Attempt, draft: Draft, payload: dict[str, Any]
    ) -> tuple[dict[str, Any], GitHubError | None]:
        """The created issue's JSON, and the ambiguous error it was found after (if any)."""
        unclear: GitHubError | None = None
        for _ in range(CREATE_TRIES):
            self._renew(attempt)
            try:
                headers, data = gh.requester.requestJsonAndCheck(
                    "POST", f"{self._repo_path()}/issues", input=payload
                )
            except (GithubException, RequestException) as exc:
                error = classify(exc, write=True, timeout=self.access.config.timeout)
                if error.status == 422 and payload.get("assignees") and _about_assignees(error):
                    # Refused outright (nothing created): file it without the assignee.
                    attempt.notes.append(
                        f"GitHub wouldn't assign @{payload['assignees'][0]} "
                        f"({'; '.join(error.errors) or error.message}), so the issue has no "
                        "assignee; check the login with `/milestone github-login`."
                    )
                    payload = {**payload, "assignees": []}
                    continue
                if not error.sent:
                    raise error from exc
                unclear = error
                self._log(attempt, "ambiguous", error=error)
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
                    return found, error
                continue
            self._log(
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

    # ----- reading GitHub -----------------------------------------------------------------

    def _repo_path(self) -> str:
        config = self.access.config
        return f"/repos/{quote(config.owner)}/{quote(config.name)}"

    def _get(self, gh: Github, path: str, **parameters: Any) -> Any:
        return self._get_with_id(gh, path, **parameters)[1]

    def _get_with_id(self, gh: Github, path: str, **parameters: Any) -> tuple[str | None, Any]:
        """(X-GitHub-Request-Id, the JSON) of a GET."""
        headers, data = gh.requester.requestJsonAndCheck("GET", path, parameters=parameters or None)
        return headers.get("x-github-request-id"), data

    def _reconcile(
        self, gh: Github, attempt: _Attempt, draft: Draft, *, after: GitHubError | None = None
    ) -> dict[str, Any] | None:
        """The bot's recent issue carrying the draft's marker, if there is one."""
        wanted = marker(draft.id)
        try:
            for page in range(1, self.reconcile_pages + 1):
                request_id, items = self._get_with_id(
                    gh,
                    f"{self._repo_path()}/issues",
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
                        self._log(
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

    def _payload(
        self, gh: Github, attempt: _Attempt, draft: Draft
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The create request, and what it asks for (to compare with what GitHub keeps)."""
        issue = render_issue(self.template, as_filed(draft))
        payload: dict[str, Any] = {
            "title": issue.title,
            "body": issue.body,
            "labels": list(issue.labels),
        }
        milestone = self._milestone(gh, draft.target_milestone)
        if milestone is not None:
            payload["milestone"] = milestone[0]
        elif draft.target_milestone:
            attempt.notes.append(
                f"{self.repository} has no open GitHub milestone starting with "
                f"“{draft.target_milestone}”, so the issue has none."
            )
        if draft.assignee:
            payload["assignees"] = [draft.assignee]
        asked = {
            "labels": list(issue.labels),
            "milestone": milestone[1] if milestone else None,
            "assignees": [draft.assignee] if draft.assignee else [],
        }
        return payload, asked

    def _milestone(self, gh: Github, target: str) -> tuple[int, str] | None:
        """(number, title) of the open milestone whose title starts with `target`."""
        if not target:
            return None
        wanted = target.strip().casefold()
        for page in range(1, self.reconcile_pages + 1):
            items = self._get(
                gh,
                f"{self._repo_path()}/milestones",
                state="open",
                per_page=self.per_page,
                page=page,
            )
            for item in items:
                title = str(item.get("title") or "")
                folded = title.casefold()
                # "M2" matches "M2" and "M2 - Reconcile", never "M20".
                if folded == wanted or (
                    folded.startswith(wanted) and not folded[len(wanted)].isalnum()
                ):
                    return int(item["number"]), title
            if len(items) < self.per_page:
                break
        return None

    def _dropped(self, asked: Mapping[str, Any], data: Mapping[str, Any]) -> list[str]:
        """What GitHub left out of what was asked (it silently drops labels, milestone and
        assignees when the bot's account cannot push to the repository)."""
        kept_labels = {
            str(label.get("name", "")).casefold()
            for label in data.get("labels") or []
            if isinstance(label, dict)
        }
        missing: list[str] = []
        labels = [name for name in asked["labels"] if name.casefold() not in kept_labels]
        if labels:
            word = "label" if len(labels) == 1 else "labels"
            missing.append(f"the {word} " + ", ".join(f"`{name}`" for name in labels))
        kept_milestone = (data.get("milestone") or {}).get("title")
        if asked["milestone"] and kept_milestone != asked["milestone"]:
            missing.append(f"the milestone “{asked['milestone']}”")
        kept_assignees = {
            str(a.get("login", "")).casefold()
            for a in data.get("assignees") or []
            if isinstance(a, dict)
        }
        people = [login for login in asked["assignees"] if login.casefold() not in kept_assignees]
        if people:
            missing.append("the assignee " + ", ".join(f"@{login}" for login in people))
        if not missing:
            return []
        listed = missing[-1]
        if len(missing) > 1:
            listed = ", ".join(missing[:-1]) + " and " + listed
        return [
            f"GitHub didn't keep {listed}: the bot's account can't set them on "
            f"{self.repository} (it needs write access). Add them on the issue."
        ]

    # ----- outcomes -----------------------------------------------------------------------

    def _title(self, draft: Draft) -> str:
        return f"{self.template.title_prefix}{draft.title}"

    def _issue(self, draft: Draft, data: Mapping[str, Any]) -> FiledIssue:
        return FiledIssue(
            number=int(data["number"]),
            url=str(data.get("html_url") or ""),
            title=str(data.get("title") or self._title(draft)),
            labels=tuple(
                str(label.get("name"))
                for label in data.get("labels") or []
                if isinstance(label, dict)
            ),
            milestone=(data.get("milestone") or {}).get("title"),
            assignees=tuple(
                str(a.get("login")) for a in data.get("assignees") or [] if isinstance(a, dict)
            ),
        )

    def _filed(
        self,
        attempt: _Attempt,
        draft: Draft,
        data: Mapping[str, Any],
        outcome: FilingOutcome,
    ) -> FilingResult:
        issue = self._issue(draft, data)
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
                draft.id,
                attempt.owner,
                "filed",
                issue_number=issue.number,
                issue_url=issue.url,
            )
        if outcome.value == "adopted":
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

    def _fail(self, attempt: _Attempt, failure: FilingFailure) -> FilingResult:
        self._release_failed(attempt, failure)
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

    def _release_failed(self, attempt: _Attempt, failure: FilingFailure | GitHubError) -> None:
        with self.store.session() as s:
            s.filings.finish(attempt.draft_id, attempt.owner, "failed")
            _journal(
                s,
                attempt,
                "failed",
                status=failure.status,
                request_id=failure.request_id,
                detail=str(failure.message)[:1000],
            )

    def _log(
        self,
        attempt: _Attempt,
        event: str,
        *,
        error: GitHubError | None = None,
        status: int | None = None,
        request_id: str | None = None,
        issue_number: int | None = None,
    ) -> None:
        with self.store.session() as s:
            _journal(
                s,
                attempt,
                event,
                status=error.status if error else status,
                request_id=error.request_id if error else request_id,
                detail=error.detail[:1000] if error else None,
                issue_number=issue_number,
            )

    def _not_ready(self, draft: Draft) -> FilingResult:
        what = {
            DraftStatus.DRAFTING: "isn't finished yet: answer the remaining questions first",
            DraftStatus.CANCELLED: "was cancelled; resume it first",
            DraftStatus.ARCHIVED: "was archived; resume it first",
        }.get(draft.status, "isn't ready")
        failure = FilingFailure(FailureKind.NOT_READY, f"Draft `{draft.id}` {what}.")
        return FilingResult(FilingOutcome.FAILED, draft.id, failure=failure)

    # ----- what a failure says ------------------------------------------------------------

    def _rate_limited(self, attempt: _Attempt, error: GitHubError, wait: float) -> FilingFailure:
        at = self._clock() + timedelta(seconds=wait)
        when = clock_time(at, attempt.tz)
        return FilingFailure(
            FailureKind.RATE_LIMITED,
            f"GitHub is rate limiting the bot until {when}, so nothing was filed yet. Your "
            f"draft is saved: press Retry filing after {when}.",
            status=error.status,
            request_id=error.request_id,
            retry_at=at,
        )

    def _failure(
        self,
        gh: Github | None,
        attempt: _Attempt,
        error: GitHubError,
    ) -> FilingFailure:
        repo = self.repository
        saved = "Your draft is saved"
        trace = f" (GitHub request ID `{error.request_id}`)" if error.request_id else ""
        status = error.status
        if error.sent:
            # Composed by _create/_reconcile after a create that may have happened: whatever
            # the status, "nothing was filed" could be false, so say what is known instead.
            return FilingFailure(FailureKind.UNAVAILABLE, error.message, status, error.request_id)
        if status == 401:
            message = (
                f"GitHub turned down the bot's credentials ({error.detail}), so nothing was "
                f"filed. The operator needs to fix {self.access.config.credentials}{trace}. "
                f"{saved}: press Retry filing once that's done."
            )
            return FilingFailure(
                FailureKind.CREDENTIALS, message, status, error.request_id, operator=True
            )
        if status == 404:
            return self._not_found(gh, attempt, error, trace)
        if status == 410:
            message = (
                f"Issues are turned off in {repo} ({error.detail}), so nothing was filed. A "
                "repository admin can turn them on (Settings → General → Features → Issues), "
                f"or the operator can point GITHUB_REPOSITORY elsewhere. {saved}."
            )
            return FilingFailure(
                FailureKind.ISSUES_DISABLED, message, status, error.request_id, operator=True
            )
        if status == 422:
            why = "; ".join(error.errors) or error.message
            message = (
                f"GitHub refused the issue: {error.message}"
                + (f" ({why})" if why != error.message else "")
                + f". Nothing was filed and {saved.lower()}: fix it with `edit <section>`, "
                "then file again."
            )
            return FilingFailure(FailureKind.INVALID, message, status, error.request_id)
        if status == 403:
            message = (
                f"GitHub refused to file in {repo} ({error.detail}), so nothing was filed. The "
                f"operator needs to let the bot's account create issues there{trace}. {saved}."
            )
            return FilingFailure(
                FailureKind.FORBIDDEN, message, status, error.request_id, operator=True
            )
        message = (
            f"GitHub isn't answering properly right now ({error.detail}), so nothing was "
            f"filed. {saved}: press Retry filing in a minute."
        )
        return FilingFailure(FailureKind.UNAVAILABLE, message, status, error.request_id)

    def _not_found(
        self, gh: Github | None, attempt: _Attempt, error: GitHubError, trace: str
    ) -> FilingFailure:
        repo = self.repository
        who = f" (@{attempt.login})" if attempt.login else ""
        visible = False
        if attempt.repo_seen and gh is not None:
            # The repository answered before; ask again, so the message says what is true now.
            try:
                self._get(gh, self._repo_path())
                visible = True
            except (GithubException, RequestException):
                visible = False
        if visible:
            message = (
                f"GitHub answered {error.detail} when creating the issue in {repo}, though the "
                f"bot's account{who} can see the repository: it can't create issues there (a "
                "fine-grained token needs Issues: read and write). The operator needs to fix "
                f"its access{trace}. Your draft is saved: press Retry filing after that."
            )
        else:
            app = f", or install the GitHub App on {repo}" if self.access.config.uses_app else ""
            message = (
                f"GitHub has no repository {repo} that the bot's account{who} can see, so "
                f"nothing was filed. The operator needs to check GITHUB_REPOSITORY or give the "
                f"bot access to {repo}{app}{trace}. Your draft is saved."
            )
        return FilingFailure(
            FailureKind.NOT_FOUND, message, error.status, error.request_id, operator=True
        )


def _about_assignees(error: GitHubError) -> bool:
    text = " ".join([error.message, *error.errors]).casefold()
    return "assignee" in text


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


def _journal(s: Session, attempt: _Attempt, event: str, **fields: Any) -> None:
    """One step of `attempt` in the filing journal (status, request_id, detail, issue_number)."""
    s.filings.log(
        attempt.draft_id,
        event,
        actor=attempt.actor,
        source=attempt.source,
        correlation_id=attempt.correlation_id,
        **fields,
    )
