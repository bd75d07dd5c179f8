"""The store: the database file and its units of work.

A unit of work is `with store.session() as s:`, one transaction on this thread's connection
(see bot/storage/database.py), with the stores of each thing kept as attributes of `s`:
`s.drafts`, `s.deliveries`, `s.people`, `s.filings`, `s.tracked`, `s.digests`, `s.home`,
`s.evidence` (linked pull requests), `s.channels` (each channel's repository),
`s.templates` (template versions drafts started with).
Everything a unit of work does commits together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bot.storage.channels import ChannelRepositories
from bot.storage.database import DEFAULT_PATH, Clock, DatabaseFile, Transaction, iso, utc_now
from bot.storage.deliveries import Deliveries
from bot.storage.digests import Digests
from bot.storage.drafts import Drafts, Progress, default_progress
from bot.storage.evidence import PullEvidence
from bot.storage.filings import Filings
from bot.storage.home import HomeTabs
from bot.storage.people import People
from bot.storage.templates import TemplateVersions
from bot.storage.tracked import TrackedIssues
from flows.draft import Draft


class Session:
    """One unit of work on the store, inside one transaction. Obtain it from Store.session()."""

    def __init__(self, tx: Transaction, *, progress: Progress) -> None:
        self.now = tx.now  # one instant for the whole unit of work
        self.drafts = Drafts(tx, progress)
        self.deliveries = Deliveries(tx)
        self.people = People(tx)
        self.filings = Filings(tx)
        self.tracked = TrackedIssues(tx)
        self.digests = Digests(tx)
        self.home = HomeTabs(tx)
        self.evidence = PullEvidence(tx)
        self.channels = ChannelRepositories(tx)
        self.templates = TemplateVersions(tx)


class Store:
    """The database file. Construction creates or migrates it, or refuses it with a reason."""

    def __init__(
        self,
        path: str | Path = DEFAULT_PATH,
        *,
        clock: Clock = utc_now,
        progress: Progress = default_progress,
    ) -> None:
        self.path = Path(path)
        self._file = DatabaseFile(self.path, clock=clock)
        self._progress = progress

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises.

        A `readonly` session takes no write lock and may not write.
        """
        with self._file.transaction(readonly=readonly) as tx:
            yield Session(tx, progress=self._progress)

    def backup(self, target: str | Path) -> Path:
        """A consistent copy of the live database at `target` (see DatabaseFile.backup)."""
        return self._file.backup(target)

    def check_writable(self) -> None:
        """Raise StoreError unless a write commits (the health check: lock free, disk not full)."""
        with self._file.transaction() as tx:
            tx.db.execute(
                "INSERT INTO meta (key, value) VALUES ('last_health_check', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [iso(tx.now)],
            )

    def replay(self, draft_id: str) -> tuple[Draft, dict[str, tuple[Any, Any]]]:
        """Rebuild the draft from its journal; the differences from the stored row, by field,
        as (journal's value, stored value). Columns copied out of the draft are checked too,
        named "drafts.<column>"."""
        with self.session() as s:
            return s.drafts.replay(draft_id)
