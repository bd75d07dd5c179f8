"""Figure 1: ack latency of answer events at a fixed concurrency while Slack is slow.

Every event is a real answer in a real draft thread: drafts are started first, and the
events go round-robin over them (the k-th answer of every draft before the (k+1)-th of any),
so each draft's answers arrive in order and move it question by question. The load is sent
while the emulator takes `delay` seconds to answer each Web API call; the ack must not wait
for those calls. Afterwards the delay is lifted and the run waits for every answer's post,
to check that each event was a processed answer and not just an ack.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bench.drafting import answer_for
from bench.slack import Prepared, SlackSender, WatchedSlack


@dataclass
class AckRun:
    latencies: list[float] = field(default_factory=list)  # seconds, answered 200 only
    failures: int = 0  # non-200 answers and connection errors
    wall: float = 0.0  # from the first request to the last response
    posted_during: int = 0  # answers whose reply reached Slack before the last ack
    posted_after_drain: int = 0
    expected: int = 0
    server_cpu: float = 0.0  # seconds the server spent, from the first event to the drain


def run_ack_load(
    slack: WatchedSlack,
    port: int,
    threads: dict[str, str],
    *,
    events: int,
    concurrency: int,
    delay: float,
    first_number: int = 1,
    drain_timeout: float = 120.0,
) -> AckRun:
    """`events` answers over `threads` (user -> thread ts), `concurrency` at a time, with
    Slack answering each call after `delay` seconds; then every reply is waited for."""
    sender = SlackSender(port)
    users = list(threads)
    prepared: list[Prepared] = []
    for i in range(events):
        user = users[i % len(users)]
        number = first_number + i // len(users)
        prepared.append(
            sender.message_event(
                user, answer_for(number), ts=slack.next_ts(), thread_ts=threads[user]
            )
        )
    before = slack.thread_post_total()
    run = AckRun(expected=events)
    lock = threading.Lock()
    cursor = iter(range(events))
    deadline = time.monotonic() + 600  # bounded even if the server stalls

    def worker() -> None:
        try:
            while time.monotonic() < deadline:
                with lock:
                    index = next(cursor, None)
                if index is None:
                    return
                sent = sender.send(prepared[index])
                with lock:
                    if sent.status == 200:
                        run.latencies.append(sent.seconds)
                    else:
                        run.failures += 1
        finally:
            sender.close()

    slack.delay = delay
    started = time.perf_counter()
    workers = [
        threading.Thread(target=worker, name=f"load-{n}", daemon=True) for n in range(concurrency)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    run.wall = time.perf_counter() - started
    run.posted_during = slack.thread_post_total() - before
    slack.delay = 0.0
    done = slack.wait_for(lambda: slack.posts_in_threads() - before >= events, drain_timeout)
    run.posted_after_drain = slack.thread_post_total() - before
    if not done:
        run.posted_after_drain = min(run.posted_after_drain, events)
    return run
