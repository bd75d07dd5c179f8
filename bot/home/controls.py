"""The Home's one control of its own: Snooze for one issue (a digest snoozes all it lists).

Done, Not applicable and Mute on the Home are the digest's controls, handled by its
listeners; this one follows the same rule: only the issue's author acts on it.
"""

from __future__ import annotations

from datetime import timedelta

from bot.log import get_logger
from bot.reminders.blocks import issue_link
from bot.storage.store import Store
from flows import tracking

log = get_logger()


def snooze_issue(store: Store, user: str, draft_id: str, days: int) -> str:
    """Hide one issue from the digests for `days`; what to tell the person."""
    with store.session() as s:
        issue = s.tracked.get(draft_id)
        if issue is None:
            return "I don't follow that issue any more."
        if issue.author != user:
            return f"Only <@{issue.author}> can snooze reminders for {issue_link(issue)}."
        until = s.now + timedelta(days=days)
        s.tracked.save(tracking.snooze(issue, until))
    log.info("issue.snoozed", user=user, draft_id=draft_id, days=days)
    span = "a day" if days == 1 else f"{days} days"
    return f"Snoozed {issue_link(issue)} for {span}: no reminders for it until then."
