"""PyGithub clients built from Settings: a token, or a GitHub App installation.

Retries are set so that a write is never sent twice by the HTTP layer. PyGithub's default
`GithubRetry` re-sends POST on a read timeout and on 5xx, and a 502 after GitHub created the
issue would then file it twice; here only GET and HEAD are retried (connection failures
before anything was sent are retried for every method, as nothing reached GitHub). Whether a
create that ended ambiguously happened is decided by bot.filing.once's reconcile step.

Rate limits are not slept on here either (`respect_retry_after_header=False`, 403 and 429 are
not in the retry list): the filing service decides how long it may wait and tells the author.

A PyGithub client is not safe to share between threads (its connection object holds the
request being made), so `GitHubAccess.client()` builds a fresh one per operation; only the
App's installation token and the bot's login are cached, under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from github import Auth, Github, GithubIntegration
from urllib3.util.retry import Retry

from bot.errors import ConfigError
from bot.settings import EXPECTED, Settings

# Methods urllib3 may send again after the request reached GitHub: reads only.
RETRIED_METHODS = frozenset({"GET", "HEAD"})
RETRIED_STATUSES = (500, 502, 503, 504)
# An installation token lives an hour; take a new one this long before it expires.
TOKEN_REFRESH = timedelta(minutes=5)


def build_retry() -> Retry:
    """Retries for reads only: a POST or PATCH is never re-sent once it reached GitHub."""
    return Retry(
        total=3,
        connect=2,  # refused or timed-out connects: nothing was sent, any method is safe
        read=2,  # read timeouts and resets, only for RETRIED_METHODS
        status=2,  # RETRIED_STATUSES, only for RETRIED_METHODS
        other=0,  # anything unclassified might have been sent: never retried
        redirect=0,
        backoff_factor=0.25,
        backoff_max=2.0,
        status_forcelist=RETRIED_STATUSES,
        allowed_methods=RETRIED_METHODS,
        respect_retry_after_header=False,
        raise_on_status=False,  # the last answer reaches PyGithub, which raises with its status
        raise_on_redirect=False,
    )


def github_configured(settings: Settings) -> bool:
    """Whether the operator set up GitHub at all (a token, an App, or a repository)."""
    return any(
        value not in (None, "")
        for value in (
            settings.github_token,
            settings.github_repository,
            settings.github_app_id,
            settings.github_app_private_key,
        )
    )


def _missing(variable: str) -> ConfigError:
    return ConfigError(f"{variable} is not set: it should be {EXPECTED[variable]}")


def read_private_key(value: str) -> str:
    """The PEM text of GITHUB_APP_PRIVATE_KEY, which holds the PEM itself or a file path;
    checked now, so a bad key is a ConfigError at startup rather than a failed filing."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        # Some deployment tools keep newlines escaped in a one-line variable.
        return _checked_key(text.replace("\\n", "\n") + "\n", "the PEM text")
    path = Path(text).expanduser()
    try:
        pem = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not text"
        raise ConfigError(
            f"GITHUB_APP_PRIVATE_KEY is malformed (cannot read {path}: {reason}): it should be "
            f"{EXPECTED['GITHUB_APP_PRIVATE_KEY']}"
        ) from exc
    if "-----BEGIN" not in pem:
        raise ConfigError(
            f"GITHUB_APP_PRIVATE_KEY is malformed ({path} holds no PEM key): it should be "
            f"{EXPECTED['GITHUB_APP_PRIVATE_KEY']}"
        )
    return _checked_key(pem, str(path))


def _checked_key(pem: str, where: str) -> str:
    try:
        serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(
            f"GITHUB_APP_PRIVATE_KEY is malformed ({where} is not an unencrypted private "
            f"key): it should be {EXPECTED['GITHUB_APP_PRIVATE_KEY']}"
        ) from exc
    return pem


@dataclass(frozen=True)
class GitHubConfig:
    """What the bot needs to reach GitHub, checked: exactly one way to authenticate."""

    api_url: str
    repository: str  # owner/name
    timeout: int
    token: str | None = None
    app_id: int | None = None
    private_key: str | None = field(default=None, repr=False)
    installation_id: int | None = None

    @property
    def uses_app(self) -> bool:
        return self.app_id is not None

    @property
    def credentials(self) -> str:
        """The variables an operator fixes when GitHub refuses the bot's credentials."""
        if self.uses_app:
            return "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY"
        return "GITHUB_TOKEN"

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.repository.split("/", 1)[1]


def config_from(settings: Settings) -> GitHubConfig:
    """The GitHub configuration in `settings`; ConfigError names the variable that is wrong."""
    token = settings.github_token.get_secret_value() if settings.github_token else None
    key = (
        settings.github_app_private_key.get_secret_value()
        if settings.github_app_private_key
        else None
    )
    if token and (settings.github_app_id or key):
        raise ConfigError(
            "GITHUB_TOKEN and GITHUB_APP_ID are both set: unset one (a token, or the GitHub App)"
        )
    if not token:
        if settings.github_app_id is None and not key:
            raise _missing("GITHUB_TOKEN")
        if settings.github_app_id is None:
            raise _missing("GITHUB_APP_ID")
        if not key:
            raise _missing("GITHUB_APP_PRIVATE_KEY")
    if not settings.github_repository:
        raise _missing("GITHUB_REPOSITORY")
    return GitHubConfig(
        api_url=settings.github_api_url.rstrip("/"),
        repository=settings.github_repository,
        timeout=int(settings.github_timeout),
        token=token or None,
        app_id=settings.github_app_id,
        private_key=read_private_key(key) if key and not token else None,
        installation_id=settings.github_app_installation_id,
    )


class GitHubAccess:
    """Fresh PyGithub clients for one repository, authenticated as the bot.

    `client()` is cheap; build one per operation and drop it. With a GitHub App, the
    installation (looked up from the repository unless configured) and its token are cached
    and renewed before they expire.
    """

    def __init__(
        self,
        config: GitHubConfig,
        *,
        retry: Retry | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self._retry = retry if retry is not None else build_retry()
        self._now = now
        self._lock = threading.Lock()
        self._login: str | None = None
        self._installation_id = config.installation_id
        self._token: str | None = None
        self._token_expires: datetime | None = None
        self._others: dict[str, GitHubAccess] = {}

    @property
    def repository(self) -> str:
        return self.config.repository

    def for_repository(self, repository: str) -> GitHubAccess:
        """Access to `repository` with the same credentials. With a GitHub App, that
        repository's own installation is found (an organisation may install the App more
        than once), so each repository's access is built once and kept."""
        if repository.lower() == self.config.repository.lower():
            return self
        with self._lock:
            known = self._others.get(repository.lower())
            if known is None:
                # GITHUB_APP_INSTALLATION_ID names the default repository's installation only.
                config = replace(self.config, repository=repository, installation_id=None)
                known = GitHubAccess(config, retry=self._retry, now=self._now)
                self._others[repository.lower()] = known
            return known

    def _options(self) -> dict[str, Any]:
        # No throttling: a filing is a handful of requests, and the only second write ever
        # sent (a create after an ambiguous one) follows a reconcile, not a timer.
        return {
            "base_url": self.config.api_url,
            "timeout": self.config.timeout,
            "retry": self._retry,
            "seconds_between_requests": None,
            "seconds_between_writes": None,
        }

    def client(self) -> Github:
        """A new client authenticated as the bot (token, or the App's installation)."""
        if self.config.token:
            return Github(auth=Auth.Token(self.config.token), **self._options())
        return Github(auth=Auth.Token(self._installation_token()), **self._options())

    def bot_login(self) -> str:
        """The login issues are filed under: the token's user, or "<app-slug>[bot]"."""
        with self._lock:
            if self._login is not None:
                return self._login
        if self.config.uses_app:
            with self._integration() as integration:
                login = f"{integration.get_app().slug}[bot]"
        else:
            with self.client() as gh:
                login = gh.get_user().login
        with self._lock:
            self._login = login
        return login

    def _integration(self) -> GithubIntegration:
        assert self.config.app_id is not None and self.config.private_key is not None
        auth = Auth.AppAuth(self.config.app_id, self.config.private_key)
        return GithubIntegration(auth=auth, **self._options())

    def _installation_token(self) -> str:
        with self._lock:
            fresh = (
                self._token is not None
                and self._token_expires is not None
                and self._token_expires - TOKEN_REFRESH > self._now()
            )
            if fresh:
                assert self._token is not None
                return self._token
            installation_id = self._installation_id
        with self._integration() as integration:
            if installation_id is None:
                installation_id = integration.get_repo_installation(
                    self.config.owner, self.config.name
                ).id
            grant = integration.get_access_token(installation_id)
        expires = grant.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        with self._lock:
            self._installation_id = installation_id
            self._token = grant.token
            self._token_expires = expires
        return grant.token


def build_github_access(settings: Settings) -> GitHubAccess:
    """GitHub access from the settings; ConfigError (one line) if they are incomplete."""
    return GitHubAccess(config_from(settings))
