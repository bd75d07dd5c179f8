"""The composition root: builds the Slack client, the Bolt app and the conversation service.

Every process wires the same way: `build_core` (template, flow, store, GitHub) for each;
`build_services` adds Slack for `serve`, `build_sweeper` the reminders for `remind` and
serve's sweep loop. Nothing is built at import time. `App(...)` calls Slack's `auth.test` in
its constructor, so building it is the first moment the bot talks to Slack.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Protocol

from slack_bolt import App
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.errors import ConfigError
from bot.filing.conversation import build_conversations
from bot.filing.logins import LoginLinks
from bot.filing.repositories import ChannelRepositoryService
from bot.github.client import GitHubAccess, build_github_access, github_configured
from bot.github.templates import TemplateSource
from bot.github.users import GitHubLogins
from bot.home.controls import HomeReminders
from bot.home.publisher import HomePublisher
from bot.listeners import register_all
from bot.listeners.failures import FailureReporter, PreparedApp
from bot.listeners.services import Services
from bot.log import ContextExecutor
from bot.reminders.digests import cadence_from
from bot.reminders.sweep import Sweeper
from bot.settings import Settings
from bot.slack.connections import keep_connections_open
from bot.slack.conversation import Filer
from bot.slack.poster import SlackPoster
from bot.slack.users import UserDirectory
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Store
from flows import engine
from flows.questions import Flow, build_flow
from flows.template import Template, load_template
from flows.template_version import version_of


@dataclass(frozen=True)
class Core:
    """What every process builds from the settings, whatever else it talks to."""

    settings: Settings
    template: Template
    flow: Flow
    store: Store
    github: GitHubAccess | None  # None when no GITHUB_* setting is set
    templates: TemplateSource | None = None  # each repository's template (issue 15)
    draft_templates: DraftTemplates | None = None  # the version each draft started with


def build_core(settings: Settings, *, store: Store | None = None) -> Core:
    """The template, the flow, the store and GitHub access, from `settings`."""
    template = load_template(settings.template_path)
    # GitHub settings, when any is set, must be complete: ConfigError names what is missing.
    github = build_github_access(settings) if github_configured(settings) else None
    flow = build_flow(template, ask_assignee=github is not None)
    store = store or Store(settings.database_path, progress=lambda d: engine.progress(flow, d))
    templates = TemplateSource(
        fallback=version_of(template),
        github=github,
        repo_path=settings.template_repo_path,
        override=settings.template_path is not None,
    )
    drafts = DraftTemplates(store, flow, ask_assignee=github is not None)
    return Core(settings, template, flow, store, github, templates, drafts)


class SweepParts(Protocol):
    """What a sweeper is built from: a Core (`remind`) or the Services (serve's loop)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def store(self) -> Store: ...
    @property
    def template(self) -> Template: ...
    @property
    def github(self) -> GitHubAccess | None: ...
    @property
    def draft_templates(self) -> DraftTemplates | None: ...


def build_sweeper(core: SweepParts, slack: WebClient | None) -> Sweeper:
    """The reminder sweep (`remind`, serve's loop); without `slack` it sends nothing."""
    return Sweeper(
        store=core.store,
        template=core.template,
        settings=core.settings,
        slack=slack,
        github=core.github,
        draft_templates=core.draft_templates,
    )


def build_slack_client(settings: Settings) -> WebClient:
    """A WebClient for `SLACK_API_URL` that waits out 429s, retries dropped connections and
    keeps its connections open between calls (bot/slack/connections.py).

    Server errors are not retried here: a 500 after Slack posted a message would post it
    twice.
    """
    settings.require("slack_bot_token")
    assert settings.slack_bot_token is not None
    keep_connections_open(settings.slack_api_url)
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_channel_repositories(core: Core, client: WebClient) -> ChannelRepositoryService | None:
    """`/milestone repo`: each channel's repository, checked on GitHub, and its template."""
    if core.templates is None:
        return None
    return ChannelRepositoryService(
        store=core.store,
        templates=core.templates,
        github=core.github,
        poster=SlackPoster(client),
        default_repository=core.settings.github_repository,
        admins=core.settings.admins,
        command=core.settings.slack_command,
    )


def build_home(core: Core, client: WebClient, reminders: HomeReminders) -> HomePublisher:
    """The App Home's publisher; the digest's controls clicked on a Home report to it."""
    home = HomePublisher(
        store=core.store,
        flow=core.flow,
        template=core.template,
        client=client,
        command=core.settings.slack_command,
        default_repository=core.settings.github_repository,
        draft_templates=core.draft_templates,
    )
    reminders.home_note = home.notify
    return home


def build_reminders(core: Core, client: WebClient) -> HomeReminders:
    """The digests and their controls, for the listeners (serve's sweep builds its own)."""
    settings = core.settings
    return HomeReminders(
        store=core.store,
        template=core.template,
        client=client,
        cadence=cadence_from(settings),
        default_tz=settings.reminder_default_tz,
        command=settings.slack_command,
        draft_templates=core.draft_templates,
    )


def build_login_links(core: Core, users: UserDirectory) -> LoginLinks | None:
    """`github-login`, when the bot files on GitHub."""
    if core.github is None:
        return None
    return LoginLinks(core.store, GitHubLogins(core.github), users, core.settings.slack_command)


def build_services(
    settings: Settings,
    *,
    store: Store | None = None,
    client: WebClient | None = None,
    filer: Filer | None = None,
) -> Services:
    core = build_core(settings, store=store)
    client = client or build_slack_client(settings)
    users = UserDirectory(core.store, client)
    command = settings.slack_command
    conversations = build_conversations(
        core.github,
        store=core.store,
        flow=core.flow,
        template=core.template,
        poster=SlackPoster(client),
        users=users,
        command=command,
        filer=filer,
        templates=core.draft_templates,
        template_source=core.templates,
        default_repository=settings.github_repository,
    )
    reminders = build_reminders(core, client)
    return Services(
        settings=settings,
        store=core.store,
        template=core.template,
        flow=core.flow,
        client=client,
        conversations=conversations,
        users=users,
        reminders=reminders,
        github=core.github,
        login_links=build_login_links(core, users),
        templates=core.templates,
        draft_templates=core.draft_templates,
        repositories=build_channel_repositories(core, client),
        home=build_home(core, client, reminders),
    )


def _slack_error(exc: BoltError) -> str:
    # Bolt's message embeds the whole auth.test response; the error code is what helps.
    match = re.search(r"'error': '([^']+)'", str(exc))
    return match.group(1) if match else "auth.test failed"


def create_app(settings: Settings, services: Services, *, socket_mode: bool = False) -> App:
    """The Bolt app, with every listener registered. Over HTTP the route checks each
    request's signature before Bolt sees it (bot/runtime/server.py), so Bolt does not check
    it again; over Socket Mode nothing is signed, so SLACK_SIGNING_SECRET is not needed."""
    settings.require("slack_bot_token", *(() if socket_mode else ("slack_signing_secret",)))
    secret = settings.slack_signing_secret
    if os.environ.get("SLACK_CLIENT_ID") and os.environ.get("SLACK_CLIENT_SECRET"):
        # Bolt would silently switch to OAuth and ignore the bot token.
        raise ConfigError(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set: unset them, milestone-bot uses "
            "SLACK_BOT_TOKEN for one workspace"
        )
    try:
        # Bolt calls auth.test here: the first moment the bot talks to Slack.
        app = PreparedApp(
            client=services.client,
            signing_secret=secret.get_secret_value() if secret is not None else "",
            request_verification_enabled=False,
            # Listener threads run in their request's log context (its correlation id).
            listener_executor=ContextExecutor(
                max_workers=settings.listener_threads, thread_name_prefix="slack-listener"
            ),
        )
    except BoltError as exc:
        reason = _slack_error(exc)
        raise ConfigError(
            f"Slack refused SLACK_BOT_TOKEN ({reason}): copy the Bot User OAuth Token "
            "(xoxb-...) from the app's OAuth & Permissions page"
        ) from None
    except OSError as exc:
        cause = getattr(exc, "reason", None) or exc
        raise ConfigError(
            f"cannot reach Slack at SLACK_API_URL {settings.slack_api_url} ({cause})"
        ) from None
    register_all(app, services)
    app.error(FailureReporter().report)
    return app
