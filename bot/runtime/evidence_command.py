"""`milestone-bot evidence ISSUE [--json]`: per gate, its state on GitHub as last seen, the
evidence the linked pull requests hold and where it comes from.

It reads the database only (what the last sweep or webhook stored), so it is safe beside a
running bot and asks GitHub nothing. ISSUE is `12`, `#12`, `owner/name#12`, an issue URL or
a draft id.
"""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING, Any

from flows.draft import Draft, GateState, GateStatus
from flows.errors import MilestoneError
from flows.evidence import Answers, Assessment, GateEvidence, assess, proof_line
from flows.plan_drift import plan_drift

if TYPE_CHECKING:  # the database is opened only when the command runs
    from bot.storage.evidence import StoredPull
    from bot.storage.store import Session
    from flows.template import Template
    from flows.tracking import TrackedIssue

PROG = "milestone-bot"
_ISSUE = re.compile(r"^(?:(?P<repo>[\w.-]+/[\w.-]+)#|#)?(?P<number>\d+)$")
_URL = re.compile(r"/(?P<repo>[\w.-]+/[\w.-]+)/issues/(?P<number>\d+)/?$")


class NotTracked(MilestoneError):
    """The issue named is not one the bot follows."""


def find_issue(s: Session, text: str) -> TrackedIssue:
    from bot.storage.ids import normalize_draft_id

    match = _ISSUE.match(text.strip()) or _URL.search(text.strip())
    if match is None:
        issue = s.tracked.get(normalize_draft_id(text))
        if issue is None:
            raise NotTracked(f"no tracked issue for the draft {text}; `{PROG} drafts --all`")
        return issue
    number, repository = int(match.group("number")), match.group("repo")
    every = s.tracked.issues(states=("open", "closed", "deleted"))
    found = [
        i
        for i in every
        if i.number == number and (repository is None or i.repository.lower() == repository.lower())
    ]
    if not found:
        raise NotTracked(f"{text} is not an issue the bot filed and follows")
    if len(found) > 1:
        names = ", ".join(i.key for i in found)
        raise NotTracked(f"#{number} is tracked in several repositories ({names}): name one")
    return found[0]


def _state(state: GateState) -> str:
    if state.status is GateStatus.NOT_APPLICABLE:
        return "not applicable" + (f": {state.reason}" if state.reason else "")
    if state.status is GateStatus.CHECKED:
        return "ticked" + (f" with evidence {state.evidence}" if state.evidence else "")
    return "open"


def _gate_json(
    section: str, label: str, state: GateState, gate: GateEvidence | None
) -> dict[str, Any]:
    return {
        "section": section,
        "label": label,
        "state": state.status.value,
        "reason": state.reason,
        "ticked_with": state.evidence,
        "evidence": [
            {"pull": p.pull, "url": p.url, "text": p.text} for p in (gate.proofs if gate else ())
        ],
        "waiting": list(gate.waiting) if gate else [],
        "notes": list(gate.notes) if gate else [],
    }


def _pull_json(stored: StoredPull) -> dict[str, Any]:
    p = stored.pull
    return {
        "pull": p.key,
        "url": p.url,
        "title": p.title,
        "state": p.state.value,
        "merge_sha": p.merge_sha,
        "fork": p.fork,
        "reverts": p.reverts,
        "files": len(p.files),
        "files_capped": p.files_capped,
        "files_read": stored.files_read,
        "checks": [{"name": c.name, "conclusion": c.conclusion, "kind": c.kind} for c in p.checks],
    }


def report(
    template: Template,
    issue: TrackedIssue,
    result: Assessment | None,
    pulls: list[StoredPull],
    answers: Answers | None,
) -> dict[str, Any]:
    gates = [
        _gate_json(
            template.heading(c.section).text,
            c.label,
            issue.gates.get(c.label, GateState()),
            result.gates.get(c.label) if result else None,
        )
        for c in template.gates
    ]
    drift = plan_drift(answers, [p.pull for p in pulls]) if answers and pulls else None
    return {
        "issue": issue.key,
        "url": issue.url,
        "title": issue.title,
        "draft_id": issue.draft_id,
        "state": issue.state.value,
        "seen_at": issue.seen_at.isoformat() if issue.seen_at else None,
        "gates": gates,
        "pulls": [_pull_json(p) for p in pulls],
        "plan": (
            {"untouched": list(drift.untouched), "unplanned": list(drift.unplanned)}
            if drift
            else None
        ),
    }


def _text(data: dict[str, Any], result: Assessment | None) -> list[str]:
    lines = [f"{data['issue']} {data['title']} ({data['draft_id']}, {data['state']})"]
    section = None
    for gate in data["gates"]:
        if gate["section"] != section:
            section = gate["section"]
            lines.append(section)
        box = "[ ]" if gate["state"] == "unchecked" else "[x]"
        lines.append(f"  {box} {gate['label']}")
        state = GateState(
            status=GateStatus(gate["state"]), reason=gate["reason"], evidence=gate["ticked_with"]
        )
        lines.append(f"      on GitHub: {_state(state)}")
        found = result.gates.get(gate["label"]) if result else None
        if found is not None and found.found:
            lines.append(f"      evidence: {proof_line(found)} (from {found.reference})")
        for note in gate["notes"] + gate["waiting"]:
            lines.append(f"      note: {note}")
    lines.append("Pull requests:" if data["pulls"] else "Pull requests: none linked yet")
    for p in data["pulls"]:
        checks = p["checks"]
        green = sum(1 for c in checks if c["conclusion"] in ("success", "neutral", "skipped"))
        extra = " from a fork" if p["fork"] else ""
        extra += f", reverts {p['reverts']}" if p["reverts"] else ""
        files = f"{p['files']} file(s)" + (" (GitHub's 3,000 cap)" if p["files_capped"] else "")
        lines.append(
            f"  {p['pull']} {p['state']}{extra}: {files}, {green}/{len(checks)} checks green"
        )
    if data["plan"] is not None:
        lines.append("Plan against the work:")
        lines.append("  planned, not touched: " + (", ".join(data["plan"]["untouched"]) or "none"))
        lines.append("  touched, not planned: " + (", ".join(data["plan"]["unplanned"]) or "none"))
    return lines


def _filed_with(s: Session, draft: Draft | None) -> Template | None:
    """The template version the draft started with (its repository's, whose gate labels its
    issue holds), as `milestone-bot show` finds it; None: the bundled or configured one."""
    if draft is None or not draft.template_sha:
        return None
    version = s.templates.get(draft.template_sha, draft.repository or None)
    version = version or s.templates.get(draft.template_sha)
    try:
        return version.template() if version is not None else None
    except MilestoneError:  # a version the flow can't serve: the draft used the default too
        return None


def run(args: argparse.Namespace) -> int:
    """Print the issue's evidence; it reads the database only (what the last sweep stored)."""
    from bot.storage.store import Store
    from flows.template import load_template

    store = Store(args.db)
    with store.session(readonly=True) as s:
        issue = find_issue(s, args.issue)
        pulls = s.evidence.linked(issue.draft_id)
        try:
            draft = s.drafts.get(issue.draft_id)
        except MilestoneError:
            draft = None
        answers = Answers.of(draft) if draft is not None else None
        template = _filed_with(s, draft) or load_template(args.template)
    result = None
    if pulls and answers is not None:  # as bot.reminders.evidence.assessment computes it
        result = assess(template.gate_labels, answers, [p.pull for p in pulls])
    data = report(template, issue, result, pulls, answers)
    if args.json:
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print("\n".join(_text(data, result)))
    return 0
