"""The issue template as each repository keeps it on GitHub, read through the contents API.

`TemplateSource.resolve(repository)` answers the version a new draft for that repository
starts with, and, when the repository's own file can't serve, why (one line for the author):

- TEMPLATE_PATH set, or no GitHub configured: the local file, for every repository.
- The repository's `.github/ISSUE_TEMPLATE/<file>` (TEMPLATE_REPO_PATH) on its default
  branch: read with its ETag, kept for at most REFRESH (an unchanged file is a free 304
  then), and read again as soon as a `push` touching it arrives (`changed`).
- No such file: the bundled template, and the resolution says so.
- A file the flow can't serve (flows/template.py's checks), a repository the bot can't see,
  or GitHub refusing the read: the bundled template, a `problem` naming the repository, the
  file and what is wrong, and a `template.invalid` / `template.unreadable` event (once per
  version or cause, not per draft). GitHub unreachable: the last version read, if any.

Each repository is resolved on its own: one repository's broken file changes nothing for
another. The cache is per process; `changed` marks a repository stale in every thread.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from github import GithubException

from bot.github.client import GitHubAccess
from bot.github.failures import classify
from bot.github.paths import repo_path
from bot.log import get_logger
from flows.errors import TemplateError
from flows.questions import build_flow
from flows.template_version import TemplateVersion

log = get_logger()

DEFAULT_REPO_PATH = ".github/ISSUE_TEMPLATE/reliability_milestone.md"
REFRESH = timedelta(minutes=10)


@dataclass(frozen=True)
class TemplateProblem:
    """Why a repository's own template isn't the one serving."""

    repository: str
    path: str
    kind: str  # "missing" | "invalid" | "no_access" | "unreachable"
    reason: str

    def line(self) -> str:
        """One line for the author: the repository, the file, what is wrong, what serves."""
        where = f"`{self.path}` in {self.repository}"
        if self.kind == "missing":
            return (
                f"{self.repository} has no `{self.path}`, so this draft uses the bundled template."
            )
        if self.kind == "invalid":
            return (
                f"{where} can't be used ({self.reason}); fix the file on GitHub, or go on "
                "with the bundled template."
            )
        if self.kind == "no_access":
            return (
                f"The bot can't read {where} ({self.reason}): give it access to the "
                "repository (contents: read), or go on with the bundled template."
            )
        return f"GitHub didn't answer for {where} ({self.reason}); using the bundled template."


@dataclass(frozen=True)
class Resolution:
    """What a new draft for `repository` starts with."""

    repository: str
    version: TemplateVersion
    problem: TemplateProblem | None = None

    @property
    def from_repository(self) -> bool:
        return self.version.from_repository


@dataclass
class _Entry:
    read_at: datetime
    etag: str | None
    version: TemplateVersion | None  # the repository's own version, when it has a usable one
    problem: TemplateProblem | None
    stale: bool = False


class TemplateSource:
    """Per-repository template versions; safe to share between threads."""

    def __init__(
        self,
        *,
        fallback: TemplateVersion,
        github: GitHubAccess | None,
        repo_path: str = DEFAULT_REPO_PATH,
        override: bool = False,
        refresh: timedelta = REFRESH,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.fallback = fallback
        self.github = github
        self.repo_path = repo_path.strip("/")
        self.override = override  # TEMPLATE_PATH: the local file for every repository
        self.refresh = refresh
        self._now = now
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._reported: set[tuple[str, str]] = set()

    @property
    def reads_github(self) -> bool:
        return self.github is not None and not self.override

    def resolve(self, repository: str | None) -> Resolution:
        """The version a new draft for `repository` starts with (None: the default one)."""
        if repository is None or not self.reads_github:
            return Resolution(repository or "", self.fallback)
        key = repository.lower()
        with self._lock:
            entry = self._entries.get(key)
        now = self._now()
        if entry is None or entry.stale or now - entry.read_at >= self.refresh:
            entry = self._read(repository, entry, now)
            with self._lock:
                self._entries[key] = entry
        if entry.version is not None:
            return Resolution(repository, entry.version, entry.problem)
        return Resolution(repository, self.fallback, entry.problem)

    def changed(self, repository: str, paths: set[str]) -> bool:
        """A push to `repository`'s default branch touched `paths`: read the file again
        before the next draft when it is among them. True when it was."""
        if self.repo_path not in {p.strip("/") for p in paths}:
            return False
        with self._lock:
            entry = self._entries.get(repository.lower())
            if entry is not None:
                entry.stale = True
        return True

    def _read(self, repository: str, previous: _Entry | None, now: datetime) -> _Entry:
        assert self.github is not None
        access = self.github.for_repository(repository)
        etag = previous.etag if previous is not None else None
        try:
            with access.client() as gh:
                requester = gh.requester
                answer, data = _get(requester, self._contents_url(repository), etag)
                if data is None and previous is not None:
                    return replace(previous, read_at=now, stale=False)
                if isinstance(data, dict) and data.get("type") == "file":
                    return self._parse(repository, data, answer.get("etag"), now)
                entry = self._problem(repository, "missing", "it is not a file", now)
                entry.etag = answer.get("etag")
                return entry
        except GithubException as exc:
            return self._refused(repository, exc, access, previous, now)
        except OSError as exc:
            return self._unreachable(repository, str(exc), previous, now)

    def _contents_url(self, repository: str) -> str:
        # Without `ref` GitHub reads the repository's default branch.
        return f"{repo_path(repository)}/contents/{quote(self.repo_path)}"

    def _parse(
        self, repository: str, data: dict[str, Any], etag: str | None, now: datetime
    ) -> _Entry:
        try:
            text = base64.b64decode(str(data.get("content") or "")).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return self._problem(repository, "invalid", "it is not UTF-8 text", now)
        version = TemplateVersion(
            content=text, path=self.repo_path, repository=repository, sha=str(data.get("sha") or "")
        )
        try:
            build_flow(version.template())  # the questions need more than the headings
        except TemplateError as exc:
            entry = self._problem(repository, "invalid", str(exc), now, sha=version.sha)
            entry.etag = etag
            return entry
        if (repository.lower(), version.sha) not in self._reported:
            self._reported.add((repository.lower(), version.sha))
            log.info("template.read", repository=repository, path=self.repo_path, sha=version.sha)
        return _Entry(now, etag, version, None)

    def _refused(
        self,
        repository: str,
        exc: GithubException,
        access: GitHubAccess,
        previous: _Entry | None,
        now: datetime,
    ) -> _Entry:
        error = classify(exc)
        if error.status == 404:
            # GitHub says 404 for a missing file and for a repository it hides alike.
            if self._repository_visible(access, repository):
                return self._problem(repository, "missing", "no such file", now)
            return self._problem(repository, "no_access", "GitHub answers 404 Not Found", now)
        if error.status in (401, 403):
            return self._problem(repository, "no_access", error.detail, now)
        return self._unreachable(repository, error.detail, previous, now)

    def _repository_visible(self, access: GitHubAccess, repository: str) -> bool:
        try:
            with access.client() as gh:
                gh.requester.requestJsonAndCheck("GET", repo_path(repository))
        except (GithubException, OSError):
            return False
        return True

    def _unreachable(
        self, repository: str, reason: str, previous: _Entry | None, now: datetime
    ) -> _Entry:
        log.warning(
            "template.unreadable", repository=repository, path=self.repo_path, reason=reason
        )
        if previous is not None and previous.version is not None:
            # The last version read serves until GitHub answers again; retry in a minute.
            return replace(previous, read_at=now - self.refresh + timedelta(minutes=1))
        problem = TemplateProblem(repository, self.repo_path, "unreachable", reason)
        return _Entry(now - self.refresh + timedelta(minutes=1), None, None, problem)

    def _problem(
        self, repository: str, kind: str, reason: str, now: datetime, *, sha: str = ""
    ) -> _Entry:
        problem = TemplateProblem(repository, self.repo_path, kind, reason)
        marker = (repository.lower(), f"{kind}:{sha or reason}")
        if marker not in self._reported:
            self._reported.add(marker)
            fields = {"repository": repository, "path": self.repo_path, "reason": reason}
            if kind == "invalid":
                log.warning("template.invalid", sha=sha, **fields)
            elif kind == "missing":
                log.info("template.absent", **fields)
            else:
                log.warning("template.unreadable", **fields)
        return _Entry(now, None, None, problem)


def _get(requester: Any, url: str, etag: str | None) -> tuple[dict[str, Any], Any]:
    headers = {"If-None-Match": etag} if etag else {}
    answer, data = requester.requestJsonAndCheck("GET", url, headers=headers)
    return answer, data
