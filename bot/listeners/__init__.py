"""Bolt listeners, grouped by kind, each a named function.

Each module registers its listeners with `register(app, services)`; a listener is a plain
function of the arguments Bolt passes (`ack`, `body`, `client`, ...) and the services, so it
can be called directly in a test. Imports the services it dispatches to (`bot.slack`,
`bot.filing`, `bot.reminders`); imported only by the composition root.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.listeners import actions, commands, events, home, shortcuts, views

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.listeners.services import Services

# Each registers its listeners with `register(app, services)`. Bolt tries listeners in
# registration order and builds each one's arguments to test it, so events (every answer in
# a thread is one) come first.
MODULES = (events, commands, actions, views, home, shortcuts)


def register_all(app: App, services: Services) -> None:
    """Every listener of every kind on `app`."""
    for module in MODULES:
        module.register(app, services)
