"""The sweep across repositories with GitHub App auth: each repository read with its own
installation, and one the App isn't installed on skipped (said once) while the others are
swept and their digests sent. The GitHub emulator issues the installations' tokens."""

from __future__ import annotations

from structlog.testing import capture_logs

from tests.e2e.harness import message_text, wait_until
from tests.emulators.slack_api import ALICE, RELIABILITY
from tests.reminders.harness import ELSEWHERE, PAYMENTS, World, requests_for

UNIT = "Added/updated unit tests for new behavior."


def test_a_repository_without_an_installation_is_skipped_and_the_others_swept(
    app_world: World,
) -> None:
    """An issue in a repository the App isn't installed on doesn't stop the sweep: that
    repository is logged once as skipped, the others are read, and the digest goes out."""
    here = app_world.file(repository=PAYMENTS)
    app_world.file(repository=ELSEWHERE, title="Bound fills elsewhere")
    app_world.tick(here, UNIT)
    with capture_logs() as logs:
        report = app_world.sweep("2026-12-02T18:05")
    assert report.complete, report.stopped
    assert list(report.skipped) == [ELSEWHERE]
    skipped = [line for line in logs if line["event"] == "sweep.repository_skipped"]
    assert [line["repository"] for line in skipped] == [ELSEWHERE]
    assert "installed" in skipped[0]["reason"]
    assert UNIT not in dict(app_world.tracked(here.draft_id).left(app_world.template)).values()
    assert any(f"skipped {ELSEWHERE}" in line for line in report.lines(app_world.template))
    [digest] = app_world.digests()
    assert "Bound fills elsewhere" in message_text(digest)
    assert app_world.gh.installation_tokens(62)


def test_a_digest_across_repositories_names_each_issue_with_its_repository(
    app_world: World,
) -> None:
    """Two issues numbered 1 in two repositories read `acme/execution#1` and
    `acme/payments#1` in the digest and its notification text, never a bare `#1`."""
    execution = app_world.file(title="Bound cancel retries")
    payments = app_world.file(repository=PAYMENTS, title="Bound refund retries")
    assert execution.number == payments.number == 1
    app_world.sweep("2026-12-02T18:05")
    [digest] = app_world.digests()
    text = message_text(digest)
    assert f"<{execution.url}|acme/execution#1 Bound cancel retries>" in text
    assert f"<{payments.url}|acme/payments#1 Bound refund retries>" in text
    assert "|#1 " not in text
    assert "acme/execution#1 (15)" in (digest.text or "")
    assert "acme/payments#1 (15)" in (digest.text or "")


def test_status_across_repositories_names_each_issue_with_its_repository(
    app_world: World,
) -> None:
    """`/milestone status` over two repositories names `owner/repo#N` for each issue."""
    app_world.file(title="Bound cancel retries")
    app_world.file(repository=PAYMENTS, title="Bound refund retries")
    app_world.sweep("2026-12-01T18:05")
    with app_world.serving() as url:
        response = requests_for(url, app_world.slack).slash_command("status", user_id=ALICE)
        assert response.status == 200
        reply = wait_until(
            lambda: next(
                (
                    m
                    for m in app_world.slack.messages(RELIABILITY, viewer=ALICE)
                    if m.source == "response_url"
                ),
                None,
            ),
            what="the status reply",
        )
    text = message_text(reply)
    assert "acme/execution#1 Bound cancel retries" in text
    assert "acme/payments#1 Bound refund retries" in text
