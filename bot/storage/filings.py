"""Filings: who holds the lease to file a draft on GitHub, the outcome, and every attempt's
steps (with GitHub's request ids), so a draft is filed exactly once and a failure explains
itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.storage.database import Transaction, iso, select_row, select_rows


@dataclass(frozen=True)
class FilingRecord:
    """Where filing a draft on GitHub stands: who holds its lease, and the issue if filed."""

    draft_id: str
    state: str  # "filing" (a lease is or was held), "filed", "failed"
    owner: str | None
    lease_until: datetime | None
    attempts: int
    issue_number: int | None
    issue_url: str | None
    updated_at: datetime


@dataclass(frozen=True)
class FilingAttempt:
    """One step of a filing attempt, as journaled (with GitHub's request id when known)."""

    seq: int
    draft_id: str
    at: datetime
    actor: str
    source: str
    correlation_id: str
    event: str  # claimed, created, adopted, ambiguous, waited, failed, ...
    status: int | None
    request_id: str | None
    detail: str | None
    issue_number: int | None


class Filings:
    """The filings table and its attempts journal, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db
        self._now = tx.now

    def get(self, draft_id: str) -> FilingRecord | None:
        """The draft's filing row, if filing was ever started."""
        row = select_row(self._db, "SELECT * FROM filings WHERE draft_id = ?", [draft_id])
        if row is None:
            return None
        lease = row["lease_until"]
        return FilingRecord(
            draft_id=row["draft_id"],
            state=row["state"],
            owner=row["owner"],
            lease_until=datetime.fromisoformat(lease) if lease else None,
            attempts=row["attempts"],
            issue_number=row["issue_number"],
            issue_url=row["issue_url"],
            updated_at=datetime.fromisoformat(row["updated_at"]),
        )

    def claim(self, draft_id: str, owner: str, lease_until: datetime) -> FilingRecord:
        """Take the filing lease for `owner` unless another owner holds one that is still
        live (its `lease_until` after this session's `now`); the row as it stands after."""
        current = self.get(draft_id)
        held = (
            current is not None
            and current.state == "filing"
            and current.owner != owner
            and current.lease_until is not None
            and current.lease_until > self._now
        )
        if held:
            assert current is not None
            return current
        self._db.execute(
            "INSERT INTO filings (draft_id, state, owner, lease_until, attempts, updated_at) "
            "VALUES (?, 'filing', ?, ?, 1, ?) ON CONFLICT (draft_id) DO UPDATE SET "
            "state = 'filing', owner = excluded.owner, lease_until = excluded.lease_until, "
            "attempts = filings.attempts + 1, updated_at = excluded.updated_at",
            [draft_id, owner, iso(lease_until), iso(self._now)],
        )
        claimed = self.get(draft_id)
        assert claimed is not None
        return claimed

    def renew(self, draft_id: str, owner: str, lease_until: datetime) -> bool:
        """Extend `owner`'s lease; False if it no longer holds it (another took over)."""
        cursor = self._db.execute(
            "UPDATE filings SET lease_until = ?, updated_at = ? "
            "WHERE draft_id = ? AND owner = ? AND state = 'filing'",
            [iso(lease_until), iso(self._now), draft_id, owner],
        )
        return cursor.rowcount == 1

    def finish(
        self,
        draft_id: str,
        owner: str,
        state: str,
        *,
        issue_number: int | None = None,
        issue_url: str | None = None,
    ) -> bool:
        """Release `owner`'s lease with the outcome ("filed" or "failed"); False if another
        owner holds the lease now."""
        cursor = self._db.execute(
            "UPDATE filings SET state = ?, owner = NULL, lease_until = NULL, "
            "issue_number = COALESCE(?, issue_number), issue_url = COALESCE(?, issue_url), "
            "updated_at = ? WHERE draft_id = ? AND (owner = ? OR owner IS NULL)",
            [state, issue_number, issue_url, iso(self._now), draft_id, owner],
        )
        return cursor.rowcount == 1

    def log(
        self,
        draft_id: str,
        event: str,
        *,
        actor: str,
        source: str,
        correlation_id: str,
        status: int | None = None,
        request_id: str | None = None,
        detail: str | None = None,
        issue_number: int | None = None,
    ) -> None:
        """Append one step of a filing attempt to its journal."""
        self._db.execute(
            "INSERT INTO filing_attempts (draft_id, at, actor, source, correlation_id, event, "
            "status, request_id, detail, issue_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                draft_id,
                iso(self._now),
                actor,
                source,
                correlation_id,
                event,
                status,
                request_id,
                detail,
                issue_number,
            ],
        )

    def attempts(self, draft_id: str) -> list[FilingAttempt]:
        """The draft's filing journal, oldest first."""
        rows = select_rows(
            self._db, "SELECT * FROM filing_attempts WHERE draft_id = ? ORDER BY seq", [draft_id]
        )
        return [
            FilingAttempt(
                seq=row["seq"],
                draft_id=row["draft_id"],
                at=datetime.fromisoformat(row["at"]),
                actor=row["actor"],
                source=row["source"],
                correlation_id=row["correlation_id"],
                event=row["event"],
                status=row["status"],
                request_id=row["request_id"],
                detail=row["detail"],
                issue_number=row["issue_number"],
            )
            for row in rows
        ]
