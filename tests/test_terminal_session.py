"""`milestone-bot chat` at a real terminal (a pty, driven by pexpect), as a person types it.

Two whole sessions: one with GitHub configured (the emulator) drafts, edits, drops a
half-typed answer with Ctrl-D, cancels, resumes and files; one without GitHub writes the
body file. Each keeps its transcript (escape codes removed) in the test's folder, so it can
be read as the author saw it.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pyte
import pytest

from bot.storage.store import Store
from flows.draft import DraftStatus
from flows.render import marker
from tests.emulators.github_api import GitHubEmulator

ROOT = Path(__file__).resolve().parent.parent
REPO = "acme/execution"
TOKEN = "ghp-milestone-bot-pty1"
ENTER = "\r"
ESC_ENTER = "\x1b\r"
CTRL_D = "\x04"
COLUMNS, ROWS = 140, 60


def readable(raw: str) -> str:
    """The session as the author saw it: the pty's output played on a terminal emulator
    (pyte), scrolled-off lines included, so redraws and escape codes are gone."""
    screen = pyte.HistoryScreen(COLUMNS, ROWS, history=100_000, ratio=0.5)
    pyte.Stream(screen).feed(raw)
    rows = ["".join(row[x].data for x in range(COLUMNS)) for row in screen.history.top]
    rows += screen.display
    return "\n".join(row.rstrip() for row in rows).strip() + "\n"


class Session:
    """One `milestone-bot chat` process on a pty; `log` gathers everything it printed."""

    def __init__(self, workdir: Path, env: dict[str, str], *args: str) -> None:
        self.workdir = workdir
        self.log_path = workdir / f"pty-{len(list(workdir.glob('pty-*.log')))}.log"
        self.log = self.log_path.open("w", encoding="utf-8", newline="")
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "bot", "--db", str(workdir / "data" / "milestones.db"), "chat", *args],
            cwd=workdir,
            env=env,
            encoding="utf-8",
            dimensions=(ROWS, COLUMNS),
            timeout=40,  # generous: a loaded 2-core machine, not a speed check
        )
        self.child.logfile_read = self.log

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)

    def answer(self, text: str, then: str) -> None:
        """Type one line and Enter, then wait for `then`."""
        self.child.send(text + ENTER)
        self.expect(then)

    def lines(self, *typed: str, then: str, end: str = ENTER) -> None:
        """A multi-line answer: each line and Enter, then `end` (a blank line or Esc-Enter)."""
        for line in typed:
            self.child.send(line + ENTER)
        self.child.send(end)
        self.expect(then)

    def exit_status(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        self.log.close()
        return int(self.child.exitstatus)

    def transcript(self) -> str:
        """What the author saw; also kept beside the pty log as transcript-N.txt."""
        with self.log_path.open(encoding="utf-8", newline="") as raw:
            text = readable(raw.read())
        self.log_path.with_name(
            self.log_path.stem.replace("pty", "transcript") + ".txt"
        ).write_text(text, encoding="utf-8")
        return text


def terminal_environment(**extra: str) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "SLACK_", "REMINDER_", "NO_COLOR"))
        and k not in ("DATABASE_PATH", "TEMPLATE_PATH")
    }
    return {
        **keep,
        "PYTHONPATH": str(ROOT),
        "TERM": "xterm-256color",
        "PROMPT_TOOLKIT_NO_CPR": "1",  # no cursor-position query to wait on
        **extra,
    }


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        emulator.add_token(TOKEN, "milestone-bot")
        emulator.add_repo(REPO, labels=["reliability"], files={"execution/reconciler.py": ""})
        yield emulator


def type_to_the_preview(s: Session) -> None:
    """Every question answered the way a person would, with a refusal and a dropped answer."""
    s.expect("Question 1 of 16 · Title")
    s.answer("Cancel storms block protective exits", "Question 2 of 16 · Target milestone")
    s.answer("M9", "isn't one of the choices")
    s.answer("3", "Question 3 of 16")
    s.answer("A cancel that times out is never resent blind.", "Question 4 of 16")
    s.lines(
        "When a venue times out on a cancel, the reconciler sends it again,",
        "until the rate limiter blocks protective exits.",
        then="Question 5 of 16",
    )
    s.answer("1 3", "Question 6 of 16 · Additional invariants")
    s.answer("none", "Question 7 of 16 · In scope")
    s.lines("- Retry budget per order", "- Retry budget per order", then="is listed 2 times")
    s.lines("- Retry budget per order", "- Reconcile before any retry", then="Question 8 of 16")
    s.answer("skip", "Question 9 of 16 · File touch plan")
    s.lines("execution/reconciler.py", then="Question 10 of 16", end=ESC_ENTER)
    s.lines("Classify cancel timeouts as ambiguous", "Reconcile first", then="Question 11 of 16")
    s.child.send("pytest -q tests/execution" + ENTER + "pytest -q -m cha")  # half-typed
    s.child.send(CTRL_D)
    s.expect("Dropped that answer; nothing was sent")
    for number in (12, 13, 14, 15, 16):
        s.answer("skip", f"Question {number} of 16")
    s.lines("done 2", then="That's everything. Here's your issue.")


def test_a_terminal_session_drafts_edits_cancels_resumes_and_files_once(
    tmp_path: Path, gh: GitHubEmulator, db_path: Path
) -> None:
    """At a pty with GitHub configured: the whole draft, an edit from the preview, cancel,
    resume, and `file` make exactly one issue with the edited title."""
    env = terminal_environment(
        GITHUB_TOKEN=TOKEN, GITHUB_REPOSITORY=REPO, GITHUB_API_URL=gh.url, GITHUB_TIMEOUT="2"
    )
    s = Session(tmp_path, env)
    s.expect("files the issue on GitHub in acme/execution.")  # styled: no backticks shown
    type_to_the_preview(s)
    s.expect("to file it on GitHub in acme/execution, ")
    s.answer("edit title", "Editing · Title")
    s.answer("Cancel storms starve protective exits", "Here's your issue.")
    s.answer("cancel", "brings the draft back.")
    assert s.exit_status() == 0
    draft_id = re.search(r"Drafting (ms-[0-9a-z]{6})", s.transcript()).group(1)
    assert gh.issues(REPO) == []

    again = Session(tmp_path, env, "--resume", draft_id)
    again.expect(f"Picking up draft {draft_id}.")
    again.expect("Here's your issue.")
    again.answer("file", "Filed on GitHub as #1")
    assert again.exit_status() == 0
    [issue] = gh.issues(REPO)
    assert issue.title == "[Reliability] Cancel storms starve protective exits"
    assert marker(draft_id) in issue.body
    with Store(tmp_path / "data" / "milestones.db").session() as st:
        draft = st.drafts.get(draft_id)
    assert draft.status is DraftStatus.FILED
    assert draft.in_scope == ("Retry budget per order", "Reconcile before any retry")
    assert draft.test_commands == ("pytest -q",)  # the dropped answer was never sent
    transcript = s.transcript() + again.transcript()
    assert "*Question" not in transcript and "_Example:_" not in transcript
    assert "draft.filed" not in transcript  # no log lines in the conversation
    assert "☑ Existing related unit suites pass." in transcript  # the preview as Markdown
    assert "Type file to file it on GitHub in acme/execution," in again.transcript()


def test_a_terminal_session_without_github_writes_the_body_file(tmp_path: Path) -> None:
    """At a pty without GitHub: the preview says what `file` does, `file` writes the body
    to the data folder (nothing in the working directory), and Ctrl-D on an empty prompt
    of a new chat saves and exits."""
    env = terminal_environment(NO_COLOR="1")
    s = Session(tmp_path, env)
    s.expect("GitHub isn't configured (GITHUB_TOKEN is not set), so `file` writes")
    type_to_the_preview(s)
    s.expect("Type `file` to write the issue to a file (GitHub isn't configured)")
    s.answer("file", "Wrote the issue body to")
    assert s.exit_status() == 0
    transcript = s.transcript()
    draft_id = re.search(r"Drafting (ms-[0-9a-z]{6})", transcript).group(1)
    body = tmp_path / "data" / "issues" / f"{draft_id}.md"
    assert f"Wrote the issue body to {body}." in transcript
    assert body.read_text(encoding="utf-8").startswith("## Milestone Context\n")
    assert list(tmp_path.glob("*.md")) == []

    later = Session(tmp_path, env, "--title", "Retry storms")
    later.expect("Question 1 of 15 · Target milestone")
    later.child.send(CTRL_D)
    later.expect("picks it up again.")
    assert later.exit_status() == 0
