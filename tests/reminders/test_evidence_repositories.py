"""Evidence across repositories with GitHub App auth: each repository's pull requests, files,
checks and timelines read with that repository's own installation, and a repository the App
isn't installed on skipped (said once) while the others still get their evidence."""

from __future__ import annotations

import argparse
import json

import pytest
from structlog.testing import capture_logs

from bot.reminders.evidence import assessment
from bot.runtime.evidence_command import run as run_evidence
from flows.render import render_issue
from flows.template import parse_template
from flows.template_version import TemplateVersion
from tests.emulators.github_pulls import added_patch
from tests.reminders.harness import ELSEWHERE, PAYMENTS, REPO, Filed, World
from tests.template_variants import (
    EXTRA_GATE,
    RENAMED_FROM,
    RENAMED_TO,
    bundled_text,
    payments_template,
)

UNIT = "Added/updated unit tests for new behavior."
SUITES = "Existing related unit suites pass."
FILES = {
    "tests/test_retry_budget.py": added_patch("def test_budget_caps_retries():"),
    "src/retry_budget.py": added_patch("BUDGET = 3"),
}


def merged(world: World, filed: Filed) -> tuple[int, str]:
    """A pull request in the milestone's repository, referencing it, merged with checks green."""
    repo = filed.repository
    number = world.gh.pulls.open(repo, "Retry budget", f"Part of #{filed.number}", files=FILES)
    sha = world.gh.pulls.merge(repo, number)
    world.gh.pulls.check_run(repo, sha, "unit", conclusion="success")
    return number, sha


def proofs(world: World, filed: Filed) -> dict[str, list[str]]:
    """Per gate with evidence, the keys of the pull requests that prove it."""
    with world.store.session() as s:
        result = assessment(s, world.template, filed.draft_id)
    assert result is not None, f"nothing linked to {filed.repository}#{filed.number}"
    return {label: [p.pull for p in g.proofs] for label, g in result.found().items()}


def test_each_repositorys_pull_requests_are_read_with_its_own_installation(
    app_world: World,
) -> None:
    """A merged pull request in acme/execution and one in acme/payments, each referencing
    its repository's milestone: both milestones get their evidence from one sweep."""
    execution = app_world.file()
    payments = app_world.file(repository=PAYMENTS, title="Bound refund retries")
    app_world.sweep("2026-11-30T09:30")  # tracked from here on
    first, _ = merged(app_world, execution)
    second, _ = merged(app_world, payments)
    report = app_world.sweep("2026-11-30T10:00")
    assert report.evidence is not None and not report.evidence.stopped, report.evidence
    assert proofs(app_world, execution) == {
        UNIT: [f"{REPO}#{first}"],
        SUITES: [f"{REPO}#{first}"],
    }
    assert proofs(app_world, payments) == {
        UNIT: [f"{PAYMENTS}#{second}"],
        SUITES: [f"{PAYMENTS}#{second}"],
    }
    assert app_world.gh.installation_tokens(61) and app_world.gh.installation_tokens(62)


def test_a_repository_without_an_installation_is_skipped_and_evidence_goes_on(
    app_world: World,
) -> None:
    """acme/elsewhere (no installation) is logged once as skipped; the pull requests of
    acme/execution and acme/payments are still linked and read in the same sweep."""
    execution = app_world.file()
    payments = app_world.file(repository=PAYMENTS, title="Bound refund retries")
    elsewhere = app_world.file(repository=ELSEWHERE, title="Bound fills elsewhere")
    app_world.sweep("2026-11-30T09:30")
    first, _ = merged(app_world, execution)
    second, _ = merged(app_world, payments)
    merged(app_world, elsewhere)
    with capture_logs() as logs:
        report = app_world.sweep("2026-11-30T10:00")
    assert report.evidence is not None and not report.evidence.stopped, report.evidence
    assert list(report.skipped) == [ELSEWHERE]
    skipped = [line for line in logs if line["event"] == "sweep.repository_skipped"]
    assert [line["repository"] for line in skipped] == [ELSEWHERE]
    assert proofs(app_world, execution)[UNIT] == [f"{REPO}#{first}"]
    assert proofs(app_world, payments)[UNIT] == [f"{PAYMENTS}#{second}"]
    with app_world.store.session() as s:
        assert s.evidence.linked(elsewhere.draft_id) == []
    assert not [line for line in logs if line["event"] == "sweep.github_unavailable"]


def file_with_own_template(world: World, text: str) -> Filed:
    """A milestone filed in acme/payments from the template `text` that repository keeps:
    the draft records that version, the issue's body is rendered from it."""
    version = TemplateVersion(text, ".github/ISSUE_TEMPLATE/reliability_milestone.md", PAYMENTS)
    filed = world.file(repository=PAYMENTS, title="Bound refund retries")
    with world.store.session() as s:
        s.templates.keep(version)
        before = s.drafts.get(filed.draft_id)
        draft = before.model_copy(update={"template_sha": version.sha, "repository": PAYMENTS})
        s.drafts.record(
            before,
            draft,
            kind="answers",
            actor=filed.author,
            source="test",
            correlation_id="test-template",
        )
    world.gh.edit_issue(PAYMENTS, filed.number, body=render_issue(version.template(), draft).body)
    return filed


def test_auto_tick_follows_the_repositorys_own_template(app_world: World) -> None:
    """acme/payments' template writes a gate without its full stop: with EVIDENCE_AUTO_TICK
    its issue's own line is ticked with the evidence (not the bundled label's)."""
    app_world.overrides["evidence_auto_tick"] = True
    app_world.restart()
    own = SUITES.removesuffix(".")
    filed = file_with_own_template(
        app_world, bundled_text().replace(f"- [ ] {SUITES}\n", f"- [ ] {own}\n")
    )
    app_world.sweep("2026-11-30T09:30")
    number, _ = merged(app_world, filed)
    app_world.sweep("2026-11-30T10:00")
    body = app_world.gh.issue(PAYMENTS, filed.number).body
    assert f"- [x] {own} — evidence: {PAYMENTS}#{number}\n" in body
    assert f"- [x] {UNIT} — evidence: {PAYMENTS}#{number}\n" in body


def test_the_evidence_command_lists_the_repositorys_own_gates(
    app_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """`milestone-bot evidence acme/payments#1` lists the gates of the template that issue
    was filed with (its extra gate, its renamed one), with the evidence under its own label."""
    filed = file_with_own_template(app_world, payments_template())
    app_world.sweep("2026-11-30T09:30")
    number, _ = merged(app_world, filed)
    app_world.sweep("2026-11-30T10:00")
    capsys.readouterr()
    arguments = argparse.Namespace(
        db=app_world.db, template=None, issue=f"{PAYMENTS}#{filed.number}", json=True
    )
    assert run_evidence(arguments) == 0
    gates = {g["label"]: g for g in json.loads(capsys.readouterr().out)["gates"]}
    assert list(gates) == parse_template(payments_template()).gate_labels
    assert EXTRA_GATE in gates and RENAMED_TO in gates and RENAMED_FROM not in gates
    assert [e["pull"] for e in gates[UNIT]["evidence"]] == [f"{PAYMENTS}#{number}"]
