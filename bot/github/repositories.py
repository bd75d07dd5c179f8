"""Whether the bot can file issues in a repository, asked of GitHub before a channel uses it.

`check_repository` answers the repository as GitHub spells it, with its default branch, or
raises RepositoryRefused with one line naming what is missing: the repository (or the bot's
access to it), the GitHub App's installation on it, issues turned off, an archived
repository, or the right to set labels and assignees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from github import GithubException

from bot.errors import GitHubUnavailable
from bot.github.client import GitHubAccess
from bot.github.failures import classify
from bot.github.paths import repo_path
from flows.errors import MilestoneError

REPOSITORY = re.compile(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+")
_URL = re.compile(r"^(?:<)?https?://[^/\s]+/([^/\s]+/[^/\s|>#?]+?)(?:\.git)?/?(?:[|>].*)?$")


class RepositoryRefused(MilestoneError):
    """The bot can't file issues in that repository; the message says what is missing."""


@dataclass(frozen=True)
class RepositoryInfo:
    full_name: str  # as GitHub spells it
    default_branch: str


def repository_name(text: str) -> str | None:
    """`owner/name` from what someone typed: the name itself, or a repository URL (Slack
    wraps links in <...>)."""
    value = text.strip()
    match = _URL.match(value)
    if match:
        value = match.group(1)
    return value if REPOSITORY.fullmatch(value) else None


def check_repository(access: GitHubAccess, repository: str) -> RepositoryInfo:
    """The repository if the bot can file issues there; RepositoryRefused names what isn't so.

    GitHubUnavailable when GitHub didn't answer (nothing is known either way)."""
    target = access.for_repository(repository)
    try:
        with target.client() as gh:
            _, data = gh.requester.requestJsonAndCheck("GET", repo_path(repository))
    except GithubException as exc:
        raise _refusal(classify(exc), repository, target) from exc
    except OSError as exc:
        raise GitHubUnavailable(f"GitHub could not be reached ({exc})") from exc
    name = str(data.get("full_name") or repository)
    if not data.get("has_issues", True):
        raise RepositoryRefused(
            f"{name} has issues turned off: turn them on in its Settings → General → Features."
        )
    if data.get("archived"):
        raise RepositoryRefused(f"{name} is archived: unarchive it, or choose another repository.")
    permissions = data.get("permissions") or {}
    if permissions and not (permissions.get("triage") or permissions.get("push")):
        raise RepositoryRefused(
            f"The bot can see {name} but can't set labels or assignees on its issues: give it "
            "triage or write access there (a GitHub App needs Issues: read and write)."
        )
    return RepositoryInfo(name, str(data.get("default_branch") or "main"))


def _refusal(error: object, repository: str, access: GitHubAccess) -> Exception:
    status = getattr(error, "status", None)
    detail = getattr(error, "detail", str(error))
    if status == 404 and access.config.uses_app:
        return RepositoryRefused(
            f"The GitHub App isn't installed on {repository}, or there is no such repository: "
            "install the App on it (GitHub → Settings → Applications), then try again."
        )
    if status == 404:
        return RepositoryRefused(
            f"GitHub has no repository {repository} that the bot can see: check the name, or "
            f"give {access.config.credentials} access to it."
        )
    if status in (401, 403):
        return RepositoryRefused(
            f"GitHub refused the bot on {repository} ({detail}): check "
            f"{access.config.credentials} and its access to the repository."
        )
    return GitHubUnavailable(f"GitHub didn't answer about {repository} ({detail})")
