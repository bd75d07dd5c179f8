"""`POST /github/webhook`: GitHub's `issues` events, the fast path to a tracked issue's gates.

Every delivery is verified first: `X-Hub-Signature-256` must be the HMAC-SHA256 of the exact
body with GITHUB_WEBHOOK_SECRET, or the answer is 401 and nothing changes (also when no
secret is configured: an unverifiable delivery is refused). A delivery is handled once:
its `X-GitHub-Delivery` id is claimed in the same transaction as the change it makes, so a
redelivery is acknowledged and ignored, and a failure part-way leaves nothing claimed.

`pull_request` (`opened`, `edited`, `synchronize`, `reopened`, `closed`) links a pull request
to the tracked issues it references, and `check_suite` / `check_run` `completed` has the
checks of a linked merge commit read again (bot.github.pull_links).

`issues` events `edited`, `closed`, `reopened`, `deleted` and `transferred` update a tracked
issue; `ping` is answered; every other event or action is acknowledged and ignored, as is
any issue the bot did not file. An issue becomes tracked here when its body carries the
marker of a FILED draft filed as that very issue number (the sweep adopts FILED drafts too).
The sweep stays the authority: a lost or late delivery is corrected by the next sweep, and
an older delivery arriving after a newer one changes nothing (GitHub's `updated_at` is
compared).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import SecretStr

from bot.errors import UnknownDraft
from bot.github.issues import observation
from bot.github.pull_links import checks_changed, record_pull
from bot.github.templates import TemplateSource
from bot.log import get_logger
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Session, Store
from flows import tracking
from flows.draft import DraftStatus
from flows.parse import parse_issue
from flows.template import Template
from flows.tracking import SeenFrom, TrackedIssue

log = get_logger()

HANDLED_ACTIONS = frozenset({"edited", "closed", "reopened", "deleted", "transferred"})
PULL_EVENTS = {
    "pull_request": frozenset({"opened", "edited", "synchronize", "reopened", "closed"}),
    "check_suite": frozenset({"completed"}),
    "check_run": frozenset({"completed"}),
}


@dataclass(frozen=True)
class WebhookReply:
    status: int
    body: dict[str, Any]


def signature_matches(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is GitHub's `sha256=<hex>` HMAC of `body` under `secret`."""
    if not header or not header.startswith("sha256="):
        return False
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


class GitHubWebhook:
    """Handles one delivery at a time; safe to call from many threads (each has a session)."""

    def __init__(
        self,
        *,
        store: Store,
        template: Template,
        secret: SecretStr | str | None,
        templates: TemplateSource | None = None,
        draft_templates: DraftTemplates | None = None,
    ) -> None:
        self.store = store
        self.template = template
        self.templates = templates  # `push` events refresh a repository's template
        self.draft_templates = draft_templates  # each issue's gates by its draft's template
        self._secret = secret.get_secret_value() if isinstance(secret, SecretStr) else secret

    def handle(self, headers: Mapping[str, str], body: bytes) -> WebhookReply:
        lower = {k.lower(): v for k, v in headers.items()}
        delivery = lower.get("x-github-delivery", "")
        event = lower.get("x-github-event", "")
        if not self._secret:
            log.warning("webhook.rejected", reason="GITHUB_WEBHOOK_SECRET is not set")
            return WebhookReply(401, {"error": "GITHUB_WEBHOOK_SECRET is not set on the bot"})
        if not signature_matches(self._secret, body, lower.get("x-hub-signature-256")):
            log.warning(
                "webhook.rejected", reason="bad signature", delivery=delivery, github_event=event
            )
            return WebhookReply(401, {"error": "signature mismatch"})
        try:
            payload = json.loads(body)
        except ValueError:
            return WebhookReply(400, {"error": "the body is not JSON"})
        if not isinstance(payload, dict):
            return WebhookReply(400, {"error": "the body is not a JSON object"})
        if event == "ping":
            return WebhookReply(200, {"ok": True, "pong": True})
        if event == "push":
            return self._push(payload, delivery)
        action = payload.get("action")
        if event in PULL_EVENTS:
            return self._pull_event(event, action, payload, delivery)
        if event != "issues" or action not in HANDLED_ACTIONS:
            return WebhookReply(200, {"ok": True, "ignored": f"{event} {action or ''}".strip()})
        issue = payload.get("issue") or {}
        repository = (payload.get("repository") or {}).get("full_name")
        number = issue.get("number")
        if not isinstance(repository, str) or not isinstance(number, int):
            return WebhookReply(400, {"error": "an issues event without repository or number"})
        with self.store.session() as s:
            if delivery and not s.deliveries.claim(f"github:delivery:{delivery}"):
                return WebhookReply(200, {"ok": True, "duplicate": True})
            tracked = s.tracked.at(repository, number) or self._adopt(s, repository, issue)
            if tracked is None:
                return WebhookReply(200, {"ok": True, "tracked": False})
            updated = self._apply(tracked, action, issue, payload, s)
            s.tracked.save(updated)
        log.info(
            "webhook.applied",
            delivery=delivery,
            action=action,
            draft_id=updated.draft_id,
            issue=updated.key,
            state=updated.state.value,
        )
        return WebhookReply(200, {"ok": True, "tracked": True, "draft_id": updated.draft_id})

    def _pull_event(
        self, event: str, action: Any, payload: dict[str, Any], delivery: str
    ) -> WebhookReply:
        """A pull request opened, edited, pushed to, reopened or closed links it (see
        bot.github.pull_links); a completed check on a merge commit has its checks read again
        by the next sweep. The sweep reads GitHub itself, so a lost delivery costs only time."""
        if action not in PULL_EVENTS[event]:
            return WebhookReply(200, {"ok": True, "ignored": f"{event} {action or ''}".strip()})
        repository = (payload.get("repository") or {}).get("full_name")
        if not isinstance(repository, str):
            return WebhookReply(400, {"error": f"a {event} event without its repository"})
        with self.store.session() as s:
            if delivery and not s.deliveries.claim(f"github:delivery:{delivery}"):
                return WebhookReply(200, {"ok": True, "duplicate": True})
            if event == "pull_request":
                linked = record_pull(s, payload.get("pull_request") or {}, "webhook")
                reply = {"ok": True, "linked": linked}
            else:
                sha = (payload.get(event) or {}).get("head_sha")
                stale = checks_changed(s, repository, sha) if isinstance(sha, str) else []
                reply = {"ok": True, "recheck": stale}
        log.info("webhook.applied", delivery=delivery, action=action, github_event=event)
        return WebhookReply(200, reply)

    def _push(self, payload: dict[str, Any], delivery: str) -> WebhookReply:
        """A push to a default branch that touches the template: read it before the next
        draft (drafts already started keep their version)."""
        repository = payload.get("repository") or {}
        name, branch = repository.get("full_name"), repository.get("default_branch")
        if self.templates is None or not isinstance(name, str):
            return WebhookReply(200, {"ok": True, "ignored": "push"})
        if payload.get("ref") != f"refs/heads/{branch}":
            return WebhookReply(200, {"ok": True, "ignored": "push to another branch"})
        paths: set[str] = set()
        for commit in payload.get("commits") or []:
            for kind in ("added", "modified", "removed"):
                paths.update(p for p in commit.get(kind) or [] if isinstance(p, str))
        touched = self.templates.changed(name, paths)
        if touched:
            after = payload.get("after")
            log.info("template.pushed", delivery=delivery, repository=name, sha=after)
        return WebhookReply(200, {"ok": True, "template_changed": touched})

    def _adopt(self, s: Session, repository: str, issue: dict[str, Any]) -> TrackedIssue | None:
        """Start tracking the issue if its marker names a draft filed as exactly this issue."""
        draft_id = parse_issue(self.template, issue.get("body") or "").draft_id
        if draft_id is None:
            return None
        try:
            draft = s.drafts.get(draft_id)
        except UnknownDraft:
            return None
        if draft.status is not DraftStatus.FILED or draft.issue_number != issue.get("number"):
            return None
        if s.tracked.get(draft.id) is not None:
            return None  # tracked at another address: only a `transferred` event moves it
        filed_repository = tracking.repository_of(draft, repository)
        if (filed_repository or "").lower() != repository.lower():
            return None
        filed_at = draft.updated_at or s.now
        return tracking.from_draft(draft, repository, filed_at)

    def _apply(
        self,
        tracked: TrackedIssue,
        action: str,
        issue: dict[str, Any],
        payload: dict[str, Any],
        s: Session,
    ) -> TrackedIssue:
        if action == "deleted":
            return tracking.gone(tracked, SeenFrom.WEBHOOK, s.now)
        if action == "transferred":
            changes = payload.get("changes") or {}
            new_issue = changes.get("new_issue") or {}
            new_repository = (changes.get("new_repository") or {}).get("full_name")
            new_number = new_issue.get("number")
            if isinstance(new_repository, str) and isinstance(new_number, int):
                return tracking.moved(
                    tracked, new_repository, new_number, new_issue.get("html_url") or ""
                )
            return tracking.gone(tracked, SeenFrom.WEBHOOK, s.now)
        own = (
            self.draft_templates.issue_templates(s)
            if self.draft_templates is not None
            else self.template
        )
        return tracking.observe(tracked, observation(issue, SeenFrom.WEBHOOK), own, s.now)
