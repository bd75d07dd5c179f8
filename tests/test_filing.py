"""Filing a draft on GitHub exactly once, against the GitHub REST emulator.

Every fault the issue names is injected on the create request; afterwards the emulator holds
exactly one issue for the draft (none where GitHub refused) and the result says what happened.
Also: the file touch plan check, the GitHub login question, and the filing lease in SQLite.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.filing.once import FilingService
from bot.filing.outcome import (
    FailureKind,
    FilingOutcome,
    FilingResult,
    clock_time,
    result_lines,
)
from bot.github.client import GitHubAccess, GitHubConfig
from bot.github.failures import rate_limit_wait
from bot.github.touch_check import FileTouchChecker, plan_path, touch_note, unknown_paths
from bot.storage.drafts import Location
from bot.storage.store import Store
from flows import engine
from flows.draft import Draft, DraftStatus
from flows.errors import DraftReadOnly, InvalidAnswer
from flows.questions import build_flow, parse_github_login
from flows.render import marker, render_issue
from flows.template import Template
from tests.conftest import FakeClock
from tests.e2e.harness import wait_until
from tests.emulators.github_api import Fault, GitHubEmulator

BOT_TOKEN = "ghp-milestone-bot-0001"
REPO = "acme/execution"
DRAFT_ID = "ms-f1l3d0"
POST = ("POST", "/repos/acme/execution/issues")
FILES = {
    "README.md": "hello\n",
    "execution/reconciler.py": "x = 1\n",
    "execution/venues/timeouts.py": "",
    "tests/execution/test_reconciler.py": "",
}


def seed(gh: GitHubEmulator, repo: str = REPO, **repo_options: Any) -> None:
    """The bot's token, a person to assign, and the repository with milestones and files."""
    gh.add_token(BOT_TOKEN, "milestone-bot")
    gh.add_user("alice")
    gh.add_repo(
        repo,
        labels=["reliability"],
        milestones=["M1 - Foundations", "M20 - Later", "M2 - Reconcile"],
        files=FILES,
        **repo_options,
    )


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        seed(emulator)
        yield emulator


def access_for(
    gh: GitHubEmulator, *, timeout: int = 2, repository: str = REPO, token: str = BOT_TOKEN
) -> GitHubAccess:
    return GitHubAccess(
        GitHubConfig(api_url=gh.url, repository=repository, timeout=timeout, token=token)
    )


def preview_draft(template: Template, draft_id: str = DRAFT_ID, **changes: Any) -> Draft:
    """A complete draft at its preview, as the engine leaves it."""
    fields: dict[str, Any] = {
        "id": draft_id,
        "author": "U0ALICE001",
        "status": DraftStatus.PREVIEW,
        "title": "Bound cancel retries after venue timeouts",
        "target_milestone": "M2",
        "risk_objective": "A cancel that times out is never resubmitted blind.",
        "problem_statement": "The reconciler re-sends cancels without bound.",
        "invariants": tuple(template.invariant_labels[:2]),
        "in_scope": ("Cancel path in the order reconciler",),
        "file_touch_plan": ("execution/reconciler.py", "execution/retry_budget.py"),
        "implementation_plan": ("Add a retry budget", "Reconcile before retrying"),
        "assignee": "alice",
    }
    fields.update(changes)
    return Draft(**fields)


def store_draft(store: Store, draft: Draft, location: Location | None = None) -> Draft:
    with store.session() as s:
        return s.drafts.create(
            draft, location=location, actor=draft.author, source="test", correlation_id="t"
        )


class Sleeper:
    """An injected sleep: records each wait and moves the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock, then: Any = None) -> None:
        self.clock = clock
        self.waits: list[float] = []
        self.then = then

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)
        if self.then is not None:
            self.then()


def service_for(
    store: Store,
    template: Template,
    access: GitHubAccess,
    clock: FakeClock,
    sleep: Any = None,
    **options: Any,
) -> FilingService:
    return FilingService(
        store, template, access, clock=clock, sleep=sleep or Sleeper(clock), **options
    )


def file(service: FilingService, draft_id: str = DRAFT_ID, **options: Any) -> FilingResult:
    return service.file(draft_id, actor="U0ALICE001", source="test", correlation_id="c1", **options)


def issues_for(gh: GitHubEmulator, draft_id: str = DRAFT_ID, repo: str = REPO) -> list[Any]:
    return [i for i in gh.issues(repo) if marker(draft_id) in (i.body or "")]


def stored(store: Store, draft_id: str = DRAFT_ID) -> Draft:
    with store.session() as s:
        return s.drafts.get(draft_id)


def attempts(store: Store, draft_id: str = DRAFT_ID) -> list[Any]:
    with store.session() as s:
        return s.filings.attempts(draft_id)


@pytest.fixture
def ready(store: Store, template: Template) -> Draft:
    """A draft at its preview in the fake-clock store."""
    return store_draft(store, preview_draft(template))


@pytest.fixture
def ready_real(db_path: Path, template: Template) -> Draft:
    """A draft at its preview in a store on the real clock (for tests across threads)."""
    return store_draft(Store(db_path), preview_draft(template))


# ---- the happy path --------------------------------------------------------------------------


def test_a_draft_becomes_one_issue_with_everything_asked(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Title, body, labels, the milestone starting with M2, and the assignee are all set."""
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.outcome is FilingOutcome.CREATED
    [issue] = issues_for(gh)
    expected = render_issue(template, ready.model_copy(update={"notes": ("Assignee: @alice",)}))
    assert issue.title == "[Reliability] Bound cancel retries after venue timeouts"
    assert issue.body == expected.body
    assert issue.labels == ["reliability", "execution"]
    assert gh.repo(REPO).milestones[issue.milestone].title == "M2 - Reconcile"
    assert issue.assignees == ["alice"] and issue.user == "milestone-bot"
    assert result.issue is not None and result.issue.number == issue.number
    assert result.issue.url == f"{gh.web_url}/acme/execution/issues/{issue.number}"
    assert result.notes == ()
    draft = stored(store)
    assert (draft.status, draft.issue_number, draft.issue_url) == (
        DraftStatus.FILED,
        issue.number,
        result.issue.url,
    )
    with store.session() as s:
        assert s.drafts.journal(DRAFT_ID)[-1].kind == "filed"
    created = [a for a in attempts(store) if a.event == "created"]
    assert created[0].request_id == gh.requests_to(*POST)[0].request_id


def test_a_filed_draft_is_read_only_and_not_filed_again(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Filing again reports the issue without a request, and the engine refuses changes."""
    service = service_for(store, template, access_for(gh), clock)
    first = file(service)
    assert first.issue is not None
    posts = len(gh.requests_to(*POST))
    again = file(service)
    assert again.outcome is FilingOutcome.ALREADY_FILED
    assert again.issue is not None and again.issue.number == first.issue.number
    assert len(gh.requests_to(*POST)) == posts
    with pytest.raises(DraftReadOnly) as caught:
        engine.advance(build_flow(template), stored(store), "edit title")
    assert (
        str(caught.value)
        == f"This draft is filed as #{first.issue.number}; changes now go on GitHub."
    )
    assert result_lines(again)[0].startswith(f"Already filed as #{first.issue.number}")


def test_only_a_draft_at_its_preview_is_filed(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock
) -> None:
    """A draft still being answered is refused without a request to GitHub."""
    store_draft(store, preview_draft(template, status=DraftStatus.DRAFTING))
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.outcome is FilingOutcome.FAILED and result.failure is not None
    assert result.failure.kind is FailureKind.NOT_READY
    assert "isn't finished yet" in result.failure.message
    assert gh.requests == []


# ---- ambiguous outcomes: reconcile, adopt, never a second issue ------------------------------

AMBIGUOUS = [
    pytest.param(Fault.slow(2), "no answer within 1 s", id="slow-reply-timeout"),
    pytest.param(Fault.drop_connection(), "the connection to GitHub dropped", id="dropped"),
    pytest.param(Fault.error_after(502), "502 Server Error", id="502-after-create"),
    pytest.param(Fault.error_after(504, "Gateway Timeout"), "504 Gateway Timeout", id="504"),
    pytest.param(Fault.custom(502, {}, after=True), "502", id="502-without-a-message"),
]


@pytest.mark.parametrize(("fault", "detail"), AMBIGUOUS)
def test_an_unclear_create_is_reconciled_and_adopted(
    gh: GitHubEmulator,
    store: Store,
    template: Template,
    clock: FakeClock,
    ready: Draft,
    fault: Fault,
    detail: str,
) -> None:
    """GitHub created the issue but the answer was lost: it is found by marker, not re-created."""
    gh.inject(*POST, fault)
    result = file(service_for(store, template, access_for(gh, timeout=1), clock))
    assert result.outcome is FilingOutcome.ADOPTED
    assert len(issues_for(gh)) == 1
    assert len(gh.requests_to(*POST)) == 1
    assert result.notes == (
        f"GitHub's answer got lost ({detail}), so I checked: the issue was created once, "
        "and this is it.",
    )
    assert stored(store).issue_number == issues_for(gh)[0].number
    events = [a.event for a in attempts(store)]
    assert events == ["claimed", "ambiguous", "adopted"]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_before_create_is_reconciled_then_created_once(
    gh: GitHubEmulator,
    store: Store,
    template: Template,
    clock: FakeClock,
    ready: Draft,
    status: int,
) -> None:
    """A 5xx that created nothing: the reconcile finds nothing, so one more create files it."""
    gh.inject(*POST, Fault.error_before(status))
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.outcome is FilingOutcome.CREATED
    assert len(issues_for(gh)) == 1
    assert [r.status for r in gh.requests_to(*POST)] == [status, 201]
    [ambiguous] = [a for a in attempts(store) if a.event == "ambiguous"]
    assert ambiguous.status == status and ambiguous.request_id


def test_two_unclear_creates_with_nothing_found_stop_and_say_so(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Two creates that fail before GitHub acts: no third try, the draft is kept, retry offered."""
    gh.inject(*POST, Fault.error_before(503), times=2)
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.outcome is FilingOutcome.FAILED and result.failure is not None
    assert result.failure.kind is FailureKind.UNAVAILABLE
    assert result.failure.message == (
        "GitHub didn't confirm the issue twice (503 Service Unavailable); I checked and it "
        "isn't there, so nothing was filed. Press Retry filing in a minute."
    )
    assert issues_for(gh) == [] and len(gh.requests_to(*POST)) == 2
    assert stored(store).status is DraftStatus.PREVIEW
    retried = file(service_for(store, template, access_for(gh), clock))
    assert retried.outcome is FilingOutcome.CREATED and len(issues_for(gh)) == 1


class CheckFailsAfterLostAnswer(FilingService):
    """A service whose check right after a lost create meets three 503s from GitHub."""

    def __init__(self, gh: GitHubEmulator, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gh = gh

    def _reconcile(self, *args: Any, after: Any = None, **kwargs: Any) -> Any:
        if after is not None:
            # Three: the listing and both of urllib3's retries of it.
            self.gh.inject("GET", "/repos/acme/execution/issues", Fault.error_before(503), times=3)
        return super()._reconcile(*args, after=after, **kwargs)


def test_an_unclear_create_whose_check_fails_is_not_retried_and_is_adopted_later(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """The create happened, the check after it failed: no second create, a retry adopts it."""
    gh.inject(*POST, Fault.error_after(502))
    flaky = CheckFailsAfterLostAnswer(gh, store, template, access_for(gh), clock=clock)
    result = file(flaky)
    assert result.failure is not None and result.failure.kind is FailureKind.UNAVAILABLE
    assert result.failure.message.startswith(
        "GitHub didn't confirm the issue (502 Server Error) and I couldn't check whether it "
        "was created (503 Service Unavailable). Press Retry filing in a minute: I look for it "
        "before creating another, so it won't be filed twice."
    )
    assert len(issues_for(gh)) == 1 and len(gh.requests_to(*POST)) == 1
    assert stored(store).status is DraftStatus.PREVIEW
    again = file(service_for(store, template, access_for(gh), clock))
    assert again.outcome is FilingOutcome.ADOPTED
    assert len(issues_for(gh)) == 1 and len(gh.requests_to(*POST)) == 1


# ---- refusals: clear messages, the draft kept, nothing filed -----------------------------------


def test_401_tells_the_operator_to_fix_the_token(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Bad credentials: nothing filed, GITHUB_TOKEN named, GitHub's request id journaled."""
    gh.inject(*POST, Fault.bad_credentials())
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.CREDENTIALS
    request_id = gh.requests_to(*POST)[0].request_id
    assert result.failure.message == (
        "GitHub turned down the bot's credentials (401 Bad credentials), so nothing was filed. "
        f"The operator needs to fix GITHUB_TOKEN (GitHub request ID `{request_id}`). Your "
        "draft is saved: press Retry filing once that's done."
    )
    assert result.failure.operator and issues_for(gh) == []
    failed = attempts(store)[-1]
    assert (failed.event, failed.status, failed.request_id) == ("failed", 401, request_id)
    assert stored(store).status is DraftStatus.PREVIEW


def test_a_revoked_token_fails_before_any_write(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A token GitHub no longer knows fails on the first read, and no POST is sent."""
    gh.revoke_token(BOT_TOKEN)
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.CREDENTIALS
    assert "fix GITHUB_TOKEN" in result.failure.message
    assert gh.requests_to(*POST) == []


def test_404_on_create_says_the_token_sees_the_repository(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A 404 on create for a visible repository names it and says the token can see it."""
    gh.inject(*POST, Fault.not_found())
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_FOUND
    assert result.failure.message.startswith(
        "GitHub answered 404 Not Found when creating the issue in acme/execution, though the "
        "bot's account (@milestone-bot) can see the repository: it can't create issues there"
    )
    assert issues_for(gh) == []


def test_404_for_a_repository_the_token_cannot_see(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A repository that is missing or hidden from the token is named, with what to check."""
    gh.add_repo("acme/private", private=True, readable_by=["alice"])
    result = file(service_for(store, template, access_for(gh, repository="acme/private"), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.NOT_FOUND
    assert result.failure.message.startswith(
        "GitHub has no repository acme/private that the bot's account (@milestone-bot) can "
        "see, so nothing was filed. The operator needs to check GITHUB_REPOSITORY or give the "
        "bot access to acme/private"
    )
    assert gh.issues("acme/private") == []


def test_410_says_issues_are_turned_off(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Issues disabled on the repository: nothing filed, and who can turn them on."""
    gh.inject(*POST, Fault.issues_disabled())
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.ISSUES_DISABLED
    assert result.failure.message.startswith(
        "Issues are turned off in acme/execution (410 Issues are disabled for this repo), so "
        "nothing was filed. A repository admin can turn them on"
    )
    assert issues_for(gh) == []


def test_410_from_a_repository_with_issues_off(
    store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A repository whose issues are off answers 410 on the very first issue request."""
    with GitHubEmulator() as gh:
        seed(gh, has_issues=False)
        result = file(service_for(store, template, access_for(gh), clock))
        assert result.failure is not None and result.failure.kind is FailureKind.ISSUES_DISABLED
        assert gh.requests_to(*POST) == []


def test_422_shows_githubs_message(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A validation failure shows GitHub's own words and how to fix the draft."""
    gh.inject(*POST, Fault.validation_failed())
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.INVALID
    assert result.failure.message == (
        "GitHub refused the issue: Validation Failed (body is too long (maximum is 65536 "
        "characters)). Nothing was filed and your draft is saved: fix it with "
        "`edit <section>`, then file again."
    )
    assert issues_for(gh) == []


def test_403_that_is_not_a_rate_limit_is_a_permission_problem(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A plain 403 is not waited on: it names the repository and the operator's fix."""
    gh.inject(*POST, Fault.custom(403, {"message": "Resource not accessible by integration"}))
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.FORBIDDEN
    assert result.failure.message.startswith(
        "GitHub refused to file in acme/execution (403 Resource not accessible by integration)"
    )
    assert issues_for(gh) == []


def test_an_answer_without_githubs_message_names_the_status(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A 400 whose body has no message says "(400)", never a made-up "Error"."""
    gh.inject(*POST, Fault.custom(400, {}))
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.failure is not None and result.failure.kind is FailureKind.UNAVAILABLE
    assert result.failure.message.startswith(
        "GitHub isn't answering properly right now (400), so nothing was filed."
    )
    assert "Error" not in result.failure.message
    assert issues_for(gh) == []


def test_an_unknown_assignee_is_dropped_and_said(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock
) -> None:
    """GitHub's 422 on the assignee files the issue without one, and the author is told."""
    store_draft(store, preview_draft(template, assignee="no-such-person"))
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.outcome is FilingOutcome.CREATED
    [issue] = issues_for(gh)
    assert issue.assignees == []
    assert result.notes[0].startswith("GitHub wouldn't assign @no-such-person")


# ---- rate limits -------------------------------------------------------------------------------


def test_a_secondary_rate_limit_is_waited_out_then_filed(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """403 with Retry-After: 2 waits two seconds (told first), reconciles, then files once."""
    gh.inject(*POST, Fault.secondary_rate_limit(retry_after=2))
    told: list[tuple[float, datetime]] = []
    sleeper = Sleeper(clock)
    start = clock.now
    service = service_for(store, template, access_for(gh), clock, sleep=sleeper)
    result = file(service, on_wait=lambda seconds, until: told.append((seconds, until)))
    assert result.outcome is FilingOutcome.CREATED and len(issues_for(gh)) == 1
    assert sleeper.waits == [2.0]
    assert told == [(2.0, start + timedelta(seconds=2))]
    waited = [a for a in attempts(store) if a.event == "waited"]
    assert waited[0].status == 403 and waited[0].request_id


def test_a_429_is_waited_out_like_a_403(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """429 Too Many Requests with Retry-After is a rate limit too."""
    gh.inject(*POST, Fault.too_many_requests(retry_after=1))
    sleeper = Sleeper(clock)
    result = file(service_for(store, template, access_for(gh), clock, sleep=sleeper))
    assert result.outcome is FilingOutcome.CREATED and sleeper.waits == [1.0]
    assert len(issues_for(gh)) == 1


def test_a_rate_limit_longer_than_the_bound_says_when_to_retry(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Retry-After past the bound: no wait, nothing filed, and the time to retry is given."""
    gh.inject(*POST, Fault.secondary_rate_limit(retry_after=600))
    sleeper = Sleeper(clock)
    result = file(service_for(store, template, access_for(gh), clock, sleep=sleeper, max_wait=60))
    assert sleeper.waits == []
    assert result.failure is not None and result.failure.kind is FailureKind.RATE_LIMITED
    assert result.failure.retry_at == clock.now + timedelta(seconds=600)
    assert result.failure.message == (
        "GitHub is rate limiting the bot until 09:40:00 UTC, so nothing was filed yet. Your "
        "draft is saved: press Retry filing after 09:40:00 UTC."
    )
    assert issues_for(gh) == []


def test_waits_add_up_to_the_bound(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Repeated limits are waited out only while the total stays within the bound."""
    gh.inject(*POST, Fault.secondary_rate_limit(retry_after=30), times=3)
    sleeper = Sleeper(clock)
    result = file(service_for(store, template, access_for(gh), clock, sleep=sleeper, max_wait=60))
    assert sleeper.waits == [30.0, 30.0]
    assert result.failure is not None and result.failure.kind is FailureKind.RATE_LIMITED


def test_the_primary_limit_waits_for_the_reset(
    gh: GitHubEmulator, store: Store, template: Template, ready: Draft
) -> None:
    """An exhausted hourly limit waits until x-ratelimit-reset, here too long: retry later."""
    clock = FakeClock(datetime.now(UTC))
    gh.inject(*POST, Fault.primary_rate_limit())
    sleeper = Sleeper(clock)
    result = file(service_for(store, template, access_for(gh), clock, sleep=sleeper))
    assert result.failure is not None and result.failure.kind is FailureKind.RATE_LIMITED
    assert result.failure.retry_at is not None
    assert result.failure.retry_at - clock.now > timedelta(minutes=50)


def test_rate_limit_wait_follows_githubs_rules() -> None:
    """Retry-After first, then the reset when nothing remains, else a minute; not a limit: None."""
    from bot.github.failures import GitHubError

    now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    reset = str(int(now.timestamp()) + 90)
    assert rate_limit_wait(GitHubError(403, "x", headers={"retry-after": "7"}), now) == 7.0
    primary = GitHubError(
        403,
        "API rate limit exceeded",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset},
    )
    assert rate_limit_wait(primary, now) == 91.0
    secondary = GitHubError(403, "You have exceeded a secondary rate limit.")
    assert rate_limit_wait(secondary, now) == 60.0
    assert rate_limit_wait(GitHubError(403, "Resource not accessible by integration"), now) is None
    assert rate_limit_wait(GitHubError(500, "Server Error"), now) is None


# ---- the lease: double clicks, two processes, crashes ------------------------------------------


def test_a_second_caller_while_filing_is_told_in_progress(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A live lease held elsewhere: without waiting, the answer is IN_PROGRESS and no request."""
    with store.session() as s:
        s.filings.claim(DRAFT_ID, "other-process", s.now + timedelta(minutes=2))
    result = file(service_for(store, template, access_for(gh), clock), wait=False)
    assert result.outcome is FilingOutcome.IN_PROGRESS
    assert result.busy_until == clock.now + timedelta(minutes=2)
    assert gh.requests == []
    assert result_lines(result, tz=UTC) == [
        "I'm already filing this draft; the link will appear in a moment. If nothing shows up "
        "by 09:32:00 UTC, file again."
    ]


def test_two_processes_filing_at_once_make_one_issue(
    gh: GitHubEmulator, db_path: Path, template: Template, ready_real: Draft
) -> None:
    """While one process is creating, another (its own store) waits and reports that issue."""
    gh.inject(*POST, Fault.slow(1))
    results: dict[str, FilingResult] = {}

    def first() -> None:
        service = FilingService(Store(db_path), template, access_for(gh, timeout=5))
        results["first"] = file(service)

    thread = threading.Thread(target=first)
    thread.start()
    wait_until(lambda: gh.requests_to(*POST), what="the first process's create")
    second = FilingService(Store(db_path), template, access_for(gh, timeout=5))
    results["second"] = file(second, wait=True)
    thread.join(timeout=10)
    made, reported = results["first"].issue, results["second"].issue
    assert results["first"].outcome is FilingOutcome.CREATED
    assert results["second"].outcome is FilingOutcome.ALREADY_FILED
    assert made is not None and reported is not None
    assert (reported.number, reported.url) == (made.number, made.url)
    assert len(issues_for(gh)) == 1 and len(gh.requests_to(*POST)) == 1


def test_a_dead_holders_issue_is_adopted_once_its_lease_runs_out(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """A process died after creating the issue: the next filer waits out its lease, adopts it."""
    body = render_issue(template, ready).body
    created = gh.add_issue(REPO, "[Reliability] Bound", body, user="milestone-bot")
    with store.session() as s:
        s.filings.claim(DRAFT_ID, "dead-process", s.now + timedelta(seconds=1))
    sleeper = Sleeper(clock)
    result = file(service_for(store, template, access_for(gh), clock, sleep=sleeper))
    assert sleeper.waits and sum(sleeper.waits) >= 1
    assert result.outcome is FilingOutcome.ADOPTED
    assert result.issue is not None and result.issue.number == created.number
    assert len(issues_for(gh)) == 1 and gh.requests_to(*POST) == []


def test_a_crash_between_githubs_reply_and_our_write_adopts_the_issue(
    gh: GitHubEmulator,
    db_path: Path,
    tmp_path: Path,
    template: Template,
    clock: FakeClock,
    store: Store,
    ready: Draft,
) -> None:
    """With the database as before filing (our write lost), filing again adopts the issue."""
    before = tmp_path / "before-filing.db"
    source, copy = sqlite3.connect(db_path), sqlite3.connect(before)
    source.backup(copy)
    source.close()
    copy.close()
    first = file(service_for(store, template, access_for(gh), clock))
    assert first.outcome is FilingOutcome.CREATED
    restored = Store(before, clock=clock)
    assert stored(restored).status is DraftStatus.PREVIEW
    again = file(service_for(restored, template, access_for(gh), clock))
    assert again.outcome is FilingOutcome.ADOPTED
    assert again.issue is not None and first.issue is not None
    assert again.issue.number == first.issue.number
    assert len(issues_for(gh)) == 1 and len(gh.requests_to(*POST)) == 1
    assert stored(restored).issue_number == first.issue.number


def test_reconcile_skips_pull_requests_and_other_peoples_issues(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Only the bot's own issues count: a PR or someone else's issue with the marker doesn't."""
    body = render_issue(template, ready).body
    gh.add_pull_request(REPO, "copied body", body, user="milestone-bot")
    gh.add_issue(REPO, "quoted", body, user="alice")
    result = file(service_for(store, template, access_for(gh), clock))
    assert result.outcome is FilingOutcome.CREATED
    assert len([i for i in gh.issues(REPO) if i.user == "milestone-bot"]) == 1


def test_reconcile_reads_a_bounded_number_of_pages_and_no_single_issue(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """The reconcile lists at most `reconcile_pages` pages and never GETs an issue by number."""
    for n in range(7):
        gh.add_issue(REPO, f"older {n}", "no marker", user="milestone-bot")
    service = service_for(store, template, access_for(gh), clock, reconcile_pages=2, per_page=3)
    file(service)
    listings = gh.requests_to("GET", "/repos/acme/execution/issues")
    assert [r.query["page"] for r in listings] == [["1"], ["2"]]
    assert all(r.query["creator"] == ["milestone-bot"] for r in listings)
    assert all(
        r.query["sort"] == ["created"] and r.query["direction"] == ["desc"] for r in listings
    )
    assert gh.requests_to("GET", "/repos/acme/execution/issues/*") == []


# ---- what GitHub kept ----------------------------------------------------------------------------


def test_fields_github_drops_are_named(
    store: Store, template: Template, clock: FakeClock, ready: Draft
) -> None:
    """Without push access GitHub drops labels, milestone and assignee; the author is told."""
    with GitHubEmulator() as gh:
        seed(gh, token_can_push=False)
        result = file(service_for(store, template, access_for(gh), clock))
        assert result.outcome is FilingOutcome.CREATED
        [issue] = issues_for(gh)
        assert (issue.labels, issue.milestone, issue.assignees) == ([], None, [])
        assert result.notes == (
            "GitHub didn't keep the labels `reliability`, `execution`, the milestone "
            "“M2 - Reconcile” and the assignee @alice: the bot's account can't set them on "
            "acme/execution (it needs write access). Add them on the issue.",
        )


def test_a_target_without_a_github_milestone_is_said(
    gh: GitHubEmulator, store: Store, template: Template, clock: FakeClock
) -> None:
    """No open milestone starts with M3 (M20 doesn't match M2 either): filed without one."""
    store_draft(store, preview_draft(template, target_milestone="M3"))
    result = file(service_for(store, template, access_for(gh), clock))
    [issue] = issues_for(gh)
    assert issue.milestone is None
    assert result.notes == (
        "acme/execution has no open GitHub milestone starting with “M3”, so the issue has none.",
    )


def test_ghes_prefix_without_rate_limiting(
    tmp_path: Path, template: Template, clock: FakeClock
) -> None:
    """Under /api/v3 with rate limiting off (no headers, /rate_limit 404), filing just works."""
    with GitHubEmulator(prefix="/api/v3", rate_limiting=False, enterprise_version="3.14.0") as gh:
        seed(gh)
        store = Store(tmp_path / "ghes.db", clock=clock)
        store_draft(store, preview_draft(template))
        result = file(service_for(store, template, access_for(gh), clock))
        assert result.outcome is FilingOutcome.CREATED and result.issue is not None
        assert result.issue.url == f"{gh.web_url}/acme/execution/issues/1"
        assert result.issue.milestone == "M2 - Reconcile"
        assert all(r.path.startswith("/api/v3/") for r in gh.requests)


def test_clock_time_uses_the_authors_zone() -> None:
    """Times in messages read in the author's zone when known, else UTC."""
    from zoneinfo import ZoneInfo

    moment = datetime(2025, 3, 3, 9, 40, tzinfo=UTC)
    assert clock_time(moment, None) == "09:40:00 UTC"
    assert clock_time(moment, ZoneInfo("Europe/Paris")) == "10:40:00 Europe/Paris"


# ---- the file touch plan -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "path"),
    [
        ("execution/reconciler.py", "execution/reconciler.py"),
        ("`execution/reconciler.py` — add a retry budget", "execution/reconciler.py"),
        ("./execution/venues/", "execution/venues"),
        ("README.md", "README.md"),
        ("tests/execution/*.py (new tests)", "tests/execution/*.py"),
        ("the reconciler module", None),
        ("see https://example.com/x.py", None),
    ],
)
def test_plan_items_name_a_path_or_none(item: str, path: str | None) -> None:
    """A plan item's path is its first token with a directory or an extension."""
    assert plan_path(item) == path


def test_unknown_paths_handles_files_directories_and_globs() -> None:
    """Known files, directories and matching globs pass; the rest are unknown."""
    known = {"execution", "execution/reconciler.py", "tests", "tests/test_a.py"}
    got = unknown_paths(
        ["execution/reconciler.py", "execution", "tests/*.py", "docs/*.md", "x.py"], known
    )
    assert got == ("docs/*.md", "x.py")


def test_the_touch_check_lists_the_tree_once_and_flags_new_files(gh: GitHubEmulator) -> None:
    """One tree listing for the whole plan; a missing path reads as "new file?"."""
    checker = FileTouchChecker(access_for(gh))
    plan = ("execution/reconciler.py", "execution/retry_budget.py", "execution/venues/", "prose")
    report = checker.check(plan)
    assert report.checked and report.branch == "main"
    assert report.unknown == ("execution/retry_budget.py",)
    assert touch_note(report) == (
        "File touch plan: `execution/retry_budget.py` isn't on `main` yet. New file? That's "
        "fine; if it's a typo, fix it with `edit files`."
    )
    checker.check(plan)
    assert len(gh.requests_to("GET", "/repos/acme/execution/git/trees/*")) == 1


def test_the_touch_check_never_blocks(gh: GitHubEmulator) -> None:
    """When GitHub errors, the check reports unchecked and says nothing to the author."""
    gh.inject("GET", "/repos/acme/execution/git/trees/*", Fault.error_before(404))
    report = FileTouchChecker(access_for(gh)).check(("nowhere/x.py",))
    assert not report.checked and touch_note(report) is None


# ---- the GitHub login question -------------------------------------------------------------------


def test_the_login_question_is_last_and_only_with_github(template: Template) -> None:
    """With GitHub the flow ends with an optional "GitHub login"; without, it isn't asked."""
    assert "assignee" not in [q.id for q in build_flow(template).questions]
    flow = build_flow(template, ask_assignee=True)
    last = flow.questions[-1]
    assert (last.id, last.title, last.required, last.fields) == (
        "assignee",
        "GitHub login",
        False,
        ("assignee",),
    )
    assert len(last.prompt) <= 160 and last.parse(last.example, Draft(id="ms-x")) == {
        "assignee": "octocat"
    }
    assert flow.find_section("github login").id == "assignee"


@pytest.mark.parametrize(
    ("typed", "login"),
    [
        ("octocat", "octocat"),
        ("@octocat", "octocat"),
        ("  mona-lisa ", "mona-lisa"),
        ("https://github.com/octocat", "octocat"),
        ("ghe_user_1", "ghe_user_1"),
    ],
)
def test_logins_are_read_as_typed(typed: str, login: str) -> None:
    """A login with or without @, or a profile link, reads as the login."""
    assert parse_github_login(typed) == login


@pytest.mark.parametrize("typed", ["-octo", "octo-", "oc--to", "two words", "x" * 40, ""])
def test_impossible_logins_are_refused_with_the_rule(typed: str) -> None:
    """A login GitHub could not have is refused, saying why, before GitHub is asked."""
    with pytest.raises(InvalidAnswer):
        parse_github_login(typed)


def test_skipping_the_login_reaches_the_preview(template: Template) -> None:
    """`skip` on the login question leaves no assignee and goes to the preview."""
    flow = build_flow(template, ask_assignee=True)
    draft = preview_draft(template, status=DraftStatus.DRAFTING, assignee="")
    answered = tuple(q.id for q in flow.questions if q.id != "assignee")
    draft = draft.model_copy(update={"flow": draft.flow.model_copy(update={"answered": answered})})
    outcome = engine.advance(flow, engine.start(flow, draft).draft, "skip")
    assert outcome.draft.status is DraftStatus.PREVIEW and outcome.draft.assignee == ""
