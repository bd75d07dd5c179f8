"""`milestone-bot serve` and `milestone-bot socket`: the long-running processes."""

from __future__ import annotations

import argparse

from bot.app import build_services, create_app
from bot.log import configure_logging, get_logger, register_secrets
from bot.server import create_web_app, run_gunicorn
from bot.settings import Settings, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command line's --db and --template on top."""
    overrides: dict[str, object] = {}
    if getattr(args, "db", None):
        overrides["database_path"] = args.db
    if getattr(args, "template", None):
        overrides["template_path"] = args.template
    settings = load_settings(**overrides)
    register_secrets(
        s.get_secret_value()
        for s in (
            settings.slack_bot_token,
            settings.slack_signing_secret,
            settings.slack_app_token,
            settings.github_token,
        )
        if s is not None
    )
    return settings


def run_serve(args: argparse.Namespace) -> int:
    """HTTP: Slack's requests at POST /slack/events, health at GET /healthz."""
    configure_logging()
    settings = settings_from(args)
    settings.require("slack_bot_token", "slack_signing_secret")
    services = build_services(settings)
    app = create_app(settings, services)
    web = create_web_app(app, services.store)
    get_logger().info("server.started", port=settings.port, database=str(settings.database_path))
    run_gunicorn(web, port=settings.port, threads=settings.listener_threads)
    return 0


def run_socket(args: argparse.Namespace) -> int:
    """Socket Mode: no public URL; Slack delivers over a WebSocket opened with SLACK_APP_TOKEN."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    configure_logging()
    settings = settings_from(args)
    settings.require("slack_bot_token", "slack_app_token")
    if settings.slack_signing_secret is None:
        # Socket Mode deliveries are not signed; Bolt still wants a value.
        settings = settings.model_copy(update={"slack_signing_secret": "socket-mode"})
    services = build_services(settings)
    app = create_app(settings, services)
    assert settings.slack_app_token is not None
    get_logger().info("server.started", mode="socket", database=str(settings.database_path))
    SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
    return 0
