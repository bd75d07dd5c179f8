"""The Home's controls: Snooze for one issue (a digest snoozes all it lists), and the
digest's own controls (Done, Not applicable, Mute) reporting on the Home.

Those are handled by the digest's listeners; Snooze follows the same rule: only the issue's
author acts on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.log import get_logger
from bot.reminders.blocks import issue_link
from bot.reminders.digests import Reminders
from bot.storage.store import Store
from flows import tracking

log = get_logger()

HOME_WINDOW = "home:"  # the window key of a control on someone's App Home: home:<user id>


class HomeReminders(Reminders):
    """The digest's controls, clickable on the App Home too. A control there carries the
    window key `home:<user>`: there is no digest message to rewrite, so what it did is said
    on that person's Home (`home_note`, the Home publisher's `notify`)."""

    home_note: Callable[[str, str], None] | None = None

    def refresh_message(self, channel: str, ts: str, window_key: str, note: str) -> None:
        if not window_key.startswith(HOME_WINDOW):
            super().refresh_message(channel, ts, window_key, note)
        elif self.home_note is not None:
            self.home_note(window_key.removeprefix(HOME_WINDOW), note)


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
