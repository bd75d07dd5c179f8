"""Evidence from pull requests, as part of the sweep: link them, read what they changed and
how their checks ended, so the digest can show proof per gate.

Each sweep, with GitHub as the authority (a webhook only brings it forward):
1. Per repository of the open tracked issues, the pull requests updated since the last
   look, most recent first; the first page is conditional on its ETag (a 304 is free when
   nothing changed). Each one referencing a tracked issue is linked (bot.github.pull_links).
2. Each open tracked issue's timeline, with its own ETag, on the same cadence as the
   single-issue checks (REMINDER_VERIFY_HOURS): it brings the pull requests GitHub itself
   linked (a cross-reference from another repository, for one), which a text search of one
   repository's listing cannot find, and commits whose message references the issue (the
   pull requests holding such a commit are asked for once). A timeline never read has no
   ETag yet, so its first read is counted: at most TIMELINE_FIRST_READS of those per
   sweep, newest issues first.
3. For each linked merged pull request whose evidence is not complete: every page of its
   files (GitHub lists 3,000 at most), then the check runs and statuses on its merge
   commit. All of it is written in one unit of work once read; a fault or a low rate limit
   part-way leaves the last complete record and the next sweep tries again. Checks still
   running are read again each sweep (and at once after a `check_*` webhook).

Each repository is read with its own credentials (with a GitHub App, its installation:
bot.github.repository_clients, as the issue reads). A repository the App isn't installed on
is left out of this sweep (`skipped`, logged once by the sweep) and the others go on.

It stops, as the rest of the sweep does, when GitHub's remaining rate limit falls under
REMINDER_RATE_LIMIT_FLOOR.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.errors import GitHubUnavailable, RepositoryUnreachable, UnknownDraft
from bot.github.client import GitHubAccess
from bot.github.issues import github_time
from bot.github.pull_links import record_pull
from bot.github.pulls import PullAccess, timeline_commits, timeline_pulls
from bot.github.repository_clients import RepositoryClients
from bot.log import get_logger
from bot.settings import Settings
from bot.storage.evidence import PullCursor, StoredPull
from bot.storage.store import Session, Store
from flows import tracking
from flows.evidence import Answers, Assessment, assess
from flows.plan_drift import all_settled, plan_drift
from flows.template import Template
from flows.tracking import IssueState

log = get_logger()

TIMELINE_BATCH = 500  # timelines read per sweep at most; the rest wait for the next one
# Timelines read for the first time (no ETag yet, so counted) per sweep: a new milestone's
# costs one request once, and 1,000 issues tracked before an upgrade are learnt gradually
# within the sweep's bound of 10 counted requests.
TIMELINE_FIRST_READS = 5
FOLLOWED = (IssueState.OPEN.value, IssueState.CLOSED.value)
LISTING_MARGIN = timedelta(minutes=5)  # clocks differ; a pull request seen twice costs nothing


@dataclass
class EvidenceRun:
    requests: int = 0
    linked: int = 0  # linked pull requests the listing showed (new or known)
    read: int = 0  # pull requests whose files or checks were read
    stopped: str = ""
    skipped: dict[str, str] = field(default_factory=dict)  # repository (lower) -> why

    def reachable(self, repository: str) -> bool:
        return repository.lower() not in self.skipped

    def skip(self, exc: RepositoryUnreachable) -> None:
        self.skipped.setdefault(exc.repository.lower(), str(exc))


def assessment(s: Session, template: Template, draft_id: str) -> Assessment | None:
    """What the draft's linked pull requests prove, gate by gate (None: nothing linked)."""
    pulls = s.evidence.linked(draft_id)
    if not pulls:
        return None
    try:
        draft = s.drafts.get(draft_id)
    except UnknownDraft:
        return None
    return assess(template.gate_labels, Answers.of(draft), [p.pull for p in pulls])


class EvidenceReader:
    """Step 2 of the sweep's refresh, for pull requests (see the module docstring)."""

    def __init__(self, *, store: Store, settings: Settings, github: GitHubAccess) -> None:
        self.store = store
        self.settings = settings
        self.github = github

    def refresh(self, now: datetime, skipped: Mapping[str, str] | None = None) -> EvidenceRun:
        """Link, then read what is missing; a GitHub failure stops it until the next sweep,
        an unreachable repository (or one in `skipped` already) only its own part."""
        run = EvidenceRun(skipped={k.lower(): v for k, v in (skipped or {}).items()})
        access = PullAccess(clients=RepositoryClients(self.github))
        try:
            self._refresh(access, now, run)
        except GitHubUnavailable as exc:
            run.stopped = str(exc)
            log.warning("sweep.github_unavailable", reason=str(exc), requests=access.requests)
        run.requests = access.requests
        return run

    def _low(self, access: PullAccess, run: EvidenceRun) -> bool:
        if not access.budget.low(self.settings.reminder_rate_limit_floor):
            return False
        run.stopped = f"GitHub rate limit low ({access.budget.remaining} left); resuming next sweep"
        return True

    def _refresh(self, access: PullAccess, now: datetime, run: EvidenceRun) -> None:
        with self.store.session() as s:
            # Closed ones too: `Fixes #N` closes the milestone when its pull request merges,
            # and that merge is exactly what is read next.
            tracked = s.tracked.issues(states=FOLLOWED)
        earliest: dict[str, datetime] = {}
        for issue in tracked:
            key = issue.repository
            earliest[key] = min(earliest.get(key, issue.filed_at), issue.filed_at)
        for repository, since in sorted(earliest.items()):
            if not run.reachable(repository):
                continue
            try:
                self._list(access, repository, since, now, run)
            except RepositoryUnreachable as exc:
                run.skip(exc)
            if self._low(access, run):
                return
        self._timelines(access, now, run)
        if self._low(access, run):
            return
        self._read(access, now, run)

    # ----- 1. the listing -----------------------------------------------------------------

    def _list(
        self,
        access: PullAccess,
        repository: str,
        earliest: datetime,
        now: datetime,
        run: EvidenceRun,
    ) -> None:
        with self.store.session() as s:
            cursor = s.evidence.cursor(repository)
        since = (cursor.since if cursor and cursor.since else earliest) - LISTING_MARGIN
        page = access.updated_pulls(repository, etag=cursor.etag if cursor else None)
        if page.not_modified:
            if cursor is not None:  # a 304 answers the ETag, which only a cursor holds
                with self.store.session() as s:
                    s.evidence.save_cursor(replace(cursor, checked_at=now))
            return
        first_etag, newest = page.etag, None
        items: list[dict[str, Any]] = []
        while True:
            fresh = [i for i in page.items if (github_time(i.get("updated_at")) or now) >= since]
            items += fresh
            if len(fresh) < len(page.items) or not page.next_url or self._low(access, run):
                break
            page = access.updated_pulls(repository, next_url=page.next_url)
        with self.store.session() as s:
            # Oldest first, so a revert meets the pull request it undoes already linked.
            for item in reversed(items):
                updated = github_time(item.get("updated_at")) or now
                newest = max(newest or updated, updated)
                run.linked += bool(record_pull(s, item, "listing"))
        with self.store.session() as s:
            s.evidence.save_cursor(
                PullCursor(
                    repository, newest or (cursor.since if cursor else None), first_etag, now
                )
            )

    # ----- 2. timelines ---------------------------------------------------------------------

    def _timelines(self, access: PullAccess, now: datetime, run: EvidenceRun) -> None:
        before = now - timedelta(hours=self.settings.reminder_verify_hours)
        with self.store.session() as s:
            due = s.evidence.timelines_due(before, TIMELINE_BATCH, TIMELINE_FIRST_READS)
        for draft_id in due:
            with self.store.session() as s:
                issue = s.tracked.get(draft_id)
                state = s.evidence.state(draft_id)
            if issue is None or not run.reachable(issue.repository):
                continue
            try:
                page = access.timeline(issue.repository, issue.number, state.timeline_etag)
            except RepositoryUnreachable as exc:
                run.skip(exc)
                continue
            if not page.not_modified:
                self._from_events(access, draft_id, page.items, run)
            with self.store.session() as s:
                current = s.evidence.state(draft_id)
                s.evidence.save_state(
                    replace(current, timeline_etag=page.etag, timeline_checked_at=now)
                )
            if self._low(access, run):
                return

    def _from_events(
        self, access: PullAccess, draft_id: str, events: list[dict[str, Any]], run: EvidenceRun
    ) -> None:
        """The pull requests and commits a timeline names, each in its own repository (a
        cross-reference may come from one the App can't read: that one is skipped)."""
        for repository, number, _ in timeline_pulls(events):
            if run.reachable(repository):
                try:
                    self._from_timeline(access, draft_id, repository, number)
                except RepositoryUnreachable as exc:
                    run.skip(exc)
        for repository, sha in timeline_commits(events):
            if run.reachable(repository):
                try:
                    self._from_commit(access, draft_id, repository, sha)
                except RepositoryUnreachable as exc:
                    run.skip(exc)

    def _from_timeline(
        self, access: PullAccess, draft_id: str, repository: str, number: int
    ) -> None:
        with self.store.session() as s:
            known = s.evidence.pull(repository, number)
            linked = draft_id in s.evidence.drafts_of(repository, number)
        if known is not None and linked:
            return  # the listing or a webhook keeps it current
        data = access.pull(repository, number)
        with self.store.session() as s:
            record_pull(s, data, "timeline", also=(draft_id,))

    def _from_commit(self, access: PullAccess, draft_id: str, repository: str, sha: str) -> None:
        """A commit message referenced the issue: link the pull requests holding that commit
        (asked of GitHub once per commit and issue)."""
        key = f"evidence:commit:{draft_id}:{sha}"
        with self.store.session() as s:
            if s.deliveries.claimed(key):
                return
        found = access.pulls_of_commit(repository, sha)
        with self.store.session() as s:
            for data in found:
                record_pull(s, data, "commit", also=(draft_id,))
            s.deliveries.claim(key, draft_id)

    # ----- 3. files and checks ----------------------------------------------------------------

    def _read(self, access: PullAccess, now: datetime, run: EvidenceRun) -> None:
        with self.store.session() as s:
            unfinished = s.evidence.unfinished()
        for stored in unfinished:
            pull = stored.pull
            if not self._due(stored, now) or not run.reachable(pull.repository):
                continue
            assert pull.merge_sha is not None
            try:
                files = None if stored.files_read else access.files(pull.repository, pull.number)
                checks = access.checks(pull.repository, pull.merge_sha)
            except RepositoryUnreachable as exc:
                run.skip(exc)
                continue
            final = bool(checks) and all(c.conclusion is not None for c in checks)
            with self.store.session() as s:
                current = s.evidence.pull(pull.repository, pull.number)
                if current is None or current.pull.merge_sha != pull.merge_sha:
                    continue  # it changed meanwhile: the next sweep reads the new one
                updated = replace(current.pull, checks=checks)
                if files is not None:
                    updated = replace(updated, files=files.files, files_capped=files.capped)
                s.evidence.save_pull(
                    replace(
                        current,
                        pull=updated,
                        files_sha=pull.merge_sha,
                        checks_final=final,
                        checks_read_at=now,
                    )
                )
            run.read += 1
            if self._low(access, run):
                return

    def _due(self, stored: StoredPull, now: datetime) -> bool:
        """Files not read, or checks running: now. No checks reported: once a verify period."""
        if not stored.files_read or stored.checks_read_at is None:
            return True
        if stored.pull.checks:
            return True
        period = timedelta(hours=self.settings.reminder_verify_hours)
        return now - stored.checks_read_at >= period


def followed_with_links(s: Session) -> list[tracking.TrackedIssue]:
    """Open or closed tracked issues with at least one linked pull request."""
    return [
        issue for issue in s.tracked.issues(states=FOLLOWED) if s.evidence.linked(issue.draft_id)
    ]


def plan_summary(s: Session, template: Template, draft_id: str) -> str:
    """The plan against the work in one line, once no linked pull request is open; else ""."""
    result = assessment(s, template, draft_id)
    if result is None or not all_settled(result.pulls):
        return ""
    drift = plan_drift(Answers.of(s.drafts.get(draft_id)), result.pulls)

    def paths(items: tuple[str, ...]) -> str:
        return ", ".join(f"`{p}`" for p in items[:10]) or "none"

    return (
        f"Plan against the work: planned, not touched: {paths(drift.untouched)}; "
        f"touched, not planned: {paths(drift.unplanned)}"
    )
