"""Tokens and secrets never appear in logs or messages, even when everything fails."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.harness import (
    Author,
    BotProcess,
    bot_environment,
    filing_settings,
    message_text,
    wait_until,
)
from tests.emulators.github_api import Fault, GitHubEmulator
from tests.emulators.github_webhooks import post_webhook
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests

SLACK_TOKEN = "xoxb-RECOGNISABLE-slack-bot-token-1234"
SIGNING = "RECOGNISABLE-signing-secret-5678"
GITHUB_TOKEN = "ghp_RECOGNISABLEgithubtoken9012"
WEBHOOK = "RECOGNISABLE-webhook-secret-3456"
SECRETS = (SLACK_TOKEN, SIGNING, GITHUB_TOKEN, WEBHOOK)
REPO = "acme/execution"


def test_secrets_never_reach_a_log_line_or_a_message(tmp_path: Path) -> None:
    """A whole draft with Slack and GitHub faults and a forged webhook leaks no secret."""
    with SlackEmulator(bot_token=SLACK_TOKEN) as slack, GitHubEmulator() as gh:
        gh.add_token(GITHUB_TOKEN, "milestone-bot")
        gh.add_repo(REPO, labels=["reliability"])
        env = bot_environment(
            slack,
            tmp_path / "data" / "milestones.db",
            SLACK_SIGNING_SECRET=SIGNING,
            **filing_settings(gh.url, GITHUB_TOKEN, REPO),
            GITHUB_WEBHOOK_SECRET=WEBHOOK,
            GITHUB_TIMEOUT="1",
        )
        bot = BotProcess(tmp_path, env).start()
        try:
            requests = SlackRequests(
                bot.url + "/slack/events", emulator=slack, signing_secret=SIGNING
            )
            alice = Author(slack, requests)
            alice.start("new Secrets stay secret")
            slack.http_error("chat.postMessage", 500)
            requests.message_event(
                "m2", user=alice.user, channel=alice.channel, thread_ts=alice.thread_ts
            )
            # The next question's post failed (500): wait for that before answering on.
            wait_until(
                lambda: any(c.status == 500 for c in slack.calls("chat.postMessage")),
                what="the failed post",
            )
            alice.say("back", expect="Question 1 of")
            gh.inject("POST", f"/repos/{REPO}/issues", Fault.bad_credentials())
            answer_until_preview(alice)
            alice.say("file", expect="GitHub")
            forged = post_webhook(
                bot.url + "/github/webhook", "not-the-secret", "issues", {"action": "edited"}
            )
            assert forged.status == 401
            wait_until(lambda: "webhook.rejected" in bot.logs(), what="the webhook log line")
        finally:
            bot.stop()
        logs = bot.logs()
        said = "\n".join(str(call.params) for call in slack.calls())
        for secret in SECRETS:
            assert secret not in logs, f"{secret[:16]}… is in the log"
            assert secret not in said, f"{secret[:16]}… was sent to Slack"
        assert "slack.call_failed" in logs and "github.filing_failed" in logs


ANSWERS = {
    "Target milestone": "m2",
    "Invariants strengthened": "none",
    "Problem statement": "Cancels loop without bound when a venue times out.",
    "Implementation plan": "1. Bound the retries",
    "Risk-reduction objective": "Retries stay bounded",
    "In scope": "- The reconciler",
    "File touch plan": "- execution/reconciler.py",
}


def answer_until_preview(author: Author) -> None:
    """Answer whatever is asked (required questions with a plain answer) up to the preview."""
    for _ in range(25):
        last = message_text(author.bot_replies()[-1])
        if "File issue" in last:
            return
        title = next((t for t in ANSWERS if f"· {t}" in last), None)
        author.say(ANSWERS[title] if title else "skip")
    raise AssertionError(author.transcript())


PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAvRECOGNISABLEpemLineOne0123456789abcdef\n"
    "RECOGNISABLEpemLineTwo0123456789abcdefghijklmnopqrstuv\n"
    "-----END RSA PRIVATE KEY-----\n"
)
QUOTED = 'RECOGNISABLE"quoted\\secret-7890'


def test_secrets_in_log_arguments_and_tracebacks_are_redacted() -> None:
    """A secret passed as a log argument, in an exception text or a traceback, or shaped so
    that JSON escapes it (quotes, backslashes, a multi-line PEM key) never reaches a line."""
    import io
    import json
    import logging

    import structlog

    from bot.log import configure_logging, get_logger, register_secrets

    secrets = (*SECRETS, PEM, QUOTED)
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(stream=buffer)
    register_secrets(secrets)
    try:
        logging.getLogger("slack_bolt.App").warning("token %s", SLACK_TOKEN)
        logging.getLogger("slack_sdk").warning("headers: %r", {"Authorization": GITHUB_TOKEN})
        get_logger().warning("github.call_failed", reason=f"bad key {PEM}", secret=QUOTED)
        try:
            raise RuntimeError(f"signature with {SIGNING} and {WEBHOOK} and {PEM}")
        except RuntimeError:
            logging.getLogger("gunicorn.error").exception("worker failed %s", QUOTED)
            get_logger().exception("listener.failed")
    finally:
        structlog.reset_defaults()
        root.handlers[:], root.level = handlers, level
    text = buffer.getvalue()
    lines = text.splitlines()
    assert len(lines) == 5 and all(json.loads(line) for line in lines)
    assert "Traceback" in text and text.count("[redacted]") >= 10
    escaped = [json.dumps(s)[1:-1] for s in secrets]
    pem_lines = [line for line in PEM.splitlines() if "RECOGNISABLE" in line]
    for secret in (*secrets, *escaped, *pem_lines):
        assert secret not in text, f"{secret[:16]}… is in the log"
