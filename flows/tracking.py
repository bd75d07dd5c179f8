"""Gate state of the issues the bot filed, as last seen on GitHub.

GitHub is the authority: a tracked issue's gates are what its body on GitHub said when the
bot last read it (parsed with flows.parse), stored with when and from where it was seen
(a webhook, the sweep, a Done button, or the filing itself). Only issues the bot filed are
tracked: FILED drafts, found again through the hidden marker in the body.

This module holds the records and the pure rules for applying an observation; storage
keeps them (bot/storage/tracked.py, with the row mapping) and the sweep and webhook feed
observations in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flows.draft import Draft, GateState
from flows.parse import parse_issue
from flows.template import Template


class IssueState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    DELETED = "deleted"  # gone from GitHub (or no longer visible to the bot)


class SeenFrom(StrEnum):
    FILED = "filed"  # the gates the draft was filed with, before GitHub was read
    WEBHOOK = "webhook"
    SWEEP = "sweep"
    DONE_BUTTON = "done-button"


@dataclass(frozen=True)
class TrackedIssue:
    """One filed issue the bot follows, and where its reminders stand."""

    draft_id: str
    repository: str  # owner/name
    number: int
    author: str  # Slack user id of the draft's author: who the digests go to
    filed_at: datetime
    last_change_at: datetime  # when the gates last changed (filing counts)
    title: str = ""
    url: str = ""
    etag: str | None = None  # of the last single-issue GET, for If-None-Match
    body_hash: str | None = None
    gates: dict[str, GateState] = field(default_factory=dict)  # as the body holds them
    state: IssueState = IssueState.OPEN
    remote_updated_at: datetime | None = None  # GitHub's updated_at of what was seen
    seen_at: datetime | None = None
    seen_from: SeenFrom = SeenFrom.FILED
    verified_at: datetime | None = None  # last time GitHub confirmed it (a GET or a listing)
    last_digest_at: datetime | None = None
    muted: bool = False
    snoozed_until: datetime | None = None
    digests_without_change: int = 0
    thread_note_sent: bool = False

    @property
    def key(self) -> str:
        return f"{self.repository}#{self.number}"

    def left(self, template: Template | TemplateOf) -> list[tuple[str, str]]:
        """(section heading, label) of every gate not settled, in the template's order.

        A gate whose box is missing from the body counts as left, as flows.parse has it.
        `template` may be the issue's template, or what gives each issue its own (its
        repository's version, bot.storage.draft_templates).
        """
        template = own_template(template, self)
        return [
            (template.heading(c.section).text, c.label)
            for c in template.gates
            if not self.gates.get(c.label, GateState()).settled
        ]

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now


# What gives a tracked issue its own template: the version its draft was filed with.
TemplateOf = Callable[[TrackedIssue], Template]


def own_template(template: Template | TemplateOf, issue: TrackedIssue) -> Template:
    """The issue's template: `template` itself, or what it gives for the issue."""
    return template if isinstance(template, Template) else template(issue)


@dataclass(frozen=True)
class Observation:
    """What GitHub said about an issue at one moment."""

    body: str | None
    state: IssueState
    source: SeenFrom
    remote_updated_at: datetime | None = None
    title: str | None = None
    url: str | None = None
    etag: str | None = None  # only from a single-issue GET


def body_hash(body: str | None) -> str:
    return hashlib.sha256((body or "").encode("utf-8")).hexdigest()


def from_draft(draft: Draft, repository: str, filed_at: datetime) -> TrackedIssue:
    """Start following a FILED draft's issue with the gates it was filed with."""
    if draft.issue_number is None:
        raise ValueError(f"draft {draft.id} has no issue number")
    return TrackedIssue(
        draft_id=draft.id,
        repository=repository,
        number=draft.issue_number,
        author=draft.author,
        title=draft.title,
        url=draft.issue_url,
        gates=dict(draft.gates),
        filed_at=filed_at,
        last_change_at=filed_at,
        seen_at=filed_at,
        seen_from=SeenFrom.FILED,
    )


def repository_of(draft: Draft, default: str | None) -> str | None:
    """The draft's issue's repository: from its URL (…/owner/name/issues/N) or the default."""
    parts = draft.issue_url.rstrip("/").split("/")
    if len(parts) >= 4 and parts[-2] == "issues" and parts[-1].isdigit():
        return f"{parts[-4]}/{parts[-3]}"
    return default


def observe(
    issue: TrackedIssue, seen: Observation, template: Template | TemplateOf, now: datetime
) -> TrackedIssue:
    """The issue after GitHub showed it as `seen` at `now`.

    An observation older than the one already applied (a late webhook delivery) changes
    nothing. A change of any gate resets the count of digests sent without progress.
    """
    if (
        seen.remote_updated_at is not None
        and issue.remote_updated_at is not None
        and seen.remote_updated_at < issue.remote_updated_at
    ):
        return issue
    template = own_template(template, issue)
    digest = body_hash(seen.body)
    if digest == issue.body_hash:
        gates = dict(issue.gates)  # the same body holds the same gates: no need to parse it
    else:
        gates = dict(parse_issue(template, seen.body or "").gates)
    changed = _as_json(gates) != _as_json(issue.gates)
    return replace(
        issue,
        gates=gates,
        state=seen.state,
        body_hash=digest,
        remote_updated_at=seen.remote_updated_at or issue.remote_updated_at,
        seen_at=now,
        seen_from=seen.source,
        title=_title(template, seen.title) if seen.title else issue.title,
        url=seen.url or issue.url,
        etag=seen.etag if seen.etag is not None else issue.etag,
        last_change_at=now if changed else issue.last_change_at,
        digests_without_change=0 if changed else issue.digests_without_change,
    )


def _as_json(gates: dict[str, GateState]) -> dict[str, Any]:
    # Compared as JSON values, as stored: two states that store alike are the same state.
    return {label: state.model_dump(mode="json") for label, state in gates.items()}


def _title(template: Template, title: str) -> str:
    return title.removeprefix(template.title_prefix)


def gone(issue: TrackedIssue, source: SeenFrom, now: datetime) -> TrackedIssue:
    """The issue after GitHub said it no longer exists (deleted, or out of the bot's reach)."""
    return replace(issue, state=IssueState.DELETED, seen_at=now, seen_from=source)


def moved(issue: TrackedIssue, repository: str, number: int, url: str) -> TrackedIssue:
    """The issue after it was transferred: same issue, new address, ETag no longer valid."""
    return replace(issue, repository=repository, number=number, url=url or issue.url, etag=None)


def snooze(issue: TrackedIssue, until: datetime) -> TrackedIssue:
    return replace(issue, snoozed_until=until)


def mute(issue: TrackedIssue) -> TrackedIssue:
    return replace(issue, muted=True)


def digested(issue: TrackedIssue, at: datetime) -> TrackedIssue:
    """The issue after a digest that listed it went out."""
    return replace(
        issue, last_digest_at=at, digests_without_change=issue.digests_without_change + 1
    )


# How far before the earliest filing a repository's first listing starts: the bot's clock
# and GitHub's may disagree a little.
FIRST_LISTING_MARGIN = timedelta(hours=1)
