"""Evidence end to end on the real `milestone-bot serve`: webhooks for a pull request that
fixes a milestone, the digest's proof, and Tick with evidence clicked through Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.store import Store
from flows.template import load_template
from tests.conftest import FakeClock
from tests.e2e.harness import BotProcess, bot_environment, message_text, wait_until
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.github_pulls_rest import check_event, pull_request_event
from tests.emulators.slack_api import ALICE, SlackEmulator
from tests.emulators.slack_requests import SlackRequests
from tests.reminders.harness import (
    BOT_LOGIN,
    GITHUB_TOKEN,
    REPO,
    WEBHOOK_SECRET,
    World,
    gate_action,
    utc,
)
from tests.reminders.test_evidence import FILES, UNIT, file_with_answers

FILED_AT = utc("2026-11-30T09:00")


@pytest.fixture
def world(slack: SlackEmulator, tmp_path: Path) -> Iterator[World]:
    clock = FakeClock(FILED_AT)
    with GitHubEmulator(clock=clock) as gh:
        gh.add_token(GITHUB_TOKEN, BOT_LOGIN)
        gh.add_repo(REPO, labels=["reliability", "execution"])
        yield World(slack, gh, tmp_path / "data" / "milestones.db", load_template(), clock)


def test_pull_request_to_evidence_tick_on_the_real_server(world: World, tmp_path: Path) -> None:
    """Opened and merged through signed webhooks to serve, checks green; the digest shows the
    proof; Tick with evidence, clicked in Slack, writes only the suffix on GitHub."""
    filed = file_with_answers(world)
    env = bot_environment(
        world.slack,
        world.db,
        GITHUB_TOKEN=GITHUB_TOKEN,
        GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=world.gh.url,
        GITHUB_WEBHOOK_SECRET=WEBHOOK_SECRET,
        REMINDER_SWEEP_MINUTES="0",
    )
    bot = BotProcess(tmp_path, env).start()
    try:
        number = world.gh.pulls.open(REPO, "Bound retries", f"Part of #{filed.number}", files=FILES)
        opened = world.raw_webhook(
            bot.url, "pull_request", pull_request_event(world.gh, REPO, number, "opened")
        )
        assert opened.status == 200, opened.response_body
        sha = world.gh.pulls.merge(REPO, number)
        world.raw_webhook(
            bot.url, "pull_request", pull_request_event(world.gh, REPO, number, "closed")
        )
        world.gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
        world.raw_webhook(bot.url, "check_suite", check_event(world.gh, REPO, sha, "check_suite"))
        with Store(world.db).session() as s:
            [pull] = s.evidence.linked(filed.draft_id)
        assert pull.pull.merge_sha == sha

        world.sweep("2026-12-02T18:05")  # the next sweep sends the digest
        [digest] = world.digests()
        assert f"#{number}> changed tests/execution/test_retry_budget.py" in message_text(digest)
        before = world.gh.issue(REPO, filed.number).body or ""
        requests = SlackRequests(bot.url + "/slack/events", emulator=world.slack)
        clicked = requests.block_action(
            gate_action(digest, UNIT),
            selected="Tick with evidence",
            user=ALICE,
            channel=world.dm(),
            message_ts=digest.ts,
        )
        assert clicked.status == 200
        after = wait_until(
            lambda: (
                "evidence:" in (world.gh.issue(REPO, filed.number).body or "")
                and world.gh.issue(REPO, filed.number).body
            ),
            what="the suffix on GitHub",
        )
        assert after == before.replace(f"- [ ] {UNIT}", f"- [x] {UNIT} — evidence: {REPO}#{number}")
    finally:
        bot.stop()
