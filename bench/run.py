"""`python -m bench [--runs N] [--quick]`: run every figure and print the table.

Each figure is measured in every run; the table shows the median over runs, and each ratio
is the median of the per-run ratios (the bot and the bare app measured in the same run, in
alternating order). Progress goes to stderr; the table and its notes go to stdout.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine, reminders
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
from bench.processes import ServerProcess, clean_environment, python_module, vm_hwm_kib
from bench.seeding import Seeded, seed_drafts
from bench.slack import WatchedSlack, add_people, bench_users
from bench.stats import median, percentile, ratio
from bench.table import Row, ms, render, times, verdict
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
    warm_authors: int = 10  # draft a little before each measured loop, not measured
    sweep_issues: int = 1000
    sweep_changed: int = 10
    sweep_authors: int = 100
    drafts: int = 10_000
    draft_authors: int = 200
    listing_authors: int = 20  # run `/milestone drafts` during the footprint exercise
    threads: int = 16  # gunicorn threads and Bolt listener pool, both apps

    @classmethod
    def smoke(cls, runs: int) -> Config:
        return cls(
            runs=runs,
            quick=True,
            ack_events=200,
            ack_drafts=40,
            loop_answers=5,
            warm_authors=3,
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

    def bot(self, name: str, db: Path | None = None) -> ServerProcess:
        workdir = self.workdir / name
        database = db or workdir / "milestones.db"
        env = self._env(
            DATABASE_PATH=str(database),
            # The in-process sweep would nudge and archive the seeded drafts (their dates are
            # fixed in the past) and is measured on its own in figure 3.
            REMINDER_SWEEP_MINUTES="0",
        )
        return ServerProcess("milestone-bot", python_module("bot", "serve"), workdir, env)

    def bare(self, name: str) -> ServerProcess:
        return ServerProcess(
            "bare-bolt", python_module("bench.bare_app"), self.workdir / name, self._env()
        )

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
                    answers=2,
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


# ----- the table ---------------------------------------------------------------------------


def _med(values: list[float]) -> float:
    return median(values)


def _per_run(
    bot: list[Any], bare: list[Any], measure: Callable[[Any], float]
) -> tuple[float, float, float]:
    """Median of the bot's figure, of the bare app's, and of their per-run ratios."""
    bot_values = [measure(r) for r in bot]
    bare_values = [measure(r) for r in bare]
    ratios = [ratio(b, a) for b, a in zip(bot_values, bare_values, strict=False)]
    return _med(bot_values), _med(bare_values), _med(ratios)


def _p(p: float) -> Callable[[Any], float]:
    return lambda run: percentile(run.latencies, p)


def ack_rows(config: Config, figure: AckFigure) -> list[Row]:
    what = (
        f"Ack {{}}, {config.ack_events:,} answer events, {config.ack_concurrency} concurrent, "
        f"Slack {config.slow_slack * 1000:.0f} ms"
    )
    bot, bare = figure.runs["bot"], figure.runs["bare"]
    p50 = _per_run(bot, bare, _p(50))
    p99 = _per_run(bot, bare, _p(99))
    passed = None if math.isnan(p99[2]) else p99[2] <= 1.5
    return [
        Row("1", what.format("p50"), ms(p50[0]), ms(p50[1]), times(p50[2])),
        Row(
            "1",
            what.format("p99"),
            ms(p99[0]),
            ms(p99[1]),
            times(p99[2]),
            "≤ 1.5× bare",
            verdict(passed),
        ),
    ]


def loop_rows(config: Config, figure: LoopFigure) -> list[Row]:
    slow = figure.delay > 0
    what = (
        f"Answer → next question {{}}, {config.loop_authors} authors, "
        f"Slack {figure.delay * 1000:.0f} ms"
    )
    bot, bare = figure.runs["bot"], figure.runs["bare"]
    p50 = _per_run(bot, bare, _p(50))
    p99 = _per_run(bot, bare, _p(99))
    if slow:
        target, passed = "< 1 s", None if math.isnan(p99[0]) else p99[0] < 1.0
    else:
        target, passed = "≤ 2× bare", None if math.isnan(p99[2]) else p99[2] <= 2.0
    return [
        Row("2", what.format("p50"), ms(p50[0]), ms(p50[1]), times(p50[2])),
        Row(
            "2", what.format("p99"), ms(p99[0]), ms(p99[1]), times(p99[2]), target, verdict(passed)
        ),
    ]


def sweep_rows(config: Config, figure: SweepFigure) -> list[Row]:
    what = f"Sweep, {config.sweep_issues:,} tracked, {config.sweep_changed} changed"
    if figure.unavailable or figure.error or not figure.runs:
        text = figure.unavailable or f"error ({figure.error})"
        return [Row("3", f"{what}: GitHub requests", text, target="≤ 10 counted", result="n/a")]
    rows: list[Row] = []
    for label, pick in (
        ("next sweep (+5 min)", lambda r: r.next_sweep),
        ("daily check (ETags known)", lambda r: r.daily_check),
    ):
        measured = [pick(r) for r in figure.runs]
        total = _med([m.total_requests for m in measured])
        counted = _med([m.counted_requests for m in measured])
        seconds = _med([m.seconds for m in measured])
        saw_all = all(m.changes_seen == m.changed and m.complete for m in measured)
        result = verdict(counted <= 10 and saw_all)
        if counted <= 10 and not saw_all:
            result = "MISS (changes not all seen)"
        rows.append(
            Row(
                "3",
                f"{what}, {label}: requests total / counted; wall",
                f"{total:g} / {counted:g}; {seconds:.2f} s",
                target="≤ 10 counted",
                result=result,
            )
        )
    evidence = [r.evidence for r in figure.runs if r.evidence is not None]
    if evidence:
        total = _med([m.total_requests for m in evidence])
        counted = _med([m.counted_requests for m in evidence])
        seen = min(m.changes_seen for m in evidence)
        expected = evidence[0].changed
        saw_all = all(m.changes_seen == m.changed and m.complete for m in evidence)
        result = verdict(counted <= 40 and saw_all)
        if counted <= 40 and not saw_all:
            result = "MISS (evidence not all seen)"
        rows.append(
            Row(
                "3",
                f"{what}, + 10 merged pull requests: requests total / counted; evidence seen",
                f"{total:g} / {counted:g}; {seen}/{expected}",
                target="≤ 40 counted",
                result=result,
            )
        )
    return rows


def footprint_rows(config: Config, figure: FootprintFigure) -> list[Row]:
    runs = figure.runs
    worker = _med([r.worker_kib * 1024 / MB if r.worker_kib else math.nan for r in runs])
    master = _med([r.master_kib * 1024 / MB if r.master_kib else math.nan for r in runs])
    peak = max(worker, master)
    listed = runs[0].listed if runs else 0
    store_s = _med([r.store_list_seconds for r in runs])
    cli_s = _med([r.cli_list_seconds for r in runs])
    slack_s = _med([median(r.slack_list_seconds) for r in runs])
    who = f"one author ({listed} open of {config.drafts:,})"
    return [
        Row(
            "4",
            f"Peak RSS (VmHWM), serve with {config.drafts:,} drafts: worker / master",
            f"{worker:.0f} MB / {master:.0f} MB",
            target="≤ 150 MB (larger)",
            result=verdict(None if math.isnan(peak) else peak <= 150),
        ),
        Row(
            "4",
            f"`drafts` for {who}: s.drafts.summaries in-process",
            ms(store_s),
            target="≤ 50 ms",
            result=verdict(None if math.isnan(store_s) else store_s <= 0.050),
        ),
        Row("4", "  same author: `milestone-bot drafts --author`, subprocess wall", ms(cli_s)),
        Row(
            "4",
            f"  `/milestone drafts` in Slack, {config.listing_authors} others: command → reply",
            ms(slack_s),
        ),
    ]


def notes(
    config: Config,
    acks: AckFigure | None,
    loops: list[LoopFigure],
    sweep: SweepFigure | None,
    footprint: FootprintFigure | None,
) -> list[str]:
    out: list[str] = []

    def spread(values: list[float]) -> str:
        return ", ".join(ms(v) for v in values)

    if acks is not None:
        for app in ("bot", "bare"):
            runs = acks.runs[app]
            failures = sum(r.failures for r in runs)
            during = [r.posted_during for r in runs]
            drained = sum(r.posted_after_drain for r in runs)
            expected = sum(r.expected for r in runs)
            out.append(
                f"1. {app}: p99 per run {spread([percentile(r.latencies, 99) for r in runs])}; "
                f"{failures} non-200; replies posted while the acks ran {during} of "
                f"{config.ack_events} each; {drained}/{expected} answers replied to in the end; "
                f"ack phase {', '.join(f'{r.wall:.1f} s' for r in runs)}; server CPU per "
                f"answer {ms(median([r.server_cpu / max(r.expected, 1) for r in runs]))}."
            )
    for figure in loops:
        for app in ("bot", "bare"):
            runs = figure.runs[app]
            samples = sum(len(r.latencies) for r in runs)
            out.append(
                f"2. Slack {figure.delay * 1000:.0f} ms, {app}: p99 per run "
                f"{spread([percentile(r.latencies, 99) for r in runs])}; {samples} answers; "
                f"re-asked {sum(r.rejected for r in runs)}, not a question "
                f"{sum(r.not_a_question for r in runs)}, timeouts {sum(r.timeouts for r in runs)}, "
                f"non-200 {sum(r.failures for r in runs)}; server CPU per answer "
                f"{ms(median([r.server_cpu / max(len(r.latencies), 1) for r in runs]))}."
            )
    if sweep is not None and sweep.runs:
        runs = sweep.runs

        def summary(label: str, measured: list[reminders.Measured]) -> str:
            seen = sum(m.changes_seen for m in measured)
            changed = sum(m.changed for m in measured)
            complete = sum(m.complete for m in measured)
            return (
                f"{label}: requests {'/'.join(str(m.total_requests) for m in measured)}, "
                f"counted {'/'.join(str(m.counted_requests) for m in measured)}, the sweep's "
                f"own count {'/'.join(str(m.reported_requests) for m in measured)}, wall "
                f"{'/'.join(f'{m.seconds:.2f}' for m in measured)} s"
                + (f", saw {seen}/{changed} changes" if changed else "")
                + f", {complete}/{len(measured)} complete"
            )

        out.append(
            "3. per run, "
            + "; ".join(
                [
                    summary("next sweep", [r.next_sweep for r in runs]),
                    summary("daily check", [r.daily_check for r in runs]),
                ]
            )
            + ". Not in the table: "
            + "; ".join(
                [
                    summary(
                        f"the adopting sweep ({config.sweep_issues:,} new)",
                        [r.adopting for r in runs],
                    ),
                    summary(
                        "the first daily check after adoption (no ETag stored yet)",
                        [r.first_check for r in runs],
                    ),
                    summary("the sweep after it", [r.catch_up[0] for r in runs if r.catch_up]),
                ]
            )
            + "."
        )
    if footprint is not None and footprint.seeded is not None:
        seeded = footprint.seeded
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(seeded.by_status.items()))
        out.append(
            f"4. seeded {seeded.drafts:,} drafts ({statuses}) by {len(seeded.authors)} authors "
            f"in {seeded.seconds:.0f} s; listing author {footprint.author}; gunicorn workers "
            f"{[r.workers for r in footprint.runs]}; CLI failures "
            f"{sum(r.cli_failures for r in footprint.runs)}; peak worker RSS per run "
            + ", ".join(
                f"{r.worker_kib * 1024 / MB:.0f} MB" if r.worker_kib else "n/a"
                for r in footprint.runs
            )
            + ". The 50 ms target is read against the in-process listing (the query the CLI "
            "and `/milestone drafts` both run); the subprocess time is mostly interpreter "
            "start and imports."
        )
    return out


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
        default="1,2,3,4",
        help="comma-separated figures to run, e.g. --only 1,3 (default all)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory and logs")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else DEFAULT_RUNS)
    if not 1 <= runs <= 50:
        print("--runs must be between 1 and 50", file=sys.stderr)
        return 2
    config = Config.smoke(runs) if args.quick else replace(Config(), runs=runs)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    workdir = Path(tempfile.mkdtemp(prefix="milestone-bench-"))
    _quiet_in_process_logs(workdir)
    started = time.perf_counter()
    load_before = machine.load_average()
    progress(f"work directory {workdir}")
    acks = sweep = footprint = None
    loops: list[LoopFigure] = []
    ok = False
    try:
        with WatchedSlack() as slack:
            lab = Lab(config, workdir, slack)
            if "1" in only:
                acks = figure_acks(lab)
            if "2" in only:
                loops = [figure_loop(lab, 0.0), figure_loop(lab, config.slow_slack)]
            if "3" in only:
                sweep = figure_sweep(lab)
            if "4" in only:
                footprint = figure_footprint(lab)
        ok = True
    finally:
        if not ok or args.keep:
            progress(f"logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    rows: list[Row] = []
    if acks is not None:
        rows += ack_rows(config, acks)
    for figure in loops:
        rows += loop_rows(config, figure)
    if sweep is not None:
        rows += sweep_rows(config, sweep)
    if footprint is not None:
        rows += footprint_rows(config, footprint)
    elapsed = time.perf_counter() - started
    print(header(config, elapsed, (load_before, machine.load_average())))
    print()
    print(render(rows))
    print()
    for line in notes(config, acks, loops, sweep, footprint):
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
