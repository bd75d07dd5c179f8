"""A Slack Socket Mode emulator for end-to-end tests.

`SocketModeEmulator` is the WebSocket side of Slack's Socket Mode on 127.0.0.1, served with
the `websockets` library. Attached to a `SlackEmulator`, it makes that emulator's
`apps.connections.open` (called with the app-level token, `xapp-...`) answer a
`ws://127.0.0.1:PORT/link/?ticket=...&app_id=...` URL. Then, as Slack does:

- on connect it sends `{"type": "hello", "num_connections": N, "debug_info": {...},
  "connection_info": {"app_id": ...}}`;
- it delivers envelopes `{"envelope_id", "type": "events_api" | "slash_commands" |
  "interactive", "payload", "accepts_response_payload"}` (events also carry `retry_attempt`
  and `retry_reason`), where `payload` is what Slack would POST over HTTP: the event callback
  JSON, a slash command's form fields, an interaction's `payload` JSON;
- it records the app's acknowledgements `{"envelope_id", "payload"?}`;
- `send_disconnect(reason)` sends `{"type": "disconnect", "reason": "refresh_requested" |
  "warning" | ..., "debug_info": {...}}`.

Faults: `blackhole()` makes a connection go silent without a word, the way a NAT entry
expires or a host vanishes: every byte in either direction is lost (pings included) while
both TCP ends stay open. Connections pass through a small relay in front of the WebSocket
server so the emulator can do that. `deliver(..., times=2)` sends one envelope twice.

`SocketModeRequests` is `SlackRequests` (the HTTP tests' payload builders) delivering over
Socket Mode instead of HTTP, so the same scenarios run over both transports.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from tests.emulators.slack_api import APP_ID, SlackEmulator
from tests.emulators.slack_requests import BotResponse, SentRequest, SlackRequests

APP_TOKEN = "xapp-1-A0MSAPP001-1000000000003-EmulatorAppToken0000000000000000000000000001"
DEBUG_HOST = "applink-emulator-1"
# What Slack says about each envelope type: only slash commands (and modal submissions and
# option loads) may carry a response in their ack.
RESPONSE_PAYLOAD_INTERACTIONS = {"view_submission", "block_suggestion"}
# The server's own log: a black-holed connection's ping timeout is expected, not news.
_QUIET = logging.getLogger("tests.emulators.socket_mode.server")
_QUIET.setLevel(logging.CRITICAL)
KIND_TO_TYPE = {"event": "events_api", "command": "slash_commands", "interaction": "interactive"}


@dataclass(frozen=True)
class Ack:
    """An acknowledgement the app sent: the envelope id and its optional payload."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int


@dataclass(frozen=True)
class Delivery:
    """One envelope sent (possibly several times) and the acks it got back in time."""

    envelope: dict[str, Any]
    connection: int
    acks: tuple[Ack, ...]

    @property
    def acked(self) -> bool:
        return bool(self.acks)


class _Pipe:
    """One client connection relayed to the WebSocket server; `silence()` black-holes it."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.silent = threading.Event()
        self.closed = threading.Event()

    def start(self) -> None:
        for src, dst in ((self.client, self.upstream), (self.upstream, self.client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if not self.silent.is_set():
                    dst.sendall(data)
        # A silenced connection stays open on the client's side until the client gives up
        # on it: nothing tells it the other end is gone.
        if not self.silent.is_set() or src is self.client:
            self.close()

    def close(self) -> None:
        self.closed.set()
        for s in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


class _Relay:
    """A TCP relay on 127.0.0.1 in front of the WebSocket server."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.pipes: dict[int, _Pipe] = {}  # by the upstream socket's local port
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._accept, name="socket-mode-relay", daemon=True)

    @property
    def port(self) -> int:
        return int(self.listener.getsockname()[1])

    def start(self) -> None:
        self.thread.start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
                pipe = _Pipe(client, upstream)
                with self.lock:
                    self.pipes[int(upstream.getsockname()[1])] = pipe
                pipe.start()

    def pipe_for(self, upstream_port: int) -> _Pipe | None:
        with self.lock:
            return self.pipes.get(upstream_port)

    def stop(self) -> None:
        self.listener.close()
        with self.lock:
            pipes = list(self.pipes.values())
        for pipe in pipes:
            pipe.close()


@dataclass
class SocketConnection:
    """One Socket Mode connection the app opened, as the emulator sees it."""

    number: int
    ticket: str
    ws: ServerConnection = field(repr=False)
    pipe: _Pipe | None = field(repr=False)
    hello_sent: bool = False
    closed: bool = False
    silent: bool = False  # black-holed: nothing gets through any more
    retiring: bool = False  # a disconnect was sent: Slack delivers elsewhere from then on
    received: list[Any] = field(default_factory=list)  # every message the app sent
    send_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def live(self) -> bool:
        return self.hello_sent and not (self.closed or self.silent or self.retiring)

    def send(self, message: dict[str, Any]) -> None:
        with self.send_lock, contextlib.suppress(ConnectionClosed):
            self.ws.send(json.dumps(message))


class SocketModeEmulator:
    """Socket Mode's WebSocket side on 127.0.0.1, for slack_sdk's Socket Mode client.

    `SocketModeEmulator(slack)` attaches to a SlackEmulator, whose `apps.connections.open`
    then hands out this emulator's URLs for `app_token`. Use as a context manager.
    """

    def __init__(
        self,
        slack: SlackEmulator,
        *,
        app_token: str = APP_TOKEN,
        app_id: str = APP_ID,
        ack_timeout: float = 10.0,
    ) -> None:
        self.slack = slack
        self.app_token = app_token
        self.app_id = app_id
        self.ack_timeout = ack_timeout
        self._server: Server | None = None
        self._relay: _Relay | None = None
        self._tickets: dict[str, int] = {}  # ticket -> times used
        self._connections: list[SocketConnection] = []
        self._acks: dict[str, list[Ack]] = {}
        self._numbers = itertools.count(1)
        self._changed = threading.Condition()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        self._server = serve(
            self._handle,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,
            logger=_QUIET,
        )
        threading.Thread(
            target=self._server.serve_forever, name="socket-mode-emulator", daemon=True
        ).start()
        self._relay = _Relay(int(self._server.socket.getsockname()[1]))
        self._relay.start()
        self.slack.socket_mode = self
        return self

    def stop(self) -> None:
        self.slack.socket_mode = None
        if self._relay is not None:
            self._relay.stop()
        if self._server is not None:
            self._server.shutdown()
        self._server = self._relay = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- apps.connections.open (called by SlackEmulator) ----------------------------------

    def open_url(self) -> str:
        """A new WebSocket URL with a fresh ticket, as apps.connections.open answers."""
        if self._relay is None:
            raise RuntimeError("SocketModeEmulator is not started")
        ticket = str(uuid.uuid4())
        with self._changed:
            self._tickets[ticket] = 0
        return f"ws://127.0.0.1:{self._relay.port}/link/?ticket={ticket}&app_id={self.app_id}"

    def _check_ticket(self, ws: ServerConnection, request: Request) -> Response | None:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._changed:
            if parts.path.rstrip("/") != "/link" or ticket not in self._tickets:
                return ws.respond(401, "invalid ticket: call apps.connections.open first\n")
            self._tickets[ticket] += 1
        ws.ticket = ticket  # type: ignore[attr-defined]
        return None

    # -- the WebSocket side ----------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        pipe = self._relay.pipe_for(int(ws.remote_address[1])) if self._relay else None
        with self._changed:
            conn = SocketConnection(next(self._numbers), getattr(ws, "ticket", ""), ws, pipe)
            self._connections.append(conn)
            open_now = sum(1 for c in self._connections if not c.closed)
        conn.send(
            {
                "type": "hello",
                "num_connections": open_now,
                "debug_info": {
                    "host": DEBUG_HOST,
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        with self._changed:
            conn.hello_sent = True
            self._changed.notify_all()
        try:
            for raw in ws:
                self._received(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                conn.closed = True
                self._changed.notify_all()

    def _received(self, conn: SocketConnection, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = raw
        with self._changed:
            conn.received.append(message)
            if isinstance(message, dict) and message.get("envelope_id"):
                ack = Ack(str(message["envelope_id"]), message.get("payload"), conn.number)
                self._acks.setdefault(ack.envelope_id, []).append(ack)
            self._changed.notify_all()

    # -- queries -------------------------------------------------------------------------

    def connections(self) -> list[SocketConnection]:
        with self._changed:
            return list(self._connections)

    def live_connection(self) -> SocketConnection | None:
        """The newest connection Slack would deliver to, if any."""
        with self._changed:
            return next((c for c in reversed(self._connections) if c.live), None)

    def wait_for_connection(self, *, after: int = 0, timeout: float = 30.0) -> SocketConnection:
        """The first live connection numbered above `after`, waiting up to `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = next((c for c in self._connections if c.number > after and c.live), None)
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no new Socket Mode connection after #{after} within {timeout:g} s "
                        f"(connections: {self._connections})"
                    )
                self._changed.wait(left)

    def acks(self, envelope_id: str) -> list[Ack]:
        with self._changed:
            return list(self._acks.get(envelope_id, []))

    def tickets_used(self) -> dict[str, int]:
        with self._changed:
            return dict(self._tickets)

    # -- deliveries and faults -------------------------------------------------------------

    def envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any]:
        """Slack's envelope around a payload; `kind` is an envelope type or event/command/
        interaction."""
        kind = KIND_TO_TYPE.get(kind, kind)
        accepts = kind == "slash_commands" or (
            kind == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_INTERACTIONS
        )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id or str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": accepts,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason
        return envelope

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        times: int = 1,
        timeout: float | None = None,
        connection: SocketConnection | None = None,
        **envelope: Any,
    ) -> Delivery:
        """Send an envelope (`times` times, same envelope_id) on the newest live connection,
        waiting for one up to `timeout`; then wait as long for as many acks."""
        timeout = self.ack_timeout if timeout is None else timeout
        conn = connection or self.wait_for_connection(timeout=timeout)
        sent = self.envelope(kind, payload, **envelope)
        for _ in range(times):
            conn.send(sent)
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._acks.get(sent["envelope_id"], [])) < times:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._changed.wait(left)
            acks = tuple(self._acks.get(sent["envelope_id"], []))
        return Delivery(sent, conn.number, acks)

    def send_disconnect(
        self, reason: str = "refresh_requested", connection: SocketConnection | None = None
    ) -> SocketConnection:
        """Slack asks the app to reconnect; nothing more is delivered on this connection."""
        conn = connection or self.wait_for_connection()
        with self._changed:
            conn.retiring = True
        conn.send({"type": "disconnect", "reason": reason, "debug_info": {"host": DEBUG_HOST}})
        return conn

    def blackhole(self, connection: SocketConnection | None = None) -> SocketConnection:
        """The connection dies without a word: every byte either way is lost from now on."""
        conn = connection or self.wait_for_connection()
        if conn.pipe is None:
            raise RuntimeError(f"connection #{conn.number} did not come through the relay")
        conn.pipe.silent.set()
        with self._changed:
            conn.silent = True
        return conn


class SocketModeRequests(SlackRequests):
    """`SlackRequests` over Socket Mode: each request's payload goes out as an envelope.

    An event callback becomes an `events_api` envelope (a retry carries `retry_attempt` and
    `retry_reason`), a slash command's form fields a `slash_commands` one, an interaction's
    payload an `interactive` one. The response is 200 once the app acked the envelope (its
    body the ack's payload, if any), 0 when no ack came in time.
    """

    def __init__(self, socket_mode: SocketModeEmulator, **kwargs: Any) -> None:
        kwargs.setdefault("emulator", socket_mode.slack)
        super().__init__("socket-mode:", **kwargs)
        self.socket_mode = socket_mode
        self.deliveries: list[Delivery] = []
        self.times = 1  # how many times each envelope goes out (see `twice`)

    @contextlib.contextmanager
    def twice(self) -> Iterator[None]:
        """Within the block, every envelope is delivered twice under one envelope_id."""
        self.times = 2
        try:
            yield
        finally:
            self.times = 1

    def _send(self, request: SentRequest) -> BotResponse:
        if request.kind not in KIND_TO_TYPE:
            raise ValueError(f"a {request.kind} request has no Socket Mode envelope")
        self.sent.append(request)
        reason = request.headers.get("X-Slack-Retry-Reason", "") if request.retry_num else ""
        delivery = self.socket_mode.deliver(
            request.kind,
            request.payload,
            times=self.times,
            retry_attempt=request.retry_num,
            retry_reason=reason,
        )
        self.deliveries.append(delivery)
        if not delivery.acked:
            return BotResponse(0, {}, "no ack", request)
        payload = delivery.acks[0].payload
        return BotResponse(200, {}, json.dumps(payload) if payload else "", request)
