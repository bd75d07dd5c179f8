"""Two processes writing the same database file at once lose nothing."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from bot.storage.store import Store
from flows.draft import Draft

ANSWERS = 250
# Only a guard against a hung child; nothing here asserts how long anything takes.
JOIN_GUARD_SECONDS = 300


def _answer_many(path: str, draft_id: str, start: Barrier) -> None:
    """Child process: answer `draft_id` ANSWERS times, one unit of work per answer."""
    store = Store(path)
    start.wait(timeout=JOIN_GUARD_SECONDS)
    for i in range(ANSWERS):
        with store.session() as s:
            assert s.deliveries.claim(f"slack:event:{draft_id}:{i}")
            before = s.drafts.get(draft_id)
            if i % 10 == 9:
                # A refused answer: nothing changes but the text is journaled.
                s.drafts.record(
                    before,
                    before,
                    kind="rejected",
                    input=f"bad {i}",
                    actor="U",
                    source="slack",
                    correlation_id=f"{draft_id}:{i}",
                )
                continue
            after = before.with_changes({"notes": [*before.notes, f"{draft_id} #{i}"]})
            s.drafts.record(
                before,
                after,
                kind="answer",
                input=f"{draft_id} #{i}",
                actor="U",
                source="slack",
                correlation_id=f"{draft_id}:{i}",
            )


def _migrate(path: str, start: Barrier) -> None:
    start.wait(timeout=JOIN_GUARD_SECONDS)
    Store(path)


def _run_together(target: object, argss: list[tuple[object, ...]]) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(argss))
    children = [context.Process(target=target, args=(*args, start)) for args in argss]
    for child in children:
        child.start()
    for child in children:
        child.join(JOIN_GUARD_SECONDS)
    assert [child.exitcode for child in children] == [0] * len(children)


def test_two_processes_answering_different_drafts_lose_nothing(db_path: Path) -> None:
    """Each process's every answer is journaled and each draft's fold and row hold all of them."""
    store = Store(db_path)
    with store.session() as s:
        ids = [
            s.drafts.create(
                Draft(id=s.drafts.new_id(), author="U"),
                location=None,
                actor="U",
                source="slack",
                correlation_id="c",
            ).id
            for _ in range(2)
        ]

    _run_together(_answer_many, [(str(db_path), draft_id) for draft_id in ids])

    for draft_id in ids:
        expected_notes = tuple(f"{draft_id} #{i}" for i in range(ANSWERS) if i % 10 != 9)
        with store.session() as s:
            entries = s.drafts.journal(draft_id)
            stored = s.drafts.get(draft_id)
        assert len(entries) == 1 + ANSWERS
        assert [e.input for e in entries[1:]] == [
            f"bad {i}" if i % 10 == 9 else f"{draft_id} #{i}" for i in range(ANSWERS)
        ]
        assert stored.notes == expected_notes
        rebuilt, differences = store.replay(draft_id)
        assert differences == {}
        assert rebuilt.notes == expected_notes
    with store.session() as s:
        for draft_id in ids:
            assert not s.deliveries.claim(f"slack:event:{draft_id}:{ANSWERS - 1}")


def test_two_processes_opening_a_new_file_at_once_both_succeed(db_path: Path) -> None:
    """Two processes creating and migrating the same new database at once both end up using it."""
    db_path.parent.mkdir(parents=True)
    _run_together(_migrate, [(str(db_path),), (str(db_path),)])
    with Store(db_path).session() as s:
        assert s.deliveries.claim("after-both") is True
