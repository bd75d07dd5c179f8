"""`milestone-bot evidence ISSUE [--json]`: per gate, its state, the evidence and its source."""

from __future__ import annotations

import argparse
import json

import pytest

from bot.runtime.evidence_command import NotTracked, run
from tests.reminders.harness import REPO, World
from tests.reminders.test_evidence import SUITES, UNIT, file_with_answers, merged_pull


def evidence(world: World, issue: str, *, as_json: bool = False) -> argparse.Namespace:
    return argparse.Namespace(db=world.db, template=None, issue=issue, json=as_json)


def test_json_lists_every_gate_with_its_evidence(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: each gate's state on GitHub, its proofs with their pull request, the plan."""
    filed = file_with_answers(world)
    number, sha = merged_pull(world, filed)
    world.sweep("2026-11-30T10:00")
    world.tick(filed, SUITES)
    world.sweep("2026-12-01T10:00")
    capsys.readouterr()  # the sweep's log lines
    assert run(evidence(world, f"{REPO}#{filed.number}", as_json=True)) == 0
    data = json.loads(capsys.readouterr().out)
    gates = {g["label"]: g for g in data["gates"]}
    assert len(gates) == len(world.template.gate_labels)
    assert gates[UNIT]["state"] == "unchecked"
    assert gates[UNIT]["evidence"] == [
        {
            "pull": f"{REPO}#{number}",
            "url": f"{world.gh.web_url}/{REPO}/pull/{number}",
            "text": "changed tests/execution/test_retry_budget.py",
        }
    ]
    assert gates[SUITES]["state"] == "checked"
    assert data["pulls"][0]["merge_sha"] == sha and data["pulls"][0]["files_read"]
    assert data["plan"] == {
        "untouched": ["execution/retry_budget.py"],
        "unplanned": ["execution/venue_clock.py"],
    }


def test_text_names_the_source_and_the_state(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """The text form: a line per gate with its state on GitHub and its proof's source."""
    filed = file_with_answers(world)
    number, _ = merged_pull(world, filed)
    world.sweep("2026-11-30T10:00")
    capsys.readouterr()
    assert run(evidence(world, f"#{filed.number}")) == 0
    out = capsys.readouterr().out
    assert f"  [ ] {UNIT}\n      on GitHub: open\n" in out
    assert (
        f"evidence: #{number} changed tests/execution/test_retry_budget.py (from {REPO}#{number})"
        in out
    )
    assert f"  {REPO}#{number} merged: 4 file(s), 2/2 checks green" in out


def test_an_issue_not_tracked_is_one_line(world: World) -> None:
    """An issue the bot does not follow is refused with what to do (exit 2 through main)."""
    file_with_answers(world)
    with pytest.raises(NotTracked, match="is not an issue the bot filed"):
        run(evidence(world, "#999"))


def test_through_the_command_line(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    """`milestone-bot evidence` is a command: 0 with the report, 2 and one line when the issue
    is not tracked."""
    from bot.runtime.cli import main

    filed = file_with_answers(world)
    merged_pull(world, filed)
    world.sweep("2026-11-30T10:00")
    capsys.readouterr()
    assert main(["evidence", str(filed.number), "--db", str(world.db), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["issue"] == f"{REPO}#{filed.number}"
    assert main(["evidence", "#999", "--db", str(world.db)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["milestone-bot: #999 is not an issue the bot filed and follows"]
