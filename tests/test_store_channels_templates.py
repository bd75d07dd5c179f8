"""Each channel's repository and the template versions drafts started with, in SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.runtime.cli import main
from bot.storage.migrations import STEPS, migrations
from bot.storage.store import Store
from flows.draft import Draft
from flows.template import load_template
from flows.template_version import TemplateVersion, version_of
from tests.template_variants import EXTRA_GATE, payments_template


def test_a_channel_drafts_for_its_repository_else_the_default(tmp_path: Path) -> None:
    """A channel set to a repository keeps it; another channel falls back to the default."""
    store = Store(tmp_path / "db.sqlite")
    with store.session() as s:
        s.channels.set("C1", "acme/payments", "U1")
    with store.session() as s:
        assert s.channels.repository("C1", "acme/default") == "acme/payments"
        assert s.channels.repository("C2", "acme/default") == "acme/default"
        assert s.channels.repository(None, "acme/default") == "acme/default"
        s.channels.set("C1", "acme/ledger", "U2")
    with store.session(readonly=True) as s:
        record = s.channels.get("C1")
        assert record is not None and (record.repository, record.set_by) == ("acme/ledger", "U2")
        assert [r.channel for r in s.channels.all()] == ["C1"]


def test_a_template_version_is_kept_once_per_sha_and_repository(tmp_path: Path) -> None:
    """Keeping a version twice is harmless; the same text in two repositories is two rows."""
    store = Store(tmp_path / "db.sqlite")
    version = TemplateVersion(payments_template(), ".github/x.md", "acme/payments")
    with store.session() as s:
        s.templates.keep(version)
        s.templates.keep(version)
        s.templates.keep(TemplateVersion(payments_template(), ".github/x.md", "acme/other"))
        s.templates.keep(version_of(load_template()))
    with store.session(readonly=True) as s:
        assert s.templates.get(version.sha, "ACME/payments") == version
        other = s.templates.get(version.sha, "acme/other")
        assert other is not None and other.repository == "acme/other"
        bundled = s.templates.get(version_of(load_template()).sha)
        assert bundled is not None and not bundled.from_repository
        assert s.templates.get("0" * 40) is None


def test_a_draft_records_its_repository_and_template_through_the_journal(tmp_path: Path) -> None:
    """Repository and template sha are journaled: the draft replays to the same values."""
    store = Store(tmp_path / "db.sqlite")
    draft = Draft(id="ms-abc234", author="U1", repository="acme/payments", template_sha="f" * 40)
    with store.session() as s:
        s.drafts.create(draft, location=None, actor="U1", source="test", correlation_id="c")
    with store.session() as s:
        stored = s.drafts.get("ms-abc234")
        assert (stored.repository, stored.template_sha) == ("acme/payments", "f" * 40)
    assert store.replay("ms-abc234")[1] == {}


def test_drafts_stored_before_version_8_keep_their_meaning(tmp_path: Path) -> None:
    """A version-7 database's drafts open with no repository of their own, and replay."""
    path = tmp_path / "db.sqlite"
    old = Database(path)
    migrations().apply(old, stop_before=STEPS[7])
    when = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    snapshot = Draft(
        id="ms-o1d0ld", author="U9", title="Before repositories", created_at=when, updated_at=when
    )
    data = snapshot.model_dump_json()
    assert "repository" not in data and "template_sha" not in data
    old.execute(
        "INSERT INTO drafts (id, author, status, title, answered, data, created_at, updated_at, "
        "issue_url) VALUES ('ms-o1d0ld', 'U9', 'drafting', 'Before repositories', 0, ?, "
        "'2024-01-02T03:04:05.000000+00:00', '2024-01-02T03:04:05.000000+00:00', '')",
        [data],
    )
    old.execute(
        "INSERT INTO journal (draft_id, at, actor, source, correlation_id, kind, changes) "
        "VALUES ('ms-o1d0ld', '2024-01-02T03:04:05.000000+00:00', 'U9', 'slack', 'c', "
        "'created', ?)",
        [data],
    )
    old.close()
    store = Store(path)
    with store.session() as s:
        draft = s.drafts.get("ms-o1d0ld")
        assert (draft.title, draft.repository, draft.template_sha) == (
            "Before repositories",
            "",
            "",
        )
        assert s.channels.get("C1") is None
    assert store.replay("ms-o1d0ld")[1] == {}


def test_show_renders_a_draft_with_the_version_it_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`milestone-bot show` prints the issue by the draft's own template version."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEMPLATE_PATH", raising=False)
    store = Store(tmp_path / "db.sqlite")
    version = TemplateVersion(payments_template(), ".github/x.md", "acme/payments")
    draft = Draft(id="ms-shw234", author="U1", title="Bound retries", repository="acme/payments")
    with store.session() as s:
        s.templates.keep(version)
        s.drafts.create(
            draft.model_copy(update={"template_sha": version.sha}),
            location=None,
            actor="U1",
            source="test",
            correlation_id="c",
        )
    assert main(["--db", str(tmp_path / "db.sqlite"), "show", "ms-shw234"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[Payments] Bound retries") and EXTRA_GATE in out
