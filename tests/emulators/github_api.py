"""An in-memory GitHub REST API emulator on a real local HTTP server, for tests.

PyGithub reaches it through ``base_url`` exactly as it reaches github.com or a GitHub
Enterprise Server (GHES) instance:

    with GitHubEmulator() as gh:
        gh.add_user("alice")
        gh.add_token("t-alice", "alice")
        gh.add_repo("acme/app", labels=["reliability"], milestones=["Q3"])
        client = gh.github("t-alice")            # Github(auth=Token, base_url=gh.url, retry=None)
        client.get_repo("acme/app").create_issue("Title", labels=["reliability"])
        gh.inject("POST", "/repos/acme/app/issues", Fault.error_after(502))

What it answers like GitHub does (shapes taken from GitHub's REST docs and webhook examples):
GET /user, GET /users/{login}, GET /repos/{o}/{r}, GET/POST /repos/{o}/{r}/issues,
GET/PATCH /repos/{o}/{r}/issues/{n}, GET /repos/{o}/{r}/labels[/{name}],
GET /repos/{o}/{r}/milestones[/{n}], GET /repos/{o}/{r}/git/trees/{sha_or_branch},
GET /rate_limit, GET /app, GET /app/installations/{id}, POST /app/installations/{id}/access_tokens,
GET /repos/{o}/{r}/installation, GET /repos/{o}/{r}/contents/{path} (github_contents.py),
and every repository route again under /repositories/{id}
(the form GitHub uses in its pagination Link headers).

Every URL in a response is built from the request's Host header and the API prefix, because
PyGithub refuses to follow URLs that leave its base_url. Timestamps come from ``clock`` (a
``FakeClock`` by default, so tests never depend on the wall clock); only the rate-limit reset
and installation-token expiry use real time, because PyGithub compares those with its own clock.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fnmatch
import hashlib
import json
import math
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

import jwt  # PyJWT: a dependency of PyGithub itself, so always present beside it.

if TYPE_CHECKING:
    from github import Github

DOCS = "https://docs.github.com/rest"
DOC_CREATE_ISSUE = f"{DOCS}/issues/issues#create-an-issue"
DOC_RATE_LIMITS = f"{DOCS}/overview/rate-limits-for-the-rest-api"
DOC_SECONDARY = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "rate-limits-for-the-rest-api#about-secondary-rate-limits"
)
MAX_TITLE = 256
MAX_BODY = 65536
ISSUE_LIST_KEYS = ("state", "sort", "direction", "since", "creator", "assignee", "milestone")


# --------------------------------------------------------------------------------------------
# Clock


class FakeClock:
    """A deterministic clock for emulator timestamps.

    Each reading returns the current time and then moves on by ``step``, so two issues created
    back to back still have distinct, ordered ``created_at`` values. ``step=timedelta(0)``
    freezes it; ``advance`` and ``set`` move it by hand.
    """

    def __init__(
        self,
        start: datetime = datetime(2024, 1, 8, 9, 0, tzinfo=UTC),
        step: timedelta = timedelta(seconds=1),
    ) -> None:
        self._now = start
        self._step = step
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            value = self._now
            self._now = value + self._step
            return value

    def peek(self) -> datetime:
        """The time the next reading will return, without moving the clock."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


# --------------------------------------------------------------------------------------------
# State


@dataclass
class Account:
    """A user, organization or GitHub App bot ("<slug>[bot]", type "Bot")."""

    login: str
    id: int
    type: str = "User"
    name: str | None = None
    site_admin: bool = False
    app_slug: str | None = None


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Milestone:
    id: int
    number: int
    title: str
    state: str
    creator: str
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    closed_at: datetime | None = None
    due_on: datetime | None = None


@dataclass
class Issue:
    """An issue (or pull request: ``is_pull_request``) as the emulator holds it."""

    id: int
    number: int
    title: str
    body: str | None
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    state_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    milestone: int | None = None
    assignees: list[str] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: str | None = None
    comments: int = 0
    locked: bool = False
    is_pull_request: bool = False
    draft: bool = False
    via_app: int | None = None
    merged_at: datetime | None = None  # a merged pull request's (tests/emulators/github_pulls.py)


@dataclass
class Repository:
    """A repository. ``token_can_push`` is what every token may do here (push or read only)."""

    id: int
    owner: str
    name: str
    created_at: datetime
    default_branch: str = "main"
    has_issues: bool = True
    private: bool = False
    archived: bool = False
    token_can_push: bool = True
    description: str | None = None
    readable_by: set[str] | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    milestones: dict[int, Milestone] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    next_number: int = 1

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: str
    bot_login: str
    public_key_pem: str | None = None
    permissions: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)


@dataclass
class Installation:
    id: int
    app_id: int
    account: str
    repositories: set[str] | None = None  # lower-case full names; None = every repo of account


@dataclass
class Token:
    value: str
    login: str
    installation_id: int | None = None
    expires_at: datetime | None = None  # real time; only installation tokens expire


@dataclass
class RecordedRequest:
    """One request the emulator received, with what it answered."""

    method: str
    path: str  # as received, without the query string (includes any API prefix)
    route: str  # path without the API prefix, e.g. "/repos/acme/app/issues"
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    request_id: str
    status: int | None = None
    counted: bool = False  # counted against the primary rate limit
    account: str | None = None
    fault: str | None = None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


# --------------------------------------------------------------------------------------------
# Faults


@dataclass(frozen=True)
class Fault:
    """A misbehaviour to inject; build one with the class methods.

    ``when="before"`` answers instead of handling the request (nothing changes);
    ``when="after"`` handles the request first (an issue is created) and then misbehaves.
    """

    name: str
    when: str
    status: int | None = None
    body: Mapping[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    drop: bool = False
    exhausts_rate_limit: bool = False

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Handle the request, then wait ``seconds`` before answering (client read timeout)."""
        return cls("slow", "after", delay=seconds)

    @classmethod
    def drop_connection(cls) -> Fault:
        """Handle the request, then close the socket without any response."""
        return cls("drop_connection", "after", drop=True)

    @classmethod
    def error_after(cls, status: int = 502, message: str = "Server Error") -> Fault:
        """Handle the request, then answer ``status`` anyway (the issue exists)."""
        return cls(f"error_after_{status}", "after", status, {"message": message})

    @classmethod
    def error_before(cls, status: int = 500, message: str | None = None) -> Fault:
        """Answer ``status`` without handling the request (nothing is created)."""
        text = message or ("Service Unavailable" if status == 503 else "Server Error")
        return cls(f"error_before_{status}", "before", status, {"message": text})

    @classmethod
    def secondary_rate_limit(cls, retry_after: int = 60, status: int = 403) -> Fault:
        """403 (or 429) with GitHub's secondary-rate-limit message and a Retry-After header."""
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again. If you reach out to GitHub Support for help, please include "
            "the request ID {request_id}.",
            "documentation_url": DOC_SECONDARY,
        }
        return cls(
            f"secondary_rate_limit_{status}",
            "before",
            status,
            body,
            (("Retry-After", str(retry_after)),),
        )

    @classmethod
    def primary_rate_limit(cls, status: int = 403) -> Fault:
        """403 (or 429) "API rate limit exceeded" with x-ratelimit-remaining 0 and the reset."""
        body = {
            "message": "API rate limit exceeded for user ID {user_id}. If you reach out to "
            "GitHub Support for help, please include the request ID {request_id}.",
            "documentation_url": f"{DOC_RATE_LIMITS}#primary-rate-limit",
        }
        return cls(f"primary_rate_limit_{status}", "before", status, body, exhausts_rate_limit=True)

    @classmethod
    def too_many_requests(cls, retry_after: int = 60) -> Fault:
        """429 with the secondary-rate-limit message (PyGithub maps only 403 to RateLimit...)."""
        return cls.secondary_rate_limit(retry_after=retry_after, status=429)

    @classmethod
    def bad_credentials(cls) -> Fault:
        return cls("bad_credentials", "before", 401, {"message": "Bad credentials"})

    @classmethod
    def not_found(cls) -> Fault:
        return cls("not_found", "before", 404, {"message": "Not Found"})

    @classmethod
    def issues_disabled(cls) -> Fault:
        body = {"message": "Issues are disabled for this repo", "documentation_url": DOCS}
        return cls("issues_disabled", "before", 410, body)

    @classmethod
    def validation_failed(
        cls, errors: Sequence[Mapping[str, Any]] | None = None, message: str = "Validation Failed"
    ) -> Fault:
        """422 shaped like GitHub's: message, errors [{resource, field, code, ...}]."""
        if errors is None:
            errors = [
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {MAX_BODY} characters)",
                }
            ]
        body = {"message": message, "errors": [dict(e) for e in errors]}
        return cls("validation_failed", "before", 422, {**body, "documentation_url": DOCS})

    @classmethod
    def custom(
        cls,
        status: int,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        after: bool = False,
    ) -> Fault:
        """Any other answer; ``after=True`` handles the request first."""
        return cls(
            f"status_{status}",
            "after" if after else "before",
            status,
            body if body is not None else {"message": "Error"},
            tuple((headers or {}).items()),
        )


@dataclass
class Injection:
    """A fault armed for the next ``remaining`` matching requests; ``fired`` counts uses."""

    method: str
    pattern: str
    fault: Fault
    remaining: int
    fired: int = 0

    def matches(self, method: str, routes: Iterable[str]) -> bool:
        if self.remaining <= 0 or self.method not in ("*", method):
            return False
        return any(fnmatch.fnmatchcase(route, self.pattern) for route in routes)


# --------------------------------------------------------------------------------------------
# Internals: replies, errors, identities, URLs


class _ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        documentation_url: str = DOCS,
        errors: list[dict[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"message": message, "documentation_url": documentation_url}
        if errors is not None:
            self.body["errors"] = errors
        self.body["status"] = str(status)
        self.headers = dict(headers or {})


def _not_found(documentation_url: str = DOCS) -> _ApiError:
    return _ApiError(404, "Not Found", documentation_url)


def _invalid(resource: str, field_name: str, value: Any, doc: str) -> _ApiError:
    error = {"value": value, "resource": resource, "field": field_name, "code": "invalid"}
    return _ApiError(422, "Validation Failed", doc, [error])


@dataclass
class _Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None


@dataclass(frozen=True)
class _Identity:
    kind: str  # "user" | "installation" | "app"
    login: str | None
    installation_id: int | None = None
    app_id: int | None = None

    @property
    def pool(self) -> str:
        return f"app:{self.app_id}" if self.kind == "app" else f"account:{self.login}"


@dataclass(frozen=True)
class _Urls:
    api: str  # "http://host:port/api/v3"
    web: str  # "http://host:port"


@dataclass
class _Ctx:
    method: str
    route: str
    query: dict[str, list[str]]
    raw_query: list[tuple[str, str]]
    body: bytes
    identity: _Identity | None
    urls: _Urls

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json_object(self) -> dict[str, Any]:
        if not self.body:
            return {}
        try:
            data = json.loads(self.body)
        except ValueError as exc:
            raise _ApiError(400, "Problems parsing JSON") from exc
        if not isinstance(data, dict):
            raise _ApiError(400, "Problems parsing JSON")
        return data


@dataclass
class _Outcome:
    status: int
    headers: list[tuple[str, str]]
    body: bytes | None
    delay: float = 0.0
    drop: bool = False


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def node_id(type_name: str, ident: int) -> str:
    # GitHub's legacy global ids: base64("0<len(type)>:<Type><id>"), as in the webhook examples.
    return base64.b64encode(f"0{len(type_name)}:{type_name}{ident}".encode()).decode()


def _request_id() -> str:
    raw = uuid.uuid4().hex.upper()
    return f"{raw[0:4]}:{raw[4:9]}:{raw[9:16]}:{raw[16:23]}:{raw[23:31]}"


# --------------------------------------------------------------------------------------------
# Git objects


@dataclass
class _GitEntry:
    name: str
    mode: str
    type: str
    sha: str
    size: int | None
    subtree: _GitTree | None = None


@dataclass
class _GitTree:
    sha: str
    entries: list[_GitEntry]


def git_blob_sha(content: bytes) -> str:
    """The SHA-1 git gives a blob with this content (``git hash-object``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _git_tree(node: Mapping[str, Any]) -> _GitTree:
    entries: list[_GitEntry] = []
    for name, value in node.items():
        if isinstance(value, dict):
            sub = _git_tree(value)
            entries.append(_GitEntry(name, "040000", "tree", sub.sha, None, sub))
        else:
            entries.append(_GitEntry(name, "100644", "blob", git_blob_sha(value), len(value)))
    # git orders tree entries by name bytes, a subtree sorting as if its name ended in "/".
    entries.sort(key=lambda e: (e.name + ("/" if e.type == "tree" else "")).encode())
    payload = b"".join(
        f"{'40000' if e.type == 'tree' else e.mode} {e.name}".encode()
        + b"\0"
        + bytes.fromhex(e.sha)
        for e in entries
    )
    sha = hashlib.sha1(b"tree %d\0" % len(payload) + payload).hexdigest()
    return _GitTree(sha, entries)


def _build_git_tree(files: Mapping[str, bytes]) -> _GitTree:
    root: dict[str, Any] = {}
    for path, content in files.items():
        parts = [p for p in path.split("/") if p]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{path!r}: {part!r} is both a file and a directory")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ValueError(f"{path!r} is both a file and a directory")
        node[parts[-1]] = content
    return _git_tree(root)


def _walk_tree(tree: _GitTree, prefix: str = "") -> Iterator[tuple[str, _GitEntry]]:
    for entry in tree.entries:
        path = f"{prefix}{entry.name}"
        yield path, entry
        if entry.subtree is not None:
            yield from _walk_tree(entry.subtree, f"{path}/")


def _index_trees(tree: _GitTree, index: dict[str, _GitTree]) -> None:
    index[tree.sha] = tree
    for entry in tree.entries:
        if entry.subtree is not None:
            _index_trees(entry.subtree, index)


# --------------------------------------------------------------------------------------------
# The emulator

_Route = tuple[str, re.Pattern[str], str, str]  # method, path regex, handler name, auth kind

_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_ROUTES: list[_Route] = [
    ("GET", re.compile(r"/user"), "_get_authenticated_user", "token"),
    ("GET", re.compile(r"/users/(?P<login>[^/]+)"), "_get_user", "token"),
    ("GET", re.compile(r"/rate_limit"), "_get_rate_limit", "any"),
    ("GET", re.compile(r"/app"), "_get_app", "jwt"),
    ("GET", re.compile(r"/app/installations/(?P<inst>\d+)"), "_get_installation", "jwt"),
    (
        "POST",
        re.compile(r"/app/installations/(?P<inst>\d+)/access_tokens"),
        "_create_access_token",
        "jwt",
    ),
    ("GET", re.compile(_REPO + r"/installation"), "_get_repo_installation", "jwt"),
    ("GET", re.compile(_REPO), "_get_repo", "token"),
    ("GET", re.compile(_REPO + r"/issues"), "_list_issues", "token"),
    ("POST", re.compile(_REPO + r"/issues"), "_create_issue", "token"),
    ("GET", re.compile(_REPO + r"/issues/(?P<number>\d+)"), "_get_issue", "token"),
    ("PATCH", re.compile(_REPO + r"/issues/(?P<number>\d+)"), "_edit_issue", "token"),
    ("GET", re.compile(_REPO + r"/labels"), "_list_labels", "token"),
    ("GET", re.compile(_REPO + r"/labels/(?P<name>[^/]+)"), "_get_label", "token"),
    ("GET", re.compile(_REPO + r"/milestones"), "_list_milestones", "token"),
    ("GET", re.compile(_REPO + r"/milestones/(?P<number>\d+)"), "_get_milestone", "token"),
    ("GET", re.compile(_REPO + r"/git/trees/(?P<sha>.+)"), "_get_tree", "token"),
]


class GitHubEmulator:
    """A GitHub REST API on 127.0.0.1 with an ephemeral port; see the module docstring.

    ``prefix="/api/v3"`` serves the API under that path like GHES; ``rate_limiting=False``
    drops the x-ratelimit-* headers and answers GET /rate_limit with 404, as GHES does when
    rate limiting is off. ``rate_limit`` is the hourly limit per account (exhausting it yields
    GitHub's 403 "API rate limit exceeded"). ``enterprise_version`` adds the
    X-GitHub-Enterprise-Version header.
    """

    def __init__(
        self,
        *,
        prefix: str = "",
        rate_limiting: bool = True,
        rate_limit: int = 5000,
        enterprise_version: str | None = None,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
            raise ValueError("prefix must look like '/api/v3'")
        self.prefix = prefix
        self.rate_limiting = rate_limiting
        self.rate_limit = rate_limit
        self.enterprise_version = enterprise_version
        self.clock: Callable[[], datetime] = clock or FakeClock()
        self._host = host
        self._lock = threading.RLock()
        self._ids = iter(range(1001, 10**9))
        self._accounts: dict[str, Account] = {}
        self._tokens: dict[str, Token] = {}
        self._repos: dict[str, Repository] = {}
        self._apps: dict[int, App] = {}
        self._installations: dict[int, Installation] = {}
        self._injections: list[Injection] = []
        self._requests: list[RecordedRequest] = []
        self._last_changes: dict[tuple[str, int], tuple[dict[str, Any], str]] = {}
        self._pools: dict[str, int] = {}
        self._rate_reset = int(time.time()) + 3600
        self._total = 0
        self._counted = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> GitHubEmulator:
        if self._server is not None:
            return self
        server = _Server((self._host, 0), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="github-emulator"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stopping.set()  # wakes replies held back by Fault.slow
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> GitHubEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start()")
        return self._server.server_address[1]

    @property
    def web_url(self) -> str:
        """Where html_url values point: the server root, without the API prefix."""
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """The base_url to give PyGithub (GITHUB_API_URL), including any prefix."""
        return f"{self.web_url}{self.prefix}"

    def github(
        self,
        token: str,
        *,
        timeout: float = 5,
        retry: Any = None,
        per_page: int | None = None,
    ) -> Github:
        """A PyGithub client for ``token`` on this emulator: no retries and no throttling."""
        from github import Auth, Github

        kwargs: dict[str, Any] = {}
        if per_page is not None:
            kwargs["per_page"] = per_page
        return Github(
            auth=Auth.Token(token),
            base_url=self.url,
            timeout=timeout,
            retry=retry,
            seconds_between_requests=None,
            seconds_between_writes=None,
            **kwargs,
        )

    # ---- seeding state -------------------------------------------------------------------

    def add_user(
        self, login: str, *, type: str = "User", name: str | None = None, id: int | None = None
    ) -> Account:
        """Add a user (or ``type="Organization"``); returns the existing one if present."""
        with self._lock:
            existing = self._accounts.get(login.lower())
            if existing is not None:
                return existing
            account = Account(login, id if id is not None else next(self._ids), type, name)
            self._accounts[login.lower()] = account
            return account

    def add_token(self, token: str, login: str) -> Token:
        """Make ``token`` authenticate as ``login`` (added as a user if unknown)."""
        with self._lock:
            account = self.add_user(login)
            record = Token(token, account.login)
            self._tokens[token] = record
            return record

    def revoke_token(self, token: str) -> None:
        """From now on ``token`` gets 401 Bad credentials."""
        with self._lock:
            self._tokens.pop(token, None)

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        has_issues: bool = True,
        private: bool = False,
        archived: bool = False,
        token_can_push: bool = True,
        readable_by: Iterable[str] | None = None,
        files: Mapping[str, str | bytes] | Iterable[str] = (),
        labels: Iterable[str] = (),
        milestones: Iterable[str] = (),
        description: str | None = None,
    ) -> Repository:
        """Add a repository; the owner is added as a user if unknown.

        ``files`` is a mapping path -> content (or just paths, empty content) that
        GET .../git/trees serves. ``readable_by`` limits which logins may see it (None: all).
        ``token_can_push=False`` makes every token read-only there: labels, milestone and
        assignees on new issues are then silently dropped, as GitHub does.
        """
        owner, _, name = full_name.partition("/")
        if not owner or not name or "/" in name:
            raise ValueError("full_name must be 'owner/name'")
        with self._lock:
            if full_name.lower() in self._repos:
                raise ValueError(f"{full_name} exists already")
            self.add_user(owner)
            repo = Repository(
                id=next(self._ids),
                owner=self._accounts[owner.lower()].login,
                name=name,
                created_at=self.clock(),
                default_branch=default_branch,
                has_issues=has_issues,
                private=private,
                archived=archived,
                token_can_push=token_can_push,
                description=description,
                readable_by={r.lower() for r in readable_by} if readable_by is not None else None,
            )
            self._repos[full_name.lower()] = repo
            self.set_files(full_name, files)
            for label in labels:
                self.add_label(full_name, label)
            for title in milestones:
                self.add_milestone(full_name, title)
            return repo

    def repo(self, full_name: str) -> Repository:
        """The live repository record (flags such as ``token_can_push`` may be changed)."""
        with self._lock:
            try:
                return self._repos[full_name.lower()]
            except KeyError:
                raise KeyError(f"no repository {full_name}") from None

    def set_files(self, repo: str, files: Mapping[str, str | bytes] | Iterable[str]) -> None:
        """Replace the repository's file tree (what the default branch points at)."""
        items = files.items() if isinstance(files, Mapping) else ((p, b"") for p in files)
        encoded = {
            path.strip("/"): content.encode() if isinstance(content, str) else bytes(content)
            for path, content in items
        }
        if encoded:
            _build_git_tree(encoded)  # fail now on a path that is both file and directory
        with self._lock:
            self.repo(repo).files = encoded

    def add_label(
        self, repo: str, name: str, *, color: str = "ededed", description: str | None = None
    ) -> Label:
        with self._lock:
            record = self.repo(repo)
            label = record.labels.get(name.lower())
            if label is None:
                label = Label(next(self._ids), name, color, description)
                record.labels[name.lower()] = label
            return label

    def add_milestone(
        self,
        repo: str,
        title: str,
        *,
        state: str = "open",
        description: str | None = None,
        due_on: datetime | None = None,
    ) -> Milestone:
        with self._lock:
            record = self.repo(repo)
            number = max(record.milestones, default=0) + 1
            now = self.clock()
            milestone = Milestone(
                id=next(self._ids),
                number=number,
                title=title,
                state=state,
                creator=record.owner,
                created_at=now,
                updated_at=now,
                description=description,
                closed_at=now if state == "closed" else None,
                due_on=due_on,
            )
            record.milestones[number] = milestone
            return milestone

    def add_app(
        self,
        app_id: int,
        slug: str,
        *,
        owner: str | None = None,
        public_key_pem: str | None = None,
        permissions: Mapping[str, str] | None = None,
    ) -> App:
        """Register a GitHub App and its bot account "<slug>[bot]" (type "Bot").

        App JWTs must be JWT-shaped, name this app in ``iss`` and not be expired; with
        ``public_key_pem`` their RS256 signature is verified too.
        """
        with self._lock:
            bot_login = f"{slug}[bot]"
            bot = self.add_user(bot_login, type="Bot")
            bot.app_slug = slug
            app = App(
                id=app_id,
                slug=slug,
                name=slug.replace("-", " ").title(),
                owner=owner or bot_login,
                bot_login=bot_login,
                public_key_pem=public_key_pem,
                permissions=dict(
                    permissions or {"issues": "write", "contents": "read", "metadata": "read"}
                ),
                events=["issues"],
            )
            self._apps[app_id] = app
            return app

    def add_installation(
        self,
        installation_id: int,
        app_id: int,
        account: str,
        *,
        repositories: Iterable[str] | None = None,
    ) -> Installation:
        """Install app ``app_id`` on ``account``: on all its repos, or on ``repositories``."""
        with self._lock:
            if app_id not in self._apps:
                raise KeyError(f"no app {app_id}; call add_app first")
            owner = self.add_user(account)
            installation = Installation(
                installation_id,
                app_id,
                owner.login,
                {r.lower() for r in repositories} if repositories is not None else None,
            )
            self._installations[installation_id] = installation
            return installation

    def installation_tokens(self, installation_id: int) -> list[str]:
        """The access tokens minted so far for an installation, oldest first."""
        with self._lock:
            return [t.value for t in self._tokens.values() if t.installation_id == installation_id]

    def expire_token(self, token: str) -> None:
        """Make an installation token expired now (real time), so it gets 401."""
        with self._lock:
            self._tokens[token].expires_at = datetime.now(UTC) - timedelta(seconds=1)

    def add_issue(
        self,
        repo: str,
        title: str,
        body: str | None = "",
        *,
        user: str | None = None,
        labels: Iterable[str] = (),
        milestone: int | None = None,
        assignees: Iterable[str] = (),
        state: str = "open",
    ) -> Issue:
        """Seed an issue as if someone had filed it (no request, no validation of labels)."""
        return self._seed(repo, title, body, user, labels, milestone, assignees, state, False)

    @property
    def pulls(self) -> Any:
        """People's actions on pull requests, checks and statuses (github_pulls.PullActions)."""
        from tests.emulators.github_pulls import PullActions

        return PullActions(self)

    def add_pull_request(
        self,
        repo: str,
        title: str,
        body: str | None = "",
        *,
        user: str | None = None,
        state: str = "open",
        draft: bool = False,
    ) -> Issue:
        """Seed a pull request; it shares the issue numbering and shows in the issue list."""
        issue = self._seed(repo, title, body, user, (), None, (), state, True)
        issue.draft = draft
        return issue

    def _seed(
        self,
        repo: str,
        title: str,
        body: str | None,
        user: str | None,
        labels: Iterable[str],
        milestone: int | None,
        assignees: Iterable[str],
        state: str,
        is_pull_request: bool,
    ) -> Issue:
        with self._lock:
            record = self.repo(repo)
            author = self.add_user(user or record.owner).login
            names = [self.add_label(repo, name).name for name in labels]
            who = [self.add_user(login).login for login in assignees]
            if milestone is not None and milestone not in record.milestones:
                raise KeyError(f"no milestone {milestone} in {repo}")
            issue = self._new_issue(record, title, body, author, names, milestone, who)
            issue.is_pull_request = is_pull_request
            if state == "closed":
                self._set_state(issue, "closed", author, None)
            return _copy_issue(issue)

    # ---- acting as a person on GitHub ------------------------------------------------------

    def issues(self, repo: str, *, include_pull_requests: bool = False) -> list[Issue]:
        """Copies of the issues held, by number (pull requests only if asked for)."""
        with self._lock:
            record = self.repo(repo)
            return [
                _copy_issue(i)
                for _, i in sorted(record.issues.items())
                if include_pull_requests or not i.is_pull_request
            ]

    def issue(self, repo: str, number: int) -> Issue:
        with self._lock:
            return _copy_issue(self._issue(repo, number))

    def edit_issue(
        self,
        repo: str,
        number: int,
        *,
        body: str | None = None,
        title: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Edit an issue as a person would in the web UI; returns the webhook ``changes``."""
        with self._lock:
            issue = self._issue(repo, number)
            who = self.add_user(actor or issue.user).login
            fields = {k: v for k, v in (("body", body), ("title", title)) if v is not None}
            return self._apply_edit(repo, issue, who, fields)

    def tick_checkbox(
        self,
        repo: str,
        number: int,
        label: str,
        *,
        checked: bool = True,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Tick (or untick) the first task-list box whose text starts with ``label``."""
        with self._lock:
            issue = self._issue(repo, number)
            lines = (issue.body or "").split("\n")
            box = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+\[)([ xX])(\]\s+)(.*)$")
            for index, line in enumerate(lines):
                match = box.match(line)
                if match and match.group(4).strip().startswith(label):
                    mark = "x" if checked else " "
                    lines[index] = f"{match.group(1)}{mark}{match.group(3)}{match.group(4)}"
                    return self.edit_issue(repo, number, body="\n".join(lines), actor=actor)
            raise KeyError(f"no checkbox starting with {label!r} in {repo}#{number}")

    def close_issue(
        self, repo: str, number: int, *, actor: str | None = None, reason: str = "completed"
    ) -> None:
        with self._lock:
            issue = self._issue(repo, number)
            self._apply_edit(
                repo, issue, self.add_user(actor or issue.user).login, {"state": "closed"}, reason
            )

    def reopen_issue(self, repo: str, number: int, *, actor: str | None = None) -> None:
        with self._lock:
            issue = self._issue(repo, number)
            self._apply_edit(
                repo, issue, self.add_user(actor or issue.user).login, {"state": "open"}
            )

    def last_changes(self, repo: str, number: int) -> tuple[dict[str, Any], str | None]:
        """The ``changes`` of the last edit to an issue (webhook shape) and who made it."""
        with self._lock:
            changes, actor = self._last_changes.get((repo.lower(), number), ({}, None))
            return json.loads(json.dumps(changes)), actor

    # ---- JSON as GitHub would send it (for webhook payloads) --------------------------------

    def issue_json(self, repo: str, number: int) -> dict[str, Any]:
        with self._lock:
            return self._issue_json(self.repo(repo), self._issue(repo, number), self._own_urls())

    def repo_json(self, repo: str, *, with_permissions: bool = False) -> dict[str, Any]:
        with self._lock:
            identity = None
            if with_permissions:
                identity = _Identity("user", self.repo(repo).owner)
            return self._repo_json(self.repo(repo), self._own_urls(), identity)

    def account_json(self, login: str) -> dict[str, Any]:
        with self._lock:
            return self._user_json(self._account(login), self._own_urls())

    def organization_json(self, login: str) -> dict[str, Any] | None:
        """The ``organization`` object of a webhook payload, or None for a user account."""
        with self._lock:
            account = self._account(login)
            if account.type != "Organization":
                return None
            api = f"{self._own_urls().api}/orgs/{quote(account.login)}"
            return {
                "login": account.login,
                "id": account.id,
                "node_id": node_id("Organization", account.id),
                "url": api,
                "repos_url": f"{api}/repos",
                "events_url": f"{api}/events",
                "hooks_url": f"{api}/hooks",
                "issues_url": f"{api}/issues",
                "members_url": f"{api}/members{{/member}}",
                "public_members_url": f"{api}/public_members{{/member}}",
                "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
                "description": "",
            }

    def label_json(self, repo: str, name: str) -> dict[str, Any]:
        with self._lock:
            record = self.repo(repo)
            return self._label_json(record, record.labels[name.lower()], self._own_urls())

    def installation_for(self, repo: str) -> Installation | None:
        """The app installation that covers ``repo``, if any."""
        with self._lock:
            record = self.repo(repo)
            for installation in self._installations.values():
                if self._installation_covers(installation, record):
                    return installation
            return None

    # ---- faults, requests, counters ---------------------------------------------------------

    def inject(self, method: str, path: str, fault: Fault, *, times: int = 1) -> Injection:
        """Arm ``fault`` for the next ``times`` requests matching ``method`` and ``path``.

        ``path`` is matched without the API prefix and query, as an fnmatch pattern
        ("/repos/acme/app/issues", "/repos/*/issues/*"); a /repositories/{id}/... request
        also matches its /repos/{owner}/{name}/... form. ``method="*"`` matches any method.
        """
        injection = Injection(method.upper(), path, fault, times)
        with self._lock:
            self._injections.append(injection)
        return injection

    def clear_faults(self) -> None:
        with self._lock:
            self._injections.clear()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Recorded requests whose method and route (fnmatch pattern) match."""
        return [
            r
            for r in self.requests
            if method.upper() in ("*", r.method) and fnmatch.fnmatchcase(r.route, path)
        ]

    @property
    def total_requests(self) -> int:
        with self._lock:
            return self._total

    @property
    def counted_requests(self) -> int:
        """Requests that used primary rate-limit quota (not 304s, not GET /rate_limit)."""
        with self._lock:
            return self._counted

    def rate_limit_remaining(self, login: str) -> int:
        with self._lock:
            return self.rate_limit - self._pools.get(f"account:{login}", 0)

    def reset_counters(self) -> None:
        """Forget recorded requests and counters and refill every rate-limit pool."""
        with self._lock:
            self._requests.clear()
            self._pools.clear()
            self._total = 0
            self._counted = 0

    # ---- request pipeline --------------------------------------------------------------------

    def _respond(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> _Outcome:
        split = urlsplit(target)
        path = split.path
        raw_query = parse_qsl(split.query, keep_blank_values=True)
        query: dict[str, list[str]] = {}
        for key, value in raw_query:
            query.setdefault(key, []).append(value)
        header_map = {k: v for k, v in headers}
        lower = {k.lower(): v for k, v in headers}
        host = lower.get("host") or f"{self._host}:{self.port}"
        urls = _Urls(f"http://{host}{self.prefix}", f"http://{host}")
        request_id = _request_id()

        route: str | None = path
        if self.prefix:
            inside = path == self.prefix or path.startswith(f"{self.prefix}/")
            route = (path[len(self.prefix) :] or "/") if inside else None
        record = RecordedRequest(method, path, route or path, query, header_map, body, request_id)
        with self._lock:
            self._requests.append(record)
            self._total += 1
            canonical = self._canonical(route) if route is not None else None
            identity, auth_error = self._authenticate(lower.get("authorization"))
            record.account = identity.login if identity else None
            fault = None
            if route is not None:
                for injection in self._injections:
                    if injection.matches(method, {route, canonical or route}):
                        injection.remaining -= 1
                        injection.fired += 1
                        fault = injection.fault
                        record.fault = fault.name
                        break
            reply, counted = self._reply(
                method,
                route,
                canonical,
                raw_query,
                query,
                body,
                identity,
                auth_error,
                urls,
                lower,
                fault,
            )
            if reply.status == 304 or route == "/rate_limit":
                counted = False
            if counted and identity is not None:
                self._pools[identity.pool] = self._pools.get(identity.pool, 0) + 1
                self._counted += 1
            record.counted = counted
            record.status = reply.status
            out_headers = self._headers(reply, identity, request_id, fault)
            user = self._accounts.get((identity.login or "").lower()) if identity else None
            user_id = str(user.id) if user else "0"
        payload: bytes | None = None
        if reply.status != 304:
            payload = b"" if reply.body is None else _encode(reply.body, request_id, user_id)
        return _Outcome(
            reply.status,
            out_headers,
            payload,
            delay=fault.delay if fault else 0.0,
            drop=bool(fault and fault.drop),
        )

    def _reply(
        self,
        method: str,
        route: str | None,
        canonical: str | None,
        raw_query: list[tuple[str, str]],
        query: dict[str, list[str]],
        body: bytes,
        identity: _Identity | None,
        auth_error: _ApiError | None,
        urls: _Urls,
        headers: Mapping[str, str],
        fault: Fault | None,
    ) -> tuple[_Reply, bool]:
        """The reply and whether it used rate-limit quota."""
        authenticated = identity is not None
        if fault is not None and fault.when == "before":
            return _fault_reply(fault), authenticated
        if auth_error is not None:
            return _error_reply(auth_error), False
        if not headers.get("user-agent"):
            return _error_reply(
                _ApiError(
                    403,
                    "Request forbidden by administrative rules. Please make sure your request "
                    "has a User-Agent header (https://docs.github.com/en/rest/overview/"
                    "resources-in-the-rest-api#user-agent-required). Check "
                    "https://developer.github.com for other possible causes.",
                )
            ), authenticated
        if (
            identity is not None
            and self.rate_limiting
            and route != "/rate_limit"
            and self._pools.get(identity.pool, 0) >= self.rate_limit
        ):
            return _fault_reply(Fault.primary_rate_limit()), False
        ctx = _Ctx(method, canonical or "/", query, raw_query, body, identity, urls)
        try:
            if route is None or canonical is None:
                raise _not_found()
            reply = self._dispatch(ctx)
        except _ApiError as error:
            reply = _error_reply(error)
        if method == "GET" and reply.status == 200:
            reply = self._conditional(reply, identity, headers)
        if fault is not None and fault.status is not None:
            reply = _fault_reply(fault)
        return reply, authenticated

    def _dispatch(self, ctx: _Ctx) -> _Reply:
        # Unknown paths and unsupported methods on known paths both get 404, as on GitHub.
        for method, pattern, handler, auth in _ROUTES:
            match = pattern.fullmatch(ctx.route)
            if match is None or method != ctx.method:
                continue
            self._check_auth(ctx.identity, auth)
            params = {k: unquote(v) for k, v in match.groupdict().items()}
            if callable(handler):  # a route added by another module (github_pulls.py)
                return handler(self, ctx, **params)  # type: ignore[no-any-return]
            reply: _Reply = getattr(self, handler)(ctx, **params)
            return reply
        raise _not_found()

    def _check_auth(self, identity: _Identity | None, auth: str) -> None:
        if identity is None:
            raise _ApiError(401, "Requires authentication")
        if auth == "jwt" and identity.kind != "app":
            raise _ApiError(
                401,
                "A JSON web token could not be decoded",
                f"{DOCS}/apps/apps#create-an-installation-access-token-for-an-app",
            )
        if auth == "token" and identity.kind == "app":
            raise _ApiError(403, "Resource not accessible by integration")

    def _conditional(
        self, reply: _Reply, identity: _Identity | None, headers: Mapping[str, str]
    ) -> _Reply:
        raw = json.dumps(reply.body, sort_keys=True).encode()
        who = (identity.pool if identity else "anonymous").encode()
        etag = f'W/"{hashlib.sha256(raw + b"|" + who).hexdigest()}"'
        reply.headers["ETag"] = etag
        if reply.last_modified is not None:
            reply.headers["Last-Modified"] = format_datetime(reply.last_modified, usegmt=True)
        if_none_match = headers.get("if-none-match")
        if if_none_match is not None:
            tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
            if "*" in tags or etag.removeprefix("W/") in tags:
                return _Reply(304, None, reply.headers)
            return reply
        if_modified_since = headers.get("if-modified-since")
        if if_modified_since and reply.last_modified is not None:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError):
                return reply
            if reply.last_modified.replace(microsecond=0) <= since:
                return _Reply(304, None, reply.headers)
        return reply

    def _headers(
        self,
        reply: _Reply,
        identity: _Identity | None,
        request_id: str,
        fault: Fault | None,
    ) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        if reply.status != 304:
            headers.append(("Content-Type", "application/json; charset=utf-8"))
        headers += [
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("X-GitHub-Api-Version-Selected", "2022-11-28"),
            ("X-GitHub-Request-Id", request_id),
            ("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP"),
        ]
        if self.enterprise_version:
            headers.append(("X-GitHub-Enterprise-Version", self.enterprise_version))
        if identity is not None and identity.kind == "user":
            headers += [("X-OAuth-Scopes", "repo"), ("X-Accepted-OAuth-Scopes", "repo")]
        if "ETag" in reply.headers:
            headers.append(("Cache-Control", "private, max-age=60, s-maxage=60"))
        headers += list(reply.headers.items())
        if fault is not None:
            headers += list(fault.headers)
        if self.rate_limiting:
            if identity is None:
                limit, used = 60, 0
            else:
                limit, used = (
                    self.rate_limit,
                    min(self._pools.get(identity.pool, 0), self.rate_limit),
                )
            if fault is not None and fault.exhausts_rate_limit:
                used = limit
            headers += [
                ("X-RateLimit-Limit", str(limit)),
                ("X-RateLimit-Remaining", str(limit - used)),
                ("X-RateLimit-Reset", str(self._rate_reset)),
                ("X-RateLimit-Used", str(used)),
                ("X-RateLimit-Resource", "core"),
            ]
        return headers

    def _authenticate(self, header: str | None) -> tuple[_Identity | None, _ApiError | None]:
        if not header:
            return None, None
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        bad = _ApiError(401, "Bad credentials")
        if scheme.lower() not in ("token", "bearer") or not credential:
            return None, bad
        token = self._tokens.get(credential)
        if token is not None:
            if token.expires_at is not None and token.expires_at <= datetime.now(UTC):
                return None, bad
            if token.installation_id is not None:
                installation = self._installations.get(token.installation_id)
                return _Identity(
                    "installation",
                    token.login,
                    token.installation_id,
                    installation.app_id if installation else None,
                ), None
            return _Identity("user", token.login), None
        if credential.count(".") == 2:
            return self._authenticate_jwt(credential)
        return None, bad

    def _authenticate_jwt(self, credential: str) -> tuple[_Identity | None, _ApiError | None]:
        undecodable = _ApiError(401, "A JSON web token could not be decoded")
        try:
            for part in credential.split("."):
                base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
            header = jwt.get_unverified_header(credential)
            claims = jwt.decode(credential, options={"verify_signature": False})
        except (jwt.PyJWTError, binascii.Error, ValueError):
            return None, undecodable
        if "alg" not in header or not isinstance(claims, dict):
            return None, undecodable
        try:
            app = self._apps.get(int(str(claims.get("iss"))))
        except ValueError:
            app = None
        if app is None:
            return None, _ApiError(401, "Integration not found")
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= now:
            return None, _ApiError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the "
                "future time at which the assertion expires",
            )
        if exp > now + 600 + 60:
            return None, _ApiError(401, "'Expiration time' claim ('exp') is too far in the future")
        if app.public_key_pem is not None:
            try:
                jwt.decode(
                    credential,
                    app.public_key_pem,
                    algorithms=["RS256"],
                    options={"verify_iat": False, "verify_exp": False},
                )
            except jwt.PyJWTError:
                return None, undecodable
        return _Identity("app", app.bot_login, app_id=app.id), None

    def _canonical(self, route: str) -> str:
        match = re.fullmatch(r"/repositories/(\d+)(/.*)?", route)
        if match is None:
            return route
        for repo in self._repos.values():
            if repo.id == int(match.group(1)):
                return f"/repos/{quote(repo.owner)}/{quote(repo.name)}{match.group(2) or ''}"
        return route

    # ---- lookups -----------------------------------------------------------------------------

    def _own_urls(self) -> _Urls:
        return _Urls(self.url, self.web_url)

    def _account(self, login: str) -> Account:
        account = self._accounts.get(login.lower())
        if account is None:
            raise KeyError(f"no account {login}")
        return account

    def _issue(self, repo: str, number: int) -> Issue:
        record = self.repo(repo)
        try:
            return record.issues[number]
        except KeyError:
            raise KeyError(f"no issue {repo}#{number}") from None

    def _installation_covers(self, installation: Installation, repo: Repository) -> bool:
        if installation.account.lower() != repo.owner.lower():
            return False
        return installation.repositories is None or repo.full_name.lower() in (
            installation.repositories
        )

    def _can_read(self, identity: _Identity | None, repo: Repository) -> bool:
        if identity is None:
            return False
        if identity.kind == "installation":
            installation = self._installations.get(identity.installation_id or 0)
            return installation is not None and self._installation_covers(installation, repo)
        if repo.readable_by is None:
            return True
        login = (identity.login or "").lower()
        return login == repo.owner.lower() or login in repo.readable_by

    def _can_push(self, identity: _Identity | None, repo: Repository) -> bool:
        return self._can_read(identity, repo) and repo.token_can_push and not repo.archived

    def _visible_repo(self, ctx: _Ctx, owner: str, name: str, doc: str) -> Repository:
        repo = self._repos.get(f"{owner}/{name}".lower())
        if repo is None or not self._can_read(ctx.identity, repo):
            raise _not_found(doc)
        return repo

    def _issues_repo(self, ctx: _Ctx, owner: str, name: str, doc: str) -> Repository:
        repo = self._visible_repo(ctx, owner, name, doc)
        if not repo.has_issues:
            raise _ApiError(410, "Issues are disabled for this repo", doc)
        return repo

    # ---- handlers ----------------------------------------------------------------------------

    def _get_authenticated_user(self, ctx: _Ctx) -> _Reply:
        assert ctx.identity is not None
        if ctx.identity.kind != "user":
            raise _ApiError(
                403,
                "Resource not accessible by integration",
                f"{DOCS}/users/users#get-the-authenticated-user",
            )
        account = self._account(ctx.identity.login or "")
        body = self._user_json(account, ctx.urls) | {
            "name": account.name,
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z",
        }
        return _Reply(200, body)

    def _get_user(self, ctx: _Ctx, login: str) -> _Reply:
        account = self._accounts.get(login.lower())
        if account is None:
            raise _not_found(f"{DOCS}/users/users#get-a-user")
        return _Reply(200, self._user_json(account, ctx.urls) | {"name": account.name})

    def _get_rate_limit(self, ctx: _Ctx) -> _Reply:
        if not self.rate_limiting:
            raise _ApiError(404, "Rate limiting is not enabled.", f"{DOCS}/rate-limit/rate-limit")
        assert ctx.identity is not None
        used = min(self._pools.get(ctx.identity.pool, 0), self.rate_limit)

        def bucket(limit: int, used: int = 0) -> dict[str, int]:
            return {
                "limit": limit,
                "used": used,
                "remaining": limit - used,
                "reset": self._rate_reset,
            }

        core = bucket(self.rate_limit, used)
        resources = {
            "core": core,
            "search": bucket(30),
            "graphql": bucket(5000),
            "integration_manifest": bucket(5000),
            "code_search": bucket(10),
        }
        return _Reply(200, {"resources": resources, "rate": core})

    def _get_app(self, ctx: _Ctx) -> _Reply:
        assert ctx.identity is not None and ctx.identity.app_id is not None
        return _Reply(200, self._app_json(self._apps[ctx.identity.app_id], ctx.urls))

    def _get_installation(self, ctx: _Ctx, inst: str) -> _Reply:
        installation = self._installations.get(int(inst))
        if (
            installation is None
            or ctx.identity is None
            or installation.app_id != ctx.identity.app_id
        ):
            raise _not_found(f"{DOCS}/apps/apps#get-an-installation-for-the-authenticated-app")
        return _Reply(200, self._installation_json(installation, ctx.urls))

    def _create_access_token(self, ctx: _Ctx, inst: str) -> _Reply:
        doc = f"{DOCS}/apps/apps#create-an-installation-access-token-for-an-app"
        installation = self._installations.get(int(inst))
        if (
            installation is None
            or ctx.identity is None
            or installation.app_id != ctx.identity.app_id
        ):
            raise _not_found(doc)
        ctx.json_object()
        app = self._apps[installation.app_id]
        value = f"ghs_{secrets.token_hex(18)}"
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        self._tokens[value] = Token(value, app.bot_login, installation.id, expires)
        body = {
            "token": value,
            "expires_at": _iso(expires),
            "permissions": dict(app.permissions),
            "repository_selection": "all" if installation.repositories is None else "selected",
        }
        return _Reply(201, body)

    def _get_repo_installation(self, ctx: _Ctx, owner: str, repo: str) -> _Reply:
        doc = f"{DOCS}/apps/apps#get-a-repository-installation-for-the-authenticated-app"
        record = self._repos.get(f"{owner}/{repo}".lower())
        if record is not None and ctx.identity is not None:
            for installation in self._installations.values():
                if installation.app_id == ctx.identity.app_id and self._installation_covers(
                    installation, record
                ):
                    return _Reply(200, self._installation_json(installation, ctx.urls))
        raise _not_found(doc)

    def _get_repo(self, ctx: _Ctx, owner: str, repo: str) -> _Reply:
        record = self._visible_repo(ctx, owner, repo, f"{DOCS}/repos/repos#get-a-repository")
        body = self._repo_json(record, ctx.urls, ctx.identity)
        return _Reply(200, body, last_modified=self._repo_updated_at(record))

    def _list_issues(self, ctx: _Ctx, owner: str, repo: str) -> _Reply:
        doc = f"{DOCS}/issues/issues#list-repository-issues"
        record = self._issues_repo(ctx, owner, repo, doc)
        items = list(record.issues.values())
        state = ctx.param("state", "open")
        if state not in ("open", "closed", "all"):
            raise _invalid("Issue", "state", state, doc)
        if state != "all":
            items = [i for i in items if i.state == state]
        creator = ctx.param("creator")
        if creator:
            items = [i for i in items if i.user.lower() == creator.lower()]
        assignee = ctx.param("assignee")
        if assignee == "none":
            items = [i for i in items if not i.assignees]
        elif assignee == "*":
            items = [i for i in items if i.assignees]
        elif assignee:
            items = [i for i in items if assignee.lower() in (a.lower() for a in i.assignees)]
        milestone = ctx.param("milestone")
        if milestone == "none":
            items = [i for i in items if i.milestone is None]
        elif milestone == "*":
            items = [i for i in items if i.milestone is not None]
        elif milestone:
            if not milestone.isdigit():
                raise _invalid("Issue", "milestone", milestone, doc)
            items = [i for i in items if i.milestone == int(milestone)]
        labels = ctx.param("labels")
        if labels:
            wanted = {name.strip().lower() for name in labels.split(",") if name.strip()}
            items = [i for i in items if wanted <= {n.lower() for n in i.labels}]
        since = ctx.param("since")
        if since:
            try:
                when = datetime.fromisoformat(since)
            except ValueError as exc:
                raise _invalid("Issue", "since", since, doc) from exc
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            items = [i for i in items if i.updated_at.replace(microsecond=0) >= when]
        sort = ctx.param("sort", "created")
        keys: dict[str, Callable[[Issue], Any]] = {
            "created": lambda i: (i.created_at, i.number),
            "updated": lambda i: (i.updated_at, i.number),
            "comments": lambda i: (i.comments, i.number),
        }
        if sort not in keys:
            raise _invalid("Issue", "sort", sort, doc)
        direction = ctx.param("direction", "desc")
        if direction not in ("asc", "desc"):
            raise _invalid("Issue", "direction", direction, doc)
        items.sort(key=keys[sort], reverse=direction == "desc")
        return self._paginate(
            ctx, record, items, lambda i: self._issue_json(record, i, ctx.urls, listing=True)
        )

    def _create_issue(self, ctx: _Ctx, owner: str, repo: str) -> _Reply:
        record = self._issues_repo(ctx, owner, repo, DOC_CREATE_ISSUE)
        if record.archived:
            raise _ApiError(403, "Repository was archived so is read-only.", DOC_CREATE_ISSUE)
        data = ctx.json_object()
        title = data.get("title")
        if title is None:
            raise _ApiError(422, 'Invalid request.\n\n"title" wasn\'t supplied.', DOC_CREATE_ISSUE)
        if not isinstance(title, str | int) or isinstance(title, bool):
            raise _invalid("Issue", "title", title, DOC_CREATE_ISSUE)
        title = str(title)
        body = data.get("body")
        if body is not None and not isinstance(body, str):
            raise _invalid("Issue", "body", body, DOC_CREATE_ISSUE)
        self._validate_text(title, body, DOC_CREATE_ISSUE)
        label_names: list[str] = []
        milestone: int | None = None
        assignees: list[str] = []
        assert ctx.identity is not None
        if self._can_push(ctx.identity, record):
            label_names = self._label_names(data.get("labels"), DOC_CREATE_ISSUE)
            milestone = self._milestone_number(record, data.get("milestone"), DOC_CREATE_ISSUE)
            wanted = list(data.get("assignees") or [])
            if data.get("assignee"):
                wanted.append(data["assignee"])
            assignees = self._assignees(wanted, DOC_CREATE_ISSUE)
            label_names = [self.add_label(record.full_name, n).name for n in label_names]
        issue = self._new_issue(
            record, title, body, ctx.identity.login or "", label_names, milestone, assignees
        )
        if ctx.identity.kind == "installation":
            issue.via_app = ctx.identity.app_id
        body_json = self._issue_json(record, issue, ctx.urls)
        return _Reply(201, body_json, {"Location": body_json["url"]})

    def _get_issue(self, ctx: _Ctx, owner: str, repo: str, number: str) -> _Reply:
        doc = f"{DOCS}/issues/issues#get-an-issue"
        record = self._issues_repo(ctx, owner, repo, doc)
        issue = record.issues.get(int(number))
        if issue is None:
            raise _not_found(doc)
        return _Reply(
            200, self._issue_json(record, issue, ctx.urls), last_modified=issue.updated_at
        )

    def _edit_issue(self, ctx: _Ctx, owner: str, repo: str, number: str) -> _Reply:
        doc = f"{DOCS}/issues/issues#update-an-issue"
        record = self._issues_repo(ctx, owner, repo, doc)
        if record.archived:
            raise _ApiError(403, "Repository was archived so is read-only.", doc)
        issue = record.issues.get(int(number))
        if issue is None:
            raise _not_found(doc)
        data = ctx.json_object()
        assert ctx.identity is not None
        login = ctx.identity.login or ""
        can_push = self._can_push(ctx.identity, record)
        if not can_push and issue.user.lower() != login.lower():
            raise _ApiError(403, "Must have admin rights to Repository.", doc)
        fields: dict[str, Any] = {}
        if "title" in data:
            if not isinstance(data["title"], str) or not data["title"]:
                raise _invalid("Issue", "title", data["title"], doc)
            fields["title"] = data["title"]
        if "body" in data:
            if data["body"] is not None and not isinstance(data["body"], str):
                raise _invalid("Issue", "body", data["body"], doc)
            fields["body"] = data["body"]
        self._validate_text(fields.get("title", issue.title), fields.get("body"), doc)
        if "state" in data:
            if data["state"] not in ("open", "closed"):
                raise _invalid("Issue", "state", data["state"], doc)
            fields["state"] = data["state"]
        if can_push:
            if "labels" in data:
                fields["labels"] = [
                    self.add_label(record.full_name, n).name
                    for n in self._label_names(data["labels"], doc)
                ]
            if "milestone" in data:
                fields["milestone"] = self._milestone_number(record, data["milestone"], doc)
            if "assignees" in data or "assignee" in data:
                wanted = list(data.get("assignees") or [])
                if data.get("assignee"):
                    wanted.append(data["assignee"])
                fields["assignees"] = self._assignees(wanted, doc)
        self._apply_edit(
            record.full_name, issue, login, fields, data.get("state_reason") or "completed"
        )
        return _Reply(200, self._issue_json(record, issue, ctx.urls))

    def _list_labels(self, ctx: _Ctx, owner: str, repo: str) -> _Reply:
        record = self._visible_repo(
            ctx, owner, repo, f"{DOCS}/issues/labels#list-labels-for-a-repository"
        )
        labels = sorted(record.labels.values(), key=lambda label: label.name.lower())
        return self._paginate(
            ctx, record, labels, lambda label: self._label_json(record, label, ctx.urls)
        )

    def _get_label(self, ctx: _Ctx, owner: str, repo: str, name: str) -> _Reply:
        doc = f"{DOCS}/issues/labels#get-a-label"
        record = self._visible_repo(ctx, owner, repo, doc)
        label = record.labels.get(name.lower())
        if label is None:
            raise _not_found(doc)
        return _Reply(200, self._label_json(record, label, ctx.urls))

    def _list_milestones(self, ctx: _Ctx, owner: str, repo: str) -> _Reply:
        doc = f"{DOCS}/issues/milestones#list-milestones"
        record = self._visible_repo(ctx, owner, repo, doc)
        state = ctx.param("state", "open")
        if state not in ("open", "closed", "all"):
            raise _invalid("Milestone", "state", state, doc)
        items = [m for m in record.milestones.values() if state in ("all", m.state)]
        far = datetime.max.replace(tzinfo=UTC)
        sort = ctx.param("sort", "due_on")
        if sort == "completeness":
            items.sort(key=lambda m: (self._completeness(record, m), m.number))
        else:
            items.sort(key=lambda m: (m.due_on or far, m.number))
        if ctx.param("direction", "asc") == "desc":
            items.reverse()
        return self._paginate(
            ctx, record, items, lambda m: self._milestone_json(record, m, ctx.urls)
        )

    def _get_milestone(self, ctx: _Ctx, owner: str, repo: str, number: str) -> _Reply:
        doc = f"{DOCS}/issues/milestones#get-a-milestone"
        record = self._visible_repo(ctx, owner, repo, doc)
        milestone = record.milestones.get(int(number))
        if milestone is None:
            raise _not_found(doc)
        return _Reply(200, self._milestone_json(record, milestone, ctx.urls))

    def _get_tree(self, ctx: _Ctx, owner: str, repo: str, sha: str) -> _Reply:
        doc = f"{DOCS}/git/trees#get-a-tree"
        record = self._visible_repo(ctx, owner, repo, doc)
        if not record.files:
            raise _ApiError(409, "Git Repository is empty.", doc)
        root = _build_git_tree(record.files)
        index: dict[str, _GitTree] = {}
        _index_trees(root, index)
        ref = sha.removeprefix("refs/heads/").removeprefix("heads/")
        tree = root if ref in (record.default_branch, "HEAD") else index.get(sha.lower())
        if tree is None:
            raise _not_found(doc)
        api = f"{ctx.urls.api}/repos/{quote(record.owner)}/{quote(record.name)}/git"
        # GitHub recurses whenever the parameter is present, whatever its value.
        walk = _walk_tree(tree) if "recursive" in ctx.query else ((e.name, e) for e in tree.entries)
        entries = []
        for path, entry in walk:
            item: dict[str, Any] = {
                "path": path,
                "mode": entry.mode,
                "type": entry.type,
                "sha": entry.sha,
            }
            if entry.size is not None:
                item["size"] = entry.size
            item["url"] = f"{api}/{'trees' if entry.type == 'tree' else 'blobs'}/{entry.sha}"
            entries.append(item)
        body = {
            "sha": tree.sha,
            "url": f"{api}/trees/{tree.sha}",
            "tree": entries,
            "truncated": False,
        }
        return _Reply(200, body)

    # ---- handler helpers -------------------------------------------------------------------

    def _paginate(
        self,
        ctx: _Ctx,
        repo: Repository,
        items: list[Any],
        render: Callable[[Any], dict[str, Any]],
    ) -> _Reply:
        per_page = _int_param(ctx.param("per_page"), 30)
        per_page = 30 if per_page < 1 else min(per_page, 100)
        page = max(_int_param(ctx.param("page"), 1), 1)
        last = max(1, math.ceil(len(items) / per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        reply = _Reply(200, [render(item) for item in chunk])
        suffix = ctx.route.split("/", 4)[4] if ctx.route.count("/") >= 4 else ""
        base = f"{ctx.urls.api}/repositories/{repo.id}/{suffix}"
        kept = [(k, v) for k, v in ctx.raw_query if k != "page"]

        def link(number: int, rel: str) -> str:
            return f'<{base}?{urlencode([*kept, ("page", str(number))])}>; rel="{rel}"'

        links = []
        if page > 1:
            links.append(link(min(page - 1, last), "prev"))
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links.append(link(1, "first"))
        if links:
            reply.headers["Link"] = ", ".join(links)
        return reply

    def _validate_text(self, title: str, body: str | None, doc: str) -> None:
        errors = []
        if len(title) > MAX_TITLE:
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "title",
                    "message": f"title is too long (maximum is {MAX_TITLE} characters)",
                }
            )
        if body is not None and len(body) > MAX_BODY:
            errors.append(
                {
                    "resource": "Issue",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {MAX_BODY} characters)",
                }
            )
        if not title.strip():
            errors.append({"resource": "Issue", "code": "missing_field", "field": "title"})
        if errors:
            raise _ApiError(422, "Validation Failed", doc, errors)

    def _label_names(self, raw: Any, doc: str) -> list[str]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise _invalid("Issue", "labels", raw, doc)
        names: list[str] = []
        for item in raw:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or not name.strip():
                raise _invalid("Label", "name", name, doc)
            if name.lower() not in (n.lower() for n in names):
                names.append(name)
        return names

    def _milestone_number(self, repo: Repository, raw: Any, doc: str) -> int | None:
        if raw is None:
            return None
        number = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if isinstance(raw, str) and raw.isdigit():
            number = int(raw)
        if number is None or number not in repo.milestones:
            raise _invalid("Issue", "milestone", raw, doc)
        return number

    def _assignees(self, wanted: list[Any], doc: str) -> list[str]:
        logins: list[str] = []
        for login in wanted:
            account = self._accounts.get(str(login).lower()) if isinstance(login, str) else None
            if account is None or account.type == "Organization":
                raise _invalid("Issue", "assignees", wanted, doc)
            if account.login not in logins:
                logins.append(account.login)
        return logins[:10]

    def _new_issue(
        self,
        repo: Repository,
        title: str,
        body: str | None,
        user: str,
        labels: list[str],
        milestone: int | None,
        assignees: list[str],
    ) -> Issue:
        now = self.clock()
        issue = Issue(
            id=next(self._ids),
            number=repo.next_number,
            title=title,
            body=body,
            user=user,
            created_at=now,
            updated_at=now,
            labels=labels,
            milestone=milestone,
            assignees=assignees,
        )
        repo.issues[issue.number] = issue
        repo.next_number += 1
        return issue

    def _apply_edit(
        self,
        repo: str,
        issue: Issue,
        actor: str,
        fields: Mapping[str, Any],
        close_reason: str = "completed",
    ) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in ("title", "body"):
            if name in fields and fields[name] != getattr(issue, name):
                changes[name] = {"from": getattr(issue, name)}
                setattr(issue, name, fields[name])
        for name in ("labels", "milestone", "assignees"):
            if name in fields and fields[name] != getattr(issue, name):
                setattr(issue, name, fields[name])
                changes.setdefault("_other", True)
        state = fields.get("state")
        if state is not None and state != issue.state:
            self._set_state(issue, state, actor, close_reason)
            changes.setdefault("_other", True)
        if changes:
            issue.updated_at = self.clock()
        changes.pop("_other", None)
        if "title" in changes or "body" in changes:
            self._last_changes[(repo.lower(), issue.number)] = (changes, actor)
        return json.loads(json.dumps(changes))

    def _set_state(self, issue: Issue, state: str, actor: str, reason: str | None) -> None:
        issue.state = state
        if state == "closed":
            issue.closed_at = self.clock()
            issue.closed_by = actor
            issue.state_reason = reason or "completed"
        else:
            issue.closed_at = None
            issue.state_reason = "reopened"

    def _completeness(self, repo: Repository, milestone: Milestone) -> float:
        counts = self._milestone_counts(repo, milestone)
        total = counts[0] + counts[1]
        return counts[1] / total if total else 0.0

    def _milestone_counts(self, repo: Repository, milestone: Milestone) -> tuple[int, int]:
        inside = [i for i in repo.issues.values() if i.milestone == milestone.number]
        closed = sum(1 for i in inside if i.state == "closed")
        return len(inside) - closed, closed

    def _repo_updated_at(self, repo: Repository) -> datetime:
        return max([repo.created_at, *(i.updated_at for i in repo.issues.values())])

    # ---- JSON shapes -------------------------------------------------------------------------

    def _user_json(self, account: Account, urls: _Urls) -> dict[str, Any]:
        api = f"{urls.api}/users/{quote(account.login)}"
        html = (
            f"{urls.web}/apps/{account.app_slug}"
            if account.app_slug
            else f"{urls.web}/{account.login}"
        )
        return {
            "login": account.login,
            "id": account.id,
            "node_id": node_id(account.type, account.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": api,
            "html_url": html,
            "followers_url": f"{api}/followers",
            "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}",
            "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions",
            "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos",
            "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events",
            "type": account.type,
            "user_view_type": "public",
            "site_admin": account.site_admin,
        }

    def _label_json(self, repo: Repository, label: Label, urls: _Urls) -> dict[str, Any]:
        api = f"{urls.api}/repos/{quote(repo.owner)}/{quote(repo.name)}"
        return {
            "id": label.id,
            "node_id": node_id("Label", label.id),
            "url": f"{api}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def _milestone_json(
        self, repo: Repository, milestone: Milestone, urls: _Urls
    ) -> dict[str, Any]:
        api = f"{urls.api}/repos/{quote(repo.owner)}/{quote(repo.name)}/milestones"
        open_count, closed_count = self._milestone_counts(repo, milestone)
        return {
            "url": f"{api}/{milestone.number}",
            "html_url": f"{urls.web}/{repo.full_name}/milestone/{milestone.number}",
            "labels_url": f"{api}/{milestone.number}/labels",
            "id": milestone.id,
            "node_id": node_id("Milestone", milestone.id),
            "number": milestone.number,
            "title": milestone.title,
            "description": milestone.description,
            "creator": self._user_json(self._account(milestone.creator), urls),
            "open_issues": open_count,
            "closed_issues": closed_count,
            "state": milestone.state,
            "created_at": _iso(milestone.created_at),
            "updated_at": _iso(milestone.updated_at),
            "due_on": _iso(milestone.due_on),
            "closed_at": _iso(milestone.closed_at),
        }

    def _issue_json(
        self, repo: Repository, issue: Issue, urls: _Urls, *, listing: bool = False
    ) -> dict[str, Any]:
        repo_api = f"{urls.api}/repos/{quote(repo.owner)}/{quote(repo.name)}"
        api = f"{repo_api}/issues/{issue.number}"
        kind = "pull" if issue.is_pull_request else "issues"
        html = f"{urls.web}/{repo.full_name}/{kind}/{issue.number}"
        author = self._account(issue.user)
        assignees = [self._user_json(self._account(a), urls) for a in issue.assignees]
        milestone = repo.milestones.get(issue.milestone) if issue.milestone else None
        labels = [
            self._label_json(repo, repo.labels[name.lower()], urls)
            for name in issue.labels
            if name.lower() in repo.labels
        ]
        body: dict[str, Any] = {
            "url": api,
            "repository_url": repo_api,
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": html,
            "id": issue.id,
            "node_id": node_id("PullRequest" if issue.is_pull_request else "Issue", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self._user_json(author, urls),
            "labels": labels,
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": self._milestone_json(repo, milestone, urls) if milestone else None,
            "comments": issue.comments,
            "created_at": _iso(issue.created_at),
            "updated_at": _iso(issue.updated_at),
            "closed_at": _iso(issue.closed_at),
            "author_association": "OWNER" if author.login == repo.owner else "NONE",
            "type": None,
            "active_lock_reason": None,
            "body": issue.body,
            "reactions": {
                "url": f"{api}/reactions",
                "total_count": 0,
                **{k: 0 for k in ("+1", "-1", "laugh", "hooray", "confused", "heart")},
                "rocket": 0,
                "eyes": 0,
            },
            "timeline_url": f"{api}/timeline",
            "performed_via_github_app": (
                self._app_json(self._apps[issue.via_app], urls)
                if issue.via_app in self._apps
                else None
            ),
            "state_reason": issue.state_reason,
        }
        if issue.is_pull_request:
            pulls = f"{repo_api}/pulls/{issue.number}"
            body["draft"] = issue.draft
            body["pull_request"] = {
                "url": pulls,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": _iso(issue.merged_at),
            }
        if not listing:
            closer = self._accounts.get((issue.closed_by or "").lower())
            body["closed_by"] = self._user_json(closer, urls) if closer else None
        return body

    def _repo_json(
        self, repo: Repository, urls: _Urls, identity: _Identity | None
    ) -> dict[str, Any]:
        api = f"{urls.api}/repos/{quote(repo.owner)}/{quote(repo.name)}"
        html = f"{urls.web}/{repo.full_name}"
        host = urlsplit(urls.web).netloc
        open_count = sum(1 for i in repo.issues.values() if i.state == "open")
        templated = {
            "keys_url": "/keys{/key_id}",
            "collaborators_url": "/collaborators{/collaborator}",
            "issue_events_url": "/issues/events{/number}",
            "assignees_url": "/assignees{/user}",
            "branches_url": "/branches{/branch}",
            "blobs_url": "/git/blobs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "trees_url": "/git/trees{/sha}",
            "statuses_url": "/statuses/{sha}",
            "commits_url": "/commits{/sha}",
            "git_commits_url": "/git/commits{/sha}",
            "comments_url": "/comments{/number}",
            "issue_comment_url": "/issues/comments{/number}",
            "contents_url": "/contents/{+path}",
            "compare_url": "/compare/{base}...{head}",
            "archive_url": "/{archive_format}{/ref}",
            "issues_url": "/issues{/number}",
            "pulls_url": "/pulls{/number}",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "labels_url": "/labels{/name}",
            "releases_url": "/releases{/id}",
        }
        plain = [
            *("forks", "teams", "hooks", "events", "tags", "languages", "stargazers"),
            *("contributors", "subscribers", "subscription", "merges", "downloads", "deployments"),
        ]
        body: dict[str, Any] = {
            "id": repo.id,
            "node_id": node_id("Repository", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user_json(self._account(repo.owner), urls),
            "html_url": html,
            "description": repo.description,
            "fork": False,
            "url": api,
            **{f"{name}_url": f"{api}/{name}" for name in plain},
            **{key: f"{api}{tail}" for key, tail in templated.items()},
            "created_at": _iso(repo.created_at),
            "updated_at": _iso(self._repo_updated_at(repo)),
            "pushed_at": _iso(repo.created_at),
            "git_url": f"git://{host}/{repo.full_name}.git",
            "ssh_url": f"git@{urlsplit(urls.web).hostname}:{repo.full_name}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "homepage": None,
            "size": sum(len(c) for c in repo.files.values()) // 1024,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": repo.has_issues,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "mirror_url": None,
            "archived": repo.archived,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "web_commit_signoff_required": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": repo.default_branch,
            "custom_properties": {},
        }
        if identity is not None:
            push = self._can_push(identity, repo)
            owner = identity.kind == "user" and (identity.login or "").lower() == repo.owner.lower()
            body["permissions"] = {
                "admin": owner and push,
                "maintain": owner and push,
                "push": push,
                "triage": push,
                "pull": True,
            }
        return body

    def _app_json(self, app: App, urls: _Urls) -> dict[str, Any]:
        owner = self._accounts.get(app.owner.lower())
        return {
            "id": app.id,
            "slug": app.slug,
            "client_id": f"Iv1.{app.id:016x}",
            "node_id": node_id("App", app.id),
            "owner": self._user_json(owner, urls) if owner else None,
            "name": app.name,
            "description": "",
            "external_url": urls.web,
            "html_url": f"{urls.web}/apps/{app.slug}",
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z",
            "permissions": dict(app.permissions),
            "events": list(app.events),
        }

    def _installation_json(self, installation: Installation, urls: _Urls) -> dict[str, Any]:
        app = self._apps[installation.app_id]
        account = self._account(installation.account)
        return {
            "id": installation.id,
            "account": self._user_json(account, urls),
            "repository_selection": "all" if installation.repositories is None else "selected",
            "access_tokens_url": f"{urls.api}/app/installations/{installation.id}/access_tokens",
            "repositories_url": f"{urls.api}/installation/repositories",
            "html_url": f"{urls.web}/settings/installations/{installation.id}",
            "app_id": app.id,
            "app_slug": app.slug,
            "target_id": account.id,
            "target_type": account.type,
            "permissions": dict(app.permissions),
            "events": list(app.events),
            "created_at": "2020-01-01T00:00:00Z",
            "updated_at": "2020-01-01T00:00:00Z",
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }


# --------------------------------------------------------------------------------------------
# HTTP plumbing


def _int_param(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw is not None else default
    except ValueError:
        return default


def _error_reply(error: _ApiError) -> _Reply:
    return _Reply(error.status, error.body, dict(error.headers))


def _fault_reply(fault: Fault) -> _Reply:
    status = fault.status or 500
    # A body given without "message" is sent without one (as a proxy's 502 carries none).
    body: dict[str, Any] = dict(fault.body) if fault.body is not None else {"message": "Error"}
    body.setdefault("documentation_url", DOCS)
    body.setdefault("status", str(status))
    return _Reply(status, body)


def _encode(body: Any, request_id: str, user_id: str) -> bytes:
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"].replace("{request_id}", request_id)
        body = {**body, "message": message.replace("{user_id}", user_id)}
    return json.dumps(body).encode()


def _copy_issue(issue: Issue) -> Issue:
    return Issue(
        **{**issue.__dict__, "labels": list(issue.labels), "assignees": list(issue.assignees)}
    )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: GitHubEmulator

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.stopping = threading.Event()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY each reply would stall
    # on delayed ACKs (~40 ms).
    disable_nagle_algorithm = True
    server_version = "GitHub.com"
    sys_version = ""
    server: _Server

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator records requests itself."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        outcome = self.server.emulator._respond(
            self.command, self.path, list(self.headers.items()), body
        )
        if outcome.delay and self.server.stopping.wait(outcome.delay):
            self.close_connection = True
            return
        if outcome.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        try:
            self.send_response(outcome.status)
            for name, value in outcome.headers:
                self.send_header(name, value)
            if outcome.body is not None:
                self.send_header("Content-Length", str(len(outcome.body)))
            self.end_headers()
            if outcome.body:
                self.wfile.write(outcome.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. a read timeout against Fault.slow): nothing to answer.
            self.close_connection = True


# Pull requests, their files, checks, statuses and issue timelines live in their own module;
# importing it adds their routes to _ROUTES.
# The contents API and push events likewise.
import tests.emulators.github_contents  # noqa: E402
import tests.emulators.github_pulls_rest  # noqa: E402, F401
