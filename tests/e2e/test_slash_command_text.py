"""A slash command reaches its listener whatever its text holds.

Slack sends a slash command as a form; its text may contain `payload`, `type`, `=`, `&`,
JSON, URL-encoded text, emoji or 3,000 characters. `/milestone new <any title>` must start
a draft every time, over real signed HTTP to the real `milestone-bot serve`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.e2e.harness import BotProcess, bot_environment, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests

# Words and shapes that look like parts of a Slack request of another kind.
FRAGMENTS = st.sampled_from(
    [
        "payload",
        "payload=",
        "type",
        "type=block_actions",
        "=",
        "&",
        "&payload=%7B%7D",
        json.dumps({"type": "block_actions", "payload": {"x": 1}}),
        "%7B%22type%22%3A%22event_callback%22%7D",
        "a%20b+c",
        "🚀",
        "👩🏽‍💻",
        "{",
        "token=x",
        "command=/other",
    ]
)
# Any text a person can type (no lone surrogates: they are not characters at all).
TYPED = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
TITLES = st.lists(st.one_of(FRAGMENTS, TYPED), min_size=1, max_size=6).map(" ".join)


@pytest.fixture(scope="module")
def serving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotProcess, SlackRequests]]:
    """One emulator and one `serve` for every example."""
    workdir = tmp_path_factory.mktemp("slash-text")
    with SlackEmulator() as slack:
        bot = BotProcess(workdir, bot_environment(slack, workdir / "milestones.db"))
        bot.start()
        try:
            yield bot, SlackRequests(bot.url + "/slack/events", emulator=slack)
        finally:
            bot.stop()


def _drafts(db: Path) -> int:
    if not db.exists():
        return 0
    con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return int(con.execute("SELECT count(*) FROM drafts").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # not migrated yet
    finally:
        con.close()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(title="Validate payload size at the gateway")
@example(title="type=view_submission&payload={}")
@example(title="x" * 3000)
@given(title=TITLES)
def test_any_title_starts_a_draft(serving: tuple[BotProcess, SlackRequests], title: str) -> None:
    """`/milestone new <title>` is answered 200 and starts one draft, whatever the title."""
    bot, requests = serving
    db = Path(bot.env["DATABASE_PATH"])
    before = _drafts(db)
    response = requests.slash_command(f"new {title}")
    assert response.status == 200, (response.status, response.body, title)
    wait_until(lambda: _drafts(db) == before + 1, what=f"a draft for {title!r}")
