"""Evidence from pull requests, end to end over HTTP against the emulators: linked by a
webhook or by the sweep alone, shown in the digest with Tick with evidence, written as the
box's suffix, ticked automatically when asked, the plan against the work said once."""

from __future__ import annotations

import difflib

from flows.draft import DraftStatus
from tests.e2e.harness import message_text, wait_until
from tests.emulators.github_api import Fault
from tests.emulators.github_pulls import added_patch
from tests.emulators.github_pulls_rest import check_event, pull_request_event
from tests.emulators.slack_api import ALICE, RELIABILITY, Message
from tests.reminders.harness import REPO, Filed, World, requests_for
from tests.reminders.test_controls import body, choose, digest_now

UNIT = "Added/updated unit tests for new behavior."
SUITES = "Existing related unit suites pass."
ADVERSARIAL = "Added or updated at least one adversarial scenario test (when applicable)."
TELEMETRY = "New/changed behavior emits structured telemetry."
RUNBOOK = "Updated at least one reliability doc/runbook."
DIGEST_AT = "2026-12-02T18:05"
FILES = {
    "tests/execution/test_retry_budget.py": added_patch("def test_budget_caps_retries():"),
    "docs/runbooks/venue-timeouts.md": added_patch("Retry budget exhausted: see below."),
    "execution/reconciler.py": added_patch('    log.info("order.cancel.ambiguous", order=o.id)'),
    "execution/venue_clock.py": added_patch("CLOCK = 1"),
}


def file_with_answers(world: World) -> Filed:
    """A filed milestone whose answers name tests, an event, a runbook and a touch plan."""
    filed = world.file()
    with world.store.session() as s:
        draft = s.drafts.get(filed.draft_id)
        s.drafts.record(
            draft,
            draft.model_copy(
                update={
                    "test_commands": ("pytest -q tests/execution",),
                    "telemetry_events": ("`order.cancel.ambiguous`",),
                    "docs_touched": ("[Runbook](docs/runbooks/venue-timeouts.md)",),
                    "file_touch_plan": ("execution/reconciler.py", "execution/retry_budget.py"),
                    "adversarial_scenarios": ("Venue drops every cancel ack",),
                }
            ),
            kind="answers",
            actor=filed.author,
            source="test",
            correlation_id="test-answers",
        )
        assert s.drafts.get(filed.draft_id).status is DraftStatus.FILED
    world.sweep(world.clock.now)  # tracked from here on
    return filed


def merged_pull(world: World, filed: Filed, *, checks: str | None = "success") -> tuple[int, str]:
    number = world.gh.pulls.open(
        REPO, "Bound cancel retries", f"Part of #{filed.number}", files=FILES
    )
    sha = world.gh.pulls.merge(REPO, number)
    if checks is not None:
        world.gh.pulls.check_run(REPO, sha, "unit", conclusion=checks)
        world.gh.pulls.status(REPO, sha, "lint", "success")
    return number, sha


def digest_text(digest: Message) -> str:
    return message_text(digest)


def options(digest: Message, label: str) -> list[str]:
    for block in digest.blocks or []:
        if f"☐ {label}" in (block.get("text") or {}).get("text", ""):
            return [o["text"]["text"] for o in block["accessory"]["options"]]
    raise LookupError(label)


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0)
    return [x for x in diff if x[:1] in "+-" and x[:3] not in ("+++", "---")]


def test_webhook_then_digest_then_tick_with_evidence(world: World) -> None:
    """Opened and merged by webhook, checks green: the digest shows proof with Tick with
    evidence, and the click writes the suffix on that box's line and nothing else."""
    filed = file_with_answers(world)
    number = world.gh.pulls.open(
        REPO, "Bound cancel retries", f"Part of #{filed.number}", files=FILES
    )
    with world.serving() as url:
        world.raw_webhook(url, "pull_request", pull_request_event(world.gh, REPO, number, "opened"))
        sha = world.gh.pulls.merge(REPO, number)
        world.raw_webhook(url, "pull_request", pull_request_event(world.gh, REPO, number, "closed"))
        world.gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
        world.raw_webhook(url, "check_suite", check_event(world.gh, REPO, sha, "check_suite"))
        world.sweep(DIGEST_AT)
        [digest] = world.digests()
        text = digest_text(digest)
        assert f"#{number}> changed tests/execution/test_retry_budget.py" in text
        assert f"#{number}> checks green on {sha[:7]} (1)" in text
        assert f"#{number}> adds `order.cancel.ambiguous` in execution/reconciler.py" in text
        assert f"#{number}> changed docs/runbooks/venue-timeouts.md" in text
        for label in (UNIT, SUITES, TELEMETRY, RUNBOOK):
            assert options(digest, label)[0] == "Tick with evidence"
        assert options(digest, ADVERSARIAL) == ["Done", "Not applicable…"]
        before = body(world, filed.number)
        choose(requests_for(url, world.slack), world, digest, UNIT, "Tick with evidence")
        wait_until(lambda: "evidence:" in body(world, filed.number), what="the suffix on GitHub")
        shown = wait_until(
            lambda: "Ticked" in digest_now(world, digest) and digest_now(world, digest),
            what="the digest rewritten",
        )
    assert changed_lines(before, body(world, filed.number)) == [
        f"-- [ ] {UNIT}\n",
        f"+- [x] {UNIT} — evidence: {REPO}#{number}\n",
    ]
    assert f"with evidence from {REPO}#{number}" in shown
    gate = world.tracked(filed.draft_id).gates[UNIT]
    assert gate.settled and gate.evidence == f"{REPO}#{number}"


def test_the_sweep_alone_finds_the_same_evidence(world: World) -> None:
    """With no webhook at all, the next sweep links the merged pull request and shows it."""
    filed = file_with_answers(world)
    number, sha = merged_pull(world, filed)
    world.sweep(DIGEST_AT)
    [digest] = world.digests()
    text = digest_text(digest)
    assert f"#{number}> changed tests/execution/test_retry_budget.py" in text
    assert f"#{number}> checks green on {sha[:7]} (2)" in text
    for label in (UNIT, SUITES, TELEMETRY, RUNBOOK):
        assert options(digest, label)[0] == "Tick with evidence"


def test_plan_drift_is_said_once_with_both_lists(world: World) -> None:
    """When the last linked pull request merged, the thread gets one message with the
    planned files left untouched and the files touched outside the plan."""
    filed = file_with_answers(world)
    merged_pull(world, filed)
    world.sweep("2026-11-30T10:00")
    world.sweep("2026-11-30T10:05")
    thread = [
        m
        for m in world.slack.messages(filed.channel, filed.thread_ts)
        if "plan against the work" in message_text(m)
    ]
    assert len(thread) == 1
    text = message_text(thread[0])
    assert "touched by no linked pull request: `execution/retry_budget.py`" in text
    assert "not in the File Touch Plan (tests and docs aside): `execution/venue_clock.py`" in text


def test_pending_checks_wait_then_count(world: World) -> None:
    """Checks still running prove nothing yet and say so; once green, the next sweep sees it."""
    filed = file_with_answers(world)
    number, sha = merged_pull(world, filed, checks=None)
    world.gh.pulls.check_run(REPO, sha, "unit", conclusion=None)
    world.sweep("2026-11-30T10:00")
    world.sweep(DIGEST_AT)
    [digest] = world.digests()
    assert f"checks pending on {sha[:7]} (#{number})" in digest_text(digest)
    assert options(digest, SUITES) == ["Done", "Not applicable…"]
    world.gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
    world.sweep("2026-12-02T18:10")
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.checks_final and pull.pull.checks[0].conclusion == "success"


def test_a_fault_mid_way_writes_nothing_half(world: World) -> None:
    """A 502 on the files' second page leaves no files stored; the next sweep reads them all."""
    filed = file_with_answers(world)
    many = {**FILES, **{f"src/f{i}.py": added_patch("x") for i in range(120)}}
    number = world.gh.pulls.open(REPO, "Big", f"Part of #{filed.number}", files=many)
    world.gh.pulls.merge(REPO, number)
    world.gh.inject(
        "GET", f"/repositories/*/pulls/{number}/files", Fault.error_before(502), times=3
    )
    world.sweep("2026-11-30T10:00")
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.pull.files == () and not pull.files_read
    world.sweep("2026-11-30T10:05")
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert len(pull.pull.files) == len(many) and pull.files_read


def test_a_revert_takes_the_evidence_away(world: World) -> None:
    """A merged revert of the linked pull request is linked too, and its gates lose the proof."""
    filed = file_with_answers(world)
    number, _ = merged_pull(world, filed)
    revert = world.gh.pulls.revert(REPO, number)
    world.sweep("2026-11-30T10:00")
    world.sweep(DIGEST_AT)
    [digest] = world.digests()
    text = digest_text(digest)
    assert f"#{number} was reverted by {REPO}#{revert}" in text
    assert options(digest, UNIT) == ["Done", "Not applicable…"]


def test_auto_tick_when_the_operator_asks(world: World) -> None:
    """EVIDENCE_AUTO_TICK=true ticks gates with evidence and the next digest says so."""
    world.overrides["evidence_auto_tick"] = True
    world.restart()
    filed = file_with_answers(world)
    number, _ = merged_pull(world, filed)
    world.sweep("2026-11-30T10:00")
    after = body(world, filed.number)
    for label in (UNIT, SUITES, TELEMETRY, RUNBOOK):
        assert f"- [x] {label} — evidence: {REPO}#{number}" in after
    world.sweep(DIGEST_AT)
    [digest] = world.digests()
    assert "Ticked with evidence since your last digest" in digest_text(digest)
    assert f"#{filed.number} “{UNIT}”" in digest_text(digest)


def test_status_shows_the_plan_against_the_work(world: World) -> None:
    """`/milestone status` carries the same two lists once the linked pull requests merged."""
    filed = file_with_answers(world)
    merged_pull(world, filed)
    world.sweep("2026-11-30T10:00")
    with world.serving() as url:
        response = requests_for(url, world.slack).slash_command("status", user_id=ALICE)
        assert response.status == 200
        reply = wait_until(
            lambda: next(
                (
                    m
                    for m in world.slack.messages(RELIABILITY, viewer=ALICE)
                    if m.source == "response_url"
                ),
                None,
            ),
            what="the status reply",
        )
    assert (
        "Plan against the work: planned, not touched: `execution/retry_budget.py`; "
        "touched, not planned: `execution/venue_clock.py`"
    ) in message_text(reply)


def test_a_force_push_after_linking_counts_only_what_merged(world: World) -> None:
    """Linked while open, then force-pushed without the test file: only the merged diff counts."""
    filed = file_with_answers(world)
    number = world.gh.pulls.open(REPO, "Work", f"Part of #{filed.number}", files=FILES)
    world.sweep("2026-11-30T10:00")  # linked while open: nothing read yet
    world.gh.pulls.push(REPO, number, {"execution/reconciler.py": added_patch("x = 1")})
    sha = world.gh.pulls.merge(REPO, number)
    world.gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
    world.sweep(DIGEST_AT)
    [digest] = world.digests()
    assert options(digest, UNIT) == ["Done", "Not applicable…"]
    assert options(digest, SUITES)[0] == "Tick with evidence"


def test_a_rate_limit_mid_way_resumes_next_sweep(world: World) -> None:
    """GitHub's rate limit on the checks call stops the reading; nothing is half-stored, and
    the next sweep completes the evidence."""
    filed = file_with_answers(world)
    _, sha = merged_pull(world, filed)
    world.gh.inject("GET", f"/repos/{REPO}/commits/{sha}/check-runs", Fault.primary_rate_limit())
    world.sweep("2026-11-30T10:00")
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.pull.files == () and pull.pull.checks == () and not pull.files_read
    world.sweep("2026-11-30T10:05")
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.files_read and pull.checks_final and len(pull.pull.files) == len(FILES)


def test_a_forks_pull_request_proves_like_any_other(world: World) -> None:
    """A pull request from a fork is linked and read on the base repository's merge commit."""
    filed = file_with_answers(world)
    world.gh.add_repo("mallory/execution")
    number = world.gh.pulls.open(
        REPO, "From a fork", f"Part of #{filed.number}", files=FILES, fork="mallory/execution"
    )
    sha = world.gh.pulls.merge(REPO, number)
    world.gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
    world.sweep(DIGEST_AT)
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.pull.fork and pull.pull.merge_sha == sha
    [digest] = world.digests()
    assert options(digest, UNIT)[0] == "Tick with evidence"


def test_a_commit_message_reference_links_through_the_timeline(world: World) -> None:
    """A pull request whose only reference is in a commit message is found on the issue's
    timeline (a `referenced` event) at its next read, and proves like the others."""
    filed = file_with_answers(world)
    number = world.gh.pulls.open(
        REPO,
        "Retry budget",
        "No issue named here",
        files=FILES,
        commits=[f"Cap retries (refs #{filed.number})"],
    )
    sha = world.gh.pulls.merge(REPO, number)
    world.gh.pulls.check_run(REPO, sha, "unit", conclusion="success")
    world.sweep("2026-11-30T10:00")
    with world.store.session() as s:
        assert s.evidence.linked(filed.draft_id) == []
    world.sweep("2026-12-01T10:00")  # the timeline's daily read
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.pull.number == number and pull.files_read


def test_fixes_closes_the_milestone_and_the_plan_is_still_said(world: World) -> None:
    """`Fixes #N` closes the milestone on merge (as GitHub does); the evidence is still read
    and the plan against the work still posted once."""
    filed = file_with_answers(world)
    number = world.gh.pulls.open(REPO, "Done", f"Fixes #{filed.number}", files=FILES)
    world.gh.pulls.merge(REPO, number)
    assert world.gh.issue(REPO, filed.number).state == "closed"
    world.sweep("2026-11-30T10:00")
    world.sweep("2026-11-30T10:05")
    assert world.tracked(filed.draft_id).state.value == "closed"
    with world.store.session() as s:
        [pull] = s.evidence.linked(filed.draft_id)
    assert pull.files_read
    said = [
        m
        for m in world.slack.messages(filed.channel, filed.thread_ts)
        if "plan against the work" in message_text(m)
    ]
    assert len(said) == 1


def test_the_plan_waits_for_the_files_it_compares(world: World) -> None:
    """A merged pull request whose files could not be read yet (GitHub 502) gets no plan
    message that sweep; the next sweep reads them and says the plan once, with both lists."""
    filed = file_with_answers(world)
    number, _ = merged_pull(world, filed)
    world.gh.inject("GET", f"/repos/{REPO}/pulls/{number}/files", Fault.error_before(502), times=3)
    world.sweep("2026-11-30T10:00")

    def said() -> list[str]:
        return [
            message_text(m)
            for m in world.slack.messages(filed.channel, filed.thread_ts)
            if "plan against the work" in message_text(m)
        ]

    assert said() == []
    world.sweep("2026-11-30T10:05")
    [text] = said()
    assert "touched by no linked pull request: `execution/retry_budget.py`" in text
    assert "not in the File Touch Plan (tests and docs aside): `execution/venue_clock.py`" in text
