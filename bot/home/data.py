"""What one person's Home shows, read from the store: their drafts in progress (with where
each stands and its thread's link), their open filed issues, their recently closed ones.

Only that person's rows are read: a Home is never built from anyone else's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.drafts import Location
from bot.storage.store import Store
from flows import engine, tracking
from flows.draft import Draft
from flows.questions import Flow
from flows.tracking import IssueState, TrackedIssue

RECENTLY_CLOSED = 5


@dataclass(frozen=True)
class DraftItem:
    draft: Draft
    answered: int
    total: int
    location: Location | None
    permalink: str | None  # the thread's, when Slack gave one


@dataclass(frozen=True)
class HomeData:
    user: str
    now: datetime
    drafts: tuple[DraftItem, ...]  # most recently touched first
    open_issues: tuple[TrackedIssue, ...]  # most recently filed first
    closed: tuple[TrackedIssue, ...]  # the last few closed, most recent first
    last_channel: str | None


def track_filed(store: Store, user: str, default_repository: str | None) -> None:
    """Follow the person's filed issues the sweep hasn't picked up yet (as `status` does), so
    their gate controls work at once. The write lock is taken only when there is one."""
    with store.session(readonly=True) as s:
        waiting = [d for d in s.drafts.filed_untracked() if d.author == user]
    if not waiting:
        return
    with store.session() as s:
        for draft in waiting:
            repository = tracking.repository_of(draft, default_repository)
            number = draft.issue_number or 0
            if repository is not None and s.tracked.at(repository, number) is None:
                s.tracked.save(tracking.from_draft(draft, repository, draft.updated_at or s.now))


def load_home(store: Store, flow: Flow, user: str, default_repository: str | None) -> HomeData:
    track_filed(store, user, default_repository)
    with store.session(readonly=True) as s:
        tabs = s.home
        drafts = []
        for row in s.drafts.summaries(user):
            draft = s.drafts.get(row.id)
            location = s.drafts.location(draft.id)
            link = (
                tabs.permalink(draft.id, location.channel, location.thread_ts) if location else None
            )
            answered, total = engine.progress(flow, draft)
            drafts.append(DraftItem(draft, answered, total, location, link))
        issues = s.tracked.issues(author=user, states=(IssueState.OPEN.value,))
        closed = s.tracked.issues(author=user, states=(IssueState.CLOSED.value,))
        last_channel = tabs.last_channel(user)
        now = s.now
    closed.sort(key=lambda i: i.remote_updated_at or i.seen_at or i.filed_at, reverse=True)
    return HomeData(
        user=user,
        now=now,
        drafts=tuple(drafts),
        open_issues=tuple(reversed(issues)),
        closed=tuple(closed[:RECENTLY_CLOSED]),
        last_channel=last_channel,
    )
