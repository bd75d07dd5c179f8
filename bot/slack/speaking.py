"""What the conversation says in a draft's thread: questions, replies, the preview, and the
one-line notes when the store refuses a unit of work.

`Speaking` is a part of `Conversations` (bot.slack.conversation), which supplies the store,
flow, template, poster and the hooks it calls (`on_start`, `after_preview`). Speaking
happens after the transaction that recorded the answer has committed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.errors import StoreError
from bot.slack.blocks import preview_actions, question_blocks, text_blocks
from bot.slack.origin import Filer, Origin
from bot.slack.poster import SlackPoster
from bot.slack.preview import blocks_fallback_text, preview_messages
from bot.slack.text import escape_mrkdwn, slack_to_markdown
from bot.slack.users import UserDirectory
from bot.storage.drafts import Location
from flows.draft import Draft, DraftStatus
from flows.outcome import Action, Outcome, Reply, ReplyKind
from flows.questions import Flow
from flows.render import as_filed, render_issue
from flows.template import Template

if TYPE_CHECKING:
    from bot.storage.draft_templates import DraftTemplates
    from bot.storage.store import Session, Store

# Said when the database refuses a unit of work (locked, read-only, unreadable). The unit of
# work is one transaction, so it is rolled back whole: "nothing was recorded" is exact.
STORE_FAILED = (
    "I couldn't {doing}: my database is busy or unavailable, so nothing was recorded. "
    "{retry} in a minute."
)

NO_FILER = (
    "Filing on GitHub isn't set up on this bot yet (the operator sets `GITHUB_TOKEN` and "
    "`GITHUB_REPOSITORY`). Your draft is saved; type `file` again once it is."
)


class Speaking:
    """Saying things in a draft's thread (a part of Conversations)."""

    store: Store
    flow: Flow
    template: Template
    poster: SlackPoster
    users: UserDirectory
    command: str
    filer: Filer | None
    templates: DraftTemplates | None
    _log: Any

    # Hooks a conversation with GitHub overrides (bot/filing/conversation.py).

    def on_start(self, draft: Draft, outcome: Outcome) -> tuple[Draft, Outcome]:
        """A draft is started or resumed: answers known from before may be filled in."""
        return draft, outcome

    def after_preview(self, draft: Draft, location: Location) -> None:
        """Called after each preview is posted."""

    def flow_for(self, draft: Draft, s: Session | None = None) -> Flow:
        """The flow `draft` is asked with: that of the template version it started with."""
        return self.templates.flow_for(draft, s) if self.templates is not None else self.flow

    def _speak(
        self, draft: Draft, location: Location, outcome: Outcome, origin: Origin | None = None
    ) -> None:
        if outcome.kind in ("start", "resume"):
            draft, outcome = self.on_start(draft, outcome)
        for reply in outcome.replies:
            self._say(draft, location, reply)
        if outcome.action is Action.FILE:
            if self.filer is None:
                self.poster.post(location.channel, NO_FILER, thread_ts=location.thread_ts)
            else:
                self.filer(
                    draft.id, origin or Origin(location.team, draft.author, location.channel, "")
                )
        elif outcome.action is Action.CANCEL and location.root_ts:
            self.poster.update(
                location.channel,
                location.root_ts,
                f"<@{draft.author}>'s Reliability Milestone draft was cancelled. "
                f"`{self.command} resume {draft.id}` brings it back.",
            )

    def _say(self, draft: Draft, location: Location, reply: Reply) -> None:
        text = escape_mrkdwn(reply.text)
        if reply.kind is ReplyKind.PREVIEW:
            self.post_preview(draft, location, lead=reply.text)
            return
        if reply.kind in (ReplyKind.QUESTION, ReplyKind.INVALID) and reply.question is not None:
            blocks = question_blocks(draft, reply.question, text)
            self.poster.post(location.channel, text, thread_ts=location.thread_ts, blocks=blocks)
            return
        self.poster.post(
            location.channel, text, thread_ts=location.thread_ts, blocks=text_blocks(text)
        )

    def post_preview(self, draft: Draft, location: Location, *, lead: str = "") -> None:
        flow = self.flow_for(draft)
        issue = render_issue(flow.template, as_filed(draft))
        messages = preview_messages(issue.title, issue.body, lead=lead)
        actions = preview_actions(flow, draft, filed=draft.status is DraftStatus.FILED)
        if actions:
            if len(messages[-1]) + len(actions) <= 50:
                messages[-1] = messages[-1] + actions
            else:
                messages.append(actions)
        for blocks in messages:
            self.poster.post(
                location.channel,
                blocks_fallback_text(blocks) or "Preview",
                thread_ts=location.thread_ts,
                blocks=blocks,
            )
        self.after_preview(draft, location)

    def _log_store_failure(
        self,
        event: str,
        exc: StoreError,
        origin: Origin,
        channel: str,
        thread_ts: str | None = None,
    ) -> None:
        self._log.warning(
            event,
            reason=str(exc)[:300],
            team=origin.team,
            channel=channel,
            thread_ts=thread_ts,
            user=origin.user,
            correlation_id=origin.correlation_id,
        )

    def _tell_store_failed(
        self,
        origin: Origin,
        channel: str,
        thread_ts: str | None,
        *,
        doing: str = "save that answer",
        retry: str = "Send it again",
    ) -> None:
        """One line to the author, where they typed: the store refused, and what to do."""
        self.poster.ephemeral(
            channel, origin.user, STORE_FAILED.format(doing=doing, retry=retry), thread_ts=thread_ts
        )

    @staticmethod
    def _root_text(user: str, title: str) -> str:
        if title:
            return (
                f"<@{user}> is drafting a Reliability Milestone: "
                f"*{escape_mrkdwn(title)}*. Answers in the thread."
            )
        return f"<@{user}> is drafting a Reliability Milestone; answers in the thread."

    @staticmethod
    def _only_author(draft: Draft) -> str:
        return (
            f"Only <@{draft.author}> can answer this draft; "
            "messages from others in this thread aren't recorded."
        )

    @staticmethod
    def _filed_text(draft: Draft) -> str:
        return (
            f"Draft `{draft.id}` is filed as <{draft.issue_url}|#{draft.issue_number}>; "
            "changes now go on GitHub."
        )

    def _to_markdown(self, text: str) -> str:
        return slack_to_markdown(text, self.users.resolve)
