"""Reading a Reliability Milestone issue body back: its marker, gate boxes and answers.

The body is read the way GitHub reads it, with markdown-it (CommonMark + task lists), and
after people have edited it on GitHub: boxes ticked with `[x]` or `[X]`, `*`/`+` bullets,
CRLF line endings, text added after a label, sections reordered or deleted.

Policy:
* A box counts for the section whose heading it stands under (the nearest known heading
  above it; an unknown heading at the same or a higher level ends that section, a deeper
  one does not). Numbered (`1. [ ]`, `1) [ ]`) and nested items count. Boxes in
  blockquotes count too, because GitHub renders them as checkboxes. Boxes in code blocks
  (fenced or indented) and in HTML comments do not: GitHub shows them as text.
* A box belongs to a gate when its text is the gate's label or starts with it (the longest
  matching label of that section wins). The first such box is the gate's; copies are ignored.
* A ticked box whose text goes on with `— N/A: <reason>` (also `– N/A`, `- N/A`, `-- N/A`,
  or `N/A` right after the label, with `:` or a dash before the reason) is not applicable.
* A ticked box whose text goes on with `— evidence: <reference>` (the same dashes) was
  ticked with evidence; the reference (`owner/repo#123, ...`) is kept as written.
* A gate whose box is missing from the body is absent from ParsedIssue.gates and is
  reported by unchecked_gates: nobody has settled it.
* The marker counts only as a real HTML comment block, never inside a code block.
* `fields` holds the answers of the sections present in the body (a deleted section's
  fields are absent), keyed like the Draft's content fields, so
  `draft.with_changes(parsed.fields)` takes them over.
* An answer is read as the author's Markdown source, not as the text GitHub shows: the
  source markdown-it hands over for its paragraph (list marker, indentation and `>`
  already removed), less the label before it, with flows.markdown_text's references
  undone. A list item or paragraph reading `_None_` (emphasis) is the empty mark.
  Gate labels and headings are matched on the text GitHub shows, so a label someone made
  bold still counts; a N/A reason is read from the source when the label is as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from flows.draft import GateState, GateStatus
from flows.markdown_text import EMPTY_TEXT, escape_inline, read_code_span, unescape
from flows.render import (
    MILESTONE_LABEL,
    OBJECTIVE_LABEL,
    ROADMAP_LABEL,
)
from flows.template import GATE_SECTIONS, Template, markdown_parser

_MARKER = re.compile(r"\A<!--[ \t]*milestone-draft:[ \t]*([A-Za-z0-9][A-Za-z0-9._:-]*)[ \t]*-->")
_NA_AFTER_DASH = re.compile(r"(?:^|(?<=\s))(?:—|–|--?)[ \t]*N/A\b(?:[ \t]*[:—–-])?", re.I)
_NA_FIRST = re.compile(r"\A[ \t]*N/A\b(?:[ \t]*[:—–-])?", re.I)
_EVIDENCE = re.compile(r"\A[ \t]*(?:—|–|--?)[ \t]*evidence\b[ \t]*:?", re.I)
_LIST_FIELDS = {
    "in_scope": "in_scope",
    "out_of_scope": "out_of_scope",
    "file_touch": "file_touch_plan",
    "implementation": "implementation_plan",
    "adversarial": "adversarial_scenarios",
    "telemetry": "telemetry_events",
    "documentation": "docs_touched",
    "notes": "notes",
    "invariants": "additional_invariants",
}


@dataclass(frozen=True)
class ParsedIssue:
    draft_id: str | None
    gates: dict[str, GateState]
    fields: dict[str, Any]


@dataclass(frozen=True)
class Box:
    """One gate checkbox found in a body."""

    section: str
    label: str
    state: GateState
    first_line: int  # 0-based line of the box, as markdown-it counts lines
    last_line: int  # 0-based last line of the box's text


def _shown(children: list[Token]) -> str:
    """The text GitHub shows for inline tokens, markup left out: what labels match on."""
    parts: list[str] = []
    for child in children:
        if child.type in ("text", "text_special", "html_inline", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.children:
            parts.append(_shown(child.children))
    return "".join(parts)


@cache
def _parser() -> MarkdownIt:
    return markdown_parser()


def _is_box(inline: Token) -> bool:
    first = inline.children[0] if inline.children else None
    return (
        first is not None
        and first.type == "html_inline"
        and "task-list-item-checkbox" in first.content
    )


def _is_empty_mark(children: list[Token]) -> bool:
    types = [c.type for c in children]
    return types == ["em_open", "text", "em_close"] and children[1].content == EMPTY_TEXT


@dataclass
class _Section:
    boxes: list[tuple[Token, bool, str]]  # inline token, ticked, text shown after the box
    items: list[Token]  # inline tokens of list items that are not boxes
    paragraphs: list[Token]  # inline tokens of paragraphs outside lists
    fences: list[Token]


def _sections(template: Template, body: str) -> tuple[dict[str, _Section], str | None]:
    by_text = {h.text: key for key, h in template.heading_keys.items()}
    sections: dict[str, _Section] = {}
    current: str | None = None
    current_level = 0
    draft_id: str | None = None
    stack: list[str] = []
    tokens = _parser().parse(body)
    for i, tok in enumerate(tokens):
        if tok.nesting == 1:
            stack.append(tok.type)
        elif tok.nesting == -1:
            stack.pop()
        if tok.type == "heading_open":
            level = int(tok.tag[1])
            key = by_text.get(_shown(tokens[i + 1].children or []).strip())
            if key is not None:
                current, current_level = key, level
                sections.setdefault(key, _Section([], [], [], []))
            elif level <= current_level:
                current, current_level = None, 0
            continue
        if tok.type == "html_block":
            match = _MARKER.match(tok.content.strip())
            if match:
                draft_id = match.group(1)
            continue
        if current is None:
            continue
        section = sections[current]
        if tok.type == "fence":
            section.fences.append(tok)
        elif tok.type == "inline" and stack and stack[-1] == "paragraph_open":
            in_item = len(stack) >= 2 and stack[-2] == "list_item_open"
            if in_item and _is_box(tok):
                children = tok.children or []
                checked = 'checked="checked"' in children[0].content
                section.boxes.append((tok, checked, _shown(children[1:]).strip()))
            elif in_item:
                section.items.append(tok)
            else:
                section.paragraphs.append(tok)
    return sections, draft_id


def _match_label(labels: list[str], text: str) -> str | None:
    for label in sorted(labels, key=len, reverse=True):
        if text.startswith(label):
            return label
    return None


def _not_applicable(rest: str, read: Callable[[str], str]) -> GateState:
    evidence = _EVIDENCE.match(rest)
    if evidence is not None:
        reference = read(rest[evidence.end() :].strip())
        return GateState(status=GateStatus.CHECKED, evidence=reference)
    match = _NA_FIRST.match(rest) or _NA_AFTER_DASH.search(rest)
    if match is None:
        return GateState(status=GateStatus.CHECKED)
    return GateState(status=GateStatus.NOT_APPLICABLE, reason=read(rest[match.end() :].strip()))


def _box_state(inline: Token, checked: bool, label: str, shown: str) -> GateState:
    if not checked:
        return GateState()
    # The task-list plugin has taken "[x]" off the content: the label's source follows.
    source = inline.content.lstrip()
    written = escape_inline(label)
    if source.startswith(written):
        return _not_applicable(source[len(written) :], unescape)
    # The label was rewritten on GitHub (made bold, say): read what GitHub shows instead.
    return _not_applicable(shown[len(label) :], str)


def _gate_boxes(template: Template, sections: dict[str, _Section]) -> list[Box]:
    found: dict[str, Box] = {}
    for key, section in sections.items():
        if key not in GATE_SECTIONS:
            continue
        labels = template.labels_in(key)
        for inline, checked, shown in section.boxes:
            label = _match_label(labels, shown)
            if label is None or label in found:
                continue
            assert inline.map is not None
            state = _box_state(inline, checked, label, shown)
            found[label] = Box(key, label, state, inline.map[0], inline.map[1] - 1)
    return [found[c.label] for c in template.gates if c.label in found]


def gate_boxes(template: Template, body: str) -> list[Box]:
    """Every gate box present in `body`, in the template's order, with where it stands."""
    sections, _ = _sections(template, body)
    return _gate_boxes(template, sections)


def _item_values(items: list[Token]) -> tuple[str, ...]:
    return tuple(unescape(tok.content) for tok in items if not _is_empty_mark(tok.children or []))


def _labelled_value(inline: Token, label: str, *, code: bool) -> str | None:
    if inline.content.startswith(label):
        rest = inline.content[len(label) :].lstrip()
        return (read_code_span(rest) if code else None) or unescape(rest)
    shown = _shown(inline.children or []).strip()
    if shown.startswith(label):  # the label was rewritten on GitHub
        return shown[len(label) :].strip()
    return None


def _context_fields(section: _Section) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    wanted = {
        ROADMAP_LABEL: ("roadmap_reference", True),
        MILESTONE_LABEL: ("target_milestone", True),
        OBJECTIVE_LABEL: ("risk_objective", False),
    }
    for inline in section.items:
        for label, (name, code) in wanted.items():
            value = _labelled_value(inline, label, code=code)
            if value is not None and name not in fields:
                fields[name] = value
    return fields


def _paragraph_text(section: _Section) -> str:
    texts = [
        unescape(tok.content)
        for tok in section.paragraphs
        if not _is_empty_mark(tok.children or [])
    ]
    return "\n\n".join(texts)


def _commands(section: _Section) -> tuple[str, ...]:
    if not section.fences:
        return ()
    return tuple(line for line in section.fences[0].content.split("\n") if line.strip())


def _fields(template: Template, sections: dict[str, _Section]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, section in sections.items():
        if key == "context":
            fields.update(_context_fields(section))
        elif key == "problem":
            fields["problem_statement"] = _paragraph_text(section)
        elif key == "unit_tests":
            fields["test_commands"] = _commands(section)
        if key == "invariants":
            labels = template.invariant_labels
            ticked = {_match_label(labels, text) for _, checked, text in section.boxes if checked}
            fields["invariants"] = tuple(label for label in labels if label in ticked)
        if key in _LIST_FIELDS:
            fields[_LIST_FIELDS[key]] = _item_values(section.items)
    return fields


def parse_issue(template: Template, body: str) -> ParsedIssue:
    """The draft id, gate states and answers an issue body holds."""
    sections, draft_id = _sections(template, body)
    gates = {box.label: box.state for box in _gate_boxes(template, sections)}
    fields = _fields(template, sections)
    fields["gates"] = dict(gates)
    return ParsedIssue(draft_id=draft_id, gates=gates, fields=fields)


def unchecked_gates(template: Template, body: str) -> list[tuple[str, str]]:
    """(section heading as the template words it, label) of every gate not yet settled.

    A gate whose box was deleted from the body is listed too: nobody has settled it.
    """
    parsed = parse_issue(template, body)
    return [
        (template.heading(c.section).text, c.label)
        for c in template.gates
        if not parsed.gates.get(c.label, GateState()).settled
    ]
