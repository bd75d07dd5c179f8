"""The template drives the issue: edited copies change the gates, broken ones are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.draft import Draft, GateState, GateStatus
from flows.errors import TemplateError
from flows.parse import parse_issue, unchecked_gates
from flows.render import render_body
from flows.template import Template, load_template
from tests.test_render import TEMPLATE_FILE, structure, template_file_structure

OLD = "Existing related unit suites pass."
NEW = "Existing related suites pass on CI."
ADDED = "Load test at twice peak traffic passes."
CHECKED = GateState(status=GateStatus.CHECKED)


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the bundled template with `old` replaced by `new` (which must be there)."""
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "reliability_milestone.md"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_bundled_template_parses() -> None:
    """The bundled template loads with its headings, gates, milestones and front matter."""
    template = load_template()
    file_headings, file_labels = template_file_structure()
    assert [(h.level, h.text) for h in template.heading_keys.values()] == file_headings
    assert [c.label for c in template.checkboxes] == file_labels
    assert len(template.invariant_labels) == 5
    assert len(template.gate_labels) == 15
    assert template.milestones == ("M1", "M2", "M3", "M4", "M5", "M6")
    assert template.title_prefix == "[Reliability] "
    assert template.labels == ("reliability", "execution")
    assert template.test_command_default == "pytest -q"


def test_renamed_checkbox_becomes_the_gate(tmp_path: Path) -> None:
    """A renamed box's new label is the gate; a state kept under the old label maps to nothing."""
    template = load_template(_edited(tmp_path, f"- [ ] {OLD}", f"- [ ] {NEW}"))
    assert NEW in template.gate_labels
    assert OLD not in template.gate_labels
    body = render_body(template, Draft(id="d1", gates={OLD: CHECKED}))
    assert f"- [ ] {NEW}" in body
    assert OLD not in body
    parsed = parse_issue(template, body)
    assert parsed.gates[NEW] == GateState()
    assert OLD not in parsed.gates
    assert ("Unit tests", NEW) in unchecked_gates(template, body)


def test_body_from_the_old_template_does_not_settle_the_renamed_gate(tmp_path: Path) -> None:
    """An issue filed before the rename has no box for the new label, so it stays unsettled."""
    old_body = render_body(load_template(), Draft(id="d1", gates={OLD: CHECKED}))
    template = load_template(_edited(tmp_path, f"- [ ] {OLD}", f"- [ ] {NEW}"))
    assert NEW not in parse_issue(template, old_body).gates
    assert ("Unit tests", NEW) in unchecked_gates(template, old_body)


def test_added_checkbox_becomes_a_gate(tmp_path: Path) -> None:
    """A new box in a gate section is a gate: rendered, parsed and reminded about."""
    anchor = "- [ ] Recovery behavior and unlock conditions are defined.\n"
    template = load_template(_edited(tmp_path, anchor, f"{anchor}- [ ] {ADDED}\n"))
    assert template.section_of_gate(ADDED) == "rollout"
    assert (
        template.gate_labels.index(ADDED)
        == load_template().gate_labels.index("Recovery behavior and unlock conditions are defined.")
        + 1
    )
    body = render_body(template, Draft(id="d1"))
    _, boxes, _ = structure(body)
    assert (False, ADDED) in boxes
    assert ("Rollout and Safety", ADDED) in unchecked_gates(template, body)
    ticked = render_body(template, Draft(id="d1", gates={ADDED: CHECKED}))
    assert parse_issue(template, ticked).gates[ADDED] == CHECKED


ROLLOUT_SECTION = """## Rollout and Safety

- [ ] Feature-gated or staged rollout plan documented (if needed).
- [ ] Failure fallback behavior is explicit and bounded.
- [ ] Recovery behavior and unlock conditions are defined.

"""


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        pytest.param(ROLLOUT_SECTION, "", "## Rollout and Safety", id="removed-section"),
        pytest.param("## Notes / Assumptions", "## Notes", "## Notes / Assumptions", id="renamed"),
        pytest.param(
            "### Unit tests\n",
            "### Unit checks\n",
            "### Unit tests",
            id="renamed-with-boxes",
        ),
    ],
)
def test_missing_heading_is_refused_by_name(tmp_path: Path, old: str, new: str, named: str) -> None:
    """A template without a heading the issue is written under fails, naming that heading."""
    path = _edited(tmp_path, old, new)
    with pytest.raises(TemplateError) as caught:
        load_template(path)
    assert named in str(caught.value)
    assert str(path) in str(caught.value)


def test_rendering_follows_the_template_file_not_a_copy(tmp_path: Path) -> None:
    """Headings and labels come from whichever template file is loaded."""
    path = _edited(tmp_path, "- [ ] Dashboard/alert impact reviewed.", "- [ ] Alerts reviewed.")
    template: Template = load_template(path)
    headings, boxes, _ = structure(render_body(template, Draft(id="d1")))
    assert [t for _, t in boxes] == [c.label for c in template.checkboxes]
    assert "Alerts reviewed." in [t for _, t in boxes]
    assert [(lvl, t) for lvl, _, t in headings] == [
        (h.level, h.text) for h in template.heading_keys.values()
    ]
