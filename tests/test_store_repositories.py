"""The stores of a unit of work kept apart from drafts: tracked issues and listing cursors
round-trip through their rows, a filing lease has one live owner, a digest is claimed once
per window, and a read-only session reads deliveries without claiming them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import StoreError
from bot.storage.store import Store
from bot.storage.tracked import IssueCursor
from flows.draft import Draft, DraftStatus, GateState, GateStatus
from flows.tracking import IssueState, SeenFrom, TrackedIssue
from tests.conftest import FakeClock

ACTOR = {"actor": "U123", "source": "slack", "correlation_id": "corr-1"}

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
tracked_issues = st.builds(
    TrackedIssue,
    draft_id=st.just("ms-000000"),
    repository=st.just("acme/api"),
    number=st.integers(min_value=1, max_value=10**9),
    author=st.text(max_size=20),
    filed_at=moments,
    last_change_at=moments,
    title=st.text(max_size=40),
    url=st.text(max_size=40),
    etag=st.none() | st.text(max_size=20),
    body_hash=st.none() | st.text(max_size=64),
    gates=st.dictionaries(
        st.text(max_size=30),
        st.builds(GateState, status=st.sampled_from(GateStatus), reason=st.text(max_size=20)),
        max_size=4,
    ),
    state=st.sampled_from(IssueState),
    remote_updated_at=st.none() | moments,
    seen_at=st.none() | moments,
    seen_from=st.sampled_from(SeenFrom),
    verified_at=st.none() | moments,
    last_digest_at=st.none() | moments,
    muted=st.booleans(),
    snoozed_until=st.none() | moments,
    digests_without_change=st.integers(min_value=0, max_value=1000),
    thread_note_sent=st.booleans(),
)


def _issue(draft_id: str, number: int, **fields: Any) -> TrackedIssue:
    moment = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    defaults: dict[str, Any] = {"author": "U1", "filed_at": moment, "last_change_at": moment}
    return TrackedIssue(
        draft_id=draft_id, repository="acme/api", number=number, **(defaults | fields)
    )


def _draft(store: Store, **fields: Any) -> Draft:
    with store.session() as s:
        draft = Draft(id=s.drafts.new_id(), author="U1", **fields)
        return s.drafts.create(draft, location=None, **ACTOR)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(issue=tracked_issues)
def test_any_tracked_issue_round_trips_through_its_row(store: Store, issue: TrackedIssue) -> None:
    """A tracked issue read back equals the one saved, field for field, and saving again
    replaces its row."""
    with store.session() as s:
        s.tracked.save(issue)
    with store.session() as s:
        assert s.tracked.get(issue.draft_id) == issue
        assert s.tracked.at("ACME/API", issue.number) == issue  # the repository in any case
        s.tracked.save(_issue(issue.draft_id, issue.number, title="again"))
    with store.session() as s:
        stored = s.tracked.get(issue.draft_id)
        assert stored is not None and stored.title == "again"


def test_tracked_issues_are_listed_by_state_and_author_oldest_filed_first(store: Store) -> None:
    """Listing keeps to the states and author asked for, in the order the issues were filed."""
    first = datetime(2026, 12, 1, tzinfo=UTC)
    with store.session() as s:
        s.tracked.save(_issue("ms-b", 2, filed_at=first + timedelta(days=1)))
        s.tracked.save(_issue("ms-a", 1, filed_at=first))
        s.tracked.save(_issue("ms-c", 3, author="U2"))
        s.tracked.save(_issue("ms-d", 4, state=IssueState.CLOSED))
    with store.session(readonly=True) as s:
        assert [i.draft_id for i in s.tracked.issues(author="U1")] == ["ms-a", "ms-b"]
        assert [i.draft_id for i in s.tracked.issues(states=("closed",))] == ["ms-d"]
        assert len(s.tracked.issues()) == 3


def test_unverified_issues_come_never_verified_first_then_longest_unverified(
    store: Store,
) -> None:
    """The sweep's budget goes first to open issues GitHub never confirmed, then the oldest."""
    base = datetime(2026, 12, 1, tzinfo=UTC)
    with store.session() as s:
        s.tracked.save(_issue("ms-new", 1, verified_at=base + timedelta(hours=2)))
        s.tracked.save(_issue("ms-old", 2, verified_at=base))
        s.tracked.save(_issue("ms-never", 3))
        s.tracked.save(_issue("ms-shut", 4, state=IssueState.CLOSED))
        s.tracked.save(_issue("ms-fresh", 5, verified_at=base + timedelta(hours=5)))
    with store.session(readonly=True) as s:
        found = s.tracked.unverified_since(base + timedelta(hours=3), limit=10)
        assert [i.draft_id for i in found] == ["ms-never", "ms-old", "ms-new"]
        assert [i.draft_id for i in s.tracked.unverified_since(base, limit=1)] == ["ms-never"]


def test_an_issue_cursor_round_trips_and_is_replaced(store: Store) -> None:
    """A repository has one listing cursor, found in any case and replaced when saved again."""
    since = datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    with store.session() as s:
        assert s.tracked.cursor("acme/api") is None
        s.tracked.save_cursor(IssueCursor("acme/api", None, None, None))
        s.tracked.save_cursor(IssueCursor("acme/api", since, '"etag"', since))
    with store.session(readonly=True) as s:
        assert s.tracked.cursor("Acme/API") == IssueCursor("acme/api", since, '"etag"', since)


def test_filed_drafts_are_untracked_until_their_issue_is_saved(store: Store) -> None:
    """Only FILED drafts with an issue number wait to be tracked, and only until they are."""
    filed = _draft(store, status=DraftStatus.FILED, issue_number=7)
    _draft(store, status=DraftStatus.FILED)  # no issue number: nothing to follow
    _draft(store, status=DraftStatus.PREVIEW, issue_number=8)
    with store.session() as s:
        assert [d.id for d in s.drafts.filed_untracked()] == [filed.id]
        s.tracked.save(_issue(filed.id, 7))
        assert s.drafts.filed_untracked() == []


def test_a_live_filing_lease_has_one_owner(store: Store, clock: FakeClock) -> None:
    """Another owner cannot take, renew or finish a live lease; once it lapses, it can."""
    draft = _draft(store)
    lease = clock.now + timedelta(minutes=1)
    with store.session() as s:
        assert s.filings.get(draft.id) is None
        assert s.filings.claim(draft.id, "A", lease).owner == "A"
        held = s.filings.claim(draft.id, "B", lease)
        assert (held.owner, held.attempts) == ("A", 1)
        assert not s.filings.renew(draft.id, "B", lease)
        assert not s.filings.finish(draft.id, "B", "failed")
    clock.advance(minutes=2)
    with store.session() as s:
        taken = s.filings.claim(draft.id, "B", clock.now + timedelta(minutes=1))
        assert (taken.owner, taken.attempts) == ("B", 2)
        assert not s.filings.renew(draft.id, "A", clock.now + timedelta(minutes=5))
        assert s.filings.finish(draft.id, "B", "filed", issue_number=7, issue_url="u")
        done = s.filings.get(draft.id)
        assert done is not None
        assert (done.state, done.owner, done.lease_until, done.issue_number) == (
            "filed",
            None,
            None,
            7,
        )


def test_filing_attempts_are_journaled_in_order(store: Store) -> None:
    """Every step of a filing is kept, oldest first, with GitHub's request id."""
    draft = _draft(store)
    with store.session() as s:
        s.filings.log(draft.id, "claimed", **ACTOR)
        s.filings.log(draft.id, "created", status=201, request_id="R1", issue_number=7, **ACTOR)
    with store.session(readonly=True) as s:
        steps = s.filings.attempts(draft.id)
    assert [(a.event, a.status, a.request_id, a.issue_number) for a in steps] == [
        ("claimed", None, None, None),
        ("created", 201, "R1", 7),
    ]


def test_a_digest_is_claimed_once_per_window_and_reclaimed_only_after_failing(
    store: Store, clock: FakeClock
) -> None:
    """A window's digest is claimed once; only a failed one is claimed again, while attempts
    are left; a sent one keeps where it went."""
    at = clock.now
    with store.session() as s:
        assert s.digests.claim("U1:2026-12-02", "U1", ["ms-a"], at)
        assert not s.digests.claim("U1:2026-12-02", "U1", ["ms-b"], at)
        assert not s.digests.reclaim("U1:2026-12-02", ["ms-a"], at, max_attempts=3)
        s.digests.finish("U1:2026-12-02", "failed", at=at, error="ratelimited")
        assert s.digests.reclaim("U1:2026-12-02", ["ms-a", "ms-b"], at, max_attempts=2)
        s.digests.finish("U1:2026-12-02", "failed", at=at, error="ratelimited")
        assert not s.digests.reclaim("U1:2026-12-02", ["ms-a"], at, max_attempts=2)
        assert s.digests.claim("U2:2026-12-02", "U2", ["ms-c"], at)
        s.digests.finish("U2:2026-12-02", "sent", at=at, channel="D2", ts="1.0")
    with store.session(readonly=True) as s:
        failed, sent = s.digests.get("U1:2026-12-02"), s.digests.get("U2:2026-12-02")
    assert failed is not None and sent is not None
    assert (failed.status, failed.attempts, failed.issues) == ("failed", 2, ("ms-a", "ms-b"))
    assert (sent.status, sent.sent_at, sent.channel, sent.ts) == ("sent", at, "D2", "1.0")


def test_unanswered_digests_are_those_still_sending_from_before(
    store: Store, clock: FakeClock
) -> None:
    """A digest whose send never got an answer is found; sent ones and newer claims are not."""
    early = clock.now
    with store.session() as s:
        s.digests.claim("U1:w", "U1", [], early)
        s.digests.claim("U2:w", "U2", [], early)
        s.digests.finish("U2:w", "sent", at=early)
        s.digests.claim("U3:w", "U3", [], early + timedelta(minutes=10))
    with store.session(readonly=True) as s:
        found = s.digests.unanswered(early + timedelta(minutes=5))
    assert [d.window_key for d in found] == ["U1:w"]


def test_a_readonly_session_reads_deliveries_but_cannot_claim_them(store: Store) -> None:
    """A dry run can ask whether a delivery was handled; claiming one needs a write session."""
    with store.session() as s:
        assert s.deliveries.claim("github:delivery:1")
    with store.session(readonly=True) as s:
        assert s.deliveries.claimed("github:delivery:1")
        assert not s.deliveries.claimed("github:delivery:2")
    with pytest.raises(StoreError), store.session(readonly=True) as s:
        s.deliveries.claim("github:delivery:2")
    with store.session(readonly=True) as s:
        assert not s.deliveries.claimed("github:delivery:2")
