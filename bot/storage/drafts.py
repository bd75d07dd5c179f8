"""Drafts, their journal, where their conversations live and which message answered what.

The journal is the record: every message an author sends appends one entry (what they
typed, and the fields it changed). The drafts table is a cache of the journal's fold, kept
in the same transaction, and `Drafts.replay` checks the two agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import pydantic

from bot.errors import DatabaseCorrupt, DraftExists, StaleDraft, UnknownDraft
from bot.recent import Recent
from bot.storage.database import Transaction, iso, select_row, select_rows
from bot.storage.ids import new_draft_id
from flows.draft import Draft, DraftStatus, diff

CLOSED_STATUSES = (DraftStatus.FILED, DraftStatus.CANCELLED, DraftStatus.ARCHIVED)

# (questions answered, questions in the flow) for the listing columns; the store does not
# know the flow, so whoever does passes this in.
Progress = Callable[[Draft], tuple[int, int | None]]


# The drafts last read from, or written as, their stored text. Parsing is a function of the
# text alone and a Draft is immutable, so the same text is the same draft: an answer reads
# back the row the previous answer in its thread wrote, and `record` leaves what it wrote
# here. The key is the whole text the transaction read, so the row decides, never this.
_PARSED: Recent[str, Draft] = Recent(256)

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


def default_progress(draft: Draft) -> tuple[int, int | None]:
    return len(draft.flow.answered), None


class Provenance(TypedDict):
    """Who made a change, through which surface, and the delivery it came in: what each
    journal row records beside the change (`**provenance` into `create` or `record`)."""

    actor: str
    source: str
    correlation_id: str


@dataclass(frozen=True)
class Location:
    """Where a draft's conversation lives in Slack."""

    team: str
    channel: str
    thread_ts: str  # the thread the questions are asked in
    root_ts: str | None = None  # the bot's top message of that thread, if it keeps one


@dataclass(frozen=True)
class JournalEntry:
    seq: int
    draft_id: str
    at: datetime
    actor: str
    source: str  # "slack", "cli", "github", ...
    correlation_id: str
    kind: str  # "created", or the engine's Outcome.kind: answer, rejected, control, edit, ...
    input: str | None  # exactly what was typed, refused answers included
    changes: dict[str, Any]  # field -> new JSON value; the full snapshot for "created"
    question_id: str | None


@dataclass(frozen=True)
class DraftSummary:
    """A drafts row without its JSON, for listings."""

    id: str
    author: str
    status: DraftStatus
    title: str
    answered: int
    total: int | None
    updated_at: datetime


@dataclass(frozen=True)
class MessageAnswer:
    draft_id: str
    question_id: str


def fold(entries: list[JournalEntry]) -> Draft:
    """The draft a journal describes: its creation snapshot with each change applied in turn."""
    if not entries or entries[0].kind != "created":
        raise ValueError("a journal starts with its draft's creation")
    draft = Draft.model_validate(entries[0].changes)
    for entry in entries[1:]:
        draft = draft.with_changes(entry.changes)
    return draft


class Drafts:
    """The drafts table and its journal, inside one unit of work."""

    def __init__(self, tx: Transaction, progress: Progress = default_progress) -> None:
        self._db = tx.db
        self._now = tx.now
        self._path = tx.path
        self._progress = progress
        # The stored text of each draft this unit of work read or wrote. Inside its
        # transaction nobody else writes the row, so `record` checks against this text
        # instead of reading the row again.
        self._stored: dict[str, str] = {}

    def new_id(self) -> str:
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
            update={"created_at": draft.created_at or self._now, "updated_at": self._now}
        )
        row = self._row(stamped)
        row["id"] = stamped.id
        row.update(_location_columns(location))
        self._db.table("drafts").insert(row)
        self._stored[stamped.id] = row["data"]
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
        if not self._is_stored(before):
            raise StaleDraft(before.id)
        stamped = after.model_copy(update={"updated_at": self._now})
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
        row = self._row(stamped)
        self._update(stamped.id, row)
        self._stored[stamped.id] = row["data"]
        _PARSED.put(row["data"], stamped)
        return stamped

    def _is_stored(self, draft: Draft) -> bool:
        """Whether `draft` is the stored one (UnknownDraft if there is none).

        The stored text is this serializer's output, so the same text is the same draft: the
        draft read or written as that very text is it, any other is dumped and compared.
        Text that differs (written by an older version) is compared as data.
        """
        text = self._stored.get(draft.id)
        if text is None:
            found = self._db.execute("SELECT data FROM drafts WHERE id = ?", [draft.id]).fetchone()
            if found is None:
                raise UnknownDraft(draft.id)
            text = found[0]
        if _PARSED.get(text) is draft or text == draft.model_dump_json():
            return True
        stored = self._parse(draft.id, text)
        return bool(stored.model_dump(mode="json") == draft.model_dump(mode="json"))

    def _update(self, draft_id: str, columns: dict[str, Any]) -> None:
        # Plain SQL: sqlite_utils' Table.update reads the table's schema and the row first,
        # on every answer.
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self._db.execute(
            f"UPDATE drafts SET {assignments} WHERE id = ?", [*columns.values(), draft_id]
        )

    def journal(self, draft_id: str) -> list[JournalEntry]:
        """The draft's journal, oldest first."""
        rows = select_rows(
            self._db, "SELECT * FROM journal WHERE draft_id = ? ORDER BY seq", [draft_id]
        )
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
        found = self.find_in_thread(team, channel, thread_ts)
        return found[0] if found else None

    def find_in_thread(
        self, team: str, channel: str, thread_ts: str
    ) -> tuple[Draft, Location] | None:
        """find_by_thread's draft with where it talks (its root message too), in one read."""
        row = self._db.execute(
            "SELECT id, data, team, channel, thread_ts, root_ts FROM drafts "
            "WHERE team = ? AND channel = ? AND thread_ts = ? ORDER BY created_at DESC LIMIT 1",
            [team, channel, thread_ts],
        ).fetchone()
        if row is None:
            return None
        return self._parse(row[0], row[1]), Location(*row[2:])

    def thread_location(self, team: str, channel: str, thread_ts: str) -> Location | None:
        """Where find_by_thread's draft talks, without reading the draft itself: every
        message in a thread asks this first."""
        found = self._db.execute(
            "SELECT team, channel, thread_ts, root_ts FROM drafts "
            "WHERE team = ? AND channel = ? AND thread_ts = ? ORDER BY created_at DESC LIMIT 1",
            [team, channel, thread_ts],
        ).fetchone()
        return Location(*found) if found else None

    def summaries(
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
            for row in select_rows(self._db, sql, params)
        ]

    def filed_untracked(self) -> list[Draft]:
        """FILED drafts with an issue number whose issue is not tracked yet."""
        rows = select_rows(
            self._db,
            "SELECT id, data FROM drafts WHERE status = ? AND issue_number IS NOT NULL "
            "AND id NOT IN (SELECT draft_id FROM tracked_issues) ORDER BY updated_at, id",
            [DraftStatus.FILED.value],
        )
        return [self._parse(row["id"], row["data"]) for row in rows]

    # Where the conversation is, and which message answered what

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
        self._db.table("drafts").update(draft_id, _location_columns(location))

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
        row = select_row(
            self._db,
            "SELECT draft_id, question_id FROM message_answers WHERE channel = ? AND ts = ?",
            [channel, ts],
        )
        return MessageAnswer(row["draft_id"], row["question_id"]) if row else None

    # The journal against the row

    def replay(self, draft_id: str) -> tuple[Draft, dict[str, tuple[Any, Any]]]:
        """Rebuild the draft from its journal; the differences from the stored row, by field,
        as (journal's value, stored value). Columns copied out of the draft are checked too,
        named "drafts.<column>"."""
        entries = self.journal(draft_id)
        row = self._draft_row(draft_id)
        if not entries:
            if row is None:
                raise UnknownDraft(draft_id)
            raise DatabaseCorrupt(f"draft {draft_id} has no journal in {self._path}")
        try:
            rebuilt = fold(entries)
        except (ValueError, pydantic.ValidationError) as exc:
            raise DatabaseCorrupt(
                f"the journal of {draft_id} in {self._path} cannot be replayed ({exc})"
            ) from exc
        if row is None:
            return rebuilt, {"drafts": ("a row", None)}
        return rebuilt, self._differences(rebuilt, row)

    def _differences(self, rebuilt: Draft, row: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        expected = self._row(rebuilt)
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
        return differences

    # Internals

    def _exists(self, draft_id: str) -> bool:
        return (
            self._db.execute("SELECT 1 FROM drafts WHERE id = ?", [draft_id]).fetchone() is not None
        )

    def _draft_row(self, draft_id: str) -> dict[str, Any] | None:
        return select_row(self._db, "SELECT * FROM drafts WHERE id = ?", [draft_id])

    def _parse(self, draft_id: str, data: str) -> Draft:
        draft = _PARSED.get(data)
        if draft is None or draft.id != draft_id:
            try:
                draft = Draft.model_validate_json(data)
            except pydantic.ValidationError as exc:
                raise DatabaseCorrupt(
                    f"draft {draft_id} in {self._path} cannot be read "
                    f"({exc.error_count()} problem(s)); run `milestone-bot replay {draft_id}`"
                ) from exc
            _PARSED.put(data, draft)
        self._stored[draft_id] = data
        return draft

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
            "created_at": iso(draft.created_at),
            "updated_at": iso(draft.updated_at),
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
                iso(self._now),
                actor,
                source,
                correlation_id,
                kind,
                input,
                json.dumps(changes, ensure_ascii=False),
                question_id,
            ],
        )


def _location_columns(location: Location | None) -> dict[str, str | None]:
    if location is None:
        return {"team": None, "channel": None, "thread_ts": None, "root_ts": None}
    return {
        "team": location.team,
        "channel": location.channel,
        "thread_ts": location.thread_ts,
        "root_ts": location.root_ts,
    }
