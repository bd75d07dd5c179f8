"""`serve` and `socket` configured by a `.env` file alone use the `.env`'s database.

The environment holds no Slack, GitHub or path setting; the working directory's `.env`
holds them all. (The terminal commands are in tests/test_dotenv_settings.py.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import ROOT, Author, BotProcess, clean_environment, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SIGNING_SECRET, SlackRequests


def write_dotenv(workdir: Path, slack: SlackEmulator, **extra: str) -> Path:
    """A `.env` with every setting the bot needs; the database it names."""
    db = workdir / "dotenv-data" / "milestones.db"
    values = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_PATH": str(db),
        **extra,
    }
    lines = "".join(f"{name}={value}\n" for name, value in values.items())
    (workdir / ".env").write_text(lines, encoding="utf-8")
    return db


def test_serve_drafts_in_the_dotenv_database(tmp_path: Path, slack: SlackEmulator) -> None:
    """`serve` with only a `.env` starts, and a draft lands in the `.env`'s database."""
    db = write_dotenv(tmp_path, slack)
    bot = BotProcess(tmp_path, clean_environment()).start()
    try:
        author = Author(slack, SlackRequests(bot.url + "/slack/events", emulator=slack))
        author.start("new Bound cancel retries")
        assert db.exists()
        assert not (tmp_path / "data" / "milestones.db").exists()
    finally:
        bot.stop()


def test_socket_opens_the_dotenv_database(tmp_path: Path, slack: SlackEmulator) -> None:
    """`socket` with only a `.env` opens the `.env`'s database before it connects."""
    db = write_dotenv(tmp_path, slack, SLACK_APP_TOKEN="xapp-1-A0TEST-1-dotenv")
    log = (tmp_path / "socket.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "socket"],
        cwd=tmp_path,
        env={**clean_environment(), "PYTHONPATH": str(ROOT)},
        stdout=log,
        stderr=log,
    )
    try:
        wait_until(lambda: db.exists() or proc.poll() is not None, what="the database")
        assert db.exists(), (tmp_path / "socket.log").read_text()
        assert not (tmp_path / "data" / "milestones.db").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
