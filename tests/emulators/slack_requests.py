"""Requests to the bot, sent the way Slack sends them, for end-to-end tests.

`SlackRequests` posts slash commands (form-encoded), Events API callbacks (JSON) and
interactions (form-encoded, one `payload` field of JSON) to the bot's HTTP endpoint, signed
like Slack: `X-Slack-Signature: v0=HMAC-SHA256(signing_secret, "v0:{timestamp}:{body}")` and
`X-Slack-Request-Timestamp`. The clock is settable (stale requests), retries carry
`X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, and a recorded request can be replayed with a
tampered body.

Given a `SlackEmulator`, what a person does is recorded there as well (their messages, edits,
slash commands), message timestamps come from the emulator's clock, response_urls point at
the emulator, and a click on a button is built from the message the bot actually posted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from tests.emulators.slack_api import (
    ALICE,
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    RELIABILITY,
    START_TS,
    TEAM_DOMAIN,
    TEAM_ID,
    TS_STEP_MICROS,
    Message,
    SlackEmulator,
    ts_string,
)

# Slack's documented example secret and a legacy verification token: obviously fake values.
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VERIFICATION_TOKEN = "gIkuvaNzQIHg97ATvDxqgjtO"
COMMAND = "/milestone"
CHALLENGE = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"

_URL = re.compile(r"(?<![<|])\bhttps?://[^\s<>]+")
_STATEFUL = {"static_select", "multi_static_select", "checkboxes", "radio_buttons", "overflow"}


def signature(signing_secret: str, timestamp: int | str, body: bytes | str) -> str:
    """Slack's request signature: "v0=" + hex HMAC-SHA256 of "v0:{timestamp}:{body}"."""
    raw = body if isinstance(body, bytes) else body.encode("utf-8")
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def slack_escape(text: str) -> str:
    """Escape &, < and > as Slack does in the text it delivers."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def as_typed(text: str) -> str:
    """The `text` Slack delivers for what a person typed: escaped, bare URLs wrapped in <>."""
    escaped = slack_escape(text)
    return _URL.sub(lambda m: f"<{m.group(0)}>", escaped)


def rich_text_blocks(text: str, block_id: str) -> list[dict[str, Any]]:
    """The rich_text block Slack's client attaches to a typed message."""
    return [
        {
            "type": "rich_text",
            "block_id": block_id,
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
            ],
        }
    ]


@dataclass(frozen=True)
class SentRequest:
    """A request as it went to the bot: enough to retry or replay it."""

    url: str
    body: bytes
    headers: dict[str, str]
    payload: dict[str, Any]  # the event envelope, the form fields, or the interaction payload
    kind: str  # "event", "command", "interaction", "url_verification" or "raw"
    retry_num: int = 0


@dataclass(frozen=True)
class BotResponse:
    """What the bot answered."""

    status: int
    headers: dict[str, str]  # lower-cased names
    body: str
    request: SentRequest
    message: Message | None = field(default=None, compare=False)  # the person's message, if any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body)


class SlackRequests:
    """Sends Slack's requests to the bot at `url` (e.g. http://127.0.0.1:PORT/slack/events).

    `emulator` (optional) records the human side and mints response_urls and trigger_ids.
    `clock` gives the signing time (seconds); set it, or pass `timestamp=` to a send, to make
    a stale request. Identities default to the emulator's (or the module constants).
    """

    def __init__(
        self,
        url: str,
        *,
        signing_secret: str = SIGNING_SECRET,
        emulator: SlackEmulator | None = None,
        clock: Callable[[], float] = time.time,
        team_id: str | None = None,
        team_domain: str | None = None,
        api_app_id: str | None = None,
        bot_user_id: str | None = None,
        verification_token: str = VERIFICATION_TOKEN,
        commands_url: str | None = None,
        interactions_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.commands_url = commands_url or url
        self.interactions_url = interactions_url or url
        self.signing_secret = signing_secret
        self.emulator = emulator
        self.clock = clock
        self.team_id = team_id or (emulator.team_id if emulator else TEAM_ID)
        self.team_domain = team_domain or (emulator.team_domain if emulator else TEAM_DOMAIN)
        self.api_app_id = api_app_id or (emulator.app_id if emulator else APP_ID)
        self.bot_user_id = bot_user_id or (emulator.bot_user_id if emulator else BOT_USER_ID)
        self.verification_token = verification_token
        self.timeout = timeout
        self.sent: list[SentRequest] = []
        self._numbers = itertools.count(1)
        self._forms: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
        self._tick = 0

    # -- sending ---------------------------------------------------------------------------

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        url: str | None = None,
        timestamp: int | None = None,
        retry_num: int = 0,
        retry_reason: str = "http_timeout",
        headers: Mapping[str, str] | None = None,
        payload: dict[str, Any] | None = None,
        kind: str = "raw",
    ) -> BotResponse:
        """Sign and POST a body; every other send goes through here."""
        ts = int(self.clock()) if timestamp is None else int(timestamp)
        sent_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": signature(self.signing_secret, ts, body),
        }
        if retry_num:
            sent_headers["X-Slack-Retry-Num"] = str(retry_num)
            sent_headers["X-Slack-Retry-Reason"] = retry_reason
        sent_headers.update(headers or {})
        request = SentRequest(
            url or self.url, body, sent_headers, payload or {}, kind, retry_num=retry_num
        )
        return self._send(request)

    def replay(
        self,
        request: SentRequest,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> BotResponse:
        """Send a recorded request again byte for byte (same signature), optionally altered:
        a different body with the old signature is a tampered request."""
        altered = SentRequest(
            request.url,
            request.body if body is None else body,
            {**request.headers, **(headers or {})},
            request.payload,
            request.kind,
            request.retry_num,
        )
        return self._send(altered)

    def retry(self, request: SentRequest, *, reason: str = "http_timeout") -> BotResponse:
        """Slack's retry of an undelivered request: same body, next X-Slack-Retry-Num."""
        content_type = request.headers.get("Content-Type", "application/json")
        return self.post(
            request.body,
            content_type,
            url=request.url,
            retry_num=request.retry_num + 1,
            retry_reason=reason,
            payload=request.payload,
            kind=request.kind,
        )

    def _send(self, request: SentRequest) -> BotResponse:
        self.sent.append(request)
        http_request = urllib.request.Request(
            request.url, data=request.body, headers=request.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(http_request, timeout=self.timeout) as reply:
                status, reply_headers, raw = reply.status, reply.headers, reply.read()
        except urllib.error.HTTPError as error:
            status, reply_headers, raw = error.code, error.headers, error.read()
        headers = {k.lower(): v for k, v in reply_headers.items()}
        return BotResponse(status, headers, raw.decode("utf-8", "replace"), request)

    def send_event(
        self,
        event: dict[str, Any],
        *,
        timestamp: int | None = None,
        event_id: str | None = None,
        **envelope: Any,
    ) -> BotResponse:
        """Wrap an event in Slack's event_callback envelope and send it as JSON."""
        payload = self.envelope(event, event_id=event_id, **envelope)
        body = json.dumps(payload).encode()
        return self.post(
            body, "application/json", timestamp=timestamp, payload=payload, kind="event"
        )

    def send_form(
        self, fields: Mapping[str, str], *, url: str | None = None, timestamp: int | None = None
    ) -> BotResponse:
        body = urlencode(fields).encode()
        return self.post(
            body,
            "application/x-www-form-urlencoded",
            url=url or self.commands_url,
            timestamp=timestamp,
            payload=dict(fields),
            kind="command",
        )

    def send_interaction(
        self, payload: dict[str, Any], *, timestamp: int | None = None
    ) -> BotResponse:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.post(
            body,
            "application/x-www-form-urlencoded",
            url=self.interactions_url,
            timestamp=timestamp,
            payload=payload,
            kind="interaction",
        )

    # -- ids and lookups -------------------------------------------------------------------

    def _number(self) -> int:
        return next(self._numbers)

    def next_ts(self) -> str:
        if self.emulator is not None:
            return self.emulator.next_ts()
        self._tick += 1
        return ts_string(START_TS * 1_000_000 + self._tick * TS_STEP_MICROS)

    def trigger_id(self) -> str:
        if self.emulator is not None:
            return self.emulator.new_trigger_id()
        n = self._number()
        return f"{1_000_000_000 + n}.{1_000_000_001}.{hashlib.md5(str(n).encode()).hexdigest()}"

    def response_url(
        self,
        channel: str,
        user: str,
        *,
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        if self.emulator is not None:
            return self.emulator.new_response_url(
                channel, user, message_ts=message_ts, thread_ts=thread_ts
            )
        n = self._number()
        return f"https://hooks.slack.com/commands/{self.team_id}/{1_000_000_000 + n}/x{n:023d}"

    def _channel_type(self, channel: str) -> str:
        if self.emulator is not None:
            try:
                ch = self.emulator.channel(channel)
            except KeyError:
                ch = None
            if ch is not None:
                if ch.is_im:
                    return "im"
                if ch.is_mpim:
                    return "mpim"
                return "group" if ch.is_private else "channel"
        return {"D": "im", "G": "group"}.get(channel[:1], "channel")

    def _channel_name(self, channel: str) -> str:
        if channel.startswith("D"):
            return "directmessage"
        if self.emulator is not None:
            try:
                return self.emulator.channel(channel).name or channel
            except KeyError:
                return channel
        return channel

    def _user_name(self, user: str) -> str:
        if self.emulator is not None:
            try:
                return self.emulator.user(user).name
            except KeyError:
                return user
        return user

    def _event_context(self, channel: str | None) -> str:
        data = {"et": "message", "tid": self.team_id, "aid": self.api_app_id, "cid": channel}
        encoded = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode())
        return "4-" + encoded.decode().rstrip("=")

    def envelope(
        self, event: dict[str, Any], *, event_id: str | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """Slack's event_callback envelope around an event."""
        event_ts = str(event.get("event_ts") or event.get("ts") or self.next_ts())
        payload: dict[str, Any] = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev0{self._number():08d}",
            "event_time": int(float(event_ts)),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": self._event_context(event.get("channel")),
        }
        payload.update(overrides)
        return payload

    # -- slash commands ---------------------------------------------------------------------

    def slash_command(
        self,
        text: str = "",
        *,
        command: str = COMMAND,
        user_id: str = ALICE,
        channel_id: str = RELIABILITY,
        team_id: str | None = None,
        response_url: str | None = None,
        trigger_id: str | None = None,
        typed: bool = True,
        timestamp: int | None = None,
    ) -> BotResponse:
        """A slash command, form-encoded with every field Slack sends.

        `typed` escapes &, < and > as Slack does; pass typed=False to send `text` verbatim.
        """
        invocation = None
        if self.emulator is not None:
            invocation = self.emulator.record_command(user_id, channel_id, command, text)
        fields = {
            "token": self.verification_token,
            "team_id": team_id or self.team_id,
            "team_domain": self.team_domain,
            "enterprise_id": "",
            "enterprise_name": "",
            "channel_id": channel_id,
            "channel_name": self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": self._user_name(user_id),
            "command": command,
            "text": slack_escape(text) if typed else text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url or self.response_url(channel_id, user_id),
            "trigger_id": trigger_id or self.trigger_id(),
        }
        return _with_message(self.send_form(fields, timestamp=timestamp), invocation)

    # -- message events ----------------------------------------------------------------------

    def message_event(
        self,
        text: str,
        *,
        user: str = ALICE,
        channel: str = RELIABILITY,
        thread_ts: str | None = None,
        typed: bool = True,
        blocks: list[dict[str, Any]] | None = None,
        timestamp: int | None = None,
        event_id: str | None = None,
    ) -> BotResponse:
        """A person posts a message (in a thread when thread_ts is given).

        `typed` converts `text` as Slack's client does (escaping, links); the event also
        carries the rich_text block the client attaches, unless `blocks` replaces it.
        """
        wire_text = as_typed(text) if typed else text
        n = self._number()
        block_list = blocks if blocks is not None else rich_text_blocks(text, f"rt{n:04d}")
        if self.emulator is not None:
            recorded = self.emulator.post_user_message(
                user, channel, wire_text, thread_ts=thread_ts, blocks=block_list
            )
            ts, thread_ts = recorded.ts, recorded.thread_ts
        else:
            recorded, ts = None, self.next_ts()
        event: dict[str, Any] = {
            "user": user,
            "type": "message",
            "ts": ts,
            "client_msg_id": f"{n:08x}-5e1f-4c3a-9d2b-{n:012x}",
            "text": wire_text,
            "team": self.team_id,
            "blocks": block_list,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
            event["parent_user_id"] = self._parent_user(channel, thread_ts, user)
        event.update(
            {"channel": channel, "event_ts": ts, "channel_type": self._channel_type(channel)}
        )
        response = self.send_event(event, timestamp=timestamp, event_id=event_id)
        return _with_message(response, recorded)

    def _parent_user(self, channel: str, thread_ts: str, fallback: str) -> str:
        if self.emulator is not None:
            try:
                return self.emulator.message(channel, thread_ts).user or fallback
            except KeyError:
                return fallback
        return fallback

    def _user_message_json(self, m: Message) -> dict[str, Any]:
        data: dict[str, Any] = {
            "client_msg_id": f"{int(m.ts.replace('.', '')) % 16**8:08x}-5e1f-4c3a-9d2b-cafe",
            "type": "message",
            "text": m.text,
            "user": m.user,
            "team": self.team_id,
            "ts": m.ts,
        }
        if m.blocks is not None:
            data["blocks"] = m.blocks
        if m.edited:
            data["edited"] = dict(m.edited)
        if m.thread_ts:
            data["thread_ts"] = m.thread_ts
            if m.is_reply:
                data["parent_user_id"] = self._parent_user(m.channel, m.thread_ts, m.user)
        data["source_team"] = self.team_id
        data["user_team"] = self.team_id
        return data

    def message_changed(
        self,
        ts: str,
        text: str,
        *,
        channel: str = RELIABILITY,
        user: str = ALICE,
        previous_text: str | None = None,
        thread_ts: str | None = None,
        typed: bool = True,
        timestamp: int | None = None,
    ) -> BotResponse:
        """A person edits their message `ts` (subtype message_changed, hidden)."""
        wire_text = as_typed(text) if typed else text
        new_blocks = rich_text_blocks(text, f"rt{self._number():04d}")
        if self.emulator is not None:
            before, after = self.emulator.edit_user_message(
                channel, ts, wire_text, blocks=new_blocks
            )
            event_ts = (after.edited or {}).get("ts") or self.next_ts()
        else:
            event_ts = self.next_ts()
            old = previous_text if previous_text is not None else ""
            before = Message(channel, ts, user, old, "user", thread_ts=thread_ts)
            after = Message(
                channel,
                ts,
                user,
                wire_text,
                "user",
                blocks=new_blocks,
                thread_ts=thread_ts,
                edited={"user": user, "ts": event_ts},
            )
        event = {
            "type": "message",
            "subtype": "message_changed",
            "message": self._user_message_json(after),
            "previous_message": self._user_message_json(before),
            "channel": channel,
            "hidden": True,
            "ts": event_ts,
            "event_ts": event_ts,
            "channel_type": self._channel_type(channel),
        }
        return self.send_event(event, timestamp=timestamp)

    def message_deleted(
        self,
        ts: str,
        *,
        channel: str = RELIABILITY,
        user: str = ALICE,
        previous_text: str = "",
        timestamp: int | None = None,
    ) -> BotResponse:
        """A message `ts` is deleted (subtype message_deleted, hidden)."""
        if self.emulator is not None:
            before = self.emulator.delete_message(channel, ts)
        else:
            before = Message(channel, ts, user, previous_text, "user")
        event_ts = self.next_ts()
        previous = (
            self.emulator.message_json(before)
            if self.emulator is not None and before.bot_id
            else self._user_message_json(before)
        )
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "deleted_ts": ts,
            "channel": channel,
            "previous_message": previous,
            "event_ts": event_ts,
            "ts": event_ts,
            "channel_type": self._channel_type(channel),
        }
        return self.send_event(event, timestamp=timestamp)

    def bot_message(
        self,
        text: str,
        *,
        channel: str = RELIABILITY,
        bot_id: str = "B0DEPLOY01",
        username: str = "deploy-bot",
        thread_ts: str | None = None,
        timestamp: int | None = None,
    ) -> BotResponse:
        """Another integration posts (subtype bot_message)."""
        if self.emulator is not None:
            recorded = self.emulator.post_bot_message(
                channel, text, bot_id=bot_id, username=username, thread_ts=thread_ts
            )
            ts, thread_ts = recorded.ts, recorded.thread_ts
        else:
            recorded, ts = None, self.next_ts()
        event: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "text": text,
            "ts": ts,
            "username": username,
            "bot_id": bot_id,
            "icons": {"emoji": ":robot_face:"},
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        event.update(
            {"channel": channel, "event_ts": ts, "channel_type": self._channel_type(channel)}
        )
        return _with_message(self.send_event(event, timestamp=timestamp), recorded)

    def echo(self, message: Message, *, timestamp: int | None = None) -> BotResponse:
        """The message event Slack sends the app for a message the bot itself posted."""
        if self.emulator is not None:
            event = self.emulator.message_json(message)
        else:
            event = {
                "type": "message",
                "text": message.text,
                "user": self.bot_user_id,
                "bot_id": BOT_ID,
                "app_id": self.api_app_id,
                "ts": message.ts,
                "team": self.team_id,
            }
            if message.thread_ts:
                event["thread_ts"] = message.thread_ts
        event.update(
            {
                "channel": message.channel,
                "event_ts": message.ts,
                "channel_type": self._channel_type(message.channel),
            }
        )
        return self.send_event(event, timestamp=timestamp)

    def channel_join(
        self,
        user: str,
        *,
        channel: str = RELIABILITY,
        inviter: str | None = None,
        timestamp: int | None = None,
    ) -> BotResponse:
        """A person (or the bot) joins a channel (subtype channel_join)."""
        ts = self.emulator.join(user, channel).ts if self.emulator else self.next_ts()
        event: dict[str, Any] = {
            "type": "message",
            "subtype": "channel_join",
            "ts": ts,
            "user": user,
            "text": f"<@{user}> has joined the channel",
        }
        if inviter:
            event["inviter"] = inviter
        event.update(
            {"channel": channel, "event_ts": ts, "channel_type": self._channel_type(channel)}
        )
        return self.send_event(event, timestamp=timestamp)

    def url_verification(
        self, challenge: str = CHALLENGE, *, timestamp: int | None = None
    ) -> BotResponse:
        """Slack's endpoint check: the bot must echo the challenge."""
        payload = {"token": self.verification_token, "challenge": challenge}
        payload["type"] = "url_verification"
        return self.post(
            json.dumps(payload).encode(),
            "application/json",
            timestamp=timestamp,
            payload=payload,
            kind="url_verification",
        )

    # -- interactions ------------------------------------------------------------------------

    def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        selected: str | Iterable[str] | None = None,
        user: str = ALICE,
        channel: str = RELIABILITY,
        message_ts: str | None = None,
        thread_ts: str | None = None,
        block_id: str | None = None,
        action_type: str | None = None,
        text: str | None = None,
        container: dict[str, Any] | None = None,
        response_url: str | None = None,
        actions: list[dict[str, Any]] | None = None,
        message: dict[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> BotResponse:
        """A person clicks a button, picks from a static select, or ticks checkboxes.

        With an emulator and `message_ts`, the element is looked up in the message the bot
        posted (LookupError if it is not there: a person can only click what is shown);
        `selected` names options by value or by their visible text. Without one, describe
        the element with `block_id`, `action_type` and `text`, or pass `actions` outright.
        """
        action_ts = f"{self.clock():.6f}"
        posted: Message | None = None
        if self.emulator is not None and message_ts is not None:
            posted = self.emulator.message(channel, message_ts)
            thread_ts = thread_ts or posted.thread_ts
        blocks = (posted.blocks if posted else None) or (message or {}).get("blocks") or []
        state: dict[str, dict[str, Any]] = _initial_state(blocks)
        # Slack sends the message's whole form state with every click: what the person
        # ticked or picked earlier in the same message is remembered here.
        form = self._forms.setdefault((channel, message_ts or ""), {})
        for remembered_block, values in form.items():
            state.setdefault(remembered_block, {}).update(values)
        if actions is None:
            found = _find_element(blocks, action_id)
            if found is None and (posted is not None or message is not None):
                shown = sorted(_action_ids(blocks))
                raise LookupError(
                    f"no element with action_id {action_id!r} in message {message_ts}; "
                    f"it shows {shown}"
                )
            if found is None:
                kind = action_type or _guess_type(selected)
                element = _synthetic_element(kind, action_id, value, selected, text)
                found_block_id = block_id or "actions"
            else:
                found_block_id, element = found
            action = _action(element, found_block_id, value, selected, action_ts)
            actions = [action]
            if element.get("type") in _STATEFUL:
                state.setdefault(found_block_id, {})[action_id] = _state_of(action)
                form.setdefault(found_block_id, {})[action_id] = _state_of(action)
        is_ephemeral = bool(posted and posted.is_ephemeral)
        if container is None:
            container = {
                "type": "message",
                "message_ts": message_ts or (message or {}).get("ts", ""),
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
            if thread_ts:
                container["thread_ts"] = thread_ts
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": user,
                "username": self._user_name(user),
                "name": self._user_name(user),
                "team_id": self.team_id,
            },
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "container": container,
            "trigger_id": self.trigger_id(),
            "team": {"id": self.team_id, "domain": self.team_domain},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": self._channel_name(channel)},
        }
        if posted is not None and not is_ephemeral and self.emulator is not None:
            payload["message"] = self.emulator.message_json(posted)
        elif message is not None:
            payload["message"] = message
        payload["state"] = {"values": state}
        payload["response_url"] = response_url or self.response_url(
            channel, user, message_ts=message_ts, thread_ts=thread_ts
        )
        payload["actions"] = actions
        return self.send_interaction(payload, timestamp=timestamp)


# --- block_actions helpers --------------------------------------------------------------------


def _with_message(response: BotResponse, message: Message | None) -> BotResponse:
    return BotResponse(
        response.status, response.headers, response.body, response.request, message=message
    )


def _elements(blocks: list[dict[str, Any]]) -> Iterable[tuple[str, dict[str, Any]]]:
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        if block.get("type") == "actions":
            for el in block.get("elements") or []:
                if isinstance(el, dict):
                    yield block_id, el
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"]


def _action_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return {str(el.get("action_id")) for _, el in _elements(blocks) if el.get("action_id")}


def _find_element(
    blocks: list[dict[str, Any]], action_id: str
) -> tuple[str, dict[str, Any]] | None:
    for block_id, el in _elements(blocks):
        if el.get("action_id") == action_id:
            return block_id, el
    return None


def _guess_type(selected: str | Iterable[str] | None) -> str:
    if selected is None:
        return "button"
    return "static_select" if isinstance(selected, str) else "checkboxes"


def _option(label: str, value: str, *, mrkdwn: bool = False) -> dict[str, Any]:
    text = {"type": "mrkdwn", "text": label, "verbatim": False} if mrkdwn else None
    text = text or {"type": "plain_text", "text": label, "emoji": True}
    return {"text": text, "value": value}


def _synthetic_element(
    kind: str,
    action_id: str,
    value: str | None,
    selected: str | Iterable[str] | None,
    text: str | None,
) -> dict[str, Any]:
    if kind == "button":
        element: dict[str, Any] = {
            "type": "button",
            "action_id": action_id,
            "text": {"type": "plain_text", "text": text or action_id, "emoji": True},
        }
        if value is not None:
            element["value"] = value
        return element
    chosen = [selected] if isinstance(selected, str) else list(selected or [])
    mrkdwn = kind in ("checkboxes", "radio_buttons")
    return {
        "type": kind,
        "action_id": action_id,
        "options": [_option(v, v, mrkdwn=mrkdwn) for v in chosen],
    }


def _pick(element: dict[str, Any], wanted: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for opt in options:
        if opt.get("value") == wanted or opt.get("text", {}).get("text") == wanted:
            return opt
    shown = [o.get("text", {}).get("text") for o in options]
    raise LookupError(f"{wanted!r} is not an option of {element.get('action_id')}: {shown}")


def _action(
    element: dict[str, Any],
    block_id: str,
    value: str | None,
    selected: str | Iterable[str] | None,
    action_ts: str,
) -> dict[str, Any]:
    kind = element.get("type")
    action: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block_id,
    }
    if kind == "button":
        shown_value = element.get("value")
        if value is not None and shown_value is not None and value != shown_value:
            raise ValueError(f"the button carries value {shown_value!r}, not {value!r}")
        action["text"] = element.get("text")
        if shown_value is not None or value is not None:
            action["value"] = shown_value if shown_value is not None else value
        if element.get("style"):
            action["style"] = element["style"]
    elif kind in ("static_select", "radio_buttons", "overflow"):
        if not isinstance(selected, str):
            raise ValueError(f"{kind} needs selected=<one option's value or text>")
        action["selected_option"] = _pick(element, selected)
        if element.get("placeholder"):
            action["placeholder"] = element["placeholder"]
    elif kind in ("checkboxes", "multi_static_select"):
        wanted = [selected] if isinstance(selected, str) else list(selected or [])
        picked = [_pick(element, w) for w in wanted]
        order = [o.get("value") for o in element.get("options") or []]
        picked.sort(key=lambda o: order.index(o.get("value")) if o.get("value") in order else 0)
        action["selected_options"] = picked
    elif value is not None:
        action["value"] = value
    action["action_ts"] = action_ts
    return action


def _state_of(action: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {"type": action["type"]}
    if "selected_option" in action:
        state["selected_option"] = action["selected_option"]
    if "selected_options" in action:
        state["selected_options"] = action["selected_options"]
    return state


def _initial_state(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """state.values as Slack sends it: every stateful element's current selection."""
    values: dict[str, dict[str, Any]] = {}
    for block_id, el in _elements(blocks):
        kind = el.get("type")
        if kind not in _STATEFUL or kind == "overflow" or not el.get("action_id"):
            continue
        entry: dict[str, Any] = {"type": kind}
        if kind in ("checkboxes", "multi_static_select"):
            entry["selected_options"] = list(el.get("initial_options") or [])
        else:
            entry["selected_option"] = el.get("initial_option")
        values.setdefault(block_id, {})[str(el["action_id"])] = entry
    return values
