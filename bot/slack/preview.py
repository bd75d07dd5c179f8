"""The issue preview in a Slack thread: a rendered GitHub issue as Block Kit messages.

GitHub reads the body as Markdown; Slack reads mrkdwn and treats `&`, `<` and `>` as control
characters, so an author's `<!here>` would ping a channel if it reached Slack raw. The body
is written as escaped mrkdwn by bot.slack.mrkdwn; here the result is cut to Slack's limits
(3,000 characters a section, 50 blocks and a modest amount of text a message) without
losing a word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from markdown_it.tree import SyntaxTreeNode
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.mrkdwn import (
    FENCE,
    FENCE_OVERHEAD,
    MAX_HEADER_TEXT,
    Converter,
    Header,
    Item,
    Line,
    Segment,
    size,
    text_lines,
)
from bot.slack.text import escape_mrkdwn
from flows.template import markdown_parser

MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
# Slack truncates a message past ~40,000 characters; a preview stays far below that.
MAX_MESSAGE_TEXT = 12_000
MAX_FALLBACK_TEXT = 150
ELLIPSIS = "…"

# Room kept in every message for the "continued" line put on top of later messages.
_CONTINUED_RESERVE = 80


def _safe_cuts(text: str) -> list[bool]:
    """safe[i]: text may be cut before index i without splitting an &entity; or a <link>."""
    safe = [True] * (len(text) + 1)
    in_entity = in_link = False
    for i, char in enumerate(text):
        safe[i] = not (in_entity or in_link)
        if char == "&":
            in_entity = True
        elif char == ";" and in_entity:
            in_entity = False
        elif char == "<" and not in_entity:
            in_link = True
        elif char == ">" and in_link:
            in_link = False
        elif char == "\n":
            in_link = in_entity = False
    return safe


def _within(text: str, budget: int) -> int:
    """The length of the longest prefix of `text` whose size fits `budget`."""
    used = 0
    for i, char in enumerate(text):
        used += size(char)
        if used > budget:
            return i
    return len(text)


def _cut(text: str, budget: int) -> int:
    """Where to cut `text` so the first part fits `budget`: after a space if possible."""
    limit = _within(text, budget)
    safe = _safe_cuts(text[: limit + 1])
    for i in range(limit, 0, -1):
        if safe[i] and text[i - 1].isspace():
            return i
    for i in range(limit, 0, -1):
        if safe[i]:
            return i
    return max(limit, 1)


def _split_line(line: Line, budget: int) -> list[Line]:
    pieces: list[Line] = []
    text = line.text
    while size(text) > budget:
        at = _cut(text, budget)
        pieces.append(Line(text[:at], line.fence))
        text = text[at:]
    pieces.append(Line(text, line.fence))
    return pieces


def _line_cost(line: Line, previous: Line | None) -> int:
    opens_fence = line.fence is not None and (previous is None or previous.fence != line.fence)
    return size(line.text) + 1 + (FENCE_OVERHEAD if opens_fence else 0)


def _join(lines: Sequence[Line]) -> str:
    parts: list[str] = []
    i = 0
    while i < len(lines):
        fence = lines[i].fence
        if fence is None:
            parts.append(lines[i].text)
            i += 1
            continue
        run: list[str] = []
        while i < len(lines) and lines[i].fence == fence:
            run.append(lines[i].text)
            i += 1
        parts.append(f"{FENCE}\n" + "\n".join(run) + f"\n{FENCE}")
    return "\n".join(parts)


class _SectionPacker:
    """Fills sections up to MAX_SECTION_TEXT, breaking between blocks, then between lines."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._lines: list[Line] = []
        self._cost = -1  # the first line needs no newline before it

    def add(self, segment: Sequence[Line]) -> None:
        if self._lines and self._fits([Line(""), *segment]):
            self._extend([Line(""), *segment])
            return
        self.flush()
        if self._fits(segment):
            self._extend(segment)
            return
        for line in segment:
            budget = MAX_SECTION_TEXT - (FENCE_OVERHEAD if line.fence is not None else 0)
            for piece in _split_line(line, budget):
                if not self._fits([piece]):
                    self.flush()
                self._extend([piece])

    def flush(self) -> None:
        text = _join(self._lines)
        if text.strip():
            self.texts.append(text)
        self._lines = []
        self._cost = -1

    def _fits(self, lines: Sequence[Line]) -> bool:
        cost = self._cost
        previous = self._lines[-1] if self._lines else None
        for line in lines:
            cost += _line_cost(line, previous)
            previous = line
        return cost <= MAX_SECTION_TEXT

    def _extend(self, lines: Sequence[Line]) -> None:
        for line in lines:
            self._cost += _line_cost(line, self._lines[-1] if self._lines else None)
            self._lines.append(line)


def _section(text: str) -> SectionBlock:
    # verbatim: Slack must not turn the author's "#channel" or bare names into links.
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))


def _header(text: str) -> HeaderBlock:
    if size(text) > MAX_HEADER_TEXT:
        text = text[: _within(text, MAX_HEADER_TEXT - 1)].rstrip() + ELLIPSIS
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def _body_blocks(items: Iterable[Item]) -> list[Block]:
    blocks: list[Block] = []
    packer = _SectionPacker()

    def flush() -> None:
        packer.flush()
        blocks.extend(_section(text) for text in packer.texts)
        packer.texts.clear()

    for item in items:
        if isinstance(item, Segment):
            packer.add(item.lines)
        else:
            flush()
            blocks.append(_header(item.text) if isinstance(item, Header) else DividerBlock())
    flush()
    return blocks


def _text_size(block: Block) -> int:
    if isinstance(block, HeaderBlock | SectionBlock) and block.text is not None:
        return size(block.text.text)
    if isinstance(block, ContextBlock):
        return sum(size(getattr(e, "text", "") or "") for e in block.elements)
    return 0


def _into_messages(blocks: Sequence[Block]) -> list[list[Block]]:
    max_blocks = MAX_BLOCKS - 1  # one kept for the "continued" line
    max_text = MAX_MESSAGE_TEXT - _CONTINUED_RESERVE
    messages: list[list[Block]] = []
    current: list[Block] = []
    used = 0
    for block in blocks:
        size = _text_size(block)
        if current and (len(current) >= max_blocks or used + size > max_text):
            # A header at the foot of a message belongs with the text under it.
            carry: list[Block] = []
            while len(current) > 1 and isinstance(current[-1], HeaderBlock):
                carry.insert(0, current.pop())
            if all(isinstance(b, HeaderBlock) for b in current):
                current.extend(carry)
                carry = []
            messages.append(current)
            current = carry
            used = sum(_text_size(b) for b in carry)
        current.append(block)
        used += size
    if current:
        messages.append(current)
    total = len(messages)
    for number, message in enumerate(messages[1:], start=2):
        note = PlainTextObject(text=f"Preview, continued ({number} of {total})", emoji=True)
        message.insert(0, ContextBlock(elements=[note]))
    return messages


def _lead_blocks(lead: str) -> list[Block]:
    if not lead.strip():
        return []
    packer = _SectionPacker()
    packer.add(text_lines(escape_mrkdwn(lead.strip())))
    packer.flush()
    return [_section(text) for text in packer.texts]


def preview_messages(title: str, body: str, *, lead: str = "") -> list[list[dict[str, Any]]]:
    """The issue as Slack messages (each a list of block dicts), in the order to post them.

    `lead` is a short line shown first; `*bold*` and `_italic_` in it work, links and
    mentions do not (its `&`, `<` and `>` are escaped like the body's).
    """
    converter = Converter()
    tree = SyntaxTreeNode(markdown_parser().enable("strikethrough").parse(body))
    blocks: list[Block] = [
        *_lead_blocks(lead),
        _header(" ".join(title.split()) or "(untitled issue)"),
        *_body_blocks(converter.items(tree)),
    ]
    return [[block.to_dict() for block in message] for message in _into_messages(blocks)]


def _first_text(block: dict[str, Any] | Block) -> str:
    parsed = Block.parse(block) if isinstance(block, dict) else block
    if isinstance(parsed, HeaderBlock) and parsed.text is not None:
        return escape_mrkdwn(parsed.text.text)  # plain_text becomes mrkdwn in `text`
    if isinstance(parsed, SectionBlock) and parsed.text is not None:
        return parsed.text.text
    if isinstance(parsed, ContextBlock):
        for element in parsed.elements:
            text = getattr(element, "text", "") or ""
            return escape_mrkdwn(text) if isinstance(element, PlainTextObject) else text
    return ""


def blocks_fallback_text(blocks: Sequence[dict[str, Any] | Block]) -> str:
    """The short `text` sent with `blocks`: what a notification shows. Already escaped."""
    for block in blocks:
        for line in _first_text(block).split("\n"):
            line = line.strip()
            if line and line != FENCE:
                if size(line) <= MAX_FALLBACK_TEXT:
                    return line
                return line[: _cut(line, MAX_FALLBACK_TEXT - 1)].rstrip() + ELLIPSIS
    return "Issue preview"
