"""Every line `serve` writes is one JSON object with the same fields, whatever happens.

The bot serves a draft, an event no listener handles (Bolt's own "Unhandled request" line),
a listener that fails (the global error handler), a refused GitHub webhook and a bad
signature; then every line of its stdout and stderr must parse as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    ROOT,
    Author,
    BotProcess,
    bot_environment,
    wait_until,
)
from tests.emulators.github_webhooks import post_webhook
from tests.emulators.slack_api import ALICE, RELIABILITY, SlackEmulator
from tests.emulators.slack_requests import SlackRequests

FIELDS = {"event", "level", "logger", "timestamp"}


@pytest.fixture
def split_bot(tmp_path: Path, slack: SlackEmulator) -> Iterator[tuple[BotProcess, Path, Path]]:
    """`serve` with stdout and stderr in two files, the port read from its log."""
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = {**bot_environment(slack, tmp_path / "data" / "milestones.db"), "PORT": "0"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=tmp_path,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    bot = BotProcess(tmp_path, env)
    bot.proc = proc
    try:
        started = wait_until(lambda: _event(err, "server.started"), what="server.started")
        bot.port = int(started["port"])
        yield bot, out, err
    finally:
        bot.stop()


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _entries(path: Path) -> list[dict[str, Any]]:
    found = []
    for line in _lines(path):
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def _event(path: Path, name: str) -> dict[str, Any] | None:
    return next((e for e in _entries(path) if e.get("event") == name), None)


def test_every_line_serve_writes_is_json(
    split_bot: tuple[BotProcess, Path, Path], slack: SlackEmulator
) -> None:
    """Requests of every kind, a failure included: each stdout and stderr line is JSON."""
    bot, out, err = split_bot
    requests = SlackRequests(bot.url + "/slack/events", emulator=slack)
    alice = Author(slack, requests)
    alice.start("new Bound cancel retries")
    alice.say("m2")
    unhandled = requests.send_event({"type": "reaction_added", "user": ALICE, "reaction": "+1"})
    assert unhandled.status == 404
    fields = {
        "command": "/milestone",
        "text": "new Broken",
        "user_id": ALICE,
        "team_id": requests.team_id,
        "response_url": requests.response_url(RELIABILITY, ALICE),
        "trigger_id": requests.trigger_id(),
    }  # no channel_id: the command listener fails on it
    assert requests.send_form(fields).status == 200
    assert post_webhook(bot.url + "/github/webhook", "x", "issues", {}).status == 401
    forged = requests.post(b"{}", "application/json", headers={"X-Slack-Signature": "v0=forged"})
    assert forged.status == 401
    wait_until(lambda: _event(err, "listener.failed"), what="listener.failed")
    told = wait_until(
        lambda: [
            m
            for m in slack.messages(RELIABILITY, viewer=ALICE)
            if "Something went wrong" in (m.text or "")
        ],
        what="the failure notice",
    )
    bot.stop()
    assert len(told) == 1
    lines = _lines(out) + _lines(err)
    for line in lines:
        entry = json.loads(line)  # raises on a line that is not JSON
        assert isinstance(entry, dict) and entry.keys() >= FIELDS, line
    events = [json.loads(line) for line in lines]
    assert any("Unhandled request" in e["event"] for e in events)
    failed = next(e for e in events if e["event"] == "listener.failed")
    assert "KeyError" in failed["exception"] and failed["correlation_id"] == fields["trigger_id"]
    assert not any("As you gave `client`" in e["event"] for e in events)
