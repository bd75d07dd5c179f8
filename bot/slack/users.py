"""Slack users as the bot needs them: display name, time zone, linked GitHub login.

The one place that asks Slack's `users.info`. It is called once per user and cached in
SQLite, so a restart doesn't re-ask and a mention in an answer costs nothing after the first
time; the reminders and filing read time zones through it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import StoreError
from bot.log import get_logger
from bot.slack.poster import slack_error
from bot.storage.people import UserRecord
from bot.storage.store import Store

log = get_logger()

SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")  # a user id Slack's users.info can answer


@dataclass
class UserDirectory:
    store: Store
    client: WebClient | None  # None: only what the store knows (a dry run without Slack)

    def get(self, user_id: str) -> UserRecord:
        """The user's record, with a display name (asked of Slack once, then stored)."""
        with self.store.session(readonly=True) as s:
            known = s.people.get(user_id)
        if known is not None and known.display_name:
            return known
        info = self._fetch(user_id)
        name = user_id
        tz = known.tz if known else None
        if info:
            profile = info.get("profile") or {}
            name = (
                profile.get("display_name")
                or profile.get("real_name")
                or info.get("real_name")
                or info.get("name")
                or user_id
            )
            tz = info.get("tz") or tz
        with self.store.session() as s:
            return s.people.save(user_id, display_name=name, tz=tz)

    def resolve(self, user_id: str) -> tuple[str, str | None]:
        """(display name, linked GitHub login) for a `<@U…>` mention."""
        record = self.get(user_id)
        return record.display_name or user_id, record.github_login

    def tz_name(self, user_id: str, *, save: bool = True) -> str | None:
        """The user's IANA time zone name: stored, else Slack's (then stored unless `save` is
        False); None when unknown. Never raises for Slack: a zone is a nicety."""
        with self.store.session(readonly=True) as s:
            record = s.people.get(user_id)
        if record is not None and record.tz:
            return record.tz
        if self.client is None or not SLACK_USER.match(user_id):
            return None
        try:
            info = self._fetch(user_id)
        except Exception as exc:  # noqa: BLE001 - an unreachable Slack means no zone
            log.warning("slack.call_failed", method="users.info", reason=type(exc).__name__)
            return None
        tz = str(info.get("tz") or "") if info else ""
        if tz and save:
            with self.store.session() as s:
                s.people.save(user_id, tz=tz)
        return tz or None

    def zone(self, user_id: str) -> ZoneInfo | None:
        """The user's time zone, if known and valid; None rather than fail what it dresses
        (a filing's messages read well enough in UTC)."""
        try:
            name = self.tz_name(user_id)
        except StoreError:
            return None
        if not name:
            return None
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return None

    def _fetch(self, user_id: str) -> dict[str, Any] | None:
        """Slack's `users.info` user object; None when Slack refused (logged). A network
        failure propagates: the caller decides whether it matters."""
        if self.client is None:
            return None
        try:
            response = self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("slack.call_failed", method="users.info", reason=slack_error(exc))
            return None
        user = response.get("user")
        return user if isinstance(user, dict) else None
