"""`python -m bench.paired OLD NEW [--rounds N]`: did a change make the bot cheaper per answer?

The bot is served from two source trees in turn (for example a `git worktree` of the commit
before and the checkout with the change), each run being figure 2's closed loop (10 authors,
Slack 0 ms, 15 answers each), the first tree swapped every round. Comparing the bot with itself
minutes apart keeps the bare app's own spread out of the answer; each round's pair of runs
sees nearly the same machine. Prints each tree's CPU per answer per round and the medians.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from bench.closed_loop import run_closed_loop
from bench.run import Config, Lab, progress
from bench.slack import WatchedSlack, add_people, bench_users
from bench.stats import median, percentile


def measure(trees: tuple[Path, Path], rounds: int) -> dict[Path, list[tuple[float, float]]]:
    """Per tree, each round's (CPU ms per answer, p50 latency ms)."""
    results: dict[Path, list[tuple[float, float]]] = {tree: [] for tree in trees}
    with WatchedSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        lab = Lab(Config(), Path(tmp), slack)
        authors, warm = bench_users(10, "U0BL"), bench_users(10, "U0BW")
        add_people(slack, [*authors, *warm])
        for k in range(rounds):
            for n, tree in enumerate(trees if k % 2 == 0 else trees[::-1]):
                progress(f"round {k + 1}/{rounds}: {tree}")
                slack.forget()
                server = lab.bot(f"r{k}-{n}", root=tree).start()
                try:
                    warm_threads = lab.threads_for("bot", server, warm)
                    run_closed_loop(
                        slack,
                        server.port,
                        warm_threads,
                        answers=lab.config.warm_answers,
                        delay=0.0,
                        questions=True,
                    )
                    threads = lab.threads_for("bot", server, authors)
                    before = server.thread_cpu_seconds()
                    loop = run_closed_loop(
                        slack, server.port, threads, answers=15, delay=0.0, questions=True
                    )
                    cpu = (server.thread_cpu_seconds() - before) / max(len(loop.latencies), 1)
                    p50 = percentile(loop.latencies, 50)
                    results[tree].append((cpu * 1000, p50 * 1000))
                finally:
                    server.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paired", description=__doc__)
    parser.add_argument("old", type=Path, help="the source tree before the change")
    parser.add_argument("new", type=Path, help="the source tree with the change")
    parser.add_argument("--rounds", type=int, default=6, help="rounds of both (default 6)")
    args = parser.parse_args(argv)
    trees = (args.old.resolve(), args.new.resolve())
    for tree in trees:
        if not (tree / "bot" / "__main__.py").is_file():
            parser.error(f"{tree} is not a milestone-bot source tree (no bot/__main__.py)")
    results = measure(trees, args.rounds)
    for label, tree in zip(("old", "new"), trees, strict=True):
        runs = results[tree]
        cpu = ", ".join(f"{c:.2f}" for c, _ in runs)
        print(
            f"{label} {tree}: CPU per answer median {median([c for c, _ in runs]):.2f} ms "
            f"({cpu}); p50 median {median([p for _, p in runs]):.1f} ms"
        )
    wins = sum(n[0] < o[0] for o, n in zip(results[trees[0]], results[trees[1]], strict=True))
    print(f"new cheaper than old in {wins} of {args.rounds} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
