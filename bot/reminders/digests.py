"""Gate reminders: who gets a digest now, sending it at most once per window, and what the
digest's controls do (Done, Not applicable, Snooze, Mute).

Bounded whatever happens: before a digest is sent, its window (the author's local date) is
claimed with an INSERT on a unique key in SQLite, so two sweeps at once, two processes or a
restart send at most one. A send Slack refused (an `ok: false` answer) is marked failed and
retried by the next sweep in the same window, up to MAX_ATTEMPTS; a send whose answer never
came (the connection dropped, the process died) stays "sending" and is never repeated,
because Slack may have posted it.

Done and Not applicable edit the issue on GitHub safely: read the current body, change only
that box's line (flows.gate_edit.set_gate), check with a conditional GET that nobody edited
meanwhile, write it back, and read again to check the box is settled; a box someone already
ticked is left as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.errors import UnknownDraft
from bot.github.issues import IssueAccess, IssueRead, observation
from bot.log import get_logger, redact
from bot.reminders.blocks import (
    digest_blocks,
    digest_text,
    issue_link,
    thread_note_text,
)
from bot.reminders.evidence import assessment
from bot.reminders.schedule import (
    Cadence,
    Due,
    digest_due,
    listable,
    next_allowed,
    next_digest_at,
    window_key,
)
from bot.reminders.schedule import zone as time_zone
from bot.settings import Settings
from bot.slack.poster import SlackPoster, slack_error
from bot.slack.users import SLACK_USER, UserDirectory
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Session, Store
from flows import tracking
from flows.draft import GateState, GateStatus
from flows.evidence import GateEvidence
from flows.gate_edit import set_gate
from flows.parse import parse_issue
from flows.template import Template
from flows.tracking import IssueState, SeenFrom, TemplateOf, TrackedIssue

log = get_logger()

MAX_ATTEMPTS = 3  # sends of one window's digest that Slack refused, before giving up on it
# A send still unanswered this long after its claim was cut off (no Slack call takes as long).
UNANSWERED_AFTER = timedelta(minutes=5)
SETTLE_ATTEMPTS = 3  # rounds of read, edit, write, check when others edit at the same time


def cadence_from(settings: Settings) -> Cadence:
    return Cadence(
        first_digest_days=settings.reminder_first_digest_days,
        interval_working_days=settings.reminder_interval_working_days,
        start_hour=settings.reminder_start_hour,
        end_hour=settings.reminder_end_hour,
        thread_note_after=settings.reminder_thread_note_after,
    )


def sending_client(client: WebClient) -> WebClient:
    """A client like `client` that never re-sends after a dropped connection.

    The bot's client retries connection errors, which is right for reads and harmful for a
    digest: the first post may have reached Slack. A 429 is still waited out (Slack did
    nothing with the request).
    """
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )


class TimeZones:
    """Authors' time zones for one sweep, through the user directory, with a default."""

    def __init__(self, users: UserDirectory, default: str, *, save: bool = True) -> None:
        self._users = users
        self._default = default
        self._save = save
        self._known: dict[str, str] = {}

    def name(self, user: str) -> str:
        if user not in self._known:
            self._known[user] = self._users.tz_name(user, save=self._save) or self._default
        return self._known[user]

    def zone(self, user: str) -> ZoneInfo:
        return time_zone(self.name(user), self._default)


@dataclass(frozen=True)
class AuthorPlan:
    """One author's digest as the schedule sees it at a moment."""

    author: str
    tz: str
    due: bool
    next_at: datetime | None
    window_key: str
    issues: tuple[TrackedIssue, ...]  # what a digest sent now lists


@dataclass(frozen=True)
class DigestOutcome:
    author: str
    window_key: str
    status: str  # sent, failed, unknown (answer lost: not repeated), taken (claimed already)
    issues: tuple[str, ...]
    detail: str = ""


@dataclass(frozen=True)
class Settled:
    """What became of a Done or Not applicable click; `message` is for the author."""

    ok: bool
    message: str


def _due(issue: TrackedIssue) -> Due:
    return Due(issue.filed_at, issue.last_digest_at, issue.snoozed_until)


def remindable(issue: TrackedIssue, template: Template | TemplateOf) -> bool:
    """Open, not muted, with gates left, and an author the bot can DM."""
    return (
        issue.state is IssueState.OPEN
        and not issue.muted
        and bool(issue.left(template))
        and bool(SLACK_USER.match(issue.author))
    )


def plan_digests(
    now: datetime,
    issues: Iterable[TrackedIssue],
    template: Template | TemplateOf,
    cadence: Cadence,
    zones: Callable[[str], str],
) -> list[AuthorPlan]:
    """Each author's digest at `now`: due or not, when next, and what it lists."""
    by_author: dict[str, list[TrackedIssue]] = defaultdict(list)
    for issue in issues:
        if remindable(issue, template):
            by_author[issue.author].append(issue)
    plans = []
    for author in sorted(by_author):
        own = by_author[author]
        tz_name = zones(author)
        tz = time_zone(tz_name)
        dues = [_due(i) for i in own]
        at = next_digest_at(dues, tz, cadence)
        if at is not None and at < now:
            at = next_allowed(now, tz, cadence)  # overdue: the next moment it may go out
        plans.append(
            AuthorPlan(
                author=author,
                tz=tz_name,
                due=digest_due(now, dues, tz, cadence),
                next_at=at,
                window_key=window_key(author, now, tz),
                issues=tuple(i for i in own if listable(_due(i), now, cadence)),
            )
        )
    return plans


class Reminders:
    """Sends digests and carries out what their controls ask."""

    def __init__(
        self,
        *,
        store: Store,
        template: Template,
        client: WebClient,
        cadence: Cadence,
        command: str,
        default_tz: str = "UTC",
        draft_templates: DraftTemplates | None = None,
    ) -> None:
        self.store = store
        self.template = template
        self.draft_templates = draft_templates  # each issue's own template version
        self.cadence = cadence
        self.command = command  # the slash command, named in what the digest says
        self.default_tz = default_tz
        self.sender = sending_client(client)
        self.poster = SlackPoster(client)

    def _own(self, s: Session | None = None) -> Template | TemplateOf:
        """Each tracked issue's template: its draft's version (one template without them)."""
        if self.draft_templates is None:
            return self.template
        return self.draft_templates.issue_templates(s)

    def template_of(self, draft_id: str, s: Session | None = None) -> Template:
        """The template the draft `draft_id` was filed with (its gates, their hashes)."""
        if self.draft_templates is None:
            return self.template
        return self.draft_templates.template_of_draft(draft_id, s)

    # ----- digests --------------------------------------------------------------------

    def send(self, plan: AuthorPlan, now: datetime) -> DigestOutcome:
        """Claim the author's window, then send the digest; at most once per window."""
        ids = tuple(i.draft_id for i in plan.issues)
        with self.store.session() as s:
            claimed = s.digests.claim(plan.window_key, plan.author, ids, now) or (
                s.digests.reclaim(plan.window_key, ids, now, MAX_ATTEMPTS)
            )
            existing = None if claimed else s.digests.get(plan.window_key)
        if not claimed:
            detail = existing.status if existing else ""
            return DigestOutcome(plan.author, plan.window_key, "taken", ids, detail)
        evidence, ticked_note = self._evidence(ids)
        blocks = digest_blocks(
            self._own(),
            plan.issues,
            plan.window_key,
            command=self.command,
            note=ticked_note,
            evidence=evidence,
        )
        try:
            response = self.sender.chat_postMessage(
                channel=plan.author,
                text=digest_text(self._own(), plan.issues),
                blocks=blocks,
                unfurl_links=False,
            )
        except SlackApiError as exc:
            reason = slack_error(exc)
            with self.store.session() as s:
                s.digests.finish(plan.window_key, "failed", at=now, error=reason)
            log.warning("digest.failed", author=plan.author, window=plan.window_key, reason=reason)
            return DigestOutcome(plan.author, plan.window_key, "failed", ids, reason)
        except Exception as exc:  # noqa: BLE001 - no answer: Slack may have posted it
            reason = redact(f"{type(exc).__name__}: {exc}")[:300]
            log.warning(
                "digest.outcome_unknown", author=plan.author, window=plan.window_key, reason=reason
            )
            return DigestOutcome(plan.author, plan.window_key, "unknown", ids, reason)
        with self.store.session() as s:
            s.digests.finish(
                plan.window_key,
                "sent",
                at=now,
                channel=str(response.get("channel") or plan.author),
                ts=str(response.get("ts") or ""),
            )
            for draft_id in ids:
                issue = s.tracked.get(draft_id)
                if issue is not None:
                    s.tracked.save(tracking.digested(issue, now))
                told = s.evidence.state(draft_id)
                if told.auto_ticked:  # said in this digest: not again
                    s.evidence.save_state(replace(told, auto_ticked=()))
        log.info("reminder.sent", author=plan.author, window=plan.window_key, issues=len(ids))
        self.thread_notes(ids)
        return DigestOutcome(plan.author, plan.window_key, "sent", ids)

    def settle_unanswered(self, now: datetime) -> list[str]:
        """Digests whose send never got an answer (a dropped connection, a process killed
        mid-send) count as sent: Slack may have shown them, and at most one per window is
        the promise. Their issues then follow the cadence from that moment."""
        settled = []
        with self.store.session() as s:
            for record in s.digests.unanswered(now - UNANSWERED_AFTER):
                s.digests.finish(record.window_key, "unknown", at=record.claimed_at)
                for draft_id in record.issues:
                    issue = s.tracked.get(draft_id)
                    if issue is not None and (
                        issue.last_digest_at is None or issue.last_digest_at < record.claimed_at
                    ):
                        s.tracked.save(tracking.digested(issue, record.claimed_at))
                settled.append(record.window_key)
        for key in settled:
            log.warning("digest.assumed_sent", window=key)
        return settled

    def thread_notes(self, draft_ids: Sequence[str]) -> list[str]:
        """One note in the original thread of each issue digests have not moved (once)."""
        noted = []
        for draft_id in draft_ids:
            with self.store.session() as s:
                issue = s.tracked.get(draft_id)
                if (
                    issue is None
                    or issue.thread_note_sent
                    or issue.digests_without_change < self.cadence.thread_note_after
                ):
                    continue
                s.tracked.save(replace(issue, thread_note_sent=True))
                try:
                    location = s.drafts.location(draft_id)
                except UnknownDraft:
                    location = None
            if location is None:
                continue
            text = thread_note_text(
                issue, len(issue.left(self._own())), issue.digests_without_change
            )
            if self.poster.post(location.channel, text, thread_ts=location.thread_ts):
                noted.append(draft_id)
        return noted

    def digest_view(
        self, window_key: str, *, note: str = ""
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """The digest's message as it should read now, after a click changed something."""
        with self.store.session() as s:
            now = s.now
            record = s.digests.get(window_key)
            if record is None:
                return None
            issues = [s.tracked.get(draft_id) for draft_id in record.issues]
        shown = [i for i in issues if i is not None and i.state is IssueState.OPEN and not i.muted]
        snoozed = [i for i in shown if i.snoozed(now)]
        listed = [i for i in shown if not i.snoozed(now)]
        snoozed_note = ""
        if snoozed and not listed:
            until = min(i.snoozed_until for i in snoozed if i.snoozed_until is not None)
            tz = time_zone(self._tz_of(record.author), self.default_tz)
            snoozed_note = f"Snoozed until {_local(until, tz)}: nothing from me before then."
        evidence, _ = self._evidence([i.draft_id for i in listed])
        blocks = digest_blocks(
            self._own(),
            listed,
            window_key,
            command=self.command,
            note=note,
            snoozed_note=snoozed_note,
            evidence=evidence,
        )
        return digest_text(self._own(), listed), blocks

    def _evidence(self, draft_ids: Sequence[str]) -> tuple[dict[str, dict[str, GateEvidence]], str]:
        """Per issue, the evidence its linked pull requests hold (bot/reminders/evidence.py),
        and a note naming the gates ticked automatically since the last digest."""
        found: dict[str, dict[str, GateEvidence]] = {}
        ticked: list[str] = []
        with self.store.session(readonly=True) as s:
            for draft_id in draft_ids:
                result = assessment(s, self.template_of(draft_id, s), draft_id)
                if result is not None:
                    found[draft_id] = result.gates
                state = s.evidence.state(draft_id)
                issue = s.tracked.get(draft_id)
                for label in state.auto_ticked:
                    where = f"#{issue.number}" if issue is not None else draft_id
                    ticked.append(f"{where} “{label}”")
        note = ""
        if ticked:
            note = "Ticked with evidence since your last digest (EVIDENCE_AUTO_TICK): " + "; ".join(
                ticked
            )
        return found, note

    def refresh_message(self, channel: str, ts: str, window_key: str, note: str) -> None:
        """Rewrite the digest message in place: settled gates gone, the latest note on top."""
        view = self.digest_view(window_key, note=note)
        if view is not None:
            self.poster.update(channel, ts, view[0], blocks=view[1])

    def _tz_of(self, user: str) -> str | None:
        with self.store.session() as s:
            record = s.people.get(user)
        return record.tz if record is not None else None

    # ----- controls -------------------------------------------------------------------

    def snooze(self, user: str, window_key: str, days: int) -> str:
        """Hide the digest's issues for `days`; they come back in the first digest after."""
        with self.store.session() as s:
            until = s.now + timedelta(days=days)
            record = s.digests.get(window_key)
            if record is None or record.author != user:
                return "Only the person this digest was sent to can snooze it."
            for draft_id in record.issues:
                issue = s.tracked.get(draft_id)
                if issue is not None and issue.author == user:
                    s.tracked.save(tracking.snooze(issue, until))
        log.info("digest.snoozed", user=user, window=window_key, days=days)
        tz = time_zone(self._tz_of(user), self.default_tz)
        return f"Snoozed until {_local(until, tz)}."

    def mute(self, user: str, draft_id: str) -> str:
        with self.store.session() as s:
            issue = s.tracked.get(draft_id)
            if issue is None:
                return "I don't follow that issue any more."
            if issue.author != user:
                return f"Only <@{issue.author}> can mute reminders for {issue_link(issue)}."
            s.tracked.save(tracking.mute(issue))
        log.info("issue.muted", user=user, draft_id=draft_id)
        return (
            f"Muted {issue_link(issue)}: no more reminders for it. "
            f"`{self.command} status` still lists it."
        )

    def settle(
        self, user: str, draft_id: str, label: str, state: GateState, github: IssueAccess
    ) -> Settled:
        """Tick the gate's box on GitHub (Done), or tick it with ` — N/A: reason`."""
        with self.store.session() as s:
            issue = s.tracked.get(draft_id)
        if issue is None:
            return Settled(False, "I don't follow that issue any more.")
        if issue.author != user:
            return Settled(
                False, f"Only <@{issue.author}> can settle gates on {issue_link(issue)}."
            )
        link = issue_link(issue)
        done = state.status is GateStatus.CHECKED
        template = self.template_of(draft_id)
        for _ in range(SETTLE_ATTEMPTS):
            read = github.get(issue.repository, issue.number)
            if read.gone or read.data is None:
                self._record_gone(draft_id)
                return Settled(False, f"{link} is gone from GitHub, so I stopped reminding you.")
            body = read.data.get("body") or ""
            if parse_issue(template, body).gates.get(label, GateState()).settled:
                self._record(draft_id, read, SeenFrom.DONE_BUTTON)
                return Settled(True, f"“{label}” was already ticked on {link}; I left it as is.")
            try:
                edited = set_gate(template, body, label, state)
            except (KeyError, ValueError):
                return Settled(
                    False,
                    f"{link} has no box “{label}” under its heading any more. "
                    "Put it back on GitHub, or settle it there.",
                )
            # Nobody edited since our read (a 304 costs nothing); otherwise start again.
            if not github.get(issue.repository, issue.number, read.etag).not_modified:
                continue
            github.write_body(issue.repository, issue.number, edited)
            check = github.get(issue.repository, issue.number)
            if check.data is None:
                continue
            settled = parse_issue(template, check.data.get("body") or "").gates.get(label)
            if settled is not None and settled.settled:
                self._record(draft_id, check, SeenFrom.DONE_BUTTON)
                log.info("gate.settled", draft_id=draft_id, gate=label, status=state.status.value)
                if done and state.evidence:
                    return Settled(
                        True, f"Ticked “{label}” on {link} with evidence from {state.evidence}."
                    )
                if done:
                    return Settled(True, f"Ticked “{label}” on {link}.")
                return Settled(True, f"Marked “{label}” not applicable on {link}.")
            # Someone saved an older copy over ours: apply the box to their body again.
        return Settled(
            False,
            f"{link} kept changing while I edited it, so “{label}” isn't ticked yet. "
            "Try again in a minute.",
        )

    def _record(self, draft_id: str, read: IssueRead, source: SeenFrom) -> None:
        assert read.data is not None
        now_seen = observation(read.data, source, etag=read.etag)
        with self.store.session() as s:
            issue = s.tracked.get(draft_id)
            if issue is not None:
                s.tracked.save(tracking.observe(issue, now_seen, self._own(s), s.now))

    def _record_gone(self, draft_id: str) -> None:
        with self.store.session() as s:
            issue = s.tracked.get(draft_id)
            if issue is not None:
                s.tracked.save(tracking.gone(issue, SeenFrom.DONE_BUTTON, s.now))


def _local(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%a %d %b, %H:%M} ({tz.key})"
