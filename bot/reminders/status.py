"""`/milestone status`: the author's filed issues with the gates still left, just for them.

Read from what the bot last saw on GitHub (the sweep and webhooks keep it fresh); the
reply says when that was, and starts following any filed issue not tracked yet.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import ContextBlock, MarkdownTextObject, SectionBlock

from bot.reminders.blocks import issue_link, spans_repositories
from bot.reminders.evidence import plan_summary
from bot.slack.text import escape_mrkdwn
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Store
from flows import tracking
from flows.template import Template
from flows.tracking import IssueState, SeenFrom, TemplateOf, TrackedIssue

MAX_BLOCKS = 50


def _age(seen: datetime | None, now: datetime) -> str:
    if seen is None:
        return "not read from GitHub yet"
    minutes = max(0, int((now - seen).total_seconds() // 60))
    if minutes < 1:
        return "checked just now"
    if minutes < 120:
        return f"checked {minutes} min ago"
    return f"checked {minutes // 60} h ago"


def _issue_block(
    template: Template | TemplateOf,
    issue: TrackedIssue,
    now: datetime,
    plan: str = "",
    *,
    full: bool = False,
) -> dict[str, Any]:
    left = issue.left(template)
    marks = []
    if issue.muted:
        marks.append("muted")
    if issue.snoozed(now):
        marks.append("snoozed")
    head = f"*{issue_link(issue, full=full)}*" + (f" ({', '.join(marks)})" if marks else "")
    lines = [f"{head} · {len(left)} gate{'s' if len(left) != 1 else ''} left"]
    previous = None
    for heading, label in left:
        if heading != previous:
            lines.append(f"_{escape_mrkdwn(heading)}_")
            previous = heading
        lines.append(f"☐ {escape_mrkdwn(label)}")
    if plan:  # the plan against the work, once the linked pull requests are merged
        lines.append(escape_mrkdwn(plan))
    seen = issue.seen_at if issue.seen_from is not SeenFrom.FILED else None
    lines.append(f"_{_age(seen, now)}_")
    return _section("\n".join(lines))


def _section(text: str) -> dict[str, Any]:
    return SectionBlock(text=MarkdownTextObject(text=text[:3000])).to_dict()


def status_reply(
    store: Store,
    template: Template,
    user: str,
    default_repository: str | None,
    draft_templates: DraftTemplates | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """(text, blocks) for the author's `/milestone status`: their issues across every
    repository, each with its own template's gates."""
    with store.session() as s:
        now = s.now
        for draft in s.drafts.filed_untracked():
            if draft.author != user:
                continue
            repository = tracking.repository_of(draft, default_repository)
            if repository is not None and s.tracked.at(repository, draft.issue_number or 0) is None:
                filed_at = draft.updated_at or now
                s.tracked.save(tracking.from_draft(draft, repository, filed_at))
        issues = s.tracked.issues(author=user, states=(IssueState.OPEN.value,))
        own = {
            i.draft_id: draft_templates.template_of_draft(i.draft_id, s)
            if draft_templates is not None
            else template
            for i in issues
        }
        plans = {i.draft_id: plan_summary(s, own[i.draft_id], i.draft_id) for i in issues}
    templates: TemplateOf = lambda issue: own[issue.draft_id]  # noqa: E731
    waiting = [i for i in issues if i.left(templates)]
    if not waiting:
        settled = len(issues)
        text = (
            "Every gate of your open milestone issues is settled. 🎉"
            if settled
            else "You have no open milestone issues filed through me."
        )
        return text, [_section(text)]
    total = sum(len(i.left(templates)) for i in waiting)
    lead = (
        f"*Your milestone issues with gates left* ({total} gate{'s' if total != 1 else ''}, "
        f"{len(waiting)} issue{'s' if len(waiting) != 1 else ''}). Tick them on GitHub, "
        "or from my digest."
    )
    blocks = [_section(lead)]
    full = spans_repositories(waiting)
    for issue in waiting[: MAX_BLOCKS - 2]:
        plan = plans.get(issue.draft_id, "")
        blocks.append(_issue_block(templates, issue, now, plan, full=full))
    if len(waiting) > MAX_BLOCKS - 2:
        more = len(waiting) - (MAX_BLOCKS - 2)
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"…and {more} more.")]).to_dict()
        )
    return lead, blocks
