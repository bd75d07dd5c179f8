"""The issue template the bot serves: its front matter, headings and checkbox labels.

The template is the user's file; the bot reads every label from it rather than retyping
them, and names what is missing when a changed template no longer has a heading the flow
writes under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

from flows.errors import TemplateError

BUNDLED_TEMPLATE = "reliability_milestone.md"

# The headings the renderer writes answers under, keyed by a stable id. The text is the
# template's; a template without one of these cannot be served and is refused at start.
SECTION_HEADINGS: dict[str, tuple[int, str]] = {
    "context": (2, "Milestone Context"),
    "problem": (2, "Problem Statement"),
    "invariants": (2, "Invariants Strengthened"),
    "scope": (2, "Scope"),
    "in_scope": (3, "In scope"),
    "out_of_scope": (3, "Out of scope"),
    "file_touch": (2, "File Touch Plan"),
    "implementation": (2, "Implementation Plan"),
    "test_gates": (2, "Test Gates (Required)"),
    "unit_tests": (3, "Unit tests"),
    "adversarial": (3, "Adversarial/chaos validation"),
    "telemetry": (2, "Telemetry and Observability"),
    "rollout": (2, "Rollout and Safety"),
    "documentation": (2, "Documentation Updates (Required)"),
    "acceptance": (2, "Acceptance Criteria"),
    "notes": (2, "Notes / Assumptions"),
}

# Sections whose checkboxes are gates: work that is done after filing and ticked on GitHub.
# The invariants section's boxes are declarations, not gates.
GATE_SECTIONS: tuple[str, ...] = (
    "unit_tests",
    "adversarial",
    "telemetry",
    "rollout",
    "documentation",
    "acceptance",
)

_FRONT_MATTER = re.compile(r"\A---\r?\n(.*?)\r?\n---\r?\n", re.DOTALL)
_MILESTONE_LINE = re.compile(r"Target milestone:\s*`([^`]*)`")
_ROADMAP_LINE = re.compile(r"Roadmap reference:\s*`([^`]*)`")


def markdown_parser() -> MarkdownIt:
    """A CommonMark parser with GitHub's task lists, as GitHub reads an issue body."""
    return MarkdownIt("commonmark").use(tasklists_plugin)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Checkbox:
    section: str  # key from SECTION_HEADINGS of the nearest heading above it
    label: str


@dataclass(frozen=True)
class Template:
    """A parsed issue template."""

    source: str
    name: str
    about: str
    title_prefix: str
    labels: tuple[str, ...]
    headings: tuple[Heading, ...]
    checkboxes: tuple[Checkbox, ...]
    milestones: tuple[str, ...]
    roadmap_default: str
    test_command_default: str
    path: str = ""
    heading_keys: dict[str, Heading] = field(default_factory=dict)
    assignees: tuple[str, ...] = ()  # the front matter's logins, as GitHub's form pre-fills

    def heading(self, key: str) -> Heading:
        return self.heading_keys[key]

    def heading_line(self, key: str) -> str:
        h = self.heading_keys[key]
        return f"{'#' * h.level} {h.text}"

    def labels_in(self, section: str) -> list[str]:
        return [c.label for c in self.checkboxes if c.section == section]

    @cached_property
    def invariant_labels(self) -> list[str]:
        return self.labels_in("invariants")

    @cached_property
    def gates(self) -> list[Checkbox]:
        return [c for c in self.checkboxes if c.section in GATE_SECTIONS]

    @cached_property
    def gate_labels(self) -> list[str]:
        return [c.label for c in self.gates]

    def section_of_gate(self, label: str) -> str:
        for c in self.gates:
            if c.label == label:
                return c.section
        raise KeyError(label)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        raise TemplateError("the template has no front matter (a --- block with name and labels)")
    values: dict[str, str] = {}
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            values[key.strip()] = value.strip().strip('"').strip("'")
    return values, text[match.end() :]


def _front_matter_list(value: str) -> tuple[str, ...]:
    """`a, b` or `[a, "b"]`, as GitHub reads a template's labels and assignees."""
    items = value.strip().removeprefix("[").removesuffix("]").split(",")
    return tuple(x.strip().strip('"').strip("'") for x in items if x.strip().strip("\"'"))


def _heading_key(heading: Heading) -> str | None:
    for key, (level, text) in SECTION_HEADINGS.items():
        if heading.level == level and heading.text == text:
            return key
    return None


@dataclass
class _Body:
    """What a template's body holds, read in one pass over its tokens."""

    headings: list[Heading] = field(default_factory=list)
    checkboxes: list[Checkbox] = field(default_factory=list)
    keys: dict[str, Heading] = field(default_factory=dict)
    orphans: list[str] = field(default_factory=list)  # boxes under a heading the flow lacks
    test_command: str = ""


def _checkbox_label(tok: Token) -> str | None:
    """The label of the task-list box `tok` (an inline token) opens, or None if it opens none."""
    if tok.type != "inline" or not tok.children:
        return None
    first = tok.children[0]
    if first.type == "html_inline" and "task-list-item-checkbox" in first.content:
        return "".join(c.content for c in tok.children[1:]).strip()
    return None


def _read_body(body: str) -> _Body:
    """The headings, the boxes under each known heading and the unit tests' command."""
    read = _Body()
    tokens = markdown_parser().parse(body)
    current: str | None = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            heading = Heading(int(tok.tag[1]), tokens[i + 1].content.strip())
            read.headings.append(heading)
            current = _heading_key(heading)
            if current:
                read.keys[current] = heading
        elif (label := _checkbox_label(tok)) is not None:
            if current is None:
                read.orphans.append(label)
            else:
                read.checkboxes.append(Checkbox(current, label))
        elif tok.type == "fence" and current == "unit_tests" and not read.test_command:
            read.test_command = tok.content.strip()
    return read


def _check_structure(read: _Body) -> None:
    """Raise TemplateError naming the first thing the flow needs that `read` lacks."""
    missing = [
        f"{'#' * level} {text}"
        for key, (level, text) in SECTION_HEADINGS.items()
        if key not in read.keys
    ]
    if missing:
        raise TemplateError("the template is missing heading(s): " + "; ".join(missing))
    if read.orphans:
        raise TemplateError(f"checkbox {read.orphans[0]!r} is not under a known heading")
    for key in GATE_SECTIONS:
        if not any(c.section == key for c in read.checkboxes):
            raise TemplateError(f"the section '{read.keys[key].text}' has no checkboxes")


def _context_defaults(body: str) -> tuple[tuple[str, ...], str]:
    """The milestones offered and the default roadmap reference, from the body's lines."""
    milestone_match = _MILESTONE_LINE.search(body)
    if not milestone_match:
        raise TemplateError("the template has no 'Target milestone: `M1 | M2 ...`' line")
    milestones = tuple(m.strip() for m in milestone_match.group(1).split("|") if m.strip())
    roadmap_match = _ROADMAP_LINE.search(body)
    if not roadmap_match:
        raise TemplateError("the template has no 'Roadmap reference: `...`' line")
    return milestones, roadmap_match.group(1).strip()


def parse_template(text: str, *, path: str = "") -> Template:
    """Read a template's structure; raise TemplateError naming anything the flow relies on."""
    meta, body = _front_matter(text)
    read = _read_body(body)
    _check_structure(read)
    milestones, roadmap_default = _context_defaults(body)
    labels = _front_matter_list(meta.get("labels", ""))
    assignees = tuple(x.lstrip("@") for x in _front_matter_list(meta.get("assignees", "")))
    return Template(
        source=text,
        name=meta.get("name", ""),
        about=meta.get("about", ""),
        title_prefix=meta.get("title", ""),
        labels=labels,
        headings=tuple(read.headings),
        checkboxes=tuple(read.checkboxes),
        milestones=milestones,
        roadmap_default=roadmap_default,
        test_command_default=read.test_command or "pytest -q",
        path=path,
        heading_keys=read.keys,
        assignees=assignees,
    )


def bundled_template_path() -> Path:
    return Path(str(resources.files("flows") / "templates" / BUNDLED_TEMPLATE))


def load_template(path: str | Path | None = None) -> Template:
    """Load the template at `path` (default: the bundled Reliability Milestone)."""
    target = Path(path) if path else bundled_template_path()
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"cannot read the template {target}: {exc.strerror}") from exc
    try:
        return parse_template(text, path=str(target))
    except TemplateError as exc:
        raise TemplateError(f"{target}: {exc}") from exc
