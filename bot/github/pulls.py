"""Reading the pull requests that implement a milestone: listings, files, checks, timelines.

One gateway (not shared across threads), in the shape of bot.github.issues.IssueAccess,
reading each repository with its own client: `clients` picks one per repository
(bot.github.repository_clients: with a GitHub App, that repository's installation; one it
isn't installed on raises RepositoryUnreachable), or one `github` client serves them all.
GitHub's failures become GitHubUnavailable or RateLimited (bot.github.failures), every
answer's rate limit is kept in `budget`, and `requests` counts what was asked, so the sweep
can report and bound its cost.

Costs, as GitHub charges them: the repository's listing of recently updated pull requests
and each issue's timeline are conditional on their last ETag (a 304 is free); a merged pull
request costs its file pages (100 files a page, GitHub lists at most 3,000), one check-runs
call and one combined-status call on its merge commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from github import Github, GithubException

from bot.github.failures import unavailable
from bot.github.issues import Budget, repository_from_url
from bot.github.paths import issue_path, repo_path
from flows.evidence import FILES_CAP, ChangedFile, Check, PullRequest, PullState
from flows.links import references, revert_of

PER_PAGE = 100
MAX_CHECK_PAGES = 10  # 1,000 check runs on one commit is more than any CI makes


@dataclass(frozen=True)
class Page:
    """One page of a listing, or a 304 (`not_modified`) for a conditional first page."""

    items: list[dict[str, Any]]
    etag: str | None
    not_modified: bool = False
    next_url: str | None = None  # GitHub's Link rel="next", followed as given

    @property
    def has_next(self) -> bool:
        return self.next_url is not None


@dataclass(frozen=True)
class Files:
    files: tuple[ChangedFile, ...]
    capped: bool  # GitHub stopped at FILES_CAP


@dataclass
class PullAccess:
    github: Github | None = None
    requests: int = 0
    budget: Budget = field(default_factory=lambda: Budget(None))
    clients: Callable[[str], Github] | None = None  # repository -> its client

    def _client(self, repository: str) -> Github:
        if self.clients is not None:
            return self.clients(repository)
        assert self.github is not None, "PullAccess needs a client or a client per repository"
        return self.github

    def _get(
        self,
        repository: str,
        path: str,
        parameters: dict[str, Any] | None = None,
        etag: str | None = None,
    ) -> tuple[dict[str, Any], Any]:
        headers = {"If-None-Match": etag} if etag else {}
        client = self._client(repository)  # before counting: an unreachable one costs nothing
        self.requests += 1
        try:
            answer, data = client.requester.requestJsonAndCheck("GET", path, parameters, headers)
        except GithubException as exc:
            self.budget = Budget.from_headers(exc.headers or {})
            raise unavailable(exc) from exc
        except OSError as exc:
            raise unavailable(exc) from exc
        self.budget = Budget.from_headers(answer)
        return answer, data

    def _page(
        self, repository: str, path: str, parameters: dict[str, Any] | None, etag: str | None
    ) -> Page:
        query = {**parameters, "per_page": PER_PAGE} if parameters is not None else None
        answer, data = self._get(repository, path, query, etag)
        if data is None:
            return Page([], etag, not_modified=True)
        items = [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []
        return Page(items, answer.get("etag"), next_url=_next_link(answer.get("link")))

    def updated_pulls(
        self, repository: str, *, etag: str | None = None, next_url: str | None = None
    ) -> Page:
        """A page of the repository's pull requests, most recently updated first: the first
        (conditional on `etag`), or the one at `next_url`."""
        if next_url is not None:
            return self._page(repository, next_url, None, None)
        parameters = {"state": "all", "sort": "updated", "direction": "desc"}
        return self._page(repository, f"{repo_path(repository)}/pulls", parameters, etag)

    def pull(self, repository: str, number: int) -> dict[str, Any]:
        _, data = self._get(repository, f"{repo_path(repository)}/pulls/{number}")
        return data if isinstance(data, dict) else {}

    def pulls_of_commit(self, repository: str, sha: str) -> list[dict[str, Any]]:
        """The pull requests a commit belongs to (for a commit message that references an
        issue: GitHub's timeline names the commit, not its pull request)."""
        _, data = self._get(repository, f"{repo_path(repository)}/commits/{sha}/pulls")
        return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []

    def timeline(self, repository: str, number: int, etag: str | None = None) -> Page:
        """Every event of the issue's timeline; a 304 when the first page is unchanged."""
        path = f"{issue_path(repository, number)}/timeline"
        first = self._page(repository, path, {}, etag)
        items, current = list(first.items), first
        while current.next_url:
            current = self._page(repository, current.next_url, None, None)
            items += current.items
        return Page(items, first.etag, first.not_modified)

    def files(self, repository: str, number: int) -> Files:
        """The pull request's changed files with their patches, every page."""
        path = f"{repo_path(repository)}/pulls/{number}/files"
        found: list[ChangedFile] = []
        url: str | None = path
        parameters: dict[str, Any] | None = {}
        while url is not None:
            current = self._page(repository, url, parameters, None)
            for item in current.items:
                found.append(
                    ChangedFile(
                        str(item.get("filename") or ""),
                        str(item.get("status") or "modified"),
                        item.get("patch") if isinstance(item.get("patch"), str) else None,
                    )
                )
            if len(found) >= FILES_CAP:
                break
            url, parameters = current.next_url, None
        return Files(tuple(found), capped=len(found) >= FILES_CAP)

    def checks(self, repository: str, sha: str) -> tuple[Check, ...]:
        """The check runs and commit statuses on `sha`; a running one has no conclusion."""
        found: list[Check] = []
        for page in range(1, MAX_CHECK_PAGES + 1):
            _, data = self._get(
                repository,
                f"{repo_path(repository)}/commits/{sha}/check-runs",
                {"per_page": PER_PAGE, "page": page},
            )
            runs = (data or {}).get("check_runs") or []
            for run in runs:
                done = run.get("status") == "completed"
                found.append(Check(str(run.get("name")), run.get("conclusion") if done else None))
            if len(runs) < PER_PAGE:
                break
        _, status = self._get(repository, f"{repo_path(repository)}/commits/{sha}/status")
        for item in (status or {}).get("statuses") or []:
            state = item.get("state")
            conclusion = (
                None if state == "pending" else ("success" if state == "success" else state)
            )
            found.append(Check(str(item.get("context")), conclusion, kind="status"))
        return tuple(found)


def _next_link(header: str | None) -> str | None:
    for part in (header or "").split(","):
        url, _, rel = part.partition(";")
        if 'rel="next"' in rel:
            return url.strip().strip("<>")
    return None


def _state(data: dict[str, Any]) -> PullState:
    merged = (
        data.get("merged")
        or data.get("merged_at")
        or ((data.get("pull_request") or {}).get("merged_at"))
    )
    if merged:
        return PullState.MERGED
    return PullState.CLOSED if data.get("state") == "closed" else PullState.OPEN


def pull_from_json(data: dict[str, Any], repository: str | None = None) -> PullRequest | None:
    """A pull request as GitHub's pull JSON (REST, or a webhook's `pull_request`) shows it.

    Files and checks are not in that JSON: they are read separately once it merged.
    """
    base_repo = ((data.get("base") or {}).get("repo") or {}).get("full_name") or repository
    number = data.get("number")
    if not isinstance(base_repo, str) or not isinstance(number, int):
        return None
    head_repo = ((data.get("head") or {}).get("repo") or {}).get("full_name")
    state = _state(data)
    return PullRequest(
        repository=base_repo,
        number=number,
        title=str(data.get("title") or ""),
        url=str(data.get("html_url") or ""),
        state=state,
        merge_sha=data.get("merge_commit_sha") if state is PullState.MERGED else None,
        fork=head_repo is None or head_repo.lower() != base_repo.lower(),
        reverts=revert_of(data.get("title"), data.get("body"), base_repo),
    )


def referenced_issues(data: dict[str, Any], repository: str) -> set[tuple[str, int]]:
    """The issues a pull request's title and body reference."""
    return references(f"{data.get('title') or ''}\n{data.get('body') or ''}", repository)


def timeline_commits(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(repository, sha) of each commit whose message references the issue (`referenced`)."""
    found = []
    for event in events:
        sha, url = event.get("commit_id"), event.get("commit_url") or ""
        if event.get("event") != "referenced" or not isinstance(sha, str):
            continue
        parts = url.rstrip("/").split("/")
        if len(parts) >= 4 and parts[-2] == "commits" and parts[-5] == "repos":
            found.append((f"{parts[-4]}/{parts[-3]}", sha))
    return found


def timeline_pulls(events: list[dict[str, Any]]) -> list[tuple[str, int, dict[str, Any]]]:
    """(repository, number, issue JSON) of each pull request a timeline cross-references."""
    found = []
    for event in events:
        if event.get("event") != "cross-referenced":
            continue
        issue = (event.get("source") or {}).get("issue") or {}
        repository = repository_from_url(issue.get("repository_url"))
        if "pull_request" in issue and repository and isinstance(issue.get("number"), int):
            found.append((repository, issue["number"], issue))
    return found
