"""The bot's exceptions, beside the core's: one way to fail.

A failure is raised where it is found, as one of these, and turned into words for the
person once, at the edge: a reply in the thread or an ephemeral note (bot.listeners and the
conversation's Slack side), or one line on stderr and exit 2 (the command line).

    MilestoneError (flows.errors)     base of every deliberate error; str() is fit for a person
    ├── TemplateError, DraftReadOnly  the core's (see flows/errors.py)
    ├── InvalidAnswer (flows.errors)  an answer the author must fix (the message says how)
    │   └── UnknownGitHubUser         GitHub has no user with that login
    ├── StoreError                    the database cannot do what was asked
    │   ├── DatabaseUnreadable        the file cannot be opened, read or created
    │   ├── DatabaseCorrupt           the file is not a SQLite database, or not milestone-bot's
    │   ├── SchemaTooNew              written by a newer milestone-bot; refused, never downgraded
    │   ├── UnknownDraft              no draft has that id
    │   ├── DraftExists               a draft with that id is already stored
    │   └── StaleDraft                the draft changed since the caller read it
    ├── NotDraftAuthor                someone other than a draft's author tried to change it
    ├── GitHubError (bot.github.failures)  one GitHub call failed: status, request id, headers
    ├── GitHubUnavailable             GitHub could not be read or written right now
    │   ├── RateLimited               ... because the rate limit is used up
    │   └── RepositoryUnreachable     ... for one repository only (no App installation on it)
    ├── LocalFileError                a file the command line reads or writes is unusable
    └── ConfigError                   a setting is missing or malformed (names the variable)
"""

from __future__ import annotations

from flows.errors import InvalidAnswer, MilestoneError


class StoreError(MilestoneError):
    """The draft store cannot do what was asked."""


class DatabaseUnreadable(StoreError):
    """The database file (or its directory) cannot be opened, read or created."""


class DatabaseCorrupt(StoreError):
    """The file is damaged, is not a SQLite database, or belongs to something else."""


class SchemaTooNew(StoreError):
    """The database was written by a newer milestone-bot, whose schema this one cannot read."""

    def __init__(self, found: int, supported: int) -> None:
        super().__init__(
            f"database schema version {found} is newer than this milestone-bot ({supported}); "
            "upgrade milestone-bot"
        )
        self.found = found
        self.supported = supported


class UnknownDraft(StoreError):
    """No draft has that id."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(f"no draft {draft_id}")
        self.draft_id = draft_id


class DraftExists(StoreError):
    """A draft with that id is already stored."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(f"a draft {draft_id} already exists")
        self.draft_id = draft_id


class StaleDraft(StoreError):
    """The stored draft is not the one the change was computed from (a lost update)."""

    def __init__(self, draft_id: str) -> None:
        super().__init__(f"draft {draft_id} changed since it was read; try again")
        self.draft_id = draft_id


class NotDraftAuthor(MilestoneError):
    """Someone other than the draft's author asked to change it."""

    def __init__(self, draft_id: str, author: str) -> None:
        super().__init__(f"only {author} can change draft {draft_id}")
        self.draft_id = draft_id
        self.author = author


class GitHubUnavailable(MilestoneError):
    """GitHub could not be read or written right now (network, 5xx, credentials)."""


class RateLimited(GitHubUnavailable):
    """GitHub refused for the rate limit; wait for the reset."""


class RepositoryUnreachable(GitHubUnavailable):
    """The bot's credentials reach no further into one repository (the GitHub App isn't
    installed on it); other repositories are unaffected."""

    def __init__(self, repository: str, reason: str) -> None:
        super().__init__(reason)
        self.repository = repository


class UnknownGitHubUser(InvalidAnswer):
    """GitHub answered 404 for a login: it has no such user."""

    def __init__(self, login: str) -> None:
        super().__init__(f"GitHub has no user `{login}`; check the spelling, or `skip`.")
        self.login = login


class LocalFileError(MilestoneError):
    """A file the command line was asked to read or write cannot be used."""


class ConfigError(MilestoneError):
    """A missing or malformed setting; the message is one line naming the variable."""
