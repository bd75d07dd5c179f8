"""Figure 3: a reminder sweep over 1,000 tracked issues of which 10 changed on GitHub.

1,000 FILED drafts (seeded through bot.storage.store.Store, spread over authors) have their issues
on the GitHub emulator; the sweep runs in this process exactly as serve's loop runs it, at
moments the benchmark chooses (the sweep takes `now`). Two sweeps are measured, each after
10 issues got a gate ticked on GitHub:
* the next sweep, five minutes after the previous one (the usual case);
* the daily check: every issue is due its single-issue check (REMINDER_VERIFY_HOURS since
  GitHub last confirmed it) and its ETag is known from the previous round.
A third, the evidence sweep, comes five minutes after the daily check with 10 pull requests
merged (each fixing one of the issues, changing a test, a runbook and a line emitting a
telemetry event, with a green check run and status): at most 40 counted requests, and every
piece of evidence found.
For each: every request the GitHub emulator received during it, those that counted against
the rate limit (a 304 to a matching If-None-Match does not), and its wall time (digests due
at that moment are sent too, to the Slack emulator). Each checks that the sweep saw the 10
changes, so a sweep that skipped work could not pass. The adopting sweep and the first round
of checks after adoption (no ETags yet) are reported in the notes.

Entry point it expects (bot/reminders/sweep.py, issue 5): `Sweeper(store=, template=, settings=,
slack=, github=)` with `.sweep(now: datetime) -> report` (report.complete, report.requests).
Until that exists the row says "not available (reminders not built)".
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.processes import clean_environment
from bench.seeding import flow_steps
from bot.storage.drafts import Location
from bot.storage.store import Store
from flows import engine
from flows.draft import DraftStatus
from flows.questions import build_flow
from flows.render import render_issue
from flows.template import Template, load_template
from tests.emulators.slack_api import RELIABILITY, TEAM_ID, ts_string

REPOSITORY = "acme/execution"
GITHUB_TOKEN = "ghp_BenchEmulatorToken000000000000000000"
BOT_LOGIN = "milestone-bot"
FILED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
FIRST_SWEEP = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)  # Thursday, 10:30 in Berlin
SWEEP_INTERVAL = timedelta(minutes=5)  # REMINDER_SWEEP_MINUTES' default
CATCH_UP_SWEEPS = 5  # bound on the sweeps that finish a round of single-issue checks


def missing() -> str | None:
    """Why the sweep cannot be measured yet, or None when it can."""
    if importlib.util.find_spec("bot.reminders.sweep") is None:
        return "not available (reminders not built)"
    try:
        module = importlib.import_module("bot.reminders.sweep")
    except Exception as exc:  # noqa: BLE001 - a half-built module is reported, not raised
        return f"not available (bot.reminders.sweep does not import: {type(exc).__name__}: {exc})"
    sweeper = getattr(module, "Sweeper", None)
    if sweeper is None or not callable(getattr(sweeper, "sweep", None)):
        return "not available (bot/reminders/sweep.py has no Sweeper.sweep yet)"
    return None


@dataclass(frozen=True)
class FiledIssue:
    title: str
    body: str
    labels: tuple[str, ...]


@dataclass
class Measured:
    """One sweep, as GitHub saw it."""

    total_requests: int = 0
    counted_requests: int = 0
    seconds: float = float("nan")
    changed: int = 0
    changes_seen: int = 0
    complete: bool = False
    reported_requests: int | None = None  # what the sweep itself counted


@dataclass
class SweepRun:
    next_sweep: Measured  # five minutes after the previous sweep
    daily_check: Measured  # every issue due its REMINDER_VERIFY_HOURS check, ETags known
    adopting: Measured  # the first sweep: adopts and reads all issues
    first_check: Measured  # the first daily check after adoption: no ETag stored yet
    catch_up: list[Measured] = field(default_factory=list)  # the checks left for later sweeps
    # Five minutes after the daily check, with 10 pull requests merged that reference 10 of
    # the issues: `changed` is the pieces of evidence expected, `changes_seen` those found.
    evidence: Measured | None = None


def seed_filed(path: Path, *, issues: int, authors: list[str]) -> list[FiledIssue]:
    """FILED drafts numbered 1..`issues` on REPOSITORY; what each issue on GitHub holds."""
    template = load_template()
    flow = build_flow(template)
    _, steps = flow_steps(flow)
    complete = steps[-1].draft
    store = Store(path, clock=lambda: FILED_AT, progress=lambda d: engine.progress(flow, d))
    filed: list[FiledIssue] = []
    with store.session() as s:
        for n in range(1, issues + 1):
            author = authors[(n - 1) % len(authors)]
            draft_id = s.drafts.new_id()
            draft = complete.model_copy(
                update={
                    "id": draft_id,
                    "author": author,
                    "title": f"{complete.title} ({author}, issue {n})",
                }
            )
            rendered = render_issue(template, draft)
            thread = ts_string(1_770_000_000_000_000 + n * 1_000)
            created = s.drafts.create(
                draft,
                location=None,
                actor=author,
                source="slack",
                correlation_id=f"seed:{n}",
            )
            s.drafts.set_location(draft_id, Location(TEAM_ID, RELIABILITY, thread, thread))
            s.drafts.record(
                created,
                created.model_copy(
                    update={
                        "status": DraftStatus.FILED,
                        "issue_number": n,
                        "issue_url": f"https://github.com/{REPOSITORY}/issues/{n}",
                    }
                ),
                kind="file",
                actor=author,
                source="slack",
                correlation_id=f"seed:{n}:filed",
            )
            filed.append(FiledIssue(rendered.title, rendered.body, rendered.labels))
    return filed


def build_sweeper(
    db: Path, slack_url: str, slack_token: str, github_url: str
) -> tuple[Any, Store, Any]:
    """The Sweeper as serve builds it, on these emulators; the store and settings it uses."""
    from bot.app import build_slack_client
    from bot.github.client import build_github_access
    from bot.reminders.sweep import Sweeper
    from bot.settings import Settings

    with _without_bot_environment():
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            slack_bot_token=slack_token,
            slack_api_url=slack_url,
            github_token=GITHUB_TOKEN,
            github_repository=REPOSITORY,
            github_api_url=github_url,
            database_path=db,
        )
    template = load_template()
    flow = build_flow(template)
    store = Store(db, progress=lambda d: engine.progress(flow, d))
    sweeper = Sweeper(
        store=store,
        template=template,
        settings=settings,
        slack=build_slack_client(settings),
        github=build_github_access(settings),
    )
    return sweeper, store, settings


@contextmanager
def _without_bot_environment() -> Iterator[None]:
    """Settings built from defaults and the arguments only, not the developer's variables."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(clean_environment())
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_sweep(
    db: Path, filed: list[FiledIssue], *, slack_url: str, slack_token: str, changed: int
) -> SweepRun:
    """The sweeps of one run, on a copy of the seeded database and a fresh GitHub emulator.

    T0 adopts everything; T0 + 5 min is the "next sweep" (after `changed` ticks on GitHub).
    A day later every issue is due its single-issue check; the first such round has no ETags
    (issues were only ever seen in listings), and sweeps follow until the round is done.
    Another day later, after `changed` more ticks, the "daily check" is measured: every
    issue due again, now with its ETag.
    """
    from tests.emulators.github_api import FakeClock, GitHubEmulator

    template = load_template()
    clock = FakeClock(start=FILED_AT, step=timedelta(milliseconds=10))
    with GitHubEmulator(clock=clock) as github:
        github.add_token(GITHUB_TOKEN, BOT_LOGIN)
        github.add_repo(REPOSITORY, labels=template.labels, milestones=template.milestones)
        for issue in filed:
            github.add_issue(
                REPOSITORY, issue.title, issue.body, user=BOT_LOGIN, labels=issue.labels
            )
        sweeper, store, settings = build_sweeper(db, slack_url, slack_token, github.url)
        day = timedelta(hours=settings.reminder_verify_hours)

        def measure(now: datetime, ticks: int = 0, offset: int = 0) -> Measured:
            clock.set(now - timedelta(minutes=3))
            ticked = _tick(github, template, _spread(len(filed), ticks, offset))
            github.reset_counters()
            started = time.perf_counter()
            report = sweeper.sweep(now)
            seconds = time.perf_counter() - started
            reported = getattr(report, "requests", None)
            return Measured(
                total_requests=github.total_requests,
                counted_requests=github.counted_requests,
                seconds=seconds,
                changed=len(ticked),
                changes_seen=_seen(store, ticked),
                complete=bool(getattr(report, "complete", False)),
                reported_requests=reported if isinstance(reported, int) else None,
            )

        adopting = measure(FIRST_SWEEP)
        next_sweep = measure(FIRST_SWEEP + SWEEP_INTERVAL, changed)
        checks_from = FIRST_SWEEP + day + SWEEP_INTERVAL * 2
        first_check = measure(checks_from)
        catch_up: list[Measured] = []
        now = checks_from
        while len(catch_up) < CATCH_UP_SWEEPS:
            now += SWEEP_INTERVAL
            catch_up.append(measure(now))
            if catch_up[-1].total_requests <= 1:
                break
        # A day after the last round: every issue is due again, each with its ETag now.
        daily_check = measure(now + day + timedelta(minutes=1), changed, offset=1)
        evidence = measure_evidence(
            github, clock, sweeper, store, template, now + day + timedelta(minutes=6), changed
        )
    return SweepRun(next_sweep, daily_check, adopting, first_check, catch_up, evidence)


# The files every benchmark pull request changes: a test, a runbook, and a line emitting
# the draft's first telemetry event; its merge commit gets a green check run and status.
EVIDENCE_GATES = (
    "Added/updated unit tests for new behavior.",
    "Existing related unit suites pass.",
    "New/changed behavior emits structured telemetry.",
    "Updated at least one reliability doc/runbook.",
)


def measure_evidence(
    github: Any,
    clock: Any,
    sweeper: Any,
    store: Store,
    template: Template,
    now: datetime,
    pulls: int,
) -> Measured:
    """One sweep after `pulls` pull requests, each fixing one issue, merged with checks green."""
    from bot.reminders.evidence import assessment
    from flows.evidence import Answers
    from tests.emulators.github_pulls import added_patch

    clock.set(now - timedelta(minutes=3))
    numbers = _spread(len(github.issues(REPOSITORY)), pulls, offset=2)
    with store.session() as s:
        issue = s.tracked.at(REPOSITORY, numbers[0])
        answers = Answers.of(s.drafts.get(issue.draft_id)) if issue else Answers()
    event = (answers.telemetry_events or ("bench.event",))[0].strip("`")
    for number in numbers:
        files = {
            f"tests/test_issue_{number}.py": added_patch(f"def test_issue_{number}(): ..."),
            f"docs/runbooks/issue-{number}.md": added_patch("What to do."),
            f"execution/issue_{number}.py": added_patch(f'log.info("{event}", n={number})'),
        }
        pull = github.pulls.open(
            REPOSITORY, f"Work for #{number}", f"Part of #{number}", files=files
        )
        sha = github.pulls.merge(REPOSITORY, pull)
        github.pulls.check_run(REPOSITORY, sha, "unit", conclusion="success")
        github.pulls.status(REPOSITORY, sha, "lint", "success")
    github.reset_counters()
    started = time.perf_counter()
    report = sweeper.sweep(now)
    seconds = time.perf_counter() - started
    expected = (
        set(EVIDENCE_GATES)
        if answers.telemetry_events
        else set(EVIDENCE_GATES[:2] + EVIDENCE_GATES[3:])
    )
    seen = 0
    with store.session() as s:
        for number in numbers:
            issue = s.tracked.at(REPOSITORY, number)
            result = assessment(s, template, issue.draft_id) if issue else None
            if result is not None:
                seen += len(expected & set(result.found()))
    reported = getattr(report, "requests", None)
    return Measured(
        total_requests=github.total_requests,
        counted_requests=github.counted_requests,
        seconds=seconds,
        changed=len(expected) * len(numbers),
        changes_seen=seen,
        complete=bool(getattr(report, "complete", False)),
        reported_requests=reported if isinstance(reported, int) else None,
    )


def _spread(count: int, changed: int, offset: int = 0) -> list[int]:
    """`changed` issue numbers spread evenly over 1..count (shifted by `offset`)."""
    step = max(count // max(changed, 1), 1)
    return [1 + (offset + k * step) % count for k in range(min(changed, count))]


def _tick(github: Any, template: Template, numbers: list[int]) -> dict[int, str]:
    """Tick one gate box on each of these issues, as a person would on GitHub."""
    labels = [gate.label for gate in template.gates]
    ticked: dict[int, str] = {}
    for k, number in enumerate(numbers):
        label = labels[k % len(labels)]
        github.tick_checkbox(REPOSITORY, number, label, actor="alice")
        ticked[number] = label
    return ticked


def _seen(store: Store, ticked: dict[int, str]) -> int:
    """How many of the ticked boxes the bot now knows are ticked."""
    seen = 0
    with store.session() as s:
        for number, label in ticked.items():
            issue = s.tracked.at(REPOSITORY, number)
            state = issue.gates.get(label) if issue is not None else None
            if state is not None and state.settled:
                seen += 1
    return seen
