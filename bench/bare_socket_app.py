"""The Socket Mode baseline: a Bolt app that only acks and posts one message per answer.

It runs as `milestone-bot socket` does: Bolt's `SocketModeHandler` on slack_sdk's built-in
client, LISTENER_THREADS workers, a ping a second (the bot's SOCKET_PING_SECONDS default), so
figure 1 over Socket Mode measures what the bot does on top of Bolt.

    SLACK_BOT_TOKEN=... SLACK_APP_TOKEN=xapp-... SLACK_API_URL=... python -m bench.bare_socket_app
"""

from __future__ import annotations

import os
import threading

from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

from bench.bare_app import DEFAULT_THREADS, build_app

PING_SECONDS = 1.0


def main() -> None:
    threads = int(os.environ.get("LISTENER_THREADS") or DEFAULT_THREADS)
    # No signing secret over Socket Mode; Bolt still wants the argument.
    app = build_app(
        os.environ["SLACK_BOT_TOKEN"],
        "",
        os.environ.get("SLACK_API_URL") or "https://slack.com/api/",
        threads,
    )
    handler = SocketModeHandler(
        app, os.environ["SLACK_APP_TOKEN"], ping_interval=PING_SECONDS, concurrency=threads
    )
    handler.connect()
    threading.Event().wait()  # until the benchmark stops the process


if __name__ == "__main__":
    main()
