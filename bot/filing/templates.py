"""Each draft's repository and template in the conversation (a part of GitHubConversations).

* A new draft files to its channel's repository (`/milestone repo`, else GITHUB_REPOSITORY)
  and is asked with the template that repository keeps on GitHub, as bot.github.templates
  resolves it now; that version is kept with the draft (its blob sha and text), so the draft
  renders the same however the file changes. When the repository's own file can't serve,
  the author gets the one line that says why and the draft goes on with the bundled template.
* At the preview, once per draft, the author is told that the repository's template changed
  since the draft started, and how to move onto it.
* `/milestone rebase ID` moves the draft onto the repository's current template (flows.rebase):
  answers carried over where their section still exists, the rest asked again. It is one
  journaled change, so the draft replays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.log import get_logger
from bot.slack.conversation import DraftOrigin, Origin, Respond
from bot.slack.text import escape_mrkdwn
from bot.storage.drafts import Location
from flows import engine
from flows.draft import Draft, DraftStatus
from flows.errors import TemplateError
from flows.rebase import rebase

if TYPE_CHECKING:
    from bot.github.templates import Resolution, TemplateSource
    from bot.slack.poster import SlackPoster
    from bot.storage.draft_templates import DraftTemplates
    from bot.storage.store import Store
    from flows.outcome import Outcome
    from flows.questions import Flow

log = get_logger()


class RepositoryTemplates:
    """The repository-and-template hooks of the conversation; see the module docstring."""

    store: Store
    poster: SlackPoster
    command: str
    templates: DraftTemplates | None
    template_source: TemplateSource | None
    default_repository: str | None

    if TYPE_CHECKING:

        def flow_for(self, draft: Draft, s: Any = None) -> Flow: ...
        def _speak(
            self, draft: Draft, location: Location, outcome: Outcome, origin: Origin | None = None
        ) -> None: ...
        @staticmethod
        def _owned(s: Any, draft_id: str, origin: Origin) -> Draft: ...

    def draft_origin(self, origin: Origin) -> DraftOrigin:
        source, templates = self.template_source, self.templates
        if source is None or templates is None:
            return DraftOrigin()
        with self.store.session(readonly=True) as s:
            repository = s.channels.repository(origin.channel, self.default_repository) or ""
        found = source.resolve(repository or None)
        version = found.version
        try:
            templates.remember(version)
        except TemplateError:
            version = source.fallback
            templates.remember(version)
        return DraftOrigin(repository, version, self._start_notice(found))

    def _start_notice(self, found: Resolution) -> str:
        problem = found.problem
        if problem is None:
            return ""
        # GITHUB_REPOSITORY without a template of its own is how the bot always drafted:
        # `/milestone repo` says so, each draft doesn't.
        default = (self.default_repository or "").lower()
        if problem.kind == "missing" and problem.repository.lower() == default:
            return ""
        return problem.line()

    def current_version_changed(self, draft: Draft) -> Resolution | None:
        """The repository's usable template when it isn't the one `draft` started with."""
        source = self.template_source
        if source is None or not draft.repository or not draft.template_sha:
            return None
        found = source.resolve(draft.repository)
        if not found.from_repository or found.version.sha == draft.template_sha:
            return None
        return found

    def tell_template_changed(self, draft: Draft, location: Location) -> None:
        """Once per draft, at a preview: the repository's template changed since it started."""
        found = self.current_version_changed(draft)
        if found is None:
            return
        with self.store.session() as s:
            if not s.deliveries.claim(f"template-changed:{draft.id}", draft.id):
                return
        text = (
            f"{draft.repository}'s template changed since you started this draft (version "
            f"{draft.template_sha[:7]} → {found.version.short_sha}). This draft keeps the one "
            f"it started with; `{self.command} rebase {draft.id}` moves it onto the new one, "
            "keeping your answers where their sections still exist."
        )
        log.info("template.changed_told", draft_id=draft.id, sha=found.version.sha)
        self.poster.post(location.channel, escape_mrkdwn(text), thread_ts=location.thread_ts)

    def rebase(self, origin: Origin, draft_id: str, respond: Respond) -> None:
        """`/milestone rebase ID`. Raises UnknownDraft or NotDraftAuthor as resume does."""
        with self.store.session(readonly=True) as s:
            draft = self._owned(s, draft_id, origin)
            location = s.drafts.location(draft.id)
        refusal = self._rebase_refusal(draft, location)
        if refusal:
            respond(text=refusal, response_type="ephemeral")
            return
        found = self.current_version_changed(draft)
        assert found is not None and location is not None and self.templates is not None
        new_flow = self.templates.remember(found.version)
        old_flow = self.flow_for(draft)
        with self.store.session() as s:
            current = s.drafts.get(draft.id)
            s.templates.keep(found.version)
            moved, asked = rebase(old_flow, new_flow, current, found.version.sha)
            outcome = engine.start(new_flow, moved)
            stored = s.drafts.record(
                current,
                outcome.draft,
                kind="rebase",
                **origin.provenance,
                input=f"rebase {found.version.sha}",
            )
        log.info("draft.rebased", draft_id=draft.id, sha=found.version.sha, asked=list(asked))
        again = ", ".join(new_flow.question(q).title for q in asked) or "nothing"
        self.poster.post(
            location.channel,
            escape_mrkdwn(
                f"Moved onto {draft.repository}'s current template (version "
                f"{found.version.short_sha}). Your answers are kept; asked again: {again}."
            ),
            thread_ts=location.thread_ts,
        )
        self._speak(stored, location, outcome)
        respond(text=f"Rebased `{draft.id}`.", response_type="ephemeral")

    def _rebase_refusal(self, draft: Draft, location: Location | None) -> str:
        if draft.status in (DraftStatus.FILED, DraftStatus.CANCELLED, DraftStatus.ARCHIVED):
            return f"`{draft.id}` is {draft.status.value}: only a draft in progress can move."
        if location is None:
            return f"`{draft.id}` has no thread yet: `{self.command} resume {draft.id}` first."
        if self.current_version_changed(draft) is None:
            where = draft.repository or self.default_repository or "its repository"
            return f"`{draft.id}` already uses the template {where} serves now: nothing to rebase."
        return ""
