"""The pure evidence rules: which gates a merged pull request proves; the plan against the work."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.evidence import (
    FILES_CAP,
    RULES,
    Answers,
    ChangedFile,
    Check,
    PullRequest,
    PullState,
    assess,
    named_paths,
    proof_line,
)
from flows.links import references, revert_of
from flows.plan_drift import all_settled, plan_drift
from flows.template import load_template

TEMPLATE = load_template()
UNIT = "Added/updated unit tests for new behavior."
SUITES = "Existing related unit suites pass."
ADVERSARIAL = "Added or updated at least one adversarial scenario test (when applicable)."
TELEMETRY = "New/changed behavior emits structured telemetry."
DOCS = "Updated at least one reliability doc/runbook."
DASHBOARD = "Dashboard/alert impact reviewed."
REPO = "acme/execution"

ANSWERS = Answers(
    test_commands=("pytest -q tests/execution",),
    adversarial_scenarios=("Venue drops every cancel ack for 10 minutes",),
    telemetry_events=("`order.cancel.ambiguous`",),
    docs_touched=("[Venue timeouts runbook](docs/runbooks/venue-timeouts.md)",),
    file_touch_plan=("`execution/reconciler.py`", "execution/retry_budget.py"),
)
GREEN = (Check("ci / unit", "success"), Check("lint", "neutral", kind="status"))


def pull(
    *files: ChangedFile,
    number: int = 12,
    state: PullState = PullState.MERGED,
    checks: tuple[Check, ...] = GREEN,
    **kw: object,
) -> PullRequest:
    return PullRequest(
        REPO,
        number,
        title="t",
        url=f"https://github.com/{REPO}/pull/{number}",
        state=state,
        merge_sha="4f2a9c1d00",
        files=files,
        checks=checks,
        **kw,  # type: ignore[arg-type]
    )


def added(path: str, *lines: str, status: str = "modified") -> ChangedFile:
    patch = "@@ -1,1 +1,2 @@\n context\n" + "\n".join(f"+{line}" for line in lines)
    return ChangedFile(path, status, patch)


def found(pulls: list[PullRequest], answers: Answers = ANSWERS) -> dict[str, str]:
    result = assess(TEMPLATE.gate_labels, answers, pulls)
    return {label: proof_line(g) for label, g in result.found().items()}


def test_every_rule_is_a_gate_of_the_template() -> None:
    """The rules are keyed by the template's own gate labels, so none is silently dead."""
    assert set(RULES) <= set(TEMPLATE.gate_labels)


def test_a_merged_pull_request_proves_its_gates() -> None:
    """Tests, green checks, a scenario, an event and a runbook each prove their gate."""
    pr = pull(
        added(
            "tests/execution/test_retry_budget.py",
            "def test_venue_drops_every_cancel_ack_for_10_minutes():",
        ),
        added("execution/reconciler.py", '    log.info("order.cancel.ambiguous", order=order.id)'),
        added("docs/runbooks/venue-timeouts.md", "Retry budget exhausted: see the dashboard."),
    )
    assert found([pr]) == {
        UNIT: "#12 changed tests/execution/test_retry_budget.py",
        SUITES: "#12 checks green on 4f2a9c1 (2)",
        ADVERSARIAL: "#12 adds a test for “Venue drops every cancel ack for 10 minutes” in "
        "tests/execution/test_retry_budget.py",
        TELEMETRY: "#12 adds `order.cancel.ambiguous` in execution/reconciler.py",
        DOCS: "#12 changed docs/runbooks/venue-timeouts.md",
    }


@pytest.mark.parametrize(
    ("files", "label", "expected"),
    [
        ((added("tests/test_x.py", "x"),), UNIT, True),
        ((added("src/foo_test.go", "x"),), UNIT, True),
        ((added("web/app.spec.ts", "x"),), UNIT, True),
        ((added("execution/checks/cases.py", "x"),), UNIT, False),
        ((added("tests/test_x.py", "x", status="removed"),), UNIT, False),
        ((added("tests/adversarial/test_storm.py", "x"),), ADVERSARIAL, True),
        ((added("tests/chaos/test_drop.py", "x"),), ADVERSARIAL, True),
        (
            (added("tests/test_x.py", "# venue DROPS every cancel-ack for 10 minutes"),),
            ADVERSARIAL,
            True,
        ),
        (
            (added("execution/x.py", "# venue drops every cancel ack for 10 minutes"),),
            ADVERSARIAL,
            False,
        ),
        ((added("execution/x.py", "emit('order.cancel.ambiguous')"),), TELEMETRY, True),
        ((added("execution/x.py", "emit('order.cancel.ambiguous_v2')"),), TELEMETRY, False),
        ((added("execution/x.py", "emit('xorder.cancel.ambiguous')"),), TELEMETRY, False),
        ((ChangedFile("execution/x.py", "modified", None),), TELEMETRY, False),
        ((added("ops/runbooks/cancel.md", "x"),), DOCS, True),
        ((added("docs/architecture.md", "x"),), DOCS, True),
        ((added("README.md", "x"),), DOCS, False),
    ],
)
def test_rules_table(files: tuple[ChangedFile, ...], label: str, expected: bool) -> None:
    """Each rule's edge: what counts as a test, a scenario, an event, a doc."""
    assert (label in found([pull(*files)])) is expected


def test_paths_named_in_answers_count() -> None:
    """A test command's folder and a 'docs touched' path count even outside the usual names."""
    answers = Answers(test_commands=("go test ./checks/...",), docs_touched=("`HANDBOOK.md`",))
    pr = pull(added("checks/cases.go", "x"), added("HANDBOOK.md", "x"))
    assert set(found([pr], answers)) >= {UNIT, DOCS}
    named = named_paths(["see `a/b.py` and [r](docs/r.md#x) or c/d/, v1.2 ok"])
    assert set(named) == {"a/b.py", "docs/r.md", "c/d/", "v1.2"}


@pytest.mark.parametrize(
    ("checks", "waiting", "note"),
    [
        ((), "no checks reported on 4f2a9c1 yet (#12)", None),
        ((Check("ci", "success"), Check("e2e", None)), "checks pending on 4f2a9c1 (#12)", None),
        ((Check("ci", "success"), Check("e2e", "failure")), None, "#12: e2e did not pass"),
    ],
)
def test_checks_need_one_and_all_green(
    checks: tuple[Check, ...], waiting: str | None, note: str | None
) -> None:
    """No checks, a pending one or a failed one is no proof; each says why."""
    gate = assess([SUITES], ANSWERS, [pull(checks=checks)]).gates[SUITES]
    assert not gate.found
    assert gate.waiting == ((waiting,) if waiting else ())
    assert gate.notes == ((note,) if note else ())


def test_open_and_closed_unmerged_prove_nothing() -> None:
    """Only merged pull requests prove; an open one is waited for, a closed one is just listed."""
    files = (added("tests/test_x.py", "x"),)
    opened = assess([UNIT], ANSWERS, [pull(*files, state=PullState.OPEN)]).gates[UNIT]
    closed = assess([UNIT], ANSWERS, [pull(*files, state=PullState.CLOSED)]).gates[UNIT]
    assert not opened.found and opened.waiting == ("#12 is not merged yet",)
    assert not closed.found and closed.waiting == ()


def test_a_revert_undoes_the_proof_and_says_so() -> None:
    """A merged revert of a linked pull request takes its proof away and names itself."""
    original = pull(added("tests/test_x.py", "x"), number=12)
    revert = pull(added("tests/test_x.py", "x", status="removed"), number=15, reverts=f"{REPO}#12")
    gate = assess([UNIT], ANSWERS, [original, revert]).gates[UNIT]
    assert not gate.found
    assert gate.notes == (f"#12 was reverted by {REPO}#15",)
    unmerged = pull(number=15, reverts=f"{REPO}#12", state=PullState.OPEN)
    assert assess([UNIT], ANSWERS, [original, unmerged]).gates[UNIT].found


def test_the_file_cap_is_reported() -> None:
    """A pull request GitHub listed only 3,000 files of says so beside its evidence."""
    gate = assess([DOCS], ANSWERS, [pull(files_capped=True)]).gates[DOCS]
    assert gate.notes == (f"#12: GitHub lists only its first {FILES_CAP:,} files",)


def test_unknown_gates_have_no_evidence() -> None:
    """A gate the rules don't know (dashboards reviewed) stays with the author."""
    pr = pull(added("docs/dashboards.md", "x"), added("tests/test_x.py", "x"))
    assert assess([DASHBOARD, "A label of another template"], ANSWERS, [pr]).found() == {}


def test_the_reference_lists_each_pull_once() -> None:
    """The evidence reference is every proving pull request once, in number order."""
    a = pull(added("tests/test_a.py", "x"), number=7)
    b = pull(added("tests/test_b.py", "x"), number=3)
    gate = assess([UNIT], ANSWERS, [a, b]).gates[UNIT]
    assert gate.reference == f"{REPO}#3, {REPO}#7"


@given(
    st.lists(
        st.sampled_from(["tests/t.py", "docs/a.md", "x/y.py", "execution/reconciler.py"]),
        max_size=5,
    ),
    st.sampled_from(list(PullState)),
)
def test_evidence_only_from_merged_pulls(paths: list[str], state: PullState) -> None:
    """Whatever the files, nothing but a merged pull request yields a proof."""
    pr = pull(*(added(p, "order.cancel.ambiguous") for p in paths), state=state)
    result = assess(TEMPLATE.gate_labels, ANSWERS, [pr])
    if state is not PullState.MERGED:
        assert result.found() == {}
    assert all(p.pull == pr.key for g in result.gates.values() for p in g.proofs)


def test_plan_drift_lists_both_ways() -> None:
    """Planned files not touched, and touched files not planned (tests and docs aside)."""
    pr = pull(
        added("execution/reconciler.py", "x"),
        added("execution/venue_clock.py", "x"),
        added("tests/execution/test_x.py", "x"),
        added("docs/runbooks/venue-timeouts.md", "x"),
    )
    drift = plan_drift(
        ANSWERS, [pr, pull(added("execution/retry_budget.py"), number=13, state=PullState.CLOSED)]
    )
    assert drift.untouched == ("execution/retry_budget.py",)
    assert drift.unplanned == ("execution/venue_clock.py",)
    folder = Answers(file_touch_plan=("execution/",))
    assert not plan_drift(folder, [pr]).any


def test_all_settled_needs_a_merge_and_nothing_open() -> None:
    """The plan is compared once no linked pull request is open and one merged."""
    assert all_settled([pull(), pull(number=2, state=PullState.CLOSED)])
    assert not all_settled([pull(), pull(number=2, state=PullState.OPEN)])
    assert not all_settled([pull(state=PullState.CLOSED)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fixes #7", {(REPO, 7)}),
        ("closes acme/Execution#7 and #8", {(REPO, 7), (REPO, 8)}),
        ("see https://github.example.com/acme/execution/issues/9.", {(REPO, 9)}),
        ("other/repo#3", {("other/repo", 3)}),
        ("color #fff and abc#12 and &#35;", set()),
    ],
)
def test_references(text: str, expected: set[tuple[str, int]]) -> None:
    """`#N`, `owner/name#N` and issue URLs are references; anchors inside words are not."""
    assert references(text, REPO) == expected


def test_revert_of_reads_githubs_revert_body() -> None:
    """GitHub's Revert button writes `Reverts owner/name#N`; that is what the revert undoes."""
    assert (
        revert_of('Revert "Bound retries"', "Reverts acme/execution#12\n\nwhy", REPO)
        == f"{REPO}#12"
    )
    assert revert_of("Bound retries", "Refs #12", REPO) is None
