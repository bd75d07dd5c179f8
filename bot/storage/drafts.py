"""Drafts, their journal, where their conversations live and which message answered what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flows.draft import DraftStatus


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
