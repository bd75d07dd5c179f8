"""The `milestone-bot` command line: chat in the terminal, drafts, show, replay, gates."""

from __future__ import annotations

import io
import logging
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import structlog

from bot.runtime.cli import COMMANDS, main
from bot.storage.migrations import SCHEMA_VERSION
from bot.storage.store import Store
from flows.draft import DraftStatus

ROOT = Path(__file__).resolve().parent.parent

# One answer per question of the bundled flow, typed as a person would at the terminal.
# Multi-line answers end with an empty line or a "." alone.
ANSWERS = [
    "Cancel storms block protective exits",
    "M9",  # refused: not a milestone
    "3",
    "A cancel that times out is never resubmitted blind.",
    "When a venue times out on a cancel, the reconciler sends it again.",
    "The duplicate is rejected and retried until the rate limiter trips.",
    "",
    "1 3",
    "skip",
    "- Cancel path in the order reconciler",
    "- Timeout classification",
    ".",
    "skip",
    "execution/reconciler.py",
    "",
    "Classify cancel timeouts as ambiguous",
    "Reconcile before any retry",
    "",
    "skip",
    "skip",
    "skip",
    "skip",
    "skip",
    "done 2",
    "",
    "file",
]


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_PATH", raising=False)
    monkeypatch.delenv("TEMPLATE_PATH", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, db_path: Path
) -> object:
    def run(*argv: str, stdin: str = "", db: Path | None = db_path) -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        options = ["--db", str(db)] if db is not None else []
        code = main([*options, *argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def _lines(*lines: str) -> str:
    return "".join(f"{line}\n" for line in lines)


def _draft_id(out: str) -> str:
    match = re.search(r"\b(ms-[0-9a-z]{6})\b", out)
    assert match, out
    return match.group(1)


def body_file(db_path: Path, draft_id: str) -> Path:
    """Where `file` writes a draft's body without GitHub: the data folder beside the database."""
    return db_path.parent / "issues" / f"{draft_id}.md"


def test_chat_walks_the_flow_and_writes_the_body_to_the_data_folder(
    cli, db_path: Path, tmp_path: Path
) -> None:
    """Without GitHub, `file` writes the body only, beside the database, never into the
    working directory, and says the title and labels to use."""
    run = cli("chat", stdin=_lines(*ANSWERS))
    assert run.code == 0, run.err
    draft_id = _draft_id(run.out)
    written = body_file(db_path, draft_id)
    assert f"Wrote the issue body to {written}." in run.out
    assert "“[Reliability] Cancel storms block protective exits” with the labels " in run.out
    assert list(tmp_path.glob("*.md")) == []
    text = written.read_text(encoding="utf-8")
    assert text.startswith("## Milestone Context\n")
    assert "- Target milestone: `M3`" in text
    assert "- [x] Existing related unit suites pass." in text
    assert f"<!-- milestone-draft: {draft_id} -->" in text
    assert "Pick one of M1, M2, M3, M4, M5, M6" in run.out
    assert "Type `file` to write the issue to a file (GitHub isn't configured)," in run.out
    assert run.err == ""


def test_chat_journals_every_message_including_refused_ones(cli, db_path: Path) -> None:
    """Each typed message is a journal entry with source "cli", the refused "M9" included."""
    draft_id = _draft_id(cli("chat", stdin=_lines(*ANSWERS)).out)
    store = Store(db_path)
    with store.session() as s:
        entries = s.drafts.journal(draft_id)
        draft = s.drafts.get(draft_id)
    assert {e.source for e in entries} == {"cli"}
    refused = [e for e in entries if e.kind == "rejected"]
    assert [(e.input, e.question_id) for e in refused] == [("M9", "milestone")]
    assert [e.input for e in entries if e.question_id == "problem"] == [
        "When a venue times out on a cancel, the reconciler sends it again.\n"
        "The duplicate is rejected and retried until the rate limiter trips."
    ]
    assert draft.in_scope == ("Cancel path in the order reconciler", "Timeout classification")
    assert draft.implementation_plan == (
        "Classify cancel timeouts as ambiguous",
        "Reconcile before any retry",
    )
    assert store.replay(draft_id)[1] == {}


def test_first_prompt_says_how_to_answer(cli) -> None:
    """The first thing chat prints explains sending, multi-line answers and the commands."""
    run = cli("chat", stdin="")
    intro = run.out.split("\n\n")[0]
    assert "empty line (or a `.` alone)" in intro
    assert "`back`" in intro and "`cancel`" in intro and "`help`" in intro
    assert "GitHub isn't configured (GITHUB_TOKEN is not set), so `file` writes" in intro


def test_chat_stops_at_end_of_input_and_resumes(cli, db_path: Path) -> None:
    """Input ending mid-draft saves it; `--resume` (any case) picks up at the next question."""
    first = cli("chat", stdin=_lines("Retry storms", "2"))
    assert first.code == 0
    draft_id = _draft_id(first.out)
    assert f"Saved {draft_id}. `milestone-bot chat --resume {draft_id}`" in first.out

    again = cli("chat", "--resume", draft_id.upper(), stdin=_lines("back"))
    assert again.code == 0
    assert f"Picking up draft {draft_id}." in again.out
    assert "Risk-reduction objective" in again.out.split("> back")[0]
    assert "Target milestone" in again.out.split("> back")[1]
    with Store(db_path).session() as s:
        draft = s.drafts.get(draft_id)
    assert (draft.title, draft.target_milestone) == ("Retry storms", "M2")


def test_chat_title_option_answers_the_first_question(cli, db_path: Path) -> None:
    """`chat --title` stores the title (prefix removed) and starts at the next question."""
    run = cli("chat", "--title", "[Reliability] Retry storms", stdin="")
    assert "Question 1 of 15 · Target milestone" in run.out
    with Store(db_path).session() as s:
        (row,) = s.drafts.summaries()
    assert row.title == "Retry storms"


def test_chat_refuses_a_bad_title_before_saving(cli, db_path: Path) -> None:
    """A title that would be refused as an answer stops chat with exit 2 and saves nothing."""
    run = cli("chat", "--title", "x" * 300, stdin="")
    assert run.code == 2
    assert run.err.startswith("milestone-bot: ") and run.err.count("\n") == 1
    with Store(db_path).session() as s:
        assert s.drafts.summaries(include_closed=True) == []


def test_control_word_on_a_multiline_question_is_sent_at_once(cli) -> None:
    """At a paragraph question, `back` on the first line acts without waiting for an empty line."""
    run = cli("chat", stdin=_lines("Retry storms", "2", "Bounded exposure.", "back"))
    after_back = run.out.split("> back")[1]
    assert "Risk-reduction objective" in after_back


def test_chat_cancel_ends_without_writing(cli, db_path: Path, tmp_path: Path) -> None:
    """`cancel` ends the chat, marks the draft cancelled and writes no file."""
    run = cli("chat", stdin=_lines("Retry storms", "cancel"))
    assert run.code == 0
    draft_id = _draft_id(run.out)
    assert "Cancelled; nothing was filed." in run.out
    assert not (tmp_path / f"{draft_id}.md").exists()
    with Store(db_path).session() as s:
        assert s.drafts.get(draft_id).status is DraftStatus.CANCELLED


def test_chat_resume_brings_a_cancelled_draft_back(cli, db_path: Path) -> None:
    """As `/milestone resume ID` in Slack: the cancel says how, and resuming goes on where
    the draft stood, journaled as a resume."""
    cancelled = cli("chat", stdin=_lines("Retry storms", "cancel"))
    draft_id = _draft_id(cancelled.out)
    assert f"`milestone-bot chat --resume {draft_id}` brings the draft back." in cancelled.out
    run = cli("chat", "--resume", draft_id, stdin=_lines("2"))
    assert run.code == 0, run.err
    assert "Question 2 of 16 · Target milestone" in run.out
    with Store(db_path).session() as s:
        draft = s.drafts.get(draft_id)
        kinds = [e.kind for e in s.drafts.journal(draft_id)]
    assert (draft.status, draft.target_milestone) == (DraftStatus.DRAFTING, "M2")
    assert kinds[-2:] == ["resume", "answer"]


def test_drafts_lists_open_drafts_with_progress(cli) -> None:
    """`drafts` shows id, status, progress and title; closed drafts only with --all."""
    open_id = _draft_id(cli("chat", stdin=_lines("Retry storms", "2")).out)
    closed_id = _draft_id(cli("chat", stdin=_lines("Old idea", "cancel")).out)
    run = cli("drafts")
    assert run.code == 0
    header, *rows = run.out.splitlines()
    assert header.split() == ["ID", "STATUS", "PROGRESS", "UPDATED", "(UTC)", "AUTHOR", "TITLE"]
    assert len(rows) == 1
    assert rows[0].startswith(f"{open_id}  drafting  2/16")
    assert rows[0].endswith("Retry storms")
    everything = cli("drafts", "--all")
    assert closed_id in everything.out and "cancelled" in everything.out


def test_drafts_filters_by_author(cli) -> None:
    """`drafts --author` lists only that author's drafts and says so when there are none."""
    cli("chat", stdin=_lines("Retry storms"))
    run = cli("drafts", "--author", "U-nobody")
    assert run.code == 0
    assert run.out == "No open drafts by U-nobody (`--all` shows filed and cancelled ones too).\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["drafts"],
        ["show", "ms-aaaaaa"],
        ["replay", "ms-aaaaaa"],
        ["backup", "copy.db"],
        ["remind", "--dry-run"],
    ],
)
def test_every_reading_command_refuses_a_missing_database_the_same_way(
    cli, tmp_path: Path, argv: list[str]
) -> None:
    """drafts, show, replay, backup, remind: one line naming the path, exit 2, nothing created."""
    missing = tmp_path / "none.db"
    run = cli(*argv, db=missing)
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"milestone-bot: no database at {missing}; pass --db or set DATABASE_PATH, "
        "or start a draft with `milestone-bot chat`\n"
    )
    assert not missing.exists()


def test_show_prints_the_title_line_then_the_body(cli) -> None:
    """`show` prints the rendered issue: its title line, a blank line, the Markdown body."""
    draft_id = _draft_id(cli("chat", stdin=_lines("Retry storms", "2")).out)
    run = cli("show", draft_id)
    assert run.code == 0
    assert run.out.startswith("[Reliability] Retry storms\n\n## Milestone Context\n")
    assert "- Target milestone: `M2`" in run.out
    assert run.out.rstrip().endswith(f"<!-- milestone-draft: {draft_id} -->")


def test_unknown_draft_is_one_line_and_exit_2(cli) -> None:
    """An unknown id gives one line naming it and how to list drafts, and no traceback."""
    cli("chat", stdin="")  # so that the database exists
    run = cli("show", "ms-zzzzzz")
    assert run.code == 2
    assert run.err == "milestone-bot: no draft ms-zzzzzz; run `milestone-bot drafts` to list them\n"
    assert run.out == ""


def test_replay_reports_agreement(cli) -> None:
    """`replay` says the journal and stored draft agree, with the entry count, and exits 0."""
    draft_id = _draft_id(cli("chat", stdin=_lines("Retry storms", "M9", "2")).out)
    run = cli("replay", draft_id)
    assert (run.code, run.out) == (
        0,
        f"{draft_id}: journal and stored draft agree (4 entries)\n",
    )


def test_replay_reports_a_tampered_row_and_exits_1(cli, db_path: Path) -> None:
    """`replay` lists each field where the stored draft differs from the journal and exits 1."""
    draft_id = _draft_id(cli("chat", stdin=_lines("Retry storms")).out)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "UPDATE drafts SET data = json_set(data, '$.title', 'Hand edit') WHERE id = ?",
            (draft_id,),
        )
    conn.close()
    run = cli("replay", draft_id)
    assert run.code == 1
    assert run.out.splitlines()[1:] == ["  title: journal 'Retry storms', stored 'Hand edit'"]


def test_gates_lists_unticked_gates_and_exits_1(cli, tmp_path: Path) -> None:
    """`gates FILE` prints `<section>: <label>` per unticked gate and exits 1."""
    draft_id = _draft_id(cli("chat", stdin=_lines(*ANSWERS)).out)
    issue = body_file(tmp_path / "data" / "milestones.db", draft_id)
    run = cli("gates", str(issue))
    assert run.code == 1
    lines = run.out.splitlines()
    assert lines[0] == "Unit tests: Added/updated unit tests for new behavior."
    assert "Unit tests: Existing related unit suites pass." not in lines
    assert "Acceptance Criteria: All declared invariants hold in tests." in lines
    assert len(lines) == 14


def test_gates_reads_stdin_and_exits_0_when_all_are_ticked(cli, tmp_path: Path) -> None:
    """`gates -` reads the body from stdin; with every box ticked it prints nothing and exits 0."""
    draft_id = _draft_id(cli("chat", stdin=_lines(*ANSWERS)).out)
    issue = body_file(tmp_path / "data" / "milestones.db", draft_id)
    ticked = issue.read_text(encoding="utf-8").replace("- [ ] ", "- [x] ")
    run = cli("gates", "-", stdin=ticked)
    assert (run.code, run.out) == (0, "")
    assert run.err == "Every gate is settled.\n"


def test_gates_with_an_unreadable_file_is_one_line_and_exit_2(cli) -> None:
    """A FILE that cannot be read is named in one line on stderr with exit 2."""
    run = cli("gates", "missing.md")
    assert (run.code, run.err) == (
        2,
        "milestone-bot: cannot read missing.md (No such file or directory)\n",
    )


def test_a_corrupt_database_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    """A database file that is not SQLite is refused in one line naming it, exit 2."""
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all\n" * 200)
    run = cli("drafts", db=bad)
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert run.err.startswith(f"milestone-bot: {bad} is damaged or not a SQLite database")


def test_a_newer_database_is_one_line_and_exit_2(cli, db_path: Path) -> None:
    """A database from a newer milestone-bot is refused with the upgrade hint, exit 2."""
    Store(db_path)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE meta SET value = '9' WHERE key = 'schema_version'")
    conn.close()
    run = cli("drafts")
    assert (run.code, run.err) == (
        2,
        f"milestone-bot: database schema version 9 is newer than this milestone-bot "
        f"({SCHEMA_VERSION}); upgrade milestone-bot\n",
    )


def test_show_without_a_database_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    """Reading commands refuse a database path that does not exist instead of creating it."""
    missing = tmp_path / "none.db"
    run = cli("show", "ms-aaaaaa", db=missing)
    assert run.code == 2
    assert run.err.startswith(f"milestone-bot: no database at {missing}; pass --db")
    assert not missing.exists()


def test_a_bad_template_is_one_line_and_exit_2(cli, tmp_path: Path) -> None:
    """A template the flow cannot use is refused with the template's problem, exit 2."""
    bad = tmp_path / "template.md"
    bad.write_text("# Not a template\n", encoding="utf-8")
    run = cli("gates", "-", "--template", str(bad), stdin="")
    assert run.code == 2
    assert run.err == (
        f"milestone-bot: {bad}: the template has no front matter "
        "(a --- block with name and labels)\n"
    )


def test_environment_sets_the_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli
) -> None:
    """DATABASE_PATH and TEMPLATE_PATH are the defaults of --db and --template."""
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "env.db"))
    monkeypatch.setenv("TEMPLATE_PATH", str(tmp_path / "custom.md"))
    missing = cli("chat", stdin="", db=None)
    assert missing.code == 2 and "custom.md" in missing.err  # TEMPLATE_PATH was used
    monkeypatch.delenv("TEMPLATE_PATH")
    run = cli("chat", stdin="", db=None)
    assert run.code == 0
    assert (tmp_path / "env.db").exists()


def test_global_options_work_after_the_command(cli, db_path: Path) -> None:
    """--db may come after the command name as well as before it."""
    cli("chat", stdin=_lines("Retry storms"))
    run = cli("drafts", "--db", str(db_path), db=None)
    assert "Retry storms" in run.out


def test_python_dash_m_bot_runs_the_cli(tmp_path: Path) -> None:
    """`python -m bot` is the same command: piped stdin in, exit code out."""
    body = "## Unit tests\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "gates", "-"],
        input=body,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[0] == (
        "Unit tests: Added/updated unit tests for new behavior. (missing from the body)"
    )


def test_every_command_and_setting_is_in_the_readme() -> None:
    """The README documents each subcommand and each environment variable the CLI reads."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert f"milestone-bot {command.name}" in readme, command.name
    for variable in ("DATABASE_PATH", "TEMPLATE_PATH"):
        assert f"`{variable}`" in readme, variable


def test_backup_copies_a_live_database_that_replays(cli, db_path: Path, tmp_path: Path) -> None:
    """`backup` copies the database while it is in use; the copy replays; a target is never
    overwritten."""
    run = cli("chat", stdin=_lines("Cancel storms block protective exits", "3"))
    draft_id = _draft_id(run.out)
    (tmp_path / "backups").mkdir()
    target = tmp_path / "backups" / "copy.db"
    holder = sqlite3.connect(db_path)  # another reader, as the running bot would be
    try:
        holder.execute("BEGIN")
        holder.execute("SELECT count(*) FROM journal").fetchone()
        done = cli("backup", str(target))
    finally:
        holder.close()
    assert done.code == 0 and str(target) in done.out
    assert cli("replay", draft_id, db=target).code == 0
    assert cli("show", draft_id, db=target).out.startswith("[Reliability] Cancel storms")
    again = cli("backup", str(target))
    assert again.code == 2 and "exists" in again.err


def test_serve_warns_when_the_database_is_under_a_temporary_directory(tmp_path: Path) -> None:
    """An SQLite file under the temporary directory gets a storage.ephemeral warning."""
    from bot.log import configure_logging
    from bot.runtime.serve import warn_if_ephemeral

    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(stream=buffer)
    try:
        warn_if_ephemeral(tmp_path / "milestones.db")
        warn_if_ephemeral(Path("/srv/milestone-bot/data/milestones.db"))  # a real volume
    finally:
        structlog.reset_defaults()
        root.handlers[:], root.level = handlers, level
    lines = [line for line in buffer.getvalue().splitlines() if "storage.ephemeral" in line]
    assert len(lines) == 1 and "persistent disk" in lines[0]


def test_backup_refuses_a_folder_that_does_not_exist(cli, db_path: Path, tmp_path: Path) -> None:
    """`backup` into a missing folder is one line naming it, and creates nothing."""
    cli("chat", stdin=_lines("Retry storms"))
    run = cli("backup", str(tmp_path / "nowhere" / "deeper" / "copy.db"))
    assert run.code == 2
    assert run.err == (
        f"milestone-bot: there is no folder {tmp_path / 'nowhere' / 'deeper'}; create it first, "
        "or give a path in a folder that exists\n"
    )
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("stdin", ["hello\n", "", "# Some README\n\n- [ ] a box\n"])
def test_gates_on_input_that_is_not_an_issue_is_exit_2_naming_the_headings(cli, stdin: str) -> None:
    """`echo hello | gates -` and an empty input are errors, not "every gate open"."""
    run = cli("gates", "-", stdin=stdin)
    assert (run.code, run.out) == (2, "")
    assert run.err.count("\n") == 1
    assert run.err.startswith(
        "milestone-bot: stdin is not a milestone issue body: none of the gate headings is there "
        "(looked for ### Unit tests, ### Adversarial/chaos validation, "
        "## Telemetry and Observability, "
    )


def test_gates_lists_a_deleted_gate_line_as_missing_not_open(cli, db_path: Path) -> None:
    """A body whose dashboard line was deleted lists it as missing; ticked ones stay quiet."""
    draft_id = _draft_id(cli("chat", stdin=_lines(*ANSWERS)).out)
    body = body_file(db_path, draft_id).read_text(encoding="utf-8").replace("- [ ] ", "- [x] ")
    body = body.replace("- [x] Dashboard/alert impact reviewed.\n", "")
    run = cli("gates", "-", stdin=body)
    assert (run.code, run.out) == (
        1,
        "Telemetry and Observability: Dashboard/alert impact reviewed. (missing from the body)\n",
    )


def _drop_dashboard_gate(tmp_path: Path) -> Path:
    from flows.template import bundled_template_path

    source = bundled_template_path().read_text(encoding="utf-8")
    changed = tmp_path / "changed.md"
    changed.write_text(source.replace("- [ ] Dashboard/alert impact reviewed.\n", ""), "utf-8")
    return changed


def test_show_and_chat_report_a_decision_the_template_dropped(
    cli, db_path: Path, tmp_path: Path
) -> None:
    """A stored N/A for a gate the template no longer has is named by show and chat, and kept."""
    typed = [*ANSWERS[:-3], "done 2\nn/a 6: no dashboards for this service", ""]
    draft_id = _draft_id(cli("chat", stdin=_lines(*typed)).out)
    changed = _drop_dashboard_gate(tmp_path)
    shown = cli("show", draft_id, "--template", str(changed))
    assert shown.code == 0
    assert "Dashboard/alert impact reviewed." not in shown.out
    said = "gate “Dashboard/alert impact reviewed.” (N/A: no dashboards for this service)"
    assert said in shown.err
    chat = cli("chat", "--resume", draft_id, "--template", str(changed), stdin="")
    assert said in chat.out
    with Store(db_path).session() as s:
        kept = s.drafts.get(draft_id).gates["Dashboard/alert impact reviewed."]
    assert kept.reason == "no dashboards for this service"


def test_none_ends_a_list_answer_on_its_first_line(cli, db_path: Path) -> None:
    """`none` alone at a list question is sent at once: the next lines are new messages."""
    run = cli("chat", stdin=_lines(*ANSWERS[:8], "none", "- Cancel path", "", "cancel"))
    draft_id = _draft_id(run.out)
    with Store(db_path).session() as s:
        draft = s.drafts.get(draft_id)
    assert draft.additional_invariants == ()
    assert draft.in_scope == ("Cancel path",)
    assert draft.status is DraftStatus.CANCELLED


def test_a_command_typed_inside_a_list_answer_is_refused_not_stored(cli, db_path: Path) -> None:
    """A `cancel` line inside a list ends the answer and is refused; nothing becomes an item."""
    run = cli("chat", stdin=_lines(*ANSWERS[:9], "- Cancel path", "cancel", "- Cancel path", ""))
    assert "“cancel” on a line of its own is a command, not part of an answer." in run.out
    with Store(db_path).session() as s:
        draft = s.drafts.get(_draft_id(run.out))
    assert draft.in_scope == ("Cancel path",)
    assert draft.status is DraftStatus.DRAFTING


def test_plain_output_shows_no_slack_markup(cli) -> None:
    """Piped output drops Slack's `*bold*` and `_italic_` marks; code keeps its backticks."""
    run = cli("chat", stdin=_lines("Retry storms", "help"))
    assert "Question 2 of 16 · Target milestone\n" in run.out
    assert "*Question" not in run.out and "_Example:_" not in run.out
    assert "How to answer · Target milestone" in run.out


def test_out_chooses_where_the_body_goes_and_never_overwrites_another_file(
    cli, tmp_path: Path
) -> None:
    """`--out FOLDER` gets `<id>.md`; `--out FILE` that holds something else is refused."""
    folder = tmp_path / "bodies"
    folder.mkdir()
    run = cli("chat", "--out", str(folder), stdin=_lines(*ANSWERS))
    draft_id = _draft_id(run.out)
    assert (folder / f"{draft_id}.md").read_text(encoding="utf-8").startswith("## Milestone")
    notes = tmp_path / "NOTES.md"
    notes.write_text("mine\n", encoding="utf-8")
    again = cli("chat", "--resume", draft_id, "--out", str(notes), stdin=_lines("file"))
    assert again.code == 2
    assert again.err == (
        f"milestone-bot: {notes} exists and isn't this draft's issue; "
        "choose another path with `--out`\n"
    )
    assert notes.read_text(encoding="utf-8") == "mine\n"
    rewritten = cli("chat", "--resume", draft_id, "--out", str(folder), stdin=_lines("file"))
    assert (
        rewritten.code == 0 and f"Wrote the issue body to {folder / draft_id}.md." in rewritten.out
    )


def test_an_edit_line_inside_a_list_does_not_cut_the_answer(cli, db_path: Path) -> None:
    """ "edit the config file" may be prose, so the terminal reads on: one answer of three
    items, as the same message is in Slack."""
    typed = ["- Cancel path", "edit the config file", "- Timeout classification", ""]
    run = cli("chat", stdin=_lines(*ANSWERS[:9], *typed))
    with Store(db_path).session() as s:
        draft = s.drafts.get(_draft_id(run.out))
    assert draft.in_scope == ("Cancel path", "edit the config file", "Timeout classification")
