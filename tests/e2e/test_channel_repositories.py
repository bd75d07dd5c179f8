"""`/milestone repo`: a channel's repository and template, over real signed HTTP to `serve`,
with the GitHub emulator holding repositories with, without and with a broken template."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.github.templates import DEFAULT_REPO_PATH
from flows.template_version import blob_sha
from tests.e2e.harness import (
    BotProcess,
    bot_environment,
    filing_settings,
    message_text,
    wait_until,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import ALICE, BOB, RELIABILITY, SRE_PRIVATE, SlackEmulator
from tests.emulators.slack_requests import SlackRequests
from tests.template_variants import payments_template, without_heading

pytestmark = pytest.mark.e2e

TOKEN = "ghp-milestone-bot-repo1"
DEFAULT = "acme/execution"


def seed(gh: GitHubEmulator) -> None:
    gh.add_token(TOKEN, "milestone-bot")
    gh.add_repo(DEFAULT, files={"README.md": "hi"})
    gh.add_repo("acme/Payments", files={DEFAULT_REPO_PATH: payments_template()})
    gh.add_repo("acme/broken", files={DEFAULT_REPO_PATH: without_heading()})
    gh.add_repo("acme/hidden", private=True, readable_by=[], files={"a": "b"})
    gh.add_repo("acme/readonly", token_can_push=False)
    gh.add_repo("acme/noissues", has_issues=False)


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SlackEmulator, GitHubEmulator, SlackRequests]]:
    """One Slack, one GitHub and one `serve` with MILESTONE_ADMINS empty."""
    workdir = tmp_path_factory.mktemp("repo")
    with SlackEmulator() as slack, GitHubEmulator() as gh:
        seed(gh)
        env = bot_environment(
            slack,
            workdir / "milestones.db",
            **filing_settings(gh.url, TOKEN, DEFAULT),
        )
        bot = BotProcess(workdir, env).start()
        try:
            yield slack, gh, SlackRequests(bot.url + "/slack/events", emulator=slack)
        finally:
            bot.stop()


def answer(slack: SlackEmulator, requests: SlackRequests, text: str, **kwargs: str) -> str:
    """`/milestone <text>` as `user` in `channel`; the one reply only they see."""
    user = kwargs.get("user", ALICE)
    channel = kwargs.get("channel", RELIABILITY)
    before = len(slack.messages(channel, viewer=user))
    response = requests.slash_command(text, user_id=user, channel_id=channel)
    assert response.status == 200, response.body

    def replied() -> str | None:
        new = slack.messages(channel, viewer=user)[before:]
        private = [m for m in new if m.is_ephemeral or m.source == "response_url"]
        return message_text(private[0]) if private else None

    return wait_until(replied, what=f"the answer to {text!r}")


def test_a_channel_without_a_repository_drafts_for_the_default(world) -> None:  # type: ignore[no-untyped-def]
    """`/milestone repo` names GITHUB_REPOSITORY and that its template is the bundled one."""
    slack, _, requests = world
    text = answer(slack, requests, "repo", channel=SRE_PRIVATE)
    assert f"drafts for *{DEFAULT}* (the default" in text
    assert f"Template: the bundled one. {DEFAULT} has no `{DEFAULT_REPO_PATH}`" in text


def test_setting_a_repository_checks_it_and_announces_it(world) -> None:  # type: ignore[no-untyped-def]
    """A usable repository is set, named as GitHub spells it, with its template's version,
    and the channel is told who changed it."""
    slack, _, requests = world
    text = answer(slack, requests, "repo acme/payments")
    sha = blob_sha(payments_template())[:7]
    assert text == (
        f"This channel now drafts for *acme/Payments*. Template: `{DEFAULT_REPO_PATH}` from "
        f"acme/Payments (version {sha})."
    )
    announced = wait_until(
        lambda: [
            m for m in slack.bot_messages(RELIABILITY) if "set this channel to draft" in m.text
        ],
        what="the announcement",
    )
    assert announced[-1].text == (
        f"<@{ALICE}> set this channel to draft for *acme/Payments*, with its own template. "
        "Drafts already started keep theirs."
    )
    shown = answer(slack, requests, "repo", user=BOB)
    assert f"drafts for *acme/Payments* (set by <@{ALICE}> on " in shown


@pytest.mark.parametrize(
    ("name", "line"),
    [
        (
            "acme/hidden",
            "GitHub has no repository acme/hidden that the bot can see: check the name, or "
            "give GITHUB_TOKEN access to it.",
        ),
        (
            "acme/readonly",
            "The bot can see acme/readonly but can't set labels or assignees on its issues: "
            "give it triage or write access there (a GitHub App needs Issues: read and write).",
        ),
        (
            "acme/noissues",
            "acme/noissues has issues turned off: turn them on in its Settings → General → "
            "Features.",
        ),
        ("not a repo", "`not a repo` isn't a repository name"),
    ],
)
def test_a_repository_the_bot_cannot_file_in_is_refused_in_one_line(
    world, name: str, line: str
) -> None:  # type: ignore[no-untyped-def]
    """Each refusal names what is missing, and the channel keeps its repository."""
    slack, _, requests = world
    text = answer(slack, requests, f"repo {name}", channel=SRE_PRIVATE)
    assert text.startswith(line)
    assert "\n" not in text
    assert f"drafts for *{DEFAULT}*" in answer(slack, requests, "repo", channel=SRE_PRIVATE)


def test_a_broken_template_is_named_when_the_repository_is_set(world) -> None:  # type: ignore[no-untyped-def]
    """The repository is usable, its template isn't: the line says what the file lacks."""
    slack, _, requests = world
    text = answer(slack, requests, "repo https://github.com/acme/broken", channel=SRE_PRIVATE)
    assert text.startswith("This channel now drafts for *acme/broken*. Template: the bundled one.")
    assert f"`{DEFAULT_REPO_PATH}` in acme/broken can't be used (" in text
    assert "## Rollout and Safety" in text


def test_only_admins_change_a_channel_when_admins_are_set(tmp_path: Path) -> None:
    """With MILESTONE_ADMINS set, someone else is told whom to ask; an admin may change it."""
    with SlackEmulator() as slack, GitHubEmulator() as gh:
        seed(gh)
        env = bot_environment(
            slack,
            tmp_path / "milestones.db",
            **filing_settings(gh.url, TOKEN, DEFAULT),
            MILESTONE_ADMINS=BOB,
        )
        bot = BotProcess(tmp_path, env).start()
        try:
            requests = SlackRequests(bot.url + "/slack/events", emulator=slack)
            refused = answer(slack, requests, "repo acme/payments")
            assert refused == (
                f"Only MILESTONE_ADMINS can change this channel's repository; ask <@{BOB}>."
            )
            assert answer(slack, requests, "repo acme/payments", user=BOB).startswith(
                "This channel now drafts for *acme/Payments*."
            )
        finally:
            bot.stop()
