"""The App Home's view and the shortcut modals as built: inside Slack's limits (checked by the
Slack emulator's own validator), the oldest items collapsed past 100 blocks, and the presets
a message gives."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.home.data import DraftItem, HomeData
from bot.home.view import bar, home_view
from bot.slack.modals import (
    MessageRef,
    cut_at_word,
    from_message_view,
    new_milestone_view,
    problem_from_message,
    title_from_message,
)
from flows import tracking
from flows.draft import Draft, DraftStatus
from flows.template import load_template
from tests.emulators.slack_api import view_errors

TEMPLATE = load_template()
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def drafts(count: int) -> tuple[DraftItem, ...]:
    return tuple(
        DraftItem(
            Draft(id=f"ms-d{n:04d}", author="U1", title=f"Draft {n}", updated_at=NOW),
            n % 16,
            16,
            None,
            None,
        )
        for n in range(count)
    )


def issues(count: int) -> tuple[tracking.TrackedIssue, ...]:
    filed = Draft(id="ms-x", author="U1", title="t", status=DraftStatus.FILED, issue_number=1)
    return tuple(
        tracking.from_draft(
            filed.model_copy(
                update={"id": f"ms-i{n:04d}", "issue_number": n + 1, "title": f"Issue {n}"}
            ),
            "acme/execution",
            NOW - timedelta(days=n),
        )
        for n in range(count)
    )


def data(n_drafts: int, n_issues: int) -> HomeData:
    return HomeData("U1", NOW, drafts(n_drafts), issues(n_issues), (), "C1")


def text_of(view: dict) -> str:
    return str(view["blocks"])


def test_a_full_home_stays_within_100_blocks_and_counts_what_it_left_out() -> None:
    """40 drafts and 10 issues with 15 gates each don't fit: the newest of each are shown,
    the rest counted with the configured command, and Slack would take the view."""
    view = home_view(data(40, 10), TEMPLATE, command="/ms")
    assert len(view["blocks"]) <= 100
    assert view_errors(view) == []
    shown = text_of(view)
    assert "Draft 0*" in shown and "Issue 0" in shown
    assert "more: `/ms drafts`" in shown and "more: `/ms status`" in shown


def test_a_small_home_shows_everything_and_no_more_line() -> None:
    """What fits is all shown, without an "and N more" line."""
    view = home_view(data(3, 2), TEMPLATE, command="/milestone")
    assert view_errors(view) == []
    shown = text_of(view)
    assert all(f"Draft {n}*" in shown for n in range(3)) and "more:" not in shown


def test_the_progress_bar_never_shows_a_started_count_as_empty() -> None:
    """Five cells; one settled of fifteen still fills one."""
    assert bar(0, 15) == "▱▱▱▱▱" and bar(1, 15) == "▰▱▱▱▱"
    assert bar(9, 15) == "▰▰▰▱▱" and bar(15, 15) == "▰▰▰▰▰"


def test_a_message_presets_a_plain_title_and_a_one_paragraph_problem() -> None:
    """The title is the first line without list markers or emphasis, cut at a word; the
    problem statement is the message without blank lines."""
    markdown = "- **Cancel storms** block _exits_\n\nWhen a venue times out.\n\nIt retries."
    assert title_from_message(markdown) == "Cancel storms block exits"
    assert problem_from_message(markdown) == (
        "- **Cancel storms** block _exits_\nWhen a venue times out.\nIt retries."
    )
    cut = cut_at_word("word " * 40, 30)
    assert len(cut) <= 30 and cut.endswith("word…")


def test_the_modals_are_valid_slack_views() -> None:
    """Both modals pass Slack's view rules (24-character title, text input limits)."""
    long = "x" * 5000
    ref = MessageRef("C1", "1.2", "1.2")
    for view in (
        new_milestone_view("C1", title_limit=242),
        new_milestone_view(None, title_limit=242),
        from_message_view(ref, long[:242], problem_from_message(long), title_limit=242),
    ):
        assert view_errors(view) == []


def test_the_home_names_the_configured_command_everywhere() -> None:
    """A renamed command is what the Home says, the Cancel confirmation's resume included."""
    view = home_view(data(40, 10), TEMPLATE, command="/ms")
    shown = json.dumps(view)
    assert "`/ms resume ms-d0000`" in shown
    assert "/milestone" not in shown


def test_filed_issues_across_repositories_are_named_with_their_repository() -> None:
    """Issues in two repositories read `owner/repo#N` on the Home (open and closed); in
    one repository, `#N` alone."""
    [first, second] = issues(2)
    first = replace(first, url="https://github.com/acme/execution/issues/1")
    payments = replace(
        second,
        repository="acme/payments",
        number=1,
        url="https://github.com/acme/payments/issues/1",
    )
    closed = replace(
        first,
        repository="acme/ledger",
        url="https://github.com/acme/ledger/issues/1",
        state=tracking.IssueState.CLOSED,
    )
    spread = HomeData("U1", NOW, (), (first, payments), (closed,), "C1")
    shown = text_of(home_view(spread, TEMPLATE, command="/ms"))
    assert "acme/execution#1 Issue 0" in shown and "acme/payments#1 Issue 1" in shown
    assert "acme/ledger#1 Issue 0" in shown
    alone = text_of(home_view(HomeData("U1", NOW, (), (first,), (), "C1"), TEMPLATE, command="/ms"))
    assert "|#1 Issue 0>" in alone and "acme/execution#" not in alone
