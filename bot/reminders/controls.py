"""A digest's gate controls, from the value a button or the reason modal carries to GitHub.

The digest's Done and the Not applicable modal both end here: which gate the value names
(by its hash, so a renamed template gate is noticed), whether GitHub is set up, and
Reminders.settle's careful edit. A failure ends as a `Settled` whose message says what to do.
"""

from __future__ import annotations

from typing import Any

from bot.errors import GitHubUnavailable
from bot.github.client import GitHubAccess
from bot.github.repository_issues import RepositoryIssues
from bot.log import get_logger
from bot.reminders.blocks import gate_by_hash
from bot.reminders.digests import Reminders, Settled
from flows.draft import GateState

log = get_logger()

NO_GITHUB = (
    "GitHub isn't set up on this bot (GITHUB_TOKEN and GITHUB_REPOSITORY); tick it on GitHub."
)


def settle_gate(
    reminders: Reminders,
    github: GitHubAccess | None,
    user: str,
    value: dict[str, Any],
    state: GateState,
) -> Settled:
    """Settle the gate `value` names (its draft `d`, its gate hash `g`) as `state`."""
    template = reminders.template_of(str(value.get("d", "")))
    label = gate_by_hash(template, str(value.get("g", "")))
    if label is None:
        return Settled(False, "That gate is no longer in the template; tick it on GitHub.")
    if github is None:
        return Settled(False, NO_GITHUB)
    try:
        return reminders.settle(
            user, str(value.get("d", "")), label, state, RepositoryIssues(github)
        )
    except GitHubUnavailable as exc:
        log.warning("gate.settle_failed", reason=str(exc))
        return Settled(False, f"GitHub didn't take the change ({exc}); try again in a minute.")
