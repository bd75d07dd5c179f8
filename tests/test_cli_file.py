"""`milestone-bot chat` with GitHub configured: `file` files on the emulator, exactly once."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.runtime.cli import main
from bot.storage.store import Store
from flows.draft import DraftStatus
from flows.render import marker, render_issue
from flows.template import load_template
from tests.emulators.github_api import Fault, GitHubEmulator
from tests.test_cli import ANSWERS

ROOT = Path(__file__).resolve().parent.parent
BOT_TOKEN = "ghp-milestone-bot-cli1"
REPO = "acme/execution"
POST = ("POST", "/repos/acme/execution/issues")


@dataclass
class Run:
    code: int
    out: str
    err: str


Cli = Callable[..., Run]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "SLACK_", "REMINDER_")) or name in (
            "DATABASE_PATH",
            "TEMPLATE_PATH",
        ):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubEmulator]:
    """The emulator, with the bot's token and the repository, named in GITHUB_* variables."""
    with GitHubEmulator() as emulator:
        emulator.add_token(BOT_TOKEN, "milestone-bot")
        emulator.add_user("alice")
        emulator.add_repo(
            REPO,
            labels=["reliability"],
            milestones=["M3 - Cancel safety"],
            files={"execution/venues/timeouts.py": ""},
        )
        for name, value in github_environment(emulator).items():
            monkeypatch.setenv(name, value)
        yield emulator


def github_environment(gh: GitHubEmulator) -> dict[str, str]:
    return {
        "GITHUB_TOKEN": BOT_TOKEN,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_API_URL": gh.url,
        "GITHUB_TIMEOUT": "1",
    }


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Cli:
    def run(*argv: str, stdin: str = "") -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(["--db", str(db_path), *argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def lines(*typed: str) -> str:
    return "".join(f"{line}\n" for line in typed)


def draft_at_preview(cli: Cli, db_path: Path) -> str:
    """A draft typed to its preview in the terminal (without `file`); its id."""
    assert cli("chat", stdin=lines(*ANSWERS[:-1])).code == 0
    with Store(db_path).session() as s:
        [row] = s.drafts.summaries()
    assert row.status is DraftStatus.PREVIEW
    return row.id


def test_chat_file_files_the_draft_once_with_everything_right(
    cli: Cli, gh: GitHubEmulator, db_path: Path, tmp_path: Path
) -> None:
    """With GITHUB_* set, `file` makes one issue (no flag needed): title, body, labels,
    milestone, assignee; the preview says so, and no body file is written."""
    run = cli("chat", "--assignee", "@alice", stdin=lines(*ANSWERS))
    assert run.code == 0, run.err
    assert "Here `file` files the issue on GitHub in acme/execution." in run.out
    assert "Type `file` to file it on GitHub in acme/execution," in run.out
    [issue] = gh.issues(REPO)
    with Store(db_path).session() as s:
        [row] = s.drafts.summaries(include_closed=True)
        draft = s.drafts.get(row.id)
    url = f"{gh.web_url}/acme/execution/issues/{issue.number}"
    assert f"Filed on GitHub as #{issue.number}: {url}" in run.out
    assert issue.title == "[Reliability] Cancel storms block protective exits"
    expected = render_issue(
        load_template(), draft.model_copy(update={"notes": ("Assignee: @alice",)})
    )
    assert issue.body == expected.body and marker(draft.id) in issue.body
    assert issue.labels == ["reliability", "execution"]
    assert gh.repo(REPO).milestones[issue.milestone].title == "M3 - Cancel safety"
    assert issue.assignees == ["alice"]
    assert (draft.status, draft.issue_number, draft.issue_url) == (DraftStatus.FILED, 1, url)
    assert not (tmp_path / f"{draft.id}.md").exists()
    assert not (db_path.parent / "issues").exists()


def test_the_preview_flags_paths_not_on_the_default_branch(cli: Cli, gh: GitHubEmulator) -> None:
    """Under the preview, a planned path missing from `main` is shown as "new file?"."""
    run = cli("chat", stdin=lines(*ANSWERS))
    assert (
        "File touch plan: `execution/reconciler.py` isn't on `main` yet. New file? That's "
        "fine; if it's a typo, fix it with `edit files`."
    ) in run.out


def test_chat_file_without_github_settings_names_the_variable(cli: Cli, db_path: Path) -> None:
    """`--file` insists on GitHub: without GITHUB_* it stops at once naming what to set."""
    run = cli("chat", "--file", stdin=lines(*ANSWERS))
    assert run.code == 2
    assert run.err == (
        "milestone-bot: GITHUB_TOKEN is not set: it should be a GitHub token (ghp_..., "
        "github_pat_... or an installation token)\n"
    )
    assert not db_path.exists()


def test_a_bad_assignee_is_refused_by_the_option_parser(cli: Cli, gh: GitHubEmulator) -> None:
    """`--assignee` must look like a GitHub login."""
    with pytest.raises(SystemExit):
        cli("chat", "--file", "--assignee", "not a login")


FAULTS = [
    pytest.param(Fault.slow(2), "GitHub's answer got lost (no answer within 1 s)", id="slow"),
    pytest.param(Fault.drop_connection(), "the connection to GitHub dropped", id="dropped"),
    pytest.param(Fault.error_after(502), "GitHub's answer got lost (502", id="502-after"),
    pytest.param(Fault.error_before(500), "Filed on GitHub as #1", id="500-before"),
    pytest.param(Fault.secondary_rate_limit(1), "GitHub asked me to slow down", id="403-wait"),
]


@pytest.mark.parametrize(("fault", "said"), FAULTS)
def test_chat_file_makes_one_issue_under_unclear_answers(
    cli: Cli, gh: GitHubEmulator, db_path: Path, fault: Fault, said: str
) -> None:
    """Lost answers, a 5xx and a short rate limit all end with one issue and a link."""
    draft_id = draft_at_preview(cli, db_path)
    gh.inject(*POST, fault)
    run = cli("chat", "--resume", draft_id, "--file", stdin=lines("file"))
    assert run.code == 0, run.out + run.err
    assert said in run.out and "Filed on GitHub as #1" in run.out
    assert len([i for i in gh.issues(REPO) if marker(draft_id) in (i.body or "")]) == 1


REFUSALS = [
    pytest.param(Fault.bad_credentials(), "The operator needs to fix GITHUB_TOKEN", id="401"),
    pytest.param(Fault.not_found(), "GitHub answered 404 Not Found when creating", id="404"),
    pytest.param(Fault.issues_disabled(), "Issues are turned off in acme/execution", id="410"),
    pytest.param(Fault.validation_failed(), "body is too long (maximum is 65536", id="422"),
    pytest.param(Fault.secondary_rate_limit(3600), "press Retry filing after", id="403-long"),
]


@pytest.mark.parametrize(("fault", "said"), REFUSALS)
def test_chat_file_refusals_keep_the_draft_for_a_retry(
    cli: Cli, gh: GitHubEmulator, db_path: Path, fault: Fault, said: str
) -> None:
    """A refusal exits 2 saying why, the draft stays at its preview, and filing again works."""
    draft_id = draft_at_preview(cli, db_path)
    gh.inject(*POST, fault)
    run = cli("chat", "--resume", draft_id, "--file", stdin=lines("file"))
    assert run.code == 2 and said in run.out
    assert gh.issues(REPO) == []
    with Store(db_path).session() as s:
        assert s.drafts.get(draft_id).status is DraftStatus.PREVIEW
    again = cli("chat", "--resume", draft_id, "--file", stdin=lines("file"))
    assert again.code == 0 and "Filed on GitHub as #1" in again.out
    assert len(gh.issues(REPO)) == 1


def test_two_processes_filing_the_same_draft_make_one_issue(
    cli: Cli, gh: GitHubEmulator, db_path: Path, tmp_path: Path
) -> None:
    """Two `chat --resume ID --file` processes typing `file` at once: one issue, both told."""
    draft_id = draft_at_preview(cli, db_path)
    gh.inject(*POST, Fault.slow(2))  # the first create is held, so the two overlap
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")},
        **github_environment(gh),
        "GITHUB_TIMEOUT": "5",
        "PYTHONPATH": str(ROOT),
        "REMINDER_SWEEP_MINUTES": "0",
    }
    command = [sys.executable, "-m", "bot", "--db", str(db_path), "chat", "--resume", draft_id]
    typed = tmp_path / "typed.txt"
    typed.write_text("file\n")
    processes = []
    for _ in range(2):
        with typed.open() as stdin:  # both type `file` as soon as they are up
            processes.append(
                subprocess.Popen(
                    [*command, "--file"],
                    cwd=tmp_path,
                    env=env,
                    stdin=stdin,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
    outputs = [p.communicate(timeout=60) for p in processes]
    assert len([i for i in gh.issues(REPO) if marker(draft_id) in (i.body or "")]) == 1
    assert len(gh.requests_to(*POST)) == 1
    told = [out + err for out, err in outputs]
    assert sum("Filed on GitHub as #1" in text for text in told) == 1
    other = next(text for text in told if "Filed on GitHub as #1" not in text)
    assert "Already filed as #1" in other or "This draft is filed as #1" in other


def test_a_dropped_assignee_names_the_configured_command(
    cli: Cli, gh: GitHubEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A login GitHub won't assign is dropped, and the note names SLACK_COMMAND's command
    for checking it, not /milestone."""
    monkeypatch.setenv("SLACK_COMMAND", "/reliability")
    run = cli("chat", "--assignee", "@no-such-person", stdin=lines(*ANSWERS))
    assert run.code == 0, run.err
    assert "GitHub wouldn't assign @no-such-person" in run.out
    assert "`/reliability github-login`" in run.out and "/milestone" not in run.out
