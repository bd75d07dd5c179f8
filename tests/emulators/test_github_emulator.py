"""The GitHub REST emulator, exercised through the real PyGithub client over HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    GithubIntegration,
    RateLimitExceededException,
    UnknownObjectException,
)

from tests.emulators.app_keys import app_key_pair
from tests.emulators.github_api import FakeClock, Fault, GitHubEmulator
from tests.emulators.github_webhooks import post_issues_event, sign_webhook

TOKEN = "t-alice"
REPO = "acme/app"
APP_ID = 4242
INSTALLATION_ID = 77


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    """A running emulator with alice (token t-alice), bob, and acme/app with labels and files."""
    with GitHubEmulator() as emulator:
        emulator.add_token(TOKEN, "alice")
        emulator.add_user("bob")
        emulator.add_repo(
            REPO,
            labels=["reliability", "gate"],
            milestones=["2024-Q3", "2024-Q4"],
            files={"README.md": "hello\n", "docs/runbook.md": "", "docs/dev/notes.md": "n"},
        )
        yield emulator


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    """An RSA key pair (private PEM, public PEM) for GitHub App JWTs."""
    return app_key_pair()


def client(gh: GitHubEmulator, **kwargs: Any) -> Github:
    return gh.github(TOKEN, **kwargs)


# ---- issues -------------------------------------------------------------------------------


def test_create_issue_reads_back_through_pygithub(gh: GitHubEmulator) -> None:
    """An issue created with labels, milestone and assignees reads back with all of them."""
    repo = client(gh).get_repo(REPO)
    created = repo.create_issue(
        "[Reliability] Queue backpressure",
        body="## Goal\n- [ ] Runbook linked",
        labels=["reliability"],
        milestone=repo.get_milestone(2),
        assignees=["bob"],
    )
    issue = repo.get_issue(created.number)
    assert issue.number == 1
    assert issue.title == "[Reliability] Queue backpressure"
    assert issue.body == "## Goal\n- [ ] Runbook linked"
    assert [label.name for label in issue.labels] == ["reliability"]
    assert issue.milestone.title == "2024-Q4"
    assert [a.login for a in issue.assignees] == ["bob"]
    assert issue.user.login == "alice"
    assert issue.html_url == f"{gh.web_url}/acme/app/issues/1"
    assert issue.url == f"{gh.url}/repos/acme/app/issues/1"
    assert issue.state == "open" and issue.pull_request is None
    held = gh.issues(REPO)
    assert [(i.number, i.milestone, i.assignees) for i in held] == [(1, 2, ["bob"])]


def test_unknown_label_is_created_like_github_does(gh: GitHubEmulator) -> None:
    """A label that does not exist yet is created on the fly when the token can push."""
    issue = client(gh).get_repo(REPO).create_issue("t", labels=["brand-new"])
    assert [label.name for label in issue.labels] == ["brand-new"]
    assert "brand-new" in [label.name for label in client(gh).get_repo(REPO).get_labels()]


def test_read_only_token_gets_labels_milestone_and_assignees_dropped(
    gh: GitHubEmulator,
) -> None:
    """Without push access, labels, milestone and assignees are silently dropped on create."""
    gh.repo(REPO).token_can_push = False
    repo = client(gh).get_repo(REPO)
    issue = repo.create_issue(
        "t", labels=["reliability"], milestone=repo.get_milestone(1), assignees=["bob"]
    )
    assert (issue.labels, issue.milestone, issue.assignees) == ([], None, [])
    sent = gh.requests_to("POST", "/repos/acme/app/issues")[0].json
    assert sent["labels"] == ["reliability"] and sent["milestone"] == 1
    assert repo.permissions.push is False


def test_list_is_newest_first_and_paginates_via_link_headers(gh: GitHubEmulator) -> None:
    """Listing sorts newest first and PaginatedList follows GitHub-style Link headers."""
    for n in range(7):
        gh.add_issue(REPO, f"issue {n + 1}")
    gh.add_pull_request(REPO, "a pull request")
    issues = client(gh, per_page=3).get_repo(REPO).get_issues(state="all", sort="created")
    listed = [(i.number, i.pull_request is not None) for i in issues]
    assert listed == [(8, True)] + [(n, False) for n in range(7, 0, -1)]
    pages = gh.requests_to("GET", "*/issues")
    assert len(pages) == 3
    assert pages[1].path.startswith("/repositories/")
    assert pages[1].query["page"] == ["2"] and pages[1].query["per_page"] == ["3"]
    assert [i.number for i in gh.issues(REPO)] == list(range(1, 8))


def test_list_filters_by_state_creator_and_since(gh: GitHubEmulator) -> None:
    """The state, creator and since filters select issues as GitHub does."""
    gh.add_issue(REPO, "by alice", user="alice")
    gh.add_issue(REPO, "by bob", user="bob")
    gh.add_issue(REPO, "closed", user="bob", state="closed")
    assert isinstance(gh.clock, FakeClock)
    cutoff = gh.clock.peek()
    gh.edit_issue(REPO, 1, body="touched")
    repo = client(gh).get_repo(REPO)
    assert [i.number for i in repo.get_issues()] == [2, 1]
    assert [i.number for i in repo.get_issues(state="closed")] == [3]
    assert [i.number for i in repo.get_issues(state="all", creator="bob")] == [3, 2]
    assert [i.number for i in repo.get_issues(state="all", since=cutoff)] == [1]


def test_edit_close_and_person_edits(gh: GitHubEmulator) -> None:
    """PATCH edits the body and closes; a person ticking a box or reopening shows on update()."""
    issue = client(gh).get_repo(REPO).create_issue("t", body="- [ ] Runbook linked\n- [ ] Alerts")
    issue.edit(state="closed")
    held = gh.issue(REPO, 1)
    assert (held.state, held.closed_by, held.state_reason) == ("closed", "alice", "completed")
    changes = gh.tick_checkbox(REPO, 1, "Runbook", actor="bob")
    assert changes == {"body": {"from": "- [ ] Runbook linked\n- [ ] Alerts"}}
    gh.reopen_issue(REPO, 1, actor="bob")
    assert issue.update() is True
    assert issue.body == "- [x] Runbook linked\n- [ ] Alerts"
    assert issue.state == "open" and issue.closed_at is None


def test_validation_errors_are_shaped_like_github(gh: GitHubEmulator) -> None:
    """A body over 65536 characters gets 422 Validation Failed with an errors list."""
    with pytest.raises(GithubException) as caught:
        client(gh).get_repo(REPO).create_issue("t", body="x" * 65537)
    assert caught.value.status == 422
    assert caught.value.data["message"] == "Validation Failed"
    assert caught.value.data["errors"][0]["field"] == "body"
    assert gh.issues(REPO) == []


def test_issues_disabled_repo_answers_410(gh: GitHubEmulator) -> None:
    """A repository with issues turned off answers 410 "Issues are disabled for this repo"."""
    gh.add_repo("acme/no-issues", has_issues=False)
    with pytest.raises(GithubException) as caught:
        client(gh).get_repo("acme/no-issues").create_issue("t")
    assert caught.value.status == 410
    assert caught.value.data["message"] == "Issues are disabled for this repo"


# ---- accounts and auth ----------------------------------------------------------------------


def test_users_and_authenticated_user(gh: GitHubEmulator) -> None:
    """GET /user names the token's account; unknown logins are 404 UnknownObjectException."""
    github = client(gh)
    assert github.get_user().login == "alice"
    assert github.get_user("bob").type == "User"
    with pytest.raises(UnknownObjectException):
        github.get_user("nobody")


def test_wrong_token_is_bad_credentials(gh: GitHubEmulator) -> None:
    """An unknown token gets 401 Bad credentials, which PyGithub raises as BadCredentials."""
    with pytest.raises(BadCredentialsException) as caught:
        gh.github("not-a-token").get_repo(REPO)
    assert caught.value.data["message"] == "Bad credentials"


def test_missing_token_is_401(gh: GitHubEmulator) -> None:
    """A request without Authorization gets 401 Requires authentication."""
    anonymous = Github(base_url=gh.url, retry=None, seconds_between_requests=None)
    with pytest.raises(GithubException) as caught:
        anonymous.get_repo(REPO)
    assert caught.value.status == 401


def test_private_repo_hidden_from_outsiders(gh: GitHubEmulator) -> None:
    """A private repository readable only by others is a 404 for this token."""
    gh.add_repo("acme/secret", private=True, readable_by=["bob"])
    with pytest.raises(UnknownObjectException):
        client(gh).get_repo("acme/secret")


def test_github_app_installation_flow(gh: GitHubEmulator, app_key: tuple[str, str]) -> None:
    """AppAuth's installation flow mints a token and issues are filed by "<slug>[bot]"."""
    private, public = app_key
    gh.add_app(APP_ID, "milestone-bot", public_key_pem=public)
    gh.add_installation(INSTALLATION_ID, APP_ID, "acme")
    app_auth = Auth.AppAuth(APP_ID, private)
    integration = GithubIntegration(auth=app_auth, base_url=gh.url, retry=None)
    assert integration.get_repo_installation("acme", "app").id == INSTALLATION_ID
    github = Github(
        auth=app_auth.get_installation_auth(INSTALLATION_ID),
        base_url=gh.url,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    issue = github.get_repo(REPO).create_issue("filed by the app", labels=["reliability"])
    assert (issue.user.login, issue.user.type) == ("milestone-bot[bot]", "Bot")
    assert [label.name for label in issue.labels] == ["reliability"]
    minted = gh.requests_to("POST", f"/app/installations/{INSTALLATION_ID}/access_tokens")
    assert len(minted) == 1 and minted[0].header("Authorization").startswith("Bearer ")
    assert gh.installation_tokens(INSTALLATION_ID) != []
    with pytest.raises(GithubException) as caught:
        github.get_user().login  # noqa: B018 - the attribute read is the request under test
    assert caught.value.status == 403


def test_jwt_must_be_jwt_shaped_and_signed(gh: GitHubEmulator, app_key: tuple[str, str]) -> None:
    """A Bearer that is not a JWT, or is signed with another key, gets 401."""
    gh.add_app(APP_ID, "milestone-bot", public_key_pem=app_key[1])
    gh.add_installation(INSTALLATION_ID, APP_ID, "acme")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    forged = jwt.encode({"iat": now, "exp": now + 300, "iss": str(APP_ID)}, other, "RS256")
    for bad in ("not-a-jwt", "abc.def.ghi", forged):
        auth = Auth.AppAuth(APP_ID, sign_func=lambda _claims, token=bad: token)
        integration = GithubIntegration(auth=auth, base_url=gh.url, retry=None)
        with pytest.raises(GithubException) as caught:
            integration.get_repo_installation("acme", "app")
        assert caught.value.status == 401


# ---- GHES, conditional requests, rate limits ------------------------------------------------


def test_ghes_prefix_base_url() -> None:
    """Under an /api/v3 prefix with rate limiting off, PyGithub files, pages and sees no limits."""
    with GitHubEmulator(prefix="/api/v3", rate_limiting=False, enterprise_version="3.14.0") as gh:
        gh.add_token(TOKEN, "alice")
        gh.add_repo(REPO, labels=["reliability"])
        assert gh.url.endswith("/api/v3")
        repo = client(gh, per_page=1).get_repo(REPO)
        first = repo.create_issue("one", labels=["reliability"])
        repo.create_issue("two")
        assert first.url == f"{gh.url}/repos/acme/app/issues/1"
        assert first.html_url == f"{gh.web_url}/acme/app/issues/1"
        assert [i.number for i in repo.get_issues()] == [2, 1]
        assert all(r.path.startswith("/api/v3/") for r in gh.requests)
        headers, _ = repo.requester.requestJsonAndCheck("GET", "/user")
        assert "x-ratelimit-limit" not in headers
        assert headers["x-github-enterprise-version"] == "3.14.0"
        with pytest.raises(GithubException) as caught:
            client(gh).get_rate_limit()
        assert caught.value.status == 404
        without_prefix = Github(auth=Auth.Token(TOKEN), base_url=gh.web_url, retry=None)
        with pytest.raises(UnknownObjectException):
            without_prefix.get_repo(REPO)


def test_conditional_get_is_304_and_not_counted(gh: GitHubEmulator) -> None:
    """A matching If-None-Match gets 304 with no body and uses no rate-limit quota."""
    gh.add_issue(REPO, "watched", body="- [ ] Alerts")
    issue = client(gh).get_repo(REPO).get_issue(1)
    assert issue.etag is not None and issue.etag.startswith('W/"')
    counted, total = gh.counted_requests, gh.total_requests
    assert issue.update() is False
    status, headers, body = issue.requester.requestJson(
        "GET", issue.url, headers={"If-None-Match": issue.etag}
    )
    assert (status, body) == (304, "")
    assert headers["x-ratelimit-used"] == str(counted)
    assert (gh.counted_requests, gh.total_requests) == (counted, total + 2)
    gh.tick_checkbox(REPO, 1, "Alerts")
    assert issue.update() is True and issue.body == "- [x] Alerts"
    assert gh.counted_requests == counted + 1


def test_rate_limit_headers_counts_and_request_ids(gh: GitHubEmulator) -> None:
    """Responses carry x-ratelimit-* and unique X-GitHub-Request-Id; /rate_limit is free."""
    github = client(gh)
    request_ids = set()
    for _ in range(3):
        headers, _ = github.requester.requestJsonAndCheck("GET", "/repos/acme/app")
        request_ids.add(headers["x-github-request-id"])
        assert headers["x-ratelimit-resource"] == "core"
    assert len(request_ids) == 3
    assert github.rate_limiting == (4997, 5000)
    assert github.get_rate_limit().resources.core.remaining == 4997
    assert gh.counted_requests == 3 and gh.total_requests == 4
    assert gh.rate_limit_remaining("alice") == 4997


def test_exhausted_primary_rate_limit_is_403() -> None:
    """Past the hourly limit, requests get 403 "API rate limit exceeded" and remaining 0."""
    with GitHubEmulator(rate_limit=2) as gh:
        gh.add_token(TOKEN, "alice")
        gh.add_repo(REPO)
        github = client(gh)
        github.get_repo(REPO)
        github.get_user().login  # noqa: B018 - the attribute read is the request under test
        with pytest.raises(RateLimitExceededException) as caught:
            github.get_repo(REPO)
        assert caught.value.headers["x-ratelimit-remaining"] == "0"
        assert gh.counted_requests == 2


# ---- fault injection --------------------------------------------------------------------------

FAULTS = [
    pytest.param(Fault.error_before(500), GithubException, 500, False, id="500-before"),
    pytest.param(Fault.error_before(503), GithubException, 503, False, id="503-before"),
    pytest.param(Fault.error_after(502), GithubException, 502, True, id="502-after-create"),
    pytest.param(Fault.secondary_rate_limit(30), RateLimitExceededException, 403, False, id="2nd"),
    pytest.param(Fault.primary_rate_limit(), RateLimitExceededException, 403, False, id="primary"),
    pytest.param(Fault.too_many_requests(30), GithubException, 429, False, id="429"),
    pytest.param(Fault.bad_credentials(), BadCredentialsException, 401, False, id="401"),
    pytest.param(Fault.not_found(), UnknownObjectException, 404, False, id="404"),
    pytest.param(Fault.issues_disabled(), GithubException, 410, False, id="410"),
    pytest.param(Fault.validation_failed(), GithubException, 422, False, id="422"),
]


@pytest.mark.parametrize(("fault", "exception", "status", "created"), FAULTS)
def test_injected_fault_reaches_pygithub(
    gh: GitHubEmulator,
    fault: Fault,
    exception: type[GithubException],
    status: int,
    created: bool,
) -> None:
    """Each injected fault surfaces as the matching PyGithub exception and status."""
    repo = client(gh).get_repo(REPO)
    injection = gh.inject("POST", "/repos/acme/app/issues", fault)
    with pytest.raises(exception) as caught:
        repo.create_issue("t")
    assert type(caught.value) is exception
    assert caught.value.status == status
    assert len(gh.issues(REPO)) == (1 if created else 0)
    assert (injection.fired, injection.remaining) == (1, 0)
    assert gh.requests[-1].fault == fault.name


def test_rate_limit_fault_headers(gh: GitHubEmulator) -> None:
    """Secondary limits carry Retry-After; primary ones carry remaining 0 and the reset."""
    repo = client(gh).get_repo(REPO)
    gh.inject("POST", "/repos/acme/app/issues", Fault.secondary_rate_limit(retry_after=30))
    with pytest.raises(RateLimitExceededException) as secondary:
        repo.create_issue("t")
    assert secondary.value.headers["retry-after"] == "30"
    assert secondary.value.data["message"].startswith("You have exceeded a secondary rate limit")
    gh.inject("POST", "/repos/acme/app/issues", Fault.primary_rate_limit())
    with pytest.raises(RateLimitExceededException) as primary:
        repo.create_issue("t")
    assert primary.value.headers["x-ratelimit-remaining"] == "0"
    assert int(primary.value.headers["x-ratelimit-reset"]) > 0


def test_slow_reply_times_out_after_the_issue_exists(gh: GitHubEmulator) -> None:
    """A reply held past the client timeout is a ReadTimeout, yet the issue was created."""
    repo = client(gh, timeout=1).get_repo(REPO)
    gh.inject("POST", "/repos/acme/app/issues", Fault.slow(2))
    with pytest.raises(requests.exceptions.ReadTimeout):
        repo.create_issue("t")
    assert [i.title for i in gh.issues(REPO)] == ["t"]


def test_dropped_connection_after_the_issue_exists(gh: GitHubEmulator) -> None:
    """A socket closed without a reply is a ConnectionError, yet the issue was created."""
    repo = client(gh).get_repo(REPO)
    gh.inject("POST", "/repos/acme/app/issues", Fault.drop_connection())
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("t")
    assert [i.title for i in gh.issues(REPO)] == ["t"]
    assert repo.create_issue("again").number == 2


def test_fault_applies_to_the_next_n_matching_calls(gh: GitHubEmulator) -> None:
    """A fault armed for two calls fails exactly two matching requests and no others."""
    repo = client(gh).get_repo(REPO)
    injection = gh.inject("GET", "/repos/*/issues/*", Fault.error_before(502), times=2)
    repo.create_issue("t")
    for _ in range(2):
        with pytest.raises(GithubException):
            repo.get_issue(1)
    assert repo.get_issue(1).title == "t"
    assert injection.fired == 2


# ---- git trees and the request record ----------------------------------------------------------


def test_git_tree_recursive_listing(gh: GitHubEmulator) -> None:
    """A recursive tree lists every path with git's modes, types and SHA-1s."""
    tree = client(gh).get_repo(REPO).get_git_tree("main", recursive=True)
    listing = [(e.path, e.mode, e.type) for e in tree.tree]
    assert listing == [
        ("README.md", "100644", "blob"),
        ("docs", "040000", "tree"),
        ("docs/dev", "040000", "tree"),
        ("docs/dev/notes.md", "100644", "blob"),
        ("docs/runbook.md", "100644", "blob"),
    ]
    shas = {e.path: e.sha for e in tree.tree}
    assert shas["README.md"] == "ce013625030ba8dba906f756967f9e9ca394464a"  # git: "hello\n"
    assert shas["docs/runbook.md"] == "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # empty blob
    assert tree.raw_data["truncated"] is False
    top = client(gh).get_repo(REPO).get_git_tree(tree.sha)
    assert [e.path for e in top.tree] == ["README.md", "docs"]
    with pytest.raises(UnknownObjectException):
        client(gh).get_repo(REPO).get_git_tree("no-such-branch")


def test_request_record_keeps_method_path_query_headers_body(gh: GitHubEmulator) -> None:
    """Every request is recorded with its method, path, query, headers, body and status."""
    repo = client(gh).get_repo(REPO)
    repo.create_issue("t", body="b")
    list(repo.get_issues(state="closed"))
    post = gh.requests_to("POST", "/repos/acme/app/issues")[0]
    assert post.json == {"title": "t", "body": "b"}
    assert post.header("authorization") == f"token {TOKEN}"
    assert (post.status, post.counted, post.account) == (201, True, "alice")
    listing = gh.requests_to("GET", "/repos/acme/app/issues")[0]
    assert listing.query == {"state": ["closed"]}


# ---- webhooks --------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((dict(self.headers.items()), body))
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


EDITED_KEYS = {"action", "issue", "changes", "repository", "sender"}
ISSUE_KEYS = {
    "url",
    "repository_url",
    "labels_url",
    "comments_url",
    "events_url",
    "html_url",
    "id",
    "node_id",
    "number",
    "title",
    "user",
    "labels",
    "state",
    "locked",
    "assignee",
    "assignees",
    "milestone",
    "comments",
    "created_at",
    "updated_at",
    "closed_at",
    "author_association",
    "active_lock_reason",
    "body",
    "reactions",
}


def test_issues_webhook_is_signed_and_shaped_like_github(gh: GitHubEmulator) -> None:
    """An issues/edited delivery carries GitHub's headers, a valid signature and payload keys."""
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        gh.add_issue(REPO, "t", body="- [ ] Alerts", milestone=1)
        gh.tick_checkbox(REPO, 1, "Alerts", actor="bob")
        url = f"http://127.0.0.1:{server.server_address[1]}/github/events"
        delivery = post_issues_event(url, "s3cret", gh, REPO, 1)
    finally:
        server.shutdown()
        server.server_close()
    assert delivery.status == 202
    headers, body = received[0]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature-256"] == expected == sign_webhook("s3cret", body)
    assert headers["X-GitHub-Event"] == "issues"
    assert headers["X-GitHub-Delivery"] == delivery.delivery_id
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert set(payload) == EDITED_KEYS
    assert set(payload["issue"]) >= ISSUE_KEYS
    assert payload["action"] == "edited"
    assert payload["changes"] == {"body": {"from": "- [ ] Alerts"}}
    assert payload["issue"]["body"] == "- [x] Alerts"
    assert payload["sender"]["login"] == "bob"
    assert payload["repository"]["full_name"] == REPO


def test_fake_clock_orders_creation() -> None:
    """The default clock ticks once per reading, so back-to-back issues are ordered."""
    clock = FakeClock(step=timedelta(seconds=1))
    first, second = clock(), clock()
    assert second - first == timedelta(seconds=1)
