"""The emulator's contents API and push events, through PyGithub and plain HTTP."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from github import GithubException, UnknownObjectException

from tests.emulators.github_api import GitHubEmulator, git_blob_sha
from tests.emulators.github_contents import push

TOKEN = "t-alice"
REPO = "acme/app"
PATH = ".github/ISSUE_TEMPLATE/reliability_milestone.md"
PAYLOAD = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "payloads"
    / "github"
    / "push"
    / "payload.json"
)


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    """A running emulator with alice and acme/app holding a template and a README."""
    with GitHubEmulator() as emulator:
        emulator.add_token(TOKEN, "alice")
        files = {PATH: "# T\n" * 40, "README.md": "hi"}
        emulator.add_repo(REPO, default_branch="trunk", files=files)
        yield emulator


def get(gh: GitHubEmulator, path: str, **headers: str) -> requests.Response:
    return requests.get(
        f"{gh.url}{path}",
        headers={"Authorization": f"token {TOKEN}", "User-Agent": "t", **headers},
        timeout=5,
    )


def test_pygithub_reads_a_file_with_its_blob_sha(gh: GitHubEmulator) -> None:
    """PyGithub's get_contents decodes the file and sees git's blob sha for it."""
    content = gh.github(TOKEN).get_repo(REPO).get_contents(PATH, ref="trunk")
    assert not isinstance(content, list)
    assert content.decoded_content == ("# T\n" * 40).encode()
    assert content.sha == git_blob_sha(("# T\n" * 40).encode())
    assert content.encoding == "base64" and content.type == "file"


def test_content_is_base64_in_60_character_lines(gh: GitHubEmulator) -> None:
    """The content field breaks base64 every 60 characters, as GitHub's encoder does."""
    body = get(gh, f"/repos/{REPO}/contents/{PATH}").json()
    lines = body["content"].splitlines()
    assert all(len(line) == 60 for line in lines[:-1]) and len(lines) > 1
    assert base64.b64decode(body["content"]) == ("# T\n" * 40).encode()
    assert set(body["_links"]) == {"self", "git", "html"}


def test_etag_gives_a_free_304_until_the_file_changes(gh: GitHubEmulator) -> None:
    """If-None-Match with the ETag is a 304 not counted; after a push it is a 200 again."""
    first = get(gh, f"/repos/{REPO}/contents/{PATH}")
    etag = first.headers["ETag"]
    counted = gh.counted_requests
    again = get(gh, f"/repos/{REPO}/contents/{PATH}", **{"If-None-Match": etag})
    assert again.status_code == 304 and gh.counted_requests == counted
    push(gh, REPO, changed={PATH: "# changed\n"})
    changed = get(gh, f"/repos/{REPO}/contents/{PATH}", **{"If-None-Match": etag})
    assert changed.status_code == 200
    assert base64.b64decode(changed.json()["content"]) == b"# changed\n"


def test_missing_file_ref_and_hidden_repo_are_404(gh: GitHubEmulator) -> None:
    """A missing path, an unknown ref and a repository the token can't see are all 404."""
    repo = gh.github(TOKEN).get_repo(REPO)
    with pytest.raises(UnknownObjectException):
        repo.get_contents(".github/ISSUE_TEMPLATE/other.md")
    assert get(gh, f"/repos/{REPO}/contents/{PATH}?ref=nope").status_code == 404
    gh.add_repo("acme/secret", private=True, readable_by=["bob"], files={PATH: "x"})
    assert get(gh, f"/repos/acme/secret/contents/{PATH}").status_code == 404


def test_a_directory_lists_its_entries(gh: GitHubEmulator) -> None:
    """A directory path answers an array of entries without content."""
    body = get(gh, f"/repos/{REPO}/contents/.github/ISSUE_TEMPLATE").json()
    assert [(e["name"], e["type"]) for e in body] == [("reliability_milestone.md", "file")]
    assert "content" not in body[0]


def test_installation_without_contents_permission_is_403(gh: GitHubEmulator) -> None:
    """An App installation lacking `contents` gets GitHub's 403, not the file."""
    gh.add_app(9, "bot", permissions={"issues": "write", "metadata": "read"})
    gh.add_installation(90, 9, "acme")
    gh.add_token("t-inst", "bot[bot]").installation_id = 90
    repo = gh.github("t-inst").get_repo(REPO)
    with pytest.raises(GithubException) as caught:
        repo.get_contents(PATH)
    assert caught.value.status == 403


def test_the_repository_says_its_default_branch_and_permissions(gh: GitHubEmulator) -> None:
    """GET /repos/{o}/{r} names the default branch and what the caller may do."""
    body = get(gh, f"/repos/{REPO}").json()
    assert body["default_branch"] == "trunk"
    assert body["permissions"]["push"] is True
    gh.repo(REPO).token_can_push = False
    assert get(gh, f"/repos/{REPO}").json()["permissions"]["push"] is False


def test_push_payload_has_the_shape_of_githubs_example(gh: GitHubEmulator) -> None:
    """The push event carries every top-level and repository key of octokit's example."""
    example = json.loads(PAYLOAD.read_text())
    payload = push(gh, REPO, changed={PATH: "new", "docs/a.md": "a"}, removed=["README.md"])
    assert set(example) <= set(payload)
    assert set(example["repository"]) <= set(payload["repository"])
    commit = payload["head_commit"]
    assert commit["modified"] == [PATH] and commit["added"] == ["docs/a.md"]
    assert commit["removed"] == ["README.md"] and payload["ref"] == "refs/heads/trunk"
    assert payload["before"] != payload["after"]
    assert isinstance(payload["repository"]["pushed_at"], int)
    assert gh.repo(REPO).files[PATH] == b"new" and "README.md" not in gh.repo(REPO).files
