"""Fixtures for the adversarial suite: the end-to-end ones (a Slack emulator, the bot as a
`milestone-bot serve` process, an author), a read-only view of the bot's database, and a
bot whose listeners run one at a time, so that a later request proves an earlier one done.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adversarial.support import StoreView, database_path
from tests.e2e.conftest import alice, bot, requests  # noqa: F401 - shared fixtures
from tests.e2e.harness import Author, BotProcess, bot_environment
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests


@pytest.fixture
def store_view(bot: BotProcess) -> StoreView:  # noqa: F811 - the imported fixture
    """The running bot's database, read-only."""
    return StoreView(database_path(bot))


@pytest.fixture
def serial_bot(tmp_path: Path, slack: SlackEmulator) -> Iterator[BotProcess]:
    """`milestone-bot serve` with one request thread and one listener thread.

    Listeners then run in the order their requests arrived, so the effect of a later
    request proves that an earlier one, which may have had no visible effect, was handled.
    """
    env = bot_environment(slack, tmp_path / "data" / "milestones.db", LISTENER_THREADS="1")
    process = BotProcess(tmp_path, env)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def serial_requests(serial_bot: BotProcess, slack: SlackEmulator) -> SlackRequests:
    return SlackRequests(serial_bot.url + "/slack/events", emulator=slack)


@pytest.fixture
def serial_alice(slack: SlackEmulator, serial_requests: SlackRequests) -> Author:
    return Author(slack, serial_requests)


@pytest.fixture
def serial_view(serial_bot: BotProcess) -> StoreView:
    return StoreView(database_path(serial_bot))
