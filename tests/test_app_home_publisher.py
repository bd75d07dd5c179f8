"""Publishing Homes: an unchanged Home is not published again (even after a restart), a
change is, the refresh publishes at most once per person per interval, and each person's
Home is published to that person only, with their data only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.home.publisher import HomePublisher
from bot.storage.store import Store
from flows.draft import Draft
from flows.questions import build_flow
from flows.template import load_template
from tests.emulators.slack_api import ALICE, BOB, SlackEmulator

TEMPLATE = load_template()
FLOW = build_flow(TEMPLATE, ask_assignee=False)


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


def publisher(store: Store, slack: SlackEmulator, min_interval: float) -> HomePublisher:
    return HomePublisher(
        store=store,
        flow=FLOW,
        template=TEMPLATE,
        client=WebClient(token=slack.bot_token, base_url=slack.url),
        command="/milestone",
        min_interval=min_interval,
    )


def add_draft(store: Store, author: str, title: str) -> None:
    with store.session() as s:
        s.drafts.create(
            Draft(id=s.drafts.new_id(), author=author, title=title),
            location=None,
            actor=author,
            source="test",
            correlation_id=title,
        )


def published_to(slack: SlackEmulator) -> list[str]:
    return [c.params["user_id"] for c in slack.calls("views.publish")]


def test_an_unchanged_home_is_published_once_even_across_a_restart(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    """Opening the Home twice, or a new process opening it, doesn't publish the same view."""
    store = Store(tmp_path / "m.db")
    add_draft(store, ALICE, "Bound retries")
    publisher(store, slack, 0).opened(ALICE)
    publisher(store, slack, 0).opened(ALICE)  # as a restarted process would
    assert published_to(slack) == [ALICE]


def test_the_refresh_publishes_a_change_at_most_once_per_interval(
    tmp_path: Path, slack: SlackEmulator
) -> None:
    """Within the interval a change waits; the next round (interval over) publishes it."""
    store = Store(tmp_path / "m.db")
    waiting = publisher(store, slack, 3600)
    waiting.opened(ALICE)
    add_draft(store, ALICE, "Cap replace storms")
    assert waiting.refresh_all() == 0  # published moments ago: it waits
    eager = publisher(store, slack, 0)
    assert eager.refresh_all() == 1 and eager.refresh_all() == 0  # then once, not again
    assert "Cap replace storms" in str(slack.home(ALICE))


def test_each_home_holds_its_owners_data_only(tmp_path: Path, slack: SlackEmulator) -> None:
    """Alice's and Bob's Homes are published to each, with their own drafts alone."""
    store = Store(tmp_path / "m.db")
    add_draft(store, ALICE, "Alice's draft")
    add_draft(store, BOB, "Bob's draft")
    homes = publisher(store, slack, 0)
    homes.opened(ALICE)
    homes.opened(BOB)
    assert sorted(published_to(slack)) == sorted([ALICE, BOB])
    alice, bob = str(slack.home(ALICE)), str(slack.home(BOB))
    assert "Alice's draft" in alice and "Bob's draft" not in alice
    assert "Bob's draft" in bob and "Alice's draft" not in bob


def test_a_refused_publish_is_tried_again_next_time(tmp_path: Path, slack: SlackEmulator) -> None:
    """Slack refusing views.publish records nothing, so the next refresh publishes."""
    store = Store(tmp_path / "m.db")
    add_draft(store, ALICE, "Bound retries")
    homes = publisher(store, slack, 0)
    slack.fail("views.publish", "internal_error")
    homes.opened(ALICE)
    assert slack.home(ALICE) is None
    assert homes.refresh_all() == 1 and slack.home(ALICE) is not None
