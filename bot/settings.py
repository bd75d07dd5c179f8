"""Typed settings, read once from the environment (and an optional .env) by a factory.

Nothing here runs at import time: `load_settings()` is called by the entry point that needs
it, and tests build `Settings(...)` directly.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_DATABASE_PATH = "data/milestones.db"
S = TypeVar("S", bound="PathSettings")


# What each variable should look like, for the one-line error when it is missing or malformed.
EXPECTED: dict[str, str] = {
    "SLACK_BOT_TOKEN": "a bot token starting with xoxb-",
    "SLACK_SIGNING_SECRET": "the app's signing secret (Basic Information > App Credentials)",
    "SLACK_APP_TOKEN": "an app-level token starting with xapp- (Socket Mode)",
    "SLACK_API_URL": "a URL such as https://slack.com/api/",
    "SLACK_COMMAND": "a slash command such as /milestone",
    "DATABASE_PATH": "a file path such as data/milestones.db",
    "TEMPLATE_PATH": "the path of a Markdown issue template",
    "TEMPLATE_REPO_PATH": (
        "a Markdown file's path in the repository, such as "
        ".github/ISSUE_TEMPLATE/reliability_milestone.md"
    ),
    "MILESTONE_ADMINS": "Slack user ids separated by commas, such as U012AB3CD,U045EF6GH",
    "PORT": "a TCP port number such as 3000 (0: any free one)",
    "LISTENER_THREADS": "a whole number of threads, such as 16",
    "SOCKET_PING_SECONDS": "seconds between Socket Mode pings, from 0.5 to 30, such as 1",
    "GITHUB_TOKEN": "a GitHub token (ghp_..., github_pat_... or an installation token)",
    "GITHUB_REPOSITORY": "owner/name, such as acme/execution",
    "GITHUB_API_URL": "https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise",
    "GITHUB_TIMEOUT": "a whole number of seconds, such as 10",
    "GITHUB_APP_ID": "the GitHub App's numeric id (its settings page, About)",
    "GITHUB_APP_PRIVATE_KEY": "the App's private key: PEM text, or the path of its .pem file",
    "GITHUB_APP_INSTALLATION_ID": "the numeric id of the App's installation on the repository",
    "GITHUB_WEBHOOK_SECRET": "the secret set on the repository's webhook (Settings > Webhooks)",
    "REMINDER_SWEEP_MINUTES": "minutes between sweeps in `serve`, such as 5 (0 turns it off)",
    "REMINDER_FIRST_DIGEST_DAYS": "days after filing before the first digest, such as 2",
    "REMINDER_INTERVAL_WORKING_DAYS": "working days between digests, such as 2",
    "REMINDER_START_HOUR": "the author's local hour digests may start at, 0-23, such as 10",
    "REMINDER_END_HOUR": "the author's local hour digests stop at, 1-24, such as 18",
    "REMINDER_THREAD_NOTE_AFTER": "digests without a gate change before a thread note, such as 3",
    "REMINDER_DEFAULT_TZ": "an IANA time zone for people Slack gives none, such as UTC",
    "REMINDER_RATE_LIMIT_FLOOR": "GitHub requests to leave unspent; the sweep stops below it",
    "REMINDER_VERIFY_HOURS": "hours between single-issue checks of a tracked issue, such as 24",
    "EVIDENCE_AUTO_TICK": "true or false: tick gates that have evidence without asking",
    "DRAFT_NUDGE_DAYS": "days without an answer before a draft gets one nudge, such as 3",
    "DRAFT_ARCHIVE_DAYS": "days without an answer before a draft is archived, such as 30",
}


class PathSettings(BaseSettings):
    """Where the data and the template are: all that the terminal commands need.

    The one precedence, for every command: a command-line option (passed to the
    constructor) > the environment > `.env` in the working directory > the default. An empty
    variable counts as unset.
    """

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        env_ignore_empty=True,
    )

    database_path: Path = Path(DEFAULT_DATABASE_PATH)
    template_path: Path | None = None


class Settings(PathSettings):
    """Everything an operator sets. Secrets are SecretStr so they never print."""

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    slack_command: str = "/milestone"
    port: int = Field(default=3000, ge=0, le=65535)  # 0: any free port, logged
    listener_threads: int = Field(default=16, ge=1, le=256)
    # Socket Mode (bot/runtime/socket_mode.py): a connection 4 pings without a pong is replaced.
    socket_ping_seconds: float = Field(default=1.0, ge=0.5, le=30)

    github_token: SecretStr | None = None
    github_repository: str | None = None
    github_api_url: str = "https://api.github.com"
    github_timeout: int = Field(default=10, ge=1, le=300)
    # Each repository's own template (bot/github/templates.py); TEMPLATE_PATH overrides it.
    template_repo_path: str = ".github/ISSUE_TEMPLATE/reliability_milestone.md"
    # Who may change a channel's repository (`/milestone repo owner/name`); empty: anyone.
    milestone_admins: str = ""
    # A GitHub App instead of GITHUB_TOKEN: issues are then filed as "<app>[bot]".
    github_app_id: int | None = Field(default=None, ge=1)
    github_app_private_key: SecretStr | None = None
    github_app_installation_id: int | None = Field(default=None, ge=1)

    # Gate reminders (bot/reminders/sweep.py, bot/reminders/schedule.py); the README explains each.
    github_webhook_secret: SecretStr | None = None
    reminder_sweep_minutes: int = Field(default=5, ge=0, le=1440)
    reminder_first_digest_days: int = Field(default=2, ge=0, le=60)
    reminder_interval_working_days: int = Field(default=2, ge=1, le=60)
    reminder_start_hour: int = Field(default=10, ge=0, le=23)
    reminder_end_hour: int = Field(default=18, ge=1, le=24)
    reminder_thread_note_after: int = Field(default=3, ge=1, le=100)
    reminder_default_tz: str = "UTC"
    reminder_rate_limit_floor: int = Field(default=100, ge=0)
    reminder_verify_hours: int = Field(default=24, ge=1, le=24 * 30)
    evidence_auto_tick: bool = False  # tick gates with evidence from pull requests, unasked
    draft_nudge_days: int = Field(default=3, ge=1, le=365)
    draft_archive_days: int = Field(default=30, ge=1, le=3650)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must start with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must start with xapp-")
        return v

    @field_validator("slack_api_url", "github_api_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://[^\s/]+", v):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _slack_url_slash(cls, v: str) -> str:
        # slack_sdk joins the method name straight onto base_url.
        return v if v.endswith("/") else v + "/"

    @field_validator("slack_command")
    @classmethod
    def _command(cls, v: str) -> str:
        if not re.fullmatch(r"/[a-z0-9_\-]{1,31}", v):
            raise ValueError("must look like /milestone")
        return v

    @field_validator("github_repository")
    @classmethod
    def _repository(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", v):
            raise ValueError("must be owner/name")
        return v

    @field_validator("template_repo_path")
    @classmethod
    def _template_repo_path(cls, v: str) -> str:
        path = v.strip().strip("/")
        if not path or ".." in path.split("/") or not path.endswith((".md", ".markdown")):
            raise ValueError("must be a Markdown file's path in the repository")
        return path

    @field_validator("milestone_admins")
    @classmethod
    def _admins(cls, v: str) -> str:
        ids = [x.strip() for x in v.split(",") if x.strip()]
        for user in ids:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
                raise ValueError(f"{user!r} is not a Slack user id")
        return ",".join(ids)

    @property
    def admins(self) -> frozenset[str]:
        """MILESTONE_ADMINS as a set of Slack user ids (empty: anyone may change a channel)."""
        return frozenset(x for x in self.milestone_admins.split(",") if x)

    @property
    def operator_port(self) -> int | None:
        """Where `socket` serves /healthz and /metrics: PORT when it is set (in the environment
        or `.env`); None, serving no HTTP, when it is not. `serve` always listens on PORT."""
        return self.port if "port" in self.model_fields_set else None

    @field_validator("reminder_default_tz")
    @classmethod
    def _time_zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone") from None
        return v

    @model_validator(mode="after")
    def _reminder_hours(self) -> Settings:
        if self.reminder_start_hour >= self.reminder_end_hour:
            raise ValueError("REMINDER_START_HOUR must be before REMINDER_END_HOUR")
        return self

    def require(self, *names: str) -> None:
        """Raise ConfigError naming the first of `names` (field names) that is unset."""
        for name in names:
            if getattr(self, name) in (None, ""):
                var = name.upper()
                raise ConfigError(f"{var} is not set: it should be {EXPECTED.get(var, 'set')}")


SECRET_FIELDS = (
    "slack_bot_token",
    "slack_signing_secret",
    "slack_app_token",
    "github_token",
    "github_app_private_key",
    "github_webhook_secret",
)


def claim_secrets(settings: Settings) -> list[str]:
    """The secret values, from now on held by `settings` alone.

    Their variables leave the process environment: Bolt's `App` would otherwise read
    SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET a second time on its own (and warn that the
    token is unused beside our client), and no child process inherits them.
    """
    values = []
    for name in SECRET_FIELDS:
        os.environ.pop(name.upper(), None)
        secret = getattr(settings, name)
        if secret is not None:
            values.append(secret.get_secret_value())
    return values


def load_settings(**options: object) -> Settings:
    """Every setting; `options` are the command line's (None: not given).

    A bad value becomes one ConfigError line naming the variable.
    """
    return _load(Settings, options)


def load_paths(**options: object) -> PathSettings:
    """Only DATABASE_PATH and TEMPLATE_PATH, so a command that needs no Slack or GitHub is
    not stopped by a malformed Slack or GitHub setting."""
    return _load(PathSettings, options)


def _load(kind: type[S], options: dict[str, object]) -> S:
    given: dict[str, Any] = {name: value for name, value in options.items() if value is not None}
    try:
        return kind(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        var = str(err["loc"][0]).upper() if err["loc"] else "a setting"
        hint = EXPECTED.get(var, "")
        msg = err["msg"].removeprefix("Value error, ")
        detail = f"{var} is malformed ({msg})"
        raise ConfigError(f"{detail}: it should be {hint}" if hint else detail) from None
