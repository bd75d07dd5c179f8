"""Connections to Slack's Web API, kept open from one call to the next.

slack_sdk's `WebClient` sends each call through `urllib.request.urlopen`, and urllib's own
handlers open a connection for every request and close it after the answer: against Slack
that is a TCP and a TLS handshake per message posted. `keep_connections_open(url)` installs
an opener whose `KeptConnections` handler keeps one connection per thread to that host and
sends each call on it. Every other host goes through urllib's handlers as before, and so does
Slack's when an `HTTPS_PROXY` is set (urllib's proxy handler runs first and sends the request
to the proxy's host).

The handler does what urllib's does for a request (the same headers, the same errors: a
failure to send is a `URLError`, a failure to read the answer is raised as it is), so
slack_sdk's retry handlers see what they always saw. Two things differ, on purpose:

- A kept connection the server has closed while it sat idle (Slack closes idle ones) is
  noticed before the request is sent, and a new one is opened: the request is never sent
  twice.
- A connection belongs to the thread and the process that opened it: gunicorn forks its
  worker after the app is built, and a socket shared by two processes corrupts both.

Only the standard library: urllib3's pool was measured here and cost as much per call as a
new connection does.
"""

from __future__ import annotations

import http.client
import io
import os
import select
import ssl
import threading
import urllib.request
import urllib.response
from urllib.error import URLError
from urllib.parse import urlsplit


class KeptConnections(urllib.request.BaseHandler):
    """A urllib handler keeping one open connection per (thread, scheme, host) it serves."""

    handler_order = 400  # before urllib's HTTPHandler and HTTPSHandler (500)

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self._hosts: set[str] = set()
        self._local = threading.local()
        self._context = context or ssl.create_default_context()

    def serve(self, url: str) -> None:
        """Keep connections to `url`'s host and port open from now on."""
        self._hosts.add(urlsplit(url).netloc.lower())

    def http_open(self, req: urllib.request.Request) -> urllib.response.addinfourl | None:
        return self._open(req, "http")

    def https_open(self, req: urllib.request.Request) -> urllib.response.addinfourl | None:
        return self._open(req, "https")

    def _open(self, req: urllib.request.Request, scheme: str) -> _Answer | None:
        if req.host.lower() not in self._hosts:
            return None  # urllib's own handler takes it
        conn = self._connection(scheme, req.host, req.timeout)
        # As urllib's do_open: its headers, title-cased, except that the connection stays.
        headers = {name.title(): value for name, value in req.header_items()}
        headers.pop("Connection", None)
        try:
            try:
                conn.request(req.get_method(), req.selector, req.data, headers)
            except OSError as exc:
                raise URLError(exc) from exc
            response = conn.getresponse()
            body = response.read()
        except BaseException:
            self._drop(scheme, req.host)
            raise
        if response.will_close:
            self._drop(scheme, req.host)
        return _Answer(body, response, req.full_url)

    def _connection(
        self, scheme: str, host: str, timeout: float | None
    ) -> http.client.HTTPConnection:
        kept = self._kept()
        key = (scheme, host)
        conn = kept.get(key)
        if conn is not None and _closed_by_server(conn):
            self._drop(scheme, host)
            conn = None
        if conn is None:
            conn = self._connect(scheme, host, timeout)
            kept[key] = conn
        elif conn.sock is not None:
            conn.sock.settimeout(timeout)
        conn.timeout = timeout
        return conn

    def _connect(self, scheme: str, host: str, timeout: float | None) -> http.client.HTTPConnection:
        if scheme == "https":
            return http.client.HTTPSConnection(host, timeout=timeout, context=self._context)
        return http.client.HTTPConnection(host, timeout=timeout)

    def _kept(self) -> dict[tuple[str, str], http.client.HTTPConnection]:
        """This thread's connections; none inherited from the process that forked this one."""
        pid = os.getpid()
        if getattr(self._local, "pid", None) != pid:
            self._local.pid = pid
            self._local.connections = {}
        connections: dict[tuple[str, str], http.client.HTTPConnection] = self._local.connections
        return connections

    def _drop(self, scheme: str, host: str) -> None:
        conn = self._kept().pop((scheme, host), None)
        if conn is not None:
            conn.close()


class _Answer(urllib.response.addinfourl):
    """The answer as urllib's handler gives it, its body already read off the connection
    (a connection can't take the next request before)."""

    def __init__(self, body: bytes, response: http.client.HTTPResponse, url: str) -> None:
        super().__init__(io.BytesIO(body), response.msg, url, response.status)
        self.msg = response.reason  # what urllib's HTTPErrorProcessor reads, as urllib sets it


def _closed_by_server(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle kept connection can't take a request: never connected, or readable,
    which between requests means the server closed it (or sent what no request asked for)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)
    except (OSError, ValueError):
        return True


_HANDLER: KeptConnections | None = None
_INSTALL = threading.Lock()


def keep_connections_open(url: str) -> KeptConnections:
    """Keep connections to `url`'s host open for every `urlopen` in this process that brings
    no SSL context of its own (slack_sdk's WebClient by default); returns the handler."""
    global _HANDLER
    with _INSTALL:
        if _HANDLER is None:
            _HANDLER = KeptConnections()
            urllib.request.install_opener(urllib.request.build_opener(_HANDLER))
        _HANDLER.serve(url)
        return _HANDLER
