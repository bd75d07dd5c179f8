"""The slash command (`/milestone` unless SLACK_COMMAND renames it) and its subcommands.

`milestone_command` acks, reads who and where, and hands the rest of the text to the
subcommand named by its first word; a word it doesn't know gets the help, with the line that
would start a draft with that title.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.errors import NotDraftAuthor, UnknownDraft
from bot.filing.templates import RepositoryTemplates
from bot.listeners.binding import bound
from bot.listeners.replies import refusal
from bot.log import get_logger
from bot.reminders.status import status_reply
from bot.slack.conversation import Origin

if TYPE_CHECKING:
    from bot.listeners.services import Services

log = get_logger()

NO_GITHUB_LOGIN = "This bot doesn't file on GitHub, so there's no login to link."
NO_GITHUB_REPOSITORY = "This bot doesn't file on GitHub, so a channel has no repository to set."


def register(app: App, services: Services) -> None:
    app.command(services.settings.slack_command)(bound(milestone_command, services))


def help_text(command: str) -> str:
    return "\n".join(
        [
            f"*{command}* drafts a Reliability Milestone issue with you, one section at a time, "
            "in a thread.",
            f"• `{command} new [title]` start a draft (plain `{command}` does too)",
            f"• `{command} drafts` your drafts, with Resume buttons",
            f"• `{command} resume ID` pick a draft up where you left it",
            f"• `{command} cancel ID` cancel a draft (resume brings it back)",
            f"• `{command} status` your filed issues and the gates still left on them",
            f"• `{command} github-login NAME` the GitHub login your issues are assigned to",
            f"• `{command} repo [owner/name]` the repository this channel drafts for, or set it",
            f"• `{command} rebase ID` move a draft onto its repository's current template",
            f"• `{command} help` this message",
            "In the thread, answer each question with one message. You can also type `back`, "
            "`skip`, `none` (no answer), `preview`, `edit <section>`, `file`, `cancel` or "
            "`help`, each as a message of its own.",
        ]
    )


def command_origin(command: dict[str, Any]) -> Origin:
    return Origin(
        team=command.get("team_id", ""),
        user=command["user_id"],
        channel=command["channel_id"],
        correlation_id=command.get("trigger_id", ""),
    )


def milestone_command(
    ack: Ack, command: dict[str, Any], respond: Respond, *, services: Services
) -> None:
    """`/milestone [subcommand] [rest]`: one subcommand, answered to the author alone."""
    ack()
    text = (command.get("text") or "").strip()
    word, _, rest = text.partition(" ")
    word = word.lower()
    origin = command_origin(command)
    log.info(
        "command.received",
        subcommand=word or "new",
        user=origin.user,
        channel=origin.channel,
        team=origin.team,
        correlation_id=origin.correlation_id,
    )
    subcommand = SUBCOMMANDS.get(word, unknown_word)
    try:
        subcommand(Asked(origin, word, rest.strip(), text), respond, services)
    except (UnknownDraft, NotDraftAuthor) as exc:
        respond(text=refusal(exc, services.settings.slack_command), response_type="ephemeral")


@dataclass(frozen=True)
class Asked:
    """What the author typed after the command: the subcommand's word, the rest, the whole."""

    origin: Origin
    word: str
    rest: str
    text: str


def new_draft(asked: Asked, respond: Respond, services: Services) -> None:
    services.conversations.start(asked.origin, asked.rest, respond)


def list_drafts(asked: Asked, respond: Respond, services: Services) -> None:
    blocks = services.conversations.drafts_blocks(asked.origin.user)
    respond(blocks=blocks, text="Your drafts", response_type="ephemeral")


def resume_draft(asked: Asked, respond: Respond, services: Services) -> None:
    if not asked.rest:
        which_draft(asked, respond, services)
        return
    services.conversations.resume(asked.origin, asked.rest, respond)


def cancel_draft(asked: Asked, respond: Respond, services: Services) -> None:
    if not asked.rest:
        which_draft(asked, respond, services)
        return
    services.conversations.cancel(asked.origin, asked.rest, respond)


def which_draft(asked: Asked, respond: Respond, services: Services) -> None:
    command = services.settings.slack_command
    respond(
        text=f"Which draft? `{command} {asked.word} ID` (`{command} drafts` lists them).",
        response_type="ephemeral",
    )


def github_login(asked: Asked, respond: Respond, services: Services) -> None:
    if services.login_links is None:
        respond(text=NO_GITHUB_LOGIN, response_type="ephemeral")
        return
    services.login_links.link(asked.origin, asked.rest, respond)


def gate_status(asked: Asked, respond: Respond, services: Services) -> None:
    text, blocks = status_reply(
        services.store,
        services.template,
        asked.origin.user,
        services.settings.github_repository,
        services.draft_templates,
    )
    respond(text=text, blocks=blocks, response_type="ephemeral")


def channel_repository(asked: Asked, respond: Respond, services: Services) -> None:
    """`repo [owner/name]`: the channel's repository and template, or set it."""
    if services.repositories is None:
        respond(text=NO_GITHUB_REPOSITORY, response_type="ephemeral")
        return
    services.repositories.answer(asked.origin, asked.rest, respond)


def rebase_draft(asked: Asked, respond: Respond, services: Services) -> None:
    """`rebase ID`: the draft moves onto its repository's current template."""
    if not asked.rest:
        which_draft(asked, respond, services)
        return
    if not isinstance(services.conversations, RepositoryTemplates):
        respond(text=NO_GITHUB_REPOSITORY, response_type="ephemeral")
        return
    services.conversations.rebase(asked.origin, asked.rest, respond)


def unknown_word(asked: Asked, respond: Respond, services: Services) -> None:
    """`help`, or a word the command doesn't know: the help, led by how to use it as a title."""
    command = services.settings.slack_command
    lead = (
        ""
        if asked.word == "help"
        else (
            f"I don't know `{asked.word}`. To start a draft with that title: "
            f"`{command} new {asked.text}`\n\n"
        )
    )
    respond(text=lead + help_text(command), response_type="ephemeral")


Subcommand = Callable[[Asked, Respond, "Services"], None]

SUBCOMMANDS: dict[str, Subcommand] = {
    "": new_draft,
    "new": new_draft,
    "drafts": list_drafts,
    "resume": resume_draft,
    "cancel": cancel_draft,
    "github-login": github_login,
    "status": gate_status,
    "repo": channel_repository,
    "rebase": rebase_draft,
    "help": unknown_word,
}
