"""The database schema, as the steps that build it.

Each step is a sqlite-utils migration; a database is at version N when the first N steps
are applied, and `meta.schema_version` says so in a way a newer or older milestone-bot can
read before touching anything. Steps are never edited once released: a change is a new
step at the end. Tests build databases with the same steps.

The steps are listed here without sqlite-utils, whose import is a quarter of a command
line's start: a database already at this version is checked (`SCHEMA_VERSION`, `STEPS`,
`MIGRATION_SET`, `MIGRATIONS_TABLE`) and used without it, and `migrations()` builds
sqlite-utils' `Migrations` when there is something to apply.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database, Migrations

MIGRATION_SET = "milestone-bot"
# Where sqlite-utils records the steps applied (`Migrations.migrations_table`).
MIGRATIONS_TABLE = "_sqlite_migrations"
STEPS: list[str] = []  # migration names, in order; version N = the first N applied

Step = Callable[["Database"], None]
_RUNS: list[Step] = []  # each step, then the version it brings the schema to recorded


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
    _RUNS.append(run)
    return fn


@functools.cache
def migrations() -> Migrations:
    """sqlite-utils' migration set of every step, built on first use."""
    from sqlite_utils import Migrations

    if Migrations.migrations_table != MIGRATIONS_TABLE:
        raise RuntimeError(
            f"sqlite-utils records migrations in {Migrations.migrations_table}, "
            f"not {MIGRATIONS_TABLE}: a database checked against the one would miss the other"
        )
    steps = Migrations(MIGRATION_SET)
    for run in _RUNS:
        steps(name=run.__name__)(run)
    return steps


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


@_step
def m004_filings(db: Database) -> None:
    # One row per draft being or having been filed: the lease that lets exactly one process
    # (or thread) talk to GitHub for it at a time, and what came of it.
    db.execute(
        """
        CREATE TABLE filings (
            draft_id TEXT PRIMARY KEY REFERENCES drafts (id),
            state TEXT NOT NULL,
            owner TEXT,
            lease_until TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            issue_number INTEGER,
            issue_url TEXT,
            updated_at TEXT NOT NULL
        )
        """
    )
    # Every step of every filing attempt, with GitHub's request id: append-only, like the
    # journal, so a failure can be traced to GitHub's own logs.
    db.execute(
        """
        CREATE TABLE filing_attempts (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            draft_id TEXT NOT NULL REFERENCES drafts (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            source TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            event TEXT NOT NULL,
            status INTEGER,
            request_id TEXT,
            detail TEXT,
            issue_number INTEGER
        )
        """
    )
    db.execute("CREATE INDEX filing_attempts_by_draft ON filing_attempts (draft_id, seq)")
    db.execute(
        "CREATE TRIGGER filing_attempts_no_update BEFORE UPDATE ON filing_attempts "
        "BEGIN SELECT RAISE(ABORT, 'filing attempts are append-only'); END"
    )
    db.execute(
        "CREATE TRIGGER filing_attempts_no_delete BEFORE DELETE ON filing_attempts "
        "BEGIN SELECT RAISE(ABORT, 'filing attempts are append-only'); END"
    )


@_step
def m005_gate_reminders(db: Database) -> None:
    # Filed issues the bot follows, and the last gate state it saw on GitHub (GitHub is the
    # authority; this is a cache with when and where each state was seen).
    db.execute(
        """
        CREATE TABLE tracked_issues (
            draft_id TEXT PRIMARY KEY,
            repository TEXT NOT NULL COLLATE NOCASE,
            number INTEGER NOT NULL,
            author TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            etag TEXT,
            body_hash TEXT,
            gates TEXT NOT NULL DEFAULT '{}',
            state TEXT NOT NULL DEFAULT 'open',
            remote_updated_at TEXT,
            seen_at TEXT,
            seen_from TEXT,
            verified_at TEXT,
            filed_at TEXT NOT NULL,
            last_change_at TEXT NOT NULL,
            last_digest_at TEXT,
            muted INTEGER NOT NULL DEFAULT 0,
            snoozed_until TEXT,
            digests_without_change INTEGER NOT NULL DEFAULT 0,
            thread_note_sent INTEGER NOT NULL DEFAULT 0,
            UNIQUE (repository, number)
        )
        """
    )
    db.execute("CREATE INDEX tracked_by_author ON tracked_issues (author, state)")
    db.execute("CREATE INDEX tracked_by_verified ON tracked_issues (state, verified_at)")
    # One row per author and window, claimed (INSERT on the unique key) before anything is
    # sent: at most one digest per window whatever runs at once or restarts.
    db.execute(
        """
        CREATE TABLE digests (
            window_key TEXT PRIMARY KEY,
            author TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            claimed_at TEXT NOT NULL,
            sent_at TEXT,
            channel TEXT,
            ts TEXT,
            issues TEXT NOT NULL DEFAULT '[]',
            error TEXT
        )
        """
    )
    db.execute("CREATE INDEX digests_by_author ON digests (author, claimed_at)")
    # Where the listing of each repository's recently updated issues stands: the `since`
    # watermark and the ETag of that listing's first page (a 304 costs no rate limit).
    db.execute(
        """
        CREATE TABLE issue_cursors (
            repository TEXT PRIMARY KEY COLLATE NOCASE,
            since TEXT,
            etag TEXT,
            checked_at TEXT
        )
        """
    )


@_step
def m006_home_tabs(db: Database) -> None:
    # Who opened the App Home and what was last published there (its hash, so an unchanged
    # Home is not published again), and the channel each person last chose to draft in.
    db.execute(
        """
        CREATE TABLE home_tabs (
            user_id TEXT PRIMARY KEY,
            opened_at TEXT NOT NULL,
            published_at TEXT,
            view_hash TEXT,
            last_channel TEXT
        )
        """
    )
    # The permalink of each draft's thread, for the Home's Resume links (asked of Slack once).
    db.execute(
        """
        CREATE TABLE thread_links (
            draft_id TEXT PRIMARY KEY,
            channel TEXT NOT NULL,
            thread_ts TEXT NOT NULL,
            permalink TEXT NOT NULL
        )
        """
    )


@_step
def m007_pull_request_evidence(db: Database) -> None:
    # Pull requests linked to tracked issues as GitHub last showed them; `files` and
    # `checks` belong to the merge commit `files_sha` and are written with it, never alone.
    db.execute(
        """
        CREATE TABLE pull_requests (
            repository TEXT NOT NULL COLLATE NOCASE,
            number INTEGER NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            url TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            merge_sha TEXT,
            fork INTEGER NOT NULL DEFAULT 0,
            reverts TEXT,
            files TEXT NOT NULL DEFAULT '[]',
            files_capped INTEGER NOT NULL DEFAULT 0,
            files_sha TEXT,
            checks TEXT NOT NULL DEFAULT '[]',
            checks_final INTEGER NOT NULL DEFAULT 0,
            checks_read_at TEXT,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (repository, number)
        )
        """
    )
    db.execute("CREATE INDEX pull_requests_by_merge ON pull_requests (repository, merge_sha)")
    # Which pull request serves which milestone (many to many), and how it was found.
    db.execute(
        """
        CREATE TABLE pull_links (
            draft_id TEXT NOT NULL,
            repository TEXT NOT NULL COLLATE NOCASE,
            number INTEGER NOT NULL,
            via TEXT NOT NULL,
            linked_at TEXT NOT NULL,
            PRIMARY KEY (draft_id, repository, number)
        )
        """
    )
    db.execute("CREATE INDEX pull_links_by_pull ON pull_links (repository, number)")
    # Where each repository's listing of recently updated pull requests stands.
    db.execute(
        """
        CREATE TABLE pull_cursors (
            repository TEXT PRIMARY KEY COLLATE NOCASE,
            since TEXT,
            etag TEXT,
            checked_at TEXT
        )
        """
    )
    # Per milestone: its timeline's ETag, the plan-drift message (sent once), the evidence
    # last seen per gate (logged when new) and gates ticked automatically (told in a digest).
    db.execute(
        """
        CREATE TABLE evidence_state (
            draft_id TEXT PRIMARY KEY,
            timeline_etag TEXT,
            timeline_checked_at TEXT,
            drift_sent_at TEXT,
            found TEXT NOT NULL DEFAULT '{}',
            auto_ticked TEXT NOT NULL DEFAULT '[]'
        )
        """
    )


@_step
def m008_repositories_and_templates(db: Database) -> None:
    # The repository each channel drafts for; a channel without a row uses GITHUB_REPOSITORY.
    db.execute(
        """
        CREATE TABLE channel_repositories (
            channel TEXT PRIMARY KEY,
            repository TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        )
        """
    )
    # Template versions drafts started with, by git blob sha, so a draft renders as it
    # started whatever the repository's file becomes ('' repository: bundled or configured).
    db.execute(
        """
        CREATE TABLE template_versions (
            sha TEXT NOT NULL,
            repository TEXT NOT NULL DEFAULT '' COLLATE NOCASE,
            path TEXT NOT NULL,
            content TEXT NOT NULL,
            first_used_at TEXT NOT NULL,
            PRIMARY KEY (sha, repository)
        )
        """
    )


SCHEMA_VERSION = len(STEPS)
