"""The sweep across repositories with GitHub App auth: each repository read with its own
installation, and one the App isn't installed on skipped (said once) while the others are
swept and their digests sent. The GitHub emulator issues the installations' tokens."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from tests.e2e.harness import message_text
from tests.emulators.app_keys import app_key_pair
from tests.reminders.harness import REPO, World

APP_ID = 5252
PAYMENTS = "acme/payments"
ELSEWHERE = "acme/elsewhere"  # the App is not installed here
UNIT = "Added/updated unit tests for new behavior."


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    return app_key_pair()


@pytest.fixture
def app_world(world: World, app_key: tuple[str, str]) -> World:
    """The world's bot authenticated as a GitHub App installed twice in acme: once on
    acme/execution, once on acme/payments; acme/elsewhere has no installation."""
    gh = world.gh
    gh.add_app(APP_ID, "milestone-bot", public_key_pem=app_key[1])
    gh.add_repo(PAYMENTS, labels=["reliability", "execution"])
    gh.add_repo(ELSEWHERE, labels=["reliability", "execution"])
    gh.add_installation(61, APP_ID, "acme", repositories=[REPO])
    gh.add_installation(62, APP_ID, "acme", repositories=[PAYMENTS])
    world.overrides.update(
        github_token=None, github_app_id=APP_ID, github_app_private_key=app_key[0]
    )
    world.restart()
    return world


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
