"""What the sweep costs on GitHub: conditional requests, the rate-limit floor, and GitHub
Enterprise Server without rate-limit headers. The emulator counts what counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.tracked import IssueCursor
from flows.draft import Draft
from flows.render import render_issue
from flows.template import Template
from flows.tracking import TrackedIssue, body_hash
from tests.conftest import FakeClock
from tests.e2e.harness import message_text
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import ALICE, SlackEmulator
from tests.reminders.harness import BOT_LOGIN, GITHUB_TOKEN, REPO, World, utc

UNIT = "Added/updated unit tests for new behavior."
BASE = utc("2026-11-30T09:00")


def seed(world: World, count: int, *, verified: datetime | None) -> list[int]:
    """`count` filed issues on the emulator and tracked in the store, one second apart, as a
    previous sweep would have left them; their numbers."""
    body = render_issue(world.template, Draft(id="ms-seed000000", title="Seeded")).body
    numbers, issues = [], []
    for i in range(count):
        world.clock.now = BASE + timedelta(seconds=i)
        text = body.replace("ms-seed000000", f"ms-seed{i:06d}")
        issue = world.gh.add_issue(REPO, f"[Reliability] Seeded {i}", text, user=BOT_LOGIN)
        numbers.append(issue.number)
        issues.append(
            TrackedIssue(
                draft_id=f"ms-seed{i:06d}",
                repository=REPO,
                number=issue.number,
                author=ALICE,
                filed_at=BASE,
                last_change_at=BASE,
                title=f"Seeded {i}",
                body_hash=body_hash(text),
                remote_updated_at=issue.updated_at,
                verified_at=verified,
            )
        )
    with world.store.session() as s:
        for tracked in issues:
            s.tracked.save(tracked)
        newest = BASE + timedelta(seconds=count - 1)
        s.tracked.save_cursor(IssueCursor(REPO, newest, None, newest))
    return numbers


def test_a_thousand_tracked_issues_with_ten_changed_cost_at_most_ten_requests(
    world: World,
) -> None:
    """Listing by `since` finds the ten changes in one request; an unchanged listing is a 304."""
    numbers = seed(world, 1000, verified=BASE + timedelta(minutes=30))
    world.clock.now = BASE + timedelta(hours=2)
    changed = numbers[::100]
    for number in changed:
        world.gh.tick_checkbox(REPO, number, UNIT)
    world.gh.reset_counters()

    report = world.sweep(BASE + timedelta(hours=2, minutes=5))
    assert report.complete
    assert world.gh.counted_requests <= 10
    with world.store.session() as s:
        ticked = [
            i.number for i in s.tracked.issues() if i.gates.get(UNIT) and i.gates[UNIT].settled
        ]
    assert sorted(ticked) == sorted(changed)

    world.gh.reset_counters()
    again = world.sweep(BASE + timedelta(hours=2, minutes=10))
    # The issue and pull request listings are 304s; what is counted is timelines read for
    # the first time (5 a sweep, bot/reminders/evidence.py), within the bound of 10.
    listings = [r for r in world.gh.requests if not r.route.endswith("/timeline")]
    assert again.complete and [r.status for r in listings] == [304, 304]
    assert world.gh.counted_requests <= 5


def test_the_daily_check_of_unchanged_issues_costs_nothing(world: World) -> None:
    """Single-issue GETs carry the issue's ETag: unchanged issues answer 304, uncounted."""
    seed(world, 20, verified=None)
    # The first checks learn each issue's own ETag (an issue seen in a listing is learnt at
    # its next daily check).
    world.sweep(BASE + timedelta(hours=1))
    for hour in (2, 3, 4):  # each issue's timeline is learnt too, 5 a sweep
        world.sweep(BASE + timedelta(hours=hour))
    world.sweep(BASE + timedelta(days=1, hours=5))
    world.gh.reset_counters()
    report = world.sweep(BASE + timedelta(days=2, hours=6))
    singles = [
        r
        for r in world.gh.requests_to("GET", f"/repos/{REPO}/issues/*")
        if not r.route.endswith("/timeline")
    ]
    assert report.complete and len(singles) == 20
    assert {r.status for r in singles} == {304} and world.gh.counted_requests == 0


def test_a_deleted_issue_found_by_the_daily_check_stops_its_reminders(world: World) -> None:
    """An issue gone from GitHub (no webhook came) is dropped by the single-issue check."""
    [number] = seed(world, 1, verified=None)
    world.gh.repo(REPO).issues.pop(number)
    world.sweep(BASE + timedelta(hours=1))
    with world.store.session() as s:
        assert s.tracked.issues() == []
        assert s.tracked.get("ms-seed000000").state.value == "deleted"  # type: ignore[union-attr]


def test_the_sweep_stops_when_the_rate_limit_runs_low_and_resumes_next_time(world: World) -> None:
    """Under the floor it stops after the page in hand, holds digests, and resumes from there."""
    seed(world, 250, verified=None)
    with world.store.session() as s:
        s.tracked.save_cursor(IssueCursor(REPO, BASE - timedelta(minutes=1), None, None))
    world.gh.rate_limit = 101  # the default floor is 100: the second page leaves 99
    first = world.sweep(BASE + timedelta(days=3, hours=9, minutes=5))  # Thursday, Alice's 10:05
    assert not first.complete and "rate limit low (99 left)" in first.stopped
    assert first.digests == [] and world.digests() == []
    with world.store.session() as s:
        verified = [i for i in s.tracked.issues() if i.verified_at is not None]
    assert len(verified) == 200

    world.gh.reset_counters()  # the hour turned: the budget is back
    second = world.sweep(BASE + timedelta(days=3, hours=9, minutes=10))
    assert second.complete
    with world.store.session() as s:
        assert all(i.verified_at is not None for i in s.tracked.issues())
    assert len(world.digests()) == 1


@pytest.fixture
def ghes(world_clock: FakeClock) -> Iterator[GitHubEmulator]:
    with GitHubEmulator(
        prefix="/api/v3", rate_limiting=False, enterprise_version="3.14.0", clock=world_clock
    ) as emulator:
        emulator.add_token(GITHUB_TOKEN, BOT_LOGIN)
        emulator.add_repo(REPO, labels=["reliability", "execution"])
        yield emulator


def test_github_enterprise_without_rate_limit_headers_is_swept_normally(
    slack: SlackEmulator,
    ghes: GitHubEmulator,
    db_path: Path,
    template: Template,
    world_clock: FakeClock,
) -> None:
    """No x-ratelimit-* headers and no /rate_limit: the sweep neither stops nor fails."""
    world = World(slack, ghes, db_path, template, world_clock)
    filed = world.file()
    report = world.sweep("2026-12-02T18:05")
    assert report.complete and report.stopped == ""
    assert all(r.header("Authorization") for r in ghes.requests)
    assert ghes.requests_to("GET", "/rate_limit") == []
    [digest] = world.digests()
    assert f"#{filed.number} Bound cancel retries" in message_text(digest)
