"""The reconcile sweep: GitHub's word on every tracked issue, then digests and stale drafts.

One sweep, at one moment `now` (the only clock; tests pass it in):
1. Adopt: every FILED draft whose issue is not tracked yet starts being tracked.
2. Refresh from GitHub, the authority, so a lost webhook or a bot that was down changes
   nothing in the end:
   * per repository, the issues updated since the last listing (`sort=updated`,
     `direction=asc`, `since`), 100 a page; the first page is conditional on the ETag of the
     last identical listing, so when nothing changed it is one 304 that costs no rate limit;
   * then a single conditional GET (`If-None-Match` with the issue's own ETag) for each
     open issue GitHub has not confirmed for REMINDER_VERIFY_HOURS, which finds deleted and
     transferred issues (a listing cannot) and answers 304 for unchanged ones.
   It stops early, and the next sweep resumes where it stopped, when GitHub's
   x-ratelimit-remaining falls under REMINDER_RATE_LIMIT_FLOOR. GitHub Enterprise Server
   without rate-limit headers is simply never low.
3. Digests: for each author whose digest is due (bot/reminders/schedule.py), claim the window
   and send (bot/reminders/digests.py). Held back when the refresh did not finish, so a digest
   never lists a box already ticked on GitHub.
4. Stale drafts: nudge, then archive (bot/reminders/stale_drafts.py).

`--dry-run` (dry_run=True) asks GitHub nothing, writes nothing and sends nothing: it plans
from the state stored by the last sweep or webhook and says who would get what.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient

from bot.errors import GitHubUnavailable, RepositoryUnreachable
from bot.github.client import GitHubAccess
from bot.github.issues import (
    PER_PAGE,
    Budget,
    IssueAccess,
    github_time,
    observation,
    repository_from_url,
)
from bot.github.repository_issues import RepositoryIssues
from bot.log import get_logger
from bot.reminders.digests import (
    AuthorPlan,
    DigestOutcome,
    Reminders,
    TimeZones,
    cadence_from,
    plan_digests,
)
from bot.reminders.evidence import EvidenceReader, EvidenceRun
from bot.reminders.evidence_outcomes import EvidenceOutcomes
from bot.reminders.schedule import zone as time_zone
from bot.reminders.stale_drafts import StaleAction, stale_drafts
from bot.settings import Settings
from bot.slack.poster import SlackPoster
from bot.slack.users import UserDirectory
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Session, Store
from bot.storage.tracked import IssueCursor
from flows import tracking
from flows.template import Template
from flows.tracking import IssueState, SeenFrom, TemplateOf, TrackedIssue

log = get_logger()

VERIFY_BATCH = 500  # single-issue checks per sweep at most; the rest wait for the next one
# A listing this long moves its `since` forward (one more counted request to re-prime the
# ETag); a shorter one keeps it, so the same URL keeps answering 304 while nothing changes.
ADVANCE_AFTER = PER_PAGE // 2


@dataclass
class SweepReport:
    now: datetime
    dry_run: bool
    adopted: list[str] = field(default_factory=list)
    observed: int = 0  # issues GitHub showed (changed or not)
    requests: int = 0  # requests made to GitHub
    complete: bool = True  # whether every tracked issue is as fresh as this sweep can make it
    stopped: str = ""  # why the refresh stopped early
    skipped: dict[str, str] = field(default_factory=dict)  # repository -> why it wasn't read
    plans: list[AuthorPlan] = field(default_factory=list)
    digests: list[DigestOutcome] = field(default_factory=list)
    drafts: list[StaleAction] = field(default_factory=list)
    evidence: EvidenceRun | None = None  # pull requests linked and read

    def lines(self, template: Template) -> list[str]:
        """What happened, one line each, for `milestone-bot remind`."""
        verb = "would send" if self.dry_run else "due"
        out = [
            f"sweep at {self.now.isoformat()}"
            + (" (dry run: nothing sent)" if self.dry_run else "")
        ]
        if not self.dry_run:
            state = "complete" if self.complete else f"stopped early: {self.stopped}"
            out.append(
                f"GitHub: {self.requests} request(s), {self.observed} issue(s) read, {state}"
            )
            out += [f"skipped {repo}: {why}" for repo, why in self.skipped.items()]
            if self.evidence is not None:
                run = self.evidence
                stopped = f", stopped: {run.stopped}" if run.stopped else ""
                out.append(
                    f"pull requests: {run.linked} linked seen, {run.read} read for evidence"
                    + stopped
                )
        for draft_id in self.adopted:
            lead = "would start tracking" if self.dry_run else "now tracking"
            out.append(f"{lead} the issue of {draft_id}")
        sent = {d.author: d for d in self.digests}
        for plan in self.plans:
            issues = ", ".join(f"{i.key} ({len(i.left(template))} left)" for i in plan.issues)
            if plan.due and plan.issues:
                outcome = sent.get(plan.author)
                held = not self.dry_run and not self.complete
                status = outcome.status if outcome else ("held" if held else verb)
                if outcome and outcome.detail:
                    status += f" ({outcome.detail})"
                out.append(f"digest to {plan.author} [{plan.tz}]: {status}: {issues}")
            elif plan.next_at is not None:
                local = plan.next_at.astimezone(time_zone(plan.tz))
                out.append(
                    f"next digest to {plan.author} at {local:%Y-%m-%d %H:%M} {plan.tz}"
                    + (f": {issues}" if issues else "")
                )
        for action in self.drafts:
            what = "nudge" if action.kind == "nudge" else "archive"
            done = "done" if action.done else ("would " + what if self.dry_run else "not posted")
            out.append(f"{what} draft {action.draft_id} of {action.author}: {done}")
        return out


class Sweeper:
    """Runs sweeps; built once per process (serve's loop, or `milestone-bot remind`)."""

    def __init__(
        self,
        *,
        store: Store,
        template: Template,
        settings: Settings,
        slack: WebClient | None,
        github: GitHubAccess | None,
        draft_templates: DraftTemplates | None = None,
    ) -> None:
        self.store = store
        self.template = template
        self.draft_templates = draft_templates  # each issue's own template version
        self.settings = settings
        self.slack = slack
        self.github = github
        self.cadence = cadence_from(settings)
        self.reminders = (
            Reminders(
                store=store,
                template=template,
                client=slack,
                cadence=self.cadence,
                command=settings.slack_command,
                default_tz=settings.reminder_default_tz,
                draft_templates=draft_templates,
            )
            if slack is not None
            else None
        )

    def _own(self, s: Session | None = None) -> Template | TemplateOf:
        """Each tracked issue's template: its draft's version (one template without them)."""
        if self.draft_templates is None:
            return self.template
        return self.draft_templates.issue_templates(s)

    def sweep(self, now: datetime, *, dry_run: bool = False) -> SweepReport:
        if now.tzinfo is None:
            raise ValueError("the sweep's `now` must be an aware datetime")
        report = SweepReport(now, dry_run)
        adopted = self._adopt(now, report, dry_run)
        if dry_run:
            report.complete = True
        elif self.github is None:
            report.complete, report.stopped = False, "GitHub is not configured"
        else:
            self._refresh(now, report)
        zones = TimeZones(
            UserDirectory(self.store, self.slack),
            self.settings.reminder_default_tz,
            save=not dry_run,
        )
        if not dry_run and self.reminders is not None:
            self.reminders.settle_unanswered(now)
        with self.store.session() as s:
            issues = s.tracked.issues(states=(IssueState.OPEN.value,))
        if dry_run:
            issues += adopted  # the dry run stores nothing, so it plans with them in memory
        report.plans = plan_digests(now, issues, self._own(), self.cadence, zones.name)
        due = [p for p in report.plans if p.due and p.issues]
        if not dry_run and self.reminders is not None:
            if report.complete:
                report.digests = [self.reminders.send(plan, now) for plan in due]
            elif due:
                log.warning(
                    "reminder.skipped",
                    reason=f"sweep incomplete: {report.stopped}",
                    authors=len(due),
                )
        report.drafts = stale_drafts(
            now,
            store=self.store,
            poster=SlackPoster(self.slack) if self.slack is not None else None,
            zones=zones.name,
            cadence=self.cadence,
            nudge_days=self.settings.draft_nudge_days,
            archive_days=self.settings.draft_archive_days,
            command=self.settings.slack_command,
            dry_run=dry_run,
        )
        log.info(
            "sweep.done",
            dry_run=dry_run,
            requests=report.requests,
            complete=report.complete,
            digests=len(report.digests),
            drafts=len(report.drafts),
        )
        return report

    # ----- 1. adopt ----------------------------------------------------------------------

    def _adopt(self, now: datetime, report: SweepReport, dry_run: bool) -> list[TrackedIssue]:
        adopted = []
        with self.store.session() as s:
            for draft in s.drafts.filed_untracked():
                repository = tracking.repository_of(draft, self.settings.github_repository)
                if repository is None:
                    log.warning("tracking.no_repository", draft_id=draft.id)
                    continue
                filed_at = draft.updated_at or draft.created_at or now
                issue = tracking.from_draft(draft, repository, filed_at)
                if s.tracked.at(issue.repository, issue.number) is not None:
                    continue
                if not dry_run:
                    s.tracked.save(issue)
                adopted.append(issue)
                report.adopted.append(draft.id)
        return adopted

    # ----- 2. refresh --------------------------------------------------------------------

    def _refresh(self, now: datetime, report: SweepReport) -> None:
        assert self.github is not None
        try:
            access = RepositoryIssues(self.github)
            with self.store.session() as s:
                tracked = s.tracked.issues(states=(IssueState.OPEN.value, IssueState.CLOSED.value))
            repositories: dict[str, datetime] = {}
            for issue in tracked:
                key = issue.repository.lower()
                earliest = repositories.get(key)
                repositories[key] = min(earliest, issue.filed_at) if earliest else issue.filed_at
            for repository, earliest in sorted(repositories.items()):
                try:
                    if not self._list(access, repository, earliest, now, report):
                        return
                except RepositoryUnreachable as exc:
                    self._skip(report, exc)
            self._verify(access, now, report)
            if report.complete:
                self._evidence(now, report)
        except GitHubUnavailable as exc:
            report.complete, report.stopped = False, str(exc)
            log.warning("sweep.github_unavailable", reason=str(exc), requests=report.requests)

    def _evidence(self, now: datetime, report: SweepReport) -> None:
        """Pull requests and their evidence (bot/reminders/evidence.py), then what follows."""
        assert self.github is not None
        reader = EvidenceReader(store=self.store, settings=self.settings, github=self.github)
        run = reader.refresh(now, skipped=report.skipped)
        for repository, reason in run.skipped.items():
            self._skip(report, RepositoryUnreachable(repository, reason))
        report.requests += run.requests
        report.evidence = run
        EvidenceOutcomes(
            store=self.store,
            template=self.template,
            settings=self.settings,
            reminders=self.reminders,
            poster=SlackPoster(self.slack) if self.slack is not None else None,
            github=self.github,
        ).apply(now)

    def _skip(self, report: SweepReport, exc: RepositoryUnreachable) -> None:
        """Leave one repository out of this sweep (said once); the others go on."""
        if exc.repository.lower() not in report.skipped:
            report.skipped[exc.repository.lower()] = str(exc)
            log.warning("sweep.repository_skipped", repository=exc.repository, reason=str(exc))

    def _stop(self, report: SweepReport, budget: Budget) -> bool:
        """Stop when the rate limit left is under the floor; the next sweep resumes."""
        if not budget.low(self.settings.reminder_rate_limit_floor):
            return False
        report.complete = False
        report.stopped = f"GitHub rate limit low ({budget.remaining} left); resuming next sweep"
        log.warning("sweep.rate_limit_low", remaining=budget.remaining, reset=budget.reset)
        return True

    def _list(
        self,
        access: IssueAccess,
        repository: str,
        earliest: datetime,
        now: datetime,
        report: SweepReport,
    ) -> bool:
        """Apply every issue of `repository` updated since the last listing; False if stopped."""
        with self.store.session() as s:
            cursor = s.tracked.cursor(repository)
        since = (cursor.since if cursor else None) or earliest - tracking.FIRST_LISTING_MARGIN
        etag = cursor.etag if cursor else None
        page, seen, first_etag = 1, 0, None
        newest: datetime | None = None
        while True:
            listing = access.list_updated(repository, since, page=page, etag=etag)
            report.requests += 1
            if listing.not_modified:
                self._save_cursor(repository, since, etag, now)
                return not self._stop(report, listing.budget)
            if page == 1:
                first_etag = listing.etag
            seen += len(listing.items)
            for item in listing.items:
                updated_at = github_time(item.get("updated_at"))
                if updated_at is not None and (newest is None or updated_at > newest):
                    newest = updated_at
            self._apply_listing(repository, listing.items, now, report)
            if self._stop(report, listing.budget):
                # Oldest first: everything up to `newest` is applied; resume from there.
                self._save_cursor(repository, newest or since, None, now)
                return False
            if not listing.has_next:
                break
            page, etag = page + 1, None
        if seen >= ADVANCE_AFTER and newest is not None:
            self._save_cursor(repository, newest, None, now)
        else:
            self._save_cursor(repository, since, first_etag, now)
        return True

    def _save_cursor(
        self, repository: str, since: datetime, etag: str | None, now: datetime
    ) -> None:
        with self.store.session() as s:
            s.tracked.save_cursor(IssueCursor(repository, since, etag, now))

    def _apply_listing(
        self, repository: str, items: list[dict[str, Any]], now: datetime, report: SweepReport
    ) -> None:
        with self.store.session() as s:
            for item in items:
                if "pull_request" in item or not isinstance(item.get("number"), int):
                    continue
                issue = s.tracked.at(repository, item["number"])
                if issue is None or issue.state is IssueState.DELETED:
                    continue
                seen = observation(item, SeenFrom.SWEEP)
                updated = tracking.observe(issue, seen, self._own(s), now)
                s.tracked.save(replace(updated, verified_at=now))
                report.observed += 1

    def _verify(self, access: IssueAccess, now: datetime, report: SweepReport) -> None:
        before = now - timedelta(hours=self.settings.reminder_verify_hours)
        with self.store.session() as s:
            due = s.tracked.unverified_since(before, VERIFY_BATCH)
        for issue in due:
            if issue.repository.lower() in report.skipped:
                continue
            try:
                read = access.get(issue.repository, issue.number, issue.etag)
            except RepositoryUnreachable as exc:
                self._skip(report, exc)
                continue
            report.requests += 1
            with self.store.session() as s:
                current = s.tracked.get(issue.draft_id)
                if current is None:
                    continue
                if read.gone:
                    log.warning("tracking.gone", draft_id=issue.draft_id, issue=issue.key)
                    s.tracked.save(tracking.gone(current, SeenFrom.SWEEP, now))
                elif read.not_modified or read.data is None:
                    s.tracked.save(replace(current, verified_at=now))
                else:
                    data = read.data
                    moved_to = repository_from_url(data.get("repository_url"))
                    number = data.get("number")
                    if (
                        moved_to
                        and isinstance(number, int)
                        and (
                            moved_to.lower() != current.repository.lower()
                            or number != current.number
                        )
                    ):
                        log.info(
                            "tracking.moved", draft_id=issue.draft_id, to=f"{moved_to}#{number}"
                        )
                        current = tracking.moved(
                            current, moved_to, number, data.get("html_url", "")
                        )
                    seen = observation(data, SeenFrom.SWEEP, etag=read.etag)
                    updated = tracking.observe(current, seen, self._own(s), now)
                    s.tracked.save(replace(updated, verified_at=now))
                    report.observed += 1
            if self._stop(report, read.budget):
                return
