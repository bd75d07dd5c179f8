"""`milestone-bot socket`: Slack over Socket Mode, for workspaces with no public URL.

The bot opens the connection: `apps.connections.open` with the app-level token
(SLACK_APP_TOKEN, `xapp-...`) gives a WebSocket URL, and Slack delivers events, slash commands
and interactions over it as envelopes that Bolt's `SocketModeHandler` acknowledges. Nothing is
signed, so no SLACK_SIGNING_SECRET is needed. Slack needs no HTTP server; with PORT set, the
operator's `GET /healthz` (the database, and whether the connection is open) and
`GET /metrics` are served on it, for a platform's health check and a Prometheus scrape, and
GitHub's `POST /github/webhook` as `serve` serves it. Without PORT, GitHub's webhooks cannot
arrive and the reminder sweep reads the gates instead.

The connection must come back by itself. slack_sdk's built-in client reconnects at once when
Slack sends `disconnect`, and notices a connection that died without a word (a host restart,
an expired NAT entry) when its pings go unanswered for four ping intervals. Bolt's default
interval is 10 s, which leaves such a connection deaf for about a minute; SOCKET_PING_SECONDS
(default 1) brings that under 10 s. The built-in client is the one to tune so: the
websocket-client one never checks pongs, and the websockets and aiohttp ones need asyncio and
aiohttp. After `disconnect` it reads the new connection only once the old one is closed,
which would wait out a fixed 3 s receive timeout: see ConnectionMessages.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import threading
from typing import Any, NoReturn

from slack_bolt import App
from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.app import build_services, create_app
from bot.errors import ConfigError
from bot.listeners.services import Services
from bot.log import configure_logging, get_logger
from bot.runtime.heap import freeze_startup_heap
from bot.runtime.metrics import Metrics
from bot.runtime.serve import (
    announce_capabilities,
    build_webhook,
    settings_from,
    start_background,
    warn_if_ephemeral,
)
from bot.runtime.server import create_operator_app, serve_in_background
from bot.settings import Settings

# Seconds the connection Slack asked to replace may block in a read (slack_sdk's is 3).
RETIRING_RECEIVE_TIMEOUT = 0.05


class _Stop(Exception):
    """SIGTERM: leave the wait; the process then exits."""


def _on_sigterm(signum: int, frame: Any) -> NoReturn:
    raise _Stop


def build_handler(app: App, app_token: str, settings: Settings) -> SocketModeHandler:
    """Bolt's Socket Mode handler on slack_sdk's built-in client, tuned to reconnect fast.

    SOCKET_PING_SECONDS is the client's ping interval; a connection without a pong for 4 of
    them is replaced. Measured against the emulator (`python -m bench.socket_reconnect`), a
    black-holed connection is back in 5-6 s at 1 s, 11-12 s at 2 s, and about 50 s at
    Bolt's default of 10 s. A ping a second is a few bytes.
    """
    handler = SocketModeHandler(
        app,
        app_token,
        ping_interval=settings.socket_ping_seconds,
        concurrency=settings.listener_threads,
    )
    handler.client.on_message_listeners.append(ConnectionMessages(handler.client))
    return handler


class ConnectionMessages:
    """Slack's messages about the connection itself: `hello` on each (re)connection, and
    `disconnect` when Slack asks for a new one (the client then reconnects on its own)."""

    def __init__(self, client: SocketModeClient) -> None:
        self.client = client
        self.session: Any = None  # the connection that said hello last

    def __call__(self, raw: str) -> None:
        if '"hello"' not in raw and '"disconnect"' not in raw:
            return  # an envelope: the listeners log what it meant
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if message.get("type") == "hello":
            # The client reads only its current connection, so that is the one saying hello.
            self.session = self.client.current_session
            get_logger().info("socket.connected", num_connections=message.get("num_connections"))
        elif message.get("type") == "disconnect":
            get_logger().info("socket.disconnect_requested", reason=message.get("reason"))
            self._let_go_quickly(self.session)

    @staticmethod
    def _let_go_quickly(session: Any) -> None:
        """The client opens the new connection at once but reads it only after closing this
        one, and closing waits for this one's blocking read: its 3 s receive timeout, fixed in
        slack_sdk. A short timeout on the connection being given up ends that wait in a moment.
        Only this one: on a live connection a short timeout could split a slow frame."""
        sock = getattr(session, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.settimeout(RETIRING_RECEIVE_TIMEOUT)


def connect(handler: SocketModeHandler, settings: Settings) -> None:
    """The first connection; a refused app-level token is one clear line, not a traceback."""
    try:
        handler.connect()
    except SlackApiError as exc:
        handler.close()
        reason = exc.response.get("error") if exc.response is not None else None
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({reason or exc}): create an app-level token with "
            "the connections:write scope (Basic Information > App-Level Tokens, xapp-...) "
            "and turn Socket Mode on for the app"
        ) from None
    except OSError as exc:
        handler.close()
        raise ConfigError(
            f"cannot reach Slack at SLACK_API_URL {settings.slack_api_url} ({exc})"
        ) from None


def serve_operator_routes(
    settings: Settings, handler: SocketModeHandler, services: Services, metrics: Metrics
) -> int | None:
    """/healthz, /metrics and /github/webhook on PORT when it is set (the port bound); else
    one line saying how to get them, and None."""
    port = settings.operator_port
    if port is None:
        get_logger().info(
            "capability.off",
            capability="operator_http",
            reason="no /healthz, /metrics or /github/webhook: set PORT to serve them beside "
            "the socket",
        )
        return None
    web = create_operator_app(
        services.store,
        metrics,
        connected=handler.client.is_connected,
        github_webhook=build_webhook(settings, services),
    )
    return int(serve_in_background(web, port=port).port)


def run_socket(args: argparse.Namespace) -> int:
    """Serve Slack over Socket Mode until SIGTERM or Ctrl-C; the reminder sweep runs in-process,
    and with PORT set, /healthz and /metrics are served on it."""
    metrics = Metrics()
    configure_logging(observers=[metrics.processor])
    settings = settings_from(args)
    settings.require("slack_bot_token", "slack_app_token")
    assert settings.slack_app_token is not None
    warn_if_ephemeral(settings.database_path)
    services = build_services(settings)
    app = create_app(settings, services, socket_mode=True)
    handler = build_handler(app, settings.slack_app_token.get_secret_value(), settings)
    connect(handler, settings)
    announce_capabilities(settings)
    port = serve_operator_routes(settings, handler, services, metrics)
    freeze_startup_heap()
    start_background(services)
    get_logger().info(
        "server.started",
        mode="socket",
        database=str(settings.database_path),
        **({} if port is None else {"port": port}),
    )
    signal.signal(signal.SIGTERM, _on_sigterm)
    # Until SIGTERM (or Ctrl-C, which main() reports). The connection is not closed first:
    # the built-in client sends no close frame anyway, and closing waits out its 3 s receive
    # timeout. Listeners still running finish before the process exits.
    with contextlib.suppress(_Stop):
        threading.Event().wait()
    return 0
