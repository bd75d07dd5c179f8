"""The reminders' issue reads and writes, each with the credentials of the issue's own
repository (bot.github.repository_clients): with a GitHub App that is the repository's
installation, so an issue filed in a second repository is not mistaken for a deleted one by a
token that can't see it. A repository the App isn't installed on raises
RepositoryUnreachable, which concerns that repository alone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.github.client import GitHubAccess
from bot.github.issues import IssueAccess, IssueRead, ListingPage
from bot.github.repository_clients import RepositoryClients


class RepositoryIssues(IssueAccess):
    """IssueAccess that picks a client per repository (built on first use, kept)."""

    def __init__(self, access: GitHubAccess) -> None:
        self._clients = RepositoryClients(access)
        self._by_repository: dict[str, IssueAccess] = {}

    def _for(self, repository: str) -> IssueAccess:
        key = repository.lower()
        if key not in self._by_repository:
            self._by_repository[key] = IssueAccess(self._clients(repository))
        return self._by_repository[key]

    def get(self, repository: str, number: int, etag: str | None = None) -> IssueRead:
        return self._for(repository).get(repository, number, etag)

    def list_updated(
        self, repository: str, since: datetime, *, page: int = 1, etag: str | None = None
    ) -> ListingPage:
        return self._for(repository).list_updated(repository, since, page=page, etag=etag)

    def write_body(self, repository: str, number: int, body: str) -> dict[str, Any]:
        return self._for(repository).write_body(repository, number, body)
