"""`milestone-bot`: the argument parser and the dispatcher, nothing else.

Each subcommand is one Command in COMMANDS: its name, help, the function that runs it
(bot.terminal for the terminal ones; serve, socket and remind load their stacks only when
run) and the function that adds its arguments. Add one by appending a Command.

Expected errors (MilestoneError) become one line on stderr and exit 2; anything else is a
bug and keeps its traceback. Every command but serve, socket and chat needs the database to
exist: a missing one is that one line, never an empty answer or a new file.

Exit codes: 0 done; 1 the check found something (replay differences, gates left); 2 error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.errors import DatabaseUnreadable, UnknownDraft
from flows.errors import MilestoneError

PROG = "milestone-bot"
# bot.storage.database.DEFAULT_PATH, written out so that `--help` and `gates` load no SQLite
# layer (tests/project/test_cli_imports.py checks the two agree).
DEFAULT_PATH = Path("data/milestones.db")


# -- configuration ----------------------------------------------------------------------


def resolve_paths(args: argparse.Namespace) -> None:
    """--db and --template as every command uses them: the option if given, else
    DATABASE_PATH / TEMPLATE_PATH from the environment, else from `.env`, else the default
    (bot.settings.PathSettings holds that one precedence; `light_paths` follows it for the
    terminal commands)."""
    if args.command in _LIGHT_PATHS:
        args.db, args.template = light_paths(args.db, args.template)
        return
    from bot.settings import load_paths

    paths = load_paths(database_path=args.db, template_path=args.template)
    args.db, args.template = paths.database_path, paths.template_path


# The commands that start without pydantic-settings (over 100 ms of imports, a third of what
# `gates` would otherwise cost in CI): they need two paths, and strings make valid paths.
_LIGHT_PATHS = frozenset({"drafts", "show", "replay", "gates", "backup", "evidence"})


def light_paths(db: Path | None, template: Path | None) -> tuple[Path, Path | None]:
    """PathSettings' precedence without loading it: the option, else the variable (any case,
    empty counts as unset), else `.env` in the working directory (read by python-dotenv, as
    pydantic-settings reads it), else the default. tests/project/test_cli_imports.py holds
    the two to the same answers."""
    found: dict[str, str] = {}
    if Path(".env").is_file():
        from dotenv import dotenv_values

        values = dotenv_values(".env", encoding="utf-8")
        found.update({k.lower(): v for k, v in values.items() if v})
    found.update({k.lower(): v for k, v in os.environ.items() if v})
    if db is None:
        db = Path(found["database_path"]) if "database_path" in found else DEFAULT_PATH
    if template is None and "template_path" in found:
        template = Path(found["template_path"])
    return db, template


def require_database(args: argparse.Namespace) -> None:
    """One line when the database the command reads does not exist (it is never created)."""
    if not Path(args.db).exists():
        raise DatabaseUnreadable(
            f"no database at {args.db}; pass --db or set DATABASE_PATH, "
            f"or start a draft with `{PROG} chat`"
        )


# -- the commands ------------------------------------------------------------------------


def _chat(args: argparse.Namespace) -> int:
    from bot.terminal.chat import run_chat  # rich and prompt_toolkit load only for chat

    return run_chat(
        database=args.db,
        template_path=args.template,
        title=args.title,
        resume=args.resume,
        assignee=args.assignee,
        out=args.out,
        insist_on_github=args.file,
    )


def _drafts(args: argparse.Namespace) -> int:
    from bot.terminal.commands import run_drafts

    return run_drafts(args)


def _show(args: argparse.Namespace) -> int:
    from bot.terminal.commands import run_show

    return run_show(args)


def _replay(args: argparse.Namespace) -> int:
    from bot.terminal.commands import run_replay

    return run_replay(args)


def _gates(args: argparse.Namespace) -> int:
    from bot.terminal.commands import run_gates

    return run_gates(args)


def _backup(args: argparse.Namespace) -> int:
    from bot.terminal.commands import run_backup

    return run_backup(args)


def _serve(args: argparse.Namespace) -> int:
    from bot.runtime.serve import run_serve  # Slack and the web stack load only for this command

    return run_serve(args)


def _socket(args: argparse.Namespace) -> int:
    from bot.runtime.socket_mode import run_socket  # Slack's Socket Mode client only here

    return run_socket(args)


def _remind(args: argparse.Namespace) -> int:
    from bot.runtime.remind import run_remind  # Slack and GitHub load only for this command

    return run_remind(args)


# -- their arguments ---------------------------------------------------------------------


def _chat_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", help="the issue's title, so the first question is skipped")
    parser.add_argument(
        "--resume", metavar="ID", help="continue a draft (a cancelled one comes back too)"
    )
    parser.add_argument(
        "--assignee", metavar="LOGIN", type=_login, help="the GitHub login the issue is assigned to"
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        type=Path,
        help="without GitHub: where `file` writes the issue body (a file or a folder; "
        "default: issues/ beside the database)",
    )
    parser.add_argument(
        "--file",
        action="store_true",
        help="insist on filing on GitHub: stop at once if a GITHUB_* setting is missing",
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
    parser.add_argument(
        "target", metavar="PATH", help="the new file to write the copy to, in a folder that exists"
    )


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def _evidence(args: argparse.Namespace) -> int:
    from bot.runtime.evidence_command import run

    return run(args)


def _evidence_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "issue", metavar="ISSUE", help="12, #12, owner/name#12, the issue's URL, or a draft id"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _remind_arguments(parser: argparse.ArgumentParser) -> None:
    from bot.runtime.remind import add_arguments

    add_arguments(parser)


# -- the command table -------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Callable[[argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments
    needs_database: bool = True  # a missing database is one line and exit 2, never created


COMMANDS: list[Command] = [
    Command(
        "chat", "draft an issue here in the terminal", _chat, _chat_arguments, needs_database=False
    ),
    Command("drafts", "list drafts", _drafts, _drafts_arguments),
    Command("show", "print a draft as the issue it would file", _show, _id_argument),
    Command(
        "replay",
        "rebuild a draft from its journal; exit 1 if the stored draft differs",
        _replay,
        _id_argument,
    ),
    Command(
        "gates",
        "list an issue body's unticked gates; exit 1 if any is left, 2 if it isn't an issue",
        _gates,
        _gates_arguments,
        needs_database=False,  # reads an issue body, no database
    ),
    Command(
        "evidence",
        "per gate of a tracked issue: its state, the pull requests' evidence and its source",
        _evidence,
        _evidence_arguments,
    ),
    Command(
        "backup",
        "copy the database to PATH with SQLite's online backup (safe while serving)",
        _backup,
        _backup_arguments,
    ),
    Command(
        "serve",
        "serve Slack over HTTP on $PORT (the Procfile's web process)",
        _serve,
        needs_database=False,
    ),
    Command(
        "socket",
        "serve Slack over Socket Mode (SLACK_APP_TOKEN)",
        _socket,
        needs_database=False,
    ),
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
        child.set_defaults(run=command.run, command_entry=command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script. Returns the exit code (see the module docstring)."""
    args = build_parser().parse_args(argv)
    try:
        resolve_paths(args)
        if args.command_entry.needs_database:
            require_database(args)
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
