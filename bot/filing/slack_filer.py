"""The Slack side of filing: the filer the File button and typed `file` call.

`SlackFiler` matches `Filer` in bot.slack.conversation. The engine's own reply ("Filing it on
GitHub…") is already in the thread when it runs; it then posts the link (or what went wrong,
with a Retry filing button), and updates the thread's root message to say filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject

from bot.errors import StoreError
from bot.filing.once import FilingService
from bot.filing.outcome import FailureKind, FilingOutcome, FilingResult, OnWait, clock_time
from bot.log import get_logger
from bot.slack.blocks import ACTION_FILE, action_value, text_blocks
from bot.slack.conversation import Origin
from bot.slack.poster import SlackPoster
from bot.slack.text import escape_mrkdwn
from bot.slack.users import UserDirectory
from bot.storage.drafts import Location
from bot.storage.store import Store

log = get_logger()

STORE_FAILED = (
    "I couldn't finish filing: my database is busy or unavailable. Type `file` again in a "
    "minute; if GitHub already has the issue, I'll find it rather than file it twice."
)


@dataclass
class SlackFiler:
    """Files a draft from its Slack thread and says what happened there."""

    service: FilingService
    store: Store
    poster: SlackPoster
    users: UserDirectory
    command: str = "/milestone"

    def __call__(self, draft_id: str, origin: Origin) -> None:
        with self.store.session() as s:
            location = s.drafts.location(draft_id)
            author = s.drafts.get(draft_id).author
        if location is None:
            return
        tz = self.users.zone(origin.user or author)
        try:
            result = self.service.file(
                draft_id,
                actor=origin.user or author,
                source=origin.source,
                correlation_id=origin.correlation_id,
                wait=False,  # a second click while filing: say so, don't queue another
                on_wait=self._said_wait(location, tz),
                tz=tz,
            )
        except StoreError as exc:
            log.warning("filing.store_failed", draft_id=draft_id, reason=str(exc)[:300])
            self.poster.post(location.channel, STORE_FAILED, thread_ts=location.thread_ts)
            return
        self.announce(result, location, origin, author=author, tz=tz)

    def _said_wait(self, location: Location, tz: tzinfo | None) -> OnWait:
        def on_wait(seconds: float, until: datetime) -> None:
            self.poster.post(
                location.channel,
                f"GitHub asked me to slow down; I'll try again at {clock_time(until, tz)} "
                f"(in {seconds:g} s).",
                thread_ts=location.thread_ts,
            )

        return on_wait

    def announce(
        self,
        result: FilingResult,
        location: Location,
        origin: Origin,
        *,
        author: str,
        tz: tzinfo | None = None,
    ) -> None:
        """Post `result` in the thread (and update the root message once filed)."""
        if result.issue is not None:
            self._filed(result, location, author)
        elif result.outcome is FilingOutcome.IN_PROGRESS:
            until = (
                f" If nothing shows up by {clock_time(result.busy_until, tz)}, "
                "press File issue again."
                if result.busy_until
                else ""
            )
            self.poster.ephemeral(
                location.channel,
                origin.user or author,
                f"I'm already filing this draft; the link will appear in the thread.{until}",
                thread_ts=location.thread_ts,
            )
        else:
            self._failed(result, location)

    def _filed(self, result: FilingResult, location: Location, author: str) -> None:
        assert result.issue is not None
        issue = result.issue
        link = f"<{issue.url}|#{issue.number} {escape_mrkdwn(issue.title)}>"
        lead = "Already filed" if result.outcome is FilingOutcome.ALREADY_FILED else "Filed"
        lines = [f"{lead} on GitHub: {link}"]
        lines += [escape_mrkdwn(note) for note in result.notes]
        text = "\n".join(lines)
        self.poster.post(
            location.channel, text, thread_ts=location.thread_ts, blocks=text_blocks(text)
        )
        if location.root_ts:
            self.poster.update(
                location.channel,
                location.root_ts,
                f"<@{author}>'s Reliability Milestone is filed: {link}",
            )

    def _failed(self, result: FilingResult, location: Location) -> None:
        assert result.failure is not None
        text = escape_mrkdwn(result.failure.message)
        blocks = text_blocks(text)
        if result.failure.kind is not FailureKind.NOT_READY:
            blocks.append(retry_button(result.draft_id))
        self.poster.post(location.channel, text, thread_ts=location.thread_ts, blocks=blocks)


def retry_button(draft_id: str) -> dict[str, Any]:
    """The Retry filing button under a failure: a click runs `file` again."""
    return ActionsBlock(
        block_id=f"retry:{draft_id}",
        elements=[
            ButtonElement(
                text=PlainTextObject(text="Retry filing"),
                action_id=ACTION_FILE,
                value=action_value(draft_id, None, "file"),
                style="primary",
            )
        ],
    ).to_dict()
