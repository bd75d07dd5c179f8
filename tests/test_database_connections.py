"""The database file's connections: one writer per process taken in turn by every thread,
a reader per thread, a fresh connection after a failure, and none shared across a fork."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.storage.database import DatabaseFile, utc_now

THREADS = 8
WRITES = 25


def _insert(db: DatabaseFile, key: str) -> sqlite3.Connection:
    with db.transaction() as tx:
        tx.db.execute("INSERT INTO meta (key, value) VALUES (?, 'x')", [key])
        return tx.db.conn


def _count(db: DatabaseFile, prefix: str) -> int:
    with db.transaction(readonly=True) as tx:
        found = tx.db.execute(
            "SELECT COUNT(*) FROM meta WHERE key LIKE ?", [prefix + "%"]
        ).fetchone()
        return int(found[0])


def test_every_thread_writes_through_one_connection_and_every_write_lands(tmp_path: Path) -> None:
    db = DatabaseFile(tmp_path / "m.db", clock=utc_now)
    used: set[int] = set()
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        start.wait()
        for k in range(WRITES):
            conn = _insert(db, f"w:{n}:{k}")
            with lock:
                used.add(id(conn))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _count(db, "w:") == THREADS * WRITES
    assert len(used) == 1


def test_each_thread_reads_on_its_own_connection_apart_from_the_writer(tmp_path: Path) -> None:
    db = DatabaseFile(tmp_path / "m.db", clock=utc_now)
    writer = _insert(db, "w")
    readers: list[sqlite3.Connection] = []

    def reader() -> None:
        with db.transaction(readonly=True) as tx:
            readers.append(tx.db.conn)

    for _ in range(2):
        t = threading.Thread(target=reader)
        t.start()
        t.join()
    assert len({id(c) for c in readers}) == 2
    assert all(c is not writer for c in readers)


def test_a_failed_write_is_rolled_back_and_the_next_one_starts_on_a_fresh_connection(
    tmp_path: Path,
) -> None:
    db = DatabaseFile(tmp_path / "m.db", clock=utc_now)
    before = _insert(db, "kept")
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.db.execute("INSERT INTO meta (key, value) VALUES ('lost', 'x')")
        raise RuntimeError("the unit of work failed half-way")
    after = _insert(db, "next")
    assert after is not before
    assert (_count(db, "kept"), _count(db, "lost"), _count(db, "next")) == (1, 0, 1)


def test_a_statement_sqlite_refuses_leaves_the_writer_usable(tmp_path: Path) -> None:
    db = DatabaseFile(tmp_path / "m.db", clock=utc_now)
    _insert(db, "once")
    with pytest.raises(sqlite3.IntegrityError), db.transaction() as tx:
        tx.db.execute("INSERT INTO meta (key, value) VALUES ('after-refusal', 'x')")
        tx.db.execute("INSERT INTO meta (key, value) VALUES ('once', 'again')")
    _insert(db, "later")
    assert (_count(db, "after-refusal"), _count(db, "later")) == (0, 1)


def _child_writes(queue: multiprocessing.Queue[bool]) -> None:
    db = _PARENT_DB[0]
    inherited = _insert(db, "first-in-child")
    queue.put(inherited is not _PARENT_CONNECTION[0] and _insert(db, "child") is inherited)


_PARENT_DB: list[DatabaseFile] = []
_PARENT_CONNECTION: list[sqlite3.Connection] = []


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="no fork")
def test_a_forked_child_writes_on_its_own_connection(tmp_path: Path) -> None:
    db = DatabaseFile(tmp_path / "m.db", clock=utc_now)
    parent = _insert(db, "parent")
    _PARENT_DB[:], _PARENT_CONNECTION[:] = [db], [parent]
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[bool] = context.Queue()
    child = context.Process(target=_child_writes, args=(queue,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert queue.get(timeout=5), "the child wrote on the parent's connection"
    assert _insert(db, "parent-again") is parent
    assert (_count(db, "first-in-child"), _count(db, "child")) == (1, 1)
