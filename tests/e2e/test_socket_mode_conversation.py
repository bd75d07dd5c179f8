"""The HTTP conversation tests, run again over Socket Mode.

Here `bot` is `milestone-bot socket` (no signing secret, only the bot and app-level tokens)
and `requests` delivers the same payloads as envelopes over the WebSocket it opened, so each
test below is the HTTP test of the same name, unchanged, over the other transport. Left out:
the forged-signature test (nothing is signed over Socket Mode).
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import SocketBotProcess
from tests.e2e.test_slack_buttons_and_people import (  # noqa: F401 - collected here too
    test_a_channel_the_bot_is_not_in_moves_the_draft_to_a_dm,
    test_a_double_click_on_a_choice_answers_once,
    test_an_edited_answer_is_updated_and_a_deleted_one_changes_nothing,
    test_buttons_answer_choice_questions_and_echo_the_choice,
    test_drafts_resume_cancel_and_help_answer_the_author,
    test_someone_else_in_the_thread_is_told_once_and_not_recorded,
)
from tests.e2e.test_slack_drafting import (  # noqa: F401 - collected here too
    test_a_restart_in_the_middle_keeps_every_answer,
    test_a_retried_event_applies_the_answer_once,
    test_a_whole_draft_typed_in_the_thread_reaches_the_preview,
    test_the_bots_calls_to_slack_share_kept_connections,
)
from tests.emulators.socket_mode import SocketModeRequests


@pytest.fixture
def bot(socket_bot: SocketBotProcess) -> SocketBotProcess:
    """The bot under test is the Socket Mode process."""
    return socket_bot


@pytest.fixture
def requests(socket_requests: SocketModeRequests) -> SocketModeRequests:
    """What a person does reaches the bot as Socket Mode envelopes."""
    return socket_requests
