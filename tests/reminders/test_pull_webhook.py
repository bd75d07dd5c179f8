"""The webhook's pull_request and check events: linking to tracked milestones, once, signed."""

from __future__ import annotations

from bot.storage.evidence import StoredPull
from flows.evidence import PullState
from tests.emulators.github_pulls import added_patch
from tests.emulators.github_pulls_rest import check_event, pull_request_event
from tests.reminders.harness import REPO, World


def linked(world: World, draft_id: str) -> list[StoredPull]:
    with world.store.session() as s:
        return s.evidence.linked(draft_id)


def test_an_opened_pull_request_referencing_a_milestone_is_linked(world: World) -> None:
    """`pull_request opened` whose body says `Fixes #N` links it; a redelivery changes nothing."""
    filed = world.file()
    world.sweep(world.clock.now)  # the issue is tracked from the first sweep on
    other = world.gh.add_issue(REPO, "Not a milestone")
    number = world.gh.pulls.open(
        REPO, "Bound retries", f"Fixes #{filed.number}, see #{other.number}"
    )
    with world.serving() as url:
        payload = pull_request_event(world.gh, REPO, number, "opened")
        first = world.raw_webhook(url, "pull_request", payload)
        again = world.raw_webhook(url, "pull_request", payload, delivery_id=first.delivery_id)
    assert first.status == 200 and again.status == 200
    pulls = linked(world, filed.draft_id)
    assert [(p.pull.number, p.pull.state) for p in pulls] == [(number, PullState.OPEN)]


def test_an_unrelated_pull_request_is_not_kept(world: World) -> None:
    """A pull request that references no tracked issue is acknowledged and not stored."""
    filed = world.file()
    world.sweep(world.clock.now)  # the issue is tracked from the first sweep on
    number = world.gh.pulls.open(REPO, "Typo", "no issue here")
    with world.serving() as url:
        reply = world.raw_webhook(
            url, "pull_request", pull_request_event(world.gh, REPO, number, "opened")
        )
    assert reply.status == 200 and linked(world, filed.draft_id) == []
    with world.store.session() as s:
        assert s.evidence.pull(REPO, number) is None


def test_merge_then_check_suite_marks_checks_for_reading(world: World) -> None:
    """Merged (closed with merged true) keeps the merge sha; a completed check suite on it
    has its checks read again, without touching its files."""
    filed = world.file()
    world.sweep(world.clock.now)  # the issue is tracked from the first sweep on
    number = world.gh.pulls.open(
        REPO, "Work", f"Closes {REPO}#{filed.number}", files={"tests/test_a.py": added_patch("x")}
    )
    sha = world.gh.pulls.merge(REPO, number)
    with world.serving() as url:
        world.raw_webhook(url, "pull_request", pull_request_event(world.gh, REPO, number, "closed"))
        with world.store.session() as s:
            stored = s.evidence.pull(REPO, number)
            assert stored is not None
            s.evidence.save_pull(StoredPull(stored.pull, files_sha=sha, checks_final=True))
        reply = world.raw_webhook(
            url, "check_suite", check_event(world.gh, REPO, sha, "check_suite")
        )
    assert reply.status == 200
    [pull] = linked(world, filed.draft_id)
    assert (pull.pull.state, pull.pull.merge_sha, pull.files_sha, pull.checks_final) == (
        PullState.MERGED,
        sha,
        sha,
        False,
    )


def test_a_bad_signature_changes_nothing(world: World) -> None:
    """A pull_request delivery with a wrong signature is refused with 401 and links nothing."""
    filed = world.file()
    world.sweep(world.clock.now)  # the issue is tracked from the first sweep on
    number = world.gh.pulls.open(REPO, "Work", f"Fixes #{filed.number}")
    with world.serving() as url:
        reply = world.raw_webhook(
            url,
            "pull_request",
            pull_request_event(world.gh, REPO, number, "opened"),
            signature="sha256=" + "0" * 64,
        )
    assert reply.status == 401 and linked(world, filed.draft_id) == []
