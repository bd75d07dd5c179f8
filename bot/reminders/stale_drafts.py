"""Drafts left unanswered: one nudge in their thread, then archived.

A draft still being written (drafting or at its preview) that nobody answered for
DRAFT_NUDGE_DAYS gets one nudge in its thread, with Resume and Discard; the key of that
nudge names the moment the draft was last changed, so a draft picked up and left again can
be nudged again, but one quiet spell gets one nudge. After DRAFT_ARCHIVE_DAYS it is
archived: its status becomes ARCHIVED through a journaled change (the journal keeps
everything; listings leave it out; `/milestone resume ID` brings it back). Both happen only
within the author's reminder hours, like digests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.errors import StaleDraft
from bot.log import get_logger
from bot.reminders.schedule import Cadence, allowed
from bot.reminders.schedule import zone as time_zone
from bot.slack.blocks import ACTION_CANCEL, ACTION_RESUME, action_value
from bot.slack.poster import SlackPoster
from bot.slack.text import escape_mrkdwn
from bot.storage.store import Store
from flows.draft import Draft, DraftStatus

log = get_logger()

WAITING = (DraftStatus.DRAFTING, DraftStatus.PREVIEW)
ACTOR = "milestone-bot"
SOURCE = "sweep"


@dataclass(frozen=True)
class StaleAction:
    draft_id: str
    author: str
    kind: str  # "nudge" or "archive"
    done: bool  # False in a dry run, or when Slack refused the nudge


def nudge_blocks(draft: Draft, days: int, command: str) -> list[dict[str, Any]]:
    title = escape_mrkdwn(draft.title) if draft.title else "your Reliability Milestone"
    text = (
        f"<@{draft.author}> still there? *{title}* has waited {days} days for an answer. "
        f"*Resume* picks it up where you left off; *Discard* cancels it "
        f"(`{command} resume {draft.id}` brings it back)."
    )
    return [
        SectionBlock(text=MarkdownTextObject(text=text[:3000])).to_dict(),
        ActionsBlock(
            block_id=f"nudge:{draft.id}",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="Resume"),
                    action_id=ACTION_RESUME,
                    value=action_value(draft.id, None, "resume"),
                    style="primary",
                ),
                ButtonElement(
                    text=PlainTextObject(text="Discard"),
                    action_id=ACTION_CANCEL,
                    value=action_value(draft.id, None, "cancel"),
                    style="danger",
                ),
            ],
        ).to_dict(),
    ]


def archived_text(draft: Draft, days: int, command: str) -> str:
    return (
        f"I archived this draft after {days} days without an answer; nothing is lost. "
        f"`{command} resume {draft.id}` brings it back."
    )


def stale_drafts(
    now: datetime,
    *,
    store: Store,
    poster: SlackPoster | None,
    zones: Callable[[str], str],
    cadence: Cadence,
    nudge_days: int,
    archive_days: int,
    command: str = "/milestone",
    dry_run: bool = False,
) -> list[StaleAction]:
    """Nudge and archive the drafts left waiting, as of `now`; what was (or would be) done."""
    with store.session() as s:
        waiting = [
            row for row in s.drafts.summaries() if row.status in WAITING and row.updated_at <= now
        ]
    actions: list[StaleAction] = []
    for row in waiting:
        quiet = now - row.updated_at
        if quiet < timedelta(days=nudge_days):
            continue
        if not allowed(now, time_zone(zones(row.author)), cadence):
            continue
        if quiet >= timedelta(days=archive_days):
            actions.append(_archive(row.id, now, store, poster, archive_days, command, dry_run))
        else:
            action = _nudge(row.id, now, store, poster, nudge_days, command, dry_run)
            if action is not None:
                actions.append(action)
    return actions


def _nudge(
    draft_id: str,
    now: datetime,
    store: Store,
    poster: SlackPoster | None,
    days: int,
    command: str,
    dry_run: bool,
) -> StaleAction | None:
    with store.session() as s:
        draft = s.drafts.get(draft_id)
        location = s.drafts.location(draft_id)
        if location is None or poster is None:
            return None
        assert draft.updated_at is not None
        key = f"nudge:{draft_id}:{draft.updated_at.isoformat()}"
        if dry_run:
            if s.deliveries.claimed(key):
                return None
            return StaleAction(draft_id, draft.author, "nudge", False)
        if not s.deliveries.claim(key, draft_id):
            return None
    posted = poster.post(
        location.channel,
        "Still there? Resume or discard your draft.",
        thread_ts=location.thread_ts,
        blocks=nudge_blocks(draft, days, command),
    )
    log.info("draft.nudged", draft_id=draft_id, posted=bool(posted))
    return StaleAction(draft_id, draft.author, "nudge", bool(posted))


def _archive(
    draft_id: str,
    now: datetime,
    store: Store,
    poster: SlackPoster | None,
    days: int,
    command: str,
    dry_run: bool,
) -> StaleAction:
    with store.session() as s:
        draft = s.drafts.get(draft_id)
        if dry_run or draft.status not in WAITING:
            return StaleAction(draft_id, draft.author, "archive", False)
        try:
            archived = s.drafts.record(
                draft,
                draft.model_copy(update={"status": DraftStatus.ARCHIVED}),
                kind="archived",
                actor=ACTOR,
                source=SOURCE,
                correlation_id=f"sweep:{now.isoformat()}",
            )
        except StaleDraft:
            return StaleAction(draft_id, draft.author, "archive", False)
        location = s.drafts.location(draft_id)
    log.info("draft.archived", draft_id=draft_id, author=archived.author)
    if location is not None and poster is not None:
        poster.post(
            location.channel, archived_text(archived, days, command), thread_ts=location.thread_ts
        )
    return StaleAction(draft_id, archived.author, "archive", True)
