"""`python -m bench.instructions [--rounds N] [TREE ...]`: instructions per answer, counted by
valgrind, for the bot (from each source TREE; this checkout if none) and for the bare app.

Timings on this machine move by a third from one run to the next, which hides any change
smaller than that. A count of the instructions executed moves by a fifth of a percent.
Each app runs in one process under `valgrind --tool=callgrind`. Flask's test client posts
figure 2's answers to it: 10 authors, one round to warm up, then N rounds counted (by default
questions 2 to 15, as figure 2 asks them). The listener runs in the request's thread, and
only that thread is counted, from the first counted answer to the last; the Slack emulator
answers from threads of its own. An instruction is not a unit of time (a cache miss, a
system call or a lock handed over costs more than its count), and there is no gunicorn here,
so this tells which of two versions of the code does less work, and where. The issue's
targets are read from `python -m bench`. Needs valgrind (`callgrind_control` switches the
count on and off).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from bench.processes import ROOT, clean_environment, python_module
from bench.run import Config

AUTHORS = 10
ANSWERS = Config().loop_answers  # each author's, questions 1 to 15 as in figure 2


class _Inline:
    """An executor that runs each task at once in the caller's thread: the listener's work is
    then counted with the request's."""

    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future, as a pool does
            future.set_exception(exc)
        return future

    def shutdown(self, *_: Any, **__: Any) -> None:
        pass


def _counting(on: bool) -> None:
    switch = "on" if on else "off"
    subprocess.run(
        ["callgrind_control", "-i", switch, str(os.getpid())], capture_output=True, check=True
    )


def _import_from(tree: Path) -> None:
    """Make `bot` and `flows` import from `tree`. The benchmark's own modules came from ROOT
    and imported parts of both already (its seeding and its reminders' lab): those are
    forgotten, or every tree would be measured as ROOT's code."""
    for name in [m for m in sys.modules if m.partition(".")[0] in ("bot", "flows")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    import bot

    if Path(bot.__file__ or "").resolve().parent.parent != tree.resolve():
        raise RuntimeError(f"bot imported from {bot.__file__}, not from {tree}")


def _inside(app: str, rounds: int, tree: Path, *, cold: bool) -> None:
    """In the process valgrind runs: serve `app`, warm it, count `rounds` rounds of answers."""
    _import_from(tree)
    from bench.drafting import answer_for, question_number, start_drafts
    from bench.slack import SlackSender, WatchedSlack, add_people, bench_users
    from tests.emulators.slack_api import RELIABILITY
    from tests.emulators.slack_requests import SIGNING_SECRET

    with WatchedSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        warm, counted = bench_users(AUTHORS, "U0BW"), bench_users(AUTHORS, "U0BI")
        add_people(slack, [*warm, *counted])
        sender = SlackSender(1)  # only signs the requests; the test client posts them
        if app == "bot":
            web, port = _bot(slack.url, slack.bot_token, SIGNING_SECRET, Path(tmp))
            url = f"http://127.0.0.1:{port}/slack/events"

            def start(users: list[str]) -> dict[str, str]:
                return start_drafts(slack, url, users)
        else:
            web = _bare(slack.url, slack.bot_token, SIGNING_SECRET)

            def start(users: list[str]) -> dict[str, str]:
                return {user: slack.next_ts() for user in users}

        client = web.test_client()

        def answer(threads: dict[str, str], number: int) -> None:
            for user, thread_ts in threads.items():
                text = answer_for(number) if app == "bot" else "m3"
                request = sender.message_event(user, text, ts=slack.next_ts(), thread_ts=thread_ts)
                response = client.post("/slack/events", data=request.body, headers=request.headers)
                assert response.status_code == 200, response.status_code

        if not cold:
            # Each question asked and answered once before the count, as in a server that
            # has asked it before: its one-time work (its Block Kit, its answers' validators,
            # what the caches keep) is not an answer's.
            warm_threads = start(warm)
            for number in range(1, ANSWERS + 1):
                answer(warm_threads, number)
        threads = start(counted)
        answer(threads, 1)
        # As `serve` does once its app is built (bot.runtime.heap): without it a collection
        # of the whole start-up heap falls inside the count in some runs and not others.
        gc.collect()
        gc.freeze()
        _counting(True)
        for number in range(2, 2 + rounds):
            answer(threads, number)
        _counting(False)
        if app == "bot":  # every answer was taken: each author is asked the next question
            for thread_ts in threads.values():
                found = question_number(slack.thread_posts(RELIABILITY, thread_ts)[-1].text)
                assert found is not None and found[0] == 2 + rounds, found
        print(f"measured {rounds * len(threads)} answers")


def _bot(api_url: str, token: str, secret: str, tmp: Path) -> tuple[Any, int]:
    """The bot's Flask app, its listeners inline, also served on a port for `/milestone`."""
    os.environ.update(
        SLACK_BOT_TOKEN=token,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=api_url,
        DATABASE_PATH=str(tmp / "bench.db"),
        REMINDER_SWEEP_MINUTES="0",
    )
    from werkzeug.serving import make_server

    import bot.app
    from bot.log import configure_logging
    from bot.runtime.metrics import Metrics
    from bot.runtime.serve import settings_from
    from bot.runtime.server import create_web_app

    bot.app.ContextExecutor = _Inline  # type: ignore[attr-defined,assignment]
    metrics = Metrics()  # as `serve` has it: every event counted
    configure_logging(
        stream=(tmp / "bot.log").open("a", encoding="utf-8"), observers=[metrics.processor]
    )
    settings = settings_from(argparse.Namespace())
    services = bot.app.build_services(settings)
    web = create_web_app(
        bot.app.create_app(settings, services),
        services.store,
        signing_secret=secret,
        metrics=metrics,
    )
    server = make_server("127.0.0.1", 0, web, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return web, int(server.port)


def _bare(api_url: str, token: str, secret: str) -> Any:
    import bench.bare_app as bare

    bare.ThreadPoolExecutor = _Inline  # type: ignore[attr-defined,assignment]
    return bare.build_web(bare.build_app(token, secret, api_url, 1))


def count(
    app: str, tree: Path, rounds: int, *, cold: bool = False, keep: Path | None = None
) -> tuple[float, int]:
    """(instructions per answer in the app's thread, answers counted); with `keep`, the
    counted thread's callgrind file is copied there for `callgrind_annotate`."""
    with tempfile.TemporaryDirectory() as out:
        argv = [
            "valgrind",
            "--tool=callgrind",
            "--separate-threads=yes",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}/callgrind.out",
            *python_module("bench.instructions", "--inside", app, "--rounds", str(rounds)),
            *(["--cold"] if cold else []),
            "--tree",
            str(tree),
        ]
        env = {**clean_environment(), "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
        measured = re.search(r"measured (\d+) answers", done.stdout)
        if done.returncode != 0 or measured is None:
            raise RuntimeError(f"{app} from {tree} failed:\n{done.stdout}\n{done.stderr[-3000:]}")
        counted = Path(out) / "callgrind.out-01"
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            name = app if app == "bare" else f"bot-{tree.name}"
            shutil.copy(counted, keep / f"callgrind.{name}")
        totals = counted.read_text()
        instructions = int(re.search(r"^totals: (\d+)", totals, re.MULTILINE)[1])  # type: ignore[index]
        answers = int(measured[1])
        return instructions / answers, answers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("trees", nargs="*", type=Path, help="source trees of the bot")
    parser.add_argument(
        "--rounds",
        type=int,
        default=ANSWERS - 1,
        help=f"answers per author counted (default {ANSWERS - 1}: questions 2 to {ANSWERS})",
    )
    parser.add_argument(
        "--cold",
        action="store_true",
        help="count each question's first asking too (no author goes through the flow first)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="keep each counted thread's callgrind file in DIR (read it with callgrind_annotate)",
    )
    parser.add_argument("--inside", choices=("bot", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        _inside(args.inside, args.rounds, args.tree, cold=args.cold)
        return 0
    if not 1 <= args.rounds <= ANSWERS - 1:
        parser.error(f"--rounds must be 1 to {ANSWERS - 1}: the first answer warms up")
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    bare, _ = count("bare", ROOT, args.rounds, cold=args.cold, keep=args.keep)
    print(f"bare Bolt: {bare / 1e6:.3f} M instructions per answer")
    for tree in [t.resolve() for t in args.trees] or [ROOT]:
        bot, answers = count("bot", tree, args.rounds, cold=args.cold, keep=args.keep)
        print(
            f"milestone-bot ({tree}): {bot / 1e6:.3f} M instructions per answer, "
            f"{bot / bare:.2f}x the bare app's ({answers} answers)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
