"""The database schema, as the steps that build it.

Each step is a sqlite-utils migration; a database is at version N when the first N steps
are applied, and `meta.schema_version` says so in a way a newer or older milestone-bot can
read before touching anything. Steps are never edited once released: a change is a new
step at the end. Tests build databases with the same steps.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database, Migrations

MIGRATIONS = Migrations("milestone-bot")
STEPS: list[str] = []  # migration names, in order; version N = the first N applied

Step = Callable[[Database], None]


def _step(fn: Step) -> Step:
    """Register `fn` as the next step; it also records the version it brings the schema to."""
    STEPS.append(fn.__name__)
    version = len(STEPS)

    def run(db: Database) -> None:
        fn(db)
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [str(version)],
        )

    run.__name__ = fn.__name__
    MIGRATIONS(name=fn.__name__)(run)
    return fn


@_step
def m001_drafts_and_journal(db: Database) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    # The drafts row is a cache of the journal's fold; `data` is the whole Draft as JSON and
    # the other columns are copies for lookups and listings.
    db.execute(
        """
        CREATE TABLE drafts (
            id TEXT PRIMARY KEY,
            author TEXT NOT NULL,
            team TEXT,
            channel TEXT,
            thread_ts TEXT,
            root_ts TEXT,
            status TEXT NOT NULL,
            title TEXT NOT NULL,
            answered INTEGER NOT NULL,
            total INTEGER,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            issue_number INTEGER,
            issue_url TEXT
        )
        """
    )
    db.execute("CREATE INDEX drafts_by_thread ON drafts (team, channel, thread_ts)")
    db.execute("CREATE INDEX drafts_by_author ON drafts (author, updated_at)")
    db.execute(
        """
        CREATE TABLE journal (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            draft_id TEXT NOT NULL REFERENCES drafts (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            source TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            input TEXT,
            changes TEXT NOT NULL,
            question_id TEXT
        )
        """
    )
    db.execute("CREATE INDEX journal_by_draft ON journal (draft_id, seq)")
    # Append-only, enforced where no code path can skip it.
    db.execute(
        "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
        "BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END"
    )


@_step
def m002_delivery_dedup(db: Database) -> None:
    # Keys of deliveries already handled, so a retried Slack event or GitHub webhook is
    # ignored even across a restart.
    db.execute(
        """
        CREATE TABLE processed (
            key TEXT PRIMARY KEY,
            draft_id TEXT,
            at TEXT NOT NULL
        )
        """
    )
    # Which Slack message answered which question, so an edited message updates its answer.
    db.execute(
        """
        CREATE TABLE message_answers (
            channel TEXT NOT NULL,
            ts TEXT NOT NULL,
            draft_id TEXT NOT NULL REFERENCES drafts (id),
            question_id TEXT NOT NULL,
            PRIMARY KEY (channel, ts)
        )
        """
    )


@_step
def m003_users(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE users (
            slack_user_id TEXT PRIMARY KEY,
            github_login TEXT,
            tz TEXT,
            display_name TEXT,
            notified TEXT NOT NULL DEFAULT '{}'
        )
        """
    )


SCHEMA_VERSION = len(STEPS)
