"""Fixtures for end-to-end tests: a Slack emulator, the bot as a process, an author."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import Author, BotProcess, bot_environment
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def bot(tmp_path: Path, slack: SlackEmulator) -> Iterator[BotProcess]:
    process = BotProcess(tmp_path, bot_environment(slack, tmp_path / "data" / "milestones.db"))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def requests(bot: BotProcess, slack: SlackEmulator) -> SlackRequests:
    return SlackRequests(bot.url + "/slack/events", emulator=slack)


@pytest.fixture
def alice(slack: SlackEmulator, requests: SlackRequests) -> Author:
    return Author(slack, requests)
