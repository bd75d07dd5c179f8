"""Reading and writing the issues the bot follows, through PyGithub's requester.

Reads are conditional wherever GitHub allows it: a single-issue GET carries the ETag of the
last one (`If-None-Match`), and so does the first page of a repository's listing of recently
updated issues. GitHub answers 304 to an unchanged resource, and a 304 does not count
against the rate limit. Every answer's `x-ratelimit-remaining` is passed back so the sweep
can stop before the budget runs out; GitHub Enterprise Server with rate limiting off sends
no such header, which is `None` here and not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from github import Github, GithubException

from bot.github.failures import unavailable
from bot.github.paths import issue_path, issues_path
from flows.tracking import IssueState, Observation, SeenFrom

PER_PAGE = 100


@dataclass(frozen=True)
class Budget:
    """What GitHub said about the rate limit on its last answer."""

    remaining: int | None  # None: no rate limit headers (GHES with rate limiting off)
    reset: int | None = None  # epoch seconds

    @classmethod
    def from_headers(cls, headers: dict[str, Any]) -> Budget:
        def number(name: str) -> int | None:
            value = headers.get(name)
            try:
                return int(value) if value is not None else None
            except (TypeError, ValueError):
                return None

        return cls(number("x-ratelimit-remaining"), number("x-ratelimit-reset"))

    def low(self, floor: int) -> bool:
        return self.remaining is not None and self.remaining < floor


@dataclass(frozen=True)
class IssueRead:
    """One single-issue GET: the issue, or 304 (unchanged), or gone (404/410)."""

    data: dict[str, Any] | None  # None for 304 and for gone
    etag: str | None
    budget: Budget
    not_modified: bool = False
    gone: bool = False


@dataclass(frozen=True)
class ListingPage:
    items: list[dict[str, Any]]
    etag: str | None
    budget: Budget
    not_modified: bool
    has_next: bool


def github_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class IssueAccess:
    """The requests the reminders make, on one PyGithub client (not shared across threads)."""

    def __init__(self, github: Github) -> None:
        self._requester = github.requester

    def get(self, repository: str, number: int, etag: str | None = None) -> IssueRead:
        headers = {"If-None-Match": etag} if etag else {}
        try:
            answer, data = self._requester.requestJsonAndCheck(
                "GET", issue_path(repository, number), headers=headers
            )
        except GithubException as exc:
            if exc.status in (404, 410):
                return IssueRead(None, None, Budget.from_headers(exc.headers or {}), gone=True)
            raise unavailable(exc) from exc
        except OSError as exc:
            raise unavailable(exc) from exc
        budget = Budget.from_headers(answer)
        if data is None:
            return IssueRead(None, etag, budget, not_modified=True)
        return IssueRead(data, answer.get("etag"), budget)

    def list_updated(
        self, repository: str, since: datetime, *, page: int = 1, etag: str | None = None
    ) -> ListingPage:
        """One page of the repository's issues updated at or after `since`, oldest first."""
        parameters = {
            "state": "all",
            "sort": "updated",
            "direction": "asc",
            "since": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "per_page": PER_PAGE,
            "page": page,
        }
        headers = {"If-None-Match": etag} if etag else {}
        try:
            answer, data = self._requester.requestJsonAndCheck(
                "GET", issues_path(repository), parameters, headers
            )
        except GithubException as exc:
            raise unavailable(exc) from exc
        except OSError as exc:
            raise unavailable(exc) from exc
        budget = Budget.from_headers(answer)
        if data is None:
            return ListingPage([], etag, budget, not_modified=True, has_next=False)
        items = [item for item in data if isinstance(item, dict)]
        has_next = 'rel="next"' in (answer.get("link") or "") or len(items) >= PER_PAGE
        return ListingPage(items, answer.get("etag"), budget, not_modified=False, has_next=has_next)

    def write_body(self, repository: str, number: int, body: str) -> dict[str, Any]:
        """PATCH the issue's body (and nothing else); the issue as GitHub returns it."""
        try:
            _, data = self._requester.requestJsonAndCheck(
                "PATCH", issue_path(repository, number), input={"body": body}
            )
        except GithubException as exc:
            raise unavailable(exc) from exc
        except OSError as exc:
            raise unavailable(exc) from exc
        return data if isinstance(data, dict) else {}


def issue_state(data: dict[str, Any]) -> str:
    return "closed" if data.get("state") == "closed" else "open"


def repository_from_url(repository_url: str | None) -> str | None:
    """owner/name from an issue's `repository_url` (…/repos/owner/name)."""
    if not repository_url:
        return None
    parts = repository_url.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-3] == "repos":
        return f"{parts[-2]}/{parts[-1]}"
    return None


def observation(data: dict[str, Any], source: SeenFrom, etag: str | None = None) -> Observation:
    """What a GitHub issue JSON says, as an observation."""
    return Observation(
        body=data.get("body"),
        state=IssueState(issue_state(data)),
        source=source,
        remote_updated_at=github_time(data.get("updated_at")),
        title=data.get("title"),
        url=data.get("html_url"),
        etag=etag,
    )
