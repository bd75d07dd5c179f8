"""The author's GitHub login: asked once, checked against GitHub, remembered on the Slack
user, and linked or cleared with `/milestone github-login NAME`.

A login GitHub doesn't know is refused (UnknownGitHubUser); when GitHub can't be asked
(GitHubUnavailable) the login is taken as typed rather than block the author.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import GitHubUnavailable, UnknownGitHubUser
from bot.github.users import GitHubLogins
from bot.slack.conversation import Origin, Respond
from bot.slack.text import slack_to_markdown
from bot.slack.users import UserDirectory
from bot.storage.store import Store
from flows.errors import InvalidAnswer
from flows.questions import parse_github_login

ASSIGNEE = "assignee"  # the question id (flows.questions)
ASKED_KEY = "github_login_asked"  # users.notified: the author answered or skipped it once
CLEAR_WORDS = ("none", "clear", "remove", "-")


def checked_login(logins: GitHubLogins, login: str) -> str:
    """`login` as GitHub spells it, or as typed when GitHub can't be asked.

    Raises UnknownGitHubUser when GitHub has no such user."""
    try:
        return logins.lookup(login)
    except GitHubUnavailable:
        return login


def remember_login(store: Store, user: str, login: str | None) -> None:
    """Store the Slack user's login (None keeps the one stored) and that they were asked."""
    with store.session() as s:
        known = s.people.get(user)
        notified = {**(known.notified if known else {}), ASKED_KEY: True}
        s.people.save(user, github_login=login, notified=notified)


@dataclass
class LoginLinks:
    """`/milestone github-login [NAME]`: show, set or clear the author's GitHub login."""

    store: Store
    logins: GitHubLogins
    users: UserDirectory
    command: str = "/milestone"

    def link(self, origin: Origin, name: str, respond: Respond) -> None:
        wanted = name.strip()
        if not wanted:
            respond(text=self._current(origin.user), response_type="ephemeral")
            return
        usage = f"`{self.command} github-login NAME`"
        if wanted.lower() in CLEAR_WORDS:
            remember_login(self.store, origin.user, "")
            respond(
                text="Done: your issues won't be assigned to anyone. "
                f"Link a login again with {usage}.",
                response_type="ephemeral",
            )
            return
        try:
            login = parse_github_login(slack_to_markdown(wanted, self.users.resolve))
            login = checked_login(self.logins, login)
        except (InvalidAnswer, UnknownGitHubUser) as exc:
            respond(text=str(exc), response_type="ephemeral")
            return
        remember_login(self.store, origin.user, login)
        respond(
            text=(
                f"Linked: issues you file are assigned to GitHub user `{login}`. A draft that "
                "already has a login keeps it; `edit github login` in its thread changes it."
            ),
            response_type="ephemeral",
        )

    def _current(self, user: str) -> str:
        with self.store.session() as s:
            known = s.people.get(user)
        current = known.github_login if known else None
        usage = f"`{self.command} github-login NAME`"
        if current:
            return (
                f"Your issues are assigned to GitHub user `{current}`. Change it with {usage}, "
                f"or `{self.command} github-login none` to stop."
            )
        return f"You haven't linked a GitHub login. Link one with {usage}."
