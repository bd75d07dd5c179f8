"""REST paths of the GitHub resources the bot reads and writes, built in one place.

Each part is percent-encoded: a repository or login from settings or an author's answer
never changes which resource is addressed.
"""

from __future__ import annotations

from urllib.parse import quote


def repo_path(repository: str) -> str:
    """`/repos/{owner}/{name}` for `owner/name`."""
    owner, _, name = repository.partition("/")
    return f"/repos/{quote(owner)}/{quote(name)}"


def issues_path(repository: str) -> str:
    return f"{repo_path(repository)}/issues"


def issue_path(repository: str, number: int) -> str:
    return f"{issues_path(repository)}/{number}"


def milestones_path(repository: str) -> str:
    return f"{repo_path(repository)}/milestones"


def tree_path(repository: str, branch: str) -> str:
    return f"{repo_path(repository)}/git/trees/{quote(branch, safe='')}"


def user_path(login: str) -> str:
    return f"/users/{quote(login, safe='')}"
