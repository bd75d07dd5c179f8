"""A world for gate-reminder tests: the Slack and GitHub emulators, a store on a settable clock,
filed issues, the sweep called in-process, and the bot's HTTP app served on 127.0.0.1.

The sweep runs in the test's process with a real slack_sdk WebClient and a real PyGithub
client talking HTTP to the emulators; webhooks and button clicks go through the real Flask
app (Bolt's adapter included) on a werkzeug server. Time is the store's clock, which the
test sets: `world.sweep(at)` moves it to `at` and sweeps at that moment.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from werkzeug.serving import BaseWSGIServer, make_server

from bot.app import build_core, build_services, build_sweeper, create_app
from bot.github.webhook import GitHubWebhook
from bot.reminders.sweep import Sweeper, SweepReport
from bot.runtime.server import create_web_app
from bot.settings import Settings
from bot.storage.drafts import Location
from bot.storage.store import Store
from flows.draft import Draft, DraftStatus
from flows.render import render_issue
from flows.template import Template
from flows.tracking import TrackedIssue
from tests.conftest import FakeClock
from tests.e2e.harness import message_text, wait_until
from tests.emulators.github_api import GitHubEmulator
from tests.emulators.github_webhooks import WebhookDelivery, post_issues_event, post_webhook
from tests.emulators.slack_api import ALICE, BOT_TOKEN, RELIABILITY, TEAM_ID, Message, SlackEmulator
from tests.emulators.slack_requests import SIGNING_SECRET, SlackRequests

REPO = "acme/execution"
# Repositories of the GitHub App worlds (`app_world` in conftest.py).
APP_ID = 5252
PAYMENTS = "acme/payments"
ELSEWHERE = "acme/elsewhere"  # the App is not installed here
BOT_LOGIN = "milestone-bot"
GITHUB_TOKEN = "ghp_emulatedMilestoneBot0001"
WEBHOOK_SECRET = "whsec-emulated-7f3a9c"
DIGEST_LEAD = "Gates left on your Reliability Milestone"


def utc(text: str) -> datetime:
    """`2026-12-01T10:05` (UTC) or with its own offset, as an aware datetime."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else datetime.fromisoformat(text + "+00:00")


@dataclass(frozen=True)
class Filed:
    draft_id: str
    number: int
    url: str
    author: str
    channel: str
    thread_ts: str
    repository: str = REPO


@dataclass
class World:
    slack: SlackEmulator
    gh: GitHubEmulator
    db: Path
    template: Template
    clock: FakeClock
    overrides: dict[str, Any] = field(default_factory=dict)
    store: Store = field(init=False)
    client: WebClient = field(init=False)
    sweeper: Sweeper = field(init=False)
    server: BaseWSGIServer | None = None

    def __post_init__(self) -> None:
        self.client = WebClient(token=BOT_TOKEN, base_url=self.slack.url)
        self.restart()

    @property
    def settings(self) -> Settings:
        values: dict[str, Any] = {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_api_url": self.slack.url,
            "database_path": self.db,
            "github_token": GITHUB_TOKEN,
            "github_repository": REPO,
            "github_api_url": self.gh.url,
            "github_webhook_secret": WEBHOOK_SECRET,
            "reminder_sweep_minutes": 0,
            **self.overrides,
        }
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    def restart(self) -> None:
        """As a new process would: a new store object on the same file, a new sweeper, wired
        as `serve` and `remind` wire theirs."""
        core = build_core(self.settings, store=Store(self.db, clock=self.clock))
        self.store = core.store
        self.sweeper = build_sweeper(core, self.client)

    # -- filing --------------------------------------------------------------------------

    def file(
        self,
        *,
        author: str = ALICE,
        title: str = "Bound cancel retries after venue timeouts",
        channel: str = RELIABILITY,
        at: datetime | None = None,
        repository: str = REPO,
    ) -> Filed:
        """A draft filed as an issue in `repository`: its thread in Slack, the issue on the
        emulator, the draft FILED in the store (as bot.filing.once leaves it), all at `at`."""
        if at is not None:
            self.clock.now = at
        root = self.client.chat_postMessage(
            channel=channel, text=f"<@{author}> is drafting a Reliability Milestone."
        )
        thread_ts = str(root["ts"])
        with self.store.session() as s:
            draft = s.drafts.create(
                Draft(
                    id=s.drafts.new_id(),
                    author=author,
                    title=title,
                    target_milestone="M3",
                    risk_objective="No order is re-sent more than 3 times",
                    problem_statement="Cancel/replace retries are unbounded.",
                    status=DraftStatus.PREVIEW,
                ),
                location=Location(TEAM_ID, channel, thread_ts, thread_ts),
                actor=author,
                source="test",
                correlation_id="test-create",
            )
        rendered = render_issue(self.template, draft)
        issue = self.gh.add_issue(
            repository, rendered.title, rendered.body, user=BOT_LOGIN, labels=rendered.labels
        )
        url = f"{self.gh.web_url}/{repository}/issues/{issue.number}"
        with self.store.session() as s:
            before = s.drafts.get(draft.id)
            s.drafts.record(
                before,
                before.model_copy(
                    update={
                        "status": DraftStatus.FILED,
                        "issue_number": issue.number,
                        "issue_url": url,
                    }
                ),
                kind="filed",
                actor=author,
                source="test",
                correlation_id="test-file",
            )
        return Filed(draft.id, issue.number, url, author, channel, thread_ts, repository)

    # -- sweeping and looking --------------------------------------------------------------

    def sweep(self, when: datetime | str, *, dry_run: bool = False) -> SweepReport:
        moment = utc(when) if isinstance(when, str) else when
        self.clock.now = moment
        return self.sweeper.sweep(moment, dry_run=dry_run)

    def tracked(self, draft_id: str) -> TrackedIssue:
        with self.store.session() as s:
            issue = s.tracked.get(draft_id)
        assert issue is not None, f"{draft_id} is not tracked"
        return issue

    def digests(self, user: str = ALICE) -> list[Message]:
        """The digests the user has received in their DM with the bot, oldest first."""
        channel = self.slack.im_channel(user)
        return [
            m
            for m in self.slack.messages(channel)
            if m.is_bot and (DIGEST_LEAD in message_text(m) or "Nothing left" in message_text(m))
        ]

    def dm(self, user: str = ALICE) -> str:
        return self.slack.im_channel(user)

    def tick(self, filed: Filed, label: str, *, actor: str = "alice-gh") -> dict[str, Any]:
        """Someone ticks a box on GitHub's web UI (no webhook is sent by this alone)."""
        return self.gh.tick_checkbox(filed.repository, filed.number, label, actor=actor)

    # -- the bot's HTTP app ------------------------------------------------------------------

    @contextmanager
    def serving(self) -> Iterator[str]:
        """The real Flask app (Slack events, GitHub webhook) on 127.0.0.1; yields its URL."""
        settings = self.settings
        services = build_services(settings, store=self.store, client=self.client)
        bolt = create_app(settings, services)
        webhook = GitHubWebhook(
            store=self.store, template=services.template, secret=settings.github_webhook_secret
        )
        assert settings.slack_signing_secret is not None
        web = create_web_app(
            bolt,
            self.store,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            github_webhook=webhook,
        )
        server = make_server("127.0.0.1", 0, web, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="bot-http", daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)

    def webhook(
        self, url: str, filed: Filed, action: str = "edited", **kwargs: Any
    ) -> WebhookDelivery:
        return post_issues_event(
            url + "/github/webhook",
            WEBHOOK_SECRET,
            self.gh,
            REPO,
            filed.number,
            action=action,
            **kwargs,
        )

    def raw_webhook(
        self, url: str, event: str, payload: dict[str, Any], **kwargs: Any
    ) -> WebhookDelivery:
        return post_webhook(url + "/github/webhook", WEBHOOK_SECRET, event, payload, **kwargs)


def requests_for(url: str, slack: SlackEmulator) -> SlackRequests:
    return SlackRequests(url + "/slack/events", emulator=slack)


def option_value(message: Message, action_id: str, text: str) -> dict[str, Any]:
    """The JSON value of an overflow option (by its text) in a posted message."""
    for block in message.blocks or []:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == action_id:
            for option in accessory.get("options") or []:
                if option["text"]["text"] == text:
                    return dict(json.loads(option["value"]))
    raise LookupError(f"no option {text!r} in {action_id}")


def gate_action(message: Message, label: str) -> str:
    """The action_id of the menu beside the gate `label` in a digest."""
    for block in message.blocks or []:
        text = (block.get("text") or {}).get("text", "")
        accessory = block.get("accessory") or {}
        if f"☐ {label}" in text and accessory.get("type") == "overflow":
            return str(accessory["action_id"])
    raise LookupError(f"no gate {label!r} in the digest")


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)


__all__ = ["wait_until"]
