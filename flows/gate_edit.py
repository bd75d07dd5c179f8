"""Settling one gate box in an issue body, touching nothing else.

Used by the reminders: "Done" ticks the box, "Not applicable" ticks it and writes
` — N/A: <reason>` after its text, "Tick with evidence" ticks it and writes
` — evidence: owner/repo#123`. The box is found the way flows.parse finds it (under
its section's heading, by label), at the line markdown-it maps it to; every other byte
of the body, line endings included, stays as it was.
"""

from __future__ import annotations

import re

from flows.draft import GateState, GateStatus
from flows.parse import gate_boxes
from flows.render import evidence_suffix, not_applicable_suffix
from flows.template import Template

# markdown-it splits lines at CRLF, CR and LF alone; line numbers in its token map count
# the same way, so the body is split exactly so (keeping each line's own ending).
_LINE_END = re.compile(r"\r\n|\r|\n")
_BOX = re.compile(r"\[ \]")


def _split_lines(body: str) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    pos = 0
    for match in _LINE_END.finditer(body):
        lines.append((body[pos : match.start()], match.group()))
        pos = match.end()
    lines.append((body[pos:], ""))
    return lines


def set_gate(template: Template, body: str, label: str, state: GateState) -> str:
    """`body` with the gate box `label` set to `state`.

    A box already ticked (by anyone) is left as it is, and so is an unchecked box asked to
    stay unchecked. Raises KeyError if `label` is not one of the template's gates, and
    ValueError if the body has no box for it under its section's heading.
    """
    if label not in template.gate_labels:
        raise KeyError(f"{label!r} is not a gate of the template")
    box = next((b for b in gate_boxes(template, body) if b.label == label), None)
    if box is None:
        heading = template.heading_line(template.section_of_gate(label))
        raise ValueError(f"the issue has no box {label!r} under '{heading}'")
    if box.state.settled or state.status is GateStatus.UNCHECKED:
        return body

    lines = _split_lines(body)
    text, end = lines[box.first_line]
    # The box is the first bracket on its line: only list markers and '>' come before it.
    match = _BOX.match(text, max(text.find("["), 0))
    if match is None:
        raise ValueError(f"the box {label!r} is not where the issue's Markdown puts it")
    lines[box.first_line] = (f"{text[: match.start()]}[x]{text[match.end() :]}", end)
    suffix = ""
    if state.status is GateStatus.NOT_APPLICABLE:
        suffix = not_applicable_suffix(state.reason)
    elif state.evidence:
        suffix = evidence_suffix(state.evidence)
    if suffix:
        last, last_end = lines[box.last_line]
        kept = last.rstrip(" \t")  # trailing spaces would otherwise make a hard break
        lines[box.last_line] = (kept + suffix, last_end)
    return "".join(text + end for text, end in lines)
