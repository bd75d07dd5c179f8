"""Settings come from the environment; a bad one stops the process with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for name in list(__import__("os").environ):
        if name.startswith(("SLACK_", "GITHUB_", "DATABASE_", "TEMPLATE_", "PORT")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no developer .env is read


def test_defaults_need_no_environment() -> None:
    """With nothing set, the defaults are Slack's own API and the embedded database."""
    settings = load_settings()
    assert settings.slack_api_url == "https://slack.com/api/"
    assert str(settings.database_path) == "data/milestones.db"
    assert settings.port == 3000


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user", "SLACK_BOT_TOKEN is malformed"),
        ("SLACK_APP_TOKEN", "xoxb-1", "SLACK_APP_TOKEN is malformed"),
        ("PORT", "web", "PORT is malformed"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL is malformed"),
        ("GITHUB_REPOSITORY", "just-a-name", "GITHUB_REPOSITORY is malformed"),
        ("SLACK_COMMAND", "milestone", "SLACK_COMMAND is malformed"),
    ],
)
def test_a_malformed_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    """One line names the variable and what it should look like."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    text = str(caught.value)
    assert text.startswith(message) and "should be" in text and "\n" not in text


def test_require_names_the_missing_variable() -> None:
    """A missing required setting is named with what it should look like."""
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        Settings().require("slack_signing_secret")


def test_secrets_do_not_print() -> None:
    """Secrets stay hidden in reprs and logs of the settings object."""
    settings = Settings(slack_bot_token="xoxb-very-secret", slack_signing_secret="shh-secret")
    assert "very-secret" not in repr(settings) and "shh-secret" not in str(settings)


def test_the_slack_api_url_gets_its_trailing_slash() -> None:
    """slack_sdk appends method names to the base URL, so it must end with a slash."""
    assert Settings(slack_api_url="http://127.0.0.1:9/api").slack_api_url.endswith("/api/")


def test_socket_serves_operator_routes_only_on_a_port_that_was_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`socket` listens on PORT only when it is set, in the environment or in `.env`; the
    default 3000 is `serve`'s and opens nothing for `socket`."""
    assert load_settings().operator_port is None
    (tmp_path / ".env").write_text("PORT=8081\n", encoding="utf-8")
    assert load_settings().operator_port == 8081
    monkeypatch.setenv("PORT", "0")
    assert load_settings().operator_port == 0
