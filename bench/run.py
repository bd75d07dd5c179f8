"""`python -m bench [--runs N] [--quick]`: run every figure and print the table.

Each figure is measured in every run; the table shows the median over runs, and each ratio
is the median of the per-run ratios (the bot and the bare app measured in the same run, in
alternating order). Progress goes to stderr; the table and its notes go to stdout.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bench import cli_start, machine, reminders, socket_acks
from bench.acks import AckRun, run_ack_load
from bench.closed_loop import LoopRun, run_closed_loop
from bench.drafting import fake_threads, start_drafts
from bench.footprint import (
    FootprintRun,
    checkpoint,
    copy_database,
    exercise,
    time_cli_listing,
    time_store_listing,
)
from bench.processes import ROOT, ServerProcess, clean_environment, python_module, vm_hwm_kib
from bench.rows import ack_rows, cli_rows, footprint_rows, loop_rows, notes, sweep_rows
from bench.seeding import Seeded, seed_drafts
from bench.slack import WatchedSlack, add_people, bench_users
from bench.table import Row, render
from tests.emulators.slack_requests import SIGNING_SECRET

DEFAULT_RUNS = 5
MB = 1_000_000


@dataclass(frozen=True)
class Config:
    runs: int = DEFAULT_RUNS
    quick: bool = False
    ack_events: int = 1000
    ack_drafts: int = 200  # the events go round-robin over this many draft threads
    ack_concurrency: int = 20
    slow_slack: float = 0.3  # seconds the emulator takes per call, for "Slack at 300 ms"
    loop_authors: int = 10
    loop_answers: int = 15  # question 1 to question 16
    warm_authors: int = 10  # draft before each measured loop, not measured
    # Each question asked once before the loop is measured, as in a server that has asked it
    # before: building a question's Block Kit or its answers' validators is done once per
    # process, not per answer.
    warm_answers: int = 15
    sweep_issues: int = 1000
    sweep_changed: int = 10
    sweep_authors: int = 100
    drafts: int = 10_000
    draft_authors: int = 200
    listing_authors: int = 20  # run `/milestone drafts` during the footprint exercise
    threads: int = 16  # gunicorn threads and Bolt listener pool, both apps
    profile: Path | None = None  # --profile DIR: each server under py-spy, stacks in DIR

    @classmethod
    def smoke(cls, runs: int) -> Config:
        return cls(
            runs=runs,
            quick=True,
            ack_events=200,
            ack_drafts=40,
            loop_answers=5,
            warm_authors=3,
            warm_answers=5,
            sweep_issues=200,
            sweep_authors=20,
            drafts=1000,
            listing_authors=5,
        )


# ----- process management ----------------------------------------------------------------


class Lab:
    """The emulator, the work directory, and the servers started for one benchmark."""

    def __init__(self, config: Config, workdir: Path, slack: WatchedSlack) -> None:
        self.config = config
        self.workdir = workdir
        self.slack = slack

    def _env(self, **extra: str) -> dict[str, str]:
        return {
            **clean_environment(),
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack.url,
            "LISTENER_THREADS": str(self.config.threads),
            **extra,
        }

    def bot(self, name: str, db: Path | None = None, root: Path = ROOT) -> ServerProcess:
        workdir = self.workdir / name
        database = db or workdir / "milestones.db"
        env = self._env(
            DATABASE_PATH=str(database),
            # The in-process sweep would nudge and archive the seeded drafts (their dates are
            # fixed in the past) and is measured on its own in figure 3.
            REMINDER_SWEEP_MINUTES="0",
        )
        argv = python_module("bot", "serve")
        return ServerProcess("milestone-bot", argv, workdir, env, self._profile(name), root)

    def bare(self, name: str) -> ServerProcess:
        argv = python_module("bench.bare_app")
        return ServerProcess(
            "bare-bolt", argv, self.workdir / name, self._env(), self._profile(name)
        )

    def _profile(self, name: str) -> Path | None:
        return self.config.profile / f"{name}.txt" if self.config.profile else None

    @contextmanager
    def serving(self, app: str, name: str, db: Path | None = None) -> Iterator[ServerProcess]:
        self.slack.forget()
        server = self.bot(name, db) if app == "bot" else self.bare(name)
        server.start()
        try:
            yield server
        finally:
            server.stop()
            self.slack.forget()

    def threads_for(self, app: str, server: ServerProcess, users: list[str]) -> dict[str, str]:
        """Draft threads for these users: started through the bot, or made up for the bare app."""
        if app == "bot":
            return start_drafts(self.slack, server.url + "/slack/events", users)
        return fake_threads(self.slack, users)


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def orders(runs: int) -> Iterator[tuple[int, tuple[str, str]]]:
    """Each run measures both apps, first the bot on even runs, first the bare app on odd."""
    for run in range(runs):
        yield run, (("bot", "bare") if run % 2 == 0 else ("bare", "bot"))


# ----- figure 1 ----------------------------------------------------------------------------


@dataclass
class AckFigure:
    runs: dict[str, list[AckRun]] = field(default_factory=lambda: {"bot": [], "bare": []})


def figure_acks(lab: Lab) -> AckFigure:
    config = lab.config
    users = bench_users(config.ack_drafts, "U0BA")
    add_people(lab.slack, users)
    result = AckFigure()
    for run, apps in orders(config.runs):
        for app in apps:
            progress(f"figure 1, run {run + 1}/{config.runs}: {app}")
            with lab.serving(app, f"acks-{run}-{app}") as server:
                threads = lab.threads_for(app, server, users)
                # One answer per thread first, at full speed: both apps warm, every draft
                # now at question 2.
                run_ack_load(
                    lab.slack,
                    server.port,
                    threads,
                    events=len(threads),
                    concurrency=config.ack_concurrency,
                    delay=0.0,
                )
                cpu = server.cpu_seconds()
                measured = run_ack_load(
                    lab.slack,
                    server.port,
                    threads,
                    events=config.ack_events,
                    concurrency=config.ack_concurrency,
                    delay=config.slow_slack,
                    first_number=2,
                )
                measured.server_cpu = server.cpu_seconds() - cpu
                result.runs[app].append(measured)
    return result


# ----- figure 2 ----------------------------------------------------------------------------


@dataclass
class LoopFigure:
    delay: float
    runs: dict[str, list[LoopRun]] = field(default_factory=lambda: {"bot": [], "bare": []})


def figure_loop(lab: Lab, delay: float) -> LoopFigure:
    config = lab.config
    authors = bench_users(config.loop_authors, "U0BL")
    warm = bench_users(config.warm_authors, "U0BW")
    add_people(lab.slack, authors + warm)
    result = LoopFigure(delay)
    for run, apps in orders(config.runs):
        for app in apps:
            progress(f"figure 2 (Slack {delay * 1000:.0f} ms), run {run + 1}/{config.runs}: {app}")
            with lab.serving(app, f"loop-{delay * 1000:.0f}ms-{run}-{app}") as server:
                warm_threads = lab.threads_for(app, server, warm)
                run_closed_loop(
                    lab.slack,
                    server.port,
                    warm_threads,
                    answers=config.warm_answers,
                    delay=0.0,
                    questions=app == "bot",
                )
                threads = lab.threads_for(app, server, authors)
                cpu = server.cpu_seconds()
                measured = run_closed_loop(
                    lab.slack,
                    server.port,
                    threads,
                    answers=config.loop_answers,
                    delay=delay,
                    questions=app == "bot",
                )
                measured.server_cpu = server.cpu_seconds() - cpu
                result.runs[app].append(measured)
    return result


# ----- figure 3 ----------------------------------------------------------------------------


@dataclass
class SweepFigure:
    unavailable: str | None = None
    error: str | None = None
    runs: list[reminders.SweepRun] = field(default_factory=list)


def figure_sweep(lab: Lab) -> SweepFigure:
    config = lab.config
    why = reminders.missing()
    if why is not None:
        progress(f"figure 3: {why}")
        return SweepFigure(unavailable=why)
    authors = bench_users(config.sweep_authors, "U0BS")
    add_people(lab.slack, authors)
    result = SweepFigure()
    try:
        progress(f"figure 3: seeding {config.sweep_issues} filed drafts")
        seeded = lab.workdir / "sweep-seed" / "milestones.db"
        seeded.parent.mkdir(parents=True, exist_ok=True)
        filed = reminders.seed_filed(seeded, issues=config.sweep_issues, authors=authors)
        checkpoint(seeded)
        for run in range(config.runs):
            progress(f"figure 3, run {run + 1}/{config.runs}")
            lab.slack.forget()
            db = copy_database(seeded, lab.workdir / f"sweep-{run}" / "milestones.db")
            result.runs.append(
                reminders.run_sweep(
                    db,
                    filed,
                    slack_url=lab.slack.url,
                    slack_token=lab.slack.bot_token,
                    changed=config.sweep_changed,
                )
            )
    except Exception as exc:  # noqa: BLE001 - a sweep that fails is a row saying so
        result.error = f"{type(exc).__name__}: {exc}"
        progress(f"figure 3 failed: {result.error}")
    lab.slack.forget()
    return result


# ----- figure 4 ----------------------------------------------------------------------------


@dataclass
class FootprintFigure:
    seeded: Seeded | None = None
    author: str = ""
    runs: list[FootprintRun] = field(default_factory=list)


def figure_footprint(lab: Lab) -> FootprintFigure:
    config = lab.config
    authors = bench_users(config.draft_authors, "U0BF")
    add_people(lab.slack, authors)
    progress(f"figure 4: seeding {config.drafts} drafts by {config.draft_authors} authors")
    seed_path = lab.workdir / "footprint-seed" / "milestones.db"
    seed_path.parent.mkdir(parents=True, exist_ok=True)
    seeded = seed_drafts(seed_path, drafts=config.drafts, authors=authors)
    checkpoint(seed_path)
    progress(f"figure 4: seeded in {seeded.seconds:.0f} s")
    # The author with the most open drafts: the longest listing of anyone.
    author = max(authors, key=lambda a: (seeded.open_for[a], a))
    drafting = authors[: config.loop_authors]
    listing = authors[config.loop_authors : config.loop_authors + config.listing_authors]
    result = FootprintFigure(seeded, author)
    cli_env = {**clean_environment(), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    for run in range(config.runs):
        progress(f"figure 4, run {run + 1}/{config.runs}")
        runs_dir = lab.workdir / f"footprint-{run}"
        db = copy_database(seed_path, runs_dir / "milestones.db")
        figure = FootprintRun()
        with lab.serving("bot", f"footprint-{run}", db) as server:
            figure.loop, figure.slack_list_seconds = exercise(
                lab.slack,
                server.url,
                server.port,
                drafting,
                listing,
                answers=config.loop_answers,
            )
            workers = server.worker_pids()
            figure.workers = len(workers)
            figure.master_kib = vm_hwm_kib(server.master_pid())
            peaks = [k for k in (vm_hwm_kib(pid) for pid in workers) if k is not None]
            figure.worker_kib = max(peaks) if peaks else None
        figure.store_list_seconds, figure.listed = time_store_listing(db, author)
        figure.cli_list_seconds, figure.cli_failures = time_cli_listing(
            db, author, cli_env, runs_dir
        )
        result.runs.append(figure)
    return result


# ----- main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--runs", type=int, default=None, help=f"runs per figure (default {DEFAULT_RUNS})"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 1 run, smaller loads; not for quoting"
    )
    parser.add_argument(
        "--only",
        default="1,1s,2,3,4,5",
        help="comma-separated figures to run, e.g. --only 1,3 (default all; 1s is figure 1 "
        "over Socket Mode)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="run each server under py-spy and write its sampled stacks to DIR "
        "(figures then include the sampling's cost: read the profiles, not the table)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else DEFAULT_RUNS)
    if not 1 <= runs <= 50:
        print("--runs must be between 1 and 50", file=sys.stderr)
        return 2
    config = Config.smoke(runs) if args.quick else replace(Config(), runs=runs)
    if args.profile is not None:
        config = replace(config, profile=args.profile.resolve())
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    workdir = Path(tempfile.mkdtemp(prefix="milestone-bench-"))
    _quiet_in_process_logs(workdir)
    started = time.perf_counter()
    load_before = machine.load_average()
    progress(f"work directory {workdir}")
    acks = sweep = footprint = None
    starts: list[cli_start.Start] = []
    socket_figure: socket_acks.SocketAckFigure | None = None
    loops: list[LoopFigure] = []
    ok = False
    try:
        with WatchedSlack() as slack:
            lab = Lab(config, workdir, slack)
            if "1" in only:
                acks = figure_acks(lab)
            if "1s" in only:
                socket_figure = socket_acks.figure_socket_acks(lab)
            if "2" in only:
                loops = [figure_loop(lab, 0.0), figure_loop(lab, config.slow_slack)]
            if "3" in only:
                sweep = figure_sweep(lab)
            if "4" in only:
                footprint = figure_footprint(lab)
            if "5" in only:
                progress("figure 5: the command line's start")
                starts = cli_start.measure(repeat=3 if config.quick else 9)
        ok = True
    finally:
        if not ok or args.keep:
            progress(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    rows: list[Row] = []
    if acks is not None:
        rows += ack_rows(config, acks)
    if socket_figure is not None:
        rows += ack_rows(config, socket_figure, socket=True)
    for figure in loops:
        rows += loop_rows(config, figure)
    if sweep is not None:
        rows += sweep_rows(config, sweep)
    if footprint is not None:
        rows += footprint_rows(config, footprint)
    rows += cli_rows(starts)
    elapsed = time.perf_counter() - started
    print(header(config, elapsed, (load_before, machine.load_average())))
    print()
    print(render(rows))
    print()
    for line in notes(config, acks, loops, sweep, footprint, socket_figure):
        print(f"- {line}")
    return 0


def header(config: Config, elapsed: float, load: tuple[str, str]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kind = "QUICK SMOKE RUN (smaller loads; not for quoting)" if config.quick else "full run"
    return "\n".join(
        [
            f"milestone-bot benchmark, {kind}: median of {config.runs} run(s) per figure, "
            f"{when}, took {elapsed / 60:.1f} min",
            *machine.describe(),
            f"1-min load average at start / end: {load[0]} / {load[1]} "
            f"(anything else running on the {machine.cores()} cores moves the figures).",
            f"Both apps: Bolt Flask adapter under gunicorn, 1 worker, gthread {config.threads} "
            f"threads, Bolt listener pool {config.threads}; load generator and emulators in "
            "the benchmark process on the same machine, over 127.0.0.1.",
        ]
    )


def _quiet_in_process_logs(workdir: Path) -> None:
    """The bot code run in this process (store, sweep) logs to a file, not over the table."""
    from bot.log import configure_logging

    stream = (workdir / "in-process.log").open("a", encoding="utf-8")
    configure_logging(stream=stream)
