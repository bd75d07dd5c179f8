"""When an author's gate digest is due: pure arithmetic on `now` and their time zone.

The rules (the README states them for operators):
* An issue joins digests `first_digest_days` calendar days after it was filed.
* After a digest lists an issue, it is due again `interval_working_days` working days later,
  at `start_hour` in the author's time zone (a digest on Thursday: due again on Monday).
* Snoozing an issue hides it until the snooze ends; it is then due at once (Snooze 1 day
  means "remind me tomorrow", Snooze 1 week "next week").
* A digest goes out only on a working day (Monday to Friday) between `start_hour` and
  `end_hour` in the author's time zone. One that fell due outside those hours, or while the
  bot was down, goes out at the next allowed moment; the window key (the author's local
  date) makes it go out once.
* An author's digest is due when any of their issues is due, and lists every issue that is
  eligible then, so the issues of one author fall into step and the author gets one message.

Nothing here reads a clock or does I/O; every function takes the moment it reasons about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())


@dataclass(frozen=True)
class Cadence:
    """The reminder schedule, from Settings (REMINDER_*)."""

    first_digest_days: int = 2
    interval_working_days: int = 2
    start_hour: int = 10
    end_hour: int = 18  # exclusive: nothing at or after 18:00 local
    thread_note_after: int = 3  # digests without a gate change before the thread note

    def __post_init__(self) -> None:
        if not 0 <= self.start_hour < self.end_hour <= 24:
            raise ValueError("the reminder hours must satisfy 0 <= start < end <= 24")
        if self.interval_working_days < 1:
            raise ValueError("the digest interval is at least one working day")


@dataclass(frozen=True)
class Due:
    """What the schedule needs to know about one issue of an author."""

    filed_at: datetime
    last_digest_at: datetime | None = None
    snoozed_until: datetime | None = None


def zone(name: str | None, default: str = "UTC") -> ZoneInfo:
    """The author's zone; `default` when Slack gave none or one this system does not know."""
    for candidate in (name, default, "UTC"):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_working_day(day: date) -> bool:
    return day.weekday() not in WEEKEND


def allowed(moment: datetime, tz: ZoneInfo, cadence: Cadence) -> bool:
    """Whether a digest may go out at `moment`: a working day, within the author's hours."""
    local = moment.astimezone(tz)
    return is_working_day(local.date()) and cadence.start_hour <= local.hour < cadence.end_hour


def _opening(day: date, tz: ZoneInfo, cadence: Cadence) -> datetime:
    return datetime.combine(day, time(cadence.start_hour), tzinfo=tz).astimezone(UTC)


def next_allowed(moment: datetime, tz: ZoneInfo, cadence: Cadence) -> datetime:
    """`moment` if a digest may go out then, else the next opening (start_hour local)."""
    if allowed(moment, tz, cadence):
        return moment
    local = moment.astimezone(tz)
    day = local.date()
    if not (is_working_day(day) and local.hour < cadence.start_hour):
        day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return _opening(day, tz, cadence)


def add_working_days(moment: datetime, days: int, tz: ZoneInfo, cadence: Cadence) -> datetime:
    """The opening (start_hour local) `days` working days after `moment`'s local date."""
    day = moment.astimezone(tz).date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return _opening(day, tz, cadence)


def issue_due_at(issue: Due, tz: ZoneInfo, cadence: Cadence) -> datetime:
    """When this issue is next due in a digest (before the hours rule is applied)."""
    snoozed_after_digest = issue.snoozed_until is not None and (
        issue.last_digest_at is None or issue.snoozed_until > issue.last_digest_at
    )
    first = issue.filed_at + timedelta(days=cadence.first_digest_days)
    if snoozed_after_digest:
        assert issue.snoozed_until is not None
        return max(issue.snoozed_until, first)
    if issue.last_digest_at is not None:
        return add_working_days(issue.last_digest_at, cadence.interval_working_days, tz, cadence)
    return first


def listable(issue: Due, now: datetime, cadence: Cadence) -> bool:
    """Whether a digest sent at `now` lists the issue: past its first wait, not snoozed."""
    if issue.snoozed_until is not None and issue.snoozed_until > now:
        return False
    return issue.filed_at + timedelta(days=cadence.first_digest_days) <= now


def next_digest_at(issues: Sequence[Due], tz: ZoneInfo, cadence: Cadence) -> datetime | None:
    """When the author's next digest may go out; None if no issue needs one."""
    if not issues:
        return None
    earliest = min(issue_due_at(issue, tz, cadence) for issue in issues)
    return next_allowed(earliest, tz, cadence)


def digest_due(now: datetime, issues: Sequence[Due], tz: ZoneInfo, cadence: Cadence) -> bool:
    """Whether the author's digest goes out at `now` (if its window is not claimed yet)."""
    at = next_digest_at(issues, tz, cadence)
    return (
        at is not None
        and at <= now
        and allowed(now, tz, cadence)
        and any(listable(issue, now, cadence) for issue in issues)
    )


def window_key(author: str, now: datetime, tz: ZoneInfo) -> str:
    """The digest window `now` falls in: the author's local date. One digest per window."""
    return f"{author}:{now.astimezone(tz).date().isoformat()}"
