"""Slack: everything that speaks to a Slack workspace.

Owns the drafting conversation in a thread, Block Kit, the preview split to Slack limits,
Slack text <-> Markdown, posting (with the DM fallback) and the user directory (profiles,
time zones). Imports `flows`, `bot.storage`, `bot.errors`, `bot.log`, `bot.settings` and
slack_sdk; never GitHub (`bot.github`, PyGithub): where the conversation needs GitHub it is
handed a port by the composition root.
"""
