"""The author's answers as Markdown in an issue body, and the exact reading of them back.

An answer is Markdown inline content: emphasis, strong, strikethrough, code spans, links,
images, bare-URL autolinks, hard breaks (a backslash at the end of a line), mentions and
`#12` references render as GitHub renders them. Nothing an answer holds can add a heading,
checkbox, list item, code block, table, raw HTML, comment or marker, nor end its list item
or paragraph early. The rules, in one place:

* Every escape the bot adds is a character reference (``&lt;``, ``&gt;``, ``&amp;`` or
  ``&#N;``), never a backslash: a backslash is always the author's own Markdown escape,
  and an author's ``&`` that would begin a reference is written ``&amp;``, so each
  reference in the body is the bot's and reading back undoes exactly those. A reference
  is inline text: it cannot open a block, and it shows the character it stands for.
* Outside code spans, an unescaped ``<`` (raw HTML, comments, ``<...>`` autolinks), ``|``
  (table cells), ``$`` (GitHub math: "$5 and $10" stays two prices) and an ``&`` that
  begins an entity or numeric reference (``&copy;``, ``&#10;``: they show literally and
  cannot encode a newline; ``AT&T`` and ``?a=1&b=2`` stay as typed) are written as
  references. So ``<https://x>`` shows literally (a bare URL still links, and Slack's
  links arrive as ``[label](url)`` or bare). A character the author escaped with a
  backslash (``\\<``, ``\\$``) is kept as typed: the author chose that escape. Inside a
  code span nothing is interpreted, so its text is written as typed (``a < b && $x | y``),
  except an ``&`` that begins a numeric reference (``&#10;``), which becomes ``&#38;``.
* A run of the author's backslashes right before a reference the bot writes is made even
  (its last backslash becomes ``&#92;``), so the author's ``\\`` cannot combine with the
  bot's escape; ``a\\`` followed by an edge space reads ``a&#92;&#32;``.
* At the start of each line of a list item or of the paragraph, only what would open a
  block or turn the line into something else is escaped, by referencing its first
  character: ATX headings (``#`` to ``######`` then a space or the end), ``>`` (blockquotes
  and GitHub alerts), ``<`` (HTML blocks), ``$`` (math blocks), bullets ``-``, ``+``, ``*``
  followed by a space or the end, the ``.``/``)`` of an ordered-list number, thematic
  breaks (``***``, ``- - -``, ``___``), setext underlines (``===``, ``--``) and lines that
  could be a table's delimiter row (only ``-``, ``:``, ``|`` and spaces), code fences
  (the whole run of three or more backticks with no backtick after it, or of tildes),
  link reference and footnote definitions (``[x]: ...``, ``[^1]: ...``) and task boxes
  (``[ ]``, ``[x]``, ``[X]``). ``**Bold** start`` or ``#12 is fixed`` is left alone.
  Values written after a label on the same line (the context values, a gate's N/A
  reason) start mid-line and need none of this.
* Whitespace at either end of a line, control characters (all but TAB), CR, and LF inside
  a one-line value are written as numeric references: a parser would otherwise trim the
  whitespace, indent a code block or break the line. Trailing spaces therefore never make
  a hard break; a backslash at the end of a paragraph's line does.
* The paragraph keeps the author's line breaks; a break that would leave an empty line
  (ending the paragraph) is written ``&#10;`` instead, so it is always one block.
* An answer that is exactly ``_None_`` or ``*None*`` has its first character referenced,
  so it shows those characters and never reads back as the empty mark ``_None_``.
* Shell commands go in a fenced block whose backtick fence is longer than any backtick run
  in them, so no command line can close it.

Reading back (`unescape`) takes the answer's Markdown source as markdown-it hands it over
(the inline token's content: list markers, indentation and ``>`` already removed), finds
its code spans the same way, and undoes exactly the references above, so
unescape(escape_*(text)) == text for every string, control characters included.

Known limits: code spans are found with markdown-it's CommonMark rules. A parser that
disagreed about a pathological line (GitHub's cmark-gfm should not) could show a
reference inside a code span, or see a ``<`` from inside one as inline HTML; never a
block, since line starts are handled without regard to code spans. An empty string cannot
be a list item (the flow never stores one). A fenced command cannot carry CR, LF, blank
lines (each line is one command) or NUL (markdown-it rewrites it).
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.rules_inline.backticks import backtick

# Shown in place of an empty list or paragraph. An author's answer can never be written
# this way (see the rules above), so the parser can tell the two apart.
EMPTY_MARK = "_None_"
EMPTY_TEXT = "None"
_EMPTY_LOOKALIKES = frozenset({"_None_", "*None*"})

_OUTSIDE_CODE = frozenset("<|$")  # referenced wherever the author did not escape them
# An "&" that GitHub would read as the start of a reference (any name, over-approximated).
_ENTITY_LIKE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_NAMED = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_NAMED_BACK = {name: ch for ch, name in _NAMED.items()}
_REFERENCE = re.compile(r"&(?:#([0-9]{1,7})|(lt|gt|amp));")
_NUMERIC_REFERENCE = re.compile(r"&#([0-9]{1,7});")
_ASCII_PUNCTUATION = frozenset(string.punctuation)
# Stands in for a referenced character while code spans are found: like a reference, it
# is neither space nor punctuation, so it cannot change where a code span or link lies.
_INERT = "\ue000"

_ATX = re.compile(r"#{1,6}(?:[ \t]|$)")
_BULLET = re.compile(r"[-+*](?:[ \t]|$)")
_ORDERED = re.compile(r"([0-9]{1,9})[.)](?:[ \t]|$)")
_THEMATIC = re.compile(r"([-*_])[ \t]*(?:\1[ \t]*){2,}")
_SETEXT = re.compile(r"=+[ \t]*")
_DELIMITER_ROW = re.compile(r"[-:|][-:| \t]*")
_FENCE = re.compile(r"`{3,}|~{3,}")
# One line starting with a letter, with none of the characters any rule above references:
# such text is written as it is. (No block opens with a letter; controls, line breaks and
# the inline specials are excluded.)
_PLAIN = re.compile(r"[^\W\d_][^\x00-\x1f\x7f-\x9f<>&|$`\\\[\]\u2028\u2029]*")
_TASK_BOX = re.compile(r"\[[ \txX]\](?:\s|$)")


def _numeric(ch: str) -> str:
    return f"&#{ord(ch)};"


def _needs_reference(ch: str) -> bool:
    return ch != "\t" and unicodedata.category(ch) == "Cc"


def _block_openers(text: str, start: int, end: int, last_colon: int) -> range:
    """Where, in the line text[start:end], a character must be referenced to open no block.

    `last_colon` is where the text's last "]:" stands (-1 if nowhere).
    """
    line = text[start:end]
    first = line[:1]
    if (
        first in ("<", ">", "$")
        or _ATX.match(line)
        or _BULLET.match(line)
        or _THEMATIC.fullmatch(line)
        or _SETEXT.fullmatch(line)
        or (_DELIMITER_ROW.fullmatch(line) and "-" in line)
    ):
        return range(start, start + 1)
    ordered = _ORDERED.match(line)
    if ordered:
        dot = start + ordered.end(1)
        return range(dot, dot + 1)
    fence = _FENCE.match(line)
    if fence and (first == "~" or "`" not in line[fence.end() :]):
        return range(start, start + fence.end())
    # A definition's label may run over several lines: look at the rest of the text.
    if first == "[" and (_TASK_BOX.match(line) or last_colon > start):
        return range(start, start + 1)
    return range(0)


def _record_code_span(state: StateInline, silent: bool) -> bool:
    start, count = state.pos, len(state.tokens)
    if not backtick(state, silent):
        return False
    if not silent and len(state.tokens) > count and state.tokens[-1].type == "code_inline":
        state.env.setdefault("code_spans", []).append((start, state.pos))
    return True


@cache
def _span_finder() -> MarkdownIt:
    # Raw HTML and <...> autolinks are never live in an answer, so they may not hide a
    # backtick here either.
    md = MarkdownIt("commonmark", {"html": False}).disable(["autolink", "html_inline"])
    md.inline.ruler.at("backticks", _record_code_span)
    return md


def _in_code_span(text: str) -> list[bool]:
    """For each character of `text` (one inline run of Markdown), whether a code span holds it."""
    inside = [False] * len(text)
    if "`" not in text:
        return inside
    env: MutableMapping[str, Any] = {}
    _span_finder().parseInline(text.replace("<", _INERT), env)
    for start, end in env.get("code_spans", []):
        inside[start:end] = [True] * (end - start)
    return inside


# Index in the text -> the reference written there (None: chosen once code spans are known).
_Refs = dict[int, str | None]


def _line_breaks(
    text: str, refs: _Refs, *, multiline: bool
) -> tuple[list[bool], list[tuple[int, int]]]:
    """Which characters are line breaks kept as typed, and the lines they separate.

    Every other CR, LF and control character is marked in `refs` to be referenced.
    """
    n = len(text)
    raw_break = [False] * n
    lines: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if multiline and ch == "\n" and i > start and i + 1 < n and text[i + 1] != "\n":
            raw_break[i] = True
            lines.append((start, i))
            start = i + 1
        elif ch in "\r\n" or _needs_reference(ch):
            refs[i] = None
    lines.append((start, n))
    return raw_break, lines


def _line_edges(text: str, refs: _Refs, lines: list[tuple[int, int]], *, line_start: bool) -> None:
    """Mark each line's edge whitespace and (at a line start) its block opener in `refs`."""
    last_colon = text.rfind("]:")
    for first, end in lines:
        left = first
        while left < end and text[left].isspace():
            refs[left] = None
            left += 1
        right = end
        while right > left and text[right - 1].isspace():
            refs[right - 1] = None
            right -= 1
        if line_start and first < end and first not in refs:
            refs.update(dict.fromkeys(_block_openers(text, first, end, last_colon)))


def _inline_references(text: str, refs: _Refs, raw_break: list[bool], in_span: list[bool]) -> None:
    """Mark in `refs` the inline specials the author did not escape, by code span or not."""
    backslashes = 0
    for i, ch in enumerate(text):
        if i not in refs and not raw_break[i]:
            if in_span[i]:
                if ch == "&" and _NUMERIC_REFERENCE.match(text, i):
                    refs[i] = None
            elif backslashes % 2 == 0 and (
                ch in _OUTSIDE_CODE or (ch == "&" and _ENTITY_LIKE.match(text, i))
            ):
                refs[i] = None
        backslashes = backslashes + 1 if ch == "\\" and i not in refs else 0


def _even_backslashes(text: str, refs: _Refs) -> None:
    """Reference the last of an odd run of the author's backslashes before a reference."""
    for i in sorted(refs):
        j = i
        while j > 0 and text[j - 1] == "\\" and (j - 1) not in refs:
            j -= 1
        if (i - j) % 2:
            refs[i - 1] = _numeric("\\")


def _write(text: str, refs: _Refs, raw_break: list[bool], in_span: list[bool]) -> str:
    """`text` with each marked character written as its reference."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if raw_break[i] or i not in refs:
            out.append(ch)
        else:
            chosen = refs[i]
            named = None if in_span[i] else _NAMED.get(ch)
            out.append(chosen or named or _numeric(ch))
    return "".join(out)


def _encode(text: str, *, line_start: bool, multiline: bool, no_code_span: bool = False) -> str:
    """`text` written by the rules of the module docstring.

    First the structural references (line breaks, control characters, edge whitespace,
    block openers), which do not depend on inline content; then code spans are found with
    those in place; then the inline references outside code spans; last the backslash
    runs before a reference are made even.
    """
    if _PLAIN.fullmatch(text) and not text[-1].isspace():
        return text  # most answers: nothing in them can need a reference (a hot path)
    refs: _Refs = {}
    raw_break, lines = _line_breaks(text, refs, multiline=multiline)
    _line_edges(text, refs, lines, line_start=line_start)
    if (line_start and text in _EMPTY_LOOKALIKES) or (no_code_span and text.startswith("`")):
        refs[0] = None
    detect = "".join(
        "\n" if raw_break[i] else _INERT if i in refs else ch for i, ch in enumerate(text)
    )
    in_span = _in_code_span(detect)
    _inline_references(text, refs, raw_break, in_span)
    _even_backslashes(text, refs)
    return _write(text, refs, raw_break, in_span)


def escape_line(text: str) -> str:
    """`text` as the content of one list item: inline Markdown that opens no block.

    CR and LF become character references, so the result never spans two lines.
    """
    return _encode(text, line_start=True, multiline=False)


def escape_inline(text: str, *, no_code_span: bool = False) -> str:
    """`text` as inline Markdown written mid-line, after a label, on one line.

    With `no_code_span`, a leading backtick is referenced, so the result is never read as
    a code span that code_span wrote (see read_code_span).
    """
    return _encode(text, line_start=False, multiline=False, no_code_span=no_code_span)


def escape_paragraph(text: str) -> str:
    """`text` as one Markdown paragraph of inline content, keeping its line breaks.

    An empty line (which would end the paragraph) is carried by a character reference.
    Callers render an empty `text` as EMPTY_MARK.
    """
    return _encode(text, line_start=True, multiline=True)


def unescape(source: str) -> str:
    """The author's text that escape_line, escape_inline or escape_paragraph wrote as `source`.

    `source` is the Markdown source of the answer alone, as markdown-it gives an inline
    token's content. A reference the bot did not write (one inside a code span that is
    not numeric, or an entity typed on GitHub) is kept as it is.
    """
    in_span = _in_code_span(source)
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            j = i
            while j < n and source[j] == "\\":
                j += 1
            out.append(source[i:j])
            # An odd run escapes the punctuation after it: the author's, kept as typed.
            if (j - i) % 2 and j < n and source[j] in _ASCII_PUNCTUATION:
                out.append(source[j])
                j += 1
            i = j
            continue
        if ch == "&":
            match = (_NUMERIC_REFERENCE if in_span[i] else _REFERENCE).match(source, i)
            if match:
                number = match.group(1)
                if number is None:
                    out.append(_NAMED_BACK[match.group(0)])
                    i = match.end()
                    continue
                if int(number) <= 0x10FFFF:
                    out.append(chr(int(number)))
                    i = match.end()
                    continue
        out.append(ch)
        i += 1
    return "".join(out)


def code_span(text: str) -> str | None:
    """`text` as an inline code span, or None if a code span cannot carry it exactly.

    Code spans cannot hold line breaks and CommonMark strips one space from each end, so
    only single-line text without whitespace at its ends is written this way.
    """
    if not text or "\n" in text or "\r" in text:
        return None
    if text[0].isspace() or text[-1].isspace() or any(map(_needs_reference, text)):
        return None
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def read_code_span(source: str) -> str | None:
    """The text whose code_span is exactly `source`, or None if code_span did not write it."""
    ticks = len(source) - len(source.lstrip("`"))
    if ticks == 0 or len(source) < 2 * ticks:
        return None
    inner = source[ticks:-ticks]
    candidates = [inner]
    if len(inner) >= 2 and inner[0] == inner[-1] == " ":
        candidates.append(inner[1:-1])
    return next((c for c in candidates if code_span(c) == source), None)


def fence_for(lines: list[str] | tuple[str, ...]) -> str:
    """A backtick fence longer than any backtick run in `lines` (at least three)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def code_block(lines: list[str] | tuple[str, ...], info: str = "") -> str:
    """A fenced code block holding `lines`, one per line, that no line can close."""
    fence = fence_for(lines)
    return "\n".join([fence + info, *lines, fence])
