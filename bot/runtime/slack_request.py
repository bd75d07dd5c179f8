"""Slack's HTTP requests read by what they are, not by a word in them.

Bolt's own parser (`slack_bolt.request.internals.parse_body`) treats any form body that
contains the substring "payload" as an interaction, so `/milestone new Validate payload size`
parses to `{}` and Bolt answers 404. Slack's kinds are told apart by their shape instead:
events are JSON; interactions are a form whose `payload` field holds the JSON; slash
commands (and `ssl_check`) are a form of plain fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_normalized_headers, extract_content_type


def parse_slack_body(raw: str, content_type: str | None) -> dict[str, Any]:
    """The request's payload: the event JSON, the interaction's `payload`, or the form."""
    if not raw:
        return {}
    form: dict[str, Any] = {}
    if content_type != "application/json" and not raw.lstrip().startswith("{"):
        form = dict(parse_qsl(raw, keep_blank_values=True))
        # An interaction's form has the field `payload`; a slash command's never does (its
        # text is URL-encoded inside `text`, whatever words it holds).
        if "payload" not in form or "command" in form:
            return form
        raw = form["payload"]
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}  # signed but unreadable: Bolt answers it as unhandled, not with a 500
    return parsed if isinstance(parsed, dict) else {}


class SlackHttpRequest(BoltRequest):
    """A BoltRequest over the raw body (its signature already checked by the route), parsed
    by shape."""

    def __init__(
        self,
        *,
        body: str,
        query: str | Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str | Sequence[str]] | None = None,
        context: dict[str, Any] | None = None,
    ) -> None:
        normalized = build_normalized_headers(dict(headers or {}))
        parsed = parse_slack_body(body, extract_content_type(normalized))
        # Bolt takes a body already parsed only in Socket Mode: given as one, its own
        # substring parser stays out of it and the context is built once, from `parsed`.
        super().__init__(
            body=parsed,
            query=query,  # type: ignore[arg-type]
            headers=normalized,
            context=context,
            mode="socket_mode",
        )
        self.raw_body = body
        self.mode = "http"

    def to_copyable(self) -> BoltRequest:
        return SlackHttpRequest(
            body=self.raw_body,
            query=self.query,
            headers=self.headers,
            context=self.context.to_copyable(),
        )
