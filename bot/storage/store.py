"""The SQLite store: drafts, their journal, delivery dedup and message links.

The journal is the record: every message an author sends appends one entry (what they
typed, and the fields it changed). The drafts table is a cache of the journal's fold, kept
in the same transaction, and `Store.replay` checks the two agree.

A unit of work is `with store.session() as s:`: a connection of its own (Bolt runs
listeners on a thread pool and a sqlite3 connection belongs to its thread), `BEGIN
IMMEDIATE` so concurrent writers queue instead of failing half-way, commit on success,
rollback on any exception.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic
from sqlite_utils import Database

from bot.errors import (
    DatabaseCorrupt,
    DatabaseUnreadable,
    DraftExists,
    LocalFileError,
    SchemaTooNew,
    StaleDraft,
    StoreError,
    UnknownDraft,
)
from bot.storage.database import DEFAULT_PATH, Clock, utc_now
from bot.storage.drafts import DraftSummary, JournalEntry, Location, MessageAnswer
from bot.storage.ids import new_draft_id
from bot.storage.migrations import MIGRATIONS, SCHEMA_VERSION, STEPS
from bot.storage.people import UserRecord
from flows import tracking
from flows.draft import Draft, DraftStatus, diff
from flows.tracking import DigestRecord, IssueCursor, TrackedIssue

BUSY_TIMEOUT_MS = 5000
CLOSED_STATUSES = (DraftStatus.FILED, DraftStatus.CANCELLED, DraftStatus.ARCHIVED)

# (questions answered, questions in the flow) for the listing columns; the store does not
# know the flow, so whoever does passes this in.
Progress = Callable[[Draft], tuple[int, int | None]]

# Columns copied from the draft into its row; replay checks them against the journal too.
_COPIED_COLUMNS = (
    "author",
    "status",
    "title",
    "created_at",
    "updated_at",
    "issue_number",
    "issue_url",
)


def _default_progress(draft: Draft) -> tuple[int, int | None]:
    return len(draft.flow.answered), None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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


def fold(entries: list[JournalEntry]) -> Draft:
    """The draft a journal describes: its creation snapshot with each change applied in turn."""
    if not entries or entries[0].kind != "created":
        raise ValueError("a journal starts with its draft's creation")
    draft = Draft.model_validate(entries[0].changes)
    for entry in entries[1:]:
        draft = draft.with_changes(entry.changes)
    return draft


# SQLite result codes (Python 3.11's sqlite_errorname) and what they mean to a person.
_CORRUPT_CODES = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_UNREADABLE_CODES = (
    "SQLITE_CANTOPEN",
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_PERM",
    "SQLITE_AUTH",
    "SQLITE_FULL",
)
_BUSY_CODES = ("SQLITE_BUSY", "SQLITE_LOCKED")


def _translate(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The StoreError a person should see for a SQLite failure; None for a programming error."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code.startswith(_CORRUPT_CODES):
        return DatabaseCorrupt(
            f"{path} is damaged or not a SQLite database ({exc}); "
            "restore it from a backup or use another path"
        )
    if code.startswith(_UNREADABLE_CODES):
        return DatabaseUnreadable(
            f"cannot use the database {path} ({exc}); check the path and its permissions"
        )
    if code.startswith(_BUSY_CODES):
        return StoreError(f"the database {path} is busy in another process; try again")
    return None


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        error = _translate(exc, path)
        if error is None:
            raise
        raise error from exc


class Session:
    """One unit of work on the store, inside one transaction. Obtain it from Store.session()."""

    def __init__(self, db: Database, *, now: datetime, path: Path, progress: Progress) -> None:
        self._db = db
        self.now = now  # one instant for the whole unit of work
        self._path = path
        self._progress = progress

    # Drafts

    def new_draft_id(self) -> str:
        """A fresh draft id not used by any stored draft."""
        while True:
            candidate = new_draft_id()
            if not self._exists(candidate):
                return candidate

    def create(
        self,
        draft: Draft,
        *,
        location: Location | None,
        actor: str,
        source: str,
        correlation_id: str,
    ) -> Draft:
        """Store a new draft and journal its full snapshot; return it with its times stamped."""
        if self._exists(draft.id):
            raise DraftExists(draft.id)
        stamped = draft.model_copy(
            update={"created_at": draft.created_at or self.now, "updated_at": self.now}
        )
        row = self._row(stamped)
        row["id"] = stamped.id
        row.update(_location_columns(location))
        self._db["drafts"].insert(row)
        self._journal(
            stamped.id,
            kind="created",
            changes=stamped.model_dump(mode="json"),
            actor=actor,
            source=source,
            correlation_id=correlation_id,
        )
        return stamped

    def get(self, draft_id: str) -> Draft:
        """The stored draft; UnknownDraft if there is none."""
        row = self._draft_row(draft_id)
        if row is None:
            raise UnknownDraft(draft_id)
        return self._parse(draft_id, row["data"])

    def record(
        self,
        before: Draft,
        after: Draft,
        *,
        kind: str,
        actor: str,
        source: str,
        correlation_id: str,
        input: str | None = None,
        question_id: str | None = None,
    ) -> Draft:
        """Journal the change from `before` to `after` and store `after`; return it stamped.

        `before` must be the draft as stored (read in this session): a change computed from
        an older copy would make the journal lie, so it raises StaleDraft instead.
        """
        if before.id != after.id:
            raise ValueError(f"cannot record {before.id} becoming {after.id}")
        if self.get(before.id).model_dump(mode="json") != before.model_dump(mode="json"):
            raise StaleDraft(before.id)
        stamped = after.model_copy(update={"updated_at": self.now})
        self._journal(
            stamped.id,
            kind=kind,
            changes=diff(before, stamped),
            actor=actor,
            source=source,
            correlation_id=correlation_id,
            input=input,
            question_id=question_id,
        )
        self._db["drafts"].update(stamped.id, self._row(stamped))
        return stamped

    def journal(self, draft_id: str) -> list[JournalEntry]:
        """The draft's journal, oldest first."""
        rows = self._db.query("SELECT * FROM journal WHERE draft_id = ? ORDER BY seq", [draft_id])
        return [
            JournalEntry(
                seq=row["seq"],
                draft_id=row["draft_id"],
                at=datetime.fromisoformat(row["at"]),
                actor=row["actor"],
                source=row["source"],
                correlation_id=row["correlation_id"],
                kind=row["kind"],
                input=row["input"],
                changes=json.loads(row["changes"]),
                question_id=row["question_id"],
            )
            for row in rows
        ]

    def find_by_thread(self, team: str, channel: str, thread_ts: str) -> Draft | None:
        """The latest draft whose conversation is that Slack thread, whatever its status."""
        rows = list(
            self._db.query(
                "SELECT id, data FROM drafts WHERE team = ? AND channel = ? AND thread_ts = ? "
                "ORDER BY created_at DESC LIMIT 1",
                [team, channel, thread_ts],
            )
        )
        return self._parse(rows[0]["id"], rows[0]["data"]) if rows else None

    def list_drafts(
        self, author: str | None = None, include_closed: bool = False
    ) -> list[DraftSummary]:
        """Drafts, most recently changed first: one author's (or everyone's), open ones only
        unless `include_closed`."""
        where: list[str] = []
        params: list[str] = []
        if author is not None:
            where.append("author = ?")
            params.append(author)
        if not include_closed:
            where.append(f"status NOT IN ({', '.join('?' for _ in CLOSED_STATUSES)})")
            params.extend(CLOSED_STATUSES)
        sql = "SELECT id, author, status, title, answered, total, updated_at FROM drafts"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY updated_at DESC, id"
        return [
            DraftSummary(
                id=row["id"],
                author=row["author"],
                status=DraftStatus(row["status"]),
                title=row["title"],
                answered=row["answered"],
                total=row["total"],
                updated_at=datetime.fromisoformat(row["updated_at"]),
            )
            for row in self._db.query(sql, params)
        ]

    def location(self, draft_id: str) -> Location | None:
        """Where the draft's conversation is, if it has one in Slack."""
        row = self._draft_row(draft_id)
        if row is None:
            raise UnknownDraft(draft_id)
        if row["channel"] is None:
            return None
        return Location(row["team"], row["channel"], row["thread_ts"], row["root_ts"])

    def set_location(self, draft_id: str, location: Location | None) -> None:
        """Move the draft's conversation (e.g. once the bot has posted its thread)."""
        if not self._exists(draft_id):
            raise UnknownDraft(draft_id)
        self._db["drafts"].update(draft_id, _location_columns(location))

    # Deliveries and messages

    def claim(self, key: str, draft_id: str | None = None) -> bool:
        """Mark a delivery handled; False if it already was (a retry to ignore)."""
        cursor = self._db.execute(
            "INSERT INTO processed (key, draft_id, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [key, draft_id, _iso(self.now)],
        )
        return cursor.rowcount == 1

    def link_message(self, channel: str, ts: str, draft_id: str, question_id: str) -> None:
        """Remember that the Slack message (channel, ts) answered `question_id` of the draft."""
        self._db.execute(
            "INSERT INTO message_answers (channel, ts, draft_id, question_id) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (channel, ts) DO UPDATE SET "
            "draft_id = excluded.draft_id, question_id = excluded.question_id",
            [channel, ts, draft_id, question_id],
        )

    def message_answer(self, channel: str, ts: str) -> MessageAnswer | None:
        """The draft and question that Slack message answered, if it answered one."""
        rows = list(
            self._db.query(
                "SELECT draft_id, question_id FROM message_answers WHERE channel = ? AND ts = ?",
                [channel, ts],
            )
        )
        return MessageAnswer(rows[0]["draft_id"], rows[0]["question_id"]) if rows else None

    # Users

    def user(self, slack_user_id: str) -> UserRecord | None:
        """What is known about that Slack user, if anything."""
        rows = list(self._db.query("SELECT * FROM users WHERE slack_user_id = ?", [slack_user_id]))
        if not rows:
            return None
        row = rows[0]
        return UserRecord(
            slack_user_id=row["slack_user_id"],
            display_name=row["display_name"],
            tz=row["tz"],
            github_login=row["github_login"],
            notified=json.loads(row["notified"]),
        )

    def save_user(
        self,
        slack_user_id: str,
        *,
        display_name: str | None = None,
        tz: str | None = None,
        github_login: str | None = None,
        notified: dict[str, Any] | None = None,
    ) -> UserRecord:
        """Store what is newly known about a user; arguments left None keep their stored value."""
        known = self.user(slack_user_id) or UserRecord(slack_user_id)
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

    # Filing on GitHub

    def filing(self, draft_id: str) -> FilingRecord | None:
        """The draft's filing row, if filing was ever started."""
        rows = list(self._db.query("SELECT * FROM filings WHERE draft_id = ?", [draft_id]))
        if not rows:
            return None
        row = rows[0]
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

    def claim_filing(self, draft_id: str, owner: str, lease_until: datetime) -> FilingRecord:
        """Take the filing lease for `owner` unless another owner holds one that is still
        live (its `lease_until` after this session's `now`); the row as it stands after."""
        current = self.filing(draft_id)
        held = (
            current is not None
            and current.state == "filing"
            and current.owner != owner
            and current.lease_until is not None
            and current.lease_until > self.now
        )
        if held:
            assert current is not None
            return current
        self._db.execute(
            "INSERT INTO filings (draft_id, state, owner, lease_until, attempts, updated_at) "
            "VALUES (?, 'filing', ?, ?, 1, ?) ON CONFLICT (draft_id) DO UPDATE SET "
            "state = 'filing', owner = excluded.owner, lease_until = excluded.lease_until, "
            "attempts = filings.attempts + 1, updated_at = excluded.updated_at",
            [draft_id, owner, _iso(lease_until), _iso(self.now)],
        )
        claimed = self.filing(draft_id)
        assert claimed is not None
        return claimed

    def renew_filing(self, draft_id: str, owner: str, lease_until: datetime) -> bool:
        """Extend `owner`'s lease; False if it no longer holds it (another took over)."""
        cursor = self._db.execute(
            "UPDATE filings SET lease_until = ?, updated_at = ? "
            "WHERE draft_id = ? AND owner = ? AND state = 'filing'",
            [_iso(lease_until), _iso(self.now), draft_id, owner],
        )
        return cursor.rowcount == 1

    def finish_filing(
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
            [state, issue_number, issue_url, _iso(self.now), draft_id, owner],
        )
        return cursor.rowcount == 1

    def log_filing(
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
                _iso(self.now),
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

    def filing_attempts(self, draft_id: str) -> list[FilingAttempt]:
        """The draft's filing journal, oldest first."""
        rows = self._db.query(
            "SELECT * FROM filing_attempts WHERE draft_id = ? ORDER BY seq", [draft_id]
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

    # Internals

    def _exists(self, draft_id: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM drafts WHERE id = ?", [draft_id]).fetchone() is not None
        )

    def _draft_row(self, draft_id: str) -> dict[str, Any] | None:
        rows = list(self._db.query("SELECT * FROM drafts WHERE id = ?", [draft_id]))
        return rows[0] if rows else None

    def _parse(self, draft_id: str, data: str) -> Draft:
        try:
            return Draft.model_validate_json(data)
        except pydantic.ValidationError as exc:
            raise DatabaseCorrupt(
                f"draft {draft_id} in {self._path} cannot be read "
                f"({exc.error_count()} problem(s)); run `milestone-bot replay {draft_id}`"
            ) from exc

    def _row(self, draft: Draft) -> dict[str, Any]:
        """The drafts columns that follow from the draft itself."""
        answered, total = self._progress(draft)
        assert draft.created_at is not None and draft.updated_at is not None
        return {
            "author": draft.author,
            "status": draft.status.value,
            "title": draft.title,
            "answered": answered,
            "total": total,
            "data": draft.model_dump_json(),
            "created_at": _iso(draft.created_at),
            "updated_at": _iso(draft.updated_at),
            "issue_number": draft.issue_number,
            "issue_url": draft.issue_url,
        }

    def _journal(
        self,
        draft_id: str,
        *,
        kind: str,
        changes: dict[str, Any],
        actor: str,
        source: str,
        correlation_id: str,
        input: str | None = None,
        question_id: str | None = None,
    ) -> None:
        self._db.execute(
            "INSERT INTO journal (draft_id, at, actor, source, correlation_id, kind, input, "
            "changes, question_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                draft_id,
                _iso(self.now),
                actor,
                source,
                correlation_id,
                kind,
                input,
                json.dumps(changes, ensure_ascii=False),
                question_id,
            ],
        )

    # Gate reminders (the records are in flows/tracking.py)

    def claimed(self, key: str) -> bool:
        """Whether a delivery key was claimed (read only: for dry runs)."""
        return (
            self._db.execute("SELECT 1 FROM processed WHERE key = ?", [key]).fetchone() is not None
        )

    def tracked(self, draft_id: str) -> TrackedIssue | None:
        """The tracked issue filed from that draft, if it is tracked."""
        rows = list(self._db.query("SELECT * FROM tracked_issues WHERE draft_id = ?", [draft_id]))
        return tracking.from_row(rows[0]) if rows else None

    def tracked_at(self, repository: str, number: int) -> TrackedIssue | None:
        """The tracked issue at repository#number (the repository in any case), if any."""
        rows = list(
            self._db.query(
                "SELECT * FROM tracked_issues WHERE repository = ? AND number = ?",
                [repository, number],
            )
        )
        return tracking.from_row(rows[0]) if rows else None

    def tracked_issues(
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
        return [tracking.from_row(row) for row in self._db.query(sql, params)]

    def unverified_since(self, before: datetime, limit: int) -> list[TrackedIssue]:
        """Open tracked issues GitHub has not confirmed since `before`, longest first."""
        rows = self._db.query(
            "SELECT * FROM tracked_issues WHERE state = 'open' AND "
            "(verified_at IS NULL OR verified_at < ?) "
            "ORDER BY verified_at IS NOT NULL, verified_at, draft_id LIMIT ?",
            [_iso(before), limit],
        )
        return [tracking.from_row(row) for row in rows]

    def save_tracked(self, issue: TrackedIssue) -> None:
        """Store the tracked issue (insert, or replace the row of its draft)."""
        row = tracking.to_row(issue)
        columns = ", ".join(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in row if c != "draft_id")
        self._db.execute(
            f"INSERT INTO tracked_issues ({columns}) VALUES ({', '.join('?' for _ in row)}) "
            f"ON CONFLICT (draft_id) DO UPDATE SET {updates}",
            list(row.values()),
        )

    def filed_untracked(self) -> list[Draft]:
        """FILED drafts with an issue number whose issue is not tracked yet."""
        rows = self._db.query(
            "SELECT id, data FROM drafts WHERE status = ? AND issue_number IS NOT NULL "
            "AND id NOT IN (SELECT draft_id FROM tracked_issues) ORDER BY updated_at, id",
            [DraftStatus.FILED.value],
        )
        return [self._parse(row["id"], row["data"]) for row in rows]

    def claim_digest(
        self, window_key: str, author: str, issues: Sequence[str], at: datetime
    ) -> bool:
        """Claim the author's digest for a window before sending it; False if it was claimed."""
        cursor = self._db.execute(
            "INSERT INTO digests (window_key, author, status, attempts, claimed_at, issues) "
            "VALUES (?, ?, 'sending', 1, ?, ?) ON CONFLICT (window_key) DO NOTHING",
            [window_key, author, _iso(at), json.dumps(list(issues))],
        )
        return cursor.rowcount == 1

    def reclaim_digest(
        self, window_key: str, issues: Sequence[str], at: datetime, max_attempts: int
    ) -> bool:
        """Claim again a digest whose sending failed, while attempts are left."""
        cursor = self._db.execute(
            "UPDATE digests SET status = 'sending', attempts = attempts + 1, claimed_at = ?, "
            "issues = ?, error = NULL WHERE window_key = ? AND status = 'failed' "
            "AND attempts < ?",
            [_iso(at), json.dumps(list(issues)), window_key, max_attempts],
        )
        return cursor.rowcount == 1

    def unanswered_digests(self, before: datetime) -> list[DigestRecord]:
        """Digests claimed before `before` whose send never got an answer (still "sending")."""
        rows = self._db.query(
            "SELECT * FROM digests WHERE status = 'sending' AND claimed_at < ? ORDER BY claimed_at",
            [_iso(before)],
        )
        return [tracking.digest_from_row(row) for row in rows]

    def digest(self, window_key: str) -> DigestRecord | None:
        rows = list(self._db.query("SELECT * FROM digests WHERE window_key = ?", [window_key]))
        return tracking.digest_from_row(rows[0]) if rows else None

    def finish_digest(
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
            [status, _iso(at) if status == "sent" else None, channel, ts, error, window_key],
        )

    def issue_cursor(self, repository: str) -> IssueCursor | None:
        rows = list(
            self._db.query("SELECT * FROM issue_cursors WHERE repository = ?", [repository])
        )
        if not rows:
            return None
        row = rows[0]
        return IssueCursor(
            repository=row["repository"],
            since=tracking.parse_time(row["since"]),
            etag=row["etag"],
            checked_at=tracking.parse_time(row["checked_at"]),
        )

    def save_issue_cursor(self, cursor: IssueCursor) -> None:
        self._db.execute(
            "INSERT INTO issue_cursors (repository, since, etag, checked_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (repository) DO UPDATE SET since = excluded.since, "
            "etag = excluded.etag, checked_at = excluded.checked_at",
            [
                cursor.repository,
                _iso(cursor.since) if cursor.since else None,
                cursor.etag,
                _iso(cursor.checked_at) if cursor.checked_at else None,
            ],
        )


class _Facade:
    """Temporary: the new repository names over the old Session methods (being split)."""

    def __init__(self, session: Session, names: dict[str, str]) -> None:
        self._session = session
        self._names = names

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, self._names[name])


_FACADES = {
    "drafts": {
        "new_id": "new_draft_id",
        "create": "create",
        "get": "get",
        "record": "record",
        "journal": "journal",
        "find_by_thread": "find_by_thread",
        "summaries": "list_drafts",
        "location": "location",
        "set_location": "set_location",
        "link_message": "link_message",
        "message_answer": "message_answer",
        "filed_untracked": "filed_untracked",
    },
    "deliveries": {"claim": "claim", "claimed": "claimed"},
    "people": {"get": "user", "save": "save_user"},
    "filings": {
        "get": "filing",
        "claim": "claim_filing",
        "renew": "renew_filing",
        "finish": "finish_filing",
        "log": "log_filing",
        "attempts": "filing_attempts",
    },
    "tracked": {
        "get": "_old_tracked",
        "at": "tracked_at",
        "issues": "tracked_issues",
        "unverified_since": "unverified_since",
        "save": "save_tracked",
        "cursor": "issue_cursor",
        "save_cursor": "save_issue_cursor",
    },
    "digests": {
        "claim": "claim_digest",
        "reclaim": "reclaim_digest",
        "unanswered": "unanswered_digests",
        "get": "digest",
        "finish": "finish_digest",
    },
}
Session._old_tracked = Session.__dict__["tracked"]  # type: ignore[attr-defined]
for _name, _names in _FACADES.items():
    setattr(Session, _name, property(lambda self, n=_names: _Facade(self, n)))


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (it stays so); done once, when the file is new or was not WAL."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    # SQLite answers BUSY at once, without its busy handler, when another process is in the
    # middle of creating the file: waiting could deadlock. So step back and retry, bounded.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            busy = (getattr(exc, "sqlite_errorname", "") or "").startswith(_BUSY_CODES)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


def _location_columns(location: Location | None) -> dict[str, str | None]:
    if location is None:
        return {"team": None, "channel": None, "thread_ts": None, "root_ts": None}
    return {
        "team": location.team,
        "channel": location.channel,
        "thread_ts": location.thread_ts,
        "root_ts": location.root_ts,
    }


class Store:
    """The database file. Construction creates or migrates it, or refuses it with a reason."""

    def __init__(
        self,
        path: str | Path = DEFAULT_PATH,
        *,
        clock: Clock = utc_now,
        progress: Progress = _default_progress,
    ) -> None:
        self.path = Path(path)
        self._writer = threading.Lock()
        self._local = threading.local()
        self._clock = clock
        self._progress = progress
        self._prepare()

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises.

        Writers in this process queue on a lock before `BEGIN IMMEDIATE`: SQLite's busy
        handler backs off in sleeps of up to 100 ms, so threads racing for the write lock
        inside SQLite are served unfairly and one answer can wait half a second. Other
        processes still meet the busy timeout. A `readonly` session takes no write lock.
        """
        if readonly:
            with self._open(begin="BEGIN") as session:
                yield session
            return
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreError(f"the database {self.path} is busy; try again")
        try:
            with self._open(begin="BEGIN IMMEDIATE") as session:
                yield session
        finally:
            self._writer.release()

    @contextmanager
    def _open(self, *, begin: str) -> Iterator[Session]:
        now = self._now()
        conn = self._thread_connection()
        healthy = False
        try:
            with _translated(self.path):
                conn.execute(f"PRAGMA query_only = {'ON' if begin == 'BEGIN' else 'OFF'}")
                conn.execute(begin)
                try:
                    yield Session(
                        Database(conn, execute_plugins=False),
                        now=now,
                        path=self.path,
                        progress=self._progress,
                    )
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            healthy = True
        finally:
            if not healthy:
                # After a failure the connection may be in any state: start the next unit of
                # work on a fresh one.
                self._local.__dict__.pop("conn", None)
                conn.close()

    def _thread_connection(self) -> sqlite3.Connection:
        """This thread's connection, kept between units of work.

        Opening and closing one per unit of work costs more than the work: the last close
        checkpoints the WAL. A sqlite3 connection belongs to its thread, hence one per thread;
        after a fork (gunicorn) the parent's connections are left alone and new ones made.
        """
        cached = getattr(self._local, "conn", None)
        if cached is not None and self._local.pid == os.getpid():
            return cached  # type: ignore[no-any-return]
        conn = self._connect()
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def backup(self, target: str | Path) -> Path:
        """A consistent copy of the live database at `target`, by SQLite's online backup.

        The bot can keep running: the copy is one snapshot, including what is still in the
        WAL file, which copying the file with `cp` would miss.
        """
        destination = Path(target)
        if destination.exists():
            raise LocalFileError(f"{destination} exists; give a new file name for the backup")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(f"cannot create {destination.parent} ({exc.strerror})") from exc
        source = self._connect()
        try:
            with _translated(self.path):
                copy = sqlite3.connect(destination)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
        finally:
            source.close()
        return destination

    def check_writable(self) -> None:
        """Raise StoreError unless a write commits (the health check: lock free, disk not full)."""
        with self.session() as s:
            s._db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_health_check', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [_iso(s.now)],
            )

    def replay(self, draft_id: str) -> tuple[Draft, dict[str, tuple[Any, Any]]]:
        """Rebuild the draft from its journal; the differences from the stored row, by field,
        as (journal's value, stored value). Columns copied out of the draft are checked too,
        named "drafts.<column>"."""
        with self.session() as s:
            entries = s.journal(draft_id)
            row = s._draft_row(draft_id)
            if not entries:
                if row is None:
                    raise UnknownDraft(draft_id)
                raise DatabaseCorrupt(f"draft {draft_id} has no journal in {self.path}")
            try:
                rebuilt = fold(entries)
            except (ValueError, pydantic.ValidationError) as exc:
                raise DatabaseCorrupt(
                    f"the journal of {draft_id} in {self.path} cannot be replayed ({exc})"
                ) from exc
            if row is None:
                return rebuilt, {"drafts": ("a row", None)}
            expected = s._row(rebuilt)
        differences: dict[str, tuple[Any, Any]] = {}
        wanted = rebuilt.model_dump(mode="json")
        try:
            stored: dict[str, Any] = json.loads(row["data"])
        except json.JSONDecodeError:
            differences["data"] = ("the draft as JSON", row["data"])
        else:
            for field in sorted(wanted.keys() | stored.keys()):
                if wanted.get(field) != stored.get(field):
                    differences[field] = (wanted.get(field), stored.get(field))
        for column in _COPIED_COLUMNS:
            if expected[column] != row[column]:
                differences[f"drafts.{column}"] = (expected[column], row[column])
        return rebuilt, differences

    # Internals

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store's clock must return an aware datetime")
        return now.astimezone(UTC)

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: transactions are exactly the BEGIN/COMMIT written here.
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) or exc from exc
        try:
            with _translated(self.path):
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
                # Safe with WAL: a power loss may drop the last commits, never corrupt.
                conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self) -> None:
        if self.path.is_dir():
            raise DatabaseUnreadable(f"{self.path} is a directory; give the database file's path")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnreadable(
                f"cannot create the directory {self.path.parent} ({exc.strerror})"
            ) from exc
        conn = self._connect()
        try:
            with _translated(self.path):
                # Read-only checks first: a file that is not ours is refused untouched.
                self._check_version(conn)
                _enable_wal(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Again under the write lock: another process may have migrated meanwhile.
                    self._check_version(conn)
                    MIGRATIONS.apply(Database(conn, execute_plugins=False))
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            conn.close()

    def _check_version(self, conn: sqlite3.Connection) -> int:
        """The database's schema version; refuse one that is newer or not milestone-bot's."""
        tables = {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "meta" not in tables:
            foreign = tables - {"sqlite_sequence", MIGRATIONS.migrations_table}
            if foreign:
                raise DatabaseCorrupt(
                    f"{self.path} is not a milestone-bot database (it has tables "
                    f"{', '.join(sorted(foreign)[:3])}); use another path"
                )
            return 0
        found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(found[0]) if found else 0
        except ValueError:
            raise DatabaseCorrupt(
                f"{self.path} has an unreadable schema version {found[0]!r}; use another path"
            ) from None
        applied: set[str] = set()
        if MIGRATIONS.migrations_table in tables:
            applied = {
                name
                for (name,) in conn.execute(
                    f"SELECT name FROM {MIGRATIONS.migrations_table} WHERE migration_set = ?",
                    [MIGRATIONS.name],
                )
            }
        if version > SCHEMA_VERSION or not applied <= set(STEPS):
            raise SchemaTooNew(max(version, len(applied)), SCHEMA_VERSION)
        return version
