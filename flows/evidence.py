"""Evidence for gates, from the pull requests that implement a milestone.

Pure rules: given the draft's answers and the linked pull requests (their changed files with
patches, and the conclusions of the check runs and statuses on their merge commit), decide
per gate whether GitHub holds proof and what it is. The rules are data (RULES), keyed by the
template's gate labels, so a team changes them in one place; a gate label the rules don't
know has no machine evidence and stays with the author.

A repository's own template (issue 15) may write a gate differently: a label with the same
words as a rule's (case, punctuation, spacing and emphasis aside) gets that rule
(`rule_for`). A reworded label gets none: matching by section or position would guess, and a
gate replaced in place would then show, or with EVIDENCE_AUTO_TICK be ticked with, another
gate's proof. A team that rewords a gate adds its label to RULES beside the bundled one.

Policy:
* Only merged pull requests prove anything. Open ones are waited for; closed-unmerged ones
  are listed but prove nothing. A merged pull request that a later merged revert undoes
  proves nothing either, and the evidence says which revert undid it.
* A removed file proves nothing (deleting tests is not adding them).
* "Checks green" needs at least one check run or status on the merge commit, and every one
  concluded success, neutral or skipped; a pending one makes the gate wait, a failed one
  names itself.
* GitHub lists at most 3,000 changed files of a pull request; when it stopped there, the
  evidence says so (a proof may be among the files not listed).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from flows.draft import Draft

FILES_CAP = 3000  # GitHub's limit on the files listed for one pull request
GREEN = frozenset({"success", "neutral", "skipped"})


class PullState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"  # closed without merging


@dataclass(frozen=True)
class ChangedFile:
    path: str
    status: str = "modified"  # GitHub's: added, modified, removed, renamed, copied, changed
    patch: str | None = None  # absent for binary or very large diffs

    @property
    def kept(self) -> bool:
        return self.status != "removed"

    def added_lines(self) -> list[str]:
        """The lines the patch adds (without their `+`)."""
        if not self.patch:
            return []
        return [
            line[1:]
            for line in self.patch.splitlines()
            if line.startswith("+") and not line.startswith("+++")
        ]


@dataclass(frozen=True)
class Check:
    name: str
    conclusion: str | None  # None while it runs (GitHub's `pending`/`in_progress`)
    kind: str = "check"  # "check" (a check run) or "status" (a commit status)


@dataclass(frozen=True)
class PullRequest:
    """One linked pull request as GitHub last showed it."""

    repository: str  # owner/name of the base repository
    number: int
    title: str = ""
    url: str = ""
    state: PullState = PullState.OPEN
    merge_sha: str | None = None
    files: tuple[ChangedFile, ...] = ()
    files_capped: bool = False  # GitHub stopped listing at FILES_CAP
    checks: tuple[Check, ...] = ()
    fork: bool = False  # opened from another repository
    reverts: str | None = None  # key (owner/name#N) of the pull request this one reverts

    @property
    def key(self) -> str:
        return f"{self.repository}#{self.number}"

    @property
    def short_sha(self) -> str:
        return (self.merge_sha or "")[:7]


@dataclass(frozen=True)
class Proof:
    """One piece of evidence: what one pull request shows for one gate."""

    pull: str  # owner/name#N
    number: int
    url: str
    text: str  # e.g. "changed tests/test_reconcile.py"


@dataclass(frozen=True)
class GateEvidence:
    label: str
    proofs: tuple[Proof, ...] = ()
    waiting: tuple[str, ...] = ()  # why a proof may still come: "checks pending on #12"
    notes: tuple[str, ...] = ()  # reverted, capped, failed checks

    @property
    def found(self) -> bool:
        return bool(self.proofs)

    @property
    def reference(self) -> str:
        """What Tick with evidence writes after the label: `owner/repo#123, owner/repo#124`."""
        return ", ".join(dict.fromkeys(p.pull for p in self.proofs))


@dataclass(frozen=True)
class Answers:
    """The draft's answers the rules read."""

    test_commands: tuple[str, ...] = ()
    adversarial_scenarios: tuple[str, ...] = ()
    telemetry_events: tuple[str, ...] = ()
    docs_touched: tuple[str, ...] = ()
    file_touch_plan: tuple[str, ...] = ()

    @classmethod
    def of(cls, draft: Draft) -> Answers:
        return cls(
            test_commands=draft.test_commands,
            adversarial_scenarios=draft.adversarial_scenarios,
            telemetry_events=draft.telemetry_events,
            docs_touched=draft.docs_touched,
            file_touch_plan=draft.file_touch_plan,
        )


# ----- paths named in answers ---------------------------------------------------------------

_LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
_CODE_SPAN = re.compile(r"`([^`]+)`")
_WORD_SPLIT = re.compile(r"[\s,;()\[\]`'\"<>]+")
_PATHISH = re.compile(r"[\w.@*-]*(?:/[\w.@*-]*)+|[\w@*-]+\.\w+")
_TEST_NAME = re.compile(r"(^test_.*|.*_test\.\w+$|.*\.(test|spec)\.\w+$|.*Tests?\.\w+$)")
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs"})


def _clean(path: str) -> str:
    path = path.strip().strip("`'\"")
    while path.startswith("./"):
        path = path[2:]
    if path.endswith("/..."):  # Go's "this folder and below"
        path = path[:-3]
    return path.lstrip("/")


def named_paths(texts: Iterable[str]) -> list[str]:
    """Repository paths an answer names: link targets, code spans, path-like words."""
    found: list[str] = []
    for text in texts:
        candidates = _LINK_TARGET.findall(text) + _CODE_SPAN.findall(text)
        candidates += [w for w in _WORD_SPLIT.split(text) if _PATHISH.fullmatch(w)]
        for candidate in candidates:
            path = _clean(candidate.split("#", 1)[0]).rstrip(".:")
            if path and "://" not in candidate and not path.startswith("-"):
                found.append(path)
    return list(dict.fromkeys(found))


def within(path: str, named: str) -> bool:
    """Whether `path` is `named` or inside it (a folder named with or without its slash)."""
    named = named.rstrip("/")
    if "*" in named:
        pattern = re.escape(named).replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        return re.fullmatch(pattern, path) is not None
    return path == named or path.startswith(named + "/")


def is_test_file(path: str, answers: Answers) -> bool:
    parts = path.split("/")
    if _TEST_DIRS.intersection(p.lower() for p in parts[:-1]):
        return True
    if _TEST_NAME.match(parts[-1]):
        return True
    return any(within(path, named) for named in named_paths(answers.test_commands))


def is_doc_file(path: str, answers: Answers) -> bool:
    parts = [p.lower() for p in path.split("/")]
    if parts[0] == "docs" or any("runbook" in p for p in parts[:-1]):
        return True
    return any(within(path, named) for named in named_paths(answers.docs_touched))


def _words(text: str) -> str:
    """Lower case, other characters one space: `Venue_drops-every` → `venue drops every`."""
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _event_name(text: str) -> str:
    spans = _CODE_SPAN.findall(text)
    return (spans[0] if spans else text).strip()


def _names_event(line: str, event: str) -> bool:
    pattern = r"(?<![\w.])" + re.escape(event) + r"(?![\w.])"
    return re.search(pattern, line) is not None


# ----- the rules ------------------------------------------------------------------------------

Rule = Callable[[PullRequest, Answers], str | None]


def _files(pull: PullRequest, test: Callable[[str], bool]) -> list[str]:
    return [f.path for f in pull.files if f.kept and test(f.path)]


def _listed(paths: list[str], limit: int = 2) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def tests_changed(pull: PullRequest, answers: Answers) -> str | None:
    paths = _files(pull, lambda p: is_test_file(p, answers))
    return f"changed {_listed(paths)}" if paths else None


def checks_green(pull: PullRequest, answers: Answers) -> str | None:
    if not pull.checks or any(c.conclusion not in GREEN for c in pull.checks):
        return None
    return f"checks green on {pull.short_sha} ({len(pull.checks)})"


def _adversarial_folder(path: str) -> bool:
    return any("adversarial" in p.lower() or "chaos" in p.lower() for p in path.split("/")[:-1])


def adversarial_test(pull: PullRequest, answers: Answers) -> str | None:
    tests = [f for f in pull.files if f.kept and is_test_file(f.path, answers)]
    folder = [f.path for f in tests if _adversarial_folder(f.path)]
    if folder:
        return f"changed {_listed(folder)}"
    scenarios = [(s, _words(s)) for s in answers.adversarial_scenarios if _words(s)]
    for changed in tests:
        for line in changed.added_lines():
            words = _words(line)
            for scenario, wanted in scenarios:
                if wanted in words:
                    return f"adds a test for “{scenario}” in {changed.path}"
    return None


def telemetry_emitted(pull: PullRequest, answers: Answers) -> str | None:
    events = [e for e in (_event_name(t) for t in answers.telemetry_events) if e]
    for changed in pull.files:
        for line in changed.added_lines():
            for event in events:
                if _names_event(line, event):
                    return f"adds `{event}` in {changed.path}"
    return None


def docs_changed(pull: PullRequest, answers: Answers) -> str | None:
    paths = _files(pull, lambda p: is_doc_file(p, answers))
    return f"changed {_listed(paths)}" if paths else None


# The rules as data, beside the template's gate labels (tests check each label is one).
RULES: dict[str, Rule] = {
    "Added/updated unit tests for new behavior.": tests_changed,
    "Existing related unit suites pass.": checks_green,
    "Added or updated at least one adversarial scenario test (when applicable).": (
        adversarial_test
    ),
    "New/changed behavior emits structured telemetry.": telemetry_emitted,
    "Updated at least one reliability doc/runbook.": docs_changed,
}


def rule_for(label: str) -> Rule | None:
    """The rule of the gate `label`: its own, or the one of a rule label with the same words."""
    if label in RULES:
        return RULES[label]
    words = _words(label)
    return next((rule for known, rule in RULES.items() if _words(known) == words), None)


# ----- per gate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """Everything the linked pull requests show, for the digest and `milestone-bot evidence`."""

    gates: dict[str, GateEvidence]
    pulls: tuple[PullRequest, ...]
    reverted: dict[str, str] = field(default_factory=dict)  # pull key -> revert's key

    def found(self) -> dict[str, GateEvidence]:
        return {label: g for label, g in self.gates.items() if g.found}


def reverted_by(pulls: Iterable[PullRequest]) -> dict[str, str]:
    """Pull requests undone by a merged revert: reverted key -> the revert's key."""
    return {p.reverts: p.key for p in pulls if p.reverts and p.state is PullState.MERGED}


def _waiting(pull: PullRequest, label: str) -> str | None:
    if pull.state is PullState.OPEN:
        return f"#{pull.number} is not merged yet"
    if rule_for(label) is checks_green and any(c.conclusion is None for c in pull.checks):
        return f"checks pending on {pull.short_sha} (#{pull.number})"
    if rule_for(label) is checks_green and not pull.checks:
        return f"no checks reported on {pull.short_sha} yet (#{pull.number})"
    return None


def _notes(pull: PullRequest, label: str, undone: dict[str, str]) -> list[str]:
    notes = []
    if pull.key in undone:
        notes.append(f"#{pull.number} was reverted by {undone[pull.key]}")
    if pull.files_capped and rule_for(label) is not checks_green:
        notes.append(f"#{pull.number}: GitHub lists only its first {FILES_CAP:,} files")
    failed = [c.name for c in pull.checks if c.conclusion and c.conclusion not in GREEN]
    if failed and rule_for(label) is checks_green and pull.state is PullState.MERGED:
        notes.append(f"#{pull.number}: {_listed(failed)} did not pass")
    return notes


def gate_evidence(
    label: str, pulls: Iterable[PullRequest], answers: Answers, undone: dict[str, str]
) -> GateEvidence:
    rule = rule_for(label)
    if rule is None:
        return GateEvidence(label)
    proofs: list[Proof] = []
    waiting: list[str] = []
    notes: list[str] = []
    for pull in pulls:
        if pull.reverts:
            continue  # a revert proves nothing itself
        notes += _notes(pull, label, undone)
        wait = _waiting(pull, label)
        if wait:
            waiting.append(wait)
        if pull.state is not PullState.MERGED or pull.key in undone:
            continue
        text = rule(pull, answers)
        if text:
            proofs.append(Proof(pull.key, pull.number, pull.url, text))
    return GateEvidence(label, tuple(proofs), tuple(waiting), tuple(notes))


def assess(labels: Iterable[str], answers: Answers, pulls: Iterable[PullRequest]) -> Assessment:
    """Per gate label, the evidence the pull requests hold (an empty one when none)."""
    ordered = tuple(sorted(pulls, key=lambda p: (p.repository.lower(), p.number)))
    undone = reverted_by(ordered)
    gates = {label: gate_evidence(label, ordered, answers, undone) for label in labels}
    return Assessment(gates, ordered, undone)


def proof_line(evidence: GateEvidence) -> str:
    """One line of proof: `#123 changed tests/test_reconcile.py · #124 checks green on 4f2a9c1`."""
    return " · ".join(f"#{p.number} {p.text}" for p in evidence.proofs)
