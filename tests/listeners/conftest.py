"""Listeners called directly, as Bolt would call them, with the services `serve` builds talking
HTTP to the Slack Web API emulator (no Bolt app, no mocks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import build_services
from bot.listeners.services import Services
from bot.settings import Settings
from tests.emulators.slack_api import BOT_TOKEN, SlackEmulator
from tests.emulators.slack_requests import SIGNING_SECRET


def settings_for(slack: SlackEmulator, db: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.url,
        "database_path": db,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def services(slack: SlackEmulator, db_path: Path) -> Services:
    client = WebClient(token=BOT_TOKEN, base_url=slack.url)
    return build_services(settings_for(slack, db_path), client=client)
