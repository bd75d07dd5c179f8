"""Deliveries already handled: Slack events and commands, GitHub webhooks, notices sent.

A delivery is claimed by its key in the same transaction as its effect, so a retry of it
(Slack and GitHub both redeliver) finds the key taken and changes nothing.
"""

from __future__ import annotations

from bot.storage.database import Transaction, iso


class Deliveries:
    """The keys of deliveries handled, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db
        self._now = tx.now

    def claim(self, key: str, draft_id: str | None = None) -> bool:
        """Mark a delivery handled; False if it already was (a retry to ignore)."""
        return self.claim_all([key], draft_id)

    def claim_all(self, keys: list[str], draft_id: str | None = None) -> bool:
        """Mark several keys of one delivery handled, all of them whatever was claimed before;
        False if any already was. One statement, however many keys."""
        if not keys:
            return True
        rows = ", ".join("(?, ?, ?)" for _ in keys)
        at = iso(self._now)
        cursor = self._db.execute(
            f"INSERT INTO processed (key, draft_id, at) VALUES {rows} ON CONFLICT DO NOTHING",
            [value for key in keys for value in (key, draft_id, at)],
        )
        return cursor.rowcount == len(keys)

    def claimed(self, key: str) -> bool:
        """Whether a delivery key was claimed (read only: for dry runs)."""
        return (
            self._db.execute("SELECT 1 FROM processed WHERE key = ?", [key]).fetchone() is not None
        )
