"""Fixtures shared by every test module: a database path, the template, a clock, a store, the
Slack emulator, logging restored after a test configures it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog

import bot.log as log_module
from bot.storage.store import Store
from flows.template import Template, load_template
from tests.emulators.slack_api import SlackEmulator

START = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file path in a fresh directory; the file does not exist yet."""
    return tmp_path / "data" / "milestones.db"


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    """The Slack Web API emulator on 127.0.0.1, for one test."""
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture(scope="session")
def template() -> Template:
    """The bundled Reliability Milestone template."""
    return load_template()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[Store]:
    """A migrated store at `db_path` whose time is `clock`."""
    yield Store(db_path, clock=clock)


# The real bot as a subprocess against the emulators: `pytest -m "not e2e"` is the quick loop.
END_TO_END_FOLDERS = ("e2e", "adversarial")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e and tests/adversarial `e2e`."""
    for item in items:
        parts = item.path.relative_to(Path(__file__).parent).parts
        if parts and parts[0] in END_TO_END_FOLDERS:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def restored() -> Iterator[None]:
    """Whatever a test configures, the root logger, our sink, the libraries' levels,
    structlog and the secrets come back."""
    root = logging.getLogger()
    handlers, level, secrets = root.handlers[:], root.level, log_module._SECRETS[:]
    sink = log_module._Sink.handler
    levels = {name: logging.getLogger(name).level for name in log_module.LEVEL_TESTED}
    try:
        yield
    finally:
        structlog.reset_defaults()
        log_module.bind_correlation(None)
        logging.captureWarnings(False)
        root.handlers[:], root.level = handlers, level
        log_module._Sink.handler = sink
        for name, was in levels.items():
            logging.getLogger(name).setLevel(was)
        log_module._SECRETS[:] = secrets
