"""Posting to Slack for the conversation: thread replies, updates and ephemeral notes.

A failed post is logged with the method and Slack's error and reported to the caller as
None; it never undoes what the store already committed (acknowledged means committed).
Every call is timed into `milestone_bot_slack_call_seconds{method}`; one that succeeded is
logged only if it took `SLOW_CALL_SECONDS` or more.
"""

from __future__ import annotations

import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.log import COUNT_ONLY, get_logger, redact

log = get_logger()

# A call answered faster is counted, not logged: there is one on every answer, and in the
# benchmark's server each line cost 3-4% of an answer (bench/README.md, fifth pass).
SLOW_CALL_SECONDS = 1.0


def slack_error(exc: SlackApiError) -> str:
    try:
        return str(exc.response.get("error") or exc.response.status_code)
    except Exception:  # noqa: BLE001 - an unparseable response still deserves a log line
        return "unknown"


class SlackPoster:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any] | None:
        return self._call_or_error(method, **kwargs)[0]

    def _call_or_error(self, method: str, **kwargs: Any) -> tuple[dict[str, Any] | None, str]:
        """(Slack's answer, "") or (None, the reason it failed)."""
        started = time.perf_counter()
        try:
            response = self.client.api_call(method, json=kwargs)
        except SlackApiError as exc:
            reason = slack_error(exc)
        except Exception as exc:  # noqa: BLE001 - network faults: logged, the answer is kept
            reason = redact(type(exc).__name__ + ": " + str(exc))[:300]
        else:
            reason = ""
        elapsed = time.perf_counter() - started
        duration_ms = round(elapsed * 1000, 1)
        if reason:
            log.warning(
                "slack.call_failed",
                method=method,
                reason=reason,
                channel=kwargs.get("channel"),
                duration_ms=duration_ms,
            )
            return None, reason
        log.info(
            "slack.call",
            method=method,
            channel=kwargs.get("channel"),
            duration_ms=duration_ms,
            **{COUNT_ONLY: elapsed < SLOW_CALL_SECONDS},
        )
        return (response.data if isinstance(response.data, dict) else None), ""

    def post(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> str | None:
        """Post a message; its ts, or None if Slack refused."""
        return self.post_or_error(channel, text, thread_ts=thread_ts, blocks=blocks)[0]

    def post_or_error(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> tuple[str | None, str]:
        """(the message's ts, "") or (None, Slack's error, such as not_in_channel)."""
        args: dict[str, Any] = {"channel": channel, "text": text[:3900]}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if blocks:
            args["blocks"] = blocks
        data, error = self._call_or_error("chat.postMessage", **args)
        return (str(data["ts"]) if data and "ts" in data else None), error

    def open_dm(self, user: str) -> str | None:
        """The id of the bot's DM with `user`, opening it if need be."""
        data = self._call("conversations.open", users=user)
        return str(data["channel"]["id"]) if data else None

    def update(
        self, channel: str, ts: str, text: str, *, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        args: dict[str, Any] = {"channel": channel, "ts": ts, "text": text[:3900]}
        args["blocks"] = blocks or []
        return self._call("chat.update", **args) is not None

    def ephemeral(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> bool:
        args: dict[str, Any] = {"channel": channel, "user": user, "text": text[:3900]}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if blocks:
            args["blocks"] = blocks
        return self._call("chat.postEphemeral", **args) is not None

    def permalink(self, channel: str, ts: str) -> str | None:
        try:
            response = self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError:
            return None
        link = response.get("permalink")
        return str(link) if link else None
