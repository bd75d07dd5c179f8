"""The bot's words on a terminal: Slack-style emphasis as terminal styles, the preview as Markdown.

The core writes its words with Slack mrkdwn emphasis (`*bold*`, `_italic_`, backticks).
On a terminal they become styles (rich); when output is not a terminal, or NO_COLOR is
set, they become plain text: the emphasis marks are dropped and code keeps its backticks,
so `skip` still reads as a word to type. Plain output is written as is, never re-wrapped,
so a piped transcript holds exactly what was said.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

from rich.console import Console
from rich.markdown import Markdown
from rich.rule import Rule
from rich.text import Text

RULE = "─" * 72

# A code span, then Slack's bold and italic: the mark must touch a word on its inside and
# not stand inside a word on its outside (snake_case and 2*3 stay as they are).
_TOKENS = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?<![\w*])\*(?P<bold>[^\s*](?:[^*\n]*[^\s*])?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<italic>[^\s_](?:[^_\n]*[^\s_])?)_(?![\w_])"
)
STYLES = {"code": "bold cyan", "bold": "bold", "italic": "italic"}


def wants_style(stream: TextIO) -> bool:
    """Styles only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def plain(text: str) -> str:
    """`text` without its emphasis marks; code spans keep their backticks."""
    return _TOKENS.sub(lambda m: m.group("code") or m.group("bold") or m.group("italic"), text)


def styled(text: str) -> Text:
    """`text` as rich Text: bold, italic and code styles in place of the marks."""
    out = Text()
    at = 0
    for match in _TOKENS.finditer(text):
        out.append(text[at : match.start()])
        kind = match.lastgroup or "code"
        shown = match.group(kind)
        out.append(shown[1:-1] if kind == "code" else shown, style=STYLES[kind])
        at = match.end()
    out.append(text[at:])
    return out


_BOX = re.compile(r"^(\s*(?:[-*+]|\d+[.)])\s+)\[([ xX])\]\s", re.MULTILINE)


def _boxes(body: str) -> str:
    """Task-list boxes as ☐ and ☑, as GitHub draws them (rich shows `[ ]` literally)."""
    return _BOX.sub(lambda m: f"{m.group(1)}{'☐' if m.group(2) == ' ' else '☑'} ", body)


class Screen:
    """Where the conversation is printed."""

    def __init__(self, stream: TextIO, *, style: bool | None = None) -> None:
        self.stream = stream
        self.style = wants_style(stream) if style is None else style
        self._console = (
            Console(file=stream, highlight=False, emoji=False, markup=False, force_terminal=True)
            if self.style
            else None
        )
        # NO_COLOR on a terminal: plain words, still wrapped between words.
        self._wrapper = (
            Console(file=stream, highlight=False, emoji=False, markup=False, no_color=True)
            if not self.style and stream.isatty()
            else None
        )

    def say(self, text: str = "") -> None:
        """One message of the bot's, in the core's words."""
        if self._console is not None:
            self._console.print(styled(text))
        elif self._wrapper is not None:
            self._wrapper.print(Text(plain(text)))
        else:
            self.stream.write(plain(text) + "\n")
            self.stream.flush()

    def echo(self, text: str) -> None:
        """What the author typed, when the terminal did not show it (piped input)."""
        self.stream.write(text + "\n")
        self.stream.flush()

    def issue(self, title: str, body: str) -> None:
        """The issue as it will be filed: its title, then the body (Markdown on a terminal)."""
        if self._console is None:
            self.stream.write(f"{RULE}\n{title}\n\n{body.rstrip()}\n{RULE}\n")
            self.stream.flush()
            return
        self._console.print(Rule(style="dim"))
        self._console.print(Text(title, style="bold"))
        self._console.print()
        self._console.print(Markdown(_boxes(body)))
        self._console.print(Rule(style="dim"))
