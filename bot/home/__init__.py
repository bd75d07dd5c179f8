"""The App Home: one person's drafts in progress, their filed issues with the gates still open
(with the digest's own controls), and their recently closed issues; kept up to date.

Owns the Home's composition (view.py), what it reads for one person (data.py), publishing
it with views.publish and the debounced republish (publisher.py), and the Home-only
control, Snooze for one issue (controls.py). Its layer is just above bot.filing and
bot.reminders: it may import bot.reminders (the digest's per-gate controls, tracking),
bot.slack, bot.storage, the shared basics and flows; only bot.listeners, bot.app and
bot.runtime import it.
"""
