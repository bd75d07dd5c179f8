"""bot/github/pulls.py against the GitHub emulator: listings, files, checks, timelines, faults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from github import Auth, Github

from bot.errors import GitHubUnavailable, RateLimited
from bot.github.pulls import PullAccess, pull_from_json, referenced_issues, timeline_pulls
from flows.evidence import FILES_CAP, Check, PullState
from tests.emulators.github_api import Fault, GitHubEmulator
from tests.emulators.github_pulls import added_patch
from tests.reminders.harness import GITHUB_TOKEN, REPO

PAYLOADS = Path(__file__).parents[1] / "fixtures" / "payloads" / "github"


def access(gh: GitHubEmulator) -> PullAccess:
    return PullAccess(Github(auth=Auth.Token(GITHUB_TOKEN), base_url=gh.url, retry=None))


def test_listing_is_conditional(gh: GitHubEmulator) -> None:
    """The first page of recently updated pull requests answers 304 for free when unchanged."""
    gh.add_issue(REPO, "Milestone")
    number = gh.pulls.open(REPO, "Work", "Fixes #1")
    reader = access(gh)
    page = reader.updated_pulls(REPO)
    assert [p["number"] for p in page.items] == [number]
    assert referenced_issues(page.items[0], REPO) == {(REPO, 1)}
    counted = gh.counted_requests
    again = reader.updated_pulls(REPO, etag=page.etag)
    assert again.not_modified and gh.counted_requests == counted


def test_files_every_page_and_the_cap(gh: GitHubEmulator) -> None:
    """Files are read across pages; at 3,000 GitHub stops, and the read says it was capped."""
    small = gh.pulls.open(REPO, "Small", files={f"f{i}.py": added_patch("x") for i in range(150)})
    big = gh.pulls.open(REPO, "Big", files={f"g{i}.py": None for i in range(FILES_CAP + 1)})
    reader = access(gh)
    files = reader.files(REPO, small)
    assert len(files.files) == 150 and not files.capped and reader.requests == 2
    assert files.files[0].added_lines() == ["x"]
    capped = reader.files(REPO, big)
    assert len(capped.files) == FILES_CAP and capped.capped


def test_checks_and_statuses_pending_then_completed(gh: GitHubEmulator) -> None:
    """A running check has no conclusion; statuses count as checks too; two requests each time."""
    number = gh.pulls.open(REPO, "Work")
    sha = gh.pulls.merge(REPO, number)
    gh.pulls.check_run(REPO, sha, "unit", conclusion=None)
    gh.pulls.status(REPO, sha, "lint", "pending")
    reader = access(gh)
    assert reader.checks(REPO, sha) == (Check("unit", None), Check("lint", None, "status"))
    gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
    gh.pulls.status(REPO, sha, "lint", "failure")
    assert reader.checks(REPO, sha) == (
        Check("unit", "success"),
        Check("lint", "failure", "status"),
    )
    assert reader.requests == 4


def test_timeline_cross_references_and_etag(gh: GitHubEmulator) -> None:
    """The timeline names the referencing pull request; unchanged, it is a free 304."""
    gh.add_issue(REPO, "Milestone")
    number = gh.pulls.open(REPO, "Work", "Part of #1")
    reader = access(gh)
    page = reader.timeline(REPO, 1)
    assert [(r, n) for r, n, _ in timeline_pulls(page.items)] == [(REPO, number)]
    counted = gh.counted_requests
    assert reader.timeline(REPO, 1, page.etag).not_modified
    assert gh.counted_requests == counted


@pytest.mark.parametrize(
    ("fault", "error"),
    [(Fault.error_before(502), GitHubUnavailable), (Fault.primary_rate_limit(), RateLimited)],
)
def test_faults_mid_way_raise(gh: GitHubEmulator, fault: Fault, error: type[Exception]) -> None:
    """A 5xx or a rate limit on the second page of files is an error, not a shorter list."""
    number = gh.pulls.open(REPO, "Big", files={f"f{i}.py": "+x" for i in range(150)})
    gh.inject("GET", f"/repositories/*/pulls/{number}/files", fault)
    with pytest.raises(error):
        access(gh).files(REPO, number)


def test_pull_from_githubs_payloads() -> None:
    """GitHub's own `pull_request` payloads: closed unmerged, and merged once merged is set."""
    closed = json.loads((PAYLOADS / "pull_request" / "closed.json").read_text())["pull_request"]
    pull = pull_from_json(closed)
    assert pull is not None
    assert (pull.repository, pull.number, pull.state, pull.merge_sha) == (
        "Codertocat/Hello-World",
        2,
        PullState.CLOSED,
        None,
    )
    merged = {**closed, "merged": True, "merged_at": "2019-05-15T15:20:40Z"}
    pull = pull_from_json(merged)
    assert pull is not None and pull.state is PullState.MERGED
    assert pull.merge_sha == closed["merge_commit_sha"] and not pull.fork


def test_a_forks_pull_request_is_marked(gh: GitHubEmulator) -> None:
    """A pull request from a fork belongs to the base repository and says it is a fork's."""
    gh.add_repo("mallory/execution")
    number = gh.pulls.open(REPO, "From a fork", fork="mallory/execution")
    pull = pull_from_json(access(gh).pull(REPO, number))
    assert pull is not None and pull.repository == REPO and pull.fork
