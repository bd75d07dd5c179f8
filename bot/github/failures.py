"""GitHub's failed answers, classified once for every caller.

Whatever PyGithub or requests raised becomes a `GitHubError`: the status, GitHub's message,
the X-GitHub-Request-Id, the headers (for rate limits), the `errors[]` of a 422, and whether
a write may have been carried out anyway (a timeout or 5xx after sending). Filing turns it
into words for the author (bot.filing.failures); the reminders' reads and writes into
`GitHubUnavailable` or `RateLimited` (`unavailable`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from github import GithubException
from github.Requester import Requester
from requests.exceptions import RequestException, Timeout
from urllib3.exceptions import MaxRetryError, ReadTimeoutError

from bot.errors import GitHubUnavailable, RateLimited
from flows.errors import MilestoneError

SECONDARY_DEFAULT_WAIT = 60.0  # GitHub's advice when a secondary limit gives no header


@dataclass(eq=False)
class GitHubError(MilestoneError):
    """A GitHub call that did not succeed, with what is needed to explain it."""

    status: int | None
    message: str  # GitHub's own words; empty when its answer gave none
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


def _error_texts(data: Mapping[str, object]) -> tuple[str, ...]:
    """The `errors[]` of GitHub's answer: each item's message, else its field and code."""
    texts: list[str] = []
    items = data.get("errors") or []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            text = item.get("message") or " ".join(
                str(item[k]) for k in ("field", "code") if item.get(k)
            )
            if text:
                texts.append(str(text))
        elif isinstance(item, str):
            texts.append(item)
    return tuple(texts)


def classify(exc: BaseException, *, write: bool = False, timeout: int = 0) -> GitHubError:
    """The GitHubError for what PyGithub or requests raised; anything else is re-raised."""
    if isinstance(exc, GitHubError):
        return exc
    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, dict) else {}
        headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
        status = int(exc.status) if exc.status else None
        return GitHubError(
            status=status,
            message=str(data.get("message") or exc.message or "").strip(),
            request_id=headers.get("x-github-request-id"),
            headers=headers,
            errors=_error_texts(data),
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
    if not is_rate_limit(error):
        return None
    headers = error.headers
    retry_after = headers.get("retry-after")
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
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


def is_rate_limit(error: GitHubError) -> bool:
    """A 403 or 429 that GitHub means as a rate limit (primary or secondary)."""
    if error.status not in (403, 429):
        return False
    return (
        error.headers.get("retry-after") is not None
        or error.headers.get("x-ratelimit-remaining") == "0"
        or error.status == 429
        or Requester.isRateLimitError(error.message)
    )


def unavailable(exc: GithubException | OSError) -> GitHubUnavailable:
    """What a reminder's read or write says when GitHub didn't do it."""
    if isinstance(exc, OSError):
        return GitHubUnavailable(f"GitHub could not be reached ({exc})")
    error = classify(exc)
    if is_rate_limit(error):
        return RateLimited(f"GitHub's rate limit is used up ({error.message or error.detail})")
    said = f": {error.message}" if error.message else ""
    return GitHubUnavailable(f"GitHub answered {error.status}{said}")
