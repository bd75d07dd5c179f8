"""Figure 2: answer to next question, with authors who answer as soon as they are asked.

Each author has a draft thread and sends its next answer the moment the bot's reply is in
Slack (observed through WatchedSlack, stamped when the emulator stored it). The latency of
one answer is from just before its event is written to the socket until the reply is stored.
For the bot the reply must be the next question; authors read its number and answer that
question, so a re-asked question counts as a rejection in the notes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from bench.drafting import answer_for, question_number
from bench.slack import SlackSender, WatchedSlack
from tests.emulators.slack_api import RELIABILITY


@dataclass
class LoopRun:
    latencies: list[float] = field(default_factory=list)
    rejected: int = 0  # the bot asked the same question again
    not_a_question: int = 0  # the reply was something else (the flow ended early)
    timeouts: int = 0
    failures: int = 0  # an answer event not acked with 200
    server_cpu: float = 0.0  # seconds the server spent during the loop


def run_closed_loop(
    slack: WatchedSlack,
    port: int,
    threads: dict[str, str],
    *,
    answers: int,
    delay: float,
    questions: bool,
    timeout: float = 30.0,
) -> LoopRun:
    """`answers` answers per author, all authors at once. `questions`: replies are the bot's
    numbered questions (the bot); otherwise any reply counts (the bare app)."""
    sender = SlackSender(port)
    run = LoopRun()
    lock = threading.Lock()

    def author(user: str) -> None:
        thread_ts = threads[user]
        number = 1
        if questions:
            asked = slack.wait_for(lambda: slack.thread_posts(RELIABILITY, thread_ts), 5)
            found = question_number(asked[-1].text) if asked else None
            number = found[0] if found else 1
        try:
            for k in range(answers):
                text = answer_for(number if questions else k + 1)
                request = sender.message_event(user, text, ts=slack.next_ts(), thread_ts=thread_ts)
                seen = slack.count_in_thread(RELIABILITY, thread_ts)
                sent = sender.send(request)
                if sent.status != 200:
                    with lock:
                        run.failures += 1
                    return
                posts = slack.wait_for(
                    lambda seen=seen: slack.thread_posts(RELIABILITY, thread_ts)[seen:], timeout
                )
                if not posts:
                    with lock:
                        run.timeouts += 1
                    return
                reply = posts[0]
                with lock:
                    run.latencies.append(reply.at - sent.started)
                if not questions:
                    continue
                found = question_number(reply.text)
                if found is None:
                    with lock:
                        run.not_a_question += 1
                    return
                if found[0] == number:
                    with lock:
                        run.rejected += 1
                number = found[0]
        finally:
            sender.close()

    slack.delay = delay
    workers = [
        threading.Thread(target=author, args=(user,), name=f"author-{user}", daemon=True)
        for user in threads
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    slack.delay = 0.0
    return run
