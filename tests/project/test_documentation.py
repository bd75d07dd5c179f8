"""The project documents itself: log events, settings and commands match the code."""

from __future__ import annotations

import re

from bot.settings import Settings
from tests.project.events import ROOT, emitted_events

RUNBOOK = ROOT / "docs" / "runbook.md"
README = ROOT / "README.md"


def documented_events() -> set[str]:
    text = RUNBOOK.read_text(encoding="utf-8")
    table = text.split("## Log events", 1)[1]
    return set(re.findall(r"^\| `([a-z_.]+)` \|", table, flags=re.MULTILINE))


def test_every_emitted_event_is_documented() -> None:
    """Each log event name in the code has a row in the runbook's event table."""
    missing = sorted(set(emitted_events()) - documented_events())
    assert not missing, f"add these to docs/runbook.md: {missing}"


def test_every_documented_event_is_emitted() -> None:
    """Each event in the runbook's table is emitted somewhere in bot/."""
    stale = sorted(documented_events() - set(emitted_events()))
    assert not stale, f"the runbook lists events the code never emits: {stale}"


def test_every_setting_is_in_the_readme() -> None:
    """Each environment variable Settings reads is in the README's configuration table."""
    readme = README.read_text(encoding="utf-8")
    missing = [n.upper() for n in Settings.model_fields if f"`{n.upper()}`" not in readme]
    assert not missing, f"add these to the README's configuration table: {missing}"


def test_the_procfile_runs_a_documented_command() -> None:
    """Each Procfile process runs a milestone-bot command the README documents."""
    readme = README.read_text(encoding="utf-8")
    for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines():
        _, _, command = line.partition(":")
        assert f"`{command.strip()}" in readme, line


def test_the_ci_script_runs_the_readme_test_command() -> None:
    """.ci/run runs the test command the README gives for a fresh machine."""
    readme = README.read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/pytest"
    assert command in readme
    assert "README.md" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
