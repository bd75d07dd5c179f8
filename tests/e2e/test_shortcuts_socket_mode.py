"""The shortcut tests, run again over Socket Mode.

Here the bot is `milestone-bot socket` (the bot and app-level tokens, no signing secret,
GitHub set up for filing) and `requests` delivers the same shortcut and modal payloads as
`interactive` envelopes over the WebSocket it opened: each test below is the HTTP test of
the same name, unchanged, over the other transport.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import SocketBotProcess, db_path, filing_settings, socket_environment
from tests.e2e.test_shortcuts import (  # noqa: F401 - the fixture and tests are collected here too
    GITHUB_TOKEN,
    REPO,
    gh,
    test_a_channel_the_bot_cannot_post_in_moves_the_draft_to_a_dm_and_says_so,
    test_a_double_submit_starts_one_draft,
    test_a_message_becomes_a_draft_in_its_own_thread_and_files_with_the_link,
    test_the_global_shortcut_opens_the_new_milestone_modal,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests


@pytest.fixture
def filing_bot(
    tmp_path: Path,
    slack: SlackEmulator,
    socket_mode: SocketModeEmulator,
    gh: GitHubEmulator,  # noqa: F811 - the imported fixture, requested by name
) -> Iterator[SocketBotProcess]:
    """`milestone-bot socket`, filing on the GitHub emulator."""
    settings = filing_settings(gh.url, GITHUB_TOKEN, REPO)
    env = socket_environment(slack, socket_mode, db_path(tmp_path), **settings)
    process = SocketBotProcess(tmp_path, env, socket_mode=socket_mode)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def requests(filing_bot: SocketBotProcess, socket_mode: SocketModeEmulator) -> SocketModeRequests:
    """Shortcuts and modal submissions reach the bot as Socket Mode envelopes."""
    return SocketModeRequests(socket_mode)
