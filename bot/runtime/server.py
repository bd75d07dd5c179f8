"""The HTTP surface: Bolt's Flask adapter under gunicorn, plus the operator's routes.

Bolt's adapter answers only `POST /slack/events`; `/healthz`, `/metrics` and GitHub's
`POST /github/webhook` (bot/github/webhook.py) have their own routes. One
gunicorn worker with several threads, as Bolt's own deployment example: deduplication and
scheduling live in SQLite, so more workers would also be safe, but one keeps memory small.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from gunicorn import glogging
from gunicorn.app.base import BaseApplication
from slack_bolt import App
from slack_bolt.adapter.flask.handler import to_flask_response
from slack_sdk.signature import SignatureVerifier
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wsgi import ClosingIterator

from bot.github.webhook import GitHubWebhook
from bot.log import bind_correlation, get_logger
from bot.runtime.metrics import Metrics
from bot.runtime.slack_request import SlackHttpRequest
from bot.storage.store import Store


def create_web_app(
    bolt_app: App,
    store: Store,
    *,
    signing_secret: str,
    github_webhook: GitHubWebhook | None = None,
    metrics: Metrics | None = None,
) -> Flask:
    """The Flask app: Slack's route, GitHub's webhook and the operator's routes, each request
    timed, and logged if worth a line. Slack's route checks every request's signature with
    `signing_secret` (the Bolt app does not check it again: bot.app.create_app)."""
    web = Flask("milestone-bot")
    metrics = metrics or Metrics()
    _slack_route(web, bolt_app, SignatureVerifier(signing_secret))
    _github_route(web, github_webhook)
    _operator_routes(web, store, metrics)
    _observe_requests(web, metrics)
    return web


def _observe_requests(web: Flask, metrics: Metrics) -> None:
    """Time each request to `web`, and log those worth a line (call it once the routes are
    added: unknown paths are timed as the route "unknown")."""
    routes = frozenset(rule.rule for rule in web.url_map.iter_rules())
    web.wsgi_app = _Observed(web.wsgi_app, metrics, routes)  # type: ignore[method-assign]


class _Observed:
    """WSGI middleware around Flask: each request starts its own log context (a thread serves
    many; Slack's event or trigger id is bound by the Bolt app once the body is read), and
    is timed once its answer is on the wire, so Slack's ack waits for none of it. Read from
    the WSGI environ, as the server hands it over: Flask's request hooks and proxies cost as
    much again."""

    def __init__(self, app: Callable[..., Any], metrics: Metrics, routes: frozenset[str]) -> None:
        self._app = app
        self._metrics = metrics
        self._routes = routes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        started = time.perf_counter()
        delivery = environ.get("HTTP_X_GITHUB_DELIVERY")
        bind_correlation(delivery)
        status: list[str] = []

        def start(status_line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(status_line)
            return start_response(status_line, headers, exc_info)

        path = environ.get("PATH_INFO", "")
        line = {
            "method": environ.get("REQUEST_METHOD"),
            "route": path if path in self._routes else "unknown",
            "status": 0,
            "slack_retry": environ.get("HTTP_X_SLACK_RETRY_NUM"),
            "github_delivery": delivery,
        }

        def answered() -> None:
            line["status"] = int(status[-1].split(" ", 1)[0]) if status else 500
            _answered(self._metrics, started, line)

        return ClosingIterator(self._app(environ, start), answered)


# A third of the 3 seconds Slack waits for an ack.
SLOW_REQUEST_SECONDS = 1.0


def _answered(metrics: Metrics, started: float, line: dict[str, Any]) -> None:
    """Every request's time to answer, in the histogram; a line for those worth one.

    A request answered in time is said by the listener's own line (`answer.recorded`, with
    the same correlation id), or is a health check or a scrape: its `http.request` line told
    nobody anything, and in the server it cost about 4% of an answer's CPU (bench/README.md).
    Refused or failed requests, Slack's retries and slow answers keep theirs.
    """
    elapsed = time.perf_counter() - started
    metrics.request_time(line["route"]).observe(elapsed)
    if line["status"] >= 400 or line["slack_retry"] or elapsed >= SLOW_REQUEST_SECONDS:
        get_logger().info("http.request", duration_ms=round(elapsed * 1000, 1), **line)


def _slack_route(web: Flask, bolt_app: App, verifier: SignatureVerifier) -> None:
    @web.post("/slack/events")
    def slack_events() -> Response | tuple[Response, int]:
        # Checked here, not by Bolt: Bolt raises (a 500) on a malformed timestamp or a body
        # that is not JSON before it gets to the signature.
        if not _signed(verifier):
            get_logger().warning(
                "slack.request_rejected", reason="invalid or stale signature", path=request.path
            )
            return jsonify(error="invalid request"), 401
        slack_request = SlackHttpRequest(
            body=request.get_data(as_text=True),
            query=request.query_string.decode("utf-8"),
            headers=dict(request.headers),
        )
        return to_flask_response(bolt_app.dispatch(slack_request))


def _signed(verifier: SignatureVerifier) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    return timestamp.isdigit() and verifier.is_valid(
        body=request.get_data(as_text=True), timestamp=timestamp, signature=signature
    )


def _github_route(web: Flask, github_webhook: GitHubWebhook | None) -> None:
    @web.post("/github/webhook")
    def github_events() -> tuple[Response, int]:
        # Without a handler there is no secret to verify against: refused, nothing changes.
        if github_webhook is None:
            return jsonify(error="GitHub webhooks are not set up on this bot"), 401
        reply = github_webhook.handle(dict(request.headers), request.get_data())
        return jsonify(reply.body), reply.status


_RECONNECTING = "not connected: reconnecting to Slack (see the socket.* log lines)"


def create_operator_app(
    store: Store,
    metrics: Metrics,
    *,
    connected: Callable[[], bool],
    github_webhook: GitHubWebhook | None = None,
) -> Flask:
    """What `socket` serves on PORT: `GET /healthz`, which also asks whether the connection to
    Slack is open (`connected`), `GET /metrics`, and GitHub's `POST /github/webhook` as `serve`
    has it. Each request is timed, and logged if worth a line (`_answered`)."""
    web = Flask("milestone-bot")
    _github_route(web, github_webhook)
    _operator_routes(web, store, metrics, connected=connected)
    _observe_requests(web, metrics)
    return web


def _operator_routes(
    web: Flask, store: Store, metrics: Metrics, *, connected: Callable[[], bool] | None = None
) -> None:
    @web.get("/metrics")
    def prometheus() -> Response:
        body, content_type = metrics.exposition()
        return Response(body, content_type=content_type)

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        up = connected is None or connected()
        socket = {} if connected is None else {"socket": "connected" if up else _RECONNECTING}
        try:
            store.check_writable()
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy, said plainly
            return jsonify(ok=False, database=str(exc), **socket), 503
        return jsonify(ok=up, database="ok", **socket), 200 if up else 503


class _UnloggedRequests(WSGIRequestHandler):
    """werkzeug's request handler without its access line: `http.request` is ours."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return


def serve_in_background(web: Flask, *, port: int, host: str = "0.0.0.0") -> BaseWSGIServer:
    """Serve `web` from a daemon thread, a thread per request: the server, listening on its
    `port` (PORT=0: any), until its `shutdown()`.

    For `socket`'s operator routes beside its connection to Slack: a health check, a scrape
    and GitHub's deliveries now and then, which need no gunicorn.
    """
    server = make_server(host, port, web, threaded=True, request_handler=_UnloggedRequests)
    threading.Thread(target=server.serve_forever, name="operator-http", daemon=True).start()
    return server


class JsonGunicornLogger(glogging.Logger):  # type: ignore[misc]
    """gunicorn's logger, its lines sent to the root handler: JSON like every other line."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.handlers[:] = []
            log.propagate = True


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, application: Callable[..., Any], options: dict[str, Any]) -> None:
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[..., Any]:
        return self.application


def bound_port(arbiter: Any) -> int:
    """The TCP port gunicorn listens on: the one the OS chose when PORT is 0."""
    return int(arbiter.LISTENERS[0].sock.getsockname()[1])


def run_gunicorn(
    web: Flask,
    *,
    port: int,
    threads: int = 8,
    host: str = "0.0.0.0",
    in_worker: Callable[[], None] | None = None,
    on_listening: Callable[[int], None] | None = None,
) -> None:
    """Serve `web` with gunicorn in this process (one worker, `threads` threads).

    `in_worker` runs in the worker once it is up (serve's sweep thread): a thread started
    before gunicorn forks could hold a lock the worker then waits on for ever.
    `on_listening` gets the port actually bound, once gunicorn listens.
    """
    options: dict[str, Any] = {}
    if in_worker is not None:
        options["post_worker_init"] = lambda worker: in_worker()
    if on_listening is not None:
        options["when_ready"] = lambda arbiter: on_listening(bound_port(arbiter))
    _Server(
        web,
        {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": threads,
            "timeout": 60,
            "graceful_timeout": 10,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "logger_class": JsonGunicornLogger,
            **options,
        },
    ).run()
