"""Digests: each author's reminder digest per window, claimed before it is sent so that at
most one goes out per window, whatever crashes or runs twice."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Transaction, iso, parse_time, select_row, select_rows


@dataclass(frozen=True)
class DigestRecord:
    """One author's digest for one window: claimed before sending, at most one per window."""

    window_key: str
    author: str
    status: str  # "sending" (claimed; outcome unknown if it stays so), "sent", "failed"
    attempts: int
    claimed_at: datetime
    sent_at: datetime | None
    channel: str | None
    ts: str | None
    issues: tuple[str, ...]  # draft ids listed
    error: str | None


class Digests:
    """The digests table, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db

    def claim(self, window_key: str, author: str, issues: Sequence[str], at: datetime) -> bool:
        """Claim the author's digest for a window before sending it; False if it was claimed."""
        cursor = self._db.execute(
            "INSERT INTO digests (window_key, author, status, attempts, claimed_at, issues) "
            "VALUES (?, ?, 'sending', 1, ?, ?) ON CONFLICT (window_key) DO NOTHING",
            [window_key, author, iso(at), json.dumps(list(issues))],
        )
        return cursor.rowcount == 1

    def reclaim(
        self, window_key: str, issues: Sequence[str], at: datetime, max_attempts: int
    ) -> bool:
        """Claim again a digest whose sending failed, while attempts are left."""
        cursor = self._db.execute(
            "UPDATE digests SET status = 'sending', attempts = attempts + 1, claimed_at = ?, "
            "issues = ?, error = NULL WHERE window_key = ? AND status = 'failed' "
            "AND attempts < ?",
            [iso(at), json.dumps(list(issues)), window_key, max_attempts],
        )
        return cursor.rowcount == 1

    def unanswered(self, before: datetime) -> list[DigestRecord]:
        """Digests claimed before `before` whose send never got an answer (still "sending")."""
        rows = select_rows(
            self._db,
            "SELECT * FROM digests WHERE status = 'sending' AND claimed_at < ? ORDER BY claimed_at",
            [iso(before)],
        )
        return [digest_from_row(row) for row in rows]

    def get(self, window_key: str) -> DigestRecord | None:
        """The digest of that window, if it was ever claimed."""
        row = select_row(self._db, "SELECT * FROM digests WHERE window_key = ?", [window_key])
        return digest_from_row(row) if row else None

    def finish(
        self,
        window_key: str,
        status: str,
        *,
        at: datetime,
        channel: str | None = None,
        ts: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record how sending went: "sent" (with the message) or "failed" (with Slack's error)."""
        self._db.execute(
            "UPDATE digests SET status = ?, sent_at = ?, channel = ?, ts = ?, error = ? "
            "WHERE window_key = ?",
            [status, iso(at) if status == "sent" else None, channel, ts, error, window_key],
        )


def digest_from_row(row: dict[str, Any]) -> DigestRecord:
    claimed_at = parse_time(row["claimed_at"])
    assert claimed_at is not None
    return DigestRecord(
        window_key=row["window_key"],
        author=row["author"],
        status=row["status"],
        attempts=int(row["attempts"]),
        claimed_at=claimed_at,
        sent_at=parse_time(row["sent_at"]),
        channel=row["channel"],
        ts=row["ts"],
        issues=tuple(json.loads(row["issues"])),
        error=row["error"],
    )
