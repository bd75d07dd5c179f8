"""Signed GitHub webhook deliveries for tests, built from a GitHubEmulator's current state.

The payloads follow GitHub's ``issues`` event (see octokit/webhooks' examples, e.g.
issues/edited.json): ``action``, ``issue``, ``changes`` (edited only), ``label`` (labeled /
unlabeled), ``repository``, ``organization`` (organization-owned repos), ``sender`` and
``installation`` (when an app installation covers the repository). Deliveries carry the
headers GitHub's Hookshot sends, signed with HMAC-SHA256 over the exact body bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.emulators.github_api import GitHubEmulator, node_id

HOOK_ID = 109948940
USER_AGENT = "GitHub-Hookshot/8b2c5a1"


def sign_webhook(secret: str | bytes, body: bytes) -> str:
    """The X-Hub-Signature-256 value GitHub sends for ``body``: "sha256=<hex hmac>"."""
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def _sign_sha1(secret: str | bytes, body: bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()


@dataclass(frozen=True)
class WebhookDelivery:
    """What was sent and what the receiver answered."""

    delivery_id: str
    event: str
    payload: dict[str, Any]
    body: bytes
    request_headers: dict[str, str]
    status: int
    response_headers: dict[str, str]
    response_body: bytes


def issues_event(
    emulator: GitHubEmulator,
    repo: str,
    number: int,
    *,
    action: str = "edited",
    changes: Mapping[str, Any] | None = None,
    sender: str | None = None,
    label: str | None = None,
) -> dict[str, Any]:
    """An ``issues`` event payload for ``repo#number`` as the emulator holds it now.

    For ``action="edited"`` without ``changes``, the changes and sender of the issue's last
    title/body edit (through the API or ``emulator.edit_issue``/``tick_checkbox``) are used.
    """
    issue = emulator.issue_json(repo, number)
    payload: dict[str, Any] = {"action": action, "issue": issue}
    last_changes, last_actor = emulator.last_changes(repo, number)
    if action == "edited":
        payload["changes"] = dict(changes) if changes is not None else last_changes
    elif changes is not None:
        payload["changes"] = dict(changes)
    if label is not None:
        payload["label"] = emulator.label_json(repo, label)
    payload["repository"] = emulator.repo_json(repo)
    organization = emulator.organization_json(payload["repository"]["owner"]["login"])
    if organization is not None:
        payload["organization"] = organization
    who = sender or (last_actor if action == "edited" else None) or issue["user"]["login"]
    payload["sender"] = emulator.account_json(who)
    installation = emulator.installation_for(repo)
    if installation is not None:
        payload["installation"] = {
            "id": installation.id,
            "node_id": node_id("IntegrationInstallation", installation.id),
        }
    return payload


def post_webhook(
    url: str,
    secret: str | bytes | None,
    event: str,
    payload: Mapping[str, Any],
    *,
    delivery_id: str | None = None,
    target_type: str = "repository",
    target_id: int | None = None,
    signature: str | None = None,
    timeout: float = 10.0,
) -> WebhookDelivery:
    """POST ``payload`` to ``url`` as GitHub delivers event ``event``.

    ``secret=None`` sends no signature headers; ``signature`` overrides the computed
    X-Hub-Signature-256 (to test rejection of a forged delivery).
    """
    body = json.dumps(payload, separators=(",", ":")).encode()
    delivery = delivery_id or str(uuid.uuid4())
    headers = {
        "Accept": "*/*",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-GitHub-Delivery": delivery,
        "X-GitHub-Event": event,
        "X-GitHub-Hook-ID": str(HOOK_ID),
        "X-GitHub-Hook-Installation-Target-ID": str(
            target_id if target_id is not None else payload.get("repository", {}).get("id", 0)
        ),
        "X-GitHub-Hook-Installation-Target-Type": target_type,
    }
    if secret is not None:
        headers["X-Hub-Signature"] = _sign_sha1(secret, body)
        headers["X-Hub-Signature-256"] = sign_webhook(secret, body)
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    # http.client keeps header names as GitHub spells them (urllib would re-case them).
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.netloc, timeout=timeout)
    try:
        target = parts.path or "/"
        connection.request(
            "POST", f"{target}?{parts.query}" if parts.query else target, body, headers
        )
        response = connection.getresponse()
        status, reply_headers, reply = response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()
    return WebhookDelivery(
        delivery, event, dict(payload), body, headers, status, reply_headers, reply
    )


def post_issues_event(
    url: str,
    secret: str | bytes | None,
    emulator: GitHubEmulator,
    repo: str,
    number: int,
    *,
    action: str = "edited",
    changes: Mapping[str, Any] | None = None,
    sender: str | None = None,
    label: str | None = None,
    delivery_id: str | None = None,
    timeout: float = 10.0,
) -> WebhookDelivery:
    """Deliver an ``issues`` event for ``repo#number`` built by ``issues_event``."""
    payload = issues_event(
        emulator, repo, number, action=action, changes=changes, sender=sender, label=label
    )
    installation = emulator.installation_for(repo)
    return post_webhook(
        url,
        secret,
        "issues",
        payload,
        delivery_id=delivery_id,
        target_type="integration" if installation else "repository",
        target_id=installation.app_id if installation else None,
        timeout=timeout,
    )
