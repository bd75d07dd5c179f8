"""GitHub users by login: whether GitHub has one, and how it spells the login."""

from __future__ import annotations

from dataclasses import dataclass

from github import GithubException
from requests.exceptions import RequestException

from bot.errors import GitHubUnavailable, UnknownGitHubUser
from bot.github.client import GitHubAccess
from bot.github.failures import classify
from bot.github.paths import user_path
from bot.log import get_logger

log = get_logger()


@dataclass
class GitHubLogins:
    """Whether GitHub has a user, by login (canonical casing), via GET /users/{login}."""

    access: GitHubAccess

    def lookup(self, login: str) -> str:
        """The login as GitHub spells it.

        Raises UnknownGitHubUser when GitHub has no such user, and GitHubUnavailable when it
        could not be asked (callers then take the login as typed rather than block anyone).
        """
        try:
            with self.access.client() as gh:
                _, data = gh.requester.requestJsonAndCheck("GET", user_path(login))
        except GithubException as exc:
            if exc.status == 404:
                raise UnknownGitHubUser(login) from exc
            log.info("github.login_check_skipped", status=exc.status)
            raise GitHubUnavailable(str(classify(exc))) from exc
        except RequestException as exc:
            log.info("github.login_check_skipped", reason=type(exc).__name__)
            raise GitHubUnavailable(str(classify(exc))) from exc
        return str(data.get("login") or login)
