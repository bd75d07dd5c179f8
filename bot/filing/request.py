"""The issue a draft asks GitHub for, and what GitHub kept of it.

The create request is the rendered issue plus the milestone (the open one whose title
starts with the draft's target) and the assignee. GitHub silently drops labels, milestone
and assignees when the bot's account cannot push to the repository, so what came back is
compared with what was asked and the difference becomes a note for the author.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.filing.outcome import FiledIssue
from flows.draft import Draft
from flows.render import as_filed, render_issue
from flows.template import Template

MilestonePage = Callable[[int], list[dict[str, Any]]]  # page number -> open milestones


@dataclass
class IssueRequest:
    """The create request's JSON, what it asks for, and notes for the author."""

    payload: dict[str, Any]
    asked: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def issue_request(
    template: Template, draft: Draft, milestone: tuple[int, str] | None, repository: str
) -> IssueRequest:
    """The create request for `draft`, with the milestone found for its target (if any)."""
    issue = render_issue(template, as_filed(draft))
    payload: dict[str, Any] = {
        "title": issue.title,
        "body": issue.body,
        "labels": list(issue.labels),
    }
    notes: list[str] = []
    if milestone is not None:
        payload["milestone"] = milestone[0]
    elif draft.target_milestone:
        notes.append(
            f"{repository} has no open GitHub milestone starting with "
            f"“{draft.target_milestone}”, so the issue has none."
        )
    # The author's login, then the template front matter's assignees, as GitHub's form does.
    assignees = list(
        dict.fromkeys([*([draft.assignee] if draft.assignee else []), *template.assignees])
    )
    if assignees:
        payload["assignees"] = assignees
    asked = {
        "labels": list(issue.labels),
        "milestone": milestone[1] if milestone else None,
        "assignees": assignees,
    }
    return IssueRequest(payload, asked, notes)


def find_milestone(
    pages: MilestonePage, target: str, *, max_pages: int, per_page: int
) -> tuple[int, str] | None:
    """(number, title) of the open milestone whose title starts with `target`."""
    if not target:
        return None
    wanted = target.strip().casefold()
    for page in range(1, max_pages + 1):
        items = pages(page)
        for item in items:
            title = str(item.get("title") or "")
            folded = title.casefold()
            # "M2" matches "M2" and "M2 - Reconcile", never "M20".
            if folded == wanted or (
                folded.startswith(wanted) and not folded[len(wanted)].isalnum()
            ):
                return int(item["number"]), title
        if len(items) < per_page:
            break
    return None


def _names(items: Any, key: str) -> set[str]:
    return {str(i.get(key, "")).casefold() for i in items or [] if isinstance(i, dict)}


def dropped(asked: Mapping[str, Any], data: Mapping[str, Any], repository: str) -> list[str]:
    """A note naming what GitHub left out of what was asked; none when it kept everything."""
    missing: list[str] = []
    kept_labels = _names(data.get("labels"), "name")
    labels = [name for name in asked["labels"] if name.casefold() not in kept_labels]
    if labels:
        word = "label" if len(labels) == 1 else "labels"
        missing.append(f"the {word} " + ", ".join(f"`{name}`" for name in labels))
    kept_milestone = (data.get("milestone") or {}).get("title")
    if asked["milestone"] and kept_milestone != asked["milestone"]:
        missing.append(f"the milestone “{asked['milestone']}”")
    kept_assignees = _names(data.get("assignees"), "login")
    people = [login for login in asked["assignees"] if login.casefold() not in kept_assignees]
    if people:
        missing.append("the assignee " + ", ".join(f"@{login}" for login in people))
    if not missing:
        return []
    listed = missing[-1]
    if len(missing) > 1:
        listed = ", ".join(missing[:-1]) + " and " + listed
    return [
        f"GitHub didn't keep {listed}: the bot's account can't set them on "
        f"{repository} (it needs write access). Add them on the issue."
    ]


def filed_issue(data: Mapping[str, Any], fallback_title: str) -> FiledIssue:
    """The issue as GitHub returned it."""
    return FiledIssue(
        number=int(data["number"]),
        url=str(data.get("html_url") or ""),
        title=str(data.get("title") or fallback_title),
        labels=tuple(
            str(label.get("name")) for label in data.get("labels") or [] if isinstance(label, dict)
        ),
        milestone=(data.get("milestone") or {}).get("title"),
        assignees=tuple(
            str(a.get("login")) for a in data.get("assignees") or [] if isinstance(a, dict)
        ),
    )
