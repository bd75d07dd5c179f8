"""Connections to Slack's Web API kept open between calls (bot/slack/connections.py).

The real WebClient, as `build_slack_client` builds it, against the Slack emulator over
127.0.0.1: the emulator counts the connections opened to it and can close one without a word,
drop a call, rate-limit it or answer 500. What must hold: calls share a connection, none is
ever sent twice because a kept connection went away, slack_sdk's retries see the failures
they always saw, other hosts are left to urllib, and a forked process never writes on its
parent's socket.
"""

from __future__ import annotations

import os

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.app import build_slack_client
from bot.settings import Settings
from bot.slack.connections import keep_connections_open
from tests.emulators.slack_api import SlackEmulator

CHANNEL = "C0RELIAB01"


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    settings = Settings(slack_bot_token=slack.bot_token, slack_api_url=slack.url)
    return build_slack_client(settings)


def post(client: WebClient, text: str) -> str:
    return str(client.chat_postMessage(channel=CHANNEL, text=text)["ts"])


def posted(slack: SlackEmulator) -> list[str]:
    return [m.text for m in slack.history(CHANNEL)]


def test_calls_share_one_connection(slack: SlackEmulator, client: WebClient) -> None:
    for n in range(5):
        post(client, f"answer {n}")
    assert slack.connections == 1
    assert posted(slack) == [f"answer {n}" for n in range(5)]


def test_a_connection_the_server_closed_while_idle_is_replaced_and_nothing_is_sent_twice(
    slack: SlackEmulator, client: WebClient
) -> None:
    post(client, "first")
    slack.close_after_answer()  # the next answer is the last on its connection
    post(client, "second")
    post(client, "third")
    assert slack.connections == 2
    assert len(slack.calls("chat.postMessage")) == 3
    assert posted(slack) == ["first", "second", "third"]


def test_a_dropped_call_is_retried_by_slack_sdk_on_a_new_connection(
    slack: SlackEmulator, client: WebClient
) -> None:
    post(client, "first")
    slack.drop("chat.postMessage")  # closed before doing anything
    post(client, "second")
    assert len(slack.calls("chat.postMessage")) == 3
    assert posted(slack) == ["first", "second"]


def test_rate_limits_and_server_errors_reach_slack_sdk_as_before(
    slack: SlackEmulator, client: WebClient
) -> None:
    slack.rate_limit("chat.postMessage", retry_after=0)
    post(client, "after a 429")
    slack.http_error("chat.postMessage", 500)
    with pytest.raises(SlackApiError) as refused:
        post(client, "lost to a 500")
    assert refused.value.response.status_code == 500
    post(client, "next")
    assert posted(slack) == ["after a 429", "next"]
    assert slack.connections == 1  # an error answer doesn't cost the connection


def test_other_hosts_are_left_to_urllib(slack: SlackEmulator, client: WebClient) -> None:
    with SlackEmulator() as elsewhere:
        other = WebClient(token=elsewhere.bot_token, base_url=elsewhere.url)
        for n in range(3):
            other.chat_postMessage(channel=CHANNEL, text=f"elsewhere {n}")
        assert elsewhere.connections == 3


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork (gunicorn's worker model)")
def test_a_forked_process_opens_its_own_connection(slack: SlackEmulator, client: WebClient) -> None:
    post(client, "before the fork")
    pid = os.fork()
    if pid == 0:  # the child: gunicorn's worker, forked after the app was built
        code = 1
        try:
            post(client, "from the child")
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    post(client, "the parent again")
    assert slack.connections == 2
    assert posted(slack) == ["before the fork", "from the child", "the parent again"]


def test_keeping_connections_to_a_host_twice_installs_one_handler(slack: SlackEmulator) -> None:
    assert keep_connections_open(slack.url) is keep_connections_open(slack.url)
