"""The REST side of the emulator's pull requests: their JSON, routes and webhook payloads.

See tests/emulators/github_pulls.py for the state and people's actions. Importing this
module adds the routes to the emulator's table (github_api.py imports it at its end).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import quote

from tests.emulators import github_api as api
from tests.emulators.github_pulls import (
    FILES_CAP,
    Pull,
    PullFile,
    TimelineEntry,
    world,
)

# ----- JSON ----------------------------------------------------------------------------------


def pull_json(em: api.GitHubEmulator, pull: Pull, urls: api._Urls) -> dict[str, Any]:
    record = em.repo(pull.repo)
    issue = em._issue(pull.repo, pull.number)
    base = em._issue_json(record, issue, urls)
    repo_api = f"{urls.api}/repos/{quote(record.owner)}/{quote(record.name)}"
    html = f"{urls.web}/{record.full_name}/pull/{pull.number}"
    head_record = em._repos.get(pull.head_repo.lower()) or record
    user = base["user"]
    added = sum(f.counts()[0] for f in pull.files)
    removed = sum(f.counts()[1] for f in pull.files)
    return {
        "url": f"{repo_api}/pulls/{pull.number}",
        "id": issue.id,
        "node_id": base["node_id"],
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": base["url"],
        "number": pull.number,
        "state": issue.state,
        "locked": False,
        "title": issue.title,
        "user": user,
        "body": issue.body,
        "created_at": base["created_at"],
        "updated_at": base["updated_at"],
        "closed_at": base["closed_at"],
        "merged_at": api._iso(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": [],
        "milestone": None,
        "draft": issue.draft,
        "commits_url": f"{repo_api}/pulls/{pull.number}/commits",
        "review_comments_url": f"{repo_api}/pulls/{pull.number}/comments",
        "review_comment_url": f"{repo_api}/pulls/comments{{/number}}",
        "comments_url": f"{base['url']}/comments",
        "statuses_url": f"{repo_api}/statuses/{pull.head_sha}",
        "head": {
            "label": f"{head_record.owner}:{pull.head_ref}",
            "ref": pull.head_ref,
            "sha": pull.head_sha,
            "user": em._user_json(em._account(head_record.owner), urls),
            "repo": em._repo_json(head_record, urls, None),
        },
        "base": {
            "label": f"{record.owner}:{pull.base_ref}",
            "ref": pull.base_ref,
            "sha": _base_sha(pull),
            "user": em._user_json(em._account(record.owner), urls),
            "repo": em._repo_json(record, urls, None),
        },
        "author_association": base["author_association"],
        "auto_merge": None,
        "active_lock_reason": None,
        "merged": pull.merged,
        "mergeable": None if pull.merged else True,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "merged_by": (em._user_json(em._account(pull.merged_by), urls) if pull.merged_by else None),
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": len(pull.commits),
        "additions": added,
        "deletions": removed,
        "changed_files": len(pull.files),
    }


def _base_sha(pull: Pull) -> str:
    return hashlib.sha1(f"base:{pull.repo}:{pull.number}".encode()).hexdigest()


def _file_json(pull: Pull, f: PullFile, urls: api._Urls) -> dict[str, Any]:
    added, removed = f.counts()
    blob = hashlib.sha1(f"{f.filename}:{f.patch}".encode()).hexdigest()
    raw = f"{urls.web}/{pull.repo}/raw/{pull.head_sha}/{quote(f.filename)}"
    item = {
        "sha": blob,
        "filename": f.filename,
        "status": f.status,
        "additions": added,
        "deletions": removed,
        "changes": added + removed,
        "blob_url": f"{urls.web}/{pull.repo}/blob/{pull.head_sha}/{quote(f.filename)}",
        "raw_url": raw,
        "contents_url": f"{urls.api}/repos/{pull.repo}/contents/{quote(f.filename)}"
        f"?ref={pull.head_sha}",
    }
    if f.patch is not None:
        item["patch"] = f.patch
    return item


def _check_run_json(
    em: api.GitHubEmulator, repo: str, run: dict[str, Any], urls: api._Urls
) -> dict[str, Any]:
    repo_api = f"{urls.api}/repos/{repo}"
    return {
        "id": run["id"],
        "head_sha": run["head_sha"],
        "node_id": api.node_id("CheckRun", run["id"]),
        "external_id": str(run["id"]),
        "url": f"{repo_api}/check-runs/{run['id']}",
        "html_url": f"{urls.web}/{repo}/runs/{run['id']}",
        "details_url": f"{urls.web}/{repo}/runs/{run['id']}",
        "status": run["status"],
        "conclusion": run["conclusion"],
        "started_at": run["started_at"],
        "completed_at": run["completed_at"],
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{repo_api}/check-runs/{run['id']}/annotations",
        },
        "name": run["name"],
        "check_suite": {"id": run["suite"]},
        "app": {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"},
        "pull_requests": [],
    }


def _status_json(repo: str, sha: str, s: dict[str, Any], urls: api._Urls) -> dict[str, Any]:
    return {
        "url": f"{urls.api}/repos/{repo}/statuses/{sha}",
        "avatar_url": None,
        "id": s["id"],
        "node_id": api.node_id("StatusContext", s["id"]),
        "state": s["state"],
        "description": None,
        "target_url": None,
        "context": s["context"],
        "created_at": s["created_at"],
        "updated_at": s["updated_at"],
    }


def _timeline_json(em: api.GitHubEmulator, entry: TimelineEntry, urls: api._Urls) -> dict[str, Any]:
    actor = em._user_json(em._account(entry.actor), urls)
    when = api._iso(entry.created_at)
    if entry.event == "cross-referenced" and entry.source is not None:
        repo, number = entry.source
        issue = em._issue_json(em.repo(repo), em._issue(repo, number), urls)
        return {
            "event": "cross-referenced",
            "actor": actor,
            "created_at": when,
            "updated_at": when,
            "source": {"type": "issue", "issue": issue},
        }
    item: dict[str, Any] = {
        "id": entry.id,
        "node_id": api.node_id("Event", entry.id),
        "url": f"{urls.api}/repos/events/{entry.id}",
        "actor": actor,
        "event": entry.event,
        "commit_id": entry.commit_id,
        "commit_url": (
            f"{urls.api}/repos/{entry.source[0]}/commits/{entry.commit_id}"
            if entry.commit_id and entry.source
            else None
        ),
        "created_at": when,
        "performed_via_github_app": None,
    }
    return item


# ----- routes ----------------------------------------------------------------------------------


def _repo_of(em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str) -> api.Repository:
    return em._visible_repo(ctx, owner, repo, f"{api.DOCS}/pulls/pulls")


def _pull_of(em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, number: str) -> Pull:
    record = _repo_of(em, ctx, owner, repo)
    pull = world(em).pulls.get((record.full_name.lower(), int(number)))
    if pull is None:
        raise api._not_found(f"{api.DOCS}/pulls/pulls#get-a-pull-request")
    return pull


def list_pulls(em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str) -> api._Reply:
    record = _repo_of(em, ctx, owner, repo)
    pulls = [p for (r, _), p in world(em).pulls.items() if r == record.full_name.lower()]
    state = ctx.param("state", "open")
    issues = {p.number: em._issue(record.full_name, p.number) for p in pulls}
    if state != "all":
        pulls = [p for p in pulls if issues[p.number].state == state]
    sort = ctx.param("sort", "created")
    key = "updated_at" if sort == "updated" else "created_at"
    pulls.sort(
        key=lambda p: (getattr(issues[p.number], key), p.number),
        reverse=ctx.param("direction", "desc") == "desc",
    )
    return em._paginate(ctx, record, pulls, lambda p: pull_json(em, p, ctx.urls))


def get_pull(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, number: str
) -> api._Reply:
    pull = _pull_of(em, ctx, owner, repo, number)
    return api._Reply(200, pull_json(em, pull, ctx.urls))


def list_files(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, number: str
) -> api._Reply:
    pull = _pull_of(em, ctx, owner, repo, number)
    record = em.repo(pull.repo)
    files = pull.files[:FILES_CAP]
    return em._paginate(ctx, record, files, lambda f: _file_json(pull, f, ctx.urls))


def list_commits(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, number: str
) -> api._Reply:
    pull = _pull_of(em, ctx, owner, repo, number)
    record = em.repo(pull.repo)

    def commit(item: tuple[str, str]) -> dict[str, Any]:
        sha, message = item
        return {
            "sha": sha,
            "node_id": api.node_id("Commit", int(sha[:6], 16)),
            "url": f"{ctx.urls.api}/repos/{pull.repo}/commits/{sha}",
            "commit": {"message": message},
        }

    return em._paginate(ctx, record, pull.commits, commit)


def _resolve(em: api.GitHubEmulator, record: api.Repository, ref: str) -> str:
    for pull in world(em).pulls.values():
        if pull.repo.lower() == record.full_name.lower() and ref in (pull.head_ref,):
            return pull.head_sha
    return ref


def check_runs(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, ref: str
) -> api._Reply:
    record = _repo_of(em, ctx, owner, repo)
    sha = _resolve(em, record, ref)
    runs = world(em).check_runs.get(sha, [])
    reply = em._paginate(
        ctx, record, runs, lambda r: _check_run_json(em, record.full_name, r, ctx.urls)
    )
    reply.body = {"total_count": len(runs), "check_runs": reply.body}
    return reply


def combined_status(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, ref: str
) -> api._Reply:
    record = _repo_of(em, ctx, owner, repo)
    sha = _resolve(em, record, ref)
    statuses = world(em).statuses.get(sha, [])
    states = {s["state"] for s in statuses}
    if "error" in states or "failure" in states:
        state = "failure"
    elif not statuses or "pending" in states:
        state = "pending"
    else:
        state = "success"
    repo_json = em._repo_json(record, ctx.urls, None)
    body = {
        "state": state,
        "statuses": [_status_json(record.full_name, sha, s, ctx.urls) for s in statuses],
        "sha": sha,
        "total_count": len(statuses),
        "repository": repo_json,
        "commit_url": f"{ctx.urls.api}/repos/{record.full_name}/commits/{sha}",
        "url": f"{ctx.urls.api}/repos/{record.full_name}/commits/{sha}/status",
    }
    return api._Reply(200, body)


def timeline(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, number: str
) -> api._Reply:
    record = em._issues_repo(ctx, owner, repo, f"{api.DOCS}/issues/timeline")
    if int(number) not in record.issues:
        raise api._not_found(f"{api.DOCS}/issues/timeline")
    entries = world(em).timelines.get((record.full_name.lower(), int(number)), [])
    return em._paginate(ctx, record, list(entries), lambda e: _timeline_json(em, e, ctx.urls))


def commit_pulls(
    em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, sha: str
) -> api._Reply:
    """GET /repos/{o}/{r}/commits/{sha}/pulls: the pull requests holding that commit."""
    record = _repo_of(em, ctx, owner, repo)
    found = [
        p
        for p in world(em).pulls.values()
        if p.repo.lower() == record.full_name.lower()
        and (sha in (c for c, _ in p.commits) or sha == p.merge_commit_sha)
    ]
    return api._Reply(200, [pull_json(em, p, ctx.urls) for p in found])


ROUTES: list[tuple[str, re.Pattern[str], Any, str]] = [
    ("GET", re.compile(api._REPO + r"/pulls"), list_pulls, "token"),
    ("GET", re.compile(api._REPO + r"/pulls/(?P<number>\d+)"), get_pull, "token"),
    ("GET", re.compile(api._REPO + r"/pulls/(?P<number>\d+)/files"), list_files, "token"),
    ("GET", re.compile(api._REPO + r"/pulls/(?P<number>\d+)/commits"), list_commits, "token"),
    ("GET", re.compile(api._REPO + r"/commits/(?P<ref>[^/]+)/check-runs"), check_runs, "token"),
    ("GET", re.compile(api._REPO + r"/commits/(?P<ref>[^/]+)/status"), combined_status, "token"),
    ("GET", re.compile(api._REPO + r"/commits/(?P<sha>[^/]+)/pulls"), commit_pulls, "token"),
    ("GET", re.compile(api._REPO + r"/issues/(?P<number>\d+)/timeline"), timeline, "token"),
]


# ----- webhook payloads ------------------------------------------------------------------------


def pull_request_event(
    em: api.GitHubEmulator, repo: str, number: int, action: str
) -> dict[str, Any]:
    """A `pull_request` event payload for the pull request as the emulator holds it now."""
    with em._lock:
        pull = world(em).pulls[(repo.lower(), number)]
        urls = em._own_urls()
        data = pull_json(em, pull, urls)
        return {
            "action": action,
            "number": number,
            "pull_request": data,
            "repository": em._repo_json(em.repo(repo), urls, None),
            "sender": data["user"],
        }


def check_event(
    em: api.GitHubEmulator, repo: str, sha: str, event: str, conclusion: str = "success"
) -> dict[str, Any]:
    """A `check_suite` or `check_run` `completed` payload for `sha`, naming its pull requests."""
    with em._lock:
        urls = em._own_urls()
        pulls = [
            {"number": p.number, "head": {"sha": p.head_sha}, "base": {"ref": p.base_ref}}
            for p in world(em).pulls.values()
            if p.repo.lower() == repo.lower() and sha == p.head_sha and not p.merged
        ]
        suite = {
            "id": next(em._ids),
            "head_sha": sha,
            "head_branch": "main",
            "status": "completed",
            "conclusion": conclusion,
            "pull_requests": pulls,
        }
        payload: dict[str, Any] = {
            "action": "completed",
            "repository": em._repo_json(em.repo(repo), urls, None),
            "sender": em._user_json(em._account(em.repo(repo).owner), urls),
        }
        if event == "check_suite":
            payload["check_suite"] = suite
        else:
            payload["check_run"] = {
                "id": next(em._ids),
                "name": "ci",
                "head_sha": sha,
                "status": "completed",
                "conclusion": conclusion,
                "check_suite": suite,
                "pull_requests": pulls,
            }
        return payload


def register() -> None:
    """Add the routes to the emulator's table (once)."""
    if not any(route[2] is list_pulls for route in api._ROUTES):
        api._ROUTES.extend(ROUTES)  # type: ignore[arg-type]


register()
