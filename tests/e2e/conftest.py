"""Fixtures for end-to-end tests: a Slack emulator, the bot as a process, an author."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import (
    Author,
    BotProcess,
    SocketBotProcess,
    bot_environment,
    db_path,
    socket_environment,
)
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests


@pytest.fixture
def bot(tmp_path: Path, slack: SlackEmulator) -> Iterator[BotProcess]:
    process = BotProcess(tmp_path, bot_environment(slack, db_path(tmp_path)))
    process.start()
    yield process
    process.stop()


@pytest.fixture
def requests(bot: BotProcess, slack: SlackEmulator) -> SlackRequests:
    return SlackRequests(bot.url + "/slack/events", emulator=slack)


@pytest.fixture
def alice(slack: SlackEmulator, requests: SlackRequests) -> Author:
    return Author(slack, requests)


# -- Socket Mode: the same bot, reached over a WebSocket it opens ---------------------------


@pytest.fixture
def socket_mode(slack: SlackEmulator) -> Iterator[SocketModeEmulator]:
    with SocketModeEmulator(slack) as emulator:
        yield emulator


@pytest.fixture
def socket_bot(
    tmp_path: Path, slack: SlackEmulator, socket_mode: SocketModeEmulator
) -> Iterator[SocketBotProcess]:
    """`milestone-bot socket` with only the bot and app-level tokens."""
    env = socket_environment(slack, socket_mode, db_path(tmp_path))
    process = SocketBotProcess(tmp_path, env, socket_mode=socket_mode)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def socket_requests(
    socket_bot: SocketBotProcess, socket_mode: SocketModeEmulator
) -> SocketModeRequests:
    return SocketModeRequests(socket_mode)


# -- Either transport: a test taking `transport_alice` runs once over HTTP, once over Socket Mode


@pytest.fixture(params=["http", "socket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def transport_bot(transport: str, request: pytest.FixtureRequest) -> BotProcess:
    return request.getfixturevalue("socket_bot" if transport == "socket" else "bot")


@pytest.fixture
def transport_requests(transport: str, request: pytest.FixtureRequest) -> SlackRequests:
    return request.getfixturevalue("socket_requests" if transport == "socket" else "requests")


@pytest.fixture
def transport_alice(slack: SlackEmulator, transport_requests: SlackRequests) -> Author:
    return Author(slack, transport_requests)
