"""The store: the database file and its units of work.

A unit of work is `with store.session() as s:`, one transaction on this thread's connection
(see bot/storage/database.py), with the stores of each thing kept as attributes of `s`:
`s.drafts`, `s.deliveries`, `s.people`, `s.filings`, `s.tracked`, `s.digests`, `s.home`,
`s.evidence` (linked pull requests), `s.channels` (each channel's repository),
`s.templates` (template versions drafts started with).
Everything a unit of work does commits together or not at all.

Each store but `drafts` is built, and its module imported, the first time a unit of work
uses it: the modules of tracked issues, pull-request evidence and template versions import
most of the pure core (the Markdown parser, the template, the tracking rules), which
`milestone-bot drafts` and `show` never use and would otherwise load on every start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from bot.storage.database import DEFAULT_PATH, Clock, DatabaseFile, Transaction, iso, utc_now
from bot.storage.drafts import Drafts, Progress, default_progress
from flows.draft import Draft

if TYPE_CHECKING:
    from bot.storage.channels import ChannelRepositories
    from bot.storage.deliveries import Deliveries
    from bot.storage.digests import Digests
    from bot.storage.evidence import PullEvidence
    from bot.storage.filings import Filings
    from bot.storage.home import HomeTabs
    from bot.storage.people import People
    from bot.storage.templates import TemplateVersions
    from bot.storage.tracked import TrackedIssues

T = TypeVar("T")


class _on_first_use(Generic[T]):  # lower case: a decorator, like cached_property
    """A store of the session, built the first time a unit of work asks for it, from the
    class the decorated method imports (the import runs once per process, not per session).

    functools.cached_property would do, but for its lock: in Python 3.11 one per attribute
    across all instances, so threads serving different answers would queue on it. A session
    belongs to one thread, so there is nothing to guard.
    """

    def __init__(self, load: Callable[[Session], Callable[[Transaction], T]]) -> None:
        self._load = load
        self._name = load.__name__
        self._build: Callable[[Transaction], T] | None = None

    @overload
    def __get__(self, session: None, owner: type[Session]) -> _on_first_use[T]: ...

    @overload
    def __get__(self, session: Session, owner: type[Session]) -> T: ...

    def __get__(self, session: Session | None, owner: type[Session]) -> _on_first_use[T] | T:
        if session is None:
            return self
        build = self._build
        if build is None:
            build = self._build = self._load(session)
        # The instance's own attribute hides this (non-data) descriptor from then on.
        store = session.__dict__[self._name] = build(session._tx)
        return store


class Session:
    """One unit of work on the store, inside one transaction. Obtain it from Store.session()."""

    def __init__(self, tx: Transaction, *, progress: Progress) -> None:
        self._tx = tx
        self.now = tx.now  # one instant for the whole unit of work
        self.drafts = Drafts(tx, progress)

    @_on_first_use
    def deliveries(self) -> type[Deliveries]:
        from bot.storage.deliveries import Deliveries

        return Deliveries

    @_on_first_use
    def people(self) -> type[People]:
        from bot.storage.people import People

        return People

    @_on_first_use
    def filings(self) -> type[Filings]:
        from bot.storage.filings import Filings

        return Filings

    @_on_first_use
    def tracked(self) -> type[TrackedIssues]:
        from bot.storage.tracked import TrackedIssues

        return TrackedIssues

    @_on_first_use
    def digests(self) -> type[Digests]:
        from bot.storage.digests import Digests

        return Digests

    @_on_first_use
    def home(self) -> type[HomeTabs]:
        from bot.storage.home import HomeTabs

        return HomeTabs

    @_on_first_use
    def evidence(self) -> type[PullEvidence]:
        from bot.storage.evidence import PullEvidence

        return PullEvidence

    @_on_first_use
    def channels(self) -> type[ChannelRepositories]:
        from bot.storage.channels import ChannelRepositories

        return ChannelRepositories

    @_on_first_use
    def templates(self) -> type[TemplateVersions]:
        from bot.storage.templates import TemplateVersions

        return TemplateVersions


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
