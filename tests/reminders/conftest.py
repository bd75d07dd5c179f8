"""Fixtures for gate-reminder tests: both emulators and a world built on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.template import Template
from tests.conftest import FakeClock
from tests.emulators.app_keys import app_key_pair
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import SlackEmulator
from tests.reminders.harness import (
    APP_ID,
    BOT_LOGIN,
    ELSEWHERE,
    GITHUB_TOKEN,
    PAYMENTS,
    REPO,
    World,
    utc,
)


@pytest.fixture
def world_clock() -> FakeClock:
    """The one clock: the store's, the sweep's and GitHub's timestamps all read it."""
    # Monday 30 November 2026, 09:00 UTC: where every test starts unless it moves the clock.
    return FakeClock(utc("2026-11-30T09:00"))


@pytest.fixture
def gh(world_clock: FakeClock) -> Iterator[GitHubEmulator]:
    with GitHubEmulator(clock=world_clock) as emulator:
        emulator.add_user(BOT_LOGIN)
        emulator.add_token(GITHUB_TOKEN, BOT_LOGIN)
        emulator.add_repo(REPO, labels=["reliability", "execution"])
        yield emulator


@pytest.fixture
def world(
    slack: SlackEmulator,
    gh: GitHubEmulator,
    db_path: Path,
    template: Template,
    world_clock: FakeClock,
) -> World:
    return World(slack, gh, db_path, template, world_clock)


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    return app_key_pair()


@pytest.fixture
def app_world(world: World, app_key: tuple[str, str]) -> World:
    """The world's bot authenticated as a GitHub App installed twice in acme: once on
    acme/execution (61), once on acme/payments (62); acme/elsewhere has no installation."""
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
