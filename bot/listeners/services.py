"""What the listeners need, built once per process by the composition root (`bot.app`)."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient

from bot.filing.logins import LoginLinks
from bot.filing.repositories import ChannelRepositoryService
from bot.github.client import GitHubAccess
from bot.github.templates import TemplateSource
from bot.home.publisher import HomePublisher
from bot.reminders.digests import Reminders
from bot.settings import Settings
from bot.slack.conversation import Conversations
from bot.slack.users import UserDirectory
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Store
from flows.questions import Flow
from flows.template import Template


@dataclass
class Services:
    """Everything the Slack listeners need, built once per process."""

    settings: Settings
    store: Store
    template: Template
    flow: Flow
    client: WebClient
    conversations: Conversations
    users: UserDirectory
    reminders: Reminders
    github: GitHubAccess | None = None  # set when GITHUB_* settings are
    login_links: LoginLinks | None = None  # `/milestone github-login`, with GitHub only
    home: HomePublisher | None = None  # the App Home; built by bot.app
    templates: TemplateSource | None = None  # each repository's template; built by bot.app
    draft_templates: DraftTemplates | None = None  # the version each draft started with
    repositories: ChannelRepositoryService | None = None  # `/milestone repo`; built by bot.app
