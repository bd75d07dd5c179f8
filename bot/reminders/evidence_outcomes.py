"""What the sweep does with the evidence once GitHub was read: log what is new, tick gates
with evidence when the operator asked for that (EVIDENCE_AUTO_TICK), and, when the last
open linked pull request merged, post the plan against the work in the draft's thread once.

Ticking goes through Reminders.settle, the same re-read, write, verify as the digest's Done,
with ` — evidence: owner/repo#123` on the box's line. The plan-drift message is claimed in
SQLite before it is posted, so it appears once whatever runs at the same time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.errors import GitHubUnavailable, UnknownDraft
from bot.github.client import GitHubAccess
from bot.github.repository_issues import RepositoryIssues
from bot.log import get_logger
from bot.reminders.blocks import gate_by_hash, issue_link
from bot.reminders.controls import settle_gate
from bot.reminders.digests import Reminders, Settled
from bot.reminders.evidence import assessment, followed_with_links
from bot.settings import Settings
from bot.slack.poster import SlackPoster
from bot.slack.text import escape_mrkdwn
from bot.storage.store import Session, Store
from flows.draft import GateState, GateStatus
from flows.evidence import Answers, Assessment, PullRequest, PullState
from flows.plan_drift import PlanDrift, all_settled, plan_drift
from flows.template import Template
from flows.tracking import IssueState, TrackedIssue

log = get_logger()

MAX_LISTED = 15  # paths named per list in the thread message; the rest are counted


def _paths(paths: tuple[str, ...]) -> str:
    if not paths:
        return "none"
    shown = ", ".join(f"`{escape_mrkdwn(p)}`" for p in paths[:MAX_LISTED])
    more = len(paths) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def drift_text(issue: TrackedIssue, pulls: list[PullRequest], drift: PlanDrift) -> str:
    """The one thread message comparing the File Touch Plan with the merged work."""
    merged = ", ".join(f"#{p.number}" for p in pulls if p.state.value == "merged")
    lead = (
        f"<@{issue.author}> The pull requests linked to {issue_link(issue)} are merged "
        f"({merged}). The plan against the work:"
    )
    if not drift.any:
        return f"{lead} every planned file was touched, and nothing outside the plan."
    return (
        f"{lead}\n• Planned, touched by no linked pull request: {_paths(drift.untouched)}"
        f"\n• Touched, not in the File Touch Plan (tests and docs aside): "
        f"{_paths(drift.unplanned)}\nIf the plan changed, update the File Touch Plan on GitHub."
    )


class EvidenceOutcomes:
    def __init__(
        self,
        *,
        store: Store,
        template: Template,
        settings: Settings,
        reminders: Reminders | None,
        poster: SlackPoster | None,
        github: GitHubAccess | None,
    ) -> None:
        self.store = store
        self.template = template
        self.settings = settings
        self.reminders = reminders
        self.poster = poster
        self.github = github

    def apply(self, now: datetime) -> None:
        with self.store.session() as s:
            found = [
                (i, assessment(s, self._template_of(i.draft_id, s), i.draft_id))
                for i in followed_with_links(s)
            ]
        for issue, result in found:
            if result is None:
                continue
            self._log_found(issue, result)
            if self.settings.evidence_auto_tick and issue.state is IssueState.OPEN:
                self._auto_tick(issue, result)
            self._drift(issue, result, now)

    def _template_of(self, draft_id: str, s: Session) -> Template:
        """The template the issue was filed with: its repository's version, whose gate labels
        are the ones its body holds (the default one without reminders)."""
        if self.reminders is None:
            return self.template
        return self.reminders.template_of(draft_id, s)

    def _log_found(self, issue: TrackedIssue, result: Assessment) -> None:
        with self.store.session() as s:
            state = s.evidence.state(issue.draft_id)
            seen = dict(state.found)
            for label, gate in result.found().items():
                if seen.get(label) == gate.reference:
                    continue
                seen[label] = gate.reference
                log.info(
                    "evidence.found",
                    draft_id=issue.draft_id,
                    issue=issue.key,
                    gate=label,
                    pulls=gate.reference,
                )
            s.evidence.save_state(replace(state, found=seen))

    def _auto_tick(self, issue: TrackedIssue, result: Assessment) -> None:
        if self.reminders is None or self.github is None:
            return
        for label, gate in result.found().items():
            if issue.gates.get(label, GateState()).settled:
                continue
            state = GateState(status=GateStatus.CHECKED, evidence=gate.reference)
            try:
                settled = self.reminders.settle(
                    issue.author, issue.draft_id, label, state, RepositoryIssues(self.github)
                )
            except GitHubUnavailable as exc:
                log.warning("gate.settle_failed", reason=str(exc))
                return
            if not settled.ok:
                continue
            log.info(
                "evidence.ticked",
                draft_id=issue.draft_id,
                issue=issue.key,
                gate=label,
                pulls=gate.reference,
                auto=True,
            )
            with self.store.session() as s:
                current = s.evidence.state(issue.draft_id)
                ticked = (*current.auto_ticked, label)
                s.evidence.save_state(replace(current, auto_ticked=tuple(dict.fromkeys(ticked))))

    def _drift(self, issue: TrackedIssue, result: Assessment, now: datetime) -> None:
        pulls = list(result.pulls)
        if not all_settled(pulls):
            return
        with self.store.session() as s:
            state = s.evidence.state(issue.draft_id)
            if state.drift_sent_at is not None:
                return
            linked = s.evidence.linked(issue.draft_id)
            if any(p.pull.state is PullState.MERGED and not p.files_read for p in linked):
                return  # said once only, so not before every merged one's files are read
            try:
                draft = s.drafts.get(issue.draft_id)
                location = s.drafts.location(issue.draft_id)
            except UnknownDraft:
                return
            s.evidence.save_state(replace(state, drift_sent_at=now))  # claimed: once only
        drift = plan_drift(Answers.of(draft), pulls)
        log.info(
            "plan.drift",
            draft_id=issue.draft_id,
            issue=issue.key,
            pulls=", ".join(p.key for p in pulls),
            untouched=len(drift.untouched),
            unplanned=len(drift.unplanned),
        )
        if location is not None and self.poster is not None:
            self.poster.post(
                location.channel, drift_text(issue, pulls, drift), thread_ts=location.thread_ts
            )


def tick_with_evidence(
    reminders: Reminders, github: GitHubAccess | None, user: str, value: dict[str, Any]
) -> Settled:
    """The digest's Tick with evidence: the proof as it stands now goes on the box's line."""
    draft_id = str(value.get("d", ""))
    template = reminders.template_of(draft_id)
    label = gate_by_hash(template, str(value.get("g", "")))
    with reminders.store.session(readonly=True) as s:
        result = assessment(s, template, draft_id) if label else None
        tracked = s.tracked.get(draft_id)
    gate = result.gates.get(label) if result is not None and label else None
    if gate is None or not gate.found:
        return Settled(
            False, "That gate has no evidence from a merged pull request any more; use Done."
        )
    state = GateState(status=GateStatus.CHECKED, evidence=gate.reference)
    settled = settle_gate(reminders, github, user, value, state)
    if settled.ok:
        log.info(
            "evidence.ticked",
            draft_id=draft_id,
            issue=tracked.key if tracked else None,
            gate=label,
            pulls=gate.reference,
            auto=False,
        )
    return settled
