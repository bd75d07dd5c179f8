"""The baseline: a Bolt app that only acks and posts one message per answer.

It runs on the same server stack as `milestone-bot serve` (Bolt's Flask adapter under
gunicorn through `bot.runtime.server.run_gunicorn`: one worker, gthread, LISTENER_THREADS threads,
and a listener pool of the same size), so the ratios in the table measure what the bot does
on top of Bolt, not a difference of servers.

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=... PORT=3100 \
        python -m bench.bare_app
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from bot.runtime.server import run_gunicorn

DEFAULT_THREADS = 16  # the bot's LISTENER_THREADS default (bot/settings.py)
REPLY = "Got it."


def build_app(token: str, signing_secret: str, api_url: str, threads: int) -> App:
    """A Bolt app answering every message in a thread with one post in that thread."""
    app = App(
        client=WebClient(token=token, base_url=api_url, timeout=15),
        signing_secret=signing_secret,
        listener_executor=ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bare"),
    )

    @app.event("message")
    def on_message(event: dict[str, Any], client: WebClient) -> None:
        if event.get("bot_id") or event.get("subtype") or not event.get("thread_ts"):
            return
        client.chat_postMessage(channel=event["channel"], thread_ts=event["thread_ts"], text=REPLY)

    return app


def build_web(app: App) -> Flask:
    web = Flask("bare-bolt")
    handler = SlackRequestHandler(app)

    @web.post("/slack/events")
    def slack_events() -> Response:
        return handler.handle(request)

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        return jsonify(ok=True), 200

    return web


def main() -> None:
    threads = int(os.environ.get("LISTENER_THREADS") or DEFAULT_THREADS)
    app = build_app(
        os.environ["SLACK_BOT_TOKEN"],
        os.environ["SLACK_SIGNING_SECRET"],
        os.environ.get("SLACK_API_URL") or "https://slack.com/api/",
        threads,
    )
    port = int(os.environ.get("PORT") or 3100)
    # Only the benchmark talks to it: listen on loopback, not on every interface.
    run_gunicorn(build_web(app), port=port, threads=threads, host="127.0.0.1")


if __name__ == "__main__":
    main()
