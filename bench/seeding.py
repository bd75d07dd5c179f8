"""A database holding many drafts, written through bot.storage.store.Store as the bot writes them.

Drafts are spread over authors, over the last 90 days, and over every stage of the flow:
some just started, most part-way, some filed, cancelled or archived, each with the journal
entries its answers would have left. The answers are the benchmark's typed draft; titles
differ per draft. Written straight into the file before any server starts.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.drafting import ANSWERS
from bot.storage.drafts import Location
from bot.storage.store import Session, Store
from flows import engine
from flows.draft import Draft, DraftStatus
from flows.questions import Flow, build_flow
from flows.template import load_template
from tests.emulators.slack_api import RELIABILITY, TEAM_ID, ts_string

SEED_EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # fixed: the same file every time
SPREAD = timedelta(days=90)
BATCH = 25  # drafts per transaction: seeding speed, not realism, sets this


@dataclass(frozen=True)
class Step:
    draft: Draft
    kind: str
    question_id: str | None
    text: str


@dataclass(frozen=True)
class Seeded:
    path: Path
    drafts: int
    authors: list[str]
    by_status: dict[str, int]
    open_for: dict[str, int]  # open drafts per author
    seconds: float


def flow_steps(flow: Flow) -> tuple[Draft, list[Step]]:
    """The draft at question 1 and every answer after it, up to the preview."""
    first = engine.start(flow, Draft(id="SEED", author="USEED")).draft
    steps: list[Step] = []
    current = first
    for text in ANSWERS:
        outcome = engine.advance(flow, current, text)
        current = outcome.draft
        steps.append(Step(current, outcome.kind, outcome.question_id, text))
        if current.status is not DraftStatus.DRAFTING:
            break
    return first, steps


class _Clock:
    def __init__(self) -> None:
        self.now = SEED_EPOCH

    def __call__(self) -> datetime:
        return self.now


def seed_drafts(path: Path, *, drafts: int, authors: list[str], seed: int = 20_260_302) -> Seeded:
    """Write `drafts` drafts by `authors` (round-robin) into a new database at `path`."""
    started = time.perf_counter()
    template = load_template()
    flow = build_flow(template)
    first, steps = flow_steps(flow)
    clock = _Clock()
    store = Store(path, clock=clock, progress=lambda d: engine.progress(flow, d))
    rng = random.Random(seed)
    by_status: dict[str, int] = {}
    open_for: dict[str, int] = dict.fromkeys(authors, 0)
    for first_n in range(0, drafts, BATCH):
        clock.now = SEED_EPOCH + SPREAD * (first_n / max(drafts, 1))
        with store.session() as s:
            for n in range(first_n, min(first_n + BATCH, drafts)):
                author = authors[n % len(authors)]
                status, answered = _pick(rng, len(steps))
                final = _write(s, n, author, status, answered, first, steps)
                by_status[final.value] = by_status.get(final.value, 0) + 1
                if final in (DraftStatus.DRAFTING, DraftStatus.PREVIEW):
                    open_for[author] += 1
    return Seeded(path, drafts, authors, by_status, open_for, time.perf_counter() - started)


def _pick(rng: random.Random, steps: int) -> tuple[DraftStatus, int]:
    """A draft's fate and how many answers it got."""
    roll = rng.random()
    if roll < 0.20:
        return DraftStatus.FILED, steps
    if roll < 0.35:
        return DraftStatus.CANCELLED, rng.randint(0, steps)
    if roll < 0.45:
        return DraftStatus.ARCHIVED, rng.randint(0, steps - 1)
    return DraftStatus.DRAFTING, rng.randint(0, steps)


def _write(
    s: Session,
    n: int,
    author: str,
    status: DraftStatus,
    answered: int,
    first: Draft,
    steps: list[Step],
) -> DraftStatus:
    draft_id = s.drafts.new_id()
    title = f"{ANSWERS[0]} ({author}, draft {n + 1})"

    def own(d: Draft) -> Draft:
        return d.model_copy(
            update={"id": draft_id, "author": author, "title": title if d.title else ""}
        )

    thread = ts_string(1_760_000_000_000_000 + n * 1_000)
    current = s.drafts.create(
        own(first),
        location=Location(TEAM_ID, RELIABILITY, thread, thread),
        actor=author,
        source="slack",
        correlation_id=f"seed:{n}",
    )
    for k, step in enumerate(steps[:answered]):
        after = own(step.draft).model_copy(update={"created_at": current.created_at})
        current = s.drafts.record(
            current,
            after,
            kind=step.kind,
            actor=author,
            source="slack",
            correlation_id=f"seed:{n}:{k}",
            input=step.text,
            question_id=step.question_id,
        )
    if status is not current.status:
        update: dict[str, object] = {"status": status}
        if status is DraftStatus.FILED:
            update["issue_number"] = 1000 + n
            update["issue_url"] = f"https://github.com/acme/execution/issues/{1000 + n}"
        current = s.drafts.record(
            current,
            current.model_copy(update=update),
            kind={"filed": "file", "cancelled": "cancel"}.get(status.value, "archive"),
            actor=author,
            source="slack",
            correlation_id=f"seed:{n}:end",
        )
    return current.status
