"""Runs `milestone-bot serve` as a subprocess against the emulators, and waits on effects.

Waiting polls for an effect the bot must produce (a message in the emulator), bounded by a
deadline; nothing here sleeps to let a schedule pass.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.emulators.slack_api import ALICE, RELIABILITY, Message, SlackEmulator
from tests.emulators.slack_requests import SIGNING_SECRET, BotResponse, SlackRequests
from tests.emulators.socket_mode import SocketModeEmulator

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


def http_get(url: str) -> tuple[int, str]:
    """(status, body) of a GET, an HTTP error status included (the operator's routes)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_until(predicate: Callable[[], T], *, timeout: float = 20.0, what: str = "it") -> T:
    """The first truthy value of `predicate`, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def clean_environment() -> dict[str, str]:
    """The test process's environment without any Slack or GitHub setting of the developer's."""
    prefixes = ("SLACK_", "GITHUB_", "DATABASE_PATH", "TEMPLATE_PATH", "PORT")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@dataclass
class BotProcess:
    """`python -m bot serve` in its own process group, restartable, logs kept in a file.

    The first start asks for PORT=0 and reads the port gunicorn bound from the bot's
    `server.started` line; a restart binds that port again, so URLs stay valid.
    """

    workdir: Path
    env: dict[str, str]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / "bot.log"

    def start(self) -> BotProcess:
        env = {**self.env, "PORT": str(self.port)}
        log = self.log_path.open("ab")
        logged_before = log.tell()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=self.workdir,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        self.starts += 1
        self.port = wait_until(
            lambda: self._bound_port(logged_before), timeout=30, what="the bot's port"
        )
        wait_until(self._healthy, timeout=30, what="the bot's /healthz")
        return self

    def _bound_port(self, offset: int) -> int | None:
        """The port in this start's `server.started` line, once it is logged."""
        self._check_running()
        with self.log_path.open("rb") as log:
            log.seek(offset)
            for line in log.read().decode("utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict) and entry.get("event") == "server.started":
                    return int(entry["port"])
        return None

    def _check_running(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.logs()}")

    def _healthy(self) -> bool:
        self._check_running()
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def kill(self) -> None:
        """kill -9 of the whole process group: no chance to clean up."""
        self.stop(signal.SIGKILL)

    def restart(self) -> BotProcess:
        self.stop()
        return self.start()

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Author:
    """One person drafting through Slack: sends what they type, waits for the bot's reply."""

    slack: SlackEmulator
    requests: SlackRequests
    user: str = ALICE
    channel: str = RELIABILITY
    thread_ts: str | None = None

    def bot_replies(self) -> list[Message]:
        assert self.thread_ts is not None
        return [
            m
            for m in self.slack.messages(self.channel, self.thread_ts, viewer=self.user)
            if m.is_bot and m.ts != self.thread_ts
        ]

    def command(self, text: str = "", **kwargs: Any) -> BotResponse:
        response = self.requests.slash_command(
            text, user_id=self.user, channel_id=kwargs.pop("channel_id", self.channel), **kwargs
        )
        assert response.status == 200, response.body
        return response

    def start(self, text: str = "") -> list[Message]:
        """`/milestone [text]`; waits for the thread and its first question."""
        before = {m.ts for m in self.slack.bot_messages(self.channel)}
        self.command(text)
        root = wait_until(
            lambda: next(
                (m for m in self.slack.bot_messages(self.channel) if m.ts not in before), None
            ),
            what="the draft's root message",
        )
        self.thread_ts = root.ts
        return wait_until(self.bot_replies, what="the first question")

    def say(self, text: str, *, expect: str | None = None, **kwargs: Any) -> list[Message]:
        """Type `text` in the thread; the bot's new replies, once one contains `expect`."""
        seen = len(self.bot_replies())
        response = self.requests.message_event(
            text, user=self.user, channel=self.channel, thread_ts=self.thread_ts, **kwargs
        )
        assert response.status == 200, response.body
        return self.await_replies(seen, expect)

    def await_replies(self, seen: int, expect: str | None = None) -> list[Message]:
        def arrived() -> list[Message] | None:
            new = self.bot_replies()[seen:]
            if not new:
                return None
            if expect is None or any(expect in message_text(m) for m in new):
                return new
            return None

        return wait_until(arrived, what=f"a reply containing {expect!r}")

    def click(self, action_id: str, *, message: Message, **kwargs: Any) -> BotResponse:
        response = self.requests.block_action(
            action_id,
            user=self.user,
            channel=self.channel,
            message_ts=message.ts,
            thread_ts=self.thread_ts,
            **kwargs,
        )
        assert response.status == 200, response.body
        return response

    def transcript(self) -> str:
        return self.slack.transcript(self.channel, self.thread_ts)


def message_text(message: Message) -> str:
    """Everything a person reads in a message: its text and every block's text."""
    parts = [message.text or ""]
    for block in message.blocks or []:
        parts.append(_block_text(block))
    return "\n".join(parts)


def _block_text(node: Any) -> str:
    if isinstance(node, dict):
        return " ".join(
            _block_text(v) if k != "text" or not isinstance(v, str) else v for k, v in node.items()
        )
    if isinstance(node, list):
        return " ".join(_block_text(v) for v in node)
    return ""


def run_to_exit(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`milestone-bot <command>` run until it exits (one that refuses to start), its output
    captured."""
    return subprocess.run(
        [sys.executable, "-m", "bot", command],
        env={**env, "PYTHONPATH": str(ROOT)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def db_path(tmp_path: Path) -> Path:
    """Where an end-to-end bot keeps its database, under the test's own directory."""
    return tmp_path / "data" / "milestones.db"


def filing_settings(gh_url: str, token: str, repository: str) -> dict[str, str]:
    """A bot that files on the GitHub emulator at `gh_url`; the test runs the sweep itself."""
    return {
        "GITHUB_TOKEN": token,
        "GITHUB_REPOSITORY": repository,
        "GITHUB_API_URL": gh_url,
        "REMINDER_SWEEP_MINUTES": "0",
    }


def bot_environment(slack: SlackEmulator, db: Path, **extra: str) -> dict[str, str]:
    return {
        **clean_environment(),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_PATH": str(db),
        **extra,
    }


def socket_environment(
    slack: SlackEmulator, socket_mode: SocketModeEmulator, db: Path, **extra: str
) -> dict[str, str]:
    """`socket`'s settings: the bot and app-level tokens, and no signing secret (it needs none)."""
    env = bot_environment(slack, db, SLACK_APP_TOKEN=socket_mode.app_token, **extra)
    env.pop("SLACK_SIGNING_SECRET")
    return env


@dataclass
class SocketBotProcess(BotProcess):
    """`python -m bot socket` against a Socket Mode emulator: ready once it has connected."""

    socket_mode: SocketModeEmulator | None = None

    def start(self) -> SocketBotProcess:
        assert self.socket_mode is not None, "SocketBotProcess needs its socket_mode emulator"
        seen = max((c.number for c in self.socket_mode.connections()), default=0)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "socket"],
            cwd=self.workdir,
            env={**self.env, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        self.starts += 1
        wait_until(lambda: self._connected(seen), timeout=30, what="the bot's connection")
        return self

    def _connected(self, seen: int) -> bool:
        assert self.proc is not None and self.socket_mode is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.logs()}")
        live = self.socket_mode.live_connection()
        return live is not None and live.number > seen
