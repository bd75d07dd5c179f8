"""Slack users as the bot needs them: display name, time zone, linked GitHub login.

`users.info` is called once per user and cached in SQLite, so a restart doesn't re-ask and
a mention in an answer costs nothing after the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.log import get_logger
from bot.storage.people import UserRecord
from bot.storage.store import Store

log = get_logger()


@dataclass
class UserDirectory:
    store: Store
    client: WebClient

    def get(self, user_id: str) -> UserRecord:
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

    def _fetch(self, user_id: str) -> dict[str, Any] | None:
        try:
            response = self.client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning(
                "slack.call_failed", method="users.info", reason=str(exc.response.get("error"))
            )
            return None
        user = response.get("user")
        return user if isinstance(user, dict) else None
