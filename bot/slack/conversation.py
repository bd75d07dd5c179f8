"""The drafting conversation in Slack: one unit of work per inbound message or click.

Each inbound delivery is handled as: claim its id, load the draft, advance the pure engine,
journal the change, commit; then speak. Acknowledged means committed: a reply is only
posted after the answer is in the journal, and a failed post never loses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.errors import StoreError, UnknownDraft
from bot.log import get_logger
from bot.slack.blocks import (
    answered_blocks,
    drafts_list_blocks,
    preview_actions,
    question_blocks,
    text_blocks,
)
from bot.slack.poster import SlackPoster
from bot.slack.preview import blocks_fallback_text, preview_messages
from bot.slack.text import markdown_to_slack, slack_to_markdown
from bot.slack.users import UserDirectory
from bot.storage.drafts import Location
from bot.storage.store import Session, Store
from flows import engine
from flows.answers import parse_control
from flows.draft import Draft, DraftStatus
from flows.errors import DraftReadOnly, InvalidAnswer
from flows.outcome import Action, Outcome, Reply, ReplyKind
from flows.questions import Flow
from flows.render import as_filed, render_issue
from flows.template import Template

log = get_logger()

Respond = Callable[..., Any]
# Files a draft that the engine says is complete; returns what to tell the author.
Filer = Callable[[str, "Origin"], None]

CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}

# Said when the database refuses a unit of work (locked, read-only, unreadable). The unit of
# work is one transaction, so it is rolled back whole: "nothing was recorded" is exact.
STORE_FAILED = (
    "I couldn't {doing}: my database is busy or unavailable, so nothing was recorded. "
    "{retry} in a minute."
)


@dataclass(frozen=True)
class Origin:
    """Who sent a delivery, from where, and its id for logs and deduplication."""

    team: str
    user: str
    channel: str
    correlation_id: str
    source: str = "slack"


@dataclass
class Conversations:
    store: Store
    flow: Flow
    template: Template
    poster: SlackPoster
    users: UserDirectory
    command: str = "/milestone"
    filer: Filer | None = None
    # Questions whose answers `check_answer` sees before the engine (see the hooks below).
    checked_questions: frozenset[str] = frozenset()
    _log: Any = field(default_factory=lambda: log)

    # ----- starting and listing -------------------------------------------------------

    def start(self, origin: Origin, title: str, respond: Respond) -> str | None:
        """`/milestone new [title]`: a root message in the channel, questions in its thread."""
        refusal = ""
        title = self._to_markdown(title) if title.strip() else ""
        try:
            with self.store.session() as s:
                # A slash command delivered twice (a retry, a double Enter) starts one draft.
                if origin.correlation_id and not s.deliveries.claim(
                    f"slack:command:{origin.correlation_id}"
                ):
                    self._log.info("command.duplicate", correlation_id=origin.correlation_id)
                    return None
                draft = Draft(id=s.drafts.new_id(), author=origin.user)
                if title.strip():
                    try:
                        draft = draft.with_changes(self.flow.question("title").parse(title, draft))
                    except InvalidAnswer as exc:
                        refusal = str(exc)
                outcome = engine.start(self.flow, draft)
                draft = s.drafts.create(
                    outcome.draft,
                    location=None,
                    actor=origin.user,
                    source=origin.source,
                    correlation_id=origin.correlation_id,
                )
                if refusal:
                    # Kept in the journal: nothing the author typed is thrown away.
                    s.drafts.record(
                        draft,
                        draft,
                        kind="rejected",
                        actor=origin.user,
                        source=origin.source,
                        correlation_id=origin.correlation_id,
                        input=title,
                        question_id="title",
                    )
        except StoreError as exc:
            self._log_store_failure("command.store_failed", exc, origin, origin.channel)
            respond(
                text=STORE_FAILED.format(
                    doing="start a draft", retry=f"Try `{self.command}` again"
                ),
                response_type="ephemeral",
            )
            return None
        if refusal:
            respond(
                text=f"I couldn't use that title: {refusal} I'll ask for it in the thread.",
                response_type="ephemeral",
            )
        self._log.info(
            "draft.created",
            draft_id=draft.id,
            user=origin.user,
            channel=origin.channel,
            team=origin.team,
            correlation_id=origin.correlation_id,
        )
        root_text = self._root_text(origin.user, draft.title)
        channel = origin.channel
        root_ts, error = self.poster.post_or_error(channel, root_text)
        moved = False
        if root_ts is None and error in CANNOT_POST:
            dm = self.poster.open_dm(origin.user)
            if dm is not None:
                channel = dm
                root_ts, error = self.poster.post_or_error(channel, root_text)
                moved = root_ts is not None
        if root_ts is None:
            respond(
                text=(
                    f"I couldn't start the thread ({error}). Your draft `{draft.id}` is saved: "
                    f"try `{self.command} resume {draft.id}` in a channel I'm in."
                ),
                response_type="ephemeral",
            )
            return draft.id
        with self.store.session() as s:
            s.drafts.set_location(draft.id, Location(origin.team, channel, root_ts, root_ts))
        if moved:
            link = self.poster.permalink(channel, root_ts)
            where = f" <{link}|Open the DM>." if link else ""
            respond(
                text=(
                    "I'm not in this channel, so we'll draft in a DM instead."
                    + where
                    + " To draft "
                    "in a channel next time, invite me there with `/invite @milestone-bot`."
                ),
                response_type="ephemeral",
            )
        location = Location(origin.team, channel, root_ts, root_ts)
        self._speak(draft, location, outcome)
        return draft.id

    @staticmethod
    def _root_text(user: str, title: str) -> str:
        if title:
            return (
                f"<@{user}> is drafting a Reliability Milestone: "
                f"*{markdown_to_slack(title)}*. Answers in the thread."
            )
        return f"<@{user}> is drafting a Reliability Milestone; answers in the thread."

    def drafts_blocks(self, user: str) -> list[dict[str, Any]]:
        with self.store.session(readonly=True) as s:
            rows = s.drafts.summaries(user)
            drafts = [s.drafts.get(r.id) for r in rows]
        return drafts_list_blocks([(d, *engine.progress(self.flow, d)) for d in drafts])

    def resume(self, origin: Origin, draft_id: str, respond: Respond) -> None:
        """Pick a draft up again: re-ask where it stands, in its thread."""
        with self.store.session() as s:
            draft = self._owned(s, draft_id, origin)
            location = s.drafts.location(draft.id) if isinstance(draft, Draft) else None
            if isinstance(draft, Draft) and draft.status in (
                DraftStatus.CANCELLED,
                DraftStatus.ARCHIVED,
            ):
                before = draft
                draft = draft.model_copy(update={"status": DraftStatus.DRAFTING})
                draft = s.drafts.record(
                    before,
                    draft,
                    kind="resume",
                    actor=origin.user,
                    source=origin.source,
                    correlation_id=origin.correlation_id,
                )
        if isinstance(draft, str):
            respond(text=draft, response_type="ephemeral")
            return
        if draft.status is DraftStatus.FILED:
            respond(text=self._filed_text(draft), response_type="ephemeral")
            return
        if location is None:
            # The thread was never posted: start one where the author is now.
            root_ts, error = self.poster.post_or_error(
                origin.channel, self._root_text(origin.user, draft.title)
            )
            if root_ts is None:
                respond(
                    text=f"I couldn't post here ({error}). Try in a channel I'm in.",
                    response_type="ephemeral",
                )
                return
            location = Location(origin.team, origin.channel, root_ts, root_ts)
            with self.store.session() as s:
                s.drafts.set_location(draft.id, location)
        outcome = engine.start(self.flow, draft)
        self.poster.post(
            location.channel, "Picking up where you left off.", thread_ts=location.thread_ts
        )
        self._speak(draft, location, outcome)
        link = self.poster.permalink(location.channel, location.thread_ts)
        respond(
            text=f"Resumed `{draft.id}`." + (f" <{link}|Go to the thread>." if link else ""),
            response_type="ephemeral",
        )

    def cancel(self, origin: Origin, draft_id: str, respond: Respond) -> None:
        self._typed_command(origin, draft_id, "cancel", respond)

    def _typed_command(self, origin: Origin, draft_id: str, text: str, respond: Respond) -> None:
        with self.store.session(readonly=True) as s:
            draft = self._owned(s, draft_id, origin)
            location = s.drafts.location(draft.id) if isinstance(draft, Draft) else None
        if isinstance(draft, str):
            respond(text=draft, response_type="ephemeral")
            return
        if location is None:
            respond(text=f"Draft `{draft_id}` has no thread yet.", response_type="ephemeral")
            return
        self.answer(origin, location, text, key=None, message_ts=None)
        respond(text=f"Done: `{text}` on `{draft_id}`.", response_type="ephemeral")

    def _owned(self, s: Session, draft_id: str, origin: Origin) -> Draft | str:
        """The author's draft, or what to tell them (no such draft, or not theirs).

        Nothing is said here: the caller answers once its transaction is over.
        """
        try:
            draft = s.drafts.get(draft_id.strip())
        except UnknownDraft:
            return f"There is no draft `{draft_id}`. `{self.command} drafts` lists yours."
        if draft.author != origin.user:
            return f"Only <@{draft.author}> can change draft `{draft.id}`."
        return draft

    # ----- answers --------------------------------------------------------------------

    def locate(
        self, team: str, channel: str, thread_ts: str | None, user: str, channel_type: str
    ) -> Location | None:
        """The conversation a message belongs to: its thread, or the author's DM draft."""
        if not thread_ts and channel_type != "im":
            return None  # top-level channel chatter is never an answer
        with self.store.session(readonly=True) as s:
            if thread_ts:
                draft = s.drafts.find_by_thread(team, channel, thread_ts)
                return s.drafts.location(draft.id) if draft else None
            if channel_type == "im":
                for row in s.drafts.summaries(user):
                    loc = s.drafts.location(row.id)
                    if loc and loc.channel == channel:
                        return loc
        return None

    def message(self, origin: Origin, event: dict[str, Any]) -> None:
        """A message event: an answer if it is the author's, in a draft's thread."""
        thread_ts = event.get("thread_ts")
        try:
            location = self.locate(
                origin.team,
                event["channel"],
                thread_ts,
                origin.user,
                event.get("channel_type", ""),
            )
            if location is None:
                return
            text = self._to_markdown(event.get("text") or "")
        except StoreError as exc:
            self._log_store_failure("answer.store_failed", exc, origin, event["channel"], thread_ts)
            # Which thread is a draft's is in the store too: only a threaded or direct
            # message can be an answer, so only those are told.
            if thread_ts or event.get("channel_type") == "im":
                self._tell_store_failed(origin, event["channel"], thread_ts)
            return
        key = f"slack:msg:{event['channel']}:{event['ts']}"
        self.answer(origin, location, text, key=key, message_ts=event["ts"])

    def answer(
        self,
        origin: Origin,
        location: Location,
        text: str,
        *,
        key: str | None,
        message_ts: str | None,
        question_id: str | None = None,
        on_recorded: Callable[[Outcome], None] | None = None,
    ) -> Outcome | None:
        """Apply one typed answer (or the typed equivalent of a click) to the thread's draft."""
        if self.checked_questions and parse_control(text) is None:
            checked = self._check_before_engine(origin, location, text, key, question_id)
            if checked is None:
                return None
            text = checked
        notice = ""  # said after the transaction: no Slack call holds the database lock
        ephemeral = False
        try:
            with self.store.session() as s:
                draft = s.drafts.find_by_thread(location.team, location.channel, location.thread_ts)
                if draft is None:
                    return None
                if not self._claim_delivery(s, origin, key, draft.id):
                    self._log.info(
                        "answer.duplicate", draft_id=draft.id, correlation_id=origin.correlation_id
                    )
                    return None
                outcome = None
                if draft.author != origin.user:
                    if s.deliveries.claim(f"notice:{draft.id}:{origin.user}", draft.id):
                        notice, ephemeral = self._only_author(draft), True
                elif question_id is not None and draft.flow.step != question_id:
                    # A click on a question already answered (a double click, an old message).
                    self._log.info("answer.stale_click", draft_id=draft.id, question_id=question_id)
                else:
                    try:
                        outcome = engine.advance(self.flow, draft, text)
                    except DraftReadOnly as exc:
                        notice = str(exc)
                    else:
                        s.drafts.record(
                            draft,
                            outcome.draft,
                            kind=outcome.kind,
                            actor=origin.user,
                            source=origin.source,
                            correlation_id=origin.correlation_id,
                            input=text,
                            question_id=outcome.question_id,
                        )
                        if message_ts and outcome.question_id and not outcome.rejected:
                            s.drafts.link_message(
                                location.channel, message_ts, draft.id, outcome.question_id
                            )
        except StoreError as exc:
            self._log_store_failure(
                "answer.store_failed", exc, origin, location.channel, location.thread_ts
            )
            self._tell_store_failed(origin, location.channel, location.thread_ts)
            return None
        if outcome is None:
            if notice and ephemeral:
                self.poster.ephemeral(
                    location.channel, origin.user, notice, thread_ts=location.thread_ts
                )
            elif notice:
                self.poster.post(
                    location.channel, markdown_to_slack(notice), thread_ts=location.thread_ts
                )
            return None
        self._log.info(
            "answer.rejected" if outcome.rejected else "answer.recorded",
            draft_id=draft.id,
            question_id=outcome.question_id,
            kind=outcome.kind,
            team=origin.team,
            channel=location.channel,
            thread_ts=location.thread_ts,
            user=origin.user,
            correlation_id=origin.correlation_id,
            **({"reason": outcome.replies[0].text[:200]} if outcome.rejected else {}),
        )
        if not outcome.rejected:
            if on_recorded is not None:
                on_recorded(outcome)
            self.after_answer(origin, outcome)
        self._speak(outcome.draft, location, outcome, origin=origin)
        return outcome

    @staticmethod
    def _claim_delivery(s: Session, origin: Origin, key: str | None, draft_id: str) -> bool:
        """Claim the delivery's event id and the message's own key; False for a repeat.

        Both are claimed (not short-circuited): a Slack retry repeats the event id, and an
        edit that overtook its message repeats the message key under another event id.
        """
        keys = [f"slack:event:{origin.correlation_id}" if origin.correlation_id else "", key]
        return all([s.deliveries.claim(k, draft_id) for k in keys if k])

    def _check_before_engine(
        self,
        origin: Origin,
        location: Location,
        text: str,
        key: str | None,
        question_id: str | None,
    ) -> str | None:
        """The text for the engine after `check_answer`, or None when it refused (the refusal
        is journaled and said). The check may call the network, so it runs outside any
        transaction, on a read of where the draft stands."""
        with self.store.session(readonly=True) as s:
            draft = s.drafts.find_by_thread(location.team, location.channel, location.thread_ts)
        if (
            draft is None
            or draft.author != origin.user
            or draft.status is not DraftStatus.DRAFTING
            or draft.flow.step not in self.checked_questions
            or question_id not in (None, draft.flow.step)
        ):
            return text
        step = draft.flow.step
        checked, refusal = self.check_answer(step, text)
        if refusal is None:
            return checked
        with self.store.session() as s:
            draft = s.drafts.get(draft.id)
            if not self._claim_delivery(s, origin, key, draft.id):
                return None  # a retried delivery: refused once already
            s.drafts.record(
                draft,
                draft,
                kind="rejected",
                actor=origin.user,
                source=origin.source,
                correlation_id=origin.correlation_id,
                input=text,
                question_id=step,
            )
        self._log.info("answer.rejected", draft_id=draft.id, question_id=step, reason=refusal)
        self._say(draft, location, Reply(ReplyKind.INVALID, refusal, self.flow.question(step)))
        return None

    # ----- hooks: what a conversation with GitHub adds (bot/filing/from_slack.py) ------------

    def check_answer(self, question_id: str, text: str) -> tuple[str, str | None]:
        """(the text to record, or why it is refused) for checks the pure engine cannot make
        because they need the network. Used for new answers and edited ones."""
        return text, None

    def after_answer(self, origin: Origin, outcome: Outcome) -> None:
        """Called once an answer is recorded (not for refusals)."""

    def on_start(self, draft: Draft, outcome: Outcome) -> tuple[Draft, Outcome]:
        """A draft is started or resumed: answers known from before may be filled in."""
        return draft, outcome

    def after_preview(self, draft: Draft, location: Location) -> None:
        """Called after each preview is posted."""

    def edited(self, origin: Origin, event: dict[str, Any]) -> None:
        """`message_changed`: the author edited an answer; update it without moving on."""
        message = event.get("message") or {}
        channel = event["channel"]
        ts = message.get("ts")
        if not ts or message.get("user") != origin.user:
            return
        try:
            new_text = self._to_markdown(message.get("text") or "")
            with self.store.session() as s:
                link = s.drafts.message_answer(channel, ts)
                overtaken = None
                if link is None:
                    early = s.drafts.find_by_thread(
                        origin.team, channel, message.get("thread_ts") or ""
                    )
                    overtaken = s.drafts.location(early.id) if early else None
            if link is None:
                if overtaken is not None:
                    # The edit overtook its message (Slack delivers out of order): answer with
                    # the edited text; the late original then dedups on the message key.
                    self.answer(
                        origin, overtaken, new_text, key=f"slack:msg:{channel}:{ts}", message_ts=ts
                    )
                return
            # Checks that need the network run before the transaction, as for a new answer.
            new_text, refusal = self.check_answer(link.question_id, new_text)
            with self.store.session() as s:
                if not s.deliveries.claim(f"slack:event:{origin.correlation_id}", link.draft_id):
                    return
                draft = s.drafts.get(link.draft_id)
                location = s.drafts.location(draft.id)
                if draft.author != origin.user or location is None:
                    return
                try:
                    outcome = engine.reanswer(self.flow, draft, link.question_id, new_text)
                except DraftReadOnly as exc:
                    read_only = str(exc)
                else:
                    read_only = ""
                    if refusal:
                        outcome = Outcome(
                            draft,
                            (Reply(ReplyKind.INVALID, refusal),),
                            kind="rejected",
                            question_id=link.question_id,
                        )
                    s.drafts.record(
                        draft,
                        outcome.draft,
                        kind="edit" if not outcome.rejected else "rejected",
                        actor=origin.user,
                        source=origin.source,
                        correlation_id=origin.correlation_id,
                        input=new_text,
                        question_id=link.question_id,
                    )
        except StoreError as exc:
            thread_ts = message.get("thread_ts")
            self._log_store_failure("answer.store_failed", exc, origin, channel, thread_ts)
            self._tell_store_failed(
                origin, channel, thread_ts, doing="save your edit", retry="Edit it again"
            )
            return
        if read_only:
            # Said once the transaction is over: no Slack call holds the database lock.
            self.poster.ephemeral(
                channel, origin.user, markdown_to_slack(read_only), thread_ts=location.thread_ts
            )
            return
        question = self.flow.question(link.question_id)
        self._log.info(
            "answer.rejected" if outcome.rejected else "answer.edited",
            draft_id=draft.id,
            question_id=link.question_id,
            correlation_id=origin.correlation_id,
        )
        if outcome.rejected:
            text = outcome.replies[0].text if outcome.replies else "That edit couldn't be used."
            self.poster.post(
                channel,
                markdown_to_slack(f"Your edit to *{question.title}* wasn't applied: {text}"),
                thread_ts=location.thread_ts,
            )
        else:
            self.poster.post(
                channel,
                markdown_to_slack(f"Updated your answer to *{question.title}*."),
                thread_ts=location.thread_ts,
            )

    def clicked(
        self,
        origin: Origin,
        draft_id: str,
        question_id: str | None,
        text: str,
        message_ts: str | None,
        echo: str,
    ) -> None:
        """A button or menu standing for a typed answer: echo it, then answer as if typed."""
        try:
            with self.store.session(readonly=True) as s:
                location = s.drafts.location(draft_id)
                draft = s.drafts.get(draft_id)
        except UnknownDraft:
            raise
        except StoreError as exc:
            self._log_store_failure("answer.store_failed", exc, origin, origin.channel)
            self._tell_store_failed(
                origin, origin.channel, None, doing="save that choice", retry="Click it again"
            )
            return
        if location is None:
            return
        if draft.author != origin.user:
            self.poster.ephemeral(
                location.channel,
                origin.user,
                f"Only <@{draft.author}> can answer this draft.",
                thread_ts=location.thread_ts,
            )
            return

        def echo_choice(_: Outcome) -> None:
            # The clicked message now reads as a record, before the next question appears.
            if message_ts and question_id:
                question = self.flow.question(question_id)
                self.poster.update(
                    location.channel,
                    message_ts,
                    f"{question.title}: {echo}",
                    blocks=answered_blocks(
                        f"*{markdown_to_slack(question.title)}*",
                        f"<@{origin.user}> chose *{markdown_to_slack(echo)}*",
                    ),
                )

        self.answer(
            origin,
            location,
            text,
            key=None,
            message_ts=None,
            question_id=question_id,
            on_recorded=echo_choice,
        )

    # ----- speaking -------------------------------------------------------------------

    def _speak(
        self, draft: Draft, location: Location, outcome: Outcome, origin: Origin | None = None
    ) -> None:
        if outcome.kind == "start":
            draft, outcome = self.on_start(draft, outcome)
        for reply in outcome.replies:
            self._say(draft, location, reply)
        if outcome.action is Action.FILE:
            if self.filer is None:
                self.poster.post(
                    location.channel,
                    "Filing on GitHub isn't set up on this bot yet (the operator sets "
                    "`GITHUB_TOKEN` and `GITHUB_REPOSITORY`). Your draft is saved; type `file` "
                    "again once it is.",
                    thread_ts=location.thread_ts,
                )
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
        text = markdown_to_slack(reply.text)
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
        issue = render_issue(self.template, as_filed(draft))
        messages = preview_messages(issue.title, issue.body, lead=lead)
        actions = preview_actions(self.flow, draft, filed=draft.status is DraftStatus.FILED)
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

    def _only_author(self, draft: Draft) -> str:
        return (
            f"Only <@{draft.author}> can answer this draft; "
            "messages from others in this thread aren't recorded."
        )

    def _filed_text(self, draft: Draft) -> str:
        return (
            f"Draft `{draft.id}` is filed as <{draft.issue_url}|#{draft.issue_number}>; "
            "changes now go on GitHub."
        )

    def _to_markdown(self, text: str) -> str:
        return slack_to_markdown(text, self.users.resolve)
