"""Slack message text becomes GitHub Markdown at the edge."""

from __future__ import annotations

import pytest

from bot.slack.text import escape_mrkdwn, slack_to_markdown

USERS = {"U0ALICE001": ("Alice Liddell", None), "U0BOB00001": ("bob", "bob-gh")}


def resolve(user_id: str) -> tuple[str, str | None]:
    return USERS.get(user_id, (user_id, None))


@pytest.mark.parametrize(
    ("slack", "markdown"),
    [
        ("a &amp; b &lt;tag&gt;", "a & b <tag>"),
        (
            "see <https://example.com/runbook|the runbook>",
            "see [the runbook](https://example.com/runbook)",
        ),
        ("see <https://example.com/x>", "see https://example.com/x"),
        ("<https://example.com/a?b=1&amp;c=2>", "https://example.com/a?b=1&c=2"),
        ("mail <mailto:oncall@example.com|oncall@example.com>", "mail oncall@example.com"),
        ("ask <@U0ALICE001>", "ask Alice Liddell"),
        ("ask <@U0BOB00001>", "ask @bob-gh"),
        ("in <#C0RELIAB01|reliability>", "in #reliability"),
        ("*bold* and _italic_ and ~gone~", "**bold** and *italic* and ~~gone~~"),
        ("keep `*code*` and `&lt;x&gt;`", "keep `*code*` and `<x>`"),
        ("```\n*not bold* <@U0ALICE001>\n```", "```\n*not bold* <@U0ALICE001>\n```"),
        ("<!here> please", "here please"),
        ("2*3*4 stays", "2*3*4 stays"),
        ("* a bullet", "* a bullet"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("<https://unclosed", "<https://unclosed"),
        ("<@U0UNKNOWN>", "U0UNKNOWN"),
    ],
)
def test_slack_text_converts_to_github_markdown(slack: str, markdown: str) -> None:
    """Each Slack construct becomes its GitHub Markdown equivalent."""
    assert slack_to_markdown(slack, resolve) == markdown


def test_a_mention_never_becomes_a_bare_at_name() -> None:
    """An unlinked Slack user is written by display name, which cannot ping a GitHub account."""
    assert "@" not in slack_to_markdown("thanks <@U0ALICE001>", resolve)


def test_text_for_slack_escapes_the_three_characters() -> None:
    """Author text shown back in Slack cannot form a mention or a link."""
    assert escape_mrkdwn("<!here> & <@U1>") == "&lt;!here&gt; &amp; &lt;@U1&gt;"
