"""The printing commands: drafts, show, replay, gates, backup. One function per command.

Each takes the parsed arguments and returns the exit status: 0 done, 1 the check found
something (replay differences, gates left), or raises a MilestoneError that the command
line turns into one line and status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import LocalFileError
from bot.storage.ids import normalize_draft_id

# Each command imports what it uses when it runs: `drafts` needs neither the Markdown parser
# nor the template, and `gates` no SQLite (CI runs them; see bench/README.md, figure 5).
if TYPE_CHECKING:
    from bot.storage.store import Store
    from flows.template import Template


def _store(path: Path) -> Store:
    # SQLite and its stores load only for the commands that read the database, not for gates.
    from bot.storage.store import Store

    return Store(path)


def run_drafts(args: argparse.Namespace) -> int:
    with _store(args.db).session(readonly=True) as s:
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
    """The issue the draft would file on stdout; answers the template can't show on stderr.
    A draft that started with its repository's template version renders with that version."""
    from flows.render import drift, render_issue
    from flows.template import load_template

    with _store(args.db).session(readonly=True) as s:
        draft = s.drafts.get(normalize_draft_id(args.id))
        version = s.templates.get(draft.template_sha, draft.repository or None)
        version = version or s.templates.get(draft.template_sha)
    template = version.template() if version is not None else load_template(args.template)
    issue = render_issue(template, draft)
    sys.stdout.write(f"{issue.title}\n\n{issue.body.rstrip()}\n")
    kept = drift(template, draft)
    if kept:
        # rich and the questions' texts load only when there is drift to show.
        from bot.terminal.screen import plain
        from flows import prompts

        print(plain(prompts.drift(kept)), file=sys.stderr)
    return 0


def run_replay(args: argparse.Namespace) -> int:
    store = _store(args.db)
    draft_id = normalize_draft_id(args.id)
    _, differences = store.replay(draft_id)
    with store.session(readonly=True) as s:
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


def _headings(body: str) -> set[str]:
    from flows.template import markdown_parser

    tokens = markdown_parser().parse(body)
    return {
        "".join(child.content for child in tokens[i + 1].children or []).strip()
        for i, tok in enumerate(tokens)
        if tok.type == "heading_open"
    }


def gate_report(
    template: Template, body: str, *, name: str = "the input"
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(open gates, gates whose line is missing) as (section, label); LocalFileError when
    the body has none of the template's gate headings (the wrong file, an empty input)."""
    from flows.draft import GateState
    from flows.parse import gate_boxes
    from flows.template import GATE_SECTIONS

    wanted = {key: template.heading(key) for key in GATE_SECTIONS}
    if not _headings(body) & {h.text for h in wanted.values()}:
        looked = ", ".join(f"{'#' * h.level} {h.text}" for h in wanted.values())
        raise LocalFileError(
            f"{name} is not a milestone issue body: none of the gate headings is there "
            f"(looked for {looked})"
        )
    found = {box.label: box.state for box in gate_boxes(template, body)}
    open_, missing = [], []
    for gate in template.gates:
        where = (template.heading(gate.section).text, gate.label)
        if gate.label not in found:
            missing.append(where)
        elif not found.get(gate.label, GateState()).settled:
            open_.append(where)
    return open_, missing


def run_gates(args: argparse.Namespace) -> int:
    from flows.template import load_template

    template = load_template(args.template)
    body = _read_input(args.file)
    open_, missing = gate_report(
        template, body, name="stdin" if args.file == "-" else str(args.file)
    )
    for section, label in open_:
        print(f"{section}: {label}")
    for section, label in missing:
        print(f"{section}: {label} (missing from the body)")
    if not open_ and not missing:
        print("Every gate is settled.", file=sys.stderr)
    return 1 if open_ or missing else 0


def run_backup(args: argparse.Namespace) -> int:
    target = Path(args.target)
    if not target.parent.is_dir():
        raise LocalFileError(
            f"there is no folder {target.parent}; create it first, or give a path in a folder "
            "that exists"
        )
    store = _store(args.db)
    written = store.backup(target)
    print(f"Backed up {store.path} to {written}.")
    return 0
