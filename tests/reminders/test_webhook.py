"""`POST /github/webhook` through the bot's real HTTP app: signatures, deduplication, and
GitHub's own `issues` payloads (tests/fixtures/payloads/github, from octokit/webhooks)
applied to tracked issues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.storage.drafts import Location
from flows.draft import Draft, DraftStatus, GateState, GateStatus
from flows.render import render_issue
from flows.tracking import IssueState, SeenFrom
from tests.emulators.github_webhooks import sign_webhook
from tests.emulators.slack_api import ALICE, RELIABILITY, TEAM_ID
from tests.reminders.harness import WEBHOOK_SECRET, World

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads" / "github"
UNIT = "Added/updated unit tests for new behavior."


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8")))


def filed_draft(world: World, repository: str, number: int) -> Draft:
    """A draft stored as FILED as repository#number (as bot.filing.once leaves it)."""
    with world.store.session() as s:
        draft = s.drafts.create(
            Draft(id=s.drafts.new_id(), author=ALICE, title="Bound retries"),
            location=Location(TEAM_ID, RELIABILITY, "1700000000.000100"),
            actor=ALICE,
            source="test",
            correlation_id="test",
        )
        filed = draft.model_copy(
            update={
                "status": DraftStatus.FILED,
                "issue_number": number,
                "issue_url": f"https://github.com/{repository}/issues/{number}",
            }
        )
        return s.drafts.record(
            draft, filed, kind="filed", actor=ALICE, source="test", correlation_id="t"
        )


def with_body(data: dict[str, Any], world: World, draft: Draft, *ticked: str) -> dict[str, Any]:
    """GitHub's payload with the issue's body replaced by the draft's, `ticked` boxes ticked."""
    gates = {label: GateState(status=GateStatus.CHECKED) for label in ticked}
    body = render_issue(world.template, draft.model_copy(update={"gates": gates})).body
    return {**data, "issue": {**data["issue"], "body": body}}


def test_a_forged_signature_changes_nothing(world: World) -> None:
    """Wrong secret, tampered body or no signature: 401, the issue's stored state unchanged."""
    filed = world.file()
    world.sweep("2026-12-01T18:05")
    world.tick(filed, UNIT)
    before = world.tracked(filed.draft_id)
    with world.serving() as url:
        genuine = world.webhook(url, filed, "edited", delivery_id="delivery-1")
        assert genuine.status == 200
    # Rebuild the state as it was, then replay the delivery forged three ways.
    with world.store.session() as s:
        s.tracked.save(before)
    with world.serving() as url:
        body = genuine.body
        wrong_secret = sign_webhook("not-the-secret", body)
        for signature, sent in (
            (wrong_secret, body),
            (genuine.request_headers["X-Hub-Signature-256"], body.replace(b"open", b"shut")),
            ("", body),
        ):
            reply = _post(url, sent, signature, delivery="delivery-2")
            assert reply == 401
    assert world.tracked(filed.draft_id) == before
    with world.store.session() as s:
        assert not s.deliveries.claimed("github:delivery:delivery-2")


def _post(url: str, body: bytes, signature: str, *, delivery: str) -> int:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": "issues",
        "X-GitHub-Delivery": delivery,
        "User-Agent": "GitHub-Hookshot/8b2c5a1",
    }
    if signature:
        headers["X-Hub-Signature-256"] = signature
    try:
        connection.request("POST", "/github/webhook", body, headers)
        return connection.getresponse().status
    finally:
        connection.close()


def test_a_redelivered_webhook_is_applied_once(world: World) -> None:
    """The same X-GitHub-Delivery id twice: the second is acknowledged and ignored."""
    filed = world.file()
    world.sweep("2026-12-01T18:05")
    with world.serving() as url:
        world.tick(filed, UNIT)
        first = world.webhook(url, filed, "edited", delivery_id="same-delivery")
        world.gh.tick_checkbox("acme/execution", filed.number, UNIT, checked=False)
        again = world.webhook(url, filed, "edited", delivery_id="same-delivery")
    assert first.status == again.status == 200
    assert json.loads(again.response_body)["duplicate"] is True
    assert world.tracked(filed.draft_id).gates[UNIT].settled


def test_githubs_own_issue_payloads_update_the_tracked_issue(world: World) -> None:
    """Real edited, labeled, reopened and deleted payloads: tracked, updated, then dropped."""
    draft = filed_draft(world, "Codertocat/Hello-World", 1)
    with world.serving() as url:
        edited = world.raw_webhook(
            url, "issues", with_body(payload("issues/edited"), world, draft, UNIT)
        )
        assert edited.status == 200 and json.loads(edited.response_body)["tracked"] is True
        issue = world.tracked(draft.id)
        assert (issue.repository, issue.number) == ("Codertocat/Hello-World", 1)
        assert issue.gates[UNIT].settled and issue.seen_from is SeenFrom.WEBHOOK

        labeled = world.raw_webhook(
            url, "issues", with_body(payload("issues/labeled"), world, draft)
        )
        assert json.loads(labeled.response_body)["ignored"] == "issues labeled"
        assert world.tracked(draft.id).gates[UNIT].settled

        reopened = world.raw_webhook(
            url, "issues", with_body(payload("issues/reopened"), world, draft)
        )
        assert reopened.status == 200
        assert world.tracked(draft.id).state is IssueState.OPEN
        assert not world.tracked(draft.id).gates[UNIT].settled  # that body had it unticked

        deleted = world.raw_webhook(url, "issues", payload("issues/deleted"))
        assert deleted.status == 200
        assert world.tracked(draft.id).state is IssueState.DELETED


def test_an_older_delivery_arriving_late_changes_nothing(world: World) -> None:
    """GitHub's updated_at orders deliveries: a 2019 edit after a 2021 reopen is ignored."""
    draft = filed_draft(world, "Codertocat/Hello-World", 1)
    with world.serving() as url:
        newer = with_body(payload("issues/reopened"), world, draft, UNIT)
        older = with_body(payload("issues/edited"), world, draft)
        assert world.raw_webhook(url, "issues", newer).status == 200
        assert world.raw_webhook(url, "issues", older).status == 200
    assert world.tracked(draft.id).gates[UNIT].settled


def test_a_transferred_issue_is_followed_to_its_new_repository(world: World) -> None:
    """GitHub's transferred payload moves the tracked issue to the new repository and number."""
    draft = filed_draft(world, "octo-org/octo-repo", 1)
    with world.serving() as url:
        reply = world.raw_webhook(
            url, "issues", with_body(payload("issues/transferred"), world, draft)
        )
    assert reply.status == 200
    issue = world.tracked(draft.id)
    assert (issue.repository, issue.number) == ("Codertocat/Hello-World", 1)
    assert issue.url == "https://github.com/Codertocat/Hello-World/issues/1"


def test_ping_other_events_and_strangers_issues_are_acknowledged_and_ignored(world: World) -> None:
    """ping is answered; an issue the bot did not file, or another event, changes nothing."""
    with world.serving() as url:
        ping = world.raw_webhook(url, "ping", payload("ping/ping"))
        assert ping.status == 200 and json.loads(ping.response_body)["pong"] is True
        stranger = world.raw_webhook(url, "issues", payload("issues/opened"))
        assert json.loads(stranger.response_body)["ignored"] == "issues opened"
        edited = world.raw_webhook(url, "issues", payload("issues/edited"))
        assert json.loads(edited.response_body)["tracked"] is False
        push = world.raw_webhook(url, "push", {"ref": "refs/heads/main"})
        assert push.status == 200
    with world.store.session() as s:
        assert s.tracked.issues(states=("open", "closed", "deleted")) == []


def test_no_secret_configured_refuses_every_delivery(world: World) -> None:
    """Without GITHUB_WEBHOOK_SECRET nothing can be verified, so nothing is accepted."""
    draft = filed_draft(world, "Codertocat/Hello-World", 1)
    world.overrides["github_webhook_secret"] = None
    with world.serving() as url:
        reply = world.raw_webhook(
            url, "issues", with_body(payload("issues/edited"), world, draft, UNIT)
        )
    assert reply.status == 401
    with world.store.session() as s:
        assert s.tracked.get(draft.id) is None
    assert WEBHOOK_SECRET not in reply.response_body.decode()
