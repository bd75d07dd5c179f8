"""Repositories beyond GITHUB_REPOSITORY, against the GitHub emulator: each repository's App
installation, the `/milestone repo` check, the reminders' per-repository reads, the names
people type, and moving a draft onto a newer template."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.errors import GitHubUnavailable
from bot.github.client import GitHubAccess, GitHubConfig
from bot.github.repositories import RepositoryRefused, check_repository, repository_name
from bot.github.repository_issues import RepositoryIssues
from flows.draft import Draft, DraftStatus, FlowState, GateState, GateStatus
from flows.questions import build_flow
from flows.rebase import rebase
from flows.template import parse_template
from tests.emulators.app_keys import app_key_pair
from tests.emulators.github_api import GitHubEmulator
from tests.template_variants import (
    EXTRA_GATE,
    RENAMED_FROM,
    RENAMED_TO,
    bundled_text,
    payments_template,
)

APP_ID = 5151


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    """An RSA key pair for the App's JWTs."""
    return app_key_pair()


@pytest.fixture
def gh(app_key: tuple[str, str]) -> Iterator[GitHubEmulator]:
    """acme installs the App twice: once on acme/execution, once on acme/payments."""
    with GitHubEmulator() as emulator:
        emulator.add_app(APP_ID, "milestone-bot", public_key_pem=app_key[1])
        emulator.add_repo("acme/execution")
        emulator.add_repo("acme/payments")
        emulator.add_repo("acme/elsewhere")
        emulator.add_installation(61, APP_ID, "acme", repositories=["acme/execution"])
        emulator.add_installation(62, APP_ID, "acme", repositories=["acme/payments"])
        yield emulator


def app_access(gh: GitHubEmulator, private: str) -> GitHubAccess:
    config = GitHubConfig(
        api_url=gh.url,
        repository="acme/execution",
        timeout=5,
        app_id=APP_ID,
        private_key=private,
        installation_id=61,
    )
    return GitHubAccess(config)


def test_each_repository_uses_its_own_installation(
    gh: GitHubEmulator, app_key: tuple[str, str]
) -> None:
    """acme/payments is reached with installation 62's token, acme/execution with 61's."""
    access = app_access(gh, app_key[0])
    payments = access.for_repository("acme/payments")
    assert payments is access.for_repository("ACME/payments")
    assert payments.client().get_repo("acme/payments").full_name == "acme/payments"
    assert gh.installation_tokens(62) and not gh.installation_tokens(61)
    assert access.client().get_repo("acme/execution").full_name == "acme/execution"
    assert gh.installation_tokens(61)


def test_the_repository_check_names_a_missing_installation(
    gh: GitHubEmulator, app_key: tuple[str, str]
) -> None:
    """A repository the App isn't installed on is refused with how to install it."""
    access = app_access(gh, app_key[0])
    assert check_repository(access, "acme/payments").full_name == "acme/payments"
    with pytest.raises(RepositoryRefused) as refused:
        check_repository(access, "acme/elsewhere")
    assert str(refused.value).startswith("The GitHub App isn't installed on acme/elsewhere")


def test_reminders_read_each_issue_with_its_repositorys_installation(
    gh: GitHubEmulator, app_key: tuple[str, str]
) -> None:
    """An issue in the second repository is read, not taken for deleted."""
    gh.add_issue("acme/payments", "Payments milestone", body="- [ ] gate")
    issues = RepositoryIssues(app_access(gh, app_key[0]))
    read = issues.get("acme/payments", 1)
    assert not read.gone and read.data is not None and read.data["title"] == "Payments milestone"
    with pytest.raises(GitHubUnavailable):
        issues.get("acme/elsewhere", 1)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("acme/payments", "acme/payments"),
        (" acme/pay.ments_2 ", "acme/pay.ments_2"),
        ("https://github.com/acme/payments", "acme/payments"),
        ("<https://github.com/acme/payments.git>", "acme/payments"),
        ("<https://github.com/acme/payments|github.com/acme/payments>", "acme/payments"),
        ("payments", None),
        ("acme/payments/issues", None),
        ("acme/pay ments", None),
    ],
)
def test_repository_names_as_people_type_them(typed: str, name: str | None) -> None:
    """owner/name, or a repository URL as Slack sends a link; anything else is not a name."""
    assert repository_name(typed) == name


def test_rebase_keeps_answers_and_asks_again_what_changed() -> None:
    """Onto a template with an extra and a renamed gate: answers kept, gates asked again,
    settled gates kept where their label remains, the draft replayable as one change."""
    old = build_flow(parse_template(bundled_text()), ask_assignee=True)
    new = build_flow(parse_template(payments_template()), ask_assignee=True)
    answered = tuple(q.id for q in old.questions)
    draft = Draft(
        id="ms-rebase",
        status=DraftStatus.PREVIEW,
        title="Bound retries",
        target_milestone="M3",
        problem_statement="Unbounded retries.",
        invariants=(old.template.invariant_labels[0],),
        gates={
            old.template.gate_labels[0]: GateState(status=GateStatus.CHECKED),
            RENAMED_FROM: GateState(status=GateStatus.NOT_APPLICABLE, reason="no dashboards"),
        },
        flow=FlowState(answered=answered, history=answered),
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    moved, asked = rebase(old, new, draft, "f" * 40)
    assert asked == ("gates",)
    assert moved.status is DraftStatus.DRAFTING and moved.flow.step == "gates"
    assert moved.template_sha == "f" * 40
    assert (moved.title, moved.problem_statement, moved.invariants) == (
        draft.title,
        draft.problem_statement,
        draft.invariants,
    )
    assert set(moved.gates) == {old.template.gate_labels[0]}
    assert EXTRA_GATE in new.template.gate_labels and RENAMED_TO in new.template.gate_labels
    assert "gates" not in moved.flow.answered and "title" in moved.flow.answered


def test_rebase_onto_the_same_questions_goes_back_to_the_preview() -> None:
    """Nothing to ask again: the draft stays at its preview with every answer."""
    flow = build_flow(parse_template(bundled_text()))
    answered = tuple(q.id for q in flow.questions)
    draft = Draft(
        id="ms-same",
        status=DraftStatus.PREVIEW,
        title="T",
        target_milestone="M1",
        flow=FlowState(answered=answered),
    )
    moved, asked = rebase(flow, flow, draft, "e" * 40)
    assert asked == () and moved.status is DraftStatus.PREVIEW
    assert moved.flow.answered == answered
