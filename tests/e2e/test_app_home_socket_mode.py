"""The App Home tests that click, run again over Socket Mode.

Here the bot is `milestone-bot socket` (GitHub set up for the gate controls) and `requests`
delivers `app_home_opened`, the Home's clicks and the modals' submissions as envelopes over
the WebSocket it opened: each test below is the HTTP test of the same name, unchanged. The
Home's refresh loop runs in this process too (an answer republishes the Home).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import SocketBotProcess, db_path, filing_settings, socket_environment
from tests.e2e.test_app_home import (  # noqa: F401 - the fixture and tests are collected here too
    GITHUB_TOKEN,
    REPO,
    gh,
    test_an_answer_in_the_thread_republishes_the_home,
    test_cancel_from_the_home_is_confirmed_and_leaves_the_list,
    test_gate_controls_on_the_home_settle_on_github_snooze_and_mute,
    test_new_milestone_from_the_home_starts_one_draft_in_the_chosen_channel,
    test_resume_from_the_home_links_the_thread_and_asks_again_there,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests


@pytest.fixture
def home_bot(
    tmp_path: Path,
    slack: SlackEmulator,
    socket_mode: SocketModeEmulator,
    gh: GitHubEmulator,  # noqa: F811 - the imported fixture, requested by name
) -> Iterator[SocketBotProcess]:
    """`milestone-bot socket`, settling gates on the GitHub emulator."""
    settings = filing_settings(gh.url, GITHUB_TOKEN, REPO)
    env = socket_environment(slack, socket_mode, db_path(tmp_path), **settings)
    process = SocketBotProcess(tmp_path, env, socket_mode=socket_mode)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def requests(home_bot: SocketBotProcess, socket_mode: SocketModeEmulator) -> SocketModeRequests:
    """The Home's events and clicks reach the bot as Socket Mode envelopes."""
    return SocketModeRequests(socket_mode)
