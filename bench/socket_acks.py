"""Figure 1 over Socket Mode: ack latency of answer envelopes while Slack is slow.

The same load as figure 1 (answers round-robin over real draft threads, `concurrency` in
flight, the Slack emulator taking `delay` per Web API call), delivered as `events_api`
envelopes by the Socket Mode emulator (tests/emulators/socket_mode.py) to `milestone-bot
socket` and, in the same run, to `bench/bare_socket_app.py`. The ack is the envelope's
acknowledgement coming back over the WebSocket: latency is from handing the envelope to the
emulator to the ack being received. Drafts are started with `/milestone` over the socket.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bench.acks import AckRun
from bench.drafting import answer_for, fake_threads, start_drafts
from bench.processes import ROOT, clean_environment, cpu_seconds, python_module
from bench.slack import SlackSender, WatchedSlack, add_people, bench_users
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests

if TYPE_CHECKING:
    from bench.run import Lab


@dataclass
class SocketAckFigure:
    runs: dict[str, list[AckRun]] = field(default_factory=lambda: {"bot": [], "bare": []})


@contextmanager
def socket_app(
    app: str, sm: SocketModeEmulator, slack: WatchedSlack, workdir: Path, threads: int
) -> Iterator[subprocess.Popen[bytes]]:
    """The bot's `socket` command or the bare Socket Mode app, connected and ready."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **clean_environment(),
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": sm.app_token,
        "SLACK_API_URL": slack.url,
        "LISTENER_THREADS": str(threads),
        "DATABASE_PATH": str(workdir / "milestones.db"),
        "REMINDER_SWEEP_MINUTES": "0",
        "PYTHONPATH": str(ROOT),
    }
    argv = (
        python_module("bot", "socket") if app == "bot" else python_module("bench.bare_socket_app")
    )
    seen = max((c.number for c in sm.connections()), default=0)
    slack.forget()
    with (workdir / f"{app}.log").open("ab") as log:
        proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        sm.wait_for_connection(after=seen, timeout=60)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
        slack.forget()


def run_socket_acks(
    slack: WatchedSlack,
    sm: SocketModeEmulator,
    threads: dict[str, str],
    *,
    events: int,
    concurrency: int,
    delay: float,
    first_number: int = 1,
    drain_timeout: float = 120.0,
) -> AckRun:
    """`events` answer envelopes over `threads` (user -> thread ts), `concurrency` at a time,
    Slack answering each call after `delay`; then every reply is waited for."""
    envelopes = SlackSender(0)  # only to build the event payloads (never sends)
    users = list(threads)
    payloads = []
    for i in range(events):
        user = users[i % len(users)]
        text = answer_for(first_number + i // len(users))
        prepared = envelopes.message_event(user, text, ts=slack.next_ts(), thread_ts=threads[user])
        payloads.append(json.loads(prepared.body))
    before = slack.thread_post_total()
    run = AckRun(expected=events)
    lock = threading.Lock()
    cursor = iter(range(events))

    def worker() -> None:
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                return
            started = time.perf_counter()
            delivery = sm.deliver("events_api", payloads[index], timeout=30)
            seconds = time.perf_counter() - started
            with lock:
                if delivery.acked:
                    run.latencies.append(seconds)
                else:
                    run.failures += 1

    slack.delay = delay
    started = time.perf_counter()
    workers = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    run.wall = time.perf_counter() - started
    run.posted_during = slack.thread_post_total() - before
    slack.delay = 0.0
    slack.wait_for(lambda: slack.posts_in_threads() - before >= events, drain_timeout)
    run.posted_after_drain = min(slack.thread_post_total() - before, events)
    return run


def figure_socket_acks(lab: Lab) -> SocketAckFigure:
    """Figure 1's load over Socket Mode, both apps per run, in alternating order."""
    from bench.run import orders, progress

    config = lab.config
    users = bench_users(config.ack_drafts, "U0BS")
    add_people(lab.slack, users)
    result = SocketAckFigure()
    with SocketModeEmulator(lab.slack, ack_timeout=30) as sm:
        requests = SocketModeRequests(sm, timeout=30)
        for run, apps in orders(config.runs):
            for app in apps:
                progress(f"figure 1 over Socket Mode, run {run + 1}/{config.runs}: {app}")
                workdir = lab.workdir / f"socket-acks-{run}-{app}"
                with socket_app(app, sm, lab.slack, workdir, config.threads) as proc:
                    if app == "bot":
                        threads = start_drafts(lab.slack, "", users, requests=requests)
                    else:
                        threads = fake_threads(lab.slack, users)
                    load = {"concurrency": config.ack_concurrency}
                    run_socket_acks(lab.slack, sm, threads, events=len(threads), delay=0.0, **load)
                    cpu = cpu_seconds(proc.pid)
                    measured = run_socket_acks(
                        lab.slack,
                        sm,
                        threads,
                        events=config.ack_events,
                        delay=config.slow_slack,
                        first_number=2,
                        **load,
                    )
                    measured.server_cpu = cpu_seconds(proc.pid) - cpu
                    result.runs[app].append(measured)
    return result
