"""`milestone-bot serve` starts with good settings and refuses bad ones in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import bot_environment, clean_environment, run_to_exit
from tests.emulators.slack_api import SlackEmulator


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({}, "SLACK_BOT_TOKEN is not set"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "web"},
            "PORT is malformed",
        ),
    ],
)
def test_a_missing_or_malformed_setting_stops_serve_with_one_line(
    tmp_path: Path, settings: dict[str, str], named: str
) -> None:
    """Without the Slack settings serve exits 2 naming the variable, with no traceback."""
    done = run_to_exit("serve", {**clean_environment(), **settings}, tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(f"milestone-bot: {named}")
    assert "Traceback" not in done.stderr


def test_a_token_slack_refuses_stops_serve_with_one_line(tmp_path: Path) -> None:
    """A bot token that auth.test refuses is named, with where to find the right one."""
    with SlackEmulator() as slack:
        env = bot_environment(slack, tmp_path / "m.db", SLACK_BOT_TOKEN="xoxb-not-the-token")
        done = run_to_exit("serve", env, tmp_path)
    assert done.returncode == 2
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in done.stderr.splitlines()[-1]
    assert "Traceback" not in done.stderr


def test_both_oauth_settings_are_refused_rather_than_ignoring_the_bot_token(
    tmp_path: Path,
) -> None:
    """With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET set, Bolt would use OAuth: serve says so."""
    with SlackEmulator() as slack:
        env = bot_environment(
            slack, tmp_path / "m.db", SLACK_CLIENT_ID="1.2", SLACK_CLIENT_SECRET="abc"
        )
        done = run_to_exit("serve", env, tmp_path)
    assert done.returncode == 2
    assert "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set" in done.stderr
