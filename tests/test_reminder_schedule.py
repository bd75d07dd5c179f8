"""The reminder cadence as pure arithmetic on `now` and the author's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.reminders.schedule import (
    Cadence,
    Due,
    add_working_days,
    allowed,
    digest_due,
    listable,
    next_allowed,
    next_digest_at,
    window_key,
    zone,
)

CADENCE = Cadence()
BERLIN = zone("Europe/Berlin")
LOS_ANGELES = zone("America/Los_Angeles")
TOKYO = zone("Asia/Tokyo")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def test_the_first_digest_is_due_two_days_after_filing_and_not_before() -> None:
    """An issue filed Monday 09:00 Berlin time is first due Wednesday 09:00, sent from 10:00."""
    issue = Due(filed_at=utc("2026-11-30T08:00"))
    assert next_digest_at([issue], BERLIN, CADENCE) == utc("2026-12-02T09:00")
    assert not digest_due(utc("2026-12-01T12:00"), [issue], BERLIN, CADENCE)
    assert not digest_due(utc("2026-12-02T08:59"), [issue], BERLIN, CADENCE)
    assert digest_due(utc("2026-12-02T09:05"), [issue], BERLIN, CADENCE)


def test_digests_repeat_every_two_working_days_across_a_weekend() -> None:
    """A digest on Thursday is next due on Monday at 10:00 local, skipping the weekend."""
    sent = utc("2026-12-03T09:05")  # Thursday 10:05 in Berlin
    issue = Due(filed_at=utc("2026-11-30T08:00"), last_digest_at=sent)
    assert next_digest_at([issue], BERLIN, CADENCE) == utc("2026-12-07T09:00")
    assert not digest_due(utc("2026-12-04T09:05"), [issue], BERLIN, CADENCE)
    assert digest_due(utc("2026-12-07T09:05"), [issue], BERLIN, CADENCE)


def test_a_digest_due_on_the_weekend_waits_for_monday_morning() -> None:
    """Filed Thursday, due Saturday: nothing on Saturday or Sunday, sent Monday from 10:00."""
    issue = Due(filed_at=utc("2026-12-03T11:00"))
    assert next_digest_at([issue], BERLIN, CADENCE) == utc("2026-12-07T09:00")
    for moment in ("2026-12-05T11:00", "2026-12-06T15:00", "2026-12-07T08:30"):
        assert not digest_due(utc(moment), [issue], BERLIN, CADENCE), moment
    assert digest_due(utc("2026-12-07T09:00"), [issue], BERLIN, CADENCE)


def test_nothing_goes_out_before_ten_or_from_eighteen_local() -> None:
    """The allowed hours are [10:00, 18:00) on the author's clock."""
    assert not allowed(utc("2026-12-02T08:59"), BERLIN, CADENCE)  # 09:59
    assert allowed(utc("2026-12-02T09:00"), BERLIN, CADENCE)  # 10:00
    assert allowed(utc("2026-12-02T16:59"), BERLIN, CADENCE)  # 17:59
    assert not allowed(utc("2026-12-02T17:00"), BERLIN, CADENCE)  # 18:00
    # Due at 19:00 local: the next moment is tomorrow's opening.
    assert next_allowed(utc("2026-12-02T18:00"), BERLIN, CADENCE) == utc("2026-12-03T09:00")


def test_the_same_moment_is_morning_for_one_author_and_night_for_another() -> None:
    """At 09:05 UTC a Berlin author is due and a Los Angeles author is not until 18:00 UTC."""
    issue = Due(filed_at=utc("2026-11-28T09:00"))
    assert digest_due(utc("2026-12-01T09:05"), [issue], BERLIN, CADENCE)
    assert not digest_due(utc("2026-12-01T09:05"), [issue], LOS_ANGELES, CADENCE)
    assert not digest_due(utc("2026-12-01T17:59"), [issue], LOS_ANGELES, CADENCE)
    assert digest_due(utc("2026-12-01T18:00"), [issue], LOS_ANGELES, CADENCE)


def test_the_window_is_the_authors_local_date() -> None:
    """One UTC moment falls on different local dates, so windows follow each author's day."""
    moment = utc("2026-12-01T23:30")
    assert window_key("U1", moment, TOKYO) == "U1:2026-12-02"
    assert window_key("U1", moment, LOS_ANGELES) == "U1:2026-12-01"


def test_a_snoozed_issue_comes_back_when_the_snooze_ends() -> None:
    """Snoozed after a digest, an issue is hidden until the snooze ends, then due at once."""
    sent = utc("2026-12-01T09:05")
    snoozed = Due(
        utc("2026-11-27T09:00"), last_digest_at=sent, snoozed_until=utc("2026-12-02T11:00")
    )
    assert not listable(snoozed, utc("2026-12-02T10:59"), CADENCE)
    assert not digest_due(utc("2026-12-02T10:59"), [snoozed], BERLIN, CADENCE)
    assert listable(snoozed, utc("2026-12-02T11:00"), CADENCE)
    assert digest_due(utc("2026-12-02T11:00"), [snoozed], BERLIN, CADENCE)


def test_a_digest_missed_while_down_goes_out_at_the_next_allowed_moment() -> None:
    """Due Tuesday but nothing ran until Thursday evening: due on Friday morning, still once."""
    issue = Due(filed_at=utc("2026-11-29T12:00"))
    assert next_digest_at([issue], BERLIN, CADENCE) == utc("2026-12-01T12:00")
    assert not digest_due(utc("2026-12-03T18:30"), [issue], BERLIN, CADENCE)  # 19:30 local
    assert digest_due(utc("2026-12-04T09:01"), [issue], BERLIN, CADENCE)


def test_working_days_count_from_the_local_date() -> None:
    """Friday late evening in Los Angeles is already Saturday in UTC; the count starts Friday."""
    friday_evening = utc("2026-12-05T05:00")  # Friday 21:00 in Los Angeles
    assert add_working_days(friday_evening, 2, LOS_ANGELES, CADENCE) == utc("2026-12-08T18:00")


def test_an_unknown_time_zone_falls_back_to_the_default() -> None:
    """A zone this system does not know is replaced by the configured default."""
    assert zone("Mars/Olympus_Mons", "Europe/Berlin").key == "Europe/Berlin"
    assert zone(None, "Nowhere/Else").key == "UTC"


def test_reminder_hours_must_make_sense() -> None:
    """A cadence whose start is not before its end is refused."""
    with pytest.raises(ValueError):
        Cadence(start_hour=18, end_hour=10)
    assert Cadence(first_digest_days=0).first_digest_days == 0
    assert timedelta(days=CADENCE.first_digest_days) == timedelta(days=2)
