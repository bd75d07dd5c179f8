"""`python -m bench.interleaved [--rounds N] [--chunk K]`: figure 2's CPU ratio, both apps
seeing the same machine.

Figure 2 measures the bot and then the bare app, each for 10-20 s, and the machine's speed
drifts on that scale: single runs of its CPU ratio range over a third. Here both servers are
up at once and figure 2's closed loop (10 authors, Slack 0 ms) alternates between them in
chunks of K answers per author, the first app swapped every round. Each chunk's CPU is read
from `/proc` before and after, and the ratio is of the totals: whatever the machine does, it
does to both. Diagnostic only: the issue's targets are read from `python -m bench`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.closed_loop import run_closed_loop
from bench.run import Config, Lab, progress
from bench.slack import WatchedSlack, add_people, bench_users
from bench.stats import median, ratio

APPS = ("bot", "bare")


def measure(rounds: int, chunk: int) -> tuple[dict[str, float], list[float], dict[str, int]]:
    """(CPU seconds per app, each round's bot/bare ratio, answers per app)."""
    cpu = dict.fromkeys(APPS, 0.0)
    answers = dict.fromkeys(APPS, 0)
    per_round: list[float] = []
    with WatchedSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Config(), Path(tmp), slack)
        groups = {"bot": bench_users(10, "U0BL"), "bare": bench_users(10, "U0BX")}
        warm = bench_users(10, "U0BW")
        add_people(slack, [*groups["bot"], *groups["bare"], *warm])
        servers = {"bot": lab.bot("bot").start(), "bare": lab.bare("bare").start()}
        try:
            threads = {app: lab.threads_for(app, servers[app], groups[app]) for app in APPS}
            for app in APPS:
                warm_threads = lab.threads_for(app, servers[app], warm)
                run_closed_loop(
                    slack,
                    servers[app].port,
                    warm_threads,
                    answers=lab.config.warm_answers,
                    delay=0.0,
                    questions=app == "bot",
                )
            for k in range(rounds):
                progress(f"round {k + 1}/{rounds}")
                spent: dict[str, float] = {}
                for app in APPS if k % 2 == 0 else APPS[::-1]:
                    server = servers[app]
                    before = server.thread_cpu_seconds()
                    loop = run_closed_loop(
                        slack,
                        server.port,
                        threads[app],
                        answers=chunk,
                        delay=0.0,
                        questions=app == "bot",
                    )
                    spent[app] = server.thread_cpu_seconds() - before
                    cpu[app] += spent[app]
                    answers[app] += len(loop.latencies)
                per_round.append(ratio(spent["bot"], spent["bare"]))
        finally:
            for server in servers.values():
                server.stop()
    return cpu, per_round, answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interleaved", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="rounds of both apps (default 5)")
    parser.add_argument(
        "--chunk",
        type=int,
        default=3,
        help="answers per author per chunk (default 3; each "
        "bot author has 15 questions to answer, so rounds × chunk ≤ 15)",
    )
    args = parser.parse_args(argv)
    if args.rounds * args.chunk > 15:
        parser.error("rounds × chunk must be at most 15: each bot author has 15 questions")
    cpu, per_round, answers = measure(args.rounds, args.chunk)
    per_answer = {app: cpu[app] / max(answers[app], 1) * 1000 for app in APPS}
    print(
        f"Server CPU per answer, both servers up, figure 2's loop alternating in chunks of "
        f"{args.chunk} answers per author over {args.rounds} rounds:"
    )
    print(f"  milestone-bot {per_answer['bot']:.2f} ms over {answers['bot']} answers")
    print(f"  bare Bolt     {per_answer['bare']:.2f} ms over {answers['bare']} answers")
    print(
        f"  ratio of the totals {ratio(per_answer['bot'], per_answer['bare']):.2f}x; per round "
        f"{', '.join(f'{r:.2f}x' for r in per_round)} (median {median(per_round):.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
