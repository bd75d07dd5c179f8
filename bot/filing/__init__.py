"""Filing: a draft becomes exactly one GitHub issue, from Slack or the terminal.

Owns filing exactly once (the marker, the lease, reconciling after an ambiguous outcome),
the Slack side of filing (the File button, the link, Retry) and the GitHub-aware drafting
conversation (the login question checked against GitHub, the touch plan under the preview).
Where Slack meets GitHub for filing: imports `bot.slack`, `bot.github`, `bot.storage` and
`flows`; imported only by the listeners, the composition root and the process edge.
"""
