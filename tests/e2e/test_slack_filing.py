"""Filing from Slack, end to end: the real `milestone-bot serve` process, the Slack emulator
for the conversation, and the GitHub emulator (GITHUB_API_URL) for the issue.

Every fault the issue names ends with exactly one issue for the draft in the emulator (none
where GitHub refused, until the author presses Retry filing) and a message in the thread that
says what happened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.slack.blocks import ACTION_FILE
from bot.storage.store import Store
from flows.draft import Draft, DraftStatus, FlowState
from flows.questions import build_flow
from flows.render import marker, render_issue
from flows.template import load_template
from tests.e2e.harness import (
    Author,
    BotProcess,
    bot_environment,
    db_path,
    message_text,
    wait_until,
)
from tests.emulators.app_keys import app_key_pair
from tests.emulators.github_api import Fault, GitHubEmulator
from tests.emulators.slack_api import ALICE, Message, SlackEmulator
from tests.emulators.slack_requests import SlackRequests

BOT_TOKEN = "ghp-milestone-bot-e2e1"
REPO = "acme/execution"
POST = ("POST", "/repos/acme/execution/issues")
TEMPLATE = load_template()


def seed(gh: GitHubEmulator) -> None:
    gh.add_token(BOT_TOKEN, "milestone-bot")
    gh.add_user("alice")
    gh.add_repo(
        REPO,
        labels=["reliability"],
        milestones=["M2 - Reconcile", "M3 - Cancel safety"],
        files={"execution/reconciler.py": "", "docs/runbooks/venue-timeouts.md": ""},
    )


@pytest.fixture
def gh() -> Iterator[GitHubEmulator]:
    with GitHubEmulator() as emulator:
        seed(emulator)
        yield emulator


def start_bot(tmp_path: Path, slack: SlackEmulator, **github: str) -> BotProcess:
    # The reminder sweep (another module) is off: these tests are about filing alone.
    env = bot_environment(
        slack, db_path(tmp_path), GITHUB_TIMEOUT="1", REMINDER_SWEEP_MINUTES="0", **github
    )
    return BotProcess(tmp_path, env).start()


@pytest.fixture
def filing_bot(tmp_path: Path, slack: SlackEmulator, gh: GitHubEmulator) -> Iterator[BotProcess]:
    process = start_bot(
        tmp_path,
        slack,
        GITHUB_TOKEN=BOT_TOKEN,
        GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=gh.url,
    )
    yield process
    process.stop()


@pytest.fixture
def author(filing_bot: BotProcess, slack: SlackEmulator) -> Author:
    return Author(slack, SlackRequests(filing_bot.url + "/slack/events", emulator=slack))


def seeded_draft(tmp_path: Path, draft_id: str = "ms-e2e001", **changes: Any) -> Draft:
    """A complete draft at its preview, written to the bot's database as the flow leaves it."""
    fields: dict[str, Any] = {
        "id": draft_id,
        "author": ALICE,
        "status": DraftStatus.PREVIEW,
        "title": "Bound cancel retries after venue timeouts",
        "target_milestone": "M2",
        "risk_objective": "A cancel that times out is never resubmitted blind.",
        "problem_statement": "The reconciler re-sends cancels without bound.",
        "invariants": tuple(TEMPLATE.invariant_labels[:1]),
        "in_scope": ("Cancel path in the order reconciler",),
        "file_touch_plan": ("execution/reconciler.py", "execution/retry_budget.py"),
        "implementation_plan": ("Add a retry budget",),
        "assignee": "alice",
    }
    fields.update(changes)
    draft = Draft(**fields)
    with Store(db_path(tmp_path)).session() as s:
        return s.drafts.create(
            draft, location=None, actor=ALICE, source="test", correlation_id="seed"
        )


def open_preview(author: Author, draft_id: str) -> Message:
    """`/milestone resume ID`: the bot starts a thread with the preview; its File message."""
    before = {m.ts for m in author.slack.bot_messages(author.channel)}
    author.command(f"resume {draft_id}")
    root = wait_until(
        lambda: next(
            (m for m in author.slack.bot_messages(author.channel) if m.ts not in before), None
        ),
        what="the draft's thread",
    )
    author.thread_ts = root.ts
    return wait_until(lambda: with_action(author, ACTION_FILE), what="the File issue button")


def with_action(author: Author, action_id: str) -> Message | None:
    for message in reversed(author.bot_replies()):
        for block in message.blocks or []:
            if any(e.get("action_id") == action_id for e in block.get("elements") or []):
                return message
    return None


def click_file(author: Author, message: Message, expect: str) -> list[Message]:
    seen = len(author.bot_replies())
    author.click(ACTION_FILE, message=message)
    return author.await_replies(seen, expect)


def texts(author: Author, needle: str) -> list[str]:
    return [message_text(m) for m in author.bot_replies() if needle in message_text(m)]


def issues_for(gh: GitHubEmulator, draft_id: str) -> list[Any]:
    return [i for i in gh.issues(REPO) if marker(draft_id) in (i.body or "")]


# ---- the whole conversation ----------------------------------------------------------------------

TYPED = [
    ("Bound cancel/replace retries after venue timeouts", "Question 2 of 17"),
    ("m3", "Question 3 of 17"),
    ("No order is re-sent more than 3 times after an ambiguous venue reply", "Question 4 of 17"),
    ("Cancel/replace pairs are re-sent without bound when a venue times out.", "5 of 17"),
    ("2, 4", "Question 6 of 17"),
    ("skip", "Question 7 of 17"),
    ("- Retry budget per order", "Question 8 of 17"),
    ("skip", "Question 9 of 17"),
    ("- execution/reconciler.py\n- execution/retry_budget.py", "Question 10 of 17"),
    ("1. Add a retry budget\n2. Reconcile before retrying", "Question 11 of 17"),
    ("skip", "Question 12 of 17"),
    ("skip", "Question 13 of 17"),
    ("skip", "Question 14 of 17"),
    ("- docs/runbooks/venue-timeouts.md", "Question 15 of 17"),
    ("- Assumes venues answer status requests within 2 s", "Question 16 of 17"),
    ("none", "Question 17 of 17 · GitHub login"),
    ("ghost-user", "GitHub has no user `ghost-user`; check the spelling, or `skip`."),
    ("@Alice", "File issue"),
]


def test_a_typed_draft_becomes_one_issue_with_everything_right(
    author: Author, slack: SlackEmulator, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """From /milestone to the File button: title, labels, milestone, assignee and body are right,
    the root says filed with the link, and the draft is read-only after."""
    author.start()
    for text, expect in TYPED:
        author.say(text, expect=expect)
    wait_until(
        lambda: texts(author, "`execution/retry_budget.py` isn't on `main` yet. New file?"),
        what="the file touch plan's note",
    )
    message = with_action(author, ACTION_FILE)
    assert message is not None
    replies = click_file(author, message, "Filed on GitHub")
    [issue] = gh.issues(REPO)
    with Store(db_path(tmp_path)).session() as s:
        [row] = s.drafts.summaries(ALICE, include_closed=True)
        draft = s.drafts.get(row.id)
    expected = render_issue(
        TEMPLATE,
        draft.model_copy(update={"notes": (*draft.notes, "Assignee: @alice")}),
    )
    assert issue.title == "[Reliability] Bound cancel/replace retries after venue timeouts"
    assert issue.body == expected.body and marker(draft.id) in issue.body
    assert issue.labels == ["reliability", "execution"]
    assert gh.repo(REPO).milestones[issue.milestone].title == "M3 - Cancel safety"
    assert issue.assignees == ["alice"]
    url = f"{gh.web_url}/acme/execution/issues/{issue.number}"
    assert f"<{url}|#{issue.number} [Reliability] Bound cancel/replace" in message_text(replies[-1])
    # The root message is updated right after the link is posted.
    wait_until(
        lambda: (
            f"<@{ALICE}>'s Reliability Milestone is filed: <{url}|#{issue.number}"
            in (slack.message(author.channel, author.thread_ts or "").text or "")
        ),
        what="the root message to say filed",
    )
    assert (draft.status, draft.issue_number, draft.issue_url) == (
        DraftStatus.FILED,
        issue.number,
        url,
    )
    author.say(
        "edit title", expect=f"This draft is filed as #{issue.number}; changes now go on GitHub."
    )
    # Editing an answer already sent says the same, privately, and changes nothing.
    first = next(m for m in slack.messages(author.channel, author.thread_ts) if m.user == ALICE)
    author.requests.message_changed(
        first.ts, "A new title", channel=author.channel, thread_ts=author.thread_ts
    )
    wait_until(
        lambda: [
            m
            for m in slack.messages(author.channel, author.thread_ts, viewer=ALICE)
            if m.is_ephemeral and f"This draft is filed as #{issue.number}" in (m.text or "")
        ],
        what="the private note that the draft is filed",
    )
    with Store(db_path(tmp_path)).session() as s:
        assert s.drafts.get(draft.id).title == draft.title

    # The login is remembered: the next draft doesn't ask it.
    author.start()
    assert "Question 1 of 16" in message_text(author.bot_replies()[0])


def test_github_login_subcommand_checks_and_links(author: Author, slack: SlackEmulator) -> None:
    """`/milestone github-login NAME` refuses a login GitHub lacks and links one it has."""
    author.command("github-login ghost-user")
    wait_until(lambda: ephemerals(author, "GitHub has no user `ghost-user`"), what="the refusal")
    author.command("github-login alice")
    wait_until(lambda: ephemerals(author, "assigned to GitHub user `alice`"), what="the link")
    author.start()
    assert "Question 1 of 16" in message_text(author.bot_replies()[0])


def test_skipping_the_login_is_remembered_and_files_without_assignee(
    author: Author, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """`skip` on the GitHub login question is asked once: the next draft doesn't ask it."""
    ids = tuple(q.id for q in build_flow(TEMPLATE, ask_assignee=True).questions)
    at_login = FlowState(step="assignee", answered=ids[:-1], history=ids)
    draft = seeded_draft(tmp_path, status=DraftStatus.DRAFTING, flow=at_login, assignee="")
    before = {m.ts for m in author.slack.bot_messages(author.channel)}
    author.command(f"resume {draft.id}")
    root = wait_until(
        lambda: next(
            (m for m in author.slack.bot_messages(author.channel) if m.ts not in before), None
        ),
        what="the draft's thread",
    )
    author.thread_ts = root.ts
    wait_until(lambda: texts(author, "GitHub login"), what="the login question")
    author.say("skip", expect="File issue")
    author.say("file", expect="Filed on GitHub")
    assert issues_for(gh, draft.id)[0].assignees == []
    author.start()
    assert "Question 1 of 16" in message_text(author.bot_replies()[0])


def ephemerals(author: Author, needle: str) -> list[Message]:
    return [
        m
        for m in author.slack.messages(author.channel, viewer=author.user)
        if m.source == "response_url" and needle in message_text(m)
    ]


# ---- every fault, through the File button --------------------------------------------------------

LOST = "GitHub's answer got lost"
FAULTS = [
    pytest.param(Fault.slow(2), f"{LOST} (no answer within 1 s)", id="slow-reply"),
    pytest.param(Fault.drop_connection(), f"{LOST} (the connection to GitHub dropped)", id="drop"),
    pytest.param(Fault.error_after(502), f"{LOST} (502 Server Error)", id="502-after-create"),
    pytest.param(Fault.error_before(500), "Filed on GitHub", id="500-before-create"),
    pytest.param(
        Fault.secondary_rate_limit(retry_after=1),
        "GitHub asked me to slow down; I'll try again at",
        id="403-secondary-retry-after",
    ),
]


@pytest.mark.parametrize(("fault", "said"), FAULTS)
def test_unclear_or_limited_filing_still_makes_one_issue(
    author: Author, gh: GitHubEmulator, tmp_path: Path, fault: Fault, said: str
) -> None:
    """Lost answers are reconciled, 5xx retried after a check, short limits waited out."""
    draft = seeded_draft(tmp_path)
    message = open_preview(author, draft.id)
    gh.inject(*POST, fault)
    click_file(author, message, "Filed on GitHub")
    assert texts(author, said)
    assert len(issues_for(gh, draft.id)) == 1
    assert len(texts(author, "Filed on GitHub")) == 1


REFUSALS = [
    pytest.param(
        Fault.bad_credentials(),
        "GitHub turned down the bot's credentials (401 Bad credentials), so nothing was "
        "filed. The operator needs to fix GITHUB_TOKEN",
        id="401",
    ),
    pytest.param(
        Fault.not_found(),
        "GitHub answered 404 Not Found when creating the issue in acme/execution, though the "
        "bot's account (@milestone-bot) can see the repository",
        id="404",
    ),
    pytest.param(
        Fault.issues_disabled(),
        "Issues are turned off in acme/execution (410 Issues are disabled for this repo)",
        id="410",
    ),
    pytest.param(
        Fault.validation_failed(),
        "GitHub refused the issue: Validation Failed (body is too long (maximum is 65536 "
        "characters))",
        id="422",
    ),
    pytest.param(
        Fault.secondary_rate_limit(retry_after=3600),
        "GitHub is rate limiting the bot until",
        id="403-secondary-too-long",
    ),
]


@pytest.mark.parametrize(("fault", "said"), REFUSALS)
def test_a_refusal_says_what_to_do_and_retry_files_once(
    author: Author, gh: GitHubEmulator, tmp_path: Path, fault: Fault, said: str
) -> None:
    """GitHub refuses: nothing filed, the reason in the thread with Retry filing; the retry
    (once the cause is gone) files exactly one issue."""
    draft = seeded_draft(tmp_path)
    message = open_preview(author, draft.id)
    gh.inject(*POST, fault)
    click_file(author, message, said)
    assert issues_for(gh, draft.id) == []
    retry = wait_until(lambda: with_action(author, ACTION_FILE), what="Retry filing")
    assert "Retry filing" in message_text(retry) and said in message_text(retry)
    click_file(author, retry, "Filed on GitHub")
    assert len(issues_for(gh, draft.id)) == 1


# ---- duplicates: double clicks, Slack retries ----------------------------------------------------


def test_a_double_click_on_file_files_once(
    author: Author, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """Two clicks on File issue while the first is filing: one issue, one link."""
    draft = seeded_draft(tmp_path)
    message = open_preview(author, draft.id)
    gh.inject(*POST, Fault.slow(0.5))
    shown = {"ts": message.ts, "blocks": message.blocks, "thread_ts": author.thread_ts}
    for _ in range(2):
        response = author.requests.block_action(
            ACTION_FILE,
            user=author.user,
            channel=author.channel,
            message=shown,
            thread_ts=author.thread_ts,
        )
        assert response.status == 200
    wait_until(lambda: texts(author, "Filed on GitHub"), what="the link")
    wait_until(
        lambda: texts(author, "already filing this draft") or texts(author, "is filed as #"),
        what="the second click's answer",
    )
    assert len(issues_for(gh, draft.id)) == 1 and len(gh.requests_to(*POST)) == 1
    assert len(texts(author, "Filed on GitHub")) == 1


def test_slacks_retry_of_the_file_message_files_once(
    author: Author, gh: GitHubEmulator, tmp_path: Path
) -> None:
    """A retried delivery of the typed `file` is ignored: one issue, one link."""
    draft = seeded_draft(tmp_path)
    open_preview(author, draft.id)
    seen = len(author.bot_replies())
    sent = author.requests.message_event(
        "file", user=author.user, channel=author.channel, thread_ts=author.thread_ts
    )
    author.await_replies(seen, "Filed on GitHub")
    assert author.requests.retry(sent.request).status == 200
    author.say("preview", expect="This draft is filed as #1; changes now go on GitHub.")
    assert len(issues_for(gh, draft.id)) == 1 and len(gh.requests_to(*POST)) == 1
    assert len(texts(author, "Filing it on GitHub")) == 1


def test_a_restart_after_githubs_reply_adopts_the_issue(
    author: Author, gh: GitHubEmulator, tmp_path: Path, filing_bot: BotProcess
) -> None:
    """The bot is killed while GitHub holds its answer; once the dead process's lease runs
    out, `file` finds the issue by its marker and adopts it."""
    draft = seeded_draft(tmp_path)
    open_preview(author, draft.id)
    gh.inject(*POST, Fault.slow(30))
    author.requests.message_event(
        "file", user=author.user, channel=author.channel, thread_ts=author.thread_ts
    )
    wait_until(lambda: gh.requests_to(*POST), what="the create request")
    filing_bot.kill()  # the issue exists on GitHub; the bot never learned its number
    assert len(issues_for(gh, draft.id)) == 1
    filing_bot.start()
    author.say("file", expect="I'm already filing this draft")  # the dead process's lease
    connection = sqlite3.connect(db_path(tmp_path))
    with connection:  # the lease running out, without waiting for it
        connection.execute(
            "UPDATE filings SET lease_until = '2000-01-01T00:00:00.000000+00:00' "
            "WHERE draft_id = ?",
            [draft.id],
        )
    connection.close()
    replies = author.say("file", expect="Filed on GitHub")
    assert any(LOST not in message_text(m) for m in replies)
    assert len(issues_for(gh, draft.id)) == 1 and len(gh.requests_to(*POST)) == 1


# ---- GitHub Enterprise Server and GitHub Apps ----------------------------------------------------


def test_github_enterprise_api_prefix(tmp_path: Path, slack: SlackEmulator) -> None:
    """GITHUB_API_URL=https://HOST/api/v3 with rate limiting off files like github.com."""
    with GitHubEmulator(prefix="/api/v3", rate_limiting=False, enterprise_version="3.14.0") as ghes:
        seed(ghes)
        bot = start_bot(
            tmp_path,
            slack,
            GITHUB_TOKEN=BOT_TOKEN,
            GITHUB_REPOSITORY=REPO,
            GITHUB_API_URL=ghes.url,
        )
        try:
            author = Author(slack, SlackRequests(bot.url + "/slack/events", emulator=slack))
            draft = seeded_draft(tmp_path)
            click_file(author, open_preview(author, draft.id), "Filed on GitHub")
            [issue] = issues_for(ghes, draft.id)
            assert texts(author, f"{ghes.web_url}/acme/execution/issues/{issue.number}")
            assert all(r.path.startswith("/api/v3/") for r in ghes.requests)
        finally:
            bot.stop()


def test_a_github_app_files_as_its_bot(
    tmp_path: Path, slack: SlackEmulator, gh: GitHubEmulator
) -> None:
    """With GITHUB_APP_ID and a key file, the issue is filed by "<slug>[bot]"."""
    pem, public = app_key_pair()
    gh.add_app(4242, "milestone-bot", public_key_pem=public)
    gh.add_installation(77, 4242, "acme")
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem)
    bot = start_bot(
        tmp_path,
        slack,
        GITHUB_APP_ID="4242",
        GITHUB_APP_PRIVATE_KEY=str(key_file),
        GITHUB_REPOSITORY=REPO,
        GITHUB_API_URL=gh.url,
    )
    try:
        author = Author(slack, SlackRequests(bot.url + "/slack/events", emulator=slack))
        draft = seeded_draft(tmp_path)
        click_file(author, open_preview(author, draft.id), "Filed on GitHub")
        [issue] = issues_for(gh, draft.id)
        assert issue.user == "milestone-bot[bot]" and issue.assignees == ["alice"]
    finally:
        bot.stop()


def test_an_edited_github_login_is_checked_like_a_new_one(
    author: Author, slack: SlackEmulator, tmp_path: Path
) -> None:
    """Editing the login answer to a user GitHub doesn't know is refused; the login stays."""
    author.start()
    for text, expect in TYPED[:-2]:
        author.say(text, expect=expect)
    seen = len(author.bot_replies())
    sent = author.requests.message_event(
        "@Alice", user=author.user, channel=author.channel, thread_ts=author.thread_ts
    )
    author.await_replies(seen, "File issue")
    assert sent.message is not None
    seen = len(author.bot_replies())
    author.requests.message_changed(
        sent.message.ts, "ghost-user", channel=author.channel, thread_ts=author.thread_ts
    )
    author.await_replies(seen, "wasn't applied: GitHub has no user `ghost-user`")
    with Store(db_path(tmp_path)).session() as s:
        [row] = s.drafts.summaries(ALICE)
        assert s.drafts.get(row.id).assignee == "alice"
