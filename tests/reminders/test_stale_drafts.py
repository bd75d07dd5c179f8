"""Drafts left unanswered: one nudge with Resume and Discard after three days, archived after
thirty (journaled, out of lists), through the sweep and the bot's real HTTP app."""

from __future__ import annotations

from bot.storage.drafts import Location
from flows.draft import Draft, DraftStatus
from tests.e2e.harness import message_text, wait_until
from tests.emulators.slack_api import ALICE, RELIABILITY, TEAM_ID, Message
from tests.reminders.harness import World, requests_for, utc


def waiting_draft(world: World) -> tuple[str, str]:
    """A draft Alice started on Monday 30 November at 09:00 UTC and left; (id, thread ts)."""
    world.clock.now = utc("2026-11-30T09:00")
    root = world.client.chat_postMessage(channel=RELIABILITY, text="Alice is drafting.")
    thread_ts = str(root["ts"])
    with world.store.session() as s:
        draft = s.drafts.create(
            Draft(id=s.drafts.new_id(), author=ALICE, title="Bound cancel retries"),
            location=Location(TEAM_ID, RELIABILITY, thread_ts, thread_ts),
            actor=ALICE,
            source="test",
            correlation_id="test",
        )
    return draft.id, thread_ts


def nudges(world: World, thread_ts: str) -> list[Message]:
    return [
        m for m in world.slack.messages(RELIABILITY, thread_ts) if "still there?" in message_text(m)
    ]


def test_a_draft_unanswered_three_days_gets_one_nudge(world: World) -> None:
    """Three days of silence bring one nudge with Resume and Discard; more sweeps add none."""
    draft_id, thread_ts = waiting_draft(world)
    world.sweep("2026-12-03T08:55")  # three days less five minutes
    assert nudges(world, thread_ts) == []
    world.sweep("2026-12-03T18:05")  # three days on, 10:05 in Los Angeles
    [nudge] = nudges(world, thread_ts)
    assert f"<@{ALICE}> still there? *Bound cancel retries* has waited 3 days" in message_text(
        nudge
    )
    assert "[Resume] (primary) [Discard] (danger)" in world.slack.transcript(RELIABILITY, thread_ts)
    world.sweep("2026-12-04T18:05")
    world.sweep("2026-12-08T18:05")
    assert len(nudges(world, thread_ts)) == 1
    with world.store.session() as s:
        assert s.drafts.get(draft_id).status is DraftStatus.DRAFTING


def test_resume_on_the_nudge_picks_the_draft_up_in_its_thread(world: World) -> None:
    """Resume on the nudge asks the draft's current question again, in the same thread."""
    _, thread_ts = waiting_draft(world)
    world.sweep("2026-12-03T18:05")
    [nudge] = nudges(world, thread_ts)
    with world.serving() as url:
        clicked = requests_for(url, world.slack).block_action(
            "ms_resume", user=ALICE, channel=RELIABILITY, message_ts=nudge.ts
        )
        assert clicked.status == 200
        wait_until(
            lambda: any(
                "Picking up where you left off" in message_text(m)
                for m in world.slack.messages(RELIABILITY, thread_ts)
            ),
            what="the draft picked up",
        )


def test_discard_on_the_nudge_cancels_the_draft(world: World) -> None:
    """Discard on the nudge cancels the draft, which `resume` can still bring back."""
    draft_id, thread_ts = waiting_draft(world)
    world.sweep("2026-12-03T18:05")
    [nudge] = nudges(world, thread_ts)
    with world.serving() as url:
        clicked = requests_for(url, world.slack).block_action(
            "ms_cancel", user=ALICE, channel=RELIABILITY, message_ts=nudge.ts
        )
        assert clicked.status == 200

        def cancelled() -> bool:
            with world.store.session() as s:
                return s.drafts.get(draft_id).status is DraftStatus.CANCELLED

        wait_until(cancelled, what="the draft cancelled")


def test_a_draft_left_thirty_days_is_archived_in_the_journal_and_out_of_lists(
    world: World,
) -> None:
    """After thirty days the draft is ARCHIVED by a journaled change and drops out of lists."""
    draft_id, thread_ts = waiting_draft(world)
    world.sweep("2026-12-29T18:05")  # 29 days
    with world.store.session() as s:
        assert s.drafts.get(draft_id).status is DraftStatus.DRAFTING
    world.sweep("2026-12-30T18:05")  # 30 days
    with world.store.session() as s:
        draft = s.drafts.get(draft_id)
        journal = s.drafts.journal(draft_id)
        listed = [row.id for row in s.drafts.summaries(ALICE)]
        everything = [row.id for row in s.drafts.summaries(ALICE, include_closed=True)]
    assert draft.status is DraftStatus.ARCHIVED
    assert journal[-1].kind == "archived" and journal[-1].changes["status"] == "archived"
    assert draft_id not in listed and draft_id in everything
    _, differences = world.store.replay(draft_id)
    assert differences == {}
    assert any(
        "I archived this draft after 30 days" in message_text(m)
        for m in world.slack.messages(RELIABILITY, thread_ts)
    )
