"""`milestone-bot`: draft in the terminal, list and show drafts, check the journal and gates.

A thin edge over the same engine and store as Slack. Expected errors (MilestoneError) become
one line on stderr and exit 2; anything else is a bug and keeps its traceback.

Exit codes: 0 done; 1 the check found something (replay differences, gates left); 2 error.
Subcommands live in COMMANDS: add one by appending a Command.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot.errors import DatabaseUnreadable, LocalFileError, UnknownDraft
from bot.storage.database import DEFAULT_PATH
from bot.storage.ids import normalize_draft_id
from bot.storage.store import Store
from flows import engine, prompts
from flows.answers import parse_control
from flows.draft import Draft, DraftStatus
from flows.errors import MilestoneError
from flows.outcome import Action, Outcome, ReplyKind
from flows.parse import unchecked_gates
from flows.questions import Flow, QuestionKind, build_flow
from flows.render import render_issue
from flows.template import Template, load_template

if TYPE_CHECKING:
    from datetime import datetime

    from bot.github.client import GitHubAccess

PROG = "milestone-bot"
SOURCE = "cli"
# Answers of these kinds take several lines, ended by an empty line or "." alone.
MULTILINE_KINDS = (
    QuestionKind.PARAGRAPH,
    QuestionKind.LIST,
    QuestionKind.ORDERED_LIST,
    QuestionKind.GATES,
)
RULE = "─" * 72


# -- configuration ----------------------------------------------------------------------


def resolve_paths(args: argparse.Namespace) -> None:
    """--db and --template as every command uses them: the option if given, else
    DATABASE_PATH / TEMPLATE_PATH from the environment, else from `.env`, else the default
    (bot.settings holds that one precedence)."""
    from bot.settings import load_paths

    paths = load_paths(database_path=args.db, template_path=args.template)
    args.db, args.template = paths.database_path, paths.template_path


def _template(args: argparse.Namespace) -> Template:
    return load_template(args.template)


def _open_store(args: argparse.Namespace, flow: Flow | None = None) -> Store:
    if flow is None:
        return Store(args.db)
    return Store(args.db, progress=lambda draft: engine.progress(flow, draft))


def _existing_store(args: argparse.Namespace) -> Store:
    """The store, for commands that only read: a missing file is an error, not created."""
    if not Path(args.db).exists():
        raise DatabaseUnreadable(
            f"no database at {args.db}; pass --db or set DATABASE_PATH, "
            f"or start a draft with `{PROG} chat`"
        )
    return Store(args.db)


def _draft_id(text: str) -> str:
    return normalize_draft_id(text)


def _issue_text(template: Template, draft: Draft) -> str:
    """The rendered issue as one Markdown text: its title line, a blank line, the body."""
    issue = render_issue(template, draft)
    return f"{issue.title}\n\n{issue.body.rstrip()}\n"


# -- chat -------------------------------------------------------------------------------


class Terminal:
    """Lines in, text out. Interactive when stdin is a terminal (line editing, prompts)."""

    def __init__(self, stdin: TextIO, stdout: TextIO) -> None:
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - importing it gives input() line editing

    def say(self, text: str = "") -> None:
        print(text, file=self.stdout, flush=True)

    def line(self, prompt: str) -> str | None:
        """One line without its newline; None at end of input."""
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        raw = self.stdin.readline()
        if not raw:
            return None
        text = raw.rstrip("\r\n")
        # Piped input is not shown by a terminal: echo it so the transcript reads as a chat.
        self.say(f"{prompt}{text}".rstrip())
        return text

    def answer(self, multiline: bool) -> str | None:
        """The author's next message; None when input ended before one began."""
        first = self.line("> ")
        if first is None or not multiline or not first.strip() or parse_control(first):
            return first
        lines = [first]
        while True:
            more = self.line("… ")
            if more is None or not more.strip() or more.strip() == ".":
                return "\n".join(lines)
            lines.append(more)


def _expects_multiline(flow: Flow, draft: Draft) -> bool:
    if draft.status is not DraftStatus.DRAFTING or draft.flow.step is None:
        return False
    try:
        return flow.question(draft.flow.step).kind in MULTILINE_KINDS
    except KeyError:
        return False


def _show(term: Terminal, template: Template, outcome: Outcome) -> None:
    for reply in outcome.replies:
        if outcome.action is Action.FILE and reply.kind is ReplyKind.INFO:
            continue  # the engine's "Filing it on GitHub…": the terminal writes a file instead
        term.say()
        term.say(reply.text)
        if reply.kind is ReplyKind.PREVIEW:
            term.say(RULE)
            term.say(_issue_text(template, outcome.draft).rstrip())
            term.say(RULE)


def _intro(draft_id: str, resumed: bool, repository: str | None = None) -> str:
    lead = f"Picking up draft {draft_id}." if resumed else f"Drafting {draft_id}."
    where = (
        f"Here `file` files the issue on GitHub in {repository}."
        if repository
        else f"Here `file` writes the issue to {draft_id}.md in this directory; "
        "it does not go to GitHub yet (`chat --file` files it there)."
    )
    return "\n".join(
        (
            f"{lead} Every answer is saved; `{PROG} chat --resume {draft_id}` picks it up again.",
            "Press Enter to send. Paragraphs and lists take several lines: finish them with an "
            "empty line (or a `.` alone).",
            f"Any time: {prompts.COMMANDS} · `help` how to answer.",
            where,
        )
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "terminal"


def _correlation_id() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"


def _start(args: argparse.Namespace, store: Store, flow: Flow, actor: str) -> tuple[Draft, Outcome]:
    """Create or load the draft and put its current question."""
    with store.session() as s:
        if args.resume:
            before = s.drafts.get(_draft_id(args.resume))
            outcome = engine.start(flow, before)
            draft = before
            if outcome.changes:
                draft = s.drafts.record(
                    before,
                    outcome.draft,
                    kind=outcome.kind,
                    actor=actor,
                    source=SOURCE,
                    correlation_id=_correlation_id(),
                )
            return draft, outcome
        draft = Draft(id=s.drafts.new_id(), author=actor)
        if args.title:
            # Checked like a typed answer, so a bad title is refused before anything is saved.
            draft = draft.with_changes(flow.question("title").parse(args.title, draft))
        outcome = engine.start(flow, draft)
        draft = s.drafts.create(
            outcome.draft,
            location=None,
            actor=actor,
            source=SOURCE,
            correlation_id=_correlation_id(),
        )
        return draft, outcome


def _step(store: Store, flow: Flow, draft_id: str, text: str, actor: str) -> Outcome:
    """One message as one unit of work: load, advance, journal, commit."""
    with store.session() as s:
        before = s.drafts.get(draft_id)
        outcome = engine.advance(flow, before, text)
        after = s.drafts.record(
            before,
            outcome.draft,
            kind=outcome.kind,
            actor=actor,
            source=SOURCE,
            correlation_id=_correlation_id(),
            input=text,
            question_id=outcome.question_id,
        )
    return Outcome(after, outcome.replies, outcome.changes, outcome.action, outcome.kind)


def run_chat(args: argparse.Namespace) -> int:
    template = _template(args)
    flow = build_flow(template)
    github = _github(args)
    store = _open_store(args, flow)
    term = Terminal(sys.stdin, sys.stdout)
    actor = _user()
    draft, outcome = _start(args, store, flow, actor)
    term.say(_intro(draft.id, resumed=bool(args.resume), repository=github and github.repository))
    _show(term, template, outcome)
    _touch_note(term, github, outcome)
    while True:
        text = term.answer(_expects_multiline(flow, draft))
        if text is None:
            term.say()
            term.say(f"Saved {draft.id}. `{PROG} chat --resume {draft.id}` picks it up again.")
            return 0
        outcome = _step(store, flow, draft.id, text, actor)
        draft = outcome.draft
        _show(term, template, outcome)
        _touch_note(term, github, outcome)
        if outcome.action is Action.CANCEL:
            return 0
        if outcome.action is Action.FILE and github is not None:
            return _file_on_github(term, args, store, template, github, draft, actor)
        if outcome.action is Action.FILE:
            return _write_issue(term, template, draft)


# -- chat --file: filing on GitHub -------------------------------------------------------------


def _github(args: argparse.Namespace) -> GitHubAccess | None:
    """GitHub access for `chat --file`, from GITHUB_* (ConfigError names what is missing)."""
    if not getattr(args, "file", False):
        return None
    from bot.github.client import build_github_access
    from bot.settings import load_settings

    return build_github_access(load_settings())


def _touch_note(term: Terminal, github: GitHubAccess | None, outcome: Outcome) -> None:
    """Under a preview, the file touch plan's paths that are not on the default branch."""
    if github is None or not any(r.kind is ReplyKind.PREVIEW for r in outcome.replies):
        return
    from bot.github.touch_check import FileTouchChecker, touch_note

    note = touch_note(FileTouchChecker(github).check(outcome.draft.file_touch_plan))
    if note:
        term.say()
        term.say(note)


def _file_on_github(
    term: Terminal,
    args: argparse.Namespace,
    store: Store,
    template: Template,
    github: GitHubAccess,
    draft: Draft,
    actor: str,
) -> int:
    """File the draft once (bot.filing.once); 0 once it is on GitHub, 2 if it could not be."""
    from bot.filing.once import FilingService, clock_time, result_lines

    if args.assignee and draft.assignee != args.assignee:
        with store.session() as s:
            before = s.drafts.get(draft.id)
            after = before.model_copy(update={"assignee": args.assignee})
            draft = s.drafts.record(
                before,
                after,
                kind="edit",
                actor=actor,
                source=SOURCE,
                correlation_id=_correlation_id(),
                input=f"--assignee {args.assignee}",
            )

    def on_wait(seconds: float, until: datetime) -> None:
        term.say(
            f"GitHub asked me to slow down; trying again at {clock_time(until, None)} "
            f"(in {seconds:g} s)."
        )

    service = FilingService(store, template, github)
    result = service.file(
        draft.id, actor=actor, source=SOURCE, correlation_id=_correlation_id(), on_wait=on_wait
    )
    term.say()
    for line in result_lines(result):
        term.say(line)
    return 0 if result.filed else 2


def _write_issue(term: Terminal, template: Template, draft: Draft) -> int:
    text = _issue_text(template, draft)
    target = Path(f"{draft.id}.md")
    try:
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise LocalFileError(f"cannot write {target.resolve()} ({exc.strerror})") from exc
    term.say(RULE)
    term.say(text.rstrip())
    term.say(RULE)
    term.say(
        f"Wrote the issue to {target.resolve()}. It is not on GitHub: the terminal does not "
        "file yet, so paste it into a new issue."
    )
    return 0


# -- drafts, show, replay, gates ----------------------------------------------------------


def run_drafts(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        print(f"No drafts yet. Start one with `{PROG} chat`.")
        return 0
    with Store(args.db).session() as s:
        rows = s.drafts.summaries(args.author, include_closed=args.all)
    if not rows:
        closed = "" if args.all else " open"
        who = f" by {args.author}" if args.author else ""
        hint = "" if args.all else " (`--all` shows filed and cancelled ones too)"
        print(f"No{closed} drafts{who}{hint}.")
        return 0
    table = [("ID", "STATUS", "PROGRESS", "UPDATED (UTC)", "AUTHOR", "TITLE")]
    for row in rows:
        total = "?" if row.total is None else str(row.total)
        table.append(
            (
                row.id,
                row.status.value,
                f"{row.answered}/{total}",
                row.updated_at.strftime("%Y-%m-%d %H:%M"),
                row.author,
                row.title or "(untitled)",
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]) - 1)]
    for r in table:
        cells = [cell.ljust(width) for cell, width in zip(r, widths, strict=False)]
        print("  ".join([*cells, r[-1]]))
    return 0


def run_show(args: argparse.Namespace) -> int:
    template = _template(args)
    with _existing_store(args).session() as s:
        draft = s.drafts.get(_draft_id(args.id))
    sys.stdout.write(_issue_text(template, draft))
    return 0


def run_replay(args: argparse.Namespace) -> int:
    store = _existing_store(args)
    draft_id = _draft_id(args.id)
    _, differences = store.replay(draft_id)
    with store.session() as s:
        entries = len(s.drafts.journal(draft_id))
    if not differences:
        print(f"{draft_id}: journal and stored draft agree ({entries} entries)")
        return 0
    print(f"{draft_id}: journal and stored draft differ ({entries} entries)")
    for name, (journal, stored) in differences.items():
        print(f"  {name}: journal {journal!r}, stored {stored!r}")
    return 1


def _read_input(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LocalFileError(f"cannot read {name} ({reason})") from exc


def run_gates(args: argparse.Namespace) -> int:
    template = _template(args)
    body = _read_input(args.file)
    left = unchecked_gates(template, body)
    for section, label in left:
        print(f"{section}: {label}")
    if not left:
        print("Every gate is settled.", file=sys.stderr)
    return 1 if left else 0


def run_backup(args: argparse.Namespace) -> int:
    store = _existing_store(args)
    written = store.backup(args.target)
    print(f"Backed up {store.path} to {written}.")
    return 0


# -- the command table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda parser: None


def _chat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", help="the issue's title, so the first question is skipped")
    parser.add_argument("--resume", metavar="ID", help="continue an existing draft")
    parser.add_argument(
        "--file",
        action="store_true",
        help="`file` files the issue on GitHub (GITHUB_TOKEN or the App, GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--assignee",
        metavar="LOGIN",
        type=_login,
        help="with --file: the GitHub login the issue is assigned to",
    )


def _login(text: str) -> str:
    from flows.errors import InvalidAnswer
    from flows.questions import parse_github_login

    try:
        return parse_github_login(text)
    except InvalidAnswer as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _drafts_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--author", help="only this author's drafts (Slack user id or name)")
    parser.add_argument(
        "--all", action="store_true", help="include filed, cancelled and archived drafts"
    )


def _id_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", metavar="ID", help="a draft id such as ms-7kq2vd")


def _gates_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="an issue body in Markdown, or - for stdin")


def _backup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="PATH", help="the new file to write the copy to")


def _none(parser: argparse.ArgumentParser) -> None:
    return None


def _serve(args: argparse.Namespace) -> int:
    from bot.runtime.serve import run_serve  # Slack and the web stack load only for this command

    return run_serve(args)


def _socket(args: argparse.Namespace) -> int:
    from bot.runtime.serve import run_socket

    return run_socket(args)


def _remind(args: argparse.Namespace) -> int:
    from bot.runtime.remind import run_remind  # Slack and GitHub load only for this command

    return run_remind(args)


def _remind_arguments(parser: argparse.ArgumentParser) -> None:
    from bot.runtime.remind import add_arguments

    add_arguments(parser)


COMMANDS: list[Command] = [
    Command("chat", "draft an issue here in the terminal", run_chat, _chat_arguments),
    Command("drafts", "list drafts", run_drafts, _drafts_arguments),
    Command("show", "print a draft as the issue it would file", run_show, _id_argument),
    Command(
        "replay",
        "rebuild a draft from its journal; exit 1 if the stored draft differs",
        run_replay,
        _id_argument,
    ),
    Command(
        "gates",
        "list an issue body's unticked gates; exit 1 if any is left",
        run_gates,
        _gates_arguments,
    ),
    Command(
        "backup",
        "copy the database to PATH with SQLite's online backup (safe while serving)",
        run_backup,
        _backup_arguments,
    ),
    Command("serve", "serve Slack over HTTP on $PORT (the Procfile's web process)", _serve, _none),
    Command("socket", "serve Slack over Socket Mode (SLACK_APP_TOKEN)", _socket, _none),
    Command(
        "remind",
        "run one gate-reminder sweep and exit (cron, a Procfile clock:, a scheduler)",
        _remind,
        _remind_arguments,
    ),
]


def _global_options(*, suppress: bool) -> argparse.ArgumentParser:
    # The same options on the main parser and on each subcommand, so they work on either
    # side of the command name; SUPPRESS keeps a subcommand from resetting the main value.
    # None means "not given": the environment and .env are read after parsing
    # (resolve_paths), so a default never passes for an option the operator typed.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--db",
        type=Path,
        default=argparse.SUPPRESS if suppress else None,
        help=f"the SQLite database (env or .env DATABASE_PATH; default {DEFAULT_PATH})",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=argparse.SUPPRESS if suppress else None,
        help="the issue template (env or .env TEMPLATE_PATH; default the bundled one)",
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Draft Reliability Milestone issues and follow their gates.",
        parents=[_global_options(suppress=False)],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    common = _global_options(suppress=True)
    for command in COMMANDS:
        child = sub.add_parser(
            command.name, help=command.help, description=command.help, parents=[common]
        )
        command.arguments(child)
        child.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script. Returns the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    try:
        resolve_paths(args)
        return int(args.run(args))
    except UnknownDraft as exc:
        print(f"{PROG}: {exc}; run `{PROG} drafts` to list them", file=sys.stderr)
    except MilestoneError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
