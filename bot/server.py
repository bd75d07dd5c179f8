"""The HTTP surface: Bolt's Flask adapter under gunicorn, plus the operator's routes.

Bolt's adapter answers only `POST /slack/events`; `/healthz` has its own route. One
gunicorn worker with several threads, as Bolt's own deployment example: deduplication and
scheduling live in SQLite, so more workers would also be safe, but one keeps memory small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler

from bot.store import Store


def create_web_app(bolt_app: App, store: Store) -> Flask:
    web = Flask("milestone-bot")
    handler = SlackRequestHandler(bolt_app)

    @web.post("/slack/events")
    def slack_events() -> Response:
        return handler.handle(request)

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            store.check_writable()
        except Exception as exc:  # noqa: BLE001 - any failure means unhealthy, said plainly
            return jsonify(ok=False, database=str(exc)), 503
        return jsonify(ok=True, database="ok"), 200

    return web


def run_gunicorn(web: Flask, *, port: int, threads: int = 8, host: str = "0.0.0.0") -> None:
    """Serve `web` with gunicorn in this process (one worker, `threads` threads)."""
    from gunicorn.app.base import BaseApplication

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
        },
    ).run()
