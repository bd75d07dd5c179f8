"""One source of settings: option > environment > `.env` > default, for every command.

Each terminal command runs in a directory whose `.env` names the database and with no
DATABASE_PATH in the environment: it must use the `.env`'s database, not the default.
(`serve` and `socket` are in tests/e2e/test_dotenv_serve.py.)
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from bot.runtime.cli import main
from bot.settings import load_paths, load_settings

DEFAULT_DB = Path("data/milestones.db")


@pytest.fixture(autouse=True)
def dotenv_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working directory with a `.env` naming the database; nothing in the environment."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "GITHUB_", "DATABASE_", "TEMPLATE_", "PORT", "REMINDER_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("DATABASE_PATH=from-dotenv.db\n", encoding="utf-8")
    return tmp_path / "from-dotenv.db"


def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _draft(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run(monkeypatch, capsys, "chat", "--title", "Bound cancel retries")
    assert code == 0, err
    return next(word.strip(".") for word in out.split() if word.startswith("ms-"))


def test_chat_drafts_in_the_dotenv_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dotenv_only: Path
) -> None:
    """`chat` writes to DATABASE_PATH from `.env`, not to the default path."""
    _draft(monkeypatch, capsys)
    assert dotenv_only.exists() and not DEFAULT_DB.exists()


def test_drafts_and_show_read_the_dotenv_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dotenv_only: Path
) -> None:
    """`drafts` lists and `show` prints the draft kept in the `.env`'s database."""
    draft_id = _draft(monkeypatch, capsys)
    code, out, _ = run(monkeypatch, capsys, "drafts")
    assert code == 0 and draft_id in out and "Bound cancel retries" in out
    code, out, _ = run(monkeypatch, capsys, "show", draft_id)
    assert code == 0 and out.startswith("[Reliability] Bound cancel retries")
    assert not DEFAULT_DB.exists()


def test_backup_copies_the_dotenv_database(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    dotenv_only: Path,
    tmp_path: Path,
) -> None:
    """`backup` copies the `.env`'s database."""
    draft_id = _draft(monkeypatch, capsys)
    code, out, err = run(monkeypatch, capsys, "backup", str(tmp_path / "copy.db"))
    assert code == 0, err
    assert str(dotenv_only.name) in out
    code, out, _ = run(monkeypatch, capsys, "--db", str(tmp_path / "copy.db"), "show", draft_id)
    assert code == 0 and "Bound cancel retries" in out


def test_remind_sweeps_the_dotenv_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dotenv_only: Path
) -> None:
    """`remind --dry-run` opens the `.env`'s database and creates no other."""
    _draft(monkeypatch, capsys)  # remind refuses a database that does not exist
    code, _, err = run(monkeypatch, capsys, "remind", "--dry-run")
    assert code == 0, err
    assert dotenv_only.exists() and not DEFAULT_DB.exists()


def test_the_option_beats_the_environment_which_beats_dotenv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--db > DATABASE_PATH in the environment > `.env` > the default, in one place."""
    assert load_paths().database_path == Path("from-dotenv.db")
    assert load_settings().database_path == Path("from-dotenv.db")
    monkeypatch.setenv("DATABASE_PATH", "from-environment.db")
    assert load_settings().database_path == Path("from-environment.db")
    assert load_settings(database_path=Path("option.db")).database_path == Path("option.db")
    assert load_settings(database_path=None).database_path == Path("from-environment.db")
    monkeypatch.setenv("DATABASE_PATH", "")  # empty counts as unset
    assert load_paths().database_path == Path("from-dotenv.db")
    Path(".env").unlink()
    assert load_paths().database_path == DEFAULT_DB


def test_a_bad_slack_setting_does_not_stop_a_terminal_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dotenv_only: Path
) -> None:
    """`drafts` reads only the paths: a malformed SLACK_BOT_TOKEN is no business of it."""
    _draft(monkeypatch, capsys)  # drafts refuses a database that does not exist
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-a-user-token")
    code, _, err = run(monkeypatch, capsys, "drafts")
    assert code == 0, err
