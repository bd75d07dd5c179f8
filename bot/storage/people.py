"""People: what the bot knows about a Slack user (name, time zone, GitHub login)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UserRecord:
    """What the bot knows about a Slack user."""

    slack_user_id: str
    display_name: str | None = None
    tz: str | None = None  # IANA name, e.g. "Europe/Paris"
    github_login: str | None = None
    notified: dict[str, Any] = field(default_factory=dict)  # reminders sent, by key
