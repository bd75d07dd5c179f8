"""App Home state: who opened the Home tab, what was last published to it, the channel each
person last drafted in, and the permalinks of drafts' threads.

The published view's hash lets a republish that would show the same thing be skipped, and
survives a restart, so a restarted bot doesn't republish every Home at once. Permalinks
never change once Slack gives them, so each draft's thread costs one chat.getPermalink.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Transaction, iso, parse_time, select_row, select_rows


@dataclass(frozen=True)
class HomeRecord:
    """One person's Home tab as the bot last left it."""

    user: str
    opened_at: datetime
    published_at: datetime | None = None
    view_hash: str | None = None
    last_channel: str | None = None


class HomeTabs:
    """The `home_tabs` and `thread_links` tables, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db
        self._now = tx.now

    def get(self, user: str) -> HomeRecord | None:
        row = select_row(self._db, "SELECT * FROM home_tabs WHERE user_id = ?", [user])
        if row is None:
            return None
        opened = parse_time(row["opened_at"])
        assert opened is not None
        return HomeRecord(
            user=row["user_id"],
            opened_at=opened,
            published_at=parse_time(row["published_at"]),
            view_hash=row["view_hash"],
            last_channel=row["last_channel"],
        )

    def opened(self, user: str) -> None:
        """The person opened their Home tab: from now on it is kept up to date."""
        self._db.execute(
            "INSERT INTO home_tabs (user_id, opened_at) VALUES (?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET opened_at = excluded.opened_at",
            [user, iso(self._now)],
        )

    def fingerprints(self) -> dict[str, str]:
        """For everyone who opened the Home, a digest of the rows their Home is built from
        (their drafts' count, latest change and threads; their tracked issues' state, gates,
        mute and snooze), so a refresh rebuilds only the Homes whose rows changed."""
        rows = select_rows(
            self._db,
            "SELECT h.user_id AS user_id, "
            "(SELECT count(*) || ':' || coalesce(max(updated_at), '') || ':' || count(thread_ts) "
            " FROM drafts d WHERE d.author = h.user_id) AS drafts, "
            "(SELECT group_concat(draft_id || ':' || state || ':' || gates || ':' || muted || ':' "
            " || coalesce(snoozed_until, '') || ':' || title, ',') "
            " FROM tracked_issues t WHERE t.author = h.user_id) AS issues "
            "FROM home_tabs h",
        )
        return {row["user_id"]: f"{row['drafts']}|{row['issues'] or ''}" for row in rows}

    def published(self, user: str, view_hash: str) -> None:
        """Slack took this view for the person's Home."""
        self._db.execute(
            "UPDATE home_tabs SET published_at = ?, view_hash = ? WHERE user_id = ?",
            [iso(self._now), view_hash, user],
        )

    def used_channel(self, user: str, channel: str) -> None:
        """The channel the person chose to draft in, offered first next time."""
        self._db.execute(
            "INSERT INTO home_tabs (user_id, opened_at, last_channel) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET last_channel = excluded.last_channel",
            [user, iso(self._now), channel],
        )

    def last_channel(self, user: str) -> str | None:
        """The channel the person last chose, else the channel of their latest draft's
        thread outside a DM."""
        record = self.get(user)
        if record is not None and record.last_channel:
            return record.last_channel
        row = select_row(
            self._db,
            "SELECT channel FROM drafts WHERE author = ? AND channel IS NOT NULL "
            "AND channel NOT LIKE 'D%' ORDER BY created_at DESC LIMIT 1",
            [user],
        )
        return str(row["channel"]) if row else None

    def permalink(self, draft_id: str, channel: str, thread_ts: str) -> str | None:
        """The thread's permalink, if Slack gave one for this draft's current thread."""
        row = select_row(
            self._db,
            "SELECT permalink FROM thread_links WHERE draft_id = ? AND channel = ? "
            "AND thread_ts = ?",
            [draft_id, channel, thread_ts],
        )
        return str(row["permalink"]) if row else None

    def save_permalink(self, draft_id: str, channel: str, thread_ts: str, link: str) -> None:
        self._db.execute(
            "INSERT INTO thread_links (draft_id, channel, thread_ts, permalink) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (draft_id) DO UPDATE SET "
            "channel = excluded.channel, thread_ts = excluded.thread_ts, "
            "permalink = excluded.permalink",
            [draft_id, channel, thread_ts, link],
        )
