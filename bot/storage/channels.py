"""Which repository each Slack channel drafts for (`/milestone repo owner/name`).

A channel with no row drafts for GITHUB_REPOSITORY. Each change is kept with who made it
and when, so `/milestone repo` can say it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Transaction, iso, parse_time, select_row, select_rows


@dataclass(frozen=True)
class ChannelRepository:
    """The repository a channel drafts for, and who set it."""

    channel: str
    repository: str
    set_by: str
    set_at: datetime


class ChannelRepositories:
    """The `channel_repositories` table, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db
        self._now = tx.now

    def get(self, channel: str) -> ChannelRepository | None:
        row = select_row(
            self._db, "SELECT * FROM channel_repositories WHERE channel = ?", [channel]
        )
        if row is None:
            return None
        set_at = parse_time(row["set_at"])
        assert set_at is not None
        return ChannelRepository(row["channel"], row["repository"], row["set_by"], set_at)

    def repository(self, channel: str | None, default: str | None) -> str | None:
        """The channel's repository, else `default` (GITHUB_REPOSITORY)."""
        record = self.get(channel) if channel else None
        return record.repository if record is not None else default

    def set(self, channel: str, repository: str, user: str) -> ChannelRepository:
        """From now on `channel` drafts for `repository` (drafts already started keep theirs)."""
        self._db.execute(
            "INSERT INTO channel_repositories (channel, repository, set_by, set_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (channel) DO UPDATE SET "
            "repository = excluded.repository, set_by = excluded.set_by, set_at = excluded.set_at",
            [channel, repository, user, iso(self._now)],
        )
        return ChannelRepository(channel, repository, user, self._now)

    def all(self) -> list[ChannelRepository]:
        """Every channel with a repository of its own."""
        rows = select_rows(self._db, "SELECT channel FROM channel_repositories ORDER BY channel")
        found = [self.get(row["channel"]) for row in rows]
        return [record for record in found if record is not None]
