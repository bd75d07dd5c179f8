"""Tracked issues (the gate state of the issues the bot filed, as last seen on GitHub) and
the cursors of the repositories' issue listings, with their row mapping.

The records and the rules for changing them are in flows/tracking.py; this module only
keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.database import Transaction, iso, iso_or_none, parse_time, select_row, select_rows
from flows.draft import GateState
from flows.tracking import IssueState, SeenFrom, TrackedIssue


@dataclass(frozen=True)
class IssueCursor:
    """Where the listing of a repository's recently updated issues stands."""

    repository: str
    since: datetime | None
    etag: str | None  # of the first page listed with exactly this `since`
    checked_at: datetime | None


class TrackedIssues:
    """The tracked_issues and issue_cursors tables, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db

    def get(self, draft_id: str) -> TrackedIssue | None:
        """The tracked issue filed from that draft, if it is tracked."""
        row = select_row(self._db, "SELECT * FROM tracked_issues WHERE draft_id = ?", [draft_id])
        return from_row(row) if row else None

    def at(self, repository: str, number: int) -> TrackedIssue | None:
        """The tracked issue at repository#number (the repository in any case), if any."""
        row = select_row(
            self._db,
            "SELECT * FROM tracked_issues WHERE repository = ? AND number = ?",
            [repository, number],
        )
        return from_row(row) if row else None

    def issues(
        self, *, author: str | None = None, states: Sequence[str] = ("open",)
    ) -> list[TrackedIssue]:
        """Tracked issues in those states (one author's, or everyone's), oldest filed first."""
        sql = "SELECT * FROM tracked_issues WHERE state IN ({})".format(
            ", ".join("?" for _ in states)
        )
        params: list[Any] = list(states)
        if author is not None:
            sql += " AND author = ?"
            params.append(author)
        sql += " ORDER BY filed_at, draft_id"
        return [from_row(row) for row in select_rows(self._db, sql, params)]

    def unverified_since(self, before: datetime, limit: int) -> list[TrackedIssue]:
        """Open tracked issues GitHub has not confirmed since `before`, longest first."""
        rows = select_rows(
            self._db,
            "SELECT * FROM tracked_issues WHERE state = 'open' AND "
            "(verified_at IS NULL OR verified_at < ?) "
            "ORDER BY verified_at IS NOT NULL, verified_at, draft_id LIMIT ?",
            [iso(before), limit],
        )
        return [from_row(row) for row in rows]

    def save(self, issue: TrackedIssue) -> None:
        """Store the tracked issue (insert, or replace the row of its draft)."""
        row = to_row(issue)
        columns = ", ".join(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != "draft_id")
        self._db.execute(
            f"INSERT INTO tracked_issues ({columns}) VALUES ({', '.join('?' for _ in row)}) "
            f"ON CONFLICT (draft_id) DO UPDATE SET {updates}",
            list(row.values()),
        )

    def cursor(self, repository: str) -> IssueCursor | None:
        """Where the listing of that repository's issues stands, if it was ever listed."""
        row = select_row(self._db, "SELECT * FROM issue_cursors WHERE repository = ?", [repository])
        if row is None:
            return None
        return IssueCursor(
            repository=row["repository"],
            since=parse_time(row["since"]),
            etag=row["etag"],
            checked_at=parse_time(row["checked_at"]),
        )

    def save_cursor(self, cursor: IssueCursor) -> None:
        self._db.execute(
            "INSERT INTO issue_cursors (repository, since, etag, checked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (repository) DO UPDATE SET since = excluded.since, "
            "etag = excluded.etag, checked_at = excluded.checked_at",
            [
                cursor.repository,
                iso_or_none(cursor.since),
                cursor.etag,
                iso_or_none(cursor.checked_at),
            ],
        )


def gates_json(gates: dict[str, GateState]) -> str:
    return json.dumps(
        {label: state.model_dump(mode="json") for label, state in sorted(gates.items())},
        ensure_ascii=False,
        sort_keys=True,
    )


def gates_from_json(text: str) -> dict[str, GateState]:
    return {label: GateState.model_validate(value) for label, value in json.loads(text).items()}


def to_row(issue: TrackedIssue) -> dict[str, Any]:
    return {
        "draft_id": issue.draft_id,
        "repository": issue.repository,
        "number": issue.number,
        "author": issue.author,
        "title": issue.title,
        "url": issue.url,
        "etag": issue.etag,
        "body_hash": issue.body_hash,
        "gates": gates_json(issue.gates),
        "state": issue.state.value,
        "remote_updated_at": iso_or_none(issue.remote_updated_at),
        "seen_at": iso_or_none(issue.seen_at),
        "seen_from": issue.seen_from.value,
        "verified_at": iso_or_none(issue.verified_at),
        "filed_at": iso_or_none(issue.filed_at),
        "last_change_at": iso_or_none(issue.last_change_at),
        "last_digest_at": iso_or_none(issue.last_digest_at),
        "muted": int(issue.muted),
        "snoozed_until": iso_or_none(issue.snoozed_until),
        "digests_without_change": issue.digests_without_change,
        "thread_note_sent": int(issue.thread_note_sent),
    }


def from_row(row: dict[str, Any]) -> TrackedIssue:
    filed_at = parse_time(row["filed_at"])
    last_change_at = parse_time(row["last_change_at"])
    assert filed_at is not None and last_change_at is not None
    return TrackedIssue(
        draft_id=row["draft_id"],
        repository=row["repository"],
        number=int(row["number"]),
        author=row["author"],
        title=row["title"],
        url=row["url"],
        etag=row["etag"],
        body_hash=row["body_hash"],
        gates=gates_from_json(row["gates"]),
        state=IssueState(row["state"]),
        remote_updated_at=parse_time(row["remote_updated_at"]),
        seen_at=parse_time(row["seen_at"]),
        seen_from=SeenFrom(row["seen_from"]),
        verified_at=parse_time(row["verified_at"]),
        filed_at=filed_at,
        last_change_at=last_change_at,
        last_digest_at=parse_time(row["last_digest_at"]),
        muted=bool(row["muted"]),
        snoozed_until=parse_time(row["snoozed_until"]),
        digests_without_change=int(row["digests_without_change"]),
        thread_note_sent=bool(row["thread_note_sent"]),
    )
