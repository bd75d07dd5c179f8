"""Variants of the bundled template, as teams keep them in their repositories, for tests."""

from __future__ import annotations

from flows.template import bundled_template_path

EXTRA_GATE = "Load test at twice peak traffic passes."
RENAMED_FROM = "Dashboard/alert impact reviewed."
RENAMED_TO = "Dashboards and alerts reviewed with on-call."


def bundled_text() -> str:
    return bundled_template_path().read_text(encoding="utf-8")


def payments_template() -> str:
    """An extra gate, a renamed gate label, another title prefix, label set and assignee."""
    text = bundled_text()
    text = text.replace('title: "[Reliability] "', 'title: "[Payments] "')
    text = text.replace("labels: reliability, execution", "labels: reliability, payments")
    text = text.replace('assignees: ""', "assignees: ops-lead")
    text = text.replace(f"- [ ] {RENAMED_FROM}", f"- [ ] {RENAMED_TO}")
    anchor = "- [ ] Existing related unit suites pass.\n"
    return text.replace(anchor, anchor + f"- [ ] {EXTRA_GATE}\n")


def without_heading(heading: str = "## Rollout and Safety") -> str:
    """A template missing a heading the questions need."""
    text = bundled_text()
    start = text.index(heading)
    end = text.index("\n## ", start + 1)
    return text[:start] + text[end + 1 :]


def gate_without_boxes(section: str = "## Acceptance Criteria") -> str:
    """A template whose gate section has no checkboxes."""
    text = bundled_text()
    start = text.index(section)
    end = text.index("\n## ", start + 1)
    return text[:start] + f"{section}\n\nDescribe them.\n" + text[end:]
