"""The file touch plan checked against the repository's default branch.

One tree listing (`GET /repos/{o}/{r}/git/trees/{branch}?recursive=1`) per check, never a
request per path. A path that is not on the branch is shown as "new file?" for the author to
confirm or fix; nothing here ever blocks a draft: when GitHub cannot be asked, or the tree is
too big to come back whole, the check says so and lists nothing.
"""

from __future__ import annotations

import fnmatch
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from github import GithubException
from requests.exceptions import RequestException

from bot.github.client import GitHubAccess
from bot.github.paths import repo_path, tree_path
from bot.log import get_logger

log = get_logger()

CACHE_SECONDS = 120.0  # a preview shown again soon after reuses the listing
_TOKEN = re.compile(r"[^\s`'\"(),;]+")
_TRAILING = ".,;:!?)"


@dataclass(frozen=True)
class TouchReport:
    """What the check found: the plan's paths missing from `branch` (empty when unchecked)."""

    checked: bool
    branch: str = ""
    unknown: tuple[str, ...] = ()
    reason: str = ""  # why it could not check, for the log


def plan_path(item: str) -> str | None:
    """The repository path a plan item names (`execution/reconciler.py — add a budget`),
    or None when it names none (prose such as "the reconciler module")."""
    for token in _TOKEN.findall(item.replace("`", " ")):
        path = token.rstrip(_TRAILING).removeprefix("./").lstrip("/")
        if not path or "://" in token:
            continue
        # A path has a directory or a file extension; a bare word is prose.
        if "/" in path or re.search(r"\.[A-Za-z0-9]{1,10}$", path):
            return path.rstrip("/") or None
    return None


def unknown_paths(paths: Iterable[str], known: set[str]) -> tuple[str, ...]:
    """The paths neither in `known` (files and directories) nor matching it as a glob."""
    missing: list[str] = []
    for path in paths:
        if any(ch in path for ch in "*?["):
            if not any(fnmatch.fnmatchcase(k, path) for k in known):
                missing.append(path)
        elif path not in known and path not in missing:
            missing.append(path)
    return tuple(missing)


def touch_note(report: TouchReport, *, edit_hint: str = "`edit files`") -> str | None:
    """The line shown under the preview when paths are unknown; None when there are none."""
    if not report.checked or not report.unknown:
        return None
    listed = ", ".join(f"`{p}`" for p in report.unknown[:10])
    more = f" and {len(report.unknown) - 10} more" if len(report.unknown) > 10 else ""
    return (
        f"File touch plan: {listed}{more} isn't on `{report.branch}` yet. New file? "
        f"That's fine; if it's a typo, fix it with {edit_hint}."
    )


class FileTouchChecker:
    """Checks plans against the configured repository, caching the listing briefly."""

    def __init__(
        self,
        access: GitHubAccess,
        *,
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._access = access
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cached: tuple[float, str, set[str]] | None = None

    def check(self, plan: Sequence[str]) -> TouchReport:
        """Look up every path of `plan` on the default branch; never raises for GitHub."""
        paths = [p for p in (plan_path(item) for item in plan) if p]
        if not paths:
            return TouchReport(checked=False, reason="no paths in the plan")
        try:
            listing = self._listing()
        except (GithubException, RequestException) as exc:
            reason = f"{type(exc).__name__}: {getattr(exc, 'status', '') or exc}"[:200]
            log.info("github.touch_check_skipped", reason=reason)
            return TouchReport(checked=False, reason=reason)
        if listing is None:
            return TouchReport(checked=False, reason="the tree is too big to list at once")
        branch, known = listing
        return TouchReport(checked=True, branch=branch, unknown=unknown_paths(paths, known))

    def _listing(self) -> tuple[str, set[str]] | None:
        with self._lock:
            cached = self._cached
        if cached is not None and self._monotonic() - cached[0] < self._cache_seconds:
            return cached[1], cached[2]
        repository = self._access.repository
        with self._access.client() as gh:
            _, data = gh.requester.requestJsonAndCheck("GET", repo_path(repository))
            branch = str(data.get("default_branch") or "main")
            _, tree = gh.requester.requestJsonAndCheck(
                "GET", tree_path(repository, branch), parameters={"recursive": "1"}
            )
        if tree.get("truncated"):
            return None
        known = _known_paths(tree.get("tree") or [])
        with self._lock:
            self._cached = (self._monotonic(), branch, known)
        return branch, known


def _known_paths(entries: Iterable[Any]) -> set[str]:
    return {str(e["path"]) for e in entries if isinstance(e, dict) and e.get("path")}
