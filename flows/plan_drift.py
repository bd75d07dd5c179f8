"""The plan against the work: the File Touch Plan beside the files the pull requests touched.

Two lists: planned files no linked (merged, not reverted) pull request touched, and files
touched that the plan did not name. Test and documentation files are left out of the second
list: the plan names the code to change, and the gates already follow tests and docs. A plan
entry that is a folder (`execution/`) or a glob (`execution/*.py`) covers what is under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flows.evidence import (
    Answers,
    PullRequest,
    PullState,
    is_doc_file,
    is_test_file,
    named_paths,
    reverted_by,
    within,
)


@dataclass(frozen=True)
class PlanDrift:
    untouched: tuple[str, ...]  # planned, touched by no linked pull request
    unplanned: tuple[str, ...]  # touched, named by no plan entry (tests and docs aside)

    @property
    def any(self) -> bool:
        return bool(self.untouched or self.unplanned)


def plan_drift(answers: Answers, pulls: Iterable[PullRequest]) -> PlanDrift:
    pulls = list(pulls)
    undone = reverted_by(pulls)
    touched: list[str] = []
    for pull in pulls:
        if pull.state is PullState.MERGED and not pull.reverts and pull.key not in undone:
            touched += [f.path for f in pull.files]
    touched = list(dict.fromkeys(touched))
    planned = named_paths(answers.file_touch_plan)
    untouched = [entry for entry in planned if not any(within(p, entry) for p in touched)]
    unplanned = [
        path
        for path in touched
        if not any(within(path, entry) for entry in planned)
        and not is_test_file(path, answers)
        and not is_doc_file(path, answers)
    ]
    return PlanDrift(tuple(untouched), tuple(unplanned))


def all_settled(pulls: Iterable[PullRequest]) -> bool:
    """Whether no linked pull request is still open (and at least one merged)."""
    pulls = list(pulls)
    return (
        bool(pulls)
        and all(p.state is not PullState.OPEN for p in pulls)
        and any(p.state is PullState.MERGED for p in pulls)
    )
