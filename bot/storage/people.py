"""People: what the bot knows about a Slack user (name, time zone, GitHub login)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.storage.database import Transaction, select_row


@dataclass(frozen=True)
class UserRecord:
    """What the bot knows about a Slack user."""

    slack_user_id: str
    display_name: str | None = None
    tz: str | None = None  # IANA name, e.g. "Europe/Paris"
    github_login: str | None = None
    notified: dict[str, Any] = field(default_factory=dict)  # reminders sent, by key


class People:
    """The users table, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db

    def get(self, slack_user_id: str) -> UserRecord | None:
        """What is known about that Slack user, if anything."""
        row = select_row(self._db, "SELECT * FROM users WHERE slack_user_id = ?", [slack_user_id])
        if row is None:
            return None
        return UserRecord(
            slack_user_id=row["slack_user_id"],
            display_name=row["display_name"],
            tz=row["tz"],
            github_login=row["github_login"],
            notified=json.loads(row["notified"]),
        )

    def save(
        self,
        slack_user_id: str,
        *,
        display_name: str | None = None,
        tz: str | None = None,
        github_login: str | None = None,
        notified: dict[str, Any] | None = None,
    ) -> UserRecord:
        """Store what is newly known about a user; arguments left None keep their stored value."""
        known = self.get(slack_user_id) or UserRecord(slack_user_id)
        record = UserRecord(
            slack_user_id=slack_user_id,
            display_name=known.display_name if display_name is None else display_name,
            tz=known.tz if tz is None else tz,
            github_login=known.github_login if github_login is None else github_login,
            notified=known.notified if notified is None else notified,
        )
        self._db.execute(
            "INSERT INTO users (slack_user_id, github_login, tz, display_name, notified) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (slack_user_id) DO UPDATE SET "
            "github_login = excluded.github_login, tz = excluded.tz, "
            "display_name = excluded.display_name, notified = excluded.notified",
            [
                record.slack_user_id,
                record.github_login,
                record.tz,
                record.display_name,
                json.dumps(record.notified, ensure_ascii=False),
            ],
        )
        return record
