"""Escaping of the author's text for an issue body, and the matching reading of it back.

Everything the author typed is shown literally on GitHub: Markdown in an answer is not
interpreted, so an answer can never add a heading, checkbox, list item, code block or
marker to the issue. The rules, in one place:

* Inline punctuation that Markdown (or GitHub's extensions: strikethrough, tables, math)
  gives a meaning anywhere in a line is backslash-escaped everywhere: ``\\ ` * _ [ ] < & ~ | $``.
* At the start of a line, the characters that open a block are escaped as well:
  ``# > - + =`` and the ``.``/``)`` after a leading number ("1." would start a list).
* Whitespace at either end of a line, and CR/LF inside a one-line value, are written as
  numeric character references (``&#32;``, ``&#10;``): a parser would otherwise trim the
  whitespace or break the line, and a reference survives both and displays the same.
* A paragraph keeps the author's line breaks as soft breaks; a break that would leave a
  blank line (ending the paragraph) is written as ``&#10;`` instead, so a paragraph is
  always exactly one block.
* Shell commands go in a fenced block whose backtick fence is longer than any backtick run
  in them, so no command line can close it.

What does not round-trip (the flow refuses or strips it before rendering): NUL and the C0/C1
control characters other than TAB, LF and CR, which Markdown parsers replace or trim and no
character reference can carry; in a fenced block additionally CR and LF (each line is one
command) and lines that are blank.
"""

from __future__ import annotations

import re

# Shown in place of an empty list or paragraph. It is emphasis markup, which escaped author
# text can never produce, so an author who types "_None_" gets "\_None\_" and keeps it.
EMPTY_MARK = "_None_"
EMPTY_TEXT = "None"

_INLINE_SPECIALS = frozenset("\\`*_[]<&~|$")
_LINE_START_SPECIALS = frozenset("#>-+=")
# Characters a Markdown parser trims from the ends of a line or paragraph (markdown-it's
# set and Python's str.isspace), minus those a character reference cannot carry.
_TRIMMED = frozenset(
    "\t\n\x0c\r \xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(map(chr, range(0x2000, 0x200B)))
)
_LEADING_NUMBER = re.compile(r"[0-9]{1,9}(?=[.)])")


def _ref(ch: str) -> str:
    return f"&#{ord(ch)};"


def _is_edge_space(ch: str) -> bool:
    return ch in _TRIMMED or (ch.isspace() and ch not in "\x0b\x1c\x1d\x1e\x1f\x85")


def escape_line(text: str) -> str:
    """`text` as one line of Markdown that displays literally, whatever it holds.

    CR and LF become character references, so the result never spans two lines.
    """
    start = 0
    while start < len(text) and _is_edge_space(text[start]):
        start += 1
    end = len(text)
    while end > start and _is_edge_space(text[end - 1]):
        end -= 1
    core = text[start:end]
    out: list[str] = [_ref(ch) for ch in text[:start]]
    number = _LEADING_NUMBER.match(core)
    # "1." or "1)" opens a list: the punctuation after a leading number is escaped.
    number_end = number.end() if number else -1
    for i, ch in enumerate(core):
        if ch in "\r\n":
            out.append(_ref(ch))
        elif ch in _INLINE_SPECIALS or (i == 0 and ch in _LINE_START_SPECIALS) or i == number_end:
            out.append("\\" + ch)
        else:
            out.append(ch)
    out.extend(_ref(ch) for ch in text[end:])
    return "".join(out)


def escape_paragraph(text: str) -> str:
    """`text` as one Markdown paragraph that displays literally, keeping its line breaks.

    An empty line (which would end the paragraph) is carried by a character reference.
    Callers render an empty `text` as EMPTY_MARK.
    """
    lines: list[str] = []
    for i, segment in enumerate(text.split("\n")):
        escaped = escape_line(segment)
        if i == 0 or (lines[-1] and escaped):
            lines.append(escaped)
        else:
            lines[-1] += _ref("\n") + escaped
    return "\n".join(lines)


def code_span(text: str) -> str | None:
    """`text` as an inline code span, or None if a code span cannot carry it exactly.

    Code spans cannot hold line breaks and CommonMark strips one space from each end, so
    only single-line text without whitespace at its ends is written this way.
    """
    if not text or "\n" in text or "\r" in text:
        return None
    if _is_edge_space(text[0]) or _is_edge_space(text[-1]) or "\x0b" in text:
        return None
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence_for(lines: list[str] | tuple[str, ...]) -> str:
    """A backtick fence longer than any backtick run in `lines` (at least three)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def code_block(lines: list[str] | tuple[str, ...], info: str = "") -> str:
    """A fenced code block holding `lines`, one per line, that no line can close."""
    fence = fence_for(lines)
    return "\n".join([fence + info, *lines, fence])
