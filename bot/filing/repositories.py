"""`/milestone repo [owner/name]`: which repository a channel drafts for, and its template.

Without a name it says the channel's repository (or GITHUB_REPOSITORY, the default), the
template new drafts get there and whether it is the repository's own file or the bundled
one. With a name it checks the repository on GitHub first (bot.github.repositories), then
sets it; the people in MILESTONE_ADMINS may do that, or with the setting empty anyone in the
channel. The change is announced in the channel. Drafts already started keep their
repository and template; new ones use the channel's.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import GitHubUnavailable
from bot.github.client import GitHubAccess
from bot.github.repositories import RepositoryRefused, check_repository, repository_name
from bot.github.templates import Resolution, TemplateSource
from bot.log import get_logger
from bot.slack.origin import Origin, Respond
from bot.slack.poster import SlackPoster
from bot.storage.store import Store

log = get_logger()


@dataclass
class ChannelRepositoryService:
    store: Store
    templates: TemplateSource
    github: GitHubAccess | None
    poster: SlackPoster
    default_repository: str | None
    admins: frozenset[str]
    command: str = "/milestone"

    def repository_for(self, channel: str | None) -> str | None:
        """The repository a new draft in `channel` files to."""
        with self.store.session(readonly=True) as s:
            return s.channels.repository(channel, self.default_repository)

    def answer(self, origin: Origin, text: str, respond: Respond) -> None:
        """Show the channel's repository (no text) or set it to `text`."""
        reply = self.change(origin, text) if text.strip() else self.describe(origin.channel)
        respond(text=reply, response_type="ephemeral")

    def describe(self, channel: str) -> str:
        with self.store.session(readonly=True) as s:
            record = s.channels.get(channel)
        if record is None and not self.default_repository:
            return (
                "This channel drafts with the bundled template and files nowhere: set a "
                f"repository with `{self.command} repo owner/name`."
            )
        if record is not None:
            repository = record.repository
            whose = f"set by <@{record.set_by}> on {record.set_at:%Y-%m-%d}"
        else:
            repository = self.default_repository or ""
            whose = f"the default; `{self.command} repo owner/name` changes it"
        template = self._template_line(repository)
        return f"This channel drafts for *{repository}* ({whose}). {template}"

    def _template_line(self, repository: str) -> str:
        found = self.templates.resolve(repository)
        if found.from_repository:
            return (
                f"Template: `{found.version.path}` from {repository} "
                f"(version {found.version.short_sha})."
            )
        if self.templates.override:
            return f"Template: `{found.version.path}` (TEMPLATE_PATH, for every repository)."
        if found.problem is not None:
            return f"Template: the bundled one. {found.problem.line()}"
        return "Template: the bundled one."

    def change(self, origin: Origin, text: str) -> str:
        usage = f"`{self.command} repo owner/name`, such as `{self.command} repo acme/payments`"
        wanted = repository_name(text)
        if wanted is None:
            return f"`{text.strip()}` isn't a repository name: {usage}."
        if self.admins and origin.user not in self.admins:
            people = ", ".join(f"<@{user}>" for user in sorted(self.admins))
            return f"Only MILESTONE_ADMINS can change this channel's repository; ask {people}."
        if self.github is None:
            return (
                "This bot doesn't file on GitHub (set GITHUB_TOKEN or the GitHub App), so a "
                "channel's repository can't be set."
            )
        try:
            info = check_repository(self.github, wanted)
        except (RepositoryRefused, GitHubUnavailable) as exc:
            return f"{exc} This channel still drafts for {self.repository_for(origin.channel)}."
        with self.store.session() as s:
            s.channels.set(origin.channel, info.full_name, origin.user)
        log.info(
            "channel.repository_set",
            channel=origin.channel,
            repository=info.full_name,
            user=origin.user,
        )
        found = self.templates.resolve(info.full_name)
        template = self._template_line(info.full_name)
        reply = f"This channel now drafts for *{info.full_name}*. {template}"
        error = self._announce(origin, info.full_name, found)
        if error:
            reply += (
                f" I couldn't say so in the channel ({error}): `/invite` the bot there so "
                "everyone sees changes like this."
            )
        return reply

    def _announce(self, origin: Origin, repository: str, found: Resolution) -> str:
        """Tell the channel; Slack's error when it can't be told."""
        template = "its own template" if found.from_repository else "the bundled template"
        text = (
            f"<@{origin.user}> set this channel to draft for *{repository}*, with {template}. "
            "Drafts already started keep theirs."
        )
        _, error = self.poster.post_or_error(origin.channel, text)
        if error:
            log.warning("channel.announce_failed", channel=origin.channel, reason=error)
        return error
