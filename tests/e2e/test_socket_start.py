"""`milestone-bot socket` needs only the bot and app-level tokens, and refuses bad ones in one
line, as `serve` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import (
    SocketBotProcess,
    clean_environment,
    run_to_exit,
    socket_environment,
    wait_until,
)
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import APP_TOKEN, SocketModeEmulator

BOT_TOKEN = "xoxb-1-2-socket"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_APP_TOKEN": APP_TOKEN}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": BOT_TOKEN}, "SLACK_APP_TOKEN is not set"),
        (
            {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": BOT_TOKEN},
            "SLACK_APP_TOKEN is malformed",
        ),
        (
            {"SLACK_BOT_TOKEN": "xapp-1-2", "SLACK_APP_TOKEN": APP_TOKEN},
            "SLACK_BOT_TOKEN is malformed",
        ),
    ],
)
def test_a_missing_or_malformed_token_stops_socket_with_one_line(
    tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    """Without both tokens, or with one of the wrong kind, socket exits 2 naming it."""
    done = run_to_exit("socket", {**clean_environment(), **settings}, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"milestone-bot: {named}")
    assert "Traceback" not in done.stderr


def test_an_app_token_slack_refuses_stops_socket_with_one_line(tmp_path: Path) -> None:
    """An app-level token apps.connections.open refuses is named, with where to make one."""
    with SlackEmulator() as slack, SocketModeEmulator(slack) as socket_mode:
        env = socket_environment(slack, socket_mode, tmp_path / "m.db")
        done = run_to_exit(
            "socket", {**env, "SLACK_APP_TOKEN": "xapp-1-A0MSAPP001-revoked"}, tmp_path
        )
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("milestone-bot: Slack refused SLACK_APP_TOKEN (invalid_auth)")
    assert "connections:write" in last
    assert "Traceback" not in done.stderr


def test_socket_starts_without_a_signing_secret(
    tmp_path: Path, slack: SlackEmulator, socket_mode: SocketModeEmulator
) -> None:
    """With only SLACK_BOT_TOKEN and SLACK_APP_TOKEN set, socket connects and says so."""
    env = socket_environment(slack, socket_mode, tmp_path / "m.db")
    assert "SLACK_SIGNING_SECRET" not in env
    bot = SocketBotProcess(tmp_path, env, socket_mode=socket_mode).start()
    try:
        assert [c.method for c in slack.calls()][:2] == ["auth.test", "apps.connections.open"]
        wait_until(lambda: '"event": "socket.connected"' in bot.logs(), what="socket.connected")
    finally:
        bot.stop()
    assert "Traceback" not in bot.logs()
