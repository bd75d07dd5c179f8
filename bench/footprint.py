"""Figure 4: the serve process's peak memory with a large database, and listing one author's
drafts among them.

The database is seeded once (bench/seeding.py) and copied for each run. Each run starts
`milestone-bot serve` on it, puts it to work (every author of the drafting loop drafts a
whole milestone while others run `/milestone drafts`), then reads VmHWM of the gunicorn
master and worker from /proc. Listing is timed three ways: the `milestone-bot drafts
--author` command as a subprocess (interpreter start included), s.drafts.summaries in this
process (the query both the CLI and Slack run), and `/milestone drafts` in Slack from the
command to the reply landing on its response_url.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.closed_loop import LoopRun, run_closed_loop
from bench.drafting import start_drafts
from bench.slack import WatchedSlack
from bot.storage.store import Store
from tests.emulators.slack_api import RELIABILITY
from tests.emulators.slack_requests import SlackRequests

LIST_REPEATS = 20  # in-process listings per run (their median is the run's figure)
CLI_REPEATS = 3  # CLI subprocesses per run


@dataclass
class FootprintRun:
    worker_kib: int | None = None
    master_kib: int | None = None
    workers: int = 0
    store_list_seconds: float = float("nan")
    cli_list_seconds: float = float("nan")
    slack_list_seconds: list[float] = field(default_factory=list)
    listed: int = 0  # rows the author's listing returned
    loop: LoopRun | None = None
    cli_failures: int = 0


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so copying the file copies every draft."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_database(seeded: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seeded, target)
    return target


def cli_command() -> list[str]:
    """The `milestone-bot` console script beside this interpreter, or `python -m bot`."""
    script = Path(sys.executable).with_name("milestone-bot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def time_store_listing(db: Path, author: str, repeats: int = LIST_REPEATS) -> tuple[float, int]:
    """Median seconds of one `s.drafts.summaries(author)` in its own session; rows listed."""
    store = Store(db)
    times: list[float] = []
    rows = 0
    for _ in range(repeats):
        started = time.perf_counter()
        with store.session() as s:
            rows = len(s.drafts.summaries(author))
        times.append(time.perf_counter() - started)
    return statistics.median(times), rows


def time_cli_listing(
    db: Path, author: str, env: dict[str, str], workdir: Path, repeats: int = CLI_REPEATS
) -> tuple[float, int]:
    """Median wall seconds of `milestone-bot drafts --author`, and how many runs failed."""
    times: list[float] = []
    failures = 0
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(
            [*cli_command(), "--db", str(db), "drafts", "--author", author],
            cwd=workdir,
            env=env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0 or author not in done.stdout.decode(errors="replace"):
            failures += 1
    return statistics.median(times), failures


def slack_listings(
    slack: WatchedSlack, url: str, authors: list[str], timeout: float = 30
) -> list[float]:
    """Seconds from each `/milestone drafts` to its reply on the response_url."""
    requests = SlackRequests(url, emulator=slack, timeout=30)
    times: list[float] = []
    for author in authors:
        seen = slack.response_count(author)
        started = time.perf_counter()
        response = requests.slash_command("drafts", user_id=author, channel_id=RELIABILITY)
        if response.status != 200:
            continue
        reply = slack.wait_for(lambda a=author, n=seen: slack.responses_to(a)[n:], timeout)
        if reply:
            times.append(reply[0].at - started)
    return times


def exercise(
    slack: WatchedSlack,
    url: str,
    port: int,
    drafting: list[str],
    listing: list[str],
    answers: int,
) -> tuple[LoopRun, list[float]]:
    """Drafting authors answer a whole draft while, beside them, others list their drafts."""
    threads = start_drafts(slack, url + "/slack/events", drafting)
    listed: list[float] = []
    lister = threading.Thread(
        target=lambda: listed.extend(slack_listings(slack, url + "/slack/events", listing)),
        name="lister",
        daemon=True,
    )
    lister.start()
    loop = run_closed_loop(slack, port, threads, answers=answers, delay=0.0, questions=True)
    lister.join(timeout=300)
    return loop, listed
