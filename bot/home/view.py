"""The Home tab's view for one person, in Block Kit (slack_sdk's models).

Drafts in progress: title, a small progress bar and `question 9 of 16`, when last touched,
Resume (a link to the thread, which also re-asks where it stands) and Cancel (confirmed).
Filed, gates open: the issue's link, its gates settled as `▰▰▰▱▱ 9/15`, and the digest's
own controls: each gate's Done / Not applicable menu and Mute (the digest's action ids, so
its listeners handle them), with Snooze for that issue. Recently closed: the last five.

Slack takes 100 blocks in a Home: past that the oldest drafts and issues collapse into one
line, "and N more: `/milestone drafts`" (or `status`), with the configured command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.home.controls import HOME_WINDOW
from bot.home.data import DraftItem, HomeData
from bot.reminders.blocks import ACTION_MUTE, issue_blocks, issue_link, spans_repositories
from bot.slack.text import escape_mrkdwn
from flows.draft import DraftStatus
from flows.template import Template
from flows.tracking import TemplateOf, TrackedIssue, own_template

ACTION_NEW = "ms_home_new"
ACTION_RESUME = "ms_home_resume"
ACTION_CANCEL = "ms_home_cancel"
ACTION_SNOOZE = "ms_home_snooze"  # ms_home_snooze_<issue>_<days>
CALLBACK_HOME = "ms_home"

MAX_BLOCKS = 100
SECTION_LIMIT = 3000
BAR_CELLS = 5


def bar(done: int, total: int) -> str:
    """`▰▰▰▱▱`: `done` of `total` in five cells (a started count never shows as empty)."""
    if total <= 0:
        return "▱" * BAR_CELLS
    filled = round(BAR_CELLS * done / total)
    if done and not filled:
        filled = 1
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def when(moment: datetime | None) -> str:
    """A time every reader sees in their own zone (Slack's date formatting)."""
    if moment is None:
        return "never"
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def _value(**fields: Any) -> str:
    return json.dumps(fields, separators=(",", ":"))


def _section(text: str, accessory: Any = None) -> dict[str, Any]:
    return SectionBlock(
        text=MarkdownTextObject(text=text[:SECTION_LIMIT]), accessory=accessory
    ).to_dict()


def _context(text: str) -> dict[str, Any]:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:SECTION_LIMIT])]).to_dict()


def _header(text: str) -> dict[str, Any]:
    return HeaderBlock(text=PlainTextObject(text=text)).to_dict()


def where_it_stands(item: DraftItem) -> str:
    if item.draft.status is DraftStatus.PREVIEW:
        return f"{bar(item.total, item.total)} at the preview, ready to file"
    current = min(item.answered + 1, item.total)
    return f"{bar(item.answered, item.total)} question {current} of {item.total}"


def draft_blocks(item: DraftItem, command: str) -> list[dict[str, Any]]:
    """A draft in progress: what it is, where it stands, Resume and Cancel."""
    draft = item.draft
    title = escape_mrkdwn(draft.title) if draft.title else "_(no title yet)_"
    text = (
        f"*{title}*\n{where_it_stands(item)} · last touched {when(draft.updated_at)} · `{draft.id}`"
    )
    resume = ButtonElement(
        text=PlainTextObject(text="Resume"),
        action_id=ACTION_RESUME,
        value=_value(d=draft.id),
        url=item.permalink or None,
        style="primary",
    )
    cancel = ButtonElement(
        text=PlainTextObject(text="Cancel"),
        action_id=ACTION_CANCEL,
        value=_value(d=draft.id),
        style="danger",
        confirm=ConfirmObject(
            title=PlainTextObject(text="Cancel this draft?"),
            text=MarkdownTextObject(
                text=f"*{title[:200]}* stops here. `{command} resume {draft.id}` brings it back."
            ),
            confirm=PlainTextObject(text="Cancel draft"),
            deny=PlainTextObject(text="Keep it"),
            style="danger",
        ),
    )
    return [
        _section(text),
        ActionsBlock(block_id=f"draft:{draft.id}", elements=[resume, cancel]).to_dict(),
    ]


def issue_home_blocks(
    template: Template | TemplateOf,
    issue: TrackedIssue,
    index: int,
    now: datetime,
    *,
    full: bool = False,
) -> list[dict[str, Any]]:
    """A filed issue: its link and gates settled, each gate left with the digest's menu,
    Mute, and Snooze for this issue. The digest's controls carry the window key
    `home:<author>`, so what they did is said on the author's Home. `full`: the link names
    the repository (the Home lists issues of several)."""
    window = f"{HOME_WINDOW}{issue.author}"
    left = issue.left(template)
    total = len(own_template(template, issue).gate_labels)
    settled = total - len(left)
    marks = []
    if issue.muted:
        marks.append("muted")
    if issue.snoozed(now):
        marks.append(f"snoozed until {when(issue.snoozed_until)}")
    note = f" ({', '.join(marks)})" if marks else ""
    head_text = (
        f"*{issue_link(issue, full=full)}*{note}\n"
        f"{bar(settled, total)} {settled}/{total} gates settled"
    )
    mute = None
    if left and not issue.muted:
        mute = ButtonElement(
            text=PlainTextObject(text="Mute this issue"),
            action_id=f"{ACTION_MUTE}_{index}",
            value=_value(d=issue.draft_id, k=window),
        )
    blocks = [_section(head_text, mute)]
    if not left:
        return blocks
    blocks += issue_blocks(template, issue, index, window)[1:]  # the digest's per-gate menus
    blocks.append(
        ActionsBlock(
            block_id=f"issue:{issue.draft_id}",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text=label),
                    action_id=f"{ACTION_SNOOZE}_{index}_{days}",
                    value=_value(d=issue.draft_id, s=days),
                )
                for label, days in (("Snooze 1 day", 1), ("Snooze 1 week", 7))
            ],
        ).to_dict()
    )
    return blocks


def _closed_block(issues: Sequence[TrackedIssue], full: bool) -> dict[str, Any]:
    lines = [
        f"✓ {issue_link(i, full=full)} · closed {when(i.remote_updated_at or i.seen_at)}"
        for i in issues
    ]
    return _section("\n".join(lines))


def _fit(groups: list[list[dict[str, Any]]], room: int) -> tuple[list[dict[str, Any]], int]:
    """The newest groups (first in the list) that fit in `room` blocks, and how many didn't."""
    kept: list[dict[str, Any]] = []
    for taken, group in enumerate(groups):
        if len(kept) + len(group) > room:
            return kept, len(groups) - taken
        kept.extend(group)
    return kept, 0


def home_view(
    data: HomeData, template: Template | TemplateOf, *, command: str, notice: str = ""
) -> dict[str, Any]:
    """The Home for `data.user`, at most 100 blocks."""
    head: list[dict[str, Any]] = [
        _header("Reliability Milestones"),
        ActionsBlock(
            block_id="home:new",
            elements=[
                ButtonElement(
                    text=PlainTextObject(text="New milestone"),
                    action_id=ACTION_NEW,
                    value="new",
                    style="primary",
                )
            ],
        ).to_dict(),
    ]
    if notice:
        head.append(_context(notice))
    drafts = [draft_blocks(item, command) for item in data.drafts]
    full = spans_repositories([*data.open_issues, *data.closed])
    issues = [
        issue_home_blocks(template, issue, index, data.now, full=full)
        for index, issue in enumerate(data.open_issues)
    ]
    closed = [_closed_block(data.closed, full)] if data.closed else [_context("None closed yet.")]
    # Three section headers, the closed list, and room for two lines (each "and N more", or
    # the line saying a section is empty).
    room = MAX_BLOCKS - len(head) - 3 - len(closed) - 2
    wanted_drafts = sum(len(g) for g in drafts)
    wanted_issues = sum(len(g) for g in issues)
    drafts_room = min(wanted_drafts, max(room - wanted_issues, room // 2))
    shown_drafts, more_drafts = _fit(drafts, drafts_room)
    shown_issues, more_issues = _fit(issues, room - len(shown_drafts))

    blocks = [*head, _header("Drafts in progress")]
    if not drafts:
        blocks.append(
            _context(f"No drafts in progress. *New milestone* above, or `{command} new <title>`.")
        )
    blocks += shown_drafts
    if more_drafts:
        blocks.append(_context(f"and {more_drafts} more: `{command} drafts`"))
    blocks.append(_header("Filed, gates open"))
    if not issues:
        blocks.append(_context("No open milestone issues filed through me."))
    blocks += shown_issues
    if more_issues:
        blocks.append(_context(f"and {more_issues} more: `{command} status`"))
    blocks.append(_header("Recently closed"))
    blocks += closed
    return View(type="home", callback_id=CALLBACK_HOME, blocks=blocks).to_dict()
