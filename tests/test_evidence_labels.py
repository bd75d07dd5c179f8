"""Which rule a repository template's gate label gets: the rule of the bundled label with the
same words (case, punctuation and emphasis aside); a label reworded gets none, since a
structural guess could hand a replaced gate another gate's proof."""

from __future__ import annotations

from flows import evidence  # its tests_changed, imported by name, is collected as a test
from flows.evidence import (
    Answers,
    ChangedFile,
    Check,
    PullRequest,
    PullState,
    assess,
    checks_green,
    rule_for,
)
from flows.template import parse_template
from tests.template_variants import bundled_text

UNIT = "Added/updated unit tests for new behavior."
SUITES = "Existing related unit suites pass."
REPO = "acme/payments"


def merged(*checks: Check) -> PullRequest:
    return PullRequest(
        REPO,
        7,
        url=f"https://github.com/{REPO}/pull/7",
        state=PullState.MERGED,
        merge_sha="4f2a9c1d00",
        files=(ChangedFile("tests/test_refunds.py", "added", "+def test_refund():"),),
        checks=checks,
    )


def relabelled(old: str, new: str) -> list[str]:
    """The gate labels of the bundled template with one gate's label changed on GitHub."""
    text = bundled_text()
    assert f"- [ ] {old}\n" in text
    return parse_template(text.replace(f"- [ ] {old}\n", f"- [ ] {new}\n")).gate_labels


def test_a_label_with_the_same_words_gets_the_rule() -> None:
    """`existing related unit suites pass` or `**Added / updated** unit tests for new
    behavior` are the bundled gates written differently: they keep their rules."""
    assert rule_for("existing related unit suites pass") is checks_green
    assert (
        rule_for("**Added / updated** unit tests for new behavior") is evidence.tests_changed
    )  # not imported: pytest would collect it
    labels = relabelled(SUITES, "Existing related unit suites pass")
    result = assess(labels, Answers(), [merged(Check("ci", None))])
    gate = result.gates["Existing related unit suites pass"]
    assert not gate.found and gate.waiting == ("checks pending on 4f2a9c1 (#7)",)
    result = assess(labels, Answers(), [merged(Check("ci", "success"))])
    assert result.gates["Existing related unit suites pass"].found


def test_a_reworded_label_has_no_rule() -> None:
    """A repository template that rewords a gate (`Unit tests cover the new behavior.`) gets
    no machine evidence for it; the other gates keep theirs."""
    labels = relabelled(UNIT, "Unit tests cover the new behavior.")
    assert rule_for("Unit tests cover the new behavior.") is None
    result = assess(labels, Answers(), [merged(Check("ci", "success"))])
    assert not result.gates["Unit tests cover the new behavior."].found
    assert result.gates[SUITES].found
