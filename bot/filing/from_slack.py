"""The Slack side of filing on GitHub: the filer the File button and typed `file` call, the
author's GitHub login (asked once, checked against GitHub, remembered), and the file touch
plan's check under the preview.

`SlackFiler` matches `Filer` in bot.slack.conversation. The engine's own reply ("Filing it on
GitHub…") is already in the thread when it runs; it then posts the link (or what went wrong,
with a Retry filing button), and updates the thread's root message to say filed.

`GitHubConversations` is the conversation service with GitHub configured. Through the hooks of
`Conversations` (check_answer, after_answer, on_start, after_preview) it:
* answers the "GitHub login" question from what the author said before (the login stored
  for their Slack user, or that they skipped it once), before the first question is shown,
  so the question count is right from the start;
* checks a typed login against `GET /users/{login}` before the engine sees it, and refuses
  one GitHub doesn't know (journaled as rejected); when GitHub can't be asked, the login is
  taken as typed rather than blocking the draft;
* stores the answer (or the skip) on the Slack user, and links logins with
  `/milestone github-login NAME`;
* follows each preview with the file touch plan's unknown paths ("new file?").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from github import GithubException
from requests.exceptions import RequestException
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject

from bot.errors import StoreError
from bot.filing.once import FailureKind, FilingOutcome, FilingResult, FilingService, clock_time
from bot.github.client import GitHubAccess
from bot.github.touch_check import FileTouchChecker, touch_note
from bot.log import get_logger
from bot.slack.blocks import ACTION_FILE, action_value, text_blocks
from bot.slack.conversation import Conversations, Origin, Respond
from bot.slack.poster import SlackPoster
from bot.slack.text import markdown_to_slack
from bot.slack.users import UserDirectory
from bot.storage.drafts import Location
from bot.storage.store import Store
from flows import engine
from flows.answers import parse_control
from flows.draft import Draft, DraftStatus
from flows.errors import InvalidAnswer
from flows.outcome import Outcome
from flows.questions import parse_github_login

log = get_logger()

ASSIGNEE = "assignee"  # the question id (flows.questions)
ASKED_KEY = "github_login_asked"  # users.notified: the author answered or skipped it once
CLEAR_WORDS = ("none", "clear", "remove", "-")


def user_zone(users: UserDirectory, user_id: str) -> tzinfo | None:
    """The Slack user's time zone, if known and valid."""
    try:
        tz = users.get(user_id).tz
    except Exception:  # noqa: BLE001 - a time zone is a nicety; never fail filing over it
        return None
    if not tz:
        return None
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# -- logins --------------------------------------------------------------------------------


@dataclass
class GitHubLogins:
    """Whether GitHub has a user, by login (canonical casing), via GET /users/{login}."""

    access: GitHubAccess

    def lookup(self, login: str) -> str | bool | None:
        """The login as GitHub spells it; False if GitHub has no such user; None if GitHub
        could not be asked (the caller then takes the login as typed)."""
        try:
            with self.access.client() as gh:
                _, data = gh.requester.requestJsonAndCheck("GET", f"/users/{quote(login, safe='')}")
        except GithubException as exc:
            if exc.status == 404:
                return False
            log.info("github.login_check_skipped", status=exc.status)
            return None
        except RequestException as exc:
            log.info("github.login_check_skipped", reason=type(exc).__name__)
            return None
        return str(data.get("login") or login)


def unknown_login(login: str) -> str:
    return f"GitHub has no user `{login}`; check the spelling, or `skip`."


# -- the filer -----------------------------------------------------------------------------


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
        tz = user_zone(self.users, origin.user or author)

        def on_wait(seconds: float, until: datetime) -> None:
            self.poster.post(
                location.channel,
                f"GitHub asked me to slow down; I'll try again at {clock_time(until, tz)} "
                f"(in {seconds:g} s).",
                thread_ts=location.thread_ts,
            )

        try:
            result = self.service.file(
                draft_id,
                actor=origin.user or author,
                source=origin.source,
                correlation_id=origin.correlation_id,
                wait=False,  # a second click while filing: say so, don't queue another
                on_wait=on_wait,
                tz=tz,
            )
        except StoreError as exc:
            log.warning("filing.store_failed", draft_id=draft_id, reason=str(exc)[:300])
            self.poster.post(
                location.channel,
                "I couldn't finish filing: my database is busy or unavailable. Type `file` "
                "again in a minute; if GitHub already has the issue, I'll find it rather than "
                "file it twice.",
                thread_ts=location.thread_ts,
            )
            return
        self.announce(result, location, origin, author=author, tz=tz)

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
        thread = location.thread_ts
        if result.issue is not None:
            issue = result.issue
            link = f"<{issue.url}|#{issue.number} {markdown_to_slack(issue.title)}>"
            lead = "Already filed" if result.outcome is FilingOutcome.ALREADY_FILED else "Filed"
            lines = [f"{lead} on GitHub: {link}"]
            lines += [markdown_to_slack(note) for note in result.notes]
            text = "\n".join(lines)
            self.poster.post(location.channel, text, thread_ts=thread, blocks=text_blocks(text))
            if location.root_ts:
                self.poster.update(
                    location.channel,
                    location.root_ts,
                    f"<@{author}>'s Reliability Milestone is filed: {link}",
                )
            return
        if result.outcome is FilingOutcome.IN_PROGRESS:
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
                thread_ts=thread,
            )
            return
        assert result.failure is not None
        text = markdown_to_slack(result.failure.message)
        blocks = text_blocks(text)
        if result.failure.kind is not FailureKind.NOT_READY:
            blocks.append(
                ActionsBlock(
                    block_id=f"retry:{result.draft_id}",
                    elements=[
                        ButtonElement(
                            text=PlainTextObject(text="Retry filing"),
                            action_id=ACTION_FILE,
                            value=action_value(result.draft_id, None, "file"),
                            style="primary",
                        )
                    ],
                ).to_dict()
            )
        self.poster.post(location.channel, text, thread_ts=thread, blocks=blocks)


# -- the conversation, with GitHub -----------------------------------------------------------


@dataclass
class GitHubConversations(Conversations):
    """Conversations when the bot files on GitHub; see the module docstring."""

    logins: GitHubLogins | None = None
    touch_checker: FileTouchChecker | None = None

    @property
    def asks_login(self) -> bool:
        return any(q.id == ASSIGNEE for q in self.flow.questions)

    def __post_init__(self) -> None:
        if self.asks_login and self.logins is not None:
            self.checked_questions = frozenset({ASSIGNEE})

    # Hooks (see Conversations): a login is checked against GitHub before the engine sees
    # it, remembered once answered, and answered up front when known from before.

    def check_answer(self, question_id: str, text: str) -> tuple[str, str | None]:
        """A typed or edited GitHub login must be a user GitHub knows."""
        if question_id != ASSIGNEE or self.logins is None or parse_control(text) is not None:
            return text, None
        login, refusal = self._check_login(text)
        return login or text, refusal

    def _check_login(self, text: str) -> tuple[str | None, str | None]:
        """(the login to record, as GitHub spells it; or why it is refused). (None, None)
        leaves the text to the engine: a malformed login, whose parser says what to fix."""
        assert self.logins is not None
        try:
            login = parse_github_login(text)
        except InvalidAnswer:
            return None, None
        found = self.logins.lookup(login)
        if found is False:
            return None, unknown_login(login)
        return (found if isinstance(found, str) else login), None

    def after_answer(self, origin: Origin, outcome: Outcome) -> None:
        if outcome.question_id == ASSIGNEE:
            # Asked once per Slack user: a skip is remembered too (and keeps a stored login).
            with self.store.session() as s:
                known = s.people.get(origin.user)
                notified = {**(known.notified if known else {}), ASKED_KEY: True}
                s.people.save(
                    origin.user, github_login=outcome.draft.assignee or None, notified=notified
                )

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
            outcome = engine.start(self.flow, known)
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

    # `/milestone github-login NAME`

    def link_login(self, origin: Origin, name: str, respond: Respond) -> None:
        """Show, set or clear the GitHub login the author's issues are assigned to."""
        wanted = name.strip()
        with self.store.session() as s:
            known = s.people.get(origin.user)
        current = known.github_login if known else None
        usage = f"`{self.command} github-login NAME`"
        if not wanted:
            text = (
                f"Your issues are assigned to GitHub user `{current}`. Change it with {usage}, "
                f"or `{self.command} github-login none` to stop."
                if current
                else f"You haven't linked a GitHub login. Link one with {usage}."
            )
            respond(text=text, response_type="ephemeral")
            return
        if wanted.lower() in CLEAR_WORDS:
            self._store_login(origin.user, "")
            respond(
                text="Done: your issues won't be assigned to anyone. "
                f"Link a login again with {usage}.",
                response_type="ephemeral",
            )
            return
        try:
            login = parse_github_login(self._to_markdown(wanted))
        except InvalidAnswer as exc:
            respond(text=str(exc), response_type="ephemeral")
            return
        found = self.logins.lookup(login) if self.logins is not None else None
        if found is False:
            respond(text=unknown_login(login), response_type="ephemeral")
            return
        login = found if isinstance(found, str) else login
        self._store_login(origin.user, login)
        respond(
            text=(
                f"Linked: issues you file are assigned to GitHub user `{login}`. A draft that "
                "already has a login keeps it; `edit github login` in its thread changes it."
            ),
            response_type="ephemeral",
        )

    def _store_login(self, user: str, login: str) -> None:
        with self.store.session() as s:
            known = s.people.get(user)
            notified = {**(known.notified if known else {}), ASKED_KEY: True}
            s.people.save(user, github_login=login, notified=notified)

    # The preview, then the file touch plan's unknown paths.

    def after_preview(self, draft: Draft, location: Location) -> None:
        """The file touch plan's unknown paths, under the preview."""
        if self.touch_checker is None or draft.status is DraftStatus.FILED:
            return
        if not draft.file_touch_plan:
            return
        note = touch_note(self.touch_checker.check(draft.file_touch_plan))
        if note:
            text = markdown_to_slack(note)
            self.poster.post(
                location.channel, text, thread_ts=location.thread_ts, blocks=text_blocks(text)
            )


def build_conversations(
    access: GitHubAccess | None,
    *,
    store: Store,
    template: Any,
    poster: SlackPoster,
    users: UserDirectory,
    command: str,
    filer: Any = None,
    **kwargs: Any,
) -> Conversations:
    """The conversation service: with GitHub (a filer, login checks, the touch plan check)
    when `access` is given, else the plain one."""
    if access is None:
        return Conversations(
            store=store,
            template=template,
            poster=poster,
            users=users,
            command=command,
            filer=filer,
            **kwargs,
        )
    conversations = GitHubConversations(
        store=store,
        template=template,
        poster=poster,
        users=users,
        command=command,
        filer=filer,
        logins=GitHubLogins(access),
        touch_checker=FileTouchChecker(access),
        **kwargs,
    )
    if filer is None:
        service = FilingService(store, template, access)
        conversations.filer = SlackFiler(service, store, poster, users, command)
    return conversations
