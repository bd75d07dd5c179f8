"""The drafting conversation with GitHub configured, and the factory that picks it.

`GitHubConversations` is the conversation service of bot.slack.conversation with GitHub in
reach. Through the hooks of `Conversations` (check_answer, after_answer, on_start,
after_preview) it:
* answers the "GitHub login" question from what the author said before (the login stored
  for their Slack user, or that they skipped it once), before the first question is shown,
  so the question count is right from the start;
* checks a typed or edited login against `GET /users/{login}` before the engine sees it,
  and refuses one GitHub doesn't know (journaled as rejected); when GitHub can't be asked,
  the login is taken as typed rather than blocking the draft;
* stores the answer (or the skip) on the Slack user (bot.filing.logins);
* follows each preview with the file touch plan's unknown paths ("new file?"), checked in
  the draft's own repository;
* starts each draft in its channel's repository with the template that repository keeps
  (bot.filing.templates: the version, the line when it can't serve, the notice at the
  preview when it changed since, `/milestone rebase`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.filing.logins import ASKED_KEY, ASSIGNEE, checked_login, remember_login
from bot.filing.once import FilingService
from bot.filing.router import FilingRouter
from bot.filing.slack_filer import SlackFiler
from bot.filing.templates import RepositoryTemplates
from bot.github.client import GitHubAccess
from bot.github.templates import TemplateSource
from bot.github.touch_check import FileTouchChecker, touch_note
from bot.github.users import GitHubLogins
from bot.slack.blocks import text_blocks
from bot.slack.conversation import Conversations, Filer, Origin
from bot.slack.poster import SlackPoster
from bot.slack.text import escape_mrkdwn
from bot.slack.users import UserDirectory
from bot.storage.drafts import Location
from bot.storage.store import Store
from flows import engine
from flows.answers import parse_control
from flows.draft import Draft, DraftStatus
from flows.errors import InvalidAnswer
from flows.outcome import Outcome
from flows.questions import parse_github_login


@dataclass
class GitHubConversations(RepositoryTemplates, Conversations):
    """Conversations when the bot files on GitHub; see the module docstring."""

    logins: GitHubLogins | None = None
    touch_checker: FileTouchChecker | None = None
    access: GitHubAccess | None = None
    template_source: TemplateSource | None = None
    default_repository: str | None = None
    _checkers: dict[str, FileTouchChecker] = field(default_factory=dict)

    @property
    def asks_login(self) -> bool:
        return any(q.id == ASSIGNEE for q in self.flow.questions)

    def __post_init__(self) -> None:
        if self.asks_login and self.logins is not None:
            self.checked_questions = frozenset({ASSIGNEE})

    def check_answer(self, question_id: str, text: str) -> str:
        """A typed or edited GitHub login must be a user GitHub knows (else UnknownGitHubUser);
        returned as GitHub spells it. A malformed login is left to the engine, whose parser
        says what to fix."""
        if question_id != ASSIGNEE or self.logins is None or parse_control(text) is not None:
            return text
        try:
            login = parse_github_login(text)
        except InvalidAnswer:
            return text
        return checked_login(self.logins, login)

    def after_answer(self, origin: Origin, outcome: Outcome) -> None:
        if outcome.question_id == ASSIGNEE:
            # Asked once per Slack user: a skip is remembered too (and keeps a stored login).
            remember_login(self.store, origin.user, outcome.draft.assignee or None)

    def on_start(self, draft: Draft, outcome: Outcome) -> tuple[Draft, Outcome]:
        if self.asks_login:
            known = self._answer_login_from_before(draft.id)
            if known is not None:
                return known
        return draft, outcome

    def _answer_login_from_before(self, draft_id: str) -> tuple[Draft, Outcome] | None:
        with self.store.session() as s:
            draft = s.drafts.get(draft_id)
            state = draft.flow
            if (
                draft.status is not DraftStatus.DRAFTING
                or ASSIGNEE in state.answered
                or ASSIGNEE in state.history
            ):
                return None
            user = s.people.get(draft.author)
            if user is None or not (user.github_login or user.notified.get(ASKED_KEY)):
                return None
            answered = state.model_copy(update={"answered": (*state.answered, ASSIGNEE)})
            known = draft.model_copy(update={"flow": answered, "assignee": user.github_login or ""})
            outcome = engine.start(self.flow_for(known, s), known)
            stored = s.drafts.record(
                draft,
                outcome.draft,
                kind="prefill",
                actor=draft.author,
                source="slack",
                correlation_id=f"prefill:{draft.id}",
                question_id=ASSIGNEE,
            )
        return stored, outcome

    def after_preview(self, draft: Draft, location: Location) -> None:
        """The file touch plan's unknown paths, under the preview; and, once, that the
        repository's template changed since the draft started."""
        if draft.status is DraftStatus.FILED:
            return
        self.tell_template_changed(draft, location)
        checker = self._touch_checker(draft)
        if checker is None or not draft.file_touch_plan:
            return
        note = touch_note(checker.check(draft.file_touch_plan))
        if note:
            text = escape_mrkdwn(note)
            self.poster.post(
                location.channel, text, thread_ts=location.thread_ts, blocks=text_blocks(text)
            )

    def _touch_checker(self, draft: Draft) -> FileTouchChecker | None:
        """The checker of the draft's own repository (the configured one's for older drafts)."""
        if self.access is None or not draft.repository:
            return self.touch_checker
        key = draft.repository.lower()
        if key == self.access.repository.lower():
            return self.touch_checker
        if key not in self._checkers:
            self._checkers[key] = FileTouchChecker(self.access.for_repository(draft.repository))
        return self._checkers[key]


def build_conversations(
    access: GitHubAccess | None,
    *,
    store: Store,
    template: Any,
    poster: SlackPoster,
    users: UserDirectory,
    command: str,
    filer: Filer | None = None,
    **kwargs: Any,
) -> Conversations:
    """The conversation service: with GitHub (a filer, login checks, the touch plan check)
    when `access` is given, else the plain one."""
    github_only = {
        name: kwargs.pop(name)
        for name in ("template_source", "default_repository")
        if name in kwargs
    }
    common: dict[str, Any] = dict(
        store=store, template=template, poster=poster, users=users, command=command, **kwargs
    )
    if access is None:
        return Conversations(filer=filer, **common)
    conversations = GitHubConversations(
        filer=filer,
        logins=GitHubLogins(access),
        touch_checker=FileTouchChecker(access),
        access=access,
        **github_only,
        **common,
    )
    if filer is None:
        templates = common.get("templates")
        service: Any = (
            FilingRouter(store, templates, access, command=command)
            if templates is not None
            else FilingService(store, template, access, command=command)
        )
        conversations.filer = SlackFiler(service, store, poster, users, command)
    return conversations
