"""PyGithub clients from settings: configuration errors, retries that never re-send a write,
timeouts, GitHub Enterprise's prefix, and GitHub App installations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from github import Auth, Github, GithubException, GithubRetry

from bot.errors import ConfigError, GitHubUnavailable
from bot.github.client import (
    GitHubAccess,
    GitHubConfig,
    build_retry,
    config_from,
    github_configured,
    read_private_key,
)
from bot.github.issues import IssueAccess
from bot.settings import Settings
from tests.emulators.app_keys import app_key_pair
from tests.emulators.github_api import Fault, GitHubEmulator

TOKEN = "ghp-milestone-bot-0001"
REPO = "acme/execution"
APP_ID = 4242
INSTALLATION_ID = 77


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        emulator.add_token(TOKEN, "milestone-bot")
        emulator.add_repo(REPO, labels=["reliability"])
        yield emulator


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    """An RSA key pair (private PEM, public PEM) for the App's JWTs."""
    return app_key_pair()


def settings(**values: object) -> Settings:
    """Settings from these values only (no environment, no .env)."""
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def token_access(gh: GitHubEmulator, timeout: int = 2) -> GitHubAccess:
    return GitHubAccess(GitHubConfig(api_url=gh.url, repository=REPO, timeout=timeout, token=TOKEN))


# ---- configuration --------------------------------------------------------------------------


def test_nothing_set_means_github_is_off() -> None:
    """With no GITHUB_* set the bot doesn't file; any one of them turns GitHub on."""
    assert not github_configured(settings())
    assert github_configured(settings(github_repository=REPO))
    assert github_configured(settings(github_token="ghp-x"))


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"github_repository": REPO},
            "GITHUB_TOKEN is not set: it should be a GitHub token (ghp_..., github_pat_... or "
            "an installation token)",
        ),
        (
            {"github_token": "ghp-x"},
            "GITHUB_REPOSITORY is not set: it should be owner/name, such as acme/execution",
        ),
        (
            {"github_app_id": 1, "github_repository": REPO},
            "GITHUB_APP_PRIVATE_KEY is not set: it should be the App's private key: PEM text, "
            "or the path of its .pem file",
        ),
        (
            {"github_app_private_key": "-----BEGIN KEY-----", "github_repository": REPO},
            "GITHUB_APP_ID is not set: it should be the GitHub App's numeric id (its settings "
            "page, About)",
        ),
        (
            {"github_token": "ghp-x", "github_app_id": 1, "github_repository": REPO},
            "GITHUB_TOKEN and GITHUB_APP_ID are both set: unset one (a token, or the GitHub App)",
        ),
    ],
)
def test_incomplete_settings_name_the_variable(values: dict[str, object], message: str) -> None:
    """Each incomplete configuration is one line naming the variable to set."""
    with pytest.raises(ConfigError) as caught:
        config_from(settings(**values))
    assert str(caught.value) == message


def test_the_private_key_may_be_pem_text_or_a_path(
    tmp_path: Path, app_key: tuple[str, str]
) -> None:
    """PEM text (even with escaped newlines) or a file path both give the PEM."""
    private, _ = app_key
    assert read_private_key(private).strip() == private.strip()
    assert read_private_key(private.strip().replace("\n", "\\n")).strip() == private.strip()
    path = tmp_path / "app.pem"
    path.write_text(private)
    assert read_private_key(str(path)) == private


def test_an_unusable_key_is_named(tmp_path: Path) -> None:
    """A key path that is missing or holds no PEM, or a PEM that is no key, is refused."""
    with pytest.raises(ConfigError) as caught:
        read_private_key(str(tmp_path / "missing.pem"))
    assert str(caught.value).startswith("GITHUB_APP_PRIVATE_KEY is malformed (cannot read")
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(ConfigError) as junk:
        read_private_key(str(tmp_path / "junk.pem"))
    assert "holds no PEM key" in str(junk.value)
    with pytest.raises(ConfigError) as broken:
        read_private_key("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")
    assert str(broken.value).startswith(
        "GITHUB_APP_PRIVATE_KEY is malformed (the PEM text is not an unencrypted private key)"
    )


def test_config_carries_url_timeout_and_repository() -> None:
    """The API URL (any trailing slash dropped), the integer timeout and owner/name."""
    config = config_from(
        settings(
            github_token="ghp-x",
            github_repository=REPO,
            github_api_url="https://ghe.example.com/api/v3/",
            github_timeout=7,
        )
    )
    assert (config.api_url, config.timeout, config.owner, config.name) == (
        "https://ghe.example.com/api/v3",
        7,
        "acme",
        "execution",
    )
    assert config.credentials == "GITHUB_TOKEN" and not config.uses_app


def test_the_client_uses_the_settings_timeout(gh: GitHubEmulator) -> None:
    """A reply slower than GITHUB_TIMEOUT times out, and a GET is then sent again."""
    gh.inject("GET", "/repos/acme/execution", Fault.slow(2))
    client = token_access(gh, timeout=1).client()
    assert client.get_repo(REPO).full_name == REPO
    assert len(gh.requests_to("GET", "/repos/acme/execution")) == 2


# ---- retries ---------------------------------------------------------------------------------


def test_pygithubs_default_retry_would_file_twice(gh: GitHubEmulator) -> None:
    """The reason for build_retry: GithubRetry re-sends a POST after a 502, making two issues."""
    client = Github(
        auth=Auth.Token(TOKEN),
        base_url=gh.url,
        retry=GithubRetry(),
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    gh.inject("POST", "/repos/acme/execution/issues", Fault.error_after(502))
    client.get_repo(REPO).create_issue("twice")
    assert [i.title for i in gh.issues(REPO)] == ["twice", "twice"]


@pytest.mark.parametrize(
    "fault",
    [Fault.error_after(502), Fault.error_before(503), Fault.drop_connection()],
    ids=["502-after", "503-before", "dropped"],
)
def test_our_retry_never_resends_a_post(gh: GitHubEmulator, fault: Fault) -> None:
    """A POST that failed is sent exactly once, whatever happened to it."""
    repo = token_access(gh).client().get_repo(REPO)
    gh.inject("POST", "/repos/acme/execution/issues", fault)
    with pytest.raises((GithubException, requests.exceptions.ConnectionError)):
        repo.create_issue("once")
    assert len(gh.requests_to("POST", "/repos/acme/execution/issues")) == 1


def test_a_post_that_times_out_is_not_resent(gh: GitHubEmulator) -> None:
    """A read timeout on a POST raises at once: one request, and the issue exists."""
    repo = token_access(gh, timeout=1).client().get_repo(REPO)
    gh.inject("POST", "/repos/acme/execution/issues", Fault.slow(2))
    with pytest.raises(requests.exceptions.ReadTimeout):
        repo.create_issue("once")
    assert len(gh.requests_to("POST", "/repos/acme/execution/issues")) == 1
    assert len(gh.issues(REPO)) == 1


def test_reads_are_retried_on_5xx(gh: GitHubEmulator) -> None:
    """A GET that meets a 502 is sent again and succeeds."""
    gh.inject("GET", "/repos/acme/execution", Fault.error_before(502))
    assert token_access(gh).client().get_repo(REPO).full_name == REPO
    assert [r.status for r in gh.requests_to("GET", "/repos/acme/execution")] == [502, 200]


def test_a_read_without_githubs_message_names_the_status(gh: GitHubEmulator) -> None:
    """A reminder's read that meets a 502 with no message reads "GitHub answered 502"."""
    gh.add_issue(REPO, "Bound retries", body="- [ ] gate")
    gh.inject("GET", "/repos/acme/execution/issues/1", Fault.custom(502, {}), times=5)
    with pytest.raises(GitHubUnavailable) as raised:
        IssueAccess(token_access(gh).client()).get(REPO, 1)
    assert str(raised.value) == "GitHub answered 502"


def test_rate_limits_are_not_slept_on_by_the_http_layer(gh: GitHubEmulator) -> None:
    """A 403 with Retry-After comes straight back: the filing service decides about waiting."""
    gh.inject("GET", "/repos/acme/execution", Fault.secondary_rate_limit(retry_after=60))
    with pytest.raises(GithubException) as caught:
        token_access(gh).client().get_repo(REPO)
    assert caught.value.status == 403
    assert len(gh.requests_to("GET", "/repos/acme/execution")) == 1


def test_build_retry_allows_only_reads() -> None:
    """Only GET and HEAD may be retried after the request reached GitHub."""
    retry = build_retry()
    assert retry.allowed_methods == frozenset({"GET", "HEAD"})
    assert not retry.is_retry("POST", 502) and retry.is_retry("GET", 502)
    assert not retry.respect_retry_after_header


# ---- the bot's account ---------------------------------------------------------------------------


def test_a_tokens_login_is_looked_up_once(gh: GitHubEmulator) -> None:
    """The token's user is the bot's login, asked of GitHub once and remembered."""
    access = token_access(gh)
    assert access.bot_login() == "milestone-bot"
    assert access.bot_login() == "milestone-bot"
    assert len(gh.requests_to("GET", "/user")) == 1


def test_ghes_prefix_reaches_the_api(gh: GitHubEmulator) -> None:
    """GITHUB_API_URL with /api/v3 (GitHub Enterprise Server) is where every request goes."""
    with GitHubEmulator(prefix="/api/v3", rate_limiting=False) as ghes:
        ghes.add_token(TOKEN, "milestone-bot")
        ghes.add_repo(REPO)
        access = GitHubAccess(
            config_from(
                settings(github_token=TOKEN, github_repository=REPO, github_api_url=ghes.url)
            )
        )
        assert access.client().get_repo(REPO).full_name == REPO
        assert access.bot_login() == "milestone-bot"
        assert all(r.path.startswith("/api/v3/") for r in ghes.requests)


def app_access(
    gh: GitHubEmulator, private: str, *, installation_id: int | None = None, now: object = None
) -> GitHubAccess:
    values: dict[str, object] = {
        "github_app_id": APP_ID,
        "github_app_private_key": private,
        "github_repository": REPO,
        "github_api_url": gh.url,
    }
    if installation_id is not None:
        values["github_app_installation_id"] = installation_id
    config = config_from(settings(**values))
    if now is None:
        return GitHubAccess(config)
    return GitHubAccess(config, now=now)  # type: ignore[arg-type]


def test_a_github_app_files_as_its_bot(gh: GitHubEmulator, app_key: tuple[str, str]) -> None:
    """The App's installation on the repository is found, and issues are by "<slug>[bot]"."""
    private, public = app_key
    gh.add_app(APP_ID, "milestone-bot", public_key_pem=public)
    gh.add_installation(INSTALLATION_ID, APP_ID, "acme")
    access = app_access(gh, private)
    assert access.config.credentials == "GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY"
    issue = access.client().get_repo(REPO).create_issue("by the app")
    assert issue.user.login == "milestone-bot[bot]"
    assert access.bot_login() == "milestone-bot[bot]"
    assert len(gh.requests_to("GET", "/repos/acme/execution/installation")) == 1


def test_the_installation_token_is_reused_until_near_expiry(
    gh: GitHubEmulator, app_key: tuple[str, str]
) -> None:
    """One token serves many clients; a new one is minted five minutes before expiry."""
    private, public = app_key
    gh.add_app(APP_ID, "milestone-bot", public_key_pem=public)
    gh.add_installation(INSTALLATION_ID, APP_ID, "acme")
    moment = [datetime.now(UTC)]
    access = app_access(gh, private, installation_id=INSTALLATION_ID, now=lambda: moment[0])
    access.client().get_repo(REPO)
    access.client().get_repo(REPO)
    minted = f"/app/installations/{INSTALLATION_ID}/access_tokens"
    assert len(gh.requests_to("POST", minted)) == 1
    assert gh.requests_to("GET", "/repos/acme/execution/installation") == []
    moment[0] += timedelta(minutes=56)
    access.client().get_repo(REPO)
    assert len(gh.requests_to("POST", minted)) == 2
