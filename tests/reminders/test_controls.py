"""The digest's controls, clicked through the bot's real HTTP app: Done, Not applicable,
Snooze, Mute; and `/milestone status`."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import message_text, wait_until
from tests.emulators.slack_api import ALICE, APP_ID, RELIABILITY, TEAM_DOMAIN, TEAM_ID, Message
from tests.emulators.slack_requests import VERIFICATION_TOKEN, BotResponse, SlackRequests
from tests.reminders.harness import REPO, World, gate_action, requests_for, utc

UNIT = "Added/updated unit tests for new behavior."
DASHBOARD = "Dashboard/alert impact reviewed."
RUNBOOK = "Updated at least one reliability doc/runbook."


def first_digest(world: World, *, at: str = "2026-12-02T18:05") -> Message:
    world.sweep(at)
    [digest] = world.digests()
    return digest


def choose(requests: SlackRequests, world: World, digest: Message, label: str, choice: str) -> None:
    response = requests.block_action(
        gate_action(digest, label),
        selected=choice,
        user=ALICE,
        channel=world.dm(),
        message_ts=digest.ts,
    )
    assert response.status == 200, response.body


def click(requests: SlackRequests, world: World, digest: Message, action_id: str) -> None:
    response = requests.block_action(
        action_id, user=ALICE, channel=world.dm(), message_ts=digest.ts
    )
    assert response.status == 200, response.body


def mute_action(digest: Message, number: int) -> str:
    """The action_id of the Mute button beside issue #number in a digest."""
    for block in digest.blocks or []:
        accessory = block.get("accessory") or {}
        if f"|#{number} " in (block.get("text") or {}).get("text", "") and accessory:
            return str(accessory["action_id"])
    raise LookupError(f"no Mute button for #{number}")


def body(world: World, number: int) -> str:
    return world.gh.issue(REPO, number).body or ""


def digest_now(world: World, digest: Message) -> str:
    return message_text(world.slack.message(world.dm(), digest.ts))


def submit_reason(requests: SlackRequests, view: dict[str, Any], reason: str) -> BotResponse:
    """Alice submits the Not applicable modal, as Slack posts a view_submission."""
    submitted = {
        **view,
        "state": {
            "values": {"reason": {"reason_input": {"type": "plain_text_input", "value": reason}}}
        },
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": {"id": ALICE, "username": "alice", "name": "alice", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": requests.trigger_id(),
        "view": submitted,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return requests.send_interaction(payload)


def test_done_keeps_an_edit_someone_made_on_github_meanwhile(world: World) -> None:
    """Done re-reads the body: Bob's note and tick survive, and only Alice's box changes."""
    filed = world.file()
    digest = first_digest(world)
    edited = (
        body(world, filed.number).replace(f"- [ ] {DASHBOARD}", f"- [x] {DASHBOARD}")
        + "\n\nNote from Bob: rollout waits for the venue freeze.\n"
    )
    world.gh.edit_issue(REPO, filed.number, body=edited, actor="bob-gh")
    with world.serving() as url:
        choose(requests_for(url, world.slack), world, digest, UNIT, "Done")
        after = wait_until(
            lambda: f"- [x] {UNIT}" in body(world, filed.number) and body(world, filed.number),
            what="the box ticked on GitHub",
        )
        assert after == edited.replace(f"- [ ] {UNIT}", f"- [x] {UNIT}")
        shown = wait_until(
            lambda: "Ticked" in digest_now(world, digest) and digest_now(world, digest),
            what="the digest rewritten",
        )
    assert f"Ticked “{UNIT}”" in shown
    assert f"☐ {UNIT}" not in shown and f"☐ {DASHBOARD}" not in shown
    assert world.tracked(filed.draft_id).gates[UNIT].settled


def test_done_on_a_box_already_ticked_leaves_it_as_it_is(world: World) -> None:
    """A box someone ticked on GitHub after the digest is not written again."""
    filed = world.file()
    digest = first_digest(world)
    world.tick(filed, UNIT, actor="bob-gh")
    before = body(world, filed.number)
    with world.serving() as url:
        choose(requests_for(url, world.slack), world, digest, UNIT, "Done")
        shown = wait_until(
            lambda: "already ticked" in digest_now(world, digest) and digest_now(world, digest),
            what="the digest saying so",
        )
    assert f"“{UNIT}” was already ticked" in shown
    assert body(world, filed.number) == before
    assert world.gh.requests_to("PATCH", f"/repos/{REPO}/issues/*") == []


def test_not_applicable_asks_for_a_reason_and_writes_it_on_the_line(world: World) -> None:
    """The modal's reason lands on GitHub as `— N/A: <reason>`; an empty one is refused."""
    filed = world.file()
    digest = first_digest(world)
    with world.serving() as url:
        requests = requests_for(url, world.slack)
        choose(requests, world, digest, RUNBOOK, "Not applicable…")
        view = wait_until(lambda: world.slack.views and world.slack.views[-1], what="the modal")
        assert view["callback_id"] == "ms_gate_na"
        assert RUNBOOK in str(view["blocks"])
        refused = submit_reason(requests, view, "   ")
        assert refused.status == 200 and refused.json()["response_action"] == "errors"
        assert submit_reason(requests, view, "No runbook covers this path").status == 200
        wait_until(
            lambda: "N/A: No runbook covers this path" in body(world, filed.number),
            what="the reason on GitHub",
        )
    assert f"- [x] {RUNBOOK} — N/A: No runbook covers this path" in body(world, filed.number)
    gate = world.tracked(filed.draft_id).gates[RUNBOOK]
    assert gate.status.value == "not_applicable" and gate.reason == "No runbook covers this path"


def test_snooze_one_day_silences_exactly_one_day(world: World) -> None:
    """Snoozed at 18:10 on Wednesday, the issue is back in the first digest after Thursday 18:10."""
    filed = world.file()
    digest = first_digest(world)
    world.clock.now = utc("2026-12-02T18:10")
    with world.serving() as url:
        click(requests_for(url, world.slack), world, digest, "ms_snooze_day")
        wait_until(lambda: world.tracked(filed.draft_id).snoozed_until, what="the snooze")
        shown = wait_until(
            lambda: "Snoozed until" in digest_now(world, digest) and digest_now(world, digest),
            what="the digest saying so",
        )
    assert "Snoozed until Thu 03 Dec, 10:10 (America/Los_Angeles)" in shown
    world.sweep("2026-12-03T18:05")
    assert len(world.digests()) == 1
    world.sweep("2026-12-03T18:15")
    assert len(world.digests()) == 2


def test_snooze_one_week_silences_exactly_one_week(world: World) -> None:
    """Snoozed for a week, the issue skips its regular digests and returns seven days later."""
    filed = world.file()
    digest = first_digest(world)
    world.clock.now = utc("2026-12-02T18:10")
    with world.serving() as url:
        click(requests_for(url, world.slack), world, digest, "ms_snooze_week")
        wait_until(lambda: world.tracked(filed.draft_id).snoozed_until, what="the snooze")
    for moment in ("2026-12-04T18:05", "2026-12-07T18:05", "2026-12-09T18:05"):
        world.sweep(moment)
    assert len(world.digests()) == 1
    world.sweep("2026-12-09T18:15")
    assert len(world.digests()) == 2


def test_mute_silences_that_issue_for_good_and_not_the_others(world: World) -> None:
    """A muted issue never appears again; the author's other issue keeps its digests."""
    muted = world.file(title="Bound cancel retries")
    kept = world.file(title="Reconcile before retrying")
    digest = first_digest(world)
    with world.serving() as url:
        click(requests_for(url, world.slack), world, digest, mute_action(digest, muted.number))
        wait_until(lambda: world.tracked(muted.draft_id).muted, what="the mute")
        shown = wait_until(
            lambda: "Muted" in digest_now(world, digest) and digest_now(world, digest),
            what="the digest saying so",
        )
    assert f"#{muted.number} Bound cancel retries" in shown.split("Muted", 1)[1]
    for moment in ("2026-12-04T18:05", "2026-12-08T18:05"):
        world.sweep(moment)
    later = [message_text(m) for m in world.digests()[1:]]
    assert len(later) == 2
    assert all(f"#{kept.number} " in t and f"#{muted.number} " not in t for t in later)


def test_status_lists_the_authors_issues_with_gates_left_just_for_them(world: World) -> None:
    """`/milestone status` answers Alice alone with her filed issue and its gates left."""
    filed = world.file()
    world.tick(filed, UNIT)
    world.sweep("2026-12-01T18:05")
    with world.serving() as url:
        response = requests_for(url, world.slack).slash_command("status", user_id=ALICE)
        assert response.status == 200
        reply = wait_until(
            lambda: next(
                (
                    m
                    for m in world.slack.messages(RELIABILITY, viewer=ALICE)
                    if m.source == "response_url"
                ),
                None,
            ),
            what="the status reply",
        )
    assert reply.ephemeral_to == ALICE
    text = message_text(reply)
    assert f"#{filed.number} Bound cancel retries after venue timeouts" in text
    assert "14 gates left" in text and f"☐ {UNIT}" not in text and f"☐ {DASHBOARD}" in text
