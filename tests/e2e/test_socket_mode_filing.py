"""Filing over Socket Mode: a whole milestone drafted in Slack and filed on the GitHub
emulator by `milestone-bot socket`, through Slack's `disconnect` and a silently dropped
connection; and the HTTP filing tests that apply, run again over Socket Mode (their
`filing_bot` and `author` are the Socket Mode ones here).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack.blocks import ACTION_FILE
from tests.e2e.harness import (
    Author,
    SocketBotProcess,
    db_path,
    filing_settings,
    socket_environment,
)
from tests.e2e.test_slack_filing import (  # noqa: F401 - `gh` is a fixture; the tests run here too
    BOT_TOKEN,
    REPO,
    TYPED,
    click_file,
    gh,
    test_a_double_click_on_file_files_once,
    test_a_restart_after_githubs_reply_adopts_the_issue,
    test_a_typed_draft_becomes_one_issue_with_everything_right,
    test_slacks_retry_of_the_file_message_files_once,
    with_action,
)
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.socket_mode import SocketModeEmulator, SocketModeRequests

RECONNECT_BOUND = 30.0  # generous; see tests/e2e/test_socket_mode.py


@pytest.fixture
def filing_bot(
    tmp_path: Path,
    slack: SlackEmulator,
    gh: GitHubEmulator,  # noqa: F811 - the imported fixture
    socket_mode: SocketModeEmulator,
) -> Iterator[SocketBotProcess]:
    """`milestone-bot socket` filing on the GitHub emulator (the sweep off, as over HTTP)."""
    env = socket_environment(
        slack,
        socket_mode,
        db_path(tmp_path),
        GITHUB_TIMEOUT="1",
        **filing_settings(gh.url, BOT_TOKEN, REPO),
    )
    process = SocketBotProcess(tmp_path, env, socket_mode=socket_mode).start()
    yield process
    process.stop()


@pytest.fixture
def author(
    filing_bot: SocketBotProcess, slack: SlackEmulator, socket_mode: SocketModeEmulator
) -> Author:
    return Author(slack, SocketModeRequests(socket_mode))


def test_a_milestone_is_filed_through_a_disconnect_and_a_silent_drop(
    author: Author,
    gh: GitHubEmulator,  # noqa: F811 - the imported fixture
    socket_mode: SocketModeEmulator,
) -> None:
    """Slack's `disconnect` after the fifth answer and a connection gone silent after the
    tenth: the bot reconnects by itself each time, the next answer is handled, and the
    finished draft is filed as exactly one issue."""
    author.start()
    for number, (text, expect) in enumerate(TYPED, start=1):
        author.say(text, expect=expect)
        if number == 5:
            old = socket_mode.send_disconnect("refresh_requested")
            socket_mode.wait_for_connection(after=old.number, timeout=RECONNECT_BOUND)
        elif number == 10:
            dead = socket_mode.blackhole()
            socket_mode.wait_for_connection(after=dead.number, timeout=RECONNECT_BOUND)
    message = with_action(author, ACTION_FILE)
    assert message is not None
    click_file(author, message, "Filed on GitHub")
    [issue] = gh.issues(REPO)
    assert issue.title == "[Reliability] Bound cancel/replace retries after venue timeouts"
    assert issue.assignees == ["alice"]
    used = [d.connection for d in author.requests.deliveries]  # type: ignore[attr-defined]
    assert len(set(used)) == 3 and used == sorted(used)
