"""The drafting conversation in Slack: starting, resuming and cancelling drafts, and the
hooks a conversation with GitHub fills in (bot.filing.conversation).

`Conversations` is assembled from its parts: answering in the thread (bot.slack.answering:
typed answers, edits, clicks) and speaking there (bot.slack.speaking). Each inbound delivery
is one unit of work; acknowledged means committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.errors import NotDraftAuthor, StoreError
from bot.log import get_logger
from bot.slack.answering import Answering
from bot.slack.blocks import drafts_list_blocks
from bot.slack.origin import Filer, Origin, Respond
from bot.slack.poster import SlackPoster
from bot.slack.speaking import STORE_FAILED
from bot.slack.threads import DraftThreads
from bot.slack.users import UserDirectory
from bot.storage.draft_templates import DraftTemplates
from bot.storage.drafts import Location
from bot.storage.store import Session, Store
from flows import engine
from flows.draft import Draft, DraftStatus
from flows.errors import InvalidAnswer
from flows.outcome import Outcome
from flows.questions import Flow
from flows.template import Template
from flows.template_version import TemplateVersion

__all__ = ["Conversations", "DraftOrigin", "Filer", "Origin", "Preset", "Respond"]

log = get_logger()

CANNOT_POST = {"not_in_channel", "channel_not_found", "is_archived", "restricted_action"}


@dataclass(frozen=True)
class Preset:
    """What a draft started outside the slash command brings (the message shortcut, the New
    milestone modal): answers known before the first question, each journaled as given and
    then skipped by the flow like a title given with the command; the existing thread to draft
    in; and lines for the draft's notes (journaled too, the notes question is still asked)."""

    answers: tuple[tuple[str, str], ...] = ()  # (question id, the answer as Markdown)
    thread_ts: str | None = None  # draft in this thread instead of a new root message
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftOrigin:
    """What a new draft starts with besides its author: the repository it files to and the
    template version it is asked with (None: the default flow), and a line for the author
    when the repository's own template can't serve (bot.filing.conversation fills it in)."""

    repository: str = ""
    version: TemplateVersion | None = None
    notice: str = ""


@dataclass
class Conversations(Answering):
    store: Store
    flow: Flow
    template: Template
    poster: SlackPoster
    users: UserDirectory
    command: str = "/milestone"
    filer: Filer | None = None
    # Questions whose answers `check_answer` sees before the engine (see the hooks below).
    checked_questions: frozenset[str] = frozenset()
    templates: DraftTemplates | None = None  # each draft's template version and flow
    draft_threads: DraftThreads = field(default_factory=DraftThreads)
    _log: Any = field(default_factory=lambda: log)

    # ----- hooks: what a conversation with GitHub adds (bot/filing/conversation.py) -------
    # (check_answer and after_answer are Answering's, on_start and after_preview Speaking's)

    def draft_origin(self, origin: Origin) -> DraftOrigin:
        """The repository and template a draft started by `origin` gets (asked before the
        unit of work that creates it: it may read GitHub)."""
        return DraftOrigin()

    # ----- starting -------------------------------------------------------------------

    def start(
        self, origin: Origin, title: str, respond: Respond, *, preset: Preset | None = None
    ) -> str | None:
        """`/milestone new [title]`: a root message in the channel, questions in its thread.
        With a `preset` (shortcuts, the Home), its answers, thread and notes too."""
        title = self._to_markdown(title) if title.strip() else ""
        try:
            created = self._create(origin, title, preset)
        except StoreError as exc:
            self._log_store_failure("command.store_failed", exc, origin, origin.channel)
            respond(
                text=STORE_FAILED.format(
                    doing="start a draft", retry=f"Try `{self.command}` again"
                ),
                response_type="ephemeral",
            )
            return None
        if created is None:
            return None
        draft, outcome, refusals = created
        for said in refusals:
            respond(text=said, response_type="ephemeral")
        self._log.info(
            "draft.created",
            draft_id=draft.id,
            user=origin.user,
            channel=origin.channel,
            team=origin.team,
            correlation_id=origin.correlation_id,
        )
        location = self._open_thread(origin, draft, preset.thread_ts if preset else None, respond)
        if location is not None:
            self._speak(draft, location, outcome)
        return draft.id

    def _create(
        self, origin: Origin, title: str, preset: Preset | None
    ) -> tuple[Draft, Outcome, list[str]] | None:
        """The new draft, the engine's start, and what to tell the author about what they
        gave (a title or preset answer that couldn't be used); None for a repeated command."""
        start = self.draft_origin(origin)
        with self.store.session() as s:
            # A slash command delivered twice (a retry, a double Enter) starts one draft.
            if origin.correlation_id and not s.deliveries.claim(
                f"slack:command:{origin.correlation_id}"
            ):
                self._log.info("command.duplicate", correlation_id=origin.correlation_id)
                return None
            draft = Draft(
                id=s.drafts.new_id(),
                author=origin.user,
                repository=start.repository,
                template_sha=start.version.sha if start.version else "",
            )
            if start.version is not None:
                s.templates.keep(start.version)
            flow = self.flow_for(draft, s)
            refusal = ""
            if title.strip():
                try:
                    draft = draft.with_changes(flow.question("title").parse(title, draft))
                except InvalidAnswer as exc:
                    refusal = str(exc)
            if preset is None:
                outcome = engine.start(flow, draft)
                draft = s.drafts.create(
                    outcome.draft,
                    location=None,
                    **origin.provenance,
                )
                said: list[str] = []
            else:
                draft, outcome, said = self._start_preset(s, draft, preset, origin)
            if refusal:
                # Kept in the journal: nothing the author typed is thrown away.
                s.drafts.record(
                    draft,
                    draft,
                    kind="rejected",
                    **origin.provenance,
                    input=title,
                    question_id="title",
                )
                said.insert(
                    0, f"I couldn't use that title: {refusal} I'll ask for it in the thread."
                )
        if start.notice:
            said.insert(0, start.notice)
        return draft, outcome, said

    def _start_preset(
        self, s: Session, draft: Draft, preset: Preset, origin: Origin
    ) -> tuple[Draft, Outcome, list[str]]:
        """Create the draft, then journal each preset answer as given (refused ones too, and
        said), the start, and the notes lines: replaying the journal rebuilds every step."""
        journaled = {"actor": origin.user, "source": origin.source}
        current = s.drafts.create(
            draft, location=None, correlation_id=origin.correlation_id, **journaled
        )
        refusals = []
        flow = self.flow_for(current, s)
        for question_id, text in preset.answers:
            question = flow.question(question_id)
            try:
                after = current.with_changes(question.parse(text, current))
            except InvalidAnswer as exc:
                after, kind = current, "rejected"
                refusals.append(
                    f"I couldn't use that as *{question.title}*: {exc} I'll ask in the thread."
                )
            else:
                kind = "preset"
            current = s.drafts.record(
                current,
                after,
                kind=kind,
                correlation_id=origin.correlation_id,
                input=text,
                question_id=question_id,
                **journaled,
            )
        outcome = engine.start(flow, current)
        current = s.drafts.record(
            current, outcome.draft, kind="start", correlation_id=origin.correlation_id, **journaled
        )
        if preset.notes:
            noted = current.with_changes({"notes": [*current.notes, *preset.notes]})
            current = s.drafts.record(
                current,
                noted,
                kind="preset",
                correlation_id=origin.correlation_id,
                input="\n".join(preset.notes),
                question_id="notes",
                **journaled,
            )
        return current, outcome, refusals

    def _open_thread(
        self, origin: Origin, draft: Draft, thread_ts: str | None, respond: Respond
    ) -> Location | None:
        """Post the draft's root message (in `thread_ts`, or starting a thread), in a DM when
        the bot can't post in the channel; None, said, when it can't post at all."""
        root_text = self._root_text(origin.user, draft.title)
        channel = origin.channel
        root_ts, error = self.poster.post_or_error(channel, root_text, thread_ts=thread_ts)
        moved = False
        if root_ts is None and error in CANNOT_POST:
            dm = self.poster.open_dm(origin.user)
            if dm is not None:
                channel, thread_ts = dm, None
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
            return None
        location = Location(origin.team, channel, thread_ts or root_ts, root_ts)
        self._talk_at(draft.id, location)
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
        return location

    # ----- listing, resuming, cancelling -----------------------------------------------

    def drafts_blocks(self, user: str) -> list[dict[str, Any]]:
        with self.store.session(readonly=True) as s:
            drafts = [s.drafts.get(row.id) for row in s.drafts.summaries(user)]
        progress = [(d, *engine.progress(self.flow_for(d), d)) for d in drafts]
        return drafts_list_blocks(progress, self.command)

    def resume(self, origin: Origin, draft_id: str, respond: Respond) -> None:
        """Pick a draft up again: re-ask where it stands, in its thread.

        Raises UnknownDraft or NotDraftAuthor for a draft the author can't resume."""
        with self.store.session() as s:
            draft = self._owned(s, draft_id, origin)
            location = s.drafts.location(draft.id)
            if draft.status is DraftStatus.FILED:
                outcome = None
            else:
                # The same step as the terminal's `chat --resume` (bot/terminal/chat.py).
                outcome = engine.resume(self.flow_for(draft, s), draft)
                if outcome.changes:
                    draft = s.drafts.record(
                        draft,
                        outcome.draft,
                        kind=outcome.kind,
                        **origin.provenance,
                    )
        if outcome is None:
            respond(text=self._filed_text(draft), response_type="ephemeral")
            return
        if location is None:
            # The thread was never posted: start one where the author is now.
            location = self._thread_here(origin, draft, respond)
            if location is None:
                return
        self.poster.post(
            location.channel, "Picking up where you left off.", thread_ts=location.thread_ts
        )
        self._speak(draft, location, outcome)
        link = self.poster.permalink(location.channel, location.thread_ts)
        respond(
            text=f"Resumed `{draft.id}`." + (f" <{link}|Go to the thread>." if link else ""),
            response_type="ephemeral",
        )

    def _thread_here(self, origin: Origin, draft: Draft, respond: Respond) -> Location | None:
        root_ts, error = self.poster.post_or_error(
            origin.channel, self._root_text(origin.user, draft.title)
        )
        if root_ts is None:
            respond(
                text=f"I couldn't post here ({error}). Try in a channel I'm in.",
                response_type="ephemeral",
            )
            return None
        location = Location(origin.team, origin.channel, root_ts, root_ts)
        self._talk_at(draft.id, location)
        return location

    def _talk_at(self, draft_id: str, location: Location) -> None:
        """Store where the draft talks now; its thread's first answer then needs no read to
        be found (bot.slack.threads)."""
        with self.store.session() as s:
            s.drafts.set_location(draft_id, location)
        self.draft_threads.remember(location.team, location.channel, location.thread_ts)

    def cancel(self, origin: Origin, draft_id: str, respond: Respond) -> None:
        """`/milestone cancel ID`: as if the author typed `cancel` in the draft's thread.

        Raises UnknownDraft or NotDraftAuthor for a draft the author can't cancel."""
        self._typed_command(origin, draft_id, "cancel", respond)

    def _typed_command(self, origin: Origin, draft_id: str, text: str, respond: Respond) -> None:
        with self.store.session(readonly=True) as s:
            draft = self._owned(s, draft_id, origin)
            location = s.drafts.location(draft.id)
        if location is None:
            respond(text=f"Draft `{draft_id}` has no thread yet.", response_type="ephemeral")
            return
        self.answer(origin, location, text, key=None, message_ts=None)
        respond(text=f"Done: `{text}` on `{draft_id}`.", response_type="ephemeral")

    @staticmethod
    def _owned(s: Session, draft_id: str, origin: Origin) -> Draft:
        """The author's draft; UnknownDraft or NotDraftAuthor otherwise. Nothing is said
        here: the listener answers once the transaction is over."""
        draft = s.drafts.get(draft_id.strip())
        if draft.author != origin.user:
            raise NotDraftAuthor(draft.id, draft.author)
        return draft
