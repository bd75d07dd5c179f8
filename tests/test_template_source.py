"""The template source reads each repository's template from the GitHub emulator over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.github.client import GitHubAccess, GitHubConfig
from bot.github.templates import DEFAULT_REPO_PATH, TemplateSource
from flows.template import load_template
from flows.template_version import blob_sha, version_of
from tests.emulators.github_api import Fault, GitHubEmulator
from tests.emulators.github_contents import push
from tests.template_variants import (
    EXTRA_GATE,
    bundled_text,
    gate_without_boxes,
    payments_template,
    without_heading,
)

TOKEN = "t-bot"
CONTENTS = f"/repos/*/contents/{DEFAULT_REPO_PATH}"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 10, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    """acme/payments keeps its own template, acme/plain has none, acme/broken a bad one."""
    with GitHubEmulator() as emulator:
        emulator.add_token(TOKEN, "milestone-bot")
        emulator.add_repo("acme/payments", files={DEFAULT_REPO_PATH: payments_template()})
        emulator.add_repo("acme/plain", files={"README.md": "hi"})
        emulator.add_repo("acme/broken", files={DEFAULT_REPO_PATH: without_heading()})
        emulator.add_repo("acme/hidden", private=True, readable_by=[], files={"a": "b"})
        yield emulator


def source(gh: GitHubEmulator, clock: Clock, **kwargs: object) -> TemplateSource:
    access = GitHubAccess(
        GitHubConfig(api_url=gh.url, repository="acme/payments", timeout=5, token=TOKEN)
    )
    fallback = version_of(load_template())
    return TemplateSource(fallback=fallback, github=access, now=clock, **kwargs)  # type: ignore[arg-type]


def test_a_repository_template_serves_with_its_blob_sha(gh: GitHubEmulator) -> None:
    """The repository's file serves, named by git's blob sha, front matter honoured."""
    found = source(gh, Clock()).resolve("acme/payments")
    assert found.problem is None and found.from_repository
    assert found.version.sha == blob_sha(payments_template())
    template = found.version.template()
    assert EXTRA_GATE in template.gate_labels
    assert template.title_prefix == "[Payments] " and template.assignees == ("ops-lead",)


def test_reads_again_only_after_ten_minutes_and_then_a_free_304(gh: GitHubEmulator) -> None:
    """Within 10 minutes no request; after, one conditional GET that costs no quota."""
    clock = Clock()
    templates = source(gh, clock)
    templates.resolve("acme/payments")
    templates.resolve("acme/payments")
    assert len(gh.requests_to("GET", CONTENTS)) == 1
    clock.now += timedelta(minutes=10)
    counted = gh.counted_requests
    templates.resolve("acme/payments")
    reads = gh.requests_to("GET", CONTENTS)
    assert len(reads) == 2 and reads[-1].status == 304 and gh.counted_requests == counted


def test_a_push_touching_the_file_is_read_at_the_next_draft(gh: GitHubEmulator) -> None:
    """After a push that changes the file, the next resolve serves the new version."""
    templates = source(gh, Clock())
    before = templates.resolve("acme/payments").version
    payload = push(gh, "acme/payments", changed={DEFAULT_REPO_PATH: bundled_text()})
    touched = set(payload["head_commit"]["modified"])
    assert templates.changed("acme/payments", touched)
    after = templates.resolve("acme/payments").version
    assert after.sha != before.sha and after.sha == blob_sha(bundled_text())
    assert not templates.changed("acme/payments", {"README.md"})


def test_without_the_file_the_bundled_template_serves_and_says_so(gh: GitHubEmulator) -> None:
    """No file: the bundled version, and one line naming the repository and the file."""
    found = source(gh, Clock()).resolve("acme/plain")
    assert not found.from_repository and found.problem is not None
    assert found.problem.kind == "missing"
    assert found.problem.line() == (
        f"acme/plain has no `{DEFAULT_REPO_PATH}`, so this draft uses the bundled template."
    )


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        (without_heading(), "## Rollout and Safety"),
        (gate_without_boxes(), "'Acceptance Criteria' has no checkboxes"),
    ],
)
def test_a_broken_template_names_what_is_missing(
    gh: GitHubEmulator, text: str, missing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A template the flow can't serve: bundled serves, the line names the fault."""
    gh.set_files("acme/broken", {DEFAULT_REPO_PATH: text})
    found = source(gh, Clock()).resolve("acme/broken")
    assert found.problem is not None and found.problem.kind == "invalid"
    line = found.problem.line()
    assert "acme/broken" in line and DEFAULT_REPO_PATH in line and missing in line
    assert not found.from_repository


def test_a_repository_the_bot_cannot_see_is_no_access(gh: GitHubEmulator) -> None:
    """A hidden repository is told apart from a missing file."""
    found = source(gh, Clock()).resolve("acme/hidden")
    assert found.problem is not None and found.problem.kind == "no_access"
    assert "acme/hidden" in found.problem.line()


def test_other_repositories_are_unaffected_by_one_broken(gh: GitHubEmulator) -> None:
    """A broken template in one repository leaves another's version serving."""
    templates = source(gh, Clock())
    assert templates.resolve("acme/broken").problem is not None
    assert templates.resolve("acme/payments").problem is None


def test_github_down_keeps_the_last_version_read(gh: GitHubEmulator) -> None:
    """A 502 after a good read keeps serving that version."""
    clock = Clock()
    templates = source(gh, clock)
    first = templates.resolve("acme/payments").version
    clock.now += timedelta(minutes=11)
    gh.inject("GET", CONTENTS, Fault.error_before(502), times=10)
    assert templates.resolve("acme/payments").version == first


def test_template_path_overrides_every_repository(gh: GitHubEmulator) -> None:
    """With TEMPLATE_PATH (override) nothing is read from GitHub."""
    found = source(gh, Clock(), override=True).resolve("acme/payments")
    assert not found.from_repository and gh.requests_to("GET", CONTENTS) == []


def test_a_signed_push_webhook_refreshes_only_its_file(gh: GitHubEmulator, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A push delivery touching the template makes the next draft read it; others don't."""
    import json

    from bot.github.webhook import GitHubWebhook
    from bot.storage.store import Store
    from tests.emulators.github_webhooks import sign_webhook

    templates = source(gh, Clock())
    hook = GitHubWebhook(
        store=Store(tmp_path / "db.sqlite"),
        template=load_template(),
        secret="s",
        templates=templates,
    )

    def deliver(payload: dict[str, object]) -> dict[str, object]:
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "d",
            "X-Hub-Signature-256": sign_webhook("s", body),
        }
        reply = hook.handle(headers, body)
        assert reply.status == 200
        return reply.body

    first = templates.resolve("acme/payments").version
    assert (
        deliver(push(gh, "acme/payments", changed={"README.md": "x"}))["template_changed"] is False
    )
    assert templates.resolve("acme/payments").version == first
    other = push(gh, "acme/payments", changed={DEFAULT_REPO_PATH: bundled_text()}, ref="dev")
    assert deliver(other)["ignored"] == "push to another branch"
    changed = push(gh, "acme/payments", changed={DEFAULT_REPO_PATH: bundled_text()})
    assert deliver(changed)["template_changed"] is True
    assert templates.resolve("acme/payments").version.sha == blob_sha(bundled_text())
