"""`milestone-bot serve` with reminders on: the in-process sweep and POST /github/webhook; and
the same webhook on `milestone-bot socket`'s PORT."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.store import Store
from flows.template import load_template
from tests.adversarial.support import log_events
from tests.e2e.harness import (
    BotProcess,
    SocketBotProcess,
    bot_environment,
    socket_environment,
    wait_until,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.github_webhooks import post_issues_event, sign_webhook
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import SocketModeEmulator
from tests.reminders.harness import BOT_LOGIN, GITHUB_TOKEN, REPO, WEBHOOK_SECRET, World

UNIT = "Added/updated unit tests for new behavior."


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        emulator.add_token(GITHUB_TOKEN, BOT_LOGIN)
        emulator.add_repo(REPO, labels=["reliability", "execution"])
        yield emulator


@pytest.fixture
def world(slack: SlackEmulator, gh: GitHubEmulator, tmp_path: Path) -> World:
    from tests.conftest import FakeClock

    clock = FakeClock()
    return World(slack, gh, tmp_path / "data" / "milestones.db", load_template(), clock)


def github_settings(world: World, minutes: str) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": world.gh.url,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "REMINDER_SWEEP_MINUTES": minutes,
    }


def serve(world: World, tmp_path: Path, minutes: str) -> BotProcess:
    env = bot_environment(world.slack, world.db, **github_settings(world, minutes))
    return BotProcess(tmp_path, env).start()


def takes_signed_webhooks_and_refuses_forged_ones(world: World, url: str) -> None:
    """A forged delivery to `url` is refused and changes nothing; GitHub's signed one is
    applied: the gate ticked on GitHub is settled in the store."""
    filed = world.file()
    world.tick(filed, UNIT)
    forged = post_issues_event(url, "wrong-secret", world.gh, REPO, filed.number)
    assert forged.status == 401
    with Store(world.db).session() as s:
        assert s.tracked.get(filed.draft_id) is None
    genuine = post_issues_event(url, WEBHOOK_SECRET, world.gh, REPO, filed.number)
    assert genuine.status == 200, genuine.response_body
    with Store(world.db).session() as s:
        issue = s.tracked.get(filed.draft_id)
    assert issue is not None and issue.gates[UNIT].settled
    signature = genuine.request_headers["X-Hub-Signature-256"]
    assert sign_webhook(WEBHOOK_SECRET, genuine.body) == signature


def test_serve_sweeps_in_process_and_starts_tracking_filed_issues(
    world: World, tmp_path: Path
) -> None:
    """With REMINDER_SWEEP_MINUTES set, serve's first sweep adopts a filed issue on its own."""
    filed = world.file()
    bot = serve(world, tmp_path, "5")
    try:

        def swept() -> bool:
            with Store(world.db).session() as s:
                tracked = s.tracked.get(filed.draft_id) is not None
            return tracked and bool(world.gh.requests_to("GET", f"/repos/{REPO}/issues"))

        wait_until(swept, what="the filed issue tracked and read by serve's sweep")
    finally:
        bot.stop()


def test_serve_takes_signed_webhooks_and_refuses_forged_ones(world: World, tmp_path: Path) -> None:
    """POST /github/webhook on the real server: 401 for a forged signature, 200 and applied
    for GitHub's signed delivery."""
    bot = serve(world, tmp_path, "0")
    try:
        takes_signed_webhooks_and_refuses_forged_ones(world, bot.url + "/github/webhook")
    finally:
        bot.stop()


def test_socket_takes_the_same_webhooks_on_its_port(
    world: World, tmp_path: Path, socket_mode: SocketModeEmulator
) -> None:
    """`socket` has no HTTP server for Slack, but with PORT set it serves GitHub's deliveries
    beside /healthz and /metrics, so its gates move when GitHub says, not at the next sweep."""
    env = socket_environment(
        world.slack, socket_mode, world.db, PORT="0", **github_settings(world, "0")
    )
    bot = SocketBotProcess(tmp_path, env, socket_mode=socket_mode).start()
    try:
        started = wait_until(
            lambda: log_events(bot, "server.started"), what="the server.started line"
        )
        url = f"http://127.0.0.1:{started[-1]['port']}/github/webhook"
        takes_signed_webhooks_and_refuses_forged_ones(world, url)
    finally:
        bot.stop()
