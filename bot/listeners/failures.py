"""What every request gets whatever its listener does: a log context, and word of a failure.

`prepare_request` runs before Bolt dispatches each request (`PreparedApp`, over HTTP and
Socket Mode alike): it binds the request's correlation id (the event id, or the trigger id of
a command or a click) to the log context once, so every line logged while serving the
request carries it, and gives the request a `StickyAck`.
`FailureReporter.report` is the global error handler: a listener that raised is logged with
its traceback (`listener.failed`) and the author is told once that it didn't go through,
instead of hearing nothing.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient

from bot.log import bind_correlation, get_logger
from bot.recent import Recent

FAILED = (
    "Something went wrong on my side, so that didn't go through. Try again in a minute; if "
    "it happens again, tell whoever runs milestone-bot (their log says `listener.failed`)."
)
_REMEMBERED = 1000  # failures remembered, so a retried delivery is not told twice

log = get_logger()


def slack_correlation_id(body: dict[str, Any]) -> str | None:
    """The id Slack gives this delivery: the event id, else the command's or click's trigger."""
    return body.get("event_id") or body.get("trigger_id") or None


class StickyAck(Ack):
    """Bolt's `ack`, except that an ack once given is not taken back.

    When a listener raises just after acking, Bolt's thread runner sets `ack.response` back
    to None; the request thread, polling every 10 ms, may not have seen the ack yet, and then
    waits out Slack's 3 seconds and answers 404 ("didn't call ack()").
    """

    _given: BoltResponse | None = None

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated

    @property
    def response(self) -> BoltResponse | None:
        return self._given

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None or self._given is None:
            self._given = value


def prepare_request(request: BoltRequest) -> None:
    """One log context per Slack request, and an `ack` that is a StickyAck."""
    bind_correlation(slack_correlation_id(request.body))
    request.context["ack"] = StickyAck()


class PreparedApp(App):
    """Bolt's App, each request prepared (`prepare_request`) before it is dispatched.

    Not a global middleware: Bolt builds a middleware's arguments by inspecting it on every
    request, which cost as much as the preparing itself on the answer path.
    """

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        prepare_request(req)
        return super().dispatch(req)


class FailureReporter:
    """The global error handler, remembering whom it told (one word per failed delivery)."""

    def __init__(self) -> None:
        self._told: Recent[str, bool] = Recent(_REMEMBERED)

    def report(
        self,
        error: Exception,
        body: dict[str, Any],
        response: BoltResponse | None,
        respond: Any,
        client: WebClient,
    ) -> None:
        event = body.get("event") or {}
        user = event.get("user") or (body.get("user") or {}).get("id") or body.get("user_id")
        log.error(
            "listener.failed",
            error=type(error).__name__,
            kind=body.get("type") or ("command" if body.get("command") else None),
            user=user,
            exc_info=error,
        )
        key = slack_correlation_id(body) or body.get("response_url")
        first = bool(key) and self._first_time(str(key))
        if response is not None:
            # Not acked yet: Bolt would answer 500 and Slack show its own error beside ours.
            # A command is told in the ack itself (its response is an ephemeral message).
            told = first and bool(body.get("command"))
            response.status = 200
            notice = {"response_type": "ephemeral", "text": FAILED}
            response.body = json.dumps(notice) if told else ""
            response.headers["content-type"] = [
                "application/json;charset=utf-8" if told else "text/plain;charset=utf-8"
            ]
            if told:
                return
        if first:
            self._tell(body, event, user, respond, client)

    @staticmethod
    def _tell(
        body: dict[str, Any], event: dict[str, Any], user: str | None, respond: Any, client: Any
    ) -> None:
        by_response_url = bool(body.get("response_url")) and respond is not None
        try:
            if by_response_url:
                respond(text=FAILED, response_type="ephemeral", replace_original=False)
            elif user and event.get("channel"):
                client.chat_postEphemeral(
                    channel=event["channel"],
                    user=user,
                    text=FAILED,
                    thread_ts=event.get("thread_ts"),
                )
        except Exception as exc:  # noqa: BLE001 - the error handler itself must never raise
            method = "response_url" if by_response_url else "chat.postEphemeral"
            log.warning("slack.call_failed", method=method, reason=type(exc).__name__)

    def _first_time(self, key: str) -> bool:
        return self._told.add(key, True)
