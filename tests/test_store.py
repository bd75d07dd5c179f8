"""The SQLite store: drafts round-trip, the journal folds to the stored row, dedup survives a
restart, and databases that cannot be used are refused with a reason."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

import bot.storage.drafts
from bot.errors import (
    DatabaseCorrupt,
    DatabaseUnreadable,
    DraftExists,
    SchemaTooNew,
    StaleDraft,
    UnknownDraft,
)
from bot.storage.drafts import Location, MessageAnswer
from bot.storage.ids import ALPHABET, new_draft_id, normalize_draft_id
from bot.storage.migrations import SCHEMA_VERSION, STEPS, migrations
from bot.storage.people import UserRecord
from bot.storage.store import Store
from flows.draft import Draft, DraftStatus, FlowState, GateState, GateStatus
from tests.conftest import FakeClock

ACTOR = {"actor": "U123", "source": "slack", "correlation_id": "corr-1"}

texts = st.text(max_size=40)
items = st.lists(st.text(max_size=30), max_size=4).map(tuple)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
drafts = st.builds(
    Draft,
    id=st.just("ms-000000"),
    author=texts,
    status=st.sampled_from(DraftStatus),
    flow=st.builds(
        FlowState,
        step=st.none() | st.text(max_size=12),
        answered=items,
        history=items,
        return_to_preview=st.booleans(),
    ),
    title=texts,
    target_milestone=texts,
    problem_statement=st.text(max_size=400),
    invariants=items,
    in_scope=items,
    implementation_plan=items,
    test_commands=items,
    notes=items,
    gates=st.dictionaries(
        st.text(max_size=30),
        st.builds(GateState, status=st.sampled_from(GateStatus), reason=texts),
        max_size=4,
    ),
    issue_number=st.none() | st.integers(min_value=1, max_value=10**9),
    issue_url=texts,
    created_at=st.none() | moments,
)


def _new(store: Store, location: Location | None = None, **fields: Any) -> Draft:
    with store.session() as s:
        return s.drafts.create(Draft(id=s.drafts.new_id(), **fields), location=location, **ACTOR)


def _answer(store: Store, draft_id: str, text: str, **changes: Any) -> Draft:
    with store.session() as s:
        before = s.drafts.get(draft_id)
        return s.drafts.record(
            before,
            before.with_changes(changes),
            kind="answer",
            input=text,
            question_id="q",
            **ACTOR,
        )


def _sql(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        with conn:
            return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(draft=drafts)
def test_any_draft_round_trips_through_sqlite(store: Store, draft: Draft) -> None:
    """A draft read back from the database equals the one stored, field for field."""
    with store.session() as s:
        created = s.drafts.create(
            draft.model_copy(update={"id": s.drafts.new_id()}), location=None, **ACTOR
        )
    with store.session() as s:
        assert s.drafts.get(created.id) == created
    assert created.model_dump(exclude={"id", "created_at", "updated_at"}) == draft.model_dump(
        exclude={"id", "created_at", "updated_at"}
    )


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=drafts, second=drafts)
def test_any_change_round_trips_and_replays(store: Store, first: Draft, second: Draft) -> None:
    """Recording any change stores exactly the new draft, and replaying the journal rebuilds it."""
    with store.session() as s:
        created = s.drafts.create(
            first.model_copy(update={"id": s.drafts.new_id()}), location=None, **ACTOR
        )
    after = second.model_copy(update={"id": created.id, "created_at": created.created_at})
    with store.session() as s:
        recorded = s.drafts.record(created, after, kind="answer", **ACTOR)
    with store.session() as s:
        assert s.drafts.get(created.id) == recorded
    rebuilt, differences = store.replay(created.id)
    assert differences == {}
    assert rebuilt == recorded


def test_create_stamps_times_from_the_clock(store: Store, clock: FakeClock) -> None:
    """A new draft's created_at and updated_at are the store clock's now, in UTC."""
    draft = _new(store, author="U1")
    assert draft.created_at == clock.now
    assert draft.updated_at == clock.now


def test_record_stamps_updated_at_and_journals_the_change(store: Store, clock: FakeClock) -> None:
    """Recording stamps updated_at, stores the draft and journals only the changed fields."""
    draft = _new(store, author="U1")
    later = clock.advance(minutes=5)
    after = _answer(store, draft.id, "Fix the retry storm", title="Fix the retry storm")
    assert after.updated_at == later
    with store.session() as s:
        entries = s.drafts.journal(draft.id)
    assert [e.kind for e in entries] == ["created", "answer"]
    assert entries[1].changes == {
        "title": "Fix the retry storm",
        "updated_at": after.model_dump(mode="json")["updated_at"],
    }
    assert entries[1].input == "Fix the retry storm"
    assert entries[1].at == later
    assert (entries[1].actor, entries[1].source, entries[1].correlation_id) == (
        "U123",
        "slack",
        "corr-1",
    )


def test_created_entry_holds_the_full_snapshot(store: Store) -> None:
    """The journal's first entry for a draft is its whole snapshot, so replay needs nothing else."""
    draft = _new(store, author="U1", title="Bounded exposure")
    with store.session() as s:
        (entry,) = s.drafts.journal(draft.id)
    assert entry.kind == "created"
    assert Draft.model_validate(entry.changes) == draft


def test_rejected_answers_are_journaled_with_their_text(store: Store) -> None:
    """A refused answer changes no content but what the author typed is kept in the journal."""
    draft = _new(store, author="U1")
    with store.session() as s:
        before = s.drafts.get(draft.id)
        s.drafts.record(
            before, before, kind="rejected", input="M9", question_id="milestone", **ACTOR
        )
    with store.session() as s:
        entry = s.drafts.journal(draft.id)[-1]
        assert s.drafts.get(draft.id) == draft
    assert (entry.kind, entry.input, entry.question_id, entry.changes) == (
        "rejected",
        "M9",
        "milestone",
        {},
    )


def test_journal_fold_equals_stored_row_after_many_records(store: Store, clock: FakeClock) -> None:
    """After many answers across many sessions, replaying the journal gives the stored draft."""
    draft = _new(store, author="U1")
    for i in range(60):
        clock.advance(seconds=7)
        with store.session() as s:
            before = s.drafts.get(draft.id)
            after = before.with_changes(
                {
                    "notes": [*before.notes, f"note {i}"],
                    "title": f"title {i}",
                    "flow": {"step": f"q{i}", "answered": [f"q{j}" for j in range(i)]},
                    "gates": {f"gate {i % 5}": {"status": "checked", "reason": ""}},
                }
            )
            s.drafts.record(before, after, kind="answer", input=f"answer {i}", **ACTOR)
    rebuilt, differences = store.replay(draft.id)
    assert differences == {}
    with store.session() as s:
        assert rebuilt == s.drafts.get(draft.id)
        assert len(s.drafts.journal(draft.id)) == 61
    assert rebuilt.notes == tuple(f"note {i}" for i in range(60))


def test_replay_reports_a_tampered_field(store: Store, db_path: Path) -> None:
    """Replay names a field whose stored value no longer matches the journal."""
    draft = _new(store, author="U1")
    _answer(store, draft.id, "Retry storm", title="Retry storm")
    _sql(
        db_path,
        "UPDATE drafts SET data = json_set(data, '$.title', 'Edited by hand') WHERE id = ?",
        (draft.id,),
    )
    rebuilt, differences = store.replay(draft.id)
    assert rebuilt.title == "Retry storm"
    assert differences == {"title": ("Retry storm", "Edited by hand")}


def test_replay_reports_a_tampered_column(store: Store, db_path: Path) -> None:
    """Replay also checks the columns copied out of the draft for listings."""
    draft = _new(store, author="U1")
    _sql(db_path, "UPDATE drafts SET status = 'filed' WHERE id = ?", (draft.id,))
    _, differences = store.replay(draft.id)
    assert differences == {"drafts.status": ("drafting", "filed")}


def test_replay_of_an_unknown_draft_raises(store: Store) -> None:
    """Replaying an id with neither row nor journal raises UnknownDraft."""
    with pytest.raises(UnknownDraft, match="no draft ms-zzzzzz"):
        store.replay("ms-zzzzzz")


def test_the_journal_is_append_only(store: Store, db_path: Path) -> None:
    """The database itself refuses to change or delete a journal entry."""
    _new(store, author="U1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        _sql(db_path, "UPDATE journal SET input = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        _sql(db_path, "DELETE FROM journal")


def test_session_rolls_back_on_exception(store: Store) -> None:
    """A unit of work that raises leaves nothing behind: no draft, no journal, no claim."""
    with pytest.raises(RuntimeError), store.session() as s:
        draft = s.drafts.create(Draft(id="ms-aaaaaa"), location=None, **ACTOR)
        s.deliveries.claim("slack:event:Ev1")
        raise RuntimeError("handler failed")
    with store.session() as s:
        with pytest.raises(UnknownDraft):
            s.drafts.get(draft.id)
        assert s.drafts.journal(draft.id) == []
        assert s.deliveries.claim("slack:event:Ev1") is True


def test_record_from_a_stale_copy_is_refused(store: Store) -> None:
    """A change computed from an out-of-date copy raises StaleDraft; the journal stays true."""
    draft = _new(store, author="U1")
    _answer(store, draft.id, "first", title="first")
    with store.session() as s, pytest.raises(StaleDraft, match="changed since it was read"):
        s.drafts.record(draft, draft.with_changes({"title": "second"}), kind="answer", **ACTOR)
    with store.session() as s:
        assert s.drafts.get(draft.id).title == "first"
        assert len(s.drafts.journal(draft.id)) == 2


def test_a_stale_copy_is_refused_though_the_newer_draft_is_remembered(store: Store) -> None:
    """Drafts read or written are remembered by their stored text (no parse when the next
    answer reads what the last one wrote), and a copy older than that text is still stale."""
    draft = _new(store, author="U1")
    with store.session() as s:
        held = s.drafts.get(draft.id)  # as a surface holds a draft across units of work
    written = _answer(store, draft.id, "first", title="first")
    with store.session() as s:
        assert s.drafts.get(draft.id) is written
        with pytest.raises(StaleDraft):
            s.drafts.record(held, held.with_changes({"title": "x"}), kind="answer", **ACTOR)


def test_a_row_rewritten_outside_this_process_is_read_as_it_now_stands(store: Store) -> None:
    """The remembered drafts are keyed by the row's whole text: a row another process wrote
    is parsed afresh, and a change recorded on the old draft is refused as stale."""
    draft = _new(store, author="U1")
    old = _answer(store, draft.id, "first", title="first")
    elsewhere = old.model_copy(update={"title": "from another process"})
    _sql(
        store.path,
        "UPDATE drafts SET data = ? WHERE id = ?",
        (elsewhere.model_dump_json(), draft.id),
    )
    with store.session() as s:
        assert s.drafts.get(draft.id).title == "from another process"
        with pytest.raises(StaleDraft):
            s.drafts.record(old, old.with_changes({"title": "x"}), kind="answer", **ACTOR)


def test_a_field_left_out_of_the_json_when_empty_replays_when_emptied(store: Store) -> None:
    """`repository` is left out of a draft's JSON when empty; emptying it is journaled all
    the same, so the journal's fold still gives the stored draft."""
    draft = _new(store, author="U1", repository="octo/payments")
    _answer(store, draft.id, "moved", repository="")
    replayed, differences = store.replay(draft.id)
    assert differences == {}
    assert replayed.repository == ""


def test_get_of_unknown_draft_raises(store: Store) -> None:
    """Reading an id that is not stored raises UnknownDraft naming it."""
    with store.session() as s, pytest.raises(UnknownDraft, match="no draft ms-zzzzzz"):
        s.drafts.get("ms-zzzzzz")


def test_create_refuses_an_existing_id(store: Store) -> None:
    """Creating a draft whose id is taken raises DraftExists."""
    draft = _new(store, author="U1")
    with store.session() as s, pytest.raises(DraftExists):
        s.drafts.create(Draft(id=draft.id), location=None, **ACTOR)


def test_new_draft_id_skips_ids_in_use(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the random id is already taken, the session draws another."""
    taken = _new(store, author="U1").id
    candidates = iter([taken, taken, "ms-fresh1"])
    monkeypatch.setattr(bot.storage.drafts, "new_draft_id", lambda: next(candidates))
    with store.session() as s:
        assert s.drafts.new_id() == "ms-fresh1"


def test_new_draft_ids_are_short_and_unambiguous() -> None:
    """Ids are "ms-" and six Crockford base32 characters: no i, l, o or u."""
    for _ in range(200):
        draft_id = new_draft_id()
        assert draft_id.startswith("ms-") and len(draft_id) == 9
        assert set(draft_id[3:]) <= set(ALPHABET)
        assert not set(draft_id[3:]) & set("ilou")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ms-7kq2vd", "ms-7kq2vd"),
        ("MS-7KQ2VD", "ms-7kq2vd"),
        (" 7kq2vd ", "ms-7kq2vd"),
        ("ms-7kq2vO", "ms-7kq2v0"),
        ("ms-Ikq2vL", "ms-1kq2v1"),
        ("ms-nope", "ms-nope"),
    ],
)
def test_typed_ids_are_normalized(typed: str, expected: str) -> None:
    """An id typed in any case, without its prefix or with look-alike letters finds the draft."""
    assert normalize_draft_id(typed) == expected


def test_find_by_thread_and_location(store: Store) -> None:
    """A draft is found by its Slack thread, and its location can be moved."""
    here = Location("T1", "C1", "1700000000.000100", "1700000000.000100")
    draft = _new(store, location=here, author="U1")
    with store.session() as s:
        assert s.drafts.find_by_thread("T1", "C1", "1700000000.000100") == draft
        assert s.drafts.find_by_thread("T1", "C1", "1700000000.999999") is None
        assert s.drafts.find_by_thread("T2", "C1", "1700000000.000100") is None
        assert s.drafts.location(draft.id) == here
        there = Location("T1", "C2", "1700000001.000100")
        s.drafts.set_location(draft.id, there)
        assert s.drafts.location(draft.id) == there
        assert s.drafts.find_by_thread("T1", "C2", "1700000001.000100") == draft
        with pytest.raises(UnknownDraft):
            s.drafts.set_location("ms-zzzzzz", there)


def test_a_draft_made_in_the_terminal_has_no_location(store: Store) -> None:
    """A draft created without a Slack location reports none."""
    draft = _new(store, author="alice")
    with store.session() as s:
        assert s.drafts.location(draft.id) is None


def test_list_drafts_filters_by_author_and_status(store: Store, clock: FakeClock) -> None:
    """Listings show open drafts newest first; closed ones only on request; by author if asked."""
    older = _new(store, author="U1", title="older")
    clock.advance(minutes=1)
    newer = _new(store, author="U1", title="newer")
    clock.advance(minutes=1)
    other = _new(store, author="U2", title="other")
    clock.advance(minutes=1)
    filed = _new(store, author="U1", title="filed", status=DraftStatus.FILED)
    with store.session() as s:
        assert [d.id for d in s.drafts.summaries("U1")] == [newer.id, older.id]
        assert [d.id for d in s.drafts.summaries("U1", include_closed=True)] == [
            filed.id,
            newer.id,
            older.id,
        ]
        assert [d.id for d in s.drafts.summaries()] == [other.id, newer.id, older.id]
        summary = s.drafts.summaries("U2")[0]
    assert (summary.title, summary.status, summary.answered, summary.updated_at) == (
        "other",
        DraftStatus.DRAFTING,
        0,
        other.updated_at,
    )


def test_progress_columns_come_from_the_injected_function(db_path: Path, clock: FakeClock) -> None:
    """The answered/total columns are whatever the progress function computes from the draft."""
    store = Store(db_path, clock=clock, progress=lambda d: (len(d.flow.answered), 12))
    draft = _new(store, author="U1")
    with store.session() as s:
        before = s.drafts.get(draft.id)
        s.drafts.record(
            before, before.with_changes({"flow": {"answered": ["a", "b"]}}), kind="answer", **ACTOR
        )
        (summary,) = s.drafts.summaries()
    assert (summary.answered, summary.total) == (2, 12)


def test_claim_is_true_once_even_across_a_restart(db_path: Path, clock: FakeClock) -> None:
    """A delivery key is claimed once; a retry after the process restarts is still refused."""
    with Store(db_path, clock=clock).session() as s:
        assert s.deliveries.claim("slack:event:Ev123") is True
        assert s.deliveries.claim("slack:event:Ev123") is False
        assert s.deliveries.claim("slack:msg:C1:1700000000.0001", draft_id="ms-aaaaaa") is True
    reopened = Store(db_path, clock=clock)
    with reopened.session() as s:
        assert s.deliveries.claim("slack:event:Ev123") is False
        assert s.deliveries.claim("slack:msg:C1:1700000000.0001") is False
        assert s.deliveries.claim("github:delivery:42") is True


def test_claiming_several_keys_claims_each_even_when_one_was_taken(
    db_path: Path, clock: FakeClock
) -> None:
    """A delivery's keys are claimed together: any seen before makes it a repeat, and every
    key is taken either way (an edit that overtook its message still marks the message)."""
    with Store(db_path, clock=clock).session() as s:
        assert s.deliveries.claim_all(["slack:event:Ev1", "slack:msg:C1:1.0"], "ms-a") is True
        assert s.deliveries.claim_all(["slack:event:Ev2", "slack:msg:C1:1.0"], "ms-a") is False
        assert s.deliveries.claimed("slack:event:Ev2")
        assert s.deliveries.claim_all(["slack:event:Ev3", "slack:event:Ev3"]) is False
        assert s.deliveries.claim_all([]) is True


def test_message_answers_are_linked_and_relinked(store: Store) -> None:
    """A Slack message maps to the draft and question it answered; relinking replaces it."""
    draft = _new(store, author="U1")
    with store.session() as s:
        assert s.drafts.message_answer("C1", "1.0") is None
        s.drafts.link_message("C1", "1.0", draft.id, "problem")
        assert s.drafts.message_answer("C1", "1.0") == MessageAnswer(draft.id, "problem")
        s.drafts.link_message("C1", "1.0", draft.id, "title")
        assert s.drafts.message_answer("C1", "1.0") == MessageAnswer(draft.id, "title")


def test_users_are_saved_and_updated_field_by_field(store: Store) -> None:
    """Saving a user stores what is given and keeps what was known for fields left out."""
    with store.session() as s:
        assert s.people.get("U1") is None
        s.people.save("U1", display_name="Ada", tz="Europe/Paris")
        s.people.save("U1", github_login="ada-l", notified={"ms-aaaaaa": "2025-03-03"})
    with store.session() as s:
        assert s.people.get("U1") == UserRecord(
            "U1",
            display_name="Ada",
            tz="Europe/Paris",
            github_login="ada-l",
            notified={"ms-aaaaaa": "2025-03-03"},
        )


def test_a_fresh_database_is_created_in_wal_mode(db_path: Path) -> None:
    """A new path gets its directory and a WAL database at the current schema version."""
    Store(db_path)
    assert _sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    assert _sql(db_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
        (str(SCHEMA_VERSION),)
    ]


def test_an_older_database_is_migrated_on_open(db_path: Path, clock: FakeClock) -> None:
    """A version-1 database keeps its drafts and journal and gains the later tables when opened."""
    db_path.parent.mkdir(parents=True)
    old = Database(db_path)
    migrations().apply(old, stop_before=STEPS[1])
    snapshot = Draft(id="ms-o1d0ld", author="U9", title="From version one").model_dump(mode="json")
    snapshot["created_at"] = snapshot["updated_at"] = "2024-01-02T03:04:05Z"
    old.execute(
        "INSERT INTO drafts (id, author, status, title, answered, data, created_at, updated_at, "
        "issue_url) VALUES ('ms-o1d0ld', 'U9', 'drafting', 'From version one', 0, ?, "
        "'2024-01-02T03:04:05.000000+00:00', '2024-01-02T03:04:05.000000+00:00', '')",
        [Draft.model_validate(snapshot).model_dump_json()],
    )
    old.execute(
        "INSERT INTO journal (draft_id, at, actor, source, correlation_id, kind, changes) "
        "VALUES ('ms-o1d0ld', '2024-01-02T03:04:05.000000+00:00', 'U9', 'slack', 'c', "
        "'created', ?)",
        [Draft.model_validate(snapshot).model_dump_json()],
    )
    old.close()
    assert _sql(db_path, "SELECT value FROM meta") == [("1",)]

    store = Store(db_path, clock=clock)

    assert _sql(db_path, "SELECT value FROM meta") == [(str(SCHEMA_VERSION),)]
    with store.session() as s:
        assert s.drafts.get("ms-o1d0ld").title == "From version one"
        assert s.deliveries.claim("slack:event:Ev1") is True
    assert store.replay("ms-o1d0ld")[1] == {}


def test_a_newer_database_is_refused(db_path: Path) -> None:
    """A database written by a newer milestone-bot is refused with the versions and the fix."""
    Store(db_path)
    _sql(db_path, "UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    with pytest.raises(SchemaTooNew) as refused:
        Store(db_path)
    assert str(refused.value) == (
        f"database schema version 9 is newer than this milestone-bot ({SCHEMA_VERSION}); "
        "upgrade milestone-bot"
    )
    assert _sql(db_path, "SELECT value FROM meta") == [("9",)]


def test_a_database_with_an_unknown_migration_is_refused(db_path: Path) -> None:
    """A migration this version does not know means a newer schema, and is refused."""
    Store(db_path)
    _sql(
        db_path,
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('milestone-bot', 'm004_from_the_future', 'x')",
    )
    with pytest.raises(SchemaTooNew, match="upgrade milestone-bot"):
        Store(db_path)


def test_a_corrupt_file_is_refused(db_path: Path) -> None:
    """A file that is not a SQLite database is refused with its path and the fix, untouched."""
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not a database\n" * 400
    db_path.write_bytes(garbage)
    with pytest.raises(DatabaseCorrupt) as refused:
        Store(db_path)
    assert str(db_path) in str(refused.value)
    assert "not a SQLite database" in str(refused.value)
    assert db_path.read_bytes() == garbage


def test_another_applications_database_is_refused(db_path: Path) -> None:
    """A SQLite file holding someone else's tables is refused, not migrated into."""
    db_path.parent.mkdir(parents=True)
    _sql(db_path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseCorrupt, match="not a milestone-bot database"):
        Store(db_path)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    """A database path that is a directory is refused with a clear reason."""
    with pytest.raises(DatabaseUnreadable, match="is a directory"):
        Store(tmp_path)


def test_a_naive_clock_is_refused(db_path: Path) -> None:
    """The store's clock must give aware datetimes; a naive one fails at the first session."""
    store = Store(db_path, clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="aware"), store.session():
        pass
