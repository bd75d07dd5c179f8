"""Block Kit for gate reminders: the DM digest, its controls, and the Not applicable modal.

A digest lists each open issue with its link and its unchecked gates grouped by section.
Each gate has a menu with Done and Not applicable (and Tick with evidence, with the proof
under the gate, when a linked pull request proves it); each issue a Mute button; the digest
Snooze 1 day and Snooze 1 week. Every control's value names what it acts on (draft id, a
short hash of the gate's label, the digest's window), so a click needs no other state.
Slack allows 50 blocks in a message: issues that do not fit are named in a last line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    BlockElement,
    ButtonElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.slack.text import escape_mrkdwn
from flows.evidence import GateEvidence
from flows.template import Template
from flows.tracking import TemplateOf, TrackedIssue

ACTION_GATE = "ms_gate"  # overflow menu per gate: ms_gate_<issue>_<gate>
ACTION_MUTE = "ms_mute"  # per issue: ms_mute_<issue>
ACTION_SNOOZE_DAY = "ms_snooze_day"
ACTION_SNOOZE_WEEK = "ms_snooze_week"
VIEW_NOT_APPLICABLE = "ms_gate_na"
REASON_BLOCK = "reason"
REASON_ACTION = "reason_input"

MAX_BLOCKS = 50
MAX_REASON = 200
DONE = "done"
NOT_APPLICABLE = "na"
WITH_EVIDENCE = "ev"  # Tick with evidence: the box's line gets ` — evidence: owner/repo#123`


def gate_hash(label: str) -> str:
    """A short stable name for a gate label, small enough for a menu option's value."""
    return hashlib.sha1(label.encode("utf-8")).hexdigest()[:8]


def gate_by_hash(template: Template, digest: str) -> str | None:
    return next((label for label in template.gate_labels if gate_hash(label) == digest), None)


def _value(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"))


def parse_value(value: str) -> dict[str, Any]:
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


def _link_text(text: str) -> str:
    # `|` and `>` end a Slack link's text early.
    return escape_mrkdwn(text.replace("|", "/").replace(">", "›"))


def spans_repositories(issues: Iterable[TrackedIssue]) -> bool:
    """Whether `issues` lie in more than one repository, where `#N` alone is ambiguous."""
    return len({issue.repository.lower() for issue in issues}) > 1


def issue_name(issue: TrackedIssue, *, full: bool = False) -> str:
    """`#N`, or `owner/repo#N` with `full` (beside issues of other repositories)."""
    return issue.key if full else f"#{issue.number}"


def issue_link(issue: TrackedIssue, *, full: bool = False) -> str:
    """The issue's name and title, linked to it; `full` names its repository too."""
    if issue.url:
        name = f"{issue_name(issue, full=full)} {issue.title}".strip()
        return f"<{issue.url}|{_link_text(name)}>"
    return escape_mrkdwn(f"{issue.key} {issue.title}".strip())


def _section(text: str, accessory: BlockElement | None = None) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000]), accessory=accessory).to_dict()


def _context(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:3000])]).to_dict()


def _button(text: str, action_id: str, value: str) -> ButtonElement:
    return ButtonElement(text=PlainTextObject(text=text), action_id=action_id, value=value)


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text), value=value)


def proof_mrkdwn(gate: GateEvidence) -> str:
    """The gate's proof as one line with links: `#123 changed tests/x.py · #124 checks green`;
    what it waits for, and what was reverted or capped, in italics."""
    parts = [f"<{p.url}|#{p.number}> {escape_mrkdwn(p.text)}" for p in gate.proofs if p.url]
    parts += [escape_mrkdwn(f"#{p.number} {p.text}") for p in gate.proofs if not p.url]
    line = f"✓ {' · '.join(parts)}" if parts else ""
    extra = [escape_mrkdwn(x) for x in (*gate.notes, *gate.waiting)]
    if extra:
        line += ("\n" if line else "") + f"_{'; '.join(extra)}_"
    return line


def issue_blocks(
    template: Template | TemplateOf,
    issue: TrackedIssue,
    index: int,
    window_key: str,
    evidence: Mapping[str, GateEvidence] | None = None,
    *,
    full: bool = False,
) -> list[dict[str, Any]]:
    """One issue of a digest: its link with Mute, then a line per gate left with its menu,
    and under a gate with evidence its proof and **Tick with evidence**. `full`: the link
    names the repository (the digest spans several)."""
    left = issue.left(template)
    count = f"{len(left)} gate{'s' if len(left) != 1 else ''} left" if left else "all settled"
    head = _section(
        f"*{issue_link(issue, full=full)}* · {count}",
        _button("Mute this issue", f"{ACTION_MUTE}_{index}", _value(d=issue.draft_id, k=window_key))
        if left
        else None,
    )
    blocks = [head]
    previous = None
    for j, (heading, label) in enumerate(left):
        line = f"☐ {escape_mrkdwn(label)}"
        if heading != previous:
            line = f"*{escape_mrkdwn(heading)}*\n{line}"
            previous = heading
        gate = (evidence or {}).get(label)
        proof = proof_mrkdwn(gate) if gate is not None else ""
        if proof:
            line += f"\n{proof}"
        options = [
            _option("Done", _value(d=issue.draft_id, g=gate_hash(label), a=DONE, k=window_key)),
            _option(
                "Not applicable…",
                _value(d=issue.draft_id, g=gate_hash(label), a=NOT_APPLICABLE, k=window_key),
            ),
        ]
        if gate is not None and gate.found:
            options.insert(
                0,
                _option(
                    "Tick with evidence",
                    _value(d=issue.draft_id, g=gate_hash(label), a=WITH_EVIDENCE, k=window_key),
                ),
            )
        menu = OverflowMenuElement(action_id=f"{ACTION_GATE}_{index}_{j}", options=options)
        blocks.append(_section(line, menu))
    return blocks


def digest_text(template: Template | TemplateOf, issues: Sequence[TrackedIssue]) -> str:
    """The notification text (and the fallback for clients without blocks)."""
    full = spans_repositories(issues)
    parts = [f"{issue_name(i, full=full)} ({len(i.left(template))})" for i in issues]
    return "Gates left on your Reliability Milestones: " + ", ".join(parts)


def digest_blocks(
    template: Template | TemplateOf,
    issues: Sequence[TrackedIssue],
    window_key: str,
    *,
    command: str,
    note: str = "",
    snoozed_note: str = "",
    evidence: Mapping[str, Mapping[str, GateEvidence]] | None = None,
) -> list[dict[str, Any]]:
    """The digest for one author: every listed issue with its gates left, and the controls;
    `command` is the slash command, named where the digest runs out of room."""
    total = sum(len(i.left(template)) for i in issues)
    full = spans_repositories(issues)
    if total:
        plural = "s" if len(issues) != 1 else ""
        lead = (
            f"*Gates left on your Reliability Milestone{plural}*: {total} across "
            f"{len(issues)} issue{plural}. Settle them here, or tick them on GitHub."
        )
    else:
        lead = "*Nothing left in this digest.* Every gate listed here is settled. 🎉"
    head: list[dict[str, Any]] = [_section(lead)]
    if note:
        head.append(_context(note))
    footer: list[dict[str, Any]]
    if snoozed_note:
        footer = [_context(snoozed_note)]
    elif total:
        footer = [
            ActionsBlock(
                block_id="digest_controls",
                elements=[
                    _button("Snooze 1 day", ACTION_SNOOZE_DAY, _value(k=window_key, s=1)),
                    _button("Snooze 1 week", ACTION_SNOOZE_WEEK, _value(k=window_key, s=7)),
                ],
            ).to_dict()
        ]
    else:
        footer = []
    room = MAX_BLOCKS - len(head) - len(footer) - 1  # one kept for "and N more"
    body: list[dict[str, Any]] = []
    left_out: list[TrackedIssue] = []
    for index, issue in enumerate(issues):
        blocks = issue_blocks(
            template, issue, index, window_key, (evidence or {}).get(issue.draft_id), full=full
        )
        if left_out or len(body) + len(blocks) > room:
            left_out.append(issue)
            continue
        body.extend(blocks)
    if left_out:
        names = ", ".join(issue_link(i, full=full) for i in left_out)
        body.append(_context(f"Also waiting, not shown for space: {names}. `{command} status`"))
    return head + body + footer


def not_applicable_view(
    issue: TrackedIssue, label: str, metadata: dict[str, Any]
) -> dict[str, Any]:
    """The modal asking why a gate does not apply; the reason goes on the box's line."""
    return View(
        type="modal",
        callback_id=VIEW_NOT_APPLICABLE,
        title=PlainTextObject(text="Not applicable"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps(metadata, separators=(",", ":")),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{issue_link(issue)}*\n☐ {escape_mrkdwn(label)}"[:3000]
                )
            ),
            InputBlock(
                block_id=REASON_BLOCK,
                label=PlainTextObject(text="Why doesn't it apply?"),
                hint=PlainTextObject(
                    text="It goes on the box's line on GitHub: — N/A: <your reason>"
                ),
                element=PlainTextInputElement(
                    action_id=REASON_ACTION,
                    max_length=MAX_REASON,
                    placeholder=PlainTextObject(text="e.g. no user-facing change"),
                ),
            ),
        ],
    ).to_dict()


def thread_note_text(issue: TrackedIssue, left: int, digests: int) -> str:
    """The one note in the draft's original thread after digests brought no change."""
    return (
        f"<@{issue.author}> {issue_link(issue)} still has {left} gate"
        f"{'s' if left != 1 else ''} open after {digests} reminders. If some don't apply, "
        "choose *Not applicable* in the digest; *Mute this issue* stops the reminders."
    )
