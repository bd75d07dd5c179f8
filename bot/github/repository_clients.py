"""A PyGithub client per repository, with that repository's own credentials.

With a GitHub App that is the repository's installation (an organisation may install the App
more than once), so a second repository is not read with a token that can't see it. A
repository the App isn't installed on raises RepositoryUnreachable, which concerns that
repository alone. The reminders' issue reads (bot.github.repository_issues) and the
evidence's pull request reads (bot.github.pulls) both pick their client here.
"""

from __future__ import annotations

from github import Github, GithubException

from bot.errors import RepositoryUnreachable
from bot.github.client import GitHubAccess
from bot.github.failures import unavailable


class RepositoryClients:
    """One client per repository, built on first use and kept (one owner thread: a PyGithub
    client is not shared across threads)."""

    def __init__(self, access: GitHubAccess) -> None:
        self._access = access
        self._by_repository: dict[str, Github] = {}

    def __call__(self, repository: str) -> Github:
        key = repository.lower()
        if key not in self._by_repository:
            try:
                client = self._access.for_repository(repository).client()
            except GithubException as exc:
                if exc.status == 404 and self._access.config.uses_app:
                    raise RepositoryUnreachable(
                        repository,
                        f"the GitHub App isn't installed on {repository} "
                        "(GitHub answered 404 for its installation)",
                    ) from exc
                raise unavailable(exc) from exc
            except OSError as exc:
                raise unavailable(exc) from exc
            self._by_repository[key] = client
        return self._by_repository[key]
