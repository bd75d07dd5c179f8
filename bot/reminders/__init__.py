"""Reminders: following filed issues until their gates are settled.

Owns the digest cadence (working hours and days, the 18:00 rule), the reconcile sweep, the
digests and their controls (Done, Not applicable, Snooze, Mute), `/milestone status` and
stale-draft nudges. Where Slack meets GitHub after filing: imports `bot.slack`,
`bot.github`, `bot.storage` and `flows`; imported only by the listeners, the composition
root and the process edge.
"""
