"""The Socket Mode emulator, exercised with a plain WebSocket client and slack_sdk's own."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.emulators.slack_api import ALICE, APP_ID, RELIABILITY, SlackEmulator
from tests.emulators.socket_mode import APP_TOKEN, SocketModeEmulator, SocketModeRequests


@pytest.fixture
def slack() -> Iterator[SlackEmulator]:
    with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def sm(slack: SlackEmulator) -> Iterator[SocketModeEmulator]:
    with SocketModeEmulator(slack, ack_timeout=5) as emulator:
        yield emulator


def open_url(slack: SlackEmulator, token: str = APP_TOKEN) -> str:
    return str(WebClient(base_url=slack.url).apps_connections_open(app_token=token)["url"])


def received(ws: ClientConnection) -> dict[str, Any]:
    return dict(json.loads(ws.recv(timeout=5)))


def test_apps_connections_open_takes_only_the_app_level_token(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """The app token gets a ws:// URL on 127.0.0.1; a bot token or a stranger's is refused."""
    url = open_url(slack)
    assert url.startswith("ws://127.0.0.1:") and "/link/?ticket=" in url
    assert f"app_id={APP_ID}" in url
    for token, error in [(slack.bot_token, "not_allowed_token_type"), ("xapp-1-x", "invalid_auth")]:
        with pytest.raises(SlackApiError) as refused:
            open_url(slack, token)
        assert refused.value.response["error"] == error
    [call, *_] = slack.calls("apps.connections.open")
    assert call.header("Authorization") == f"Bearer {APP_TOKEN}"
    request = urllib.request.Request(slack.url + "apps.connections.open", method="GET")
    request.add_header("Authorization", f"Bearer {APP_TOKEN}")
    with urllib.request.urlopen(request, timeout=5) as reply:
        assert json.loads(reply.read())["error"] == "insecure_request"


def test_a_connection_gets_hello_and_an_unknown_ticket_is_refused(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """Connecting with a fresh URL is answered with Slack's hello; a made-up ticket gets 401."""
    url = open_url(slack)
    with connect(url) as ws:
        hello = received(ws)
    assert hello["type"] == "hello" and hello["num_connections"] == 1
    assert hello["connection_info"] == {"app_id": APP_ID}
    assert set(hello["debug_info"]) == {"host", "build_number", "approximate_connection_time"}
    with pytest.raises(InvalidStatus) as refused:
        connect(url.split("?")[0] + "?ticket=made-up")
    assert refused.value.response.status_code == 401


def test_envelopes_carry_slacks_fields_and_acks_are_recorded(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """Each envelope type has its envelope_id and fields; the app's ack (payload too) is kept."""
    with connect(open_url(slack)) as ws:
        received(ws)
        replies: list[dict[str, Any]] = []

        def app() -> None:
            for _ in range(3):
                envelope = received(ws)
                replies.append(envelope)
                ack: dict[str, Any] = {"envelope_id": envelope["envelope_id"]}
                if envelope["type"] == "slash_commands":
                    ack["payload"] = {"text": "On it"}
                ws.send(json.dumps(ack))

        thread = threading.Thread(target=app)
        thread.start()
        event = sm.deliver("events_api", {"type": "event_callback"}, retry_attempt=1)
        command = sm.deliver("slash_commands", {"command": "/milestone", "text": ""})
        click = sm.deliver("interactive", {"type": "block_actions"})
        thread.join(timeout=5)
    assert [r["type"] for r in replies] == ["events_api", "slash_commands", "interactive"]
    assert replies[0]["retry_attempt"] == 1 and replies[0]["retry_reason"] == ""
    assert [r["accepts_response_payload"] for r in replies] == [False, True, False]
    assert "retry_attempt" not in replies[1]
    assert event.acked and click.acked and event.acks[0].payload is None
    assert command.acks[0].payload == {"text": "On it"}


def test_an_envelope_sent_twice_keeps_its_id(slack: SlackEmulator, sm: SocketModeEmulator) -> None:
    """`times=2` delivers the very same envelope twice, as Slack sometimes does."""
    with connect(open_url(slack)) as ws:
        received(ws)
        sm.deliver("events_api", {"type": "event_callback"}, times=2, timeout=0.5)
        first, second = received(ws), received(ws)
    assert first == second


def test_disconnect_is_slacks_message_and_moves_deliveries_to_the_next_connection(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """After `disconnect` nothing more goes to that connection; the next one gets the envelope."""
    with connect(open_url(slack)) as old:
        received(old)
        sm.send_disconnect("warning")
        assert received(old) == {
            "type": "disconnect",
            "reason": "warning",
            "debug_info": {"host": "applink-emulator-1"},
        }
        assert sm.live_connection() is None
        with connect(open_url(slack)) as new:
            assert received(new)["num_connections"] == 2
            sm.deliver("events_api", {"type": "event_callback"}, timeout=0.5)
            assert received(new)["type"] == "events_api"


def test_a_black_holed_connection_answers_no_ping(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """Once black-holed, a connection still looks open but nothing comes back, pings included."""
    with connect(open_url(slack), close_timeout=0.1) as ws:  # its close will go unanswered too
        received(ws)
        assert ws.ping().wait(5)
        sm.blackhole()
        assert not ws.ping().wait(1)
        assert sm.live_connection() is None


def test_slack_sdks_client_reconnects_after_a_black_hole_and_a_disconnect(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """slack_sdk's built-in client, with a 1 s ping, finds a new connection after each fault."""
    web = WebClient(base_url=slack.url, token=slack.bot_token)
    client = SocketModeClient(APP_TOKEN, web_client=web, ping_interval=1)

    def acknowledge(client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client.socket_mode_request_listeners.append(acknowledge)
    try:
        client.connect()
        first = sm.wait_for_connection(timeout=10)
        sm.blackhole(first)
        second = sm.wait_for_connection(after=first.number, timeout=30)
        assert sm.deliver("events_api", {"type": "event_callback"}).acked
        sm.send_disconnect("refresh_requested", second)
        sm.wait_for_connection(after=second.number, timeout=30)
        assert sm.deliver("events_api", {"type": "event_callback"}).acked
    finally:
        client.close()
    assert all(uses == 1 for uses in sm.tickets_used().values())


def test_socket_mode_requests_send_the_http_payloads_as_envelopes(
    slack: SlackEmulator, sm: SocketModeEmulator
) -> None:
    """A slash command's envelope carries the form fields HTTP would post, an event the event
    callback; Slack's retry of it is the same callback with retry_attempt 1 and its reason."""
    requests = SocketModeRequests(sm)
    envelopes: list[dict[str, Any]] = []
    with connect(open_url(slack)) as ws:
        received(ws)

        def app() -> None:
            for _ in range(3):
                envelopes.append(received(ws))
                ws.send(json.dumps({"envelope_id": envelopes[-1]["envelope_id"]}))

        thread = threading.Thread(target=app)
        thread.start()
        command = requests.slash_command("new Bound retries")
        event = requests.message_event("m3")
        retried = requests.retry(event.request, reason="http_timeout")
        thread.join(timeout=5)
    assert [r.status for r in (command, event, retried)] == [200, 200, 200]
    assert envelopes[0]["payload"] == command.request.payload
    assert envelopes[0]["payload"]["text"] == "new Bound retries"
    assert envelopes[0]["payload"]["user_id"] == ALICE
    assert envelopes[1]["payload"]["event"]["text"] == "m3"
    assert envelopes[1]["payload"]["event"]["channel"] == RELIABILITY
    assert (envelopes[1]["retry_attempt"], envelopes[2]["retry_attempt"]) == (0, 1)
    assert envelopes[2]["retry_reason"] == "http_timeout"
    assert envelopes[2]["payload"] == envelopes[1]["payload"]
    assert envelopes[2]["envelope_id"] != envelopes[1]["envelope_id"]
