"""The README's answer grammar is the spec: every row runs through the terminal and Slack.

The terminal half types the row into `milestone-bot chat` (piped, in process); the Slack
half sends it as a thread message to the real server (one for the whole table) over HTTP,
against the Slack emulator. Both reach the row's question by answering the questions
before it with their examples, and both must say the row's words (emphasis marks aside).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.runtime.cli import main
from bot.terminal.screen import plain
from flows.answers import parse_control
from flows.questions import QuestionKind, build_flow
from flows.template import load_template
from tests.e2e.harness import Author, BotProcess, bot_environment, message_text, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests

ROOT = Path(__file__).resolve().parent.parent
FLOW = build_flow(load_template())
MULTILINE = (
    QuestionKind.PARAGRAPH,
    QuestionKind.LIST,
    QuestionKind.ORDERED_LIST,
    QuestionKind.GATES,
)


@dataclass(frozen=True)
class Row:
    at: str  # the question's title
    send: str  # the message, line breaks as "\n"
    says: str  # words the bot's reply holds

    def __str__(self) -> str:
        return f"{self.at}: {self.send!r}"


def grammar_rows() -> list[Row]:
    """The rows of the README's "Answer grammar" table."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Answer grammar\n", 1)[1].split("\n#", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        at, send, says = cells
        quoted = says[says.index("“") + 1 : says.rindex("”")]
        rows.append(Row(at, send.strip("`").replace("⏎", "\n"), quoted))
    return rows


ROWS = grammar_rows()


def test_the_readme_table_is_read() -> None:
    """The table is there and every row names a question of the flow."""
    assert len(ROWS) >= 25
    titles = {q.title for q in FLOW.questions}
    assert {row.at for row in ROWS} <= titles


def messages_before(title: str) -> list[str]:
    """The example answers of the questions before `title`, in order."""
    before = []
    for question in FLOW.questions:
        if question.title == title:
            return before
        before.append(question.example)
    raise AssertionError(f"no question {title!r}")


def multiline(title: str) -> bool:
    return next(q for q in FLOW.questions if q.title == title).kind in MULTILINE


# -- the terminal ------------------------------------------------------------------------


def typed_lines(message: str, *, several: bool) -> list[str]:
    """How a message is typed at the terminal: its lines, then an empty line to end it,
    unless a command line ended it already (bot.terminal.keyboard)."""
    lines = message.split("\n")
    last = parse_control(lines[-1])
    prose = last is not None and last.word == "edit" and bool(last.argument)
    if not several or (last is not None and (len(lines) == 1 or not prose)):
        return lines
    return [*lines, ""]


@pytest.mark.parametrize("row", ROWS, ids=str)
def test_the_terminal_says_what_the_readme_says(
    row: Row, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each README row, typed into `milestone-bot chat`, gets the row's words."""
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "DATABASE_PATH", "TEMPLATE_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    lines: list[str] = []
    for question, example in zip(FLOW.questions, messages_before(row.at), strict=False):
        lines += typed_lines(example, several=question.kind in MULTILINE)
    lines += typed_lines(row.send, several=multiline(row.at))
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    main(["--db", str(tmp_path / "data" / "m.db"), "chat"])
    out = capsys.readouterr().out
    first = row.send.split("\n")[0]
    reply = out[out.rindex(f"> {first}") :]
    assert row.says in reply, reply


# -- Slack ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SlackEmulator, SlackRequests]]:
    """One Slack emulator and one `milestone-bot serve` for the whole table, and one signer
    (its event ids never repeat, so no row's message is taken for a retry of another's)."""
    workdir = tmp_path_factory.mktemp("grammar")
    with SlackEmulator() as slack:
        bot = BotProcess(workdir, bot_environment(slack, workdir / "data" / "milestones.db"))
        bot.start()
        try:
            yield slack, SlackRequests(bot.url + "/slack/events", emulator=slack)
        finally:
            bot.stop()


def _replies_saying(author: Author, seen: int, words: str) -> str:
    def said() -> str | None:
        new = "\n".join(plain(message_text(m)) for m in author.bot_replies()[seen:])
        return new if words in new else None

    try:
        return wait_until(said, timeout=10, what=repr(words))
    except AssertionError:
        got = "\n".join(plain(message_text(m)) for m in author.bot_replies()[seen:])
        raise AssertionError(f"Slack never said {words!r}; it said:\n{got}") from None


@pytest.mark.e2e
@pytest.mark.parametrize("row", ROWS, ids=str)
def test_slack_says_what_the_readme_says(
    row: Row, server: tuple[SlackEmulator, SlackRequests]
) -> None:
    """Each README row, sent in a draft's thread, gets the row's words."""
    slack, requests = server
    author = Author(slack, requests)
    author.start()
    for number, example in enumerate(messages_before(row.at), start=2):
        author.say(example, expect=f"Question {number} of 16")
    seen = len(author.bot_replies())
    sent = author.requests.message_event(
        row.send, user=author.user, channel=author.channel, thread_ts=author.thread_ts
    )
    assert sent.status == 200, sent.body
    _replies_saying(author, seen, row.says)


def test_typed_lines_end_a_message_as_a_person_would() -> None:
    """A list is its lines and an empty line; a command line ends it by itself."""
    assert typed_lines("- a\n- b", several=True) == ["- a", "- b", ""]
    assert typed_lines("- a\ncancel", several=True) == ["- a", "cancel"]
    assert typed_lines("none", several=True) == ["none"]
    assert typed_lines("- a\nedit title", several=True) == ["- a", "edit title", ""]
    assert typed_lines("m3", several=False) == ["m3"]
