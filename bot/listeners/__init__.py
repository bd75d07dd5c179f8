"""Bolt listeners, grouped by kind, each a named function.

Each module registers its listeners with `register(app, services)`; a listener is a plain
function of the arguments Bolt passes (`ack`, `body`, `client`, ...) and the services, so it
can be called directly in a test. Imports the services it dispatches to (`bot.slack`,
`bot.filing`, `bot.reminders`); imported only by the composition root.
"""
