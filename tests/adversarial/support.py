"""Tools for the adversarial suite: look at the bot's database from outside, run its command
line, read its log, build Slack requests without sending them, and read a body's structure.

The database is opened read-only (`mode=ro`), so looking never takes the write lock the bot
needs; the command line runs in this process (the same `main()` as the console script) to
keep the suite fast, or as a real `milestone-bot` process where that matters.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.runtime.cli import main as cli_main
from flows.draft import Draft
from flows.template import markdown_parser
from tests.e2e.harness import ROOT, Author, BotProcess, wait_until
from tests.emulators.slack_api import Message
from tests.emulators.slack_requests import BotResponse, SentRequest, SlackRequests

T = TypeVar("T")

TABLES = ("drafts", "journal", "processed", "message_answers")


def poll(
    predicate: Callable[[], T], *, timeout: float = 20.0, interval: float = 0.02, what: str = "it"
) -> T:
    """The first truthy value of `predicate`, polled every `interval` s until `timeout` s.

    tests/e2e/harness.wait_until with a settable interval: fifty threads polling the
    emulator every 20 ms would starve the bot of the two cores it runs on.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def start_draft(author: Author, text: str = "") -> Message:
    """`/milestone [text]`; the draft's root message, once its first question is in the thread.

    Unlike Author.start this looks for the root itself: a refusal sent through the
    command's response_url is a bot message in the channel too, posted before the root.
    """
    before = {m.ts for m in author.slack.bot_messages(author.channel)}
    author.command(text)
    root = wait_until(
        lambda: next(
            (
                m
                for m in author.slack.bot_messages(author.channel)
                if m.ts not in before and not m.is_ephemeral and "is drafting" in (m.text or "")
            ),
            None,
        ),
        what="the draft's root message",
    )
    author.thread_ts = root.ts
    wait_until(author.bot_replies, what="the first question")
    return root


def database_path(bot: BotProcess) -> Path:
    return Path(bot.env["DATABASE_PATH"])


@dataclass(frozen=True)
class StoreView:
    """The bot's SQLite file, read-only, one short connection per question."""

    path: Path

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        con = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True, timeout=30)
        con.row_factory = sqlite3.Row
        try:
            return list(con.execute(sql, params))
        finally:
            con.close()

    def counts(self) -> dict[str, int]:
        """Rows per table: equal before and after means nothing was stored."""
        return {t: int(self.rows(f"SELECT count(*) FROM {t}")[0][0]) for t in TABLES}

    def journal(self, draft_id: str | None = None) -> list[sqlite3.Row]:
        if draft_id is None:
            return self.rows("SELECT * FROM journal ORDER BY seq")
        return self.rows("SELECT * FROM journal WHERE draft_id = ? ORDER BY seq", (draft_id,))

    def journal_for(self, correlation_id: str) -> list[sqlite3.Row]:
        return self.rows(
            "SELECT * FROM journal WHERE correlation_id = ? ORDER BY seq", (correlation_id,)
        )

    def drafts(self) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM drafts ORDER BY created_at, id")

    def draft(self, draft_id: str) -> Draft:
        (row,) = self.rows("SELECT data FROM drafts WHERE id = ?", (draft_id,))
        return Draft.model_validate_json(row["data"])

    def draft_in_thread(self, thread_ts: str | None) -> Draft | None:
        found = self.rows("SELECT data FROM drafts WHERE thread_ts = ?", (thread_ts,))
        return Draft.model_validate_json(found[0]["data"]) if found else None


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str


def cli(db: Path, *args: str) -> CliResult:
    """`milestone-bot --db DB ARGS...`, run by its `main()` in this process (main thread only)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli_main(["--db", str(db), *args])
    return CliResult(code, out.getvalue(), err.getvalue())


def cli_process(db: Path, *args: str) -> CliResult:
    """`milestone-bot --db DB ARGS...` as its own process, exactly as an operator runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    return CliResult(done.returncode, done.stdout, done.stderr)


def replay_agrees(db: Path, draft_id: str) -> bool:
    """`milestone-bot replay ID` finds the journal and the stored draft in agreement."""
    result = cli(db, "replay", draft_id)
    assert result.code == 0, result.out + result.err
    return "agree" in result.out


def shown_issue(db: Path, draft_id: str) -> tuple[str, str]:
    """(title, body) as `milestone-bot show ID` prints them."""
    result = cli(db, "show", draft_id)
    assert result.code == 0, result.err
    title, _, body = result.out.partition("\n\n")
    return title, body


def log_events(bot: BotProcess, event: str | None = None, **match: Any) -> list[dict[str, Any]]:
    """The bot's JSON log lines, optionally only those of one event with matching fields."""
    found = []
    for line in bot.logs().splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if event is not None and entry.get("event") != event:
            continue
        if all(entry.get(k) == v for k, v in match.items()):
            found.append(entry)
    return found


class RequestBuilder(SlackRequests):
    """Builds each request exactly as SlackRequests sends it, and keeps it unsent.

    What the person did is still recorded in the emulator (a typed message, a slash
    command): the request is genuine, only its delivery is left to the test.
    """

    # One count for every builder, from far above where a SlackRequests counts from (1), so
    # their event ids and client message ids never collide with each other's or its own.
    _numbers_of_builders = itertools.count(50_000_000)

    def _number(self) -> int:
        return next(self._numbers_of_builders)

    def _send(self, request: SentRequest) -> BotResponse:
        self.sent.append(request)
        return BotResponse(0, {}, "", request)


def builder_for(requests: SlackRequests) -> RequestBuilder:
    return RequestBuilder(requests.url, emulator=requests.emulator)


def built_answer(requests: SlackRequests, author: Author, text: str) -> SentRequest:
    """`text` typed in the author's thread, as Slack would deliver it: built and signed, not
    yet delivered (`redeliver` does)."""
    build = builder_for(requests)
    build.message_event(text, user=author.user, channel=author.channel, thread_ts=author.thread_ts)
    return build.sent[-1]


def redeliver(requests: SlackRequests, sent: SentRequest, retry_num: int) -> BotResponse:
    """`sent` delivered as Slack's attempt `retry_num` (0: the first, no retry header)."""
    return requests.post(
        sent.body,
        sent.headers["Content-Type"],
        retry_num=retry_num,
        payload=sent.payload,
        kind=sent.kind,
    )


def post_raw(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, str]:
    """POST exactly these bytes with exactly these headers (none added, none signed)."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=15) as reply:
            return reply.status, reply.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@dataclass(frozen=True)
class Structure:
    """The Markdown structure of an issue body as GitHub reads it (CommonMark + task lists)."""

    headings: list[tuple[int, str]]
    boxes: int
    ticked: int
    html_blocks: list[str]
    html_inline: list[str]  # raw HTML inside text, task-list checkboxes left out
    fences: int
    blocks: list[tuple[str, str]]  # every block token (type, tag), in order


def structure(body: str) -> Structure:
    tokens = markdown_parser().parse(body)
    headings, html_inline = [], []
    boxes = ticked = 0
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            headings.append((int(token.tag[1:]), tokens[i + 1].content))
        if token.type != "inline":
            continue
        for n, child in enumerate(token.children or []):
            if child.type != "html_inline":
                continue
            if n == 0 and "task-list-item-checkbox" in child.content:
                boxes += 1
                ticked += 'checked="checked"' in child.content
            else:
                html_inline.append(child.content)
    return Structure(
        headings=headings,
        boxes=boxes,
        ticked=ticked,
        html_blocks=[t.content.strip() for t in tokens if t.type == "html_block"],
        html_inline=html_inline,
        fences=sum(1 for t in tokens if t.type in ("fence", "code_block")),
        blocks=[(t.type, t.tag) for t in tokens if t.type != "inline"],
    )


@contextmanager
def lock_held_by_another_process(db: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holds `BEGIN EXCLUSIVE` on the database until the block ends.

    What an operator's `sqlite3` shell left in a transaction, or a backup tool writing,
    looks like to the bot: every write waits out its busy timeout, then fails.
    """
    code = (
        "import sqlite3, sys\n"
        f"con = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "con.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"
        "con.execute('ROLLBACK')\n"
        "con.close()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        if holder.poll() is None:
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
        holder.wait(timeout=15)


@contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """The database file refuses writes, from every process, until the block ends.

    Tests run as root, which ignores file modes: there the file is made immutable
    (`chattr +i`, as after a botched restore or a filesystem remounted read-only); SQLite
    then opens it read-only and every write fails with SQLITE_READONLY. As another user,
    `chmod 0444` has the same effect. Skipped where neither is possible.
    """
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if shutil.which("chattr") is None:
        pytest.skip("cannot make the database read-only as root: chattr is not installed")
    # The WAL file too: a process that already has the database open writes there, and a
    # volume gone read-only refuses both.
    files = [str(p) for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
    made = subprocess.run(["chattr", "+i", *files], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot make the database read-only as root (chattr: {made.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *files], check=True)
