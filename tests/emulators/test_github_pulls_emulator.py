"""The emulator's pull requests, files, checks, statuses and timelines, read through PyGithub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github, GithubException

from tests.emulators.github_api import Fault, GitHubEmulator
from tests.emulators.github_pulls import FILES_CAP, added_patch
from tests.emulators.github_pulls_rest import check_event, pull_request_event

TOKEN = "t-alice"
REPO = "acme/app"


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    """A running emulator with alice (token t-alice) and acme/app holding issue #1."""
    with GitHubEmulator() as emulator:
        emulator.add_token(TOKEN, "alice")
        emulator.add_repo(REPO)
        emulator.add_repo("bob/app")
        emulator.add_issue(REPO, "Milestone", "body")
        yield emulator


def client(gh: GitHubEmulator) -> Github:
    return Github(auth=Auth.Token(TOKEN), base_url=gh.url, retry=None)


def get(gh: GitHubEmulator, path: str, **headers: str) -> requests.Response:
    return requests.get(
        gh.url + path,
        headers={"Authorization": f"token {TOKEN}", "User-Agent": "t", **headers},
        timeout=5,
    )


def test_pull_request_files_and_merge_read_back(gh: GitHubEmulator) -> None:
    """Files with patches, merged state and merge sha read back through PyGithub."""
    number = gh.pulls.open(
        REPO, "Bound retries", "Fixes #1", files={"tests/test_a.py": added_patch("def test(): ...")}
    )
    sha = gh.pulls.merge(REPO, number)
    pr = client(gh).get_repo(REPO).get_pull(number)
    assert (pr.merged, pr.merge_commit_sha, pr.state) == (True, sha, "closed")
    files = list(pr.get_files())
    assert [(f.filename, f.status, f.additions) for f in files] == [
        ("tests/test_a.py", "modified", 1)
    ]
    assert "+def test(): ..." in (files[0].patch or "")
    issue_item = client(gh).get_repo(REPO).get_issue(number)
    assert issue_item.pull_request is not None and issue_item.pull_request.merged_at is not None


def test_files_paginate_and_stop_at_3000(gh: GitHubEmulator) -> None:
    """Files come 100 a page with Link headers, and GitHub's listing stops at 3,000."""
    many = {f"src/f{i}.py": added_patch("x") for i in range(FILES_CAP + 5)}
    number = gh.pulls.open(REPO, "Huge", files=many)
    first = get(gh, f"/repos/{REPO}/pulls/{number}/files?per_page=100")
    assert len(first.json()) == 100 and 'rel="next"' in first.headers["Link"]
    pr = client(gh).get_repo(REPO).get_pull(number)
    assert pr.changed_files == FILES_CAP + 5
    assert sum(1 for _ in pr.get_files()) == FILES_CAP


def test_checks_pending_then_completed_and_statuses(gh: GitHubEmulator) -> None:
    """A check run in progress has no conclusion; completed, it has; statuses combine."""
    number = gh.pulls.open(REPO, "Change")
    sha = gh.pulls.merge(REPO, number)
    gh.pulls.check_run(REPO, sha, "ci", conclusion=None)
    runs = get(gh, f"/repos/{REPO}/commits/{sha}/check-runs").json()
    assert runs["total_count"] == 1 and runs["check_runs"][0]["status"] == "in_progress"
    assert runs["check_runs"][0]["conclusion"] is None
    gh.pulls.check_run(REPO, sha, "ci", conclusion="success")
    assert (
        get(gh, f"/repos/{REPO}/commits/{sha}/check-runs").json()["check_runs"][0]["conclusion"]
        == "success"
    )
    assert get(gh, f"/repos/{REPO}/commits/{sha}/status").json()["state"] == "pending"
    gh.pulls.status(REPO, sha, "lint", "success")
    status = get(gh, f"/repos/{REPO}/commits/{sha}/status").json()
    assert (status["state"], status["total_count"], status["sha"]) == ("success", 1, sha)


def test_timeline_cross_references_with_etag(gh: GitHubEmulator) -> None:
    """A referencing pull request adds a cross-referenced event; an unchanged timeline is a 304."""
    number = gh.pulls.open(REPO, "Work", "Part of acme/app#1", commits=["Refs #1"])
    first = get(gh, f"/repos/{REPO}/issues/1/timeline")
    events = first.json()
    assert [e["event"] for e in events] == ["cross-referenced", "referenced"]
    assert events[0]["source"]["issue"]["number"] == number
    assert "pull_request" in events[0]["source"]["issue"]
    counted = gh.counted_requests
    again = get(gh, f"/repos/{REPO}/issues/1/timeline", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and gh.counted_requests == counted
    gh.pulls.merge(REPO, number)  # the source issue's state shows in the timeline
    assert (
        get(
            gh, f"/repos/{REPO}/issues/1/timeline", **{"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 200
    )


def test_force_push_revert_and_fork(gh: GitHubEmulator) -> None:
    """A force-push replaces the diff; a revert is a new pull request; a fork's head is its own."""
    number = gh.pulls.open(REPO, "Work", files={"a.py": added_patch("x")}, fork="bob/app")
    head = gh.pulls.push(REPO, number, {"b.py": added_patch("y")})
    pr = client(gh).get_repo(REPO).get_pull(number)
    assert pr.head.sha == head and pr.head.repo.full_name == "bob/app"
    assert [f.filename for f in pr.get_files()] == ["b.py"]
    gh.pulls.merge(REPO, number)
    revert = gh.pulls.revert(REPO, number)
    body = client(gh).get_repo(REPO).get_pull(revert).body
    assert body == f"Reverts {REPO}#{number}"


def test_faults_mid_pagination(gh: GitHubEmulator) -> None:
    """A 502 or a rate limit on the second page of files reaches the client as GitHub's error."""
    number = gh.pulls.open(REPO, "Big", files={f"f{i}": added_patch("x") for i in range(150)})
    gh.inject("GET", f"/repositories/*/pulls/{number}/files", Fault.error_before(502))
    with pytest.raises(GithubException) as caught:
        list(client(gh).get_repo(REPO).get_pull(number).get_files())
    assert caught.value.status == 502
    gh.inject("GET", f"/repos/{REPO}/pulls/{number}/files", Fault.primary_rate_limit())
    assert get(gh, f"/repos/{REPO}/pulls/{number}/files").status_code == 403


def test_payloads_have_githubs_shape(gh: GitHubEmulator) -> None:
    """pull_request and check_suite payloads carry the fields the real examples do."""
    number = gh.pulls.open(REPO, "Work", "Fixes #1")
    sha = gh.pulls.merge(REPO, number)
    event = pull_request_event(gh, REPO, number, "closed")
    pr = event["pull_request"]
    assert (event["action"], event["number"], pr["merged"], pr["merge_commit_sha"]) == (
        "closed",
        number,
        True,
        sha,
    )
    assert pr["merged_at"] and pr["base"]["repo"]["full_name"] == REPO
    suite = check_event(gh, REPO, sha, "check_suite")["check_suite"]
    assert (suite["head_sha"], suite["conclusion"], suite["status"]) == (
        sha,
        "success",
        "completed",
    )
