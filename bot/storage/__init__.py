"""Storage: the SQLite file and everything kept in it.

Owns the database (opening, WAL, the writer lock, migrations), draft ids and the stores of
drafts and their journal, Slack and GitHub deliveries already handled, people, filings,
tracked issues and digests, with their row mapping. Imports `flows` (the domain types it
stores), `bot.errors` and `bot.log`; never Slack, GitHub, the listeners or the process edge.
"""
