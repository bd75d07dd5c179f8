"""Answers in a draft's thread: typed messages, edits of them, and clicks standing for them.

Each inbound delivery is one unit of work: claim its id, load the draft, advance the pure
engine, journal the change, commit; then speak. Acknowledged means committed: a reply is
only posted after the answer is in the journal, and a failed post never loses it. A check
that needs the network (`check_answer`) never runs inside a transaction: the answer's
transaction steps back without writing, the check runs, and a new transaction takes the
checked answer.

`Answering` is a part of `Conversations` (bot.slack.conversation), which supplies the store,
the flow, the poster and the hooks (`check_answer`, `after_answer`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.errors import StoreError, UnknownDraft
from bot.slack.blocks import answered_blocks
from bot.slack.origin import Origin
from bot.slack.speaking import Speaking
from bot.slack.text import escape_mrkdwn
from bot.slack.threads import DraftThreads
from bot.storage.drafts import Location
from bot.storage.store import Session
from flows import engine
from flows.answers import parse_control
from flows.draft import Draft, DraftStatus
from flows.errors import DraftReadOnly, InvalidAnswer
from flows.outcome import Outcome, Reply, ReplyKind

OnRecorded = Callable[[Outcome], None]


@dataclass(frozen=True)
class _Step:
    """What one answer's transaction came to: an outcome, or a notice to say instead."""

    draft: Draft
    location: Location  # where the draft talks, as the transaction read it
    outcome: Outcome | None = None
    notice: str = ""  # said once the transaction is over (no Slack call holds the lock)
    ephemeral: bool = False  # the notice is for the sender alone
    check: str = ""  # the step whose answer needs check_answer first; nothing was written


@dataclass(frozen=True)
class _Edit:
    """What one edit's transaction came to."""

    draft: Draft
    location: Location
    question_id: str
    outcome: Outcome | None  # None: the draft is read-only
    read_only: str = ""


class Answering(Speaking):
    """Taking answers in a thread (a part of Conversations)."""

    checked_questions: frozenset[str]
    draft_threads: DraftThreads

    # Hooks a conversation with GitHub overrides (bot/filing/conversation.py).

    def check_answer(self, question_id: str, text: str) -> str:
        """The text to record, for checks the pure engine cannot make because they need the
        network; raises InvalidAnswer to refuse it. Used for new answers and edited ones."""
        return text

    def after_answer(self, origin: Origin, outcome: Outcome) -> None:
        """Called once an answer is recorded (not for refusals)."""

    # ----- typed messages -------------------------------------------------------------

    def locate(
        self, team: str, channel: str, thread_ts: str | None, user: str, channel_type: str
    ) -> Location | None:
        """The conversation a message belongs to: its thread, or the author's DM draft."""
        if not thread_ts and channel_type != "im":
            return None  # top-level channel chatter is never an answer
        if thread_ts and (team, channel, thread_ts) in self.draft_threads:
            # The answer's transaction reads the draft and where it talks again.
            return Location(team, channel, thread_ts)
        with self.store.session(readonly=True) as s:
            if thread_ts:
                found = s.drafts.thread_location(team, channel, thread_ts)
                if found is not None:
                    self.draft_threads.remember(team, channel, thread_ts)
                return found
            if channel_type == "im":
                for row in s.drafts.summaries(user):
                    loc = s.drafts.location(row.id)
                    if loc and loc.channel == channel:
                        return loc
        return None

    def message(self, origin: Origin, event: dict[str, Any], notes: Sequence[str] = ()) -> None:
        """A message event: an answer if it is the author's, in a draft's thread; `notes`
        (bot.slack.messages) are said after the reply, once the answer is taken."""
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
        outcome = self.answer(origin, location, text, key=key, message_ts=event["ts"])
        if outcome is not None and notes:
            self.poster.post(
                location.channel, escape_mrkdwn(" ".join(notes)), thread_ts=location.thread_ts
            )

    def answer(
        self,
        origin: Origin,
        location: Location,
        text: str,
        *,
        key: str | None,
        message_ts: str | None,
        question_id: str | None = None,
        on_recorded: OnRecorded | None = None,
    ) -> Outcome | None:
        """Apply one typed answer (or the typed equivalent of a click) to the thread's draft."""
        checked_step: str | None = None
        try:
            while True:
                with self.store.session() as s:
                    step = self._advance(
                        s, origin, location, text, key, message_ts, question_id, checked_step
                    )
                if step is None or not step.check:
                    break
                # The step needs the network to check its answer: checked outside any
                # transaction, then taken by a transaction of its own.
                checked = self._checked(origin, step.location, step.draft, step.check, text, key)
                if checked is None:
                    return None
                text, checked_step = checked, step.check
        except StoreError as exc:
            self._log_store_failure(
                "answer.store_failed", exc, origin, location.channel, location.thread_ts
            )
            self._tell_store_failed(origin, location.channel, location.thread_ts)
            return None
        if step is None:
            return None
        if step.outcome is None:
            self._say_notice(origin, step.location, step)
            return None
        self._recorded(origin, step.location, step.draft, step.outcome, on_recorded)
        return step.outcome

    def _advance(
        self,
        s: Session,
        origin: Origin,
        location: Location,
        text: str,
        key: str | None,
        message_ts: str | None,
        question_id: str | None,
        checked_step: str | None,
    ) -> _Step | None:
        """The answer's transaction; None when there is nothing to say (no draft, a repeat).

        An answer to a step whose answers need the network (`check_answer`), other than
        `checked_step`, comes back as a `_Step` naming the step to check, with nothing written.
        """
        found = s.drafts.find_in_thread(location.team, location.channel, location.thread_ts)
        if found is None:
            return None
        draft, location = found
        check = self._needs_check(origin, draft, text, question_id)
        if check and check != checked_step:
            return _Step(draft, location, check=check)
        if not self._claim_delivery(s, origin, key, draft.id):
            self._log.info(
                "answer.duplicate", draft_id=draft.id, correlation_id=origin.correlation_id
            )
            return None
        if draft.author != origin.user:
            first = s.deliveries.claim(f"notice:{draft.id}:{origin.user}", draft.id)
            notice = self._only_author(draft) if first else ""
            return _Step(draft, location, notice=notice, ephemeral=True)
        if question_id is not None and draft.flow.step != question_id:
            # A click on a question already answered (a double click, an old message).
            self._log.info("answer.stale_click", draft_id=draft.id, question_id=question_id)
            return _Step(draft, location)
        try:
            outcome = engine.advance(self.flow_for(draft, s), draft, text)
        except DraftReadOnly as exc:
            return _Step(draft, location, notice=str(exc))
        s.drafts.record(
            draft,
            outcome.draft,
            kind=outcome.kind,
            **origin.provenance,
            input=text,
            question_id=outcome.question_id,
        )
        if message_ts and outcome.question_id and not outcome.rejected:
            s.drafts.link_message(location.channel, message_ts, draft.id, outcome.question_id)
        return _Step(draft, location, outcome)

    def _say_notice(self, origin: Origin, location: Location, step: _Step) -> None:
        if step.notice and step.ephemeral:
            self.poster.ephemeral(
                location.channel, origin.user, step.notice, thread_ts=location.thread_ts
            )
        elif step.notice:
            self.poster.post(
                location.channel, escape_mrkdwn(step.notice), thread_ts=location.thread_ts
            )

    def _recorded(
        self,
        origin: Origin,
        location: Location,
        draft: Draft,
        outcome: Outcome,
        on_recorded: OnRecorded | None,
    ) -> None:
        """Log the answer, run what follows a recorded one, and say the engine's replies."""
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

    @staticmethod
    def _claim_delivery(s: Session, origin: Origin, key: str | None, draft_id: str) -> bool:
        """Claim the delivery's event id and the message's own key; False for a repeat.

        Both are claimed (not short-circuited): a Slack retry repeats the event id, and an
        edit that overtook its message repeats the message key under another event id.
        """
        keys = [f"slack:event:{origin.correlation_id}" if origin.correlation_id else "", key]
        return s.deliveries.claim_all([k for k in keys if k], draft_id)

    def _needs_check(self, origin: Origin, draft: Draft, text: str, question_id: str | None) -> str:
        """The step whose answer `text` needs `check_answer` first, or "" for none."""
        if not self.checked_questions:
            return ""
        step = draft.flow.step
        if (
            step not in self.checked_questions
            or draft.author != origin.user
            or draft.status is not DraftStatus.DRAFTING
            or question_id not in (None, step)
            or parse_control(text) is not None
        ):
            return ""
        return step

    def _checked(
        self,
        origin: Origin,
        location: Location,
        draft: Draft,
        step: str,
        text: str,
        key: str | None,
    ) -> str | None:
        """The text for the engine after `check_answer`, or None when it refused (the refusal
        is journaled and said). The check may call the network, so no transaction is open."""
        try:
            return self.check_answer(step, text)
        except InvalidAnswer as exc:
            refusal = str(exc)
        with self.store.session() as s:
            draft = s.drafts.get(draft.id)
            if not self._claim_delivery(s, origin, key, draft.id):
                return None  # a retried delivery: refused once already
            s.drafts.record(
                draft,
                draft,
                kind="rejected",
                **origin.provenance,
                input=text,
                question_id=step,
            )
        self._log.info("answer.rejected", draft_id=draft.id, question_id=step, reason=refusal)
        self._say(draft, location, Reply(ReplyKind.INVALID, refusal, self.flow.question(step)))
        return None

    # ----- edits ----------------------------------------------------------------------

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
                overtaken = None if link else self._thread_of(s, origin, channel, message)
            if link is None:
                if overtaken is not None:
                    # The edit overtook its message (Slack delivers out of order): answer with
                    # the edited text; the late original then dedups on the message key.
                    key = f"slack:msg:{channel}:{ts}"
                    self.answer(origin, overtaken, new_text, key=key, message_ts=ts)
                return
            # Checks that need the network run before the transaction, as for a new answer.
            try:
                new_text, refusal = self.check_answer(link.question_id, new_text), ""
            except InvalidAnswer as exc:
                refusal = str(exc)
            with self.store.session() as s:
                edit = self._reanswer(s, origin, link.draft_id, link.question_id, new_text, refusal)
        except StoreError as exc:
            thread_ts = message.get("thread_ts")
            self._log_store_failure("answer.store_failed", exc, origin, channel, thread_ts)
            self._tell_store_failed(
                origin, channel, thread_ts, doing="save your edit", retry="Edit it again"
            )
            return
        if edit is not None:
            self._say_edit(origin, channel, edit)

    @staticmethod
    def _thread_of(
        s: Session, origin: Origin, channel: str, message: dict[str, Any]
    ) -> Location | None:
        early = s.drafts.find_by_thread(origin.team, channel, message.get("thread_ts") or "")
        return s.drafts.location(early.id) if early else None

    def _reanswer(
        self,
        s: Session,
        origin: Origin,
        draft_id: str,
        question_id: str,
        new_text: str,
        refusal: str,
    ) -> _Edit | None:
        """The edit's transaction; None for a repeat or an edit that isn't the author's."""
        if not s.deliveries.claim(f"slack:event:{origin.correlation_id}", draft_id):
            return None
        draft = s.drafts.get(draft_id)
        location = s.drafts.location(draft.id)
        if draft.author != origin.user or location is None:
            return None
        try:
            outcome = engine.reanswer(self.flow_for(draft, s), draft, question_id, new_text)
        except DraftReadOnly as exc:
            return _Edit(draft, location, question_id, None, read_only=str(exc))
        if refusal:
            reply = Reply(ReplyKind.INVALID, refusal)
            outcome = Outcome(draft, (reply,), kind="rejected", question_id=question_id)
        s.drafts.record(
            draft,
            outcome.draft,
            kind="edit" if not outcome.rejected else "rejected",
            **origin.provenance,
            input=new_text,
            question_id=question_id,
        )
        return _Edit(draft, location, question_id, outcome)

    def _say_edit(self, origin: Origin, channel: str, edit: _Edit) -> None:
        thread_ts = edit.location.thread_ts
        if edit.outcome is None:
            # Said once the transaction is over: no Slack call holds the database lock.
            self.poster.ephemeral(
                channel, origin.user, escape_mrkdwn(edit.read_only), thread_ts=thread_ts
            )
            return
        outcome = edit.outcome
        question = self.flow.question(edit.question_id)
        self._log.info(
            "answer.rejected" if outcome.rejected else "answer.edited",
            draft_id=edit.draft.id,
            question_id=edit.question_id,
            correlation_id=origin.correlation_id,
        )
        if outcome.rejected:
            text = outcome.replies[0].text if outcome.replies else "That edit couldn't be used."
            said = f"Your edit to *{question.title}* wasn't applied: {text}"
        else:
            said = f"Updated your answer to *{question.title}*."
        self.poster.post(channel, escape_mrkdwn(said), thread_ts=thread_ts)

    # ----- clicks ---------------------------------------------------------------------

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
                        f"*{escape_mrkdwn(question.title)}*",
                        f"<@{origin.user}> chose *{escape_mrkdwn(echo)}*",
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
