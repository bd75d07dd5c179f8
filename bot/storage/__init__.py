"""Storage: the SQLite file and everything kept in it.

Owns the database (database.py: opening, pragmas, WAL, the writer lock, the schema check,
migrations.py, transactions), draft ids (ids.py) and one store per thing kept, each a small
class over the unit of work's transaction, with its records and row mapping beside it:
drafts.py (drafts, their journal, where their conversations live, which message answered
what), deliveries.py (deliveries already handled), people.py (Slack users), filings.py (the
filing lease and attempts), tracked.py (tracked issues, listing cursors), digests.py,
home.py (the App Home's state).
store.py holds `Store` (the file) and `Session` (a unit of work: `with store.session() as
s:`, one transaction, committed at the end, rolled back on any exception), whose attributes
are those stores: `s.drafts.get(id)`, `s.deliveries.claim(key)`, `s.people.get(user)`,
`s.filings.claim(...)`, `s.tracked.get(draft_id)`, `s.digests.claim(...)`, `s.home`.

To keep something new: add the table as a new step at the end of migrations.py (never edit
a released step), write one module here with its records and a class whose constructor
takes the `database.Transaction` (its `db`, `now` and `path`), and add one attribute for it
in `Session.__init__` in store.py. `db.execute` runs a statement on the connection;
`db.table(name)` is sqlite-utils' table, imported on first use so that a read-only command
starts without it.

Imports `flows` (the domain types it stores), `bot.errors` and `bot.log`; never Slack,
GitHub, the listeners or the process edge.
"""
