"""How the author types an answer: prompt_toolkit on a terminal, plain lines when piped.

The same rules on both, as the README says:
* Enter sends a one-line answer. An answer of several lines (paragraphs, lists, gates)
  ends with an empty line, a `.` alone, or Esc-Enter on a terminal.
* A first line that is a command (`skip`, `none`, `back`, ...) is sent at once; a later
  line that is a one-word command ends the answer there, and the engine says to send it
  alone (`edit ...` on a later line may be prose, so it doesn't end the answer).
* Ctrl-D on an empty prompt ends the chat (the draft is saved). On a terminal, Ctrl-D in
  the middle of an answer drops that answer: it is not sent, and ↑ brings it back. Piped
  input that ends in the middle of an answer sends what was typed: a script has no
  other way to end its last answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TextIO

from flows.answers import parse_control

if TYPE_CHECKING:
    from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

PROMPT = "> "
MORE = "… "


@dataclass(frozen=True)
class Dropped:
    """Ctrl-D in the middle of an answer: nothing is sent."""

    text: str


Typed = str | Dropped | None  # an answer; a dropped one; None: input ended


class Keyboard(Protocol):
    def read(self, multiline: bool) -> Typed: ...


def _ends_answer(line: str) -> bool:
    """A first line that is the whole message: empty, `.`, or a command."""
    return not line.strip() or line.strip() == "." or parse_control(line) is not None


def _command_line(line: str) -> bool:
    """A later line that ends the answer: a one-word command. `edit ...` may be prose
    ("edit the config file"), so typing goes on; the engine refuses it if it names a section."""
    control = parse_control(line)
    return control is not None and not (control.word == "edit" and control.argument)


class LineKeyboard:
    """Lines from a pipe (echoed, so the transcript reads as a chat) or from input()."""

    def __init__(self, stdin: TextIO, echo: Callable[[str], None]) -> None:
        self.stdin = stdin
        self.echo = echo
        self.interactive = stdin.isatty()
        if self.interactive:
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401 - importing it gives input() line editing

    def _line(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        raw = self.stdin.readline()
        if not raw:
            return None
        text = raw.rstrip("\r\n")
        self.echo(f"{prompt}{text}".rstrip())
        return text

    def read(self, multiline: bool) -> Typed:
        first = self._line(PROMPT)
        if first is None or not multiline or _ends_answer(first):
            return first
        lines = [first]
        while True:
            more = self._line(MORE)
            if more is None:
                return Dropped("\n".join(lines)) if self.interactive else "\n".join(lines)
            if not more.strip() or more.strip() == ".":
                return "\n".join(lines)
            lines.append(more)
            if _command_line(more):
                return "\n".join(lines)


class PromptKeyboard:
    """prompt_toolkit: line editing, history (↑), and the multi-line rules above."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self.history = InMemoryHistory()
        self.session: PromptSession[object] = PromptSession(history=self.history)

    def read(self, multiline: bool) -> Typed:
        try:
            result = self.session.prompt(
                PROMPT,
                multiline=multiline,
                key_bindings=_bindings(multiline),
                prompt_continuation=MORE,
            )
        except EOFError:
            return None
        if isinstance(result, Dropped):
            if result.text.strip():
                self.history.append_string(result.text)  # ↑ brings it back
            return result
        return str(result)


def _bindings(multiline: bool) -> KeyBindings:
    from prompt_toolkit.key_binding import KeyBindings

    keys = KeyBindings()

    @keys.add("c-d")
    def _end_or_drop(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.text:
            event.app.exit(result=Dropped(buffer.text))
        else:
            event.app.exit(exception=EOFError)

    if multiline:

        @keys.add("enter")
        def _enter(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            lines = buffer.text.split("\n")
            at_end = buffer.cursor_position == len(buffer.text)
            if len(lines) == 1 and _ends_answer(lines[0]):
                buffer.validate_and_handle()
            elif at_end and lines[-1].strip() in ("", "."):
                buffer.text = "\n".join(lines[:-1])
                buffer.validate_and_handle()
            elif at_end and _command_line(lines[-1]):
                buffer.validate_and_handle()
            else:
                buffer.newline(copy_margin=False)

        @keys.add("escape", "enter")
        def _send(event: KeyPressEvent) -> None:
            buffer = event.current_buffer
            buffer.text = buffer.text.rstrip("\n")  # a trailing empty line is not part of it
            buffer.validate_and_handle()

    return keys


def open_keyboard(stdin: TextIO, stdout: TextIO, echo: Callable[[str], None]) -> Keyboard:
    """prompt_toolkit when both ends are a terminal; lines otherwise (pipes, `| tee`)."""
    if stdin.isatty() and stdout.isatty():
        return PromptKeyboard()
    return LineKeyboard(stdin, echo)
