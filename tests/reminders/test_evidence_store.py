"""bot/storage/evidence.py: linked pull requests and their evidence round-trip through SQLite."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.storage.evidence import EvidenceState, PullCursor, StoredPull
from bot.storage.store import Store
from flows.evidence import ChangedFile, Check, PullRequest, PullState
from flows.tracking import TrackedIssue
from tests.conftest import FakeClock
from tests.reminders.harness import REPO, utc

NOW = utc("2026-11-30T09:00")


def merged(number: int = 7, sha: str = "abc1234") -> PullRequest:
    return PullRequest(
        REPO,
        number,
        title="Work",
        url=f"https://github.com/{REPO}/pull/{number}",
        state=PullState.MERGED,
        merge_sha=sha,
        files=(ChangedFile("tests/t.py", "added", "@@ -0,0 +1 @@\n+x"),),
        checks=(Check("unit", "success"), Check("lint", None, "status")),
        fork=True,
        reverts=f"{REPO}#3",
    )


def test_a_pull_request_round_trips_with_files_and_checks(tmp_path: Path) -> None:
    """Every field, the files with patches and the checks (one pending) read back as written."""
    store = Store(tmp_path / "m.db", clock=FakeClock(NOW))
    stored = StoredPull(merged(), files_sha="abc1234", checks_final=False, checks_read_at=NOW)
    with store.session() as s:
        s.evidence.save_pull(stored)
        assert s.evidence.link("ms-a", REPO, 7, "webhook")
        assert not s.evidence.link("ms-a", REPO.upper(), 7, "listing")  # the same link
    with store.session() as s:
        again = s.evidence.pull(REPO.upper(), 7)
        assert again == StoredPull(
            merged(), files_sha="abc1234", checks_final=False, checks_read_at=NOW, seen_at=NOW
        )
        assert again.files_read
        assert [p.key for p in s.evidence.linked("ms-a")] == [f"{REPO}#7"]
        assert s.evidence.drafts_of(REPO, 7) == ["ms-a"]
        assert [p.key for p in s.evidence.by_merge_sha(REPO, "abc1234")] == [f"{REPO}#7"]
        assert [p.key for p in s.evidence.unfinished()] == [f"{REPO}#7"]  # a check pending


def test_unlinked_or_finished_pull_requests_are_not_read_again(tmp_path: Path) -> None:
    """Only linked merged pull requests with files or checks missing are unfinished."""
    store = Store(tmp_path / "m.db", clock=FakeClock(NOW))
    with store.session() as s:
        s.evidence.save_pull(StoredPull(merged(1)))  # not linked
        s.evidence.save_pull(StoredPull(merged(2), files_sha="abc1234", checks_final=True))
        s.evidence.link("ms-a", REPO, 2, "listing")
        assert s.evidence.unfinished() == []


def test_state_and_cursor_round_trip(tmp_path: Path) -> None:
    """The per-draft bookkeeping and the listing's cursor read back as written."""
    store = Store(tmp_path / "m.db", clock=FakeClock(NOW))
    state = EvidenceState("ms-a", 'W/"e"', NOW, NOW, {"gate": f"{REPO}#7"}, ("gate",))
    with store.session() as s:
        s.evidence.save_state(state)
        s.evidence.save_cursor(PullCursor(REPO, NOW, 'W/"p"', NOW))
    with store.session() as s:
        assert s.evidence.state("ms-a") == state
        assert s.evidence.state("ms-b") == EvidenceState("ms-b")
        assert s.evidence.cursor(REPO.upper()) == PullCursor(REPO, NOW, 'W/"p"', NOW)


def test_timelines_due_known_etags_then_a_few_first_reads(tmp_path: Path) -> None:
    """Due timelines with an ETag come first, all of them; first reads are capped."""
    store = Store(tmp_path / "m.db", clock=FakeClock(NOW))
    with store.session() as s:
        for n in range(1, 6):
            s.tracked.save(TrackedIssue(f"ms-{n}", REPO, n, "U1", NOW, NOW))
        s.evidence.save_state(EvidenceState("ms-1", 'W/"1"', NOW - timedelta(days=2)))
        s.evidence.save_state(EvidenceState("ms-2", 'W/"2"', NOW))  # read just now: not due
    with store.session() as s:
        due = s.evidence.timelines_due(NOW - timedelta(days=1), 10, 2)
    assert due[0] == "ms-1" and len(due) == 3 and "ms-2" not in due
