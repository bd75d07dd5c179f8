"""Digests from the sweep, against the Slack and GitHub emulators over HTTP.

Alice is in Los Angeles (10:00 there is 18:00 UTC in December), Bob in Berlin (10:00 is
09:00 UTC). Issues are filed on Monday 30 November 2026 at 09:00 UTC unless said otherwise;
their first digest is due two days later, and sent from the author's next 10:00.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from bot.reminders.sweep import Sweeper
from flows.tracking import SeenFrom
from tests.e2e.harness import message_text
from tests.emulators.slack_api import ALICE, BOB
from tests.reminders.harness import REPO, World, utc

UNIT = "Added/updated unit tests for new behavior."
SUITES = "Existing related unit suites pass."
DASHBOARD = "Dashboard/alert impact reviewed."


def test_a_digest_lists_each_open_issue_with_its_link_and_gates_by_section(world: World) -> None:
    """The first digest comes two days after filing, with the link, sections and controls."""
    filed = world.file()
    world.sweep("2026-12-02T17:55")  # 09:55 in Los Angeles
    assert world.digests() == []
    world.sweep("2026-12-02T18:05")
    [digest] = world.digests()
    text = message_text(digest)
    assert f"<{filed.url}|#{filed.number} Bound cancel retries after venue timeouts>" in text
    assert "15 gates left" in text
    assert "*Unit tests*\n☐ Added/updated unit tests for new behavior." in text
    assert (
        "*Telemetry and Observability*\n☐ New/changed behavior emits structured telemetry." in text
    )
    actions = {
        (b.get("accessory") or {}).get("action_id", "")
        for b in digest.blocks or []
        if b.get("type") == "section"
    }
    assert any(a.startswith("ms_gate_0_") for a in actions) and "ms_mute_0" in actions
    assert "[Snooze 1 day] [Snooze 1 week]" in world.slack.transcript(world.dm())


def test_boxes_ticked_on_github_without_a_webhook_leave_the_digest(world: World) -> None:
    """A lost webhook changes nothing in the end: the sweep reads the ticks from GitHub."""
    filed = world.file()
    world.sweep("2026-12-02T18:05")
    world.tick(filed, UNIT)
    world.tick(filed, DASHBOARD)
    world.sweep("2026-12-04T18:05")  # two working days later
    first, second = world.digests()
    assert UNIT in message_text(first)
    assert UNIT not in message_text(second) and DASHBOARD not in message_text(second)
    assert SUITES in message_text(second) and "13 gates left" in message_text(second)
    assert world.tracked(filed.draft_id).seen_from is SeenFrom.SWEEP

    for label in world.template.gate_labels:
        if label not in (UNIT, DASHBOARD):
            world.tick(filed, label)
    world.sweep("2026-12-08T18:05")
    assert len(world.digests()) == 2  # nothing left: no digest at all


def test_boxes_ticked_with_a_webhook_leave_the_digest_at_once(world: World) -> None:
    """The webhook updates the stored gates before any sweep, and the digest follows them."""
    filed = world.file()
    world.sweep("2026-12-01T18:05")  # tracked, not due yet
    with world.serving() as url:
        world.tick(filed, UNIT)
        delivery = world.webhook(url, filed, "edited")
        assert delivery.status == 200, delivery.response_body
    issue = world.tracked(filed.draft_id)
    assert issue.seen_from is SeenFrom.WEBHOOK
    assert issue.gates[UNIT].settled
    world.sweep("2026-12-02T18:05")
    [digest] = world.digests()
    assert UNIT not in message_text(digest) and SUITES in message_text(digest)


def test_two_sweeps_at_once_send_one_digest(world: World) -> None:
    """Two sweepers on one database (as two processes) racing a due digest send one."""
    world.file(author=BOB)
    world.file(author=ALICE)
    world.sweep("2026-12-01T18:05")
    other = Sweeper(
        store=type(world.store)(world.db, clock=world.clock),
        template=world.template,
        settings=world.settings,
        slack=world.client,
        github=world.sweeper.github,
    )
    start = threading.Barrier(2)

    # Both about to send the same due digest (planned before either sent): the claim decides.
    morning = utc("2026-12-02T09:05")  # 10:05 in Berlin: Bob's first digest
    [plan] = [p for p in world.sweep(morning, dry_run=True).plans if p.author == BOB]
    assert plan.due
    senders = [world.sweeper.reminders, other.reminders]

    def send(index: int) -> str:
        start.wait()
        reminders = senders[index]
        assert reminders is not None
        return reminders.send(plan, morning).status

    with ThreadPoolExecutor(2) as pool:
        assert sorted(pool.map(send, [0, 1])) == ["sent", "taken"]
    assert len(world.digests(BOB)) == 1

    # Whole sweeps at once, for Alice's first digest.
    evening = utc("2026-12-02T18:05")
    world.clock.now = evening
    start.reset()

    def sweep(sweeper: Sweeper) -> list[str]:
        start.wait()
        return [d.status for d in sweeper.sweep(evening).digests]

    with ThreadPoolExecutor(2) as pool:
        outcomes = [s for statuses in pool.map(sweep, [world.sweeper, other]) for s in statuses]
    assert outcomes.count("sent") == 1 and set(outcomes) <= {"sent", "taken"}
    assert len(world.digests(ALICE)) == 1 and len(world.digests(BOB)) == 1


def test_a_digest_whose_answer_was_lost_is_not_sent_again_after_a_restart(world: World) -> None:
    """Slack posted it but the answer never came; a restarted bot does not send it twice."""
    world.file()
    world.slack.drop("chat.postMessage", after_processing=True)
    report = world.sweep("2026-12-02T18:05")
    assert [d.status for d in report.digests] == ["unknown"]
    world.restart()
    world.sweep("2026-12-02T18:15")
    world.sweep("2026-12-02T23:00")
    assert len(world.digests()) == 1
    # The cadence goes on from that digest: next one two working days later, not sooner.
    world.sweep("2026-12-03T18:05")
    assert len(world.digests()) == 1
    world.sweep("2026-12-04T18:05")
    assert len(world.digests()) == 2


def test_a_slack_failure_is_retried_in_the_same_window_and_not_multiplied(world: World) -> None:
    """A refused send is retried by the next sweep that day; three refusals end that window."""
    world.file()
    world.slack.fail("chat.postMessage", "fatal_error")
    first = world.sweep("2026-12-02T18:05")
    assert [d.status for d in first.digests] == ["failed"]
    world.sweep("2026-12-02T18:10")
    world.sweep("2026-12-02T18:15")
    assert len(world.digests()) == 1

    dm_posts = lambda: [  # noqa: E731 - a local shorthand
        c for c in world.slack.calls("chat.postMessage") if c.params.get("channel") == ALICE
    ]
    before = len(dm_posts())
    world.slack.fail("chat.postMessage", "fatal_error", times=None)
    for minute in ("2026-12-04T18:05", "2026-12-04T18:10", "2026-12-04T18:15", "2026-12-04T18:20"):
        world.sweep(minute)
    assert len(dm_posts()) - before == 3
    world.slack.clear_faults()
    world.sweep("2026-12-04T18:25")
    assert len(world.digests()) == 1  # that window is spent
    world.sweep("2026-12-05T18:05")  # Saturday: nothing
    world.sweep("2026-12-07T18:05")  # Monday: the next window
    assert len(world.digests()) == 2


def test_weekends_hold_the_digest_until_monday_morning(world: World) -> None:
    """Filed Thursday, due Saturday: Bob hears nothing all weekend and gets it Monday at 10:00."""
    world.file(author=BOB, at=utc("2026-12-03T11:00"))
    for moment in ("2026-12-05T11:00", "2026-12-05T16:00", "2026-12-06T10:00", "2026-12-07T08:55"):
        world.sweep(moment)
    assert world.digests(BOB) == []
    world.sweep("2026-12-07T09:00")
    assert len(world.digests(BOB)) == 1


def test_each_author_hears_in_their_own_morning(world: World) -> None:
    """At 09:05 UTC Bob in Berlin gets his digest; Alice in Los Angeles waits for 18:00 UTC."""
    world.file(author=ALICE, at=utc("2026-11-29T09:00"))
    world.file(author=BOB, at=utc("2026-11-29T09:00"))
    world.sweep("2026-12-01T09:05")
    assert len(world.digests(BOB)) == 1 and world.digests(ALICE) == []
    world.sweep("2026-12-01T17:00")  # 18:00 in Berlin, 09:00 in Los Angeles
    assert len(world.digests(BOB)) == 1 and world.digests(ALICE) == []
    world.sweep("2026-12-01T18:00")
    assert len(world.digests(ALICE)) == 1 and len(world.digests(BOB)) == 1


def test_a_closed_issue_is_silent_until_it_is_reopened(world: World) -> None:
    """Closed on GitHub, the issue gets no digest; reopened, it is in the next sweep's digest."""
    filed = world.file()
    world.sweep("2026-12-02T18:05")
    world.gh.close_issue(REPO, filed.number)
    world.sweep("2026-12-04T18:05")
    world.sweep("2026-12-07T18:05")
    assert len(world.digests()) == 1
    world.gh.reopen_issue(REPO, filed.number)
    world.sweep("2026-12-07T18:10")
    assert len(world.digests()) == 2


def test_one_author_gets_one_digest_for_all_their_issues(world: World) -> None:
    """Two issues of one author due together arrive as one message listing both."""
    first = world.file(title="Bound cancel retries")
    second = world.file(title="Reconcile before retrying")
    world.sweep("2026-12-02T18:05")
    [digest] = world.digests()
    text = message_text(digest)
    assert f"#{first.number} Bound cancel retries" in text
    assert f"#{second.number} Reconcile before retrying" in text
    assert "30 across 2 issues" in text


def test_three_digests_without_progress_add_one_note_in_the_original_thread(world: World) -> None:
    """After the third digest with no gate change, the draft's thread gets one note, once."""
    filed = world.file()
    thread = lambda: [  # noqa: E731 - a local shorthand
        m
        for m in world.slack.messages(filed.channel, filed.thread_ts)
        if "still has" in message_text(m)
    ]
    for moment in ("2026-12-02T18:05", "2026-12-04T18:05"):
        world.sweep(moment)
    assert thread() == []
    world.sweep("2026-12-08T18:05")
    [note] = thread()
    assert f"<@{ALICE}>" in note.text and "15 gates open after 3 reminders" in note.text
    world.sweep("2026-12-10T18:05")
    assert len(world.digests()) == 4 and len(thread()) == 1


def test_progress_resets_the_count_before_the_thread_note(world: World) -> None:
    """A gate ticked between digests starts the count again: no note after three digests."""
    filed = world.file()
    world.sweep("2026-12-02T18:05")
    world.sweep("2026-12-04T18:05")
    world.tick(filed, UNIT)
    world.sweep("2026-12-08T18:05")
    assert world.tracked(filed.draft_id).digests_without_change == 1
    assert not any(
        "still has" in message_text(m) for m in world.slack.messages(filed.channel, filed.thread_ts)
    )
