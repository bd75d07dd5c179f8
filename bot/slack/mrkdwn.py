"""Markdown to Slack mrkdwn: the issue body's syntax tree, written as mrkdwn lines.

GitHub reads the body as Markdown; Slack reads mrkdwn and treats `&`, `<` and `>` as control
characters. The body is parsed with the same CommonMark + task-list parser the renderer
writes for, and every piece of the author's text is escaped. The lines come out grouped by
Markdown block (`Segment`), with the big headings and rules apart (`Header`, `Divider`), for
bot.slack.preview to cut to Slack's limits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from markdown_it.tree import SyntaxTreeNode

from bot.slack.text import escape_mrkdwn

MAX_HEADER_TEXT = 150  # Slack's limit for a header block's plain text

CHECKED = "☑"
UNCHECKED = "☐"
BULLET = "•"
NOT_APPLICABLE = "— N/A"
NESTED_INDENT = "    "

FENCE = "```"
FENCE_OVERHEAD = len(FENCE) * 2 + 2  # "```\n" before a code run and "\n```" after it
# A link longer than this is shown as "label (url)" so that a line can always be cut
# between links rather than through one.
_MAX_LINK_MARKUP = 1000
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_BREAK_TAGS = frozenset({"<br>", "<br/>", "<br />"})


def size(text: str) -> int:
    # Counted in UTF-16 units, which is never less than len(); an emoji-heavy body then
    # stays inside Slack's limits however Slack counts.
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Line:
    """One output line; the lines of one code block share a fence id."""

    text: str
    fence: int | None = None


@dataclass(frozen=True)
class Segment:
    """The lines of one Markdown block, kept in one section when they fit."""

    lines: tuple[Line, ...]
    keep_with_next: bool = False  # a minor heading stays with what follows it


@dataclass(frozen=True)
class Header:
    text: str


@dataclass(frozen=True)
class Divider:
    pass


Item = Segment | Header | Divider


class Converter:
    """Walks the Markdown syntax tree and writes mrkdwn lines."""

    def __init__(self) -> None:
        self._fences = 0

    # Block level

    def items(self, root: SyntaxTreeNode) -> list[Item]:
        items: list[Item] = []
        for node in root.children:
            if node.type == "hr":
                items.append(Divider())
                continue
            if node.type == "heading" and int(node.tag[1]) <= 2:
                plain = _plain(_inline_of(node)).strip()
                if not plain:
                    continue
                if size(plain) <= MAX_HEADER_TEXT:
                    items.append(Header(plain))
                    continue
            lines = self.lines(node)
            if not any(line.text.strip() for line in lines):
                continue
            keep = node.type == "heading"
            previous = items[-1] if items else None
            if isinstance(previous, Segment) and previous.keep_with_next:
                items[-1] = Segment(previous.lines + tuple(lines), keep)
            else:
                items.append(Segment(tuple(lines), keep))
        return items

    def lines(self, node: SyntaxTreeNode) -> list[Line]:
        kind = node.type
        if kind == "paragraph":
            return text_lines(self.mrkdwn(_inline_of(node)))
        if kind == "heading":
            return text_lines(_bold(self.mrkdwn(_inline_of(node), strong=False)))
        if kind in ("bullet_list", "ordered_list"):
            return self._list(node)
        if kind in ("fence", "code_block"):
            return self._code(node.content)
        if kind == "blockquote":
            return [
                line if line.fence is not None else Line(f"> {line.text}".rstrip())
                for line in self._blocks(node.children, gap=True)
            ]
        if kind == "hr":
            return [Line("———")]
        if kind == "html_block":
            return text_lines(escape_mrkdwn(_without_comments(node.content).strip("\n")))
        # Anything else this parser may grow (a table, say) still shows as its source text.
        return text_lines(escape_mrkdwn(node.content))

    def _blocks(self, nodes: Iterable[SyntaxTreeNode], *, gap: bool) -> list[Line]:
        out: list[Line] = []
        for node in nodes:
            lines = self.lines(node)
            if not lines:
                continue
            if out and gap:
                out.append(Line(""))
            out.extend(lines)
        return out

    def _list(self, node: SyntaxTreeNode) -> list[Line]:
        ordered = node.type == "ordered_list"
        start = int(node.attrs.get("start", 1)) if ordered else 1
        out: list[Line] = []
        for index, item in enumerate(node.children):
            marker = f"{start + index}{item.markup}" if ordered else BULLET
            children = list(item.children)
            first: list[Line] = []
            box = _task_box(children[0]) if children else None
            if box is not None:
                checked, label_nodes = box
                label = self.mrkdwn_nodes(label_nodes).lstrip()
                first = text_lines(_task_text(checked, label))
                marker = "" if not ordered else marker
                children = children[1:]
            body = first + self._blocks(children, gap=False)
            if not body:
                out.append(Line(marker))
                continue
            head, rest = body[0], body[1:]
            if head.fence is None:
                out.append(Line(f"{marker} {head.text}".strip() if marker else head.text))
            else:
                out.extend([Line(marker), head])
            out.extend(
                line if line.fence is not None or not line.text else Line(NESTED_INDENT + line.text)
                for line in rest
            )
        return out

    def _code(self, content: str) -> list[Line]:
        self._fences += 1
        # A "```" inside the code would close Slack's block early; a zero-width space
        # keeps it showing as three backticks.
        text = escape_mrkdwn(content.removesuffix("\n")).replace(FENCE, "``\u200b`")
        return [Line(line, self._fences) for line in (text or " ").split("\n")]

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
    if size(markup) > _MAX_LINK_MARKUP:
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


def text_lines(text: str) -> list[Line]:
    return [Line(line) for line in text.split("\n")] if text.strip() else []


# Cutting text to Slack's limits
