"""`milestone-bot chat`: the drafting conversation in a terminal, keeping Slack's promises.

Each message is one unit of work, as in Slack: load the draft, advance the pure engine,
journal what happened (refusals included), commit; then speak. With GitHub configured,
`file` files the issue exactly once through bot.filing (a retry, a second process or a
crash still make one issue). Without it, the flow's own words say what `file` does instead,
and it writes the issue body to a file (bot.terminal.body_file), never into the working
tree unasked. `cancel` keeps the draft, and `chat --resume ID` brings it back, as
`/milestone resume ID` does in Slack.
"""

from __future__ import annotations

import getpass
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.storage.ids import normalize_draft_id
from bot.storage.store import Store
from bot.terminal.body_file import body_path, write_body
from bot.terminal.keyboard import Dropped, Keyboard
from bot.terminal.screen import Screen
from flows import engine, prompts
from flows.draft import Draft, DraftStatus
from flows.outcome import Action, Outcome, Reply, ReplyKind
from flows.questions import Flow, QuestionKind
from flows.render import as_filed, drift, render_issue
from flows.template import Template

if TYPE_CHECKING:
    from datetime import datetime

    from bot.github.client import GitHubAccess

PROG = "milestone-bot"
SOURCE = "cli"
# Answers of these kinds take several lines (see bot.terminal.keyboard).
MULTILINE_KINDS = (
    QuestionKind.PARAGRAPH,
    QuestionKind.LIST,
    QuestionKind.ORDERED_LIST,
    QuestionKind.GATES,
)
WRITES_A_FILE = "write the issue to a file (GitHub isn't configured)"


@dataclass(frozen=True)
class OnGitHub:
    """`file` files on GitHub, in the configured repository."""

    access: GitHubAccess
    assignee: str | None = None
    command: str = "/milestone"  # the configured slash command, named in filing's notes

    @property
    def words(self) -> str:
        return f"file it on GitHub in {self.access.repository}"


@dataclass(frozen=True)
class ToAFile:
    """`file` writes the body to `out`, or to the data folder beside `database`."""

    database: Path
    out: Path | None = None
    why: str = ""  # why GitHub isn't configured, as a setting's one line

    @property
    def words(self) -> str:
        return WRITES_A_FILE


Destination = OnGitHub | ToAFile


def terminal_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "terminal"


def _correlation_id() -> str:
    return f"cli-{uuid.uuid4().hex[:12]}"


@dataclass
class Chat:
    """One terminal conversation about one draft."""

    store: Store
    flow: Flow
    template: Template
    screen: Screen
    keyboard: Keyboard
    destination: Destination
    actor: str
    piped: bool = False

    def run(self, *, title: str | None, resume: str | None) -> int:
        """Talk until the draft is filed, written, cancelled, or input ends; the exit code."""
        draft, outcome = self._begin(title, resume)
        self.screen.say(self._intro(draft.id, resumed=bool(resume)))
        if not any(r.kind is ReplyKind.PREVIEW for r in outcome.replies):
            self._report_drift(outcome.draft)  # a preview reports it itself
        self._show(outcome)
        while True:
            typed = self.keyboard.read(self._multiline(draft))
            if typed is None:
                self.screen.say()
                self.screen.say(
                    f"Saved {draft.id}. `{PROG} chat --resume {draft.id}` picks it up again."
                )
                return 0
            if isinstance(typed, Dropped):
                self.screen.say(
                    "Dropped that answer; nothing was sent (↑ brings it back). The question stands."
                )
                continue
            outcome = self._step(draft.id, typed)
            draft = outcome.draft
            self._show(outcome)
            if outcome.action is Action.CANCEL:
                return 0
            if outcome.action is Action.FILE:
                return self._file(draft)

    # -- units of work ------------------------------------------------------------------

    def _begin(self, title: str | None, resume: str | None) -> tuple[Draft, Outcome]:
        """Create the draft, or bring it back (a cancelled one too), and put its question."""
        with self.store.session() as s:
            if resume:
                before = s.drafts.get(normalize_draft_id(resume))
                outcome = engine.resume(self.flow, before)
                draft = before
                if outcome.changes:
                    draft = s.drafts.record(
                        before,
                        outcome.draft,
                        kind=outcome.kind,
                        actor=self.actor,
                        source=SOURCE,
                        correlation_id=_correlation_id(),
                    )
                return draft, outcome
            draft = Draft(id=s.drafts.new_id(), author=self.actor)
            if title:
                # Checked like a typed answer, so a bad title is refused before anything is saved.
                draft = draft.with_changes(self.flow.question("title").parse(title, draft))
            outcome = engine.start(self.flow, draft)
            draft = s.drafts.create(
                outcome.draft,
                location=None,
                actor=self.actor,
                source=SOURCE,
                correlation_id=_correlation_id(),
            )
            return draft, outcome

    def _step(self, draft_id: str, text: str) -> Outcome:
        """One message as one unit of work: load, advance, journal, commit."""
        with self.store.session() as s:
            before = s.drafts.get(draft_id)
            outcome = engine.advance(self.flow, before, text)
            after = s.drafts.record(
                before,
                outcome.draft,
                kind=outcome.kind,
                actor=self.actor,
                source=SOURCE,
                correlation_id=_correlation_id(),
                input=text,
                question_id=outcome.question_id,
            )
        return Outcome(after, outcome.replies, outcome.changes, outcome.action, outcome.kind)

    def _multiline(self, draft: Draft) -> bool:
        if draft.status is not DraftStatus.DRAFTING or draft.flow.step is None:
            return False
        try:
            return self.flow.question(draft.flow.step).kind in MULTILINE_KINDS
        except KeyError:
            return False

    # -- what is said ---------------------------------------------------------------------

    def _intro(self, draft_id: str, *, resumed: bool) -> str:
        lead = f"Picking up draft {draft_id}." if resumed else f"Drafting {draft_id}."
        keys = (
            "Lists and paragraphs take several lines: finish them with an empty line "
            "(or a `.` alone)."
            if self.piped
            else "Enter sends a one-line answer. Lists and paragraphs take several lines: "
            "finish them with an empty line or Esc-Enter. Ctrl-D on an empty prompt saves "
            "and exits; in the middle of an answer it drops that answer."
        )
        return "\n".join(
            (
                f"{lead} Every answer is saved; `{PROG} chat --resume {draft_id}` "
                "picks it up again.",
                keys,
                f"Any time: {prompts.COMMANDS} · `none` no answer · `help` how to answer.",
                self._where(draft_id),
            )
        )

    def _where(self, draft_id: str) -> str:
        target = self.destination
        if isinstance(target, OnGitHub):
            return f"Here `file` files the issue on GitHub in {target.access.repository}."
        path = body_path(draft_id, out=target.out, database=target.database)
        why = f" ({target.why})" if target.why else ""
        return (
            f"GitHub isn't configured{why}, so `file` writes the issue body to "
            f"{path.resolve()}. Set GITHUB_TOKEN and GITHUB_REPOSITORY to file on GitHub."
        )

    def _report_drift(self, draft: Draft) -> None:
        kept = drift(self.template, draft)
        if kept:
            self.screen.say()
            self.screen.say(prompts.drift(kept))

    def _show(self, outcome: Outcome) -> None:
        for reply in outcome.replies:
            if outcome.action is Action.FILE and isinstance(self.destination, ToAFile):
                continue  # the engine's "Filing it on GitHub…": here a file is written instead
            self.screen.say()
            self.screen.say(self._words(reply, outcome.draft))
            if reply.kind is ReplyKind.PREVIEW:
                issue = render_issue(self.template, as_filed(self._as_filed(outcome.draft)))
                self.screen.issue(issue.title, issue.body)
                self._touch_note(outcome.draft)

    def _words(self, reply: Reply, draft: Draft) -> str:
        if reply.kind is ReplyKind.CANCELLED:
            return (
                "Cancelled; nothing was filed. "
                f"`{PROG} chat --resume {draft.id}` brings the draft back."
            )
        return reply.text

    def _as_filed(self, draft: Draft) -> Draft:
        target = self.destination
        if isinstance(target, OnGitHub) and target.assignee:
            return draft.model_copy(update={"assignee": target.assignee})
        return draft

    def _touch_note(self, draft: Draft) -> None:
        """Under a preview, the file touch plan's paths that are not on the default branch."""
        if not isinstance(self.destination, OnGitHub):
            return
        from bot.github.touch_check import FileTouchChecker, touch_note

        note = touch_note(FileTouchChecker(self.destination.access).check(draft.file_touch_plan))
        if note:
            self.screen.say()
            self.screen.say(note)

    # -- `file` ---------------------------------------------------------------------------

    def _file(self, draft: Draft) -> int:
        if isinstance(self.destination, OnGitHub):
            return self._file_on_github(draft, self.destination)
        target = self.destination
        written = write_body(
            self.template,
            draft,
            body_path(draft.id, out=target.out, database=target.database),
        )
        self.screen.say(f"Wrote the issue body to {written.path.resolve()}.")
        self.screen.say(
            "It is not on GitHub: GitHub isn't configured. To file it by hand, open a new "
            f"issue titled “{written.title}” with the labels {', '.join(written.labels)}, "
            "and paste the file as its body."
        )
        return 0

    def _file_on_github(self, draft: Draft, target: OnGitHub) -> int:
        """File the draft once (bot.filing.once); 0 once it is on GitHub, 2 if it could not be."""
        from bot.filing.once import FilingService, clock_time, result_lines

        if target.assignee and draft.assignee != target.assignee:
            with self.store.session() as s:
                before = s.drafts.get(draft.id)
                after = before.model_copy(update={"assignee": target.assignee})
                draft = s.drafts.record(
                    before,
                    after,
                    kind="edit",
                    actor=self.actor,
                    source=SOURCE,
                    correlation_id=_correlation_id(),
                    input=f"--assignee {target.assignee}",
                )

        def on_wait(seconds: float, until: datetime) -> None:
            self.screen.say(
                f"GitHub asked me to slow down; trying again at {clock_time(until, None)} "
                f"(in {seconds:g} s)."
            )

        service = FilingService(self.store, self.template, target.access, command=target.command)
        result = service.file(
            draft.id,
            actor=self.actor,
            source=SOURCE,
            correlation_id=_correlation_id(),
            on_wait=on_wait,
        )
        self.screen.say()
        for line in result_lines(result):
            self.screen.say(line)
        return 0 if result.filed else 2


class _Stderr:
    """Whatever sys.stderr is when a line is written (tests swap it)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def quiet_logs() -> None:
    """The conversation is the output: only warnings and errors are logged, on stderr."""
    from bot.log import configure_logging

    configure_logging("WARNING", stream=_Stderr())


def destination(
    *, database: Path, template: Path | None, out: Path | None, assignee: str | None, insist: bool
) -> Destination:
    """GitHub when its settings are complete; else a file, saying which setting is missing.

    `insist` (`chat --file`): a GitHub setting missing or malformed stops the command.
    """
    from bot.errors import ConfigError
    from bot.github.client import build_github_access
    from bot.settings import load_settings

    try:
        settings = load_settings(database_path=database, template_path=template)
        return OnGitHub(build_github_access(settings), assignee, settings.slack_command)
    except ConfigError as exc:
        if insist:
            raise
        return ToAFile(database=database, out=out, why=str(exc).partition(":")[0])


def run_chat(
    *,
    database: Path,
    template_path: Path | None,
    title: str | None,
    resume: str | None,
    assignee: str | None = None,
    out: Path | None = None,
    insist_on_github: bool = False,
) -> int:
    """`milestone-bot chat`: draft (or resume) in this terminal; the exit code."""
    from bot.terminal.keyboard import open_keyboard
    from flows.questions import build_flow
    from flows.template import load_template

    quiet_logs()
    template = load_template(template_path)
    target = destination(
        database=database,
        template=template_path,
        out=out,
        assignee=assignee,
        insist=insist_on_github,
    )
    flow = build_flow(template, file_words=target.words)
    store = Store(database, progress=lambda draft: engine.progress(flow, draft))
    screen = Screen(sys.stdout)
    keyboard = open_keyboard(sys.stdin, sys.stdout, screen.echo)
    chat = Chat(
        store,
        flow,
        template,
        screen,
        keyboard,
        target,
        terminal_user(),
        piped=not sys.stdin.isatty(),
    )
    return chat.run(title=title, resume=resume)
