"""TEMPLATE_REPO_PATH and MILESTONE_ADMINS: read, checked, and refused in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("TEMPLATE_REPO_PATH", "MILESTONE_ADMINS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_read_the_reliability_template_and_let_anyone_change_a_channel() -> None:
    """Unset: the conventional template path, and no admins (anyone in the channel)."""
    settings = load_settings()
    assert settings.template_repo_path == ".github/ISSUE_TEMPLATE/reliability_milestone.md"
    assert settings.admins == frozenset()


def test_admins_are_slack_user_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comma-separated list, spaces allowed; anything else is named in the error."""
    monkeypatch.setenv("MILESTONE_ADMINS", "U012AB3CD, W045EF6GH")
    assert load_settings().admins == frozenset({"U012AB3CD", "W045EF6GH"})
    monkeypatch.setenv("MILESTONE_ADMINS", "U012AB3CD,@alice")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith("MILESTONE_ADMINS is malformed ('@alice' is not a Slack")


@pytest.mark.parametrize("path", ["../secrets.md", "templates/issue.txt", "/"])
def test_a_template_path_must_be_a_markdown_file_in_the_repository(
    monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """Outside the repository or not Markdown: refused, naming the variable."""
    monkeypatch.setenv("TEMPLATE_REPO_PATH", path)
    with pytest.raises(ConfigError) as refused:
        load_settings()
    assert str(refused.value).startswith("TEMPLATE_REPO_PATH is malformed")


def test_a_template_path_is_taken_without_its_slashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """`/.github/ISSUE_TEMPLATE/ops.md` is the path `.github/ISSUE_TEMPLATE/ops.md`."""
    monkeypatch.setenv("TEMPLATE_REPO_PATH", "/.github/ISSUE_TEMPLATE/ops.md")
    assert load_settings().template_repo_path == ".github/ISSUE_TEMPLATE/ops.md"
