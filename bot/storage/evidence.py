"""Pull requests linked to tracked issues, what GitHub showed of them, and the evidence's
bookkeeping (timeline ETags, the plan-drift message sent once, gates ticked automatically).

A pull request's files and checks are written together with the snapshot they belong to,
in one unit of work, after every page was read: a fault part-way leaves the previous,
complete record, never half of a new one. The evidence itself is not stored: it is
recomputed from these records by flows.evidence whenever it is shown.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.storage.database import Transaction, iso, iso_or_none, parse_time, select_row, select_rows
from flows.evidence import ChangedFile, Check, PullRequest, PullState


@dataclass(frozen=True)
class StoredPull:
    """A pull request as last seen, and whether its evidence is complete."""

    pull: PullRequest
    files_sha: str | None = None  # the merge commit the stored files belong to
    checks_final: bool = False  # every check concluded (none pending) when last read
    checks_read_at: datetime | None = None
    seen_at: datetime | None = None

    @property
    def key(self) -> str:
        return self.pull.key

    @property
    def files_read(self) -> bool:
        return self.pull.merge_sha is not None and self.files_sha == self.pull.merge_sha


@dataclass(frozen=True)
class PullCursor:
    repository: str
    since: datetime | None  # pull requests updated before this were all seen
    etag: str | None  # of the first page of the listing
    checked_at: datetime | None


@dataclass(frozen=True)
class EvidenceState:
    draft_id: str
    timeline_etag: str | None = None
    timeline_checked_at: datetime | None = None
    drift_sent_at: datetime | None = None
    found: dict[str, str] = field(default_factory=dict)  # gate label -> reference, last seen
    auto_ticked: tuple[str, ...] = ()  # gate labels ticked automatically, for the next digest


def _files_json(files: tuple[ChangedFile, ...]) -> str:
    return json.dumps([[f.path, f.status, f.patch] for f in files])


def _checks_json(checks: tuple[Check, ...]) -> str:
    return json.dumps([[c.name, c.conclusion, c.kind] for c in checks])


def _from_row(row: dict[str, Any]) -> StoredPull:
    files = tuple(ChangedFile(*item) for item in json.loads(row["files"] or "[]"))
    checks = tuple(Check(*item) for item in json.loads(row["checks"] or "[]"))
    pull = PullRequest(
        repository=row["repository"],
        number=row["number"],
        title=row["title"],
        url=row["url"],
        state=PullState(row["state"]),
        merge_sha=row["merge_sha"],
        files=files,
        files_capped=bool(row["files_capped"]),
        checks=checks,
        fork=bool(row["fork"]),
        reverts=row["reverts"],
    )
    return StoredPull(
        pull,
        files_sha=row["files_sha"],
        checks_final=bool(row["checks_final"]),
        checks_read_at=parse_time(row["checks_read_at"]),
        seen_at=parse_time(row["seen_at"]),
    )


class PullEvidence:
    """The pull_requests, pull_links, pull_cursors and evidence_state tables, in one unit of
    work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db
        self._now = tx.now

    # ----- pull requests ----------------------------------------------------------------

    def pull(self, repository: str, number: int) -> StoredPull | None:
        row = select_row(
            self._db,
            "SELECT * FROM pull_requests WHERE repository = ? AND number = ?",
            [repository, number],
        )
        return _from_row(row) if row else None

    def save_pull(self, stored: StoredPull) -> None:
        p = stored.pull
        row = {
            "repository": p.repository,
            "number": p.number,
            "title": p.title,
            "url": p.url,
            "state": p.state.value,
            "merge_sha": p.merge_sha,
            "fork": int(p.fork),
            "reverts": p.reverts,
            "files": _files_json(p.files),
            "files_capped": int(p.files_capped),
            "files_sha": stored.files_sha,
            "checks": _checks_json(p.checks),
            "checks_final": int(stored.checks_final),
            "checks_read_at": iso_or_none(stored.checks_read_at),
            "seen_at": iso(stored.seen_at or self._now),
        }
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c not in ("repository", "number"))
        self._db.execute(
            f"INSERT INTO pull_requests ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)}) "
            f"ON CONFLICT (repository, number) DO UPDATE SET {updates}",
            list(row.values()),
        )

    def by_merge_sha(self, repository: str, sha: str) -> list[StoredPull]:
        rows = select_rows(
            self._db,
            "SELECT * FROM pull_requests WHERE repository = ? AND merge_sha = ?",
            [repository, sha],
        )
        return [_from_row(row) for row in rows]

    def unfinished(self) -> list[StoredPull]:
        """Linked merged pull requests whose files or checks are still to be read."""
        rows = select_rows(
            self._db,
            "SELECT * FROM pull_requests p WHERE state = 'merged' AND ("
            "files_sha IS NULL OR files_sha != merge_sha OR checks_final = 0) AND EXISTS ("
            "SELECT 1 FROM pull_links l WHERE l.repository = p.repository "
            "AND l.number = p.number) ORDER BY seen_at, repository, number",
        )
        return [_from_row(row) for row in rows]

    # ----- links ------------------------------------------------------------------------

    def link(self, draft_id: str, repository: str, number: int, via: str) -> bool:
        """Link the pull request to the draft's issue; True if the link is new."""
        cursor = self._db.execute(
            "INSERT INTO pull_links (draft_id, repository, number, via, linked_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [draft_id, repository, number, via, iso(self._now)],
        )
        return cursor.rowcount == 1

    def linked(self, draft_id: str) -> list[StoredPull]:
        """The pull requests linked to the draft's issue, by repository and number."""
        rows = select_rows(
            self._db,
            "SELECT p.* FROM pull_requests p JOIN pull_links l ON l.repository = p.repository "
            "AND l.number = p.number WHERE l.draft_id = ? ORDER BY p.repository, p.number",
            [draft_id],
        )
        return [_from_row(row) for row in rows]

    def drafts_of(self, repository: str, number: int) -> list[str]:
        rows = select_rows(
            self._db,
            "SELECT draft_id FROM pull_links WHERE repository = ? AND number = ? ORDER BY draft_id",
            [repository, number],
        )
        return [row["draft_id"] for row in rows]

    # ----- the listing's cursor ---------------------------------------------------------

    def cursor(self, repository: str) -> PullCursor | None:
        row = select_row(self._db, "SELECT * FROM pull_cursors WHERE repository = ?", [repository])
        if row is None:
            return None
        return PullCursor(
            row["repository"],
            parse_time(row["since"]),
            row["etag"],
            parse_time(row["checked_at"]),
        )

    def save_cursor(self, cursor: PullCursor) -> None:
        self._db.execute(
            "INSERT INTO pull_cursors (repository, since, etag, checked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (repository) DO UPDATE SET since = excluded.since, "
            "etag = excluded.etag, checked_at = excluded.checked_at",
            [
                cursor.repository,
                iso_or_none(cursor.since),
                cursor.etag,
                iso_or_none(cursor.checked_at),
            ],
        )

    # ----- per-draft bookkeeping ---------------------------------------------------------

    def state(self, draft_id: str) -> EvidenceState:
        row = select_row(self._db, "SELECT * FROM evidence_state WHERE draft_id = ?", [draft_id])
        if row is None:
            return EvidenceState(draft_id)
        return EvidenceState(
            draft_id,
            row["timeline_etag"],
            parse_time(row["timeline_checked_at"]),
            parse_time(row["drift_sent_at"]),
            json.loads(row["found"] or "{}"),
            tuple(json.loads(row["auto_ticked"] or "[]")),
        )

    def save_state(self, state: EvidenceState) -> None:
        self._db.execute(
            "INSERT INTO evidence_state (draft_id, timeline_etag, timeline_checked_at, "
            "drift_sent_at, found, auto_ticked) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (draft_id) DO UPDATE SET timeline_etag = excluded.timeline_etag, "
            "timeline_checked_at = excluded.timeline_checked_at, "
            "drift_sent_at = excluded.drift_sent_at, found = excluded.found, "
            "auto_ticked = excluded.auto_ticked",
            [
                state.draft_id,
                state.timeline_etag,
                iso_or_none(state.timeline_checked_at),
                iso_or_none(state.drift_sent_at),
                json.dumps(state.found, sort_keys=True),
                json.dumps(list(state.auto_ticked)),
            ],
        )

    def timelines_due(self, before: datetime, limit: int, first_reads: int) -> list[str]:
        """Open tracked issues (draft ids) whose timeline was not read since `before`: those
        with a known ETag (a 304 is free), then at most `first_reads` never read (counted)."""
        known = select_rows(
            self._db,
            "SELECT t.draft_id FROM tracked_issues t JOIN evidence_state e "
            "ON e.draft_id = t.draft_id WHERE t.state = 'open' AND e.timeline_etag IS NOT NULL "
            "AND (e.timeline_checked_at IS NULL OR e.timeline_checked_at < ?) "
            "ORDER BY e.timeline_checked_at, t.draft_id LIMIT ?",
            [iso(before), limit],
        )
        unknown = select_rows(
            self._db,
            "SELECT t.draft_id FROM tracked_issues t LEFT JOIN evidence_state e "
            "ON e.draft_id = t.draft_id WHERE t.state = 'open' AND e.timeline_etag IS NULL "
            "AND (e.timeline_checked_at IS NULL OR e.timeline_checked_at < ?) "
            "ORDER BY t.filed_at DESC, t.draft_id LIMIT ?",
            [iso(before), first_reads],
        )
        return [row["draft_id"] for row in [*known, *unknown]]
