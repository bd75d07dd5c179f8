"""The SQLite file: opening it, its pragmas, WAL, the schema check, migrations, transactions.

A transaction here is the whole of a unit of work: `BEGIN IMMEDIATE` on the process's one
writing connection, taken in turn by Bolt's listener threads, so concurrent writers queue
instead of failing half-way (a read runs on its thread's own connection); commit on
success, rollback on any exception. SQLite's failures reach people as `StoreError`s with a reason.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import (
    DatabaseCorrupt,
    DatabaseUnreadable,
    LocalFileError,
    SchemaTooNew,
    StoreError,
)
from bot.storage.migrations import (
    MIGRATION_SET,
    MIGRATIONS_TABLE,
    SCHEMA_VERSION,
    STEPS,
    migrations,
)

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.db import Table

DEFAULT_PATH = Path("data/milestones.db")
# How sqlite_utils wraps our connections: no plugins, and the pragma it would run per wrap is
# set once per connection by `DatabaseFile._connect`.
_WRAPPER: dict[str, Any] = {"execute_plugins": False, "recursive_triggers": False}
BUSY_TIMEOUT_MS = 5000

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """A time as stored: UTC with fixed precision, so that the text sorts as the time does."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def iso_or_none(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def parse_time(value: str | None) -> datetime | None:
    """GitHub's `2026-12-01T10:05:00Z`, or the store's ISO text; None stays None."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Statements:
    """One connection's statements, and its tables through sqlite-utils for the few writes
    that use them. sqlite-utils is imported, and its wrapper built, on the first `table`:
    its import is a quarter of a command line's start, and a read never needs it."""

    __slots__ = ("_utils", "conn")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._utils: Database | None = None

    def execute(
        self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] = ()
    ) -> sqlite3.Cursor:
        """One statement on the connection, as sqlite-utils' `Database.execute` runs it."""
        return self.conn.execute(sql, parameters)

    def table(self, name: str) -> Table:
        return self.utils().table(name)

    def utils(self) -> Database:
        """sqlite-utils' wrapper of the connection."""
        if self._utils is None:
            from sqlite_utils import Database

            self._utils = Database(self.conn, **_WRAPPER)
        return self._utils


@dataclass(frozen=True)
class Transaction:
    """What a repository works through: one connection inside one transaction, and the one
    instant the whole unit of work takes as now."""

    db: Statements
    now: datetime
    path: Path


# SQLite result codes (Python 3.11's sqlite_errorname) and what they mean to a person.
_CORRUPT_CODES = ("SQLITE_NOTADB", "SQLITE_CORRUPT")
_UNREADABLE_CODES = (
    "SQLITE_CANTOPEN",
    "SQLITE_READONLY",
    "SQLITE_IOERR",
    "SQLITE_PERM",
    "SQLITE_AUTH",
    "SQLITE_FULL",
)
_BUSY_CODES = ("SQLITE_BUSY", "SQLITE_LOCKED")


def _translate(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The StoreError a person should see for a SQLite failure; None for a programming error."""
    code = getattr(exc, "sqlite_errorname", "") or ""
    if code.startswith(_CORRUPT_CODES):
        return DatabaseCorrupt(
            f"{path} is damaged or not a SQLite database ({exc}); "
            "restore it from a backup or use another path"
        )
    if code.startswith(_UNREADABLE_CODES):
        return DatabaseUnreadable(
            f"cannot use the database {path} ({exc}); check the path and its permissions"
        )
    if code.startswith(_BUSY_CODES):
        return StoreError(f"the database {path} is busy in another process; try again")
    return None


@contextmanager
def _translated(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        error = _translate(exc, path)
        if error is None:
            raise
        raise error from exc


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (it stays so); done once, when the file is new or was not WAL."""
    if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        return
    # SQLite answers BUSY at once, without its busy handler, when another process is in the
    # middle of creating the file: waiting could deadlock. So step back and retry, bounded.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            busy = (getattr(exc, "sqlite_errorname", "") or "").startswith(_BUSY_CODES)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)


class DatabaseFile:
    """The database file. Construction creates or migrates it, or refuses it with a reason."""

    def __init__(self, path: Path, *, clock: Clock) -> None:
        self.path = path
        self._writer = threading.Lock()
        self._readers = threading.local()
        self._shared: tuple[int, tuple[sqlite3.Connection, Statements]] | None = None
        self._clock = clock
        self._prepare()

    @contextmanager
    def transaction(self, *, readonly: bool = False) -> Iterator[Transaction]:
        """One transaction: committed when the block ends, rolled back if it raises.

        Writers in this process queue on a lock before `BEGIN IMMEDIATE`: SQLite's busy
        handler backs off in sleeps of up to 100 ms, so threads racing for the write lock
        inside SQLite are served unfairly and one answer can wait half a second. Other
        processes still meet the busy timeout. A `readonly` transaction takes no write lock.
        """
        if readonly:
            with self._open(begin="BEGIN") as tx:
                yield tx
            return
        if not self._writer.acquire(timeout=BUSY_TIMEOUT_MS / 1000):
            raise StoreError(f"the database {self.path} is busy; try again")
        try:
            with self._open(begin="BEGIN IMMEDIATE") as tx:
                yield tx
        finally:
            self._writer.release()

    @contextmanager
    def _open(self, *, begin: str) -> Iterator[Transaction]:
        now = self._now()
        readonly = begin == "BEGIN"
        conn, db = self._reader() if readonly else self._writer_connection()
        healthy = False
        try:
            with _translated(self.path):
                conn.execute(begin)
                try:
                    yield Transaction(db, now, self.path)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            healthy = True
        finally:
            if not healthy:
                # After a failure the connection may be in any state: start the next unit of
                # work on a fresh one.
                self._forget(readonly)
                conn.close()

    def _reader(self) -> tuple[sqlite3.Connection, Statements]:
        """This thread's connection for reading (`PRAGMA query_only`), kept between units of
        work: opening and closing one per unit of work costs more than the work (the last
        close checkpoints the WAL). Readers run side by side, so each thread has its own; after
        a fork (gunicorn) the parent's are left alone and new ones made."""
        local = self._readers
        if getattr(local, "pid", None) != os.getpid() or local.kept is None:
            local.pid, local.kept = os.getpid(), _wrapped(self._connect(query_only=True))
        return local.kept  # type: ignore[no-any-return]

    def _writer_connection(self) -> tuple[sqlite3.Connection, Statements]:
        """The process's one connection for writing, used only under `_writer`.

        Writers take turns anyway, and a connection drops its whole page cache when it finds
        that another connection changed the file: with a writer per thread, nearly every
        answer started cold. One writer, shared by the threads in turn, keeps its cache.
        """
        pid = os.getpid()
        if self._shared is None or self._shared[0] != pid:
            self._shared = (pid, _wrapped(self._connect(shared=True)))
        return self._shared[1]

    def _forget(self, readonly: bool) -> None:
        if readonly:
            self._readers.kept = None
        else:
            self._shared = None

    def backup(self, target: str | Path) -> Path:
        """A consistent copy of the live database at `target`, by SQLite's online backup.

        The bot can keep running: the copy is one snapshot, including what is still in the
        WAL file, which copying the file with `cp` would miss.
        """
        destination = Path(target)
        if destination.exists():
            raise LocalFileError(f"{destination} exists; give a new file name for the backup")
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LocalFileError(f"cannot create {destination.parent} ({exc.strerror})") from exc
        source = self._connect()
        try:
            with _translated(self.path):
                copy = sqlite3.connect(destination)
                try:
                    source.backup(copy)
                finally:
                    copy.close()
        finally:
            source.close()
        return destination

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the store's clock must return an aware datetime")
        return now.astimezone(UTC)

    def _connect(self, *, query_only: bool = False, shared: bool = False) -> sqlite3.Connection:
        """A connection with our pragmas; a `shared` one may be used by any thread, one at a
        time (the caller's lock sees to that)."""
        # isolation_level=None: transactions are exactly the BEGIN/COMMIT written here.
        try:
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=not shared,
            )
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) or exc from exc
        try:
            with _translated(self.path):
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                conn.execute("PRAGMA foreign_keys = ON")
                # Safe with WAL: a power loss may drop the last commits, never corrupt.
                conn.execute("PRAGMA synchronous = NORMAL")
                # What sqlite_utils sets each time it wraps a connection, set once here.
                conn.execute("PRAGMA recursive_triggers = ON")
                if query_only:
                    conn.execute("PRAGMA query_only = ON")
        except BaseException:
            conn.close()
            raise
        return conn

    def _prepare(self) -> None:
        if self.path.is_dir():
            raise DatabaseUnreadable(f"{self.path} is a directory; give the database file's path")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnreadable(
                f"cannot create the directory {self.path.parent} ({exc.strerror})"
            ) from exc
        conn = self._connect()
        try:
            with _translated(self.path):
                # Read-only checks first: a file that is not ours is refused untouched.
                current = self._check_version(conn)
                _enable_wal(conn)
                if current:
                    return
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Again under the write lock: another process may have migrated meanwhile.
                    self._check_version(conn)
                    migrations().apply(Statements(conn).utils())
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
        finally:
            conn.close()

    def _check_version(self, conn: sqlite3.Connection) -> bool:
        """Whether every step is applied already; refuse a database that is newer or not
        milestone-bot's."""
        tables = {
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if "meta" not in tables:
            foreign = tables - {"sqlite_sequence", MIGRATIONS_TABLE}
            if foreign:
                raise DatabaseCorrupt(
                    f"{self.path} is not a milestone-bot database (it has tables "
                    f"{', '.join(sorted(foreign)[:3])}); use another path"
                )
            return False
        found = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        try:
            version = int(found[0]) if found else 0
        except ValueError:
            raise DatabaseCorrupt(
                f"{self.path} has an unreadable schema version {found[0]!r}; use another path"
            ) from None
        return self._check_applied(conn, tables, version)

    def _check_applied(self, conn: sqlite3.Connection, tables: set[str], version: int) -> bool:
        applied: set[str] = set()
        if MIGRATIONS_TABLE in tables:
            applied = {
                name
                for (name,) in conn.execute(
                    f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ?",
                    [MIGRATION_SET],
                )
            }
        if version > SCHEMA_VERSION or not applied <= set(STEPS):
            raise SchemaTooNew(max(version, len(applied)), SCHEMA_VERSION)
        return version == SCHEMA_VERSION and applied == set(STEPS)


def _wrapped(conn: sqlite3.Connection) -> tuple[sqlite3.Connection, Statements]:
    # One wrapper per connection, kept with it: its sqlite-utils tables are built once.
    return conn, Statements(conn)


def select_rows(db: Statements, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    """The rows of a SELECT as dicts.

    sqlite_utils' `Database.query` wraps every statement in a savepoint (two statements more,
    each a trip through SQLite) in case it writes; ours only read.
    """
    cursor = db.execute(sql, params)
    keys = [column[0] for column in cursor.description]
    return [dict(zip(keys, row, strict=True)) for row in cursor]


def select_row(db: Statements, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
    """The first row of a SELECT as a dict, or None when there is none."""
    cursor = db.execute(sql, params)
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([column[0] for column in cursor.description], found, strict=True))
