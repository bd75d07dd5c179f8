"""The issue preview in a Slack thread: a rendered GitHub issue as Block Kit messages.

GitHub reads the body as Markdown; Slack reads mrkdwn and treats `&`, `<` and `>` as control
characters, so an author's `<!here>` would ping a channel if it reached Slack raw. The body
is parsed with the same CommonMark + task-list parser the renderer writes for, every piece
of the author's text is escaped, and the result is cut to Slack's limits (3,000 characters a
section, 50 blocks and a modest amount of text a message) without losing a word.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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

from bot.slack.text import escape_mrkdwn
from flows.template import markdown_parser

MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
# Slack truncates a message past ~40,000 characters; a preview stays far below that.
MAX_MESSAGE_TEXT = 12_000
MAX_FALLBACK_TEXT = 150

ELLIPSIS = "…"
CHECKED = "☑"
UNCHECKED = "☐"
BULLET = "•"
NOT_APPLICABLE = "— N/A"
NESTED_INDENT = "    "

_FENCE = "```"
_FENCE_OVERHEAD = len(_FENCE) * 2 + 2  # "```\n" before a code run and "\n```" after it
# A link longer than this is shown as "label (url)" so that a line can always be cut
# between links rather than through one.
_MAX_LINK_MARKUP = 1000
# Room kept in every message for the "continued" line put on top of later messages.
_CONTINUED_RESERVE = 80
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_BREAK_TAGS = frozenset({"<br>", "<br/>", "<br />"})


def _size(text: str) -> int:
    # Counted in UTF-16 units, which is never less than len(); an emoji-heavy body then
    # stays inside Slack's limits however Slack counts.
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Line:
    """One output line; the lines of one code block share a fence id."""

    text: str
    fence: int | None = None


@dataclass(frozen=True)
class _Segment:
    """The lines of one Markdown block, kept in one section when they fit."""

    lines: tuple[_Line, ...]
    keep_with_next: bool = False  # a minor heading stays with what follows it


@dataclass(frozen=True)
class _Header:
    text: str


@dataclass(frozen=True)
class _Divider:
    pass


_Item = _Segment | _Header | _Divider


class _Converter:
    """Walks the Markdown syntax tree and writes mrkdwn lines."""

    def __init__(self) -> None:
        self._fences = 0

    # Block level

    def items(self, root: SyntaxTreeNode) -> list[_Item]:
        items: list[_Item] = []
        for node in root.children:
            if node.type == "hr":
                items.append(_Divider())
                continue
            if node.type == "heading" and int(node.tag[1]) <= 2:
                plain = _plain(_inline_of(node)).strip()
                if not plain:
                    continue
                if _size(plain) <= MAX_HEADER_TEXT:
                    items.append(_Header(plain))
                    continue
            lines = self.lines(node)
            if not any(line.text.strip() for line in lines):
                continue
            keep = node.type == "heading"
            previous = items[-1] if items else None
            if isinstance(previous, _Segment) and previous.keep_with_next:
                items[-1] = _Segment(previous.lines + tuple(lines), keep)
            else:
                items.append(_Segment(tuple(lines), keep))
        return items

    def lines(self, node: SyntaxTreeNode) -> list[_Line]:
        kind = node.type
        if kind == "paragraph":
            return _text_lines(self.mrkdwn(_inline_of(node)))
        if kind == "heading":
            return _text_lines(_bold(self.mrkdwn(_inline_of(node), strong=False)))
        if kind in ("bullet_list", "ordered_list"):
            return self._list(node)
        if kind in ("fence", "code_block"):
            return self._code(node.content)
        if kind == "blockquote":
            return [
                line if line.fence is not None else _Line(f"> {line.text}".rstrip())
                for line in self._blocks(node.children, gap=True)
            ]
        if kind == "hr":
            return [_Line("———")]
        if kind == "html_block":
            return _text_lines(escape_mrkdwn(_without_comments(node.content).strip("\n")))
        # Anything else this parser may grow (a table, say) still shows as its source text.
        return _text_lines(escape_mrkdwn(node.content))

    def _blocks(self, nodes: Iterable[SyntaxTreeNode], *, gap: bool) -> list[_Line]:
        out: list[_Line] = []
        for node in nodes:
            lines = self.lines(node)
            if not lines:
                continue
            if out and gap:
                out.append(_Line(""))
            out.extend(lines)
        return out

    def _list(self, node: SyntaxTreeNode) -> list[_Line]:
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1)) if ordered else 1
        out: list[_Line] = []
        for index, item in enumerate(node.children):
            marker = f"{start + index}{item.markup}" if ordered else BULLET
            children = list(item.children)
            first: list[_Line] = []
            box = _task_box(children[0]) if children else None
            if box is not None:
                checked, label_nodes = box
                label = self.mrkdwn_nodes(label_nodes).lstrip()
                first = _text_lines(_task_text(checked, label))
                marker = "" if not ordered else marker
                children = children[1:]
            body = first + self._blocks(children, gap=False)
            if not body:
                out.append(_Line(marker))
                continue
            head, rest = body[0], body[1:]
            if head.fence is None:
                out.append(_Line(f"{marker} {head.text}".strip() if marker else head.text))
            else:
                out.extend([_Line(marker), head])
            out.extend(
                line
                if line.fence is not None or not line.text
                else _Line(NESTED_INDENT + line.text)
                for line in rest
            )
        return out

    def _code(self, content: str) -> list[_Line]:
        self._fences += 1
        # A "```" inside the code would close Slack's block early; a zero-width space
        # keeps it showing as three backticks.
        text = escape_mrkdwn(content.removesuffix("\n")).replace(_FENCE, "``\u200b`")
        return [_Line(line, self._fences) for line in (text or " ").split("\n")]

    # Inline level

    def mrkdwn(self, inline: SyntaxTreeNode | None, *, strong: bool = True) -> str:
        return self.mrkdwn_nodes(inline.children if inline else [], strong=strong)

    def mrkdwn_nodes(
        self, nodes: Iterable[SyntaxTreeNode], *, strong: bool = True, links: bool = True
    ) -> str:
        out: list[str] = []
        for node in nodes:
            kind = node.type
            if kind == "text":
                out.append(escape_mrkdwn(node.content))
            elif kind in ("softbreak", "hardbreak"):
                # GitHub shows a line break in an issue body where the author put one.
                out.append("\n")
            elif kind == "code_inline":
                out.append(_code_span(node.content))
            elif kind in ("strong", "em", "s"):
                inner = self.mrkdwn_nodes(node.children, strong=strong, links=links)
                marker = {"strong": "*", "em": "_", "s": "~"}[kind]
                out.append(inner if kind == "strong" and not strong else _wrap(marker, inner))
            elif kind in ("link", "image"):
                label = self.mrkdwn_nodes(node.children, strong=strong, links=False)
                target = str(node.attrs.get("href" if kind == "link" else "src", ""))
                out.append(_link(target, label) if links else label)
            elif kind == "html_inline":
                out.append(_html_inline(node.content))
            else:
                out.append(escape_mrkdwn(node.content))
        return "".join(out)


def _inline_of(node: SyntaxTreeNode) -> SyntaxTreeNode | None:
    return node.children[0] if node.children and node.children[0].type == "inline" else None


def _plain(inline: SyntaxTreeNode | None) -> str:
    """A heading's text for a plain_text header: no markup, code spans keep their backticks."""
    if inline is None:
        return ""
    out: list[str] = []
    for node in inline.walk(include_self=False):
        if node.type == "text":
            out.append(node.content)
        elif node.type == "code_inline":
            out.append(f"`{node.content}`")
        elif node.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif node.type == "html_inline" and not node.content.startswith("<!--"):
            out.append(node.content)
    return "".join(out)


def _task_box(first: SyntaxTreeNode) -> tuple[bool, list[SyntaxTreeNode]] | None:
    inline = _inline_of(first) if first.type == "paragraph" else None
    if inline is None or not inline.children:
        return None
    box = inline.children[0]
    if box.type != "html_inline" or "task-list-item-checkbox" not in box.content:
        return None
    return 'checked="checked"' in box.content, list(inline.children[1:])


def _task_text(checked: bool, label: str) -> str:
    if not checked:
        return f"{UNCHECKED} {label}"
    before, found, after = label.partition(NOT_APPLICABLE)
    if not found:
        return f"{CHECKED} {label}"
    reason = f"N/A{after}".rstrip()
    # Italics only where they cannot collide with the reason's own markup.
    if any(mark in reason for mark in "_*~`<\n"):
        return f"{CHECKED} {before.rstrip()} — {reason}"
    return f"{CHECKED} {before.rstrip()} — _{reason}_"


def _wrap(marker: str, inner: str) -> str:
    # Slack's markers must touch the text and cannot span lines.
    out = []
    for line in inner.split("\n"):
        core = line.strip()
        if not core:
            out.append(line)
            continue
        start = line.index(core)
        out.append(f"{line[:start]}{marker}{core}{marker}{line[start + len(core) :]}")
    return "\n".join(out)


def _bold(text: str) -> str:
    return _wrap("*", text)


def _code_span(content: str) -> str:
    if "`" in content or not content.strip():
        return escape_mrkdwn(content)  # Slack has no way to show a backtick inside inline code
    return f"`{escape_mrkdwn(content)}`"


def _link(target: str, label: str) -> str:
    label = label.replace("\n", " ").strip()
    if not target.lower().startswith(_LINK_SCHEMES):
        # A relative or unknown link would not open from Slack; show its text.
        return label or escape_mrkdwn(target)
    url = escape_mrkdwn(target)
    markup = f"<{url}>" if not label or label == url else f"<{url}|{label}>"
    if _size(markup) > _MAX_LINK_MARKUP:
        return f"{label} ({url})" if label else url
    return markup


def _html_inline(content: str) -> str:
    if content.startswith("<!--"):
        return ""  # GitHub hides HTML comments
    if content.lower() in _BREAK_TAGS:
        return "\n"
    return escape_mrkdwn(content)


def _without_comments(html: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        start = html.find("<!--", pos)
        if start < 0:
            out.append(html[pos:])
            break
        out.append(html[pos:start])
        end = html.find("-->", start + 4)
        if end < 0:
            break
        pos = end + 3
    return "".join(out)


def _text_lines(text: str) -> list[_Line]:
    return [_Line(line) for line in text.split("\n")] if text.strip() else []


# Cutting text to Slack's limits


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
        used += _size(char)
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


def _split_line(line: _Line, budget: int) -> list[_Line]:
    pieces: list[_Line] = []
    text = line.text
    while _size(text) > budget:
        at = _cut(text, budget)
        pieces.append(_Line(text[:at], line.fence))
        text = text[at:]
    pieces.append(_Line(text, line.fence))
    return pieces


def _line_cost(line: _Line, previous: _Line | None) -> int:
    opens_fence = line.fence is not None and (previous is None or previous.fence != line.fence)
    return _size(line.text) + 1 + (_FENCE_OVERHEAD if opens_fence else 0)


def _join(lines: Sequence[_Line]) -> str:
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
        parts.append(f"{_FENCE}\n" + "\n".join(run) + f"\n{_FENCE}")
    return "\n".join(parts)


class _SectionPacker:
    """Fills sections up to MAX_SECTION_TEXT, breaking between blocks, then between lines."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self._lines: list[_Line] = []
        self._cost = -1  # the first line needs no newline before it

    def add(self, segment: Sequence[_Line]) -> None:
        if self._lines and self._fits([_Line(""), *segment]):
            self._extend([_Line(""), *segment])
            return
        self.flush()
        if self._fits(segment):
            self._extend(segment)
            return
        for line in segment:
            budget = MAX_SECTION_TEXT - (_FENCE_OVERHEAD if line.fence is not None else 0)
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

    def _fits(self, lines: Sequence[_Line]) -> bool:
        cost = self._cost
        previous = self._lines[-1] if self._lines else None
        for line in lines:
            cost += _line_cost(line, previous)
            previous = line
        return cost <= MAX_SECTION_TEXT

    def _extend(self, lines: Sequence[_Line]) -> None:
        for line in lines:
            self._cost += _line_cost(line, self._lines[-1] if self._lines else None)
            self._lines.append(line)


def _section(text: str) -> SectionBlock:
    # verbatim: Slack must not turn the author's "#channel" or bare names into links.
    return SectionBlock(text=MarkdownTextObject(text=text, verbatim=True))


def _header(text: str) -> HeaderBlock:
    if _size(text) > MAX_HEADER_TEXT:
        text = text[: _within(text, MAX_HEADER_TEXT - 1)].rstrip() + ELLIPSIS
    return HeaderBlock(text=PlainTextObject(text=text, emoji=True))


def _body_blocks(items: Iterable[_Item]) -> list[Block]:
    blocks: list[Block] = []
    packer = _SectionPacker()

    def flush() -> None:
        packer.flush()
        blocks.extend(_section(text) for text in packer.texts)
        packer.texts.clear()

    for item in items:
        if isinstance(item, _Segment):
            packer.add(item.lines)
        else:
            flush()
            blocks.append(_header(item.text) if isinstance(item, _Header) else DividerBlock())
    flush()
    return blocks


def _text_size(block: Block) -> int:
    if isinstance(block, HeaderBlock | SectionBlock) and block.text is not None:
        return _size(block.text.text)
    if isinstance(block, ContextBlock):
        return sum(_size(getattr(e, "text", "") or "") for e in block.elements)
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
    packer.add(_text_lines(escape_mrkdwn(lead.strip())))
    packer.flush()
    return [_section(text) for text in packer.texts]


def preview_messages(title: str, body: str, *, lead: str = "") -> list[list[dict]]:
    """The issue as Slack messages (each a list of block dicts), in the order to post them.

    `lead` is a short line shown first; `*bold*` and `_italic_` in it work, links and
    mentions do not (its `&`, `<` and `>` are escaped like the body's).
    """
    converter = _Converter()
    tree = SyntaxTreeNode(markdown_parser().enable("strikethrough").parse(body))
    blocks: list[Block] = [
        *_lead_blocks(lead),
        _header(" ".join(title.split()) or "(untitled issue)"),
        *_body_blocks(converter.items(tree)),
    ]
    return [[block.to_dict() for block in message] for message in _into_messages(blocks)]


def _first_text(block: dict | Block) -> str:
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


def blocks_fallback_text(blocks: Sequence[dict | Block]) -> str:
    """The short `text` sent with `blocks`: what a notification shows. Already escaped."""
    for block in blocks:
        for line in _first_text(block).split("\n"):
            line = line.strip()
            if line and line != _FENCE:
                if _size(line) <= MAX_FALLBACK_TEXT:
                    return line
                return line[: _cut(line, MAX_FALLBACK_TEXT - 1)].rstrip() + ELLIPSIS
    return "Issue preview"
