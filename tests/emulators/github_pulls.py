"""The GitHub emulator's pull requests: their files with patches, commits, check runs, commit
statuses, issue timelines, and the `pull_request` / `check_suite` / `check_run` payloads.

Routes (in github_pulls_rest.py; shapes from GitHub's REST docs and octokit/webhooks' examples):
GET /repos/{o}/{r}/pulls, GET /repos/{o}/{r}/pulls/{n}, GET /repos/{o}/{r}/pulls/{n}/files
(30 a page by default, 100 at most, never more than 3,000 files in all, as GitHub),
GET /repos/{o}/{r}/pulls/{n}/commits, GET /repos/{o}/{r}/commits/{ref}/check-runs
(`{total_count, check_runs}`), GET /repos/{o}/{r}/commits/{ref}/status (the combined status),
GET /repos/{o}/{r}/issues/{n}/timeline (`cross-referenced` with `source.issue`, `referenced`
with `commit_id`, `connected`). Every GET answers with an ETag and 304s on If-None-Match,
like the rest of the emulator; faults are injected with `GitHubEmulator.inject` as usual.

A person's actions go through `gh.pulls` (a `PullActions`): open, edit, push (a force-push
replaces the files and the head), merge, close, revert, connect, check runs and statuses.
Opening or editing a pull request whose title, body or commit messages reference an issue of
the emulator adds GitHub's timeline events to that issue; the issue's own `updated_at` is
left alone (GitHub does not bump it for a cross-reference either).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tests.emulators import github_api as api

FILES_CAP = 3000
_CLOSING = re.compile(
    r"\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?):?\s+"
    r"(?:(?P<owner>[A-Za-z0-9][\w-]*)/(?P<name>[\w.-]+))?#(?P<number>\d+)\b",
    re.IGNORECASE,
)
_REF = re.compile(
    r"(?<![\w/#&])(?:(?P<owner>[A-Za-z0-9][\w-]*)/(?P<name>[\w.-]+))?#(?P<number>\d+)\b"
)


@dataclass
class PullFile:
    filename: str
    status: str = "modified"
    patch: str | None = None

    def counts(self) -> tuple[int, int]:
        lines = (self.patch or "").splitlines()
        added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
        removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
        return added, removed


@dataclass
class Pull:
    repo: str
    number: int
    head_ref: str
    head_sha: str
    head_repo: str  # owner/name the branch lives in (a fork's, for a fork's pull request)
    base_ref: str
    files: list[PullFile]
    commits: list[tuple[str, str]]  # (sha, message)
    merged: bool = False
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    merged_by: str | None = None


@dataclass
class TimelineEntry:
    event: str
    actor: str
    created_at: datetime
    source: tuple[str, int] | None = None  # the referencing pull request (repo, number)
    commit_id: str | None = None
    id: int = 0


@dataclass
class PullWorld:
    pulls: dict[tuple[str, int], Pull] = field(default_factory=dict)
    check_runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by sha
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    timelines: dict[tuple[str, int], list[TimelineEntry]] = field(default_factory=dict)
    shas: int = 0


def world(em: api.GitHubEmulator) -> PullWorld:
    return em.__dict__.setdefault("_pull_world", PullWorld())


def _sha(w: PullWorld, seed: str) -> str:
    w.shas += 1
    return hashlib.sha1(f"{seed}:{w.shas}".encode()).hexdigest()


def _files(files: Mapping[str, str | tuple[str, str | None] | None]) -> list[PullFile]:
    """`{path: patch}` or `{path: (status, patch)}`; a patch of None is a binary file."""
    out = []
    for path, value in files.items():
        if isinstance(value, tuple):
            out.append(PullFile(path, value[0], value[1]))
        else:
            out.append(PullFile(path, "modified", value))
    return out


def added_patch(*lines: str) -> str:
    """A unified-diff hunk that adds `lines` after one line of context."""
    return f"@@ -1,1 +1,{len(lines) + 1} @@\n context\n" + "\n".join(f"+{x}" for x in lines)


class PullActions:
    """What people do with pull requests on GitHub, applied to the emulator's state."""

    def __init__(self, em: api.GitHubEmulator) -> None:
        self.em = em
        self.w = world(em)

    def open(
        self,
        repo: str,
        title: str,
        body: str = "",
        *,
        files: Mapping[str, str | tuple[str, str | None] | None] = (),  # type: ignore[assignment]
        commits: Iterable[str] = ("Change",),
        user: str | None = None,
        fork: str | None = None,
        head_ref: str = "feature",
    ) -> int:
        with self.em._lock:
            issue = self.em.add_pull_request(repo, title, body, user=user)
            head_repo = fork or repo
            shas = [(_sha(self.w, repo), message) for message in commits]
            pull = Pull(
                repo,
                issue.number,
                head_ref,
                shas[-1][0],
                head_repo,
                "main",
                _files(dict(files)),
                shas,
            )
            self.w.pulls[(repo.lower(), issue.number)] = pull
            self._cross_reference(pull, issue.user)
            return issue.number

    def edit(
        self, repo: str, number: int, *, title: str | None = None, body: str | None = None
    ) -> None:
        with self.em._lock:
            self.em.edit_issue(repo, number, title=title, body=body)
            pull = self.pull(repo, number)
            self._cross_reference(pull, self.em._issue(repo, number).user)

    def push(
        self,
        repo: str,
        number: int,
        files: Mapping[str, str | tuple[str, str | None] | None],
        *,
        message: str = "Rework",
        force: bool = True,
    ) -> str:
        """New commits on the branch; a force-push replaces the whole diff. The new head sha."""
        with self.em._lock:
            pull = self.pull(repo, number)
            sha = _sha(self.w, repo)
            pull.commits = [(sha, message)] if force else [*pull.commits, (sha, message)]
            pull.files = _files(dict(files)) if force else [*pull.files, *_files(dict(files))]
            pull.head_sha = sha
            issue = self.em._issue(repo, number)
            issue.updated_at = self.em.clock()
            self._cross_reference(pull, issue.user)
            return sha

    def merge(self, repo: str, number: int, *, by: str | None = None) -> str:
        """Merge: the pull request closes, merged, with a merge commit. Its sha."""
        with self.em._lock:
            pull = self.pull(repo, number)
            issue = self.em._issue(repo, number)
            pull.merged, pull.merged_at = True, self.em.clock()
            pull.merge_commit_sha = _sha(self.w, f"merge:{repo}")
            pull.merged_by = by or issue.user
            self.em.close_issue(repo, number, actor=pull.merged_by)
            self.em._issue(repo, number).merged_at = pull.merged_at
            # As GitHub does on the default branch: `Fixes #N` (and the other closing
            # keywords) in the title or body closes issue N of the same repository.
            for target in _CLOSING.finditer(f"{issue.title}\n{issue.body or ''}"):
                owner, name = target.group("owner"), target.group("name")
                where = f"{owner}/{name}" if owner and name else repo
                record = self.em._repos.get(where.lower())
                closing = int(target.group("number"))
                same_repo = record is not None and where.lower() == repo.lower()
                target_issue = record.issues.get(closing) if same_repo and record else None
                if target_issue is not None and target_issue.state == "open" and closing != number:
                    self.em.close_issue(where, closing, actor=pull.merged_by)
            return pull.merge_commit_sha

    def close(self, repo: str, number: int) -> None:
        self.em.close_issue(repo, number)

    def revert(self, repo: str, number: int, *, merge: bool = True) -> int:
        """GitHub's Revert button: a new pull request undoing `number`'s files."""
        with self.em._lock:
            original = self.pull(repo, number)
            title = self.em._issue(repo, number).title
            undo = {
                f.filename: ("removed" if f.status == "added" else "modified", None)
                for f in original.files
            }
            revert = self.open(
                repo,
                f'Revert "{title}"',
                f"Reverts {repo}#{number}",
                files=undo,
                commits=[f'Revert "{title}"'],
                head_ref=f"revert-{number}-feature",
            )
            if merge:
                self.merge(repo, revert)
            return revert

    def connect(self, issue_repo: str, issue: int, repo: str, number: int) -> None:
        """Linked from the issue's Development menu: a `connected` event (no pull request named)."""
        with self.em._lock:
            key = (issue_repo.lower(), issue)
            entries = self.w.timelines.setdefault(key, [])
            entries.append(
                TimelineEntry(
                    "connected",
                    self.em._issue(repo, number).user,
                    self.em.clock(),
                    id=next(self.em._ids),
                )
            )

    def check_run(
        self, repo: str, sha: str, name: str, *, conclusion: str | None = "success"
    ) -> dict[str, Any]:
        """Add or update the check run `name` on `sha`; conclusion None while it runs."""
        with self.em._lock:
            runs = self.w.check_runs.setdefault(sha, [])
            run = next((r for r in runs if r["name"] == name), None)
            if run is None:
                run = {
                    "id": next(self.em._ids),
                    "name": name,
                    "head_sha": sha,
                    "started_at": api._iso(self.em.clock()),
                    "suite": next(self.em._ids),
                }
                runs.append(run)
            run["status"] = "completed" if conclusion else "in_progress"
            run["conclusion"] = conclusion
            run["completed_at"] = api._iso(self.em.clock()) if conclusion else None
            return dict(run)

    def status(self, repo: str, sha: str, context: str, state: str = "success") -> None:
        with self.em._lock:
            statuses = self.w.statuses.setdefault(sha, [])
            statuses[:] = [s for s in statuses if s["context"] != context]
            now = api._iso(self.em.clock())
            statuses.insert(
                0,
                {
                    "id": next(self.em._ids),
                    "context": context,
                    "state": state,
                    "created_at": now,
                    "updated_at": now,
                },
            )

    def pull(self, repo: str, number: int) -> Pull:
        return self.w.pulls[(repo.lower(), number)]

    def _cross_reference(self, pull: Pull, actor: str) -> None:
        issue = self.em._issue(pull.repo, pull.number)
        texts = [("cross-referenced", f"{issue.title}\n{issue.body or ''}", None)]
        texts += [("referenced", message, sha) for sha, message in pull.commits]
        for event, text, sha in texts:
            for match in _REF.finditer(text):
                owner, name = match.group("owner"), match.group("name")
                target = f"{owner}/{name}" if owner and name else pull.repo
                number = int(match.group("number"))
                self._add_reference(target, number, pull, actor, event, sha)

    def _add_reference(
        self, target: str, number: int, pull: Pull, actor: str, event: str, sha: str | None
    ) -> None:
        record = self.em._repos.get(target.lower())
        if record is None or number not in record.issues or number == pull.number:
            return
        if record.issues[number].is_pull_request:
            return
        entries = self.w.timelines.setdefault((target.lower(), number), [])
        source = (pull.repo, pull.number)
        if any(e.event == event and e.source == source and e.commit_id == sha for e in entries):
            return
        entries.append(
            TimelineEntry(event, actor, self.em.clock(), source, sha, next(self.em._ids))
        )
