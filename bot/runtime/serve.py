"""`milestone-bot serve`: the HTTP process (bot/runtime/socket_mode.py is Socket Mode's)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bot.app import build_services, build_sweeper, create_app
from bot.github.client import github_configured
from bot.github.webhook import GitHubWebhook
from bot.listeners.services import Services
from bot.log import configure_logging, get_logger, register_secrets
from bot.runtime.heap import freeze_startup_heap
from bot.runtime.loops import start_home_refresh, start_sweep_loop
from bot.runtime.metrics import Metrics
from bot.runtime.server import create_web_app, run_gunicorn
from bot.settings import Settings, claim_secrets, load_settings


def settings_from(args: argparse.Namespace) -> Settings:
    """Every setting: --db and --template, then the environment, then `.env`, then defaults."""
    settings = load_settings(
        database_path=getattr(args, "db", None), template_path=getattr(args, "template", None)
    )
    register_secrets(claim_secrets(settings))
    return settings


def announce_capabilities(settings: Settings) -> None:
    """One line per optional capability that is off, and the setting that turns it on."""
    log = get_logger()
    if not github_configured(settings):
        log.info(
            "capability.off",
            capability="github",
            reason="filing and reminders are off: set GITHUB_TOKEN (or GITHUB_APP_ID and "
            "GITHUB_APP_PRIVATE_KEY) and GITHUB_REPOSITORY",
        )
        return
    if settings.github_webhook_secret is None:
        log.info(
            "capability.off",
            capability="webhooks",
            reason="GitHub webhooks are refused: set GITHUB_WEBHOOK_SECRET (the sweep still "
            "reads the gates)",
        )
    if settings.reminder_sweep_minutes == 0:
        log.info(
            "capability.off",
            capability="sweep",
            reason="the in-process reminder sweep is off (REMINDER_SWEEP_MINUTES=0): run "
            "`milestone-bot remind` from a scheduler",
        )


def build_webhook(settings: Settings, services: Services) -> GitHubWebhook:
    """GitHub's webhook deliveries, checked against GITHUB_WEBHOOK_SECRET (without one every
    delivery is refused); the same for `serve` and for `socket` with PORT set."""
    return GitHubWebhook(
        store=services.store,
        template=services.template,
        secret=settings.github_webhook_secret,
        templates=services.templates,
        draft_templates=services.draft_templates,
    )


def warn_if_ephemeral(database: Path) -> None:
    """An SQLite file under the temporary directory is lost on restart on most platforms."""
    temp = Path(tempfile.gettempdir()).resolve()
    if temp in database.resolve().parents:
        get_logger().warning(
            "storage.ephemeral",
            database=str(database),
            reason=f"DATABASE_PATH is under {temp}: drafts will be lost when it is cleared; "
            "put it on a persistent disk",
        )


def _sweep_loop(services: Services) -> None:
    """The reminder sweep, in this process, every REMINDER_SWEEP_MINUTES (0: not at all)."""
    start_sweep_loop(build_sweeper(services, services.client))


def _home_loop(services: Services) -> None:
    """Keep opened App Homes up to date, in this process (see bot/home/publisher.py)."""
    if services.home is not None:
        start_home_refresh(services.home)


def start_background(services: Services) -> None:
    """The loops a serving process runs beside Slack: the reminder sweep and the Home refresh."""
    _sweep_loop(services)
    _home_loop(services)


def run_serve(args: argparse.Namespace) -> int:
    """HTTP: Slack's requests at POST /slack/events, GitHub's at POST /github/webhook,
    health at GET /healthz; the reminder sweep runs in-process."""
    metrics = Metrics()
    configure_logging(observers=[metrics.processor])
    settings = settings_from(args)
    settings.require("slack_bot_token", "slack_signing_secret")
    warn_if_ephemeral(settings.database_path)
    services = build_services(settings)
    app = create_app(settings, services)
    assert settings.slack_signing_secret is not None
    web = create_web_app(
        app,
        services.store,
        github_webhook=build_webhook(settings, services),
        metrics=metrics,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
    )
    announce_capabilities(settings)
    freeze_startup_heap()
    run_gunicorn(
        web,
        port=settings.port,
        threads=settings.listener_threads,
        in_worker=lambda: start_background(services),
        on_listening=lambda port: get_logger().info(
            "server.started", port=port, database=str(settings.database_path)
        ),
    )
    return 0
