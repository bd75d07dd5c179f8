"""A Slack Web API emulator for end-to-end tests.

`SlackEmulator` is a real HTTP server on 127.0.0.1 (ephemeral port) that the real
`slack_sdk.WebClient(base_url=emulator.url, token=BOT_TOKEN)` talks to. It keeps a small
workspace (users with time zones, public/private channels and DMs, which of them the bot is
in, messages per channel with threads, edits, deletions, reactions and ephemeral messages),
records every call, and injects faults on demand (Slack errors, 429 with Retry-After, HTTP
500, slow replies, dropped connections).

It also serves `response_url`s (POST /response/<id>) so Bolt's `respond()` lands here too.
The human side of a conversation (typed messages, edits, slash commands) is recorded by
`tests.emulators.slack_requests.SlackRequests` through the `post_user_message` family, so
`messages()` and `transcript()` show the whole conversation in the order a person saw it.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import itertools
import json
import re
import socket
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

# --- The emulated workspace's identities (realistic shapes, fixed values) -------------------

TEAM_ID = "T0MSTEAM01"
TEAM_NAME = "Acme Reliability"
TEAM_DOMAIN = "acme-reliability"
BOT_USER_ID = "U0MSBOT001"
BOT_ID = "B0MSBOT001"
APP_ID = "A0MSAPP001"
BOT_NAME = "milestone-bot"
BOT_TOKEN = "xoxb-1000000000001-2000000000002-EmulatorBotToken0000001"

ALICE = "U0ALICE001"
BOB = "U0BOB00001"
CAROL = "U0CAROL001"

RELIABILITY = "C0RELIAB01"  # public, bot is a member
SRE_PRIVATE = "C0SREPRIV1"  # private, bot is a member
RANDOM = "C0RANDOM01"  # public, bot is not a member
SECRET = "C0SECRET01"  # private, bot is not a member

DEFAULT_SCOPES: tuple[str, ...] = (
    "commands",
    "chat:write",
    "channels:read",
    "groups:read",
    "im:read",
    "mpim:read",
    "im:write",
    "users:read",
    "reactions:write",
    "channels:join",
    "channels:history",
    "groups:history",
    "im:history",
)

START_TS = 1_700_000_000  # 2023-11-14T22:13:20Z; message ts values count up from here
TS_STEP_MICROS = 100
TEXT_LIMIT = 40_000  # chat.postMessage truncates longer text
RESPONSE_URL_USES = 5  # a response_url takes at most five posts
TRIGGER_TTL = 3.0  # seconds a trigger_id can be exchanged for a view (Slack: 3 seconds)
VIEW_TITLE_LIMIT = 24  # a modal's title, submit and close texts
HOME_BLOCKS = 100  # blocks in a modal or a Home tab
PRIVATE_METADATA_LIMIT = 3000

# Methods whose required bot scope the emulator checks (conversations.info checks per type).
METHOD_SCOPES: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "conversations.open": "im:write",
    "conversations.join": "channels:join",
    "users.info": "users:read",
    "reactions.add": "reactions:write",
}

_TZ_LABELS = {
    "PST": "Pacific Standard Time",
    "PDT": "Pacific Daylight Time",
    "MST": "Mountain Standard Time",
    "MDT": "Mountain Daylight Time",
    "CST": "Central Standard Time",
    "CDT": "Central Daylight Time",
    "EST": "Eastern Standard Time",
    "EDT": "Eastern Daylight Time",
    "GMT": "Greenwich Mean Time",
    "BST": "British Summer Time",
    "CET": "Central European Time",
    "CEST": "Central European Summer Time",
    "IST": "India Standard Time",
    "JST": "Japan Standard Time",
    "AEDT": "Australian Eastern Daylight Time",
    "AEST": "Australian Eastern Standard Time",
    "UTC": "Coordinated Universal Time",
}


# --- Workspace model ---------------------------------------------------------------------


@dataclass
class User:
    """A workspace member; `tz` None models a user with no time zone set."""

    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    tz: str | None = "America/Los_Angeles"
    tz_offset: int | None = None  # seconds east of UTC; None: computed from tz at START_TS
    email: str = ""
    title: str = ""
    is_bot: bool = False
    bot_id: str | None = None
    deleted: bool = False


@dataclass
class Channel:
    """A conversation. `members` holds user ids, the bot's user id included when it is in."""

    id: str
    name: str = ""
    is_private: bool = False
    is_im: bool = False
    is_mpim: bool = False
    user: str | None = None  # the other person of an IM
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    created: int = START_TS - 86_400 * 400
    creator: str = ALICE
    topic: str = ""
    purpose: str = ""


@dataclass
class Revision:
    """An earlier version of an edited message."""

    text: str
    blocks: list[dict[str, Any]] | None
    replaced_at: str  # the ts of the edit that replaced it


@dataclass
class Message:
    """A message as the workspace holds it.

    `source` says how it got there: "chat.postMessage", "chat.postEphemeral",
    "response_url", "user" (typed by a person), "bot_message" (another bot), "command"
    (a slash command invocation, shown only in transcripts) or "system" (channel_join).
    """

    channel: str
    ts: str
    user: str
    text: str
    source: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    username: str | None = None
    subtype: str | None = None
    ephemeral_to: str | None = None
    response_type: str | None = None
    metadata: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] | None = None
    reply_broadcast: bool = False
    edited: dict[str, str] | None = None
    revisions: list[Revision] = field(default_factory=list)
    deleted: bool = False
    reactions: dict[str, list[str]] = field(default_factory=dict)
    truncated: bool = False

    @property
    def is_ephemeral(self) -> bool:
        return self.ephemeral_to is not None

    @property
    def is_bot(self) -> bool:
        return self.bot_id is not None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    @property
    def is_edited(self) -> bool:
        return bool(self.revisions)

    def visible_to(self, viewer: str | None) -> bool:
        return viewer is None or self.ephemeral_to is None or self.ephemeral_to == viewer


@dataclass
class Call:
    """One HTTP request the emulator received, with what it answered."""

    seq: int
    method: str  # Web API method, or "response_url"
    params: dict[str, Any]
    headers: dict[str, str]
    http_method: str
    path: str
    encoding: str  # "json", "form", "query" or "none"
    at: float  # time.monotonic() on arrival, for ordering and the benchmark only
    status: int | None = None
    response: Any = None
    fault: str | None = None

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def param(self, name: str) -> Any:
        """The parameter, JSON-decoded when it arrived as a form field holding JSON."""
        value = self.params.get(name)
        if isinstance(value, str) and value[:1] in "[{":
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


@dataclass
class Fault:
    """An injected failure. `remaining` None: every matching call; otherwise the next N."""

    kind: str  # "error", "ratelimited", "status", "slow", "drop"
    remaining: int | None = 1
    after_processing: bool = False  # "drop": do the work first, then lose the answer
    error: str = ""
    status: int = 200
    retry_after: int = 1
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _ResponseTarget:
    channel: str
    user: str
    message_ts: str | None
    thread_ts: str | None
    uses: int = 0


class SlackError(Exception):
    """A Slack `{"ok": false, "error": ...}` answer, raised inside method handlers."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


def default_users() -> list[User]:
    return [
        User(
            ALICE, "alice", "Alice Nguyen", "Alice", "America/Los_Angeles", email="alice@acme.test"
        ),
        User(BOB, "bob", "Bob Okafor", "bob.o", "Europe/Berlin", email="bob@acme.test"),
        User(CAROL, "carol", "Carol Tanaka", "", "Asia/Tokyo", email="carol@acme.test"),
    ]


def default_channels(bot_user_id: str = BOT_USER_ID) -> list[Channel]:
    people = {ALICE, BOB, CAROL}
    return [
        Channel(RELIABILITY, "reliability", members=people | {bot_user_id}, purpose="Reliability"),
        Channel(SRE_PRIVATE, "sre-private", is_private=True, members={ALICE, BOB, bot_user_id}),
        Channel(RANDOM, "random", members=set(people)),
        Channel(SECRET, "incident-secret", is_private=True, members={ALICE, CAROL}),
    ]


def ts_string(micros: int) -> str:
    """Slack's "seconds.micros" message timestamp for a count of microseconds."""
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def _json_copy(value: Any) -> Any:
    """A deep copy of JSON data (what every request and response here is), by a JSON round
    trip: several times cheaper than `copy.deepcopy`, which made each message with blocks
    cost this emulator more CPU than the bot spent on it (the benchmark shares the machine's
    two cores with it). Anything JSON cannot carry is copied the slow way."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return copy.deepcopy(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


# --- Block Kit validation (the limits Slack enforces and slack_sdk's models mirror) ------------

BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
_OPTION_MENUS = {"static_select": (1, 100), "multi_static_select": (1, 100), "overflow": (2, 5)}
_OPTION_LISTS = {"checkboxes": (1, 10), "radio_buttons": (1, 10)}


def block_errors(blocks: Any, *, max_blocks: int = 50, root: str = "/blocks") -> list[str]:
    """Slack's `invalid_blocks` messages for these blocks, empty when Slack would take them."""
    errors: list[str] = []

    def err(message: str, pointer: str) -> None:
        errors.append(f"{message} [json-pointer:{pointer}]")

    def text_obj(obj: Any, ptr: str, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, dict):
            err("must be an object", ptr)
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            err("must be one of plain_text, mrkdwn", f"{ptr}/type")
        elif plain_only and kind != "plain_text":
            err("must be plain_text", f"{ptr}/type")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            err("must be more than 0 characters", f"{ptr}/text")
        elif len(text) > limit:
            err(f"must be less than {limit + 1} characters", f"{ptr}/text")

    def max_len(value: Any, limit: int, ptr: str) -> None:
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            err(f"must be a string of at most {limit} characters", ptr)

    def option(opt: Any, ptr: str, *, plain_only: bool) -> None:
        if not isinstance(opt, dict):
            err("must be an object", ptr)
            return
        text_obj(opt.get("text"), f"{ptr}/text", 75, plain_only=plain_only)
        max_len(opt.get("value"), 150, f"{ptr}/value")
        if opt.get("description") is not None:
            text_obj(opt["description"], f"{ptr}/description", 75, plain_only=True)

    def same_option(a: Any, b: Any) -> bool:
        return isinstance(a, dict) and isinstance(b, dict) and a.get("value") == b.get("value")

    def element(el: Any, ptr: str) -> None:
        if not isinstance(el, dict) or not isinstance(el.get("type"), str):
            err("must provide an element object with a type", ptr)
            return
        kind = el["type"]
        max_len(el.get("action_id"), 255, f"{ptr}/action_id")
        if el.get("placeholder") is not None:
            text_obj(el["placeholder"], f"{ptr}/placeholder", 150, plain_only=True)
        if kind == "button":
            text_obj(el.get("text"), f"{ptr}/text", 75, plain_only=True)
            max_len(el.get("value"), 2000, f"{ptr}/value")
            max_len(el.get("url"), 3000, f"{ptr}/url")
            if el.get("style") not in (None, "primary", "danger"):
                err("must be one of primary, danger", f"{ptr}/style")
        elif kind == "plain_text_input":
            limit = el.get("max_length", 3000)
            if not isinstance(limit, int) or not 1 <= limit <= 3000:
                err("must be between 1 and 3000", f"{ptr}/max_length")
                limit = 3000
            max_len(el.get("initial_value"), limit, f"{ptr}/initial_value")
        elif kind in _OPTION_MENUS or kind in _OPTION_LISTS:
            low, high = _OPTION_MENUS.get(kind) or _OPTION_LISTS[kind]
            options = el.get("options")
            if options is None and kind in ("static_select", "multi_static_select"):
                groups = el.get("option_groups")
                if not isinstance(groups, list) or not groups:
                    err("must provide options or option_groups", ptr)
                    return
                options = [o for g in groups if isinstance(g, dict) for o in g.get("options", [])]
            if not isinstance(options, list) or not low <= len(options) <= high:
                err(f"must provide between {low} and {high} options", f"{ptr}/options")
                return
            for j, opt in enumerate(options):
                option(opt, f"{ptr}/options/{j}", plain_only=kind not in _OPTION_LISTS)
            initial = el.get("initial_option")
            if initial is not None and not any(same_option(initial, o) for o in options):
                err("must match one of the options", f"{ptr}/initial_option")
            for j, chosen in enumerate(el.get("initial_options") or []):
                if not any(same_option(chosen, o) for o in options):
                    err("must match one of the options", f"{ptr}/initial_options/{j}")

    if not isinstance(blocks, list):
        return [f"must be an array [json-pointer:{root}]"]
    if len(blocks) > max_blocks:
        err(f"no more than {max_blocks} items allowed", root)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"{root}/{i}"
        if not isinstance(block, dict):
            err("must be an object", ptr)
            continue
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            err(f"unsupported type: {kind}", f"{ptr}/type")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not 0 < len(block_id) <= 255:
                err("must be between 1 and 255 characters", f"{ptr}/block_id")
            elif block_id in block_ids:
                err(f"duplicate block_id: {block_id}", f"{ptr}/block_id")
            else:
                block_ids.add(block_id)
        if kind == "section":
            if block.get("text") is None and not block.get("fields"):
                err("must provide either text or fields", ptr)
            if block.get("text") is not None:
                text_obj(block["text"], f"{ptr}/text", 3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                err("no more than 10 items allowed", f"{ptr}/fields")
            for j, f in enumerate(fields):
                text_obj(f, f"{ptr}/fields/{j}", 2000)
            if block.get("accessory") is not None:
                element(block["accessory"], f"{ptr}/accessory")
        elif kind == "header":
            text_obj(block.get("text"), f"{ptr}/text", 150, plain_only=True)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                err("must provide between 1 and 10 elements", f"{ptr}/elements")
                continue
            for j, el in enumerate(elements):
                if isinstance(el, dict) and el.get("type") == "image":
                    continue
                text_obj(el, f"{ptr}/elements/{j}", 3000)
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                err("must provide between 1 and 25 elements", f"{ptr}/elements")
                continue
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                element(el, f"{ptr}/elements/{j}")
                action_id = el.get("action_id") if isinstance(el, dict) else None
                if action_id is not None and action_id in action_ids:
                    err(f"duplicate action_id: {action_id}", f"{ptr}/elements/{j}/action_id")
                action_ids.add(action_id)
        elif kind == "markdown":
            text = block.get("text")
            if not isinstance(text, str) or not text:
                err("must be more than 0 characters", f"{ptr}/text")
            elif len(text) > 12_000:
                err("must be less than 12001 characters", f"{ptr}/text")
        elif kind == "image":
            if not block.get("image_url") and not block.get("slack_file"):
                err("must provide image_url or slack_file", ptr)
            max_len(block.get("alt_text") or "", 2000, f"{ptr}/alt_text")
        elif kind == "input":
            text_obj(block.get("label"), f"{ptr}/label", 2000, plain_only=True)
            element(block.get("element"), f"{ptr}/element")
        elif kind == "rich_text" and not isinstance(block.get("elements"), list):
            err("must provide an array", f"{ptr}/elements")
    return errors


def view_errors(view: dict[str, Any]) -> list[str]:
    """Slack's messages for a modal or Home view it would refuse, empty when it takes it."""
    errors: list[str] = []
    kind = view.get("type")
    for name in ("title", "submit", "close"):
        obj = view.get(name)
        if obj is None:
            if name == "title" and kind == "modal":
                errors.append("must provide a title [json-pointer:/view/title]")
            continue
        if not isinstance(obj, dict) or obj.get("type") != "plain_text":
            errors.append(f"must be plain_text [json-pointer:/view/{name}/type]")
            continue
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            errors.append(f"must be more than 0 characters [json-pointer:/view/{name}/text]")
        elif len(text) > VIEW_TITLE_LIMIT:
            errors.append(
                f"must be less than {VIEW_TITLE_LIMIT + 1} characters "
                f"[json-pointer:/view/{name}/text]"
            )
    blocks = view.get("blocks", [])
    has_input = isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and has_input and view.get("submit") is None:
        errors.append("must provide submit when there are input blocks [json-pointer:/view/submit]")
    for name, limit in (
        ("private_metadata", PRIVATE_METADATA_LIMIT),
        ("callback_id", 255),
        ("external_id", 255),
    ):
        value = view.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            errors.append(
                f"must be a string of at most {limit} characters [json-pointer:/view/{name}]"
            )
    errors += block_errors(blocks, max_blocks=HOME_BLOCKS, root="/view/blocks")
    return errors


def _block_id(seed: str) -> str:
    # Slack fills a missing block_id with a short random id; a hash keeps runs repeatable.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    digest = hashlib.sha1(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:5])


# --- Rendering for humans ---------------------------------------------------------------------


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return "" if obj is None else str(obj)


def _rich_text(elements: Any) -> str:
    out: list[str] = []
    for el in elements if isinstance(elements, list) else []:
        if not isinstance(el, dict):
            continue
        if "elements" in el:
            out.append(_rich_text(el["elements"]))
        elif el.get("type") == "text":
            out.append(str(el.get("text", "")))
        elif el.get("type") == "link":
            out.append(str(el.get("text") or el.get("url", "")))
        elif el.get("type") == "user":
            out.append(f"<@{el.get('user_id')}>")
        elif el.get("type") == "emoji":
            out.append(f":{el.get('name')}:")
    return "".join(out)


def _element_label(el: dict[str, Any]) -> str:
    kind = el.get("type")
    if kind == "button":
        style = f" ({el['style']})" if el.get("style") else ""
        return f"[{_text_of(el.get('text'))}]{style}"
    if kind in ("checkboxes", "radio_buttons"):
        chosen = {o.get("value") for o in el.get("initial_options") or []}
        if el.get("initial_option"):
            chosen.add(el["initial_option"].get("value"))
        on, off = ("☑", "☐") if kind == "checkboxes" else ("◉", "○")
        return " ".join(
            f"{on if o.get('value') in chosen else off} {_text_of(o.get('text'))}"
            for o in el.get("options") or []
        )
    if kind in _OPTION_MENUS:
        initial = el.get("initial_option") or {}
        shown = _text_of(initial.get("text")) or _text_of(el.get("placeholder"))
        return f"<{shown or kind} ▾>"
    return f"<{kind}>"


def render_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """Blocks as the lines a person reads in Slack (roughly)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"# {_text_of(block.get('text'))}")
        elif kind == "section":
            if block.get("text") is not None:
                lines.extend(_text_of(block["text"]).split("\n"))
            lines.extend(f"· {_text_of(f)}" for f in block.get("fields") or [])
            if isinstance(block.get("accessory"), dict):
                lines.append(f"  {_element_label(block['accessory'])}")
        elif kind == "divider":
            lines.append("────────")
        elif kind == "context":
            parts = [_text_of(e) for e in block.get("elements") or [] if isinstance(e, dict)]
            lines.append(f"({' · '.join(p for p in parts if p)})")
        elif kind == "actions":
            elements = block.get("elements") or []
            lines.append(" ".join(_element_label(e) for e in elements if isinstance(e, dict)))
        elif kind == "markdown":
            lines.extend(str(block.get("text", "")).split("\n"))
        elif kind == "rich_text":
            lines.extend(_rich_text(block.get("elements")).split("\n"))
        else:
            lines.append(f"[{kind}]")
    return lines


# --- The server ---------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes: with Nagle's algorithm on, a client that
    # keeps its connection would wait out its delayed ACK (40 ms) for the body. Slack doesn't.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self.server.emulator._connected()

    def do_GET(self) -> None:
        self.server.emulator._dispatch(self, "GET")

    def do_POST(self) -> None:
        self.server.emulator._dispatch(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean; every request is in emulator.calls()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the benchmark opens many connections at once

    def __init__(self, address: tuple[str, int], emulator: SlackEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _Handler)


class SlackEmulator:
    """The Slack Web API on 127.0.0.1, for the real slack_sdk WebClient and Bolt.

    Use as a context manager (`with SlackEmulator() as slack:`) or call start()/stop()
    from a fixture. `slack.url` is the WebClient base_url (ends with "/api/").
    """

    def __init__(
        self,
        *,
        bot_token: str = BOT_TOKEN,
        team_id: str = TEAM_ID,
        team_name: str = TEAM_NAME,
        team_domain: str = TEAM_DOMAIN,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        app_id: str = APP_ID,
        bot_name: str = BOT_NAME,
        scopes: Iterable[str] = DEFAULT_SCOPES,
        chat_write_public: bool = False,
        delay: float = 0.0,
        start_ts: int = START_TS,
        users: Iterable[User] | None = None,
        channels: Iterable[Channel] | None = None,
        validate_blocks: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.bot_token = bot_token
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.bot_name = bot_name
        self.scopes: set[str] = set(scopes)
        if chat_write_public:
            self.scopes.add("chat:write.public")
        self.delay = delay
        self.start_ts = start_ts
        self.validate_blocks = validate_blocks
        self._host = host
        self._port = port

        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._seq = itertools.count(1)
        self._tick = 0
        self._ids = itertools.count(1)
        self._calls: list[Call] = []
        self._connections = 0
        self._close_after_answer = 0
        self._faults: dict[str, list[Fault]] = {}
        self._users: dict[str, User] = {}
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = {}
        self._response_urls: dict[str, _ResponseTarget] = {}
        self._triggers_used: set[str] = set()
        self._triggers_issued: dict[str, float] = {}  # trigger_id -> monotonic time minted
        self.trigger_ttl = TRIGGER_TTL
        self.home_tab_enabled = True
        self.views: list[dict[str, Any]] = []  # modals opened, oldest first (as opened)
        self._views_by_id: dict[str, dict[str, Any]] = {}  # every modal and Home, current
        self.homes: dict[str, dict[str, Any]] = {}  # user id -> their published Home view
        self.internal_errors: list[str] = []  # emulator bugs (answered error internal_error)
        # A SocketModeEmulator (tests/emulators/socket_mode.py) attaches itself here; then
        # apps.connections.open hands out its WebSocket URLs.
        self.socket_mode: Any = None

        self.add_user(
            User(
                bot_user_id,
                bot_name,
                bot_name,
                bot_name,
                "America/Los_Angeles",
                is_bot=True,
                bot_id=bot_id,
            )
        )
        for user in default_users() if users is None else users:
            self.add_user(user)
        for channel in default_channels(bot_user_id) if channels is None else channels:
            self.add_channel(channel)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes slow replies and delays so shutdown is prompt
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("SlackEmulator is not started; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def url(self) -> str:
        """The Web API base URL for WebClient(base_url=...) and SLACK_API_URL."""
        return f"{self.base_url}/api/"

    # -- workspace setup ----------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        with self._lock:
            self._users[user.id] = user
        return user

    def add_channel(self, channel: Channel) -> Channel:
        with self._lock:
            self._channels[channel.id] = channel
            self._messages.setdefault(channel.id, [])
        return channel

    def set_member(self, channel: str, user: str, member: bool = True) -> None:
        """Put a user (or the bot, by its user id) in or out of a channel."""
        with self._lock:
            members = self._channels[channel].members
            if member:
                members.add(user)
            else:
                members.discard(user)

    def user(self, user_id: str) -> User:
        with self._lock:
            return copy.deepcopy(self._users[user_id])

    def channel(self, channel_id: str) -> Channel:
        with self._lock:
            return copy.deepcopy(self._channels[channel_id])

    def bot_is_member(self, channel: str) -> bool:
        with self._lock:
            return self.bot_user_id in self._channels[channel].members

    def im_channel(self, user_id: str) -> str:
        """The bot's DM with this person, opening it if needed (as conversations.open does)."""
        with self._lock:
            return self._open_im(user_id)[0].id

    # -- faults ------------------------------------------------------------------------------

    def inject(self, method: str, fault: Fault) -> None:
        """Queue a fault for a method ("*" for every method, "response_url" for those)."""
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def fail(
        self, method: str, error: str, *, times: int | None = 1, status: int = 200, **extra: Any
    ) -> None:
        """Answer {"ok": false, "error": error, **extra}, e.g. not_in_channel."""
        self.inject(method, Fault("error", times, error=error, status=status, extra=extra))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int | None = 1) -> None:
        """Answer HTTP 429 with Retry-After and {"ok": false, "error": "ratelimited"}."""
        self.inject(method, Fault("ratelimited", times, status=429, retry_after=retry_after))

    def http_error(self, method: str, status: int = 500, *, times: int | None = 1) -> None:
        """Answer a bare HTTP error status (500, 502, 503 ...)."""
        self.inject(method, Fault("status", times, status=status))

    def slow(self, method: str, seconds: float, *, times: int | None = 1) -> None:
        """Hold the reply for `seconds`, then answer normally."""
        self.inject(method, Fault("slow", times, seconds=seconds))

    def drop(self, method: str, *, times: int | None = 1, after_processing: bool = False) -> None:
        """Close the connection without any response: before doing anything, or (with
        after_processing) once the call took effect, as when Slack's answer is lost."""
        self.inject(method, Fault("drop", times, after_processing=after_processing))

    def close_after_answer(self, times: int = 1) -> None:
        """After each of the next `times` answers, close the connection without a word (no
        `Connection: close`), as a server does to a connection idle past its timeout."""
        with self._lock:
            self._close_after_answer += times

    def clear_faults(self, method: str | None = None) -> None:
        with self._lock:
            if method is None:
                self._faults.clear()
            else:
                self._faults.pop(method, None)

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for key in (method, "*"):
                queue = self._faults.get(key) or []
                if queue:
                    fault = queue[0]
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            queue.pop(0)
                    return fault
        return None

    # -- queries -----------------------------------------------------------------------------

    @property
    def connections(self) -> int:
        """How many connections clients have opened to the emulator so far."""
        with self._lock:
            return self._connections

    def _connected(self) -> None:
        with self._lock:
            self._connections += 1

    def calls(self, method: str | None = None) -> list[Call]:
        """Every call received, in arrival order (optionally only one method's)."""
        with self._lock:
            return [copy.deepcopy(c) for c in self._calls if method is None or c.method == method]

    def message(self, channel: str, ts: str) -> Message:
        with self._lock:
            return copy.deepcopy(self._find(channel, ts))

    def history(self, channel: str, *, include_deleted: bool = False) -> list[Message]:
        """Every message in the channel, all threads and ephemeral ones included, in ts order."""
        with self._lock:
            return [
                copy.deepcopy(m)
                for m in self._messages.get(channel, [])
                if (include_deleted or not m.deleted) and m.source != "command"
            ]

    def messages(
        self,
        channel: str,
        thread_ts: str | None = None,
        *,
        viewer: str | None = None,
        include_deleted: bool = False,
        include_commands: bool = False,
    ) -> list[Message]:
        """What a person sees, in order: the channel's top level, or a thread (parent first).

        Ephemeral messages are included and flagged (`ephemeral_to`); with `viewer` only
        those addressed to that user remain. Messages posted through a response_url are
        included (`source == "response_url"`).
        """
        with self._lock:
            out = []
            for m in self._messages.get(channel, []):
                if m.deleted and not include_deleted:
                    continue
                if m.source == "command" and not include_commands:
                    continue
                if not m.visible_to(viewer):
                    continue
                if thread_ts is None:
                    if m.is_reply:
                        continue
                elif m.ts != thread_ts and m.thread_ts != thread_ts:
                    continue
                out.append(copy.deepcopy(m))
            return out

    def last_message(
        self, channel: str, thread_ts: str | None = None, *, viewer: str | None = None
    ) -> Message | None:
        found = self.messages(channel, thread_ts, viewer=viewer)
        return found[-1] if found else None

    def bot_messages(self, channel: str, thread_ts: str | None = None) -> list[Message]:
        return [m for m in self.messages(channel, thread_ts) if m.user == self.bot_user_id]

    def transcript(self, channel: str, thread_ts: str | None = None) -> str:
        """The conversation as readable text: who said what, ephemeral/edited/deleted marked."""
        with self._lock:
            ch = self._channels.get(channel)
            title = f"#{ch.name}" if ch and ch.name else channel
            if ch and ch.is_im:
                title = f"DM with {self._display(ch.user or '')}"
            msgs = self.messages(channel, thread_ts, include_deleted=True, include_commands=True)
            heading = f"── {title} ({channel})" + (f" · thread {thread_ts}" if thread_ts else "")
            lines = [heading + " ──"]
            for m in msgs:
                lines.extend(self._transcript_lines(m))
            return "\n".join(lines)

    def _display(self, user_id: str) -> str:
        user = self._users.get(user_id)
        return user.name if user else user_id

    def _transcript_lines(self, m: Message) -> list[str]:
        who = m.username or self._display(m.user)
        marks = []
        if m.source == "command":
            marks.append("slash command")
        if m.is_ephemeral:
            marks.append(f"only {self._display(m.ephemeral_to or '')} sees")
        if m.source == "response_url":
            marks.append("via response_url")
        if m.is_edited:
            marks.append(f"edited {len(m.revisions)}×")
        if m.deleted:
            marks.append("deleted")
        if m.reply_broadcast:
            marks.append("also sent to channel")
        indent = "  " if m.is_reply else ""
        body = render_blocks(m.blocks) if m.blocks else m.text.split("\n")
        suffix = f"  [{', '.join(marks)}]" if marks else ""
        pad = " " * (len(indent) + len(m.ts) + 2)
        first, *rest = body or [""]
        lines = [f"{indent}{m.ts}  {who}: {first}{suffix}"]
        lines.extend(f"{pad}│ {line}" for line in rest)
        for rev in m.revisions:
            earlier = render_blocks(rev.blocks) if rev.blocks else rev.text.split("\n")
            lines.append(f"{pad}~ was: {earlier[0] if earlier else ''}")
        for name, users in m.reactions.items():
            lines.append(f"{pad}:{name}: {', '.join(self._display(u) for u in users)}")
        return lines

    def reset(self) -> None:
        """Forget calls, messages, views and faults; keep users and channels."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            for msgs in self._messages.values():
                msgs.clear()
            self._response_urls.clear()
            self.views.clear()
            self._views_by_id.clear()
            self.homes.clear()
            self.internal_errors.clear()

    # -- the human side (used by SlackRequests) ------------------------------------------------

    def next_ts(self) -> str:
        with self._lock:
            self._tick += 1
            return ts_string(self.start_ts * 1_000_000 + self._tick * TS_STEP_MICROS)

    def post_user_message(
        self,
        user: str,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> Message:
        """Record a message a person typed (text as Slack delivers it: escaped, links wrapped)."""
        with self._lock:
            self._ensure_channel(channel, user)
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                user=user,
                text=text,
                source="user",
                blocks=blocks,
                thread_ts=self._thread_root(channel, thread_ts),
            )
            self._append(message)
            return copy.deepcopy(message)

    def post_bot_message(
        self,
        channel: str,
        text: str,
        *,
        bot_id: str,
        username: str,
        thread_ts: str | None = None,
    ) -> Message:
        """Record a message another integration posted (subtype bot_message)."""
        with self._lock:
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                user="",
                text=text,
                source="bot_message",
                bot_id=bot_id,
                username=username,
                subtype="bot_message",
                thread_ts=self._thread_root(channel, thread_ts),
            )
            self._append(message)
            return copy.deepcopy(message)

    def edit_user_message(
        self, channel: str, ts: str, text: str, *, blocks: list[dict[str, Any]] | None = None
    ) -> tuple[Message, Message]:
        """A person edits their message: returns (before, after) snapshots."""
        with self._lock:
            message = self._find(channel, ts)
            before = copy.deepcopy(message)
            edit_ts = self.next_ts()
            message.revisions.append(Revision(message.text, message.blocks, edit_ts))
            message.text = text
            message.blocks = blocks
            message.edited = {"user": message.user, "ts": edit_ts}
            return before, copy.deepcopy(message)

    def delete_message(self, channel: str, ts: str) -> Message:
        """A message disappears (a person deleted it); returns it as it was."""
        with self._lock:
            message = self._find(channel, ts)
            before = copy.deepcopy(message)
            message.deleted = True
            return before

    def record_command(self, user: str, channel: str, command: str, text: str) -> Message:
        """A slash command invocation; only transcripts (and include_commands) show it."""
        with self._lock:
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                user=user,
                text=f"{command} {text}".rstrip(),
                source="command",
                ephemeral_to=user,
            )
            self._ensure_channel(channel, user)
            self._append(message)
            return copy.deepcopy(message)

    def join(self, user: str, channel: str) -> Message:
        """A person (or the bot) joins a channel; Slack posts a channel_join message."""
        with self._lock:
            self._channels[channel].members.add(user)
            message = Message(
                channel=channel,
                ts=self.next_ts(),
                user=user,
                text=f"<@{user}> has joined the channel",
                source="system",
                subtype="channel_join",
            )
            self._append(message)
            return copy.deepcopy(message)

    def new_response_url(
        self,
        channel: str,
        user: str,
        *,
        message_ts: str | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """A response_url for a command (no message) or an action on message `message_ts`."""
        with self._lock:
            number = next(self._ids)
            rid = f"{self.team_id}/{1_000_000_000 + number}/{_block_id(str(number)) * 4}"
            self._response_urls[rid] = _ResponseTarget(channel, user, message_ts, thread_ts)
        return f"{self.base_url}/response/{rid}"

    def new_trigger_id(self) -> str:
        """A trigger_id as Slack sends with an interaction; views.open takes it for
        `trigger_ttl` seconds (3, as Slack), once."""
        number = next(self._ids)
        digest = hashlib.md5(str(number).encode()).hexdigest()
        trigger_id = f"{1_000_000_000 + number}.{1_000_000_001}.{digest}"
        with self._lock:
            self._triggers_issued[trigger_id] = time.monotonic()
        return trigger_id

    def view(self, view_id: str) -> dict[str, Any]:
        """A modal or Home view as it stands now (after any views.update)."""
        with self._lock:
            return copy.deepcopy(self._views_by_id[view_id])

    def home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for that user, if any."""
        with self._lock:
            found = self.homes.get(user_id)
            return copy.deepcopy(found) if found is not None else None

    # -- internals: storage ----------------------------------------------------------------------

    def _append(self, message: Message) -> None:
        self._messages.setdefault(message.channel, []).append(message)

    def _find(self, channel: str, ts: str) -> Message:
        for m in self._messages.get(channel, []):
            if m.ts == ts:
                return m
        raise KeyError(f"no message {ts} in {channel}")

    def _thread_root(self, channel: str, thread_ts: str | None) -> str | None:
        # A reply's ts given as thread_ts means its thread; Slack threads are one level deep.
        if not thread_ts:
            return None
        for m in self._messages.get(channel, []):
            if m.ts == thread_ts and m.thread_ts and m.thread_ts != m.ts:
                return m.thread_ts
        return thread_ts

    def _ensure_channel(self, channel_id: str, user: str) -> None:
        # A conversation the test never set up: the bot's DM with this person, or a channel
        # only they and the bot are in.
        if channel_id in self._channels:
            return
        if channel_id == "D" + user[1:]:
            self._open_im(user)
        else:
            is_im = channel_id.startswith("D")
            self.add_channel(Channel(channel_id, is_im=is_im, members={user, self.bot_user_id}))

    def _open_im(self, user_id: str) -> tuple[Channel, bool]:
        channel_id = "D" + user_id[1:]
        existing = self._channels.get(channel_id)
        if existing is not None:
            return existing, False
        channel = Channel(channel_id, is_im=True, user=user_id, members={user_id, self.bot_user_id})
        self.add_channel(channel)
        return channel, True

    # -- internals: HTTP -------------------------------------------------------------------

    def _dispatch(self, h: _Handler, http_method: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        try:
            if parts.path.startswith("/api/"):
                self._api(h, parts.path[len("/api/") :], parts.query, body)
            elif parts.path.startswith("/response/") and http_method == "POST":
                self._response_url(h, parts.path[len("/response/") :], body)
            else:
                self._send(h, 404, b"Not Found", "text/plain")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout during a slow reply)
        with self._lock:
            if self._close_after_answer:
                self._close_after_answer -= 1
                h.close_connection = True

    def _record(self, h: _Handler, method: str, params: dict[str, Any], encoding: str) -> Call:
        call = Call(
            seq=next(self._seq),
            method=method,
            params=params,
            headers=dict(h.headers.items()),
            http_method=h.command,
            path=h.path,
            encoding=encoding,
            at=time.monotonic(),
        )
        with self._lock:
            self._calls.append(call)
        return call

    def _finish(self, call: Call, status: int, response: Any, fault: str | None = None) -> None:
        with self._lock:
            call.status = status
            call.response = _json_copy(response)
            call.fault = fault

    def _send(
        self,
        h: _Handler,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(body)

    def _send_json(
        self, h: _Handler, status: int, data: Any, headers: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(data).encode()
        self._send(h, status, body, "application/json; charset=utf-8", headers)

    def _drop(self, h: _Handler) -> None:
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(socket.SHUT_RDWR)

    def _apply_fault(self, h: _Handler, call: Call, method: str) -> str:
        """Wait out delays and play an injected fault.

        Returns "answered" (the fault replied), "drop_after" (process, then drop) or
        "proceed".
        """
        if self.delay:
            self._stopping.wait(self.delay)
        fault = self._take_fault(method)
        if fault is None:
            return "proceed"
        if fault.kind == "slow":
            self._stopping.wait(fault.seconds)
            return "proceed"
        if fault.kind == "drop":
            if fault.after_processing:
                return "drop_after"
            self._finish(call, 0, None, "drop")
            self._drop(h)
            return "answered"
        if fault.kind == "ratelimited":
            data = {"ok": False, "error": "ratelimited"}
            self._finish(call, 429, data, "ratelimited")
            self._send_json(h, 429, data, {"Retry-After": str(fault.retry_after)})
            return "answered"
        if fault.kind == "status":
            text = f"{fault.status} emulated server error".encode()
            self._finish(call, fault.status, text.decode(), f"status {fault.status}")
            self._send(h, fault.status, text, "text/plain; charset=utf-8")
            return "answered"
        data = {"ok": False, "error": fault.error, **fault.extra}
        self._finish(call, fault.status, data, f"error {fault.error}")
        self._send_json(h, fault.status, data)
        return "answered"

    def _api(self, h: _Handler, method: str, query: str, body: bytes) -> None:
        params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        encoding = "query" if params else "none"
        content_type = (h.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        bad_json = False
        if body:
            if content_type == "application/json":
                encoding = "json"
                try:
                    data = json.loads(body)
                    params.update(data if isinstance(data, dict) else {})
                    bad_json = not isinstance(data, dict)
                except ValueError:
                    bad_json = True
            else:
                encoding = "form"
                params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        call = self._record(h, method, params, encoding)
        outcome = self._apply_fault(h, call, method)
        if outcome == "answered":
            return
        status, data = 200, self._answer(h, method, params, bad_json)
        if outcome == "drop_after":
            self._finish(call, 0, data, "drop after processing")
            self._drop(h)
            return
        self._finish(call, status, data)
        headers = {
            "X-Slack-Req-Id": hashlib.md5(str(call.seq).encode()).hexdigest(),
            "X-OAuth-Scopes": ",".join(sorted(self.scopes)),
            "X-Accepted-OAuth-Scopes": METHOD_SCOPES.get(method, ""),
        }
        self._send_json(h, status, data, headers)

    def _answer(
        self, h: _Handler, method: str, params: dict[str, Any], bad_json: bool
    ) -> dict[str, Any]:
        if method == "apps.connections.open":
            return self._apps_connections_open(h, params)
        handler = self._methods().get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method", "req_method": method}
        auth = h.headers.get("Authorization") or ""
        bearer = auth.startswith("Bearer ")
        token = auth[len("Bearer ") :].strip() if bearer else params.get("token")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token != self.bot_token:
            return {"ok": False, "error": "invalid_auth"}
        if bad_json:
            return {"ok": False, "error": "invalid_json"}
        needed = METHOD_SCOPES.get(method)
        if needed and needed not in self.scopes:
            return self._missing_scope(needed)
        try:
            with self._lock:
                return {"ok": True, **handler(params)}
        except SlackError as e:
            return {"ok": False, "error": e.error, **e.extra}
        except Exception:  # noqa: BLE001 - an emulator bug is answered, and kept for tests
            self.internal_errors.append(traceback.format_exc())
            return {"ok": False, "error": "internal_error"}

    def _apps_connections_open(self, h: _Handler, params: dict[str, Any]) -> dict[str, Any]:
        """Socket Mode's WebSocket URL. Only an app-level token (xapp-) may ask for one."""
        if h.command != "POST":
            return {"ok": False, "error": "insecure_request"}
        auth = h.headers.get("Authorization") or ""
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        token = token or str(params.get("token") or "")
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token == self.bot_token:
            return {"ok": False, "error": "not_allowed_token_type"}
        socket_mode = self.socket_mode
        if socket_mode is None or token != socket_mode.app_token:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": socket_mode.open_url()}

    def _missing_scope(self, needed: str) -> dict[str, Any]:
        provided = ",".join(sorted(self.scopes))
        return {"ok": False, "error": "missing_scope", "needed": needed, "provided": provided}

    def _methods(self) -> dict[str, Any]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
            "users.info": self._users_info,
            "reactions.add": self._reactions_add,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }

    # -- internals: helpers for methods -----------------------------------------------------

    def _json_param(self, params: dict[str, Any], name: str) -> Any:
        value = params.get(name)
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise SlackError(f"invalid_{name}_format") from None
        return value

    def _blocks(self, params: dict[str, Any], *, max_blocks: int = 50) -> list[dict] | None:
        blocks = self._json_param(params, "blocks")
        if blocks is None:
            return None
        if self.validate_blocks:
            errors = block_errors(blocks, max_blocks=max_blocks)
            if errors:
                raise SlackError(
                    "invalid_blocks",
                    errors=errors,
                    response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
                )
        return self._with_block_ids(blocks)

    def _with_block_ids(self, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        filled = _json_copy(blocks)
        for i, block in enumerate(filled):
            if isinstance(block, dict) and "block_id" not in block:
                block["block_id"] = _block_id(f"{self._tick}:{i}:{json.dumps(block)}")
        return filled

    def _resolve(self, ref: Any, *, allow_user: bool = False) -> Channel:
        """The conversation a `channel` parameter names, as visible to the bot."""
        if not isinstance(ref, str) or not ref:
            raise SlackError("channel_not_found")
        if allow_user and ref[:1] in "UW" and ref in self._users:
            return self._open_im(ref)[0]
        channel = self._channels.get(ref)
        if channel is None:
            name = ref.removeprefix("#")
            channel = next(
                (c for c in self._channels.values() if c.name == name and not c.is_im), None
            )
        if channel is None:
            raise SlackError("channel_not_found")
        hidden = channel.is_private or channel.is_im or channel.is_mpim
        if hidden and self.bot_user_id not in channel.members:
            raise SlackError("channel_not_found")  # Slack hides conversations the bot can't see
        return channel

    def _check_postable(self, channel: Channel) -> None:
        if channel.is_archived:
            raise SlackError("is_archived")
        if self.bot_user_id in channel.members:
            return
        if "chat:write.public" in self.scopes and not channel.is_private:
            return
        raise SlackError("not_in_channel")

    def _text(self, params: dict[str, Any], has_content: bool) -> tuple[str, bool]:
        text = params.get("text")
        if text is None or text == "":
            if not has_content:
                raise SlackError("no_text")
            return "", False
        text = str(text)
        if len(text) > TEXT_LIMIT:
            return text[:TEXT_LIMIT], True
        return text, False

    def _bot_profile(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "app_id": self.app_id,
            "name": self.bot_name,
            "icons": {"image_36": "https://a.slack-edge.com/80588/img/plugins/app/bot_36.png"},
            "deleted": False,
            "updated": self.start_ts,
            "team_id": self.team_id,
        }

    def message_json(self, m: Message) -> dict[str, Any]:
        """A message in the Web API's shape (as chat.postMessage and events carry it)."""
        data: dict[str, Any] = {"type": "message"}
        if m.subtype:
            data["subtype"] = m.subtype
        data["text"] = m.text
        if m.user:
            data["user"] = m.user
        if m.bot_id:
            data["bot_id"] = m.bot_id
        if m.app_id:
            data["app_id"] = m.app_id
        if m.username:
            data["username"] = m.username
        data["ts"] = m.ts
        data["team"] = self.team_id
        if m.bot_id == self.bot_id:
            data["bot_profile"] = self._bot_profile()
        if m.blocks is not None:
            data["blocks"] = _json_copy(m.blocks)
        if m.attachments is not None:
            data["attachments"] = _json_copy(m.attachments)
        if m.metadata is not None:
            data["metadata"] = _json_copy(m.metadata)
        if m.thread_ts:
            data["thread_ts"] = m.thread_ts
            if m.is_reply:
                parent = next(
                    (p for p in self._messages.get(m.channel, []) if p.ts == m.thread_ts), None
                )
                data["parent_user_id"] = parent.user if parent else m.user
        if m.edited:
            data["edited"] = dict(m.edited)
        return data

    def _post(
        self, params: dict[str, Any], channel: Channel, source: str, **fields: Any
    ) -> Message:
        blocks = self._blocks(params)
        attachments = self._json_param(params, "attachments")
        text, truncated = self._text(params, bool(blocks) or bool(attachments))
        custom_identity = any(params.get(k) for k in ("username", "icon_emoji", "icon_url"))
        message = Message(
            channel=channel.id,
            ts=self.next_ts(),
            user=self.bot_user_id,
            text=text,
            source=source,
            blocks=blocks,
            attachments=attachments,
            thread_ts=self._thread_root(channel.id, params.get("thread_ts") or None),
            bot_id=self.bot_id,
            app_id=self.app_id,
            username=params.get("username") or None,
            subtype="bot_message" if custom_identity else None,
            metadata=self._json_param(params, "metadata"),
            reply_broadcast=_truthy(params.get("reply_broadcast")),
            truncated=truncated,
            **fields,
        )
        self._append(message)
        return message

    # -- Web API methods -----------------------------------------------------------------------

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "app_name": self.bot_name,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"), allow_user=True)
        self._check_postable(channel)
        message = self._post(params, channel, "chat.postMessage")
        return {"channel": channel.id, "ts": message.ts, "message": self.message_json(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = next(
            (
                m
                for m in self._messages.get(channel.id, [])
                if m.ts == ts and not m.deleted and not m.is_ephemeral
            ),
            None,
        )
        if message is None:
            raise SlackError("message_not_found")
        if message.user != self.bot_user_id:
            raise SlackError("cant_update_message")
        blocks = self._blocks(params) if "blocks" in params else message.blocks
        attachments = (
            self._json_param(params, "attachments")
            if "attachments" in params
            else message.attachments
        )
        if "text" in params:
            text, _ = self._text(params, bool(blocks) or bool(attachments))
        elif blocks or attachments:
            text = message.text
        else:
            raise SlackError("no_text")
        edit_ts = self.next_ts()
        message.revisions.append(Revision(message.text, message.blocks, edit_ts))
        message.text = text
        message.blocks = blocks
        message.attachments = attachments
        message.edited = {"user": self.bot_user_id, "ts": edit_ts}
        return {
            "channel": channel.id,
            "ts": message.ts,
            "text": message.text,
            "message": self.message_json(message),
        }

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"))
        self._check_postable(channel)
        user = str(params.get("user") or "")
        if user not in self._users:
            raise SlackError("user_not_found")
        if user not in channel.members:
            raise SlackError("user_not_in_channel")
        message = self._post(params, channel, "chat.postEphemeral", ephemeral_to=user)
        return {"message_ts": message.ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"))
        ts = str(params.get("message_ts") or "")
        message = next(
            (m for m in self._messages.get(channel.id, []) if m.ts == ts and not m.is_ephemeral),
            None,
        )
        if message is None or message.deleted:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel = self._resolve(params["channel"])
            return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("users_list_not_supplied")
        for user_id in users:
            user = self._users.get(user_id)
            if user is None:
                raise SlackError("user_not_found")
            if user.is_bot and user_id != self.bot_user_id:
                raise SlackError("cannot_dm_bot")
        if len(users) == 1:
            channel, created = self._open_im(users[0])
        else:
            members = {*users, self.bot_user_id}
            digest = hashlib.sha1(",".join(sorted(members)).encode()).hexdigest()
            channel_id = "G" + digest[:9].upper()
            created = channel_id not in self._channels
            if created:
                name = "mpdm-" + "--".join(self._display(u) for u in sorted(members)) + "-1"
                self.add_channel(
                    Channel(channel_id, name, is_private=True, is_mpim=True, members=members)
                )
            channel = self._channels[channel_id]
        if _truthy(params.get("return_im")):
            body: dict[str, Any] = {"channel": self._channel_json(channel)}
        else:
            body = {"channel": {"id": channel.id}}
        if not created:
            body = {"no_op": True, "already_open": True, **body}
        return body

    def _channel_json(self, ch: Channel) -> dict[str, Any]:
        if ch.is_im:
            return {
                "id": ch.id,
                "created": ch.created,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": self.team_id,
                "updated": ch.created * 1000,
                "user": ch.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        data: dict[str, Any] = {
            "id": ch.id,
            "name": ch.name,
            "is_channel": not ch.is_mpim,
            "is_group": ch.is_mpim,
            "is_im": False,
            "is_mpim": ch.is_mpim,
            "is_private": ch.is_private,
            "created": ch.created,
            "is_archived": ch.is_archived,
            "is_general": ch.name == "general",
            "unlinked": 0,
            "name_normalized": ch.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_pending_ext_shared": False,
            "pending_shared": [],
            "context_team_id": self.team_id,
            "updated": ch.created * 1000,
            "parent_conversation": None,
            "creator": ch.creator,
            "is_ext_shared": False,
            "shared_team_ids": [self.team_id],
            "pending_connected_team_ids": [],
            "is_member": self.bot_user_id in ch.members,
            "topic": {"value": ch.topic, "creator": "", "last_set": 0},
            "purpose": {"value": ch.purpose, "creator": "", "last_set": 0},
            "previous_names": [],
        }
        if self.bot_user_id in ch.members:
            data["last_read"] = "0000000000.000000"
        return data

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"))
        if channel.is_im:
            needed = "im:read"
        elif channel.is_mpim:
            needed = "mpim:read"
        else:
            needed = "groups:read" if channel.is_private else "channels:read"
        if needed not in self.scopes:
            raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(self.scopes)))
        data = self._channel_json(channel)
        if _truthy(params.get("include_num_members")) and not channel.is_im:
            data["num_members"] = len(channel.members)
        return {"channel": data}

    def _conversations_join(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"))
        if channel.is_private or channel.is_im or channel.is_mpim:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        extra: dict[str, Any] = {}
        if self.bot_user_id in channel.members:
            extra = {
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        else:
            self.join(self.bot_user_id, channel.id)
        return {"channel": self._channel_json(channel), **extra}

    def _user_json(self, u: User) -> dict[str, Any]:
        if u.tz:
            local = datetime.fromtimestamp(self.start_ts, UTC).astimezone(ZoneInfo(u.tz))
            offset = local.utcoffset()
            tz_offset = int(offset.total_seconds()) if offset else 0
            if u.tz_offset is not None:
                tz_offset = u.tz_offset
            abbreviation = local.tzname() or ""
            tz_label = _TZ_LABELS.get(abbreviation, abbreviation)
        else:
            tz_offset, tz_label = u.tz_offset or 0, ""
        first, _, last = (u.real_name or u.name).partition(" ")
        image = f"https://avatars.slack-edge.com/2023-01-01/{u.id.lower()}_%d.png"
        profile: dict[str, Any] = {
            "title": u.title,
            "phone": "",
            "skype": "",
            "real_name": u.real_name,
            "real_name_normalized": u.real_name,
            "display_name": u.display_name,
            "display_name_normalized": u.display_name,
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "status_emoji_display_info": [],
            "status_expiration": 0,
            "avatar_hash": hashlib.md5(u.id.encode()).hexdigest()[:12],
            "email": u.email,
            "first_name": first,
            "last_name": last,
            **{f"image_{n}": image % n for n in (24, 32, 48, 72, 192, 512)},
            "status_text_canonical": "",
            "team": self.team_id,
        }
        if u.is_bot:
            profile.update({"bot_id": u.bot_id, "api_app_id": self.app_id, "always_active": True})
            profile.pop("email")
        return {
            "id": u.id,
            "team_id": self.team_id,
            "name": u.name,
            "deleted": u.deleted,
            "color": "9f69e7",
            "real_name": u.real_name,
            "tz": u.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": u.is_bot,
            "is_app_user": False,
            "updated": self.start_ts,
            "is_email_confirmed": not u.is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_json(user)}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve(params.get("channel"))
        ts = str(params.get("timestamp") or "")
        message = next(
            (
                m
                for m in self._messages.get(channel.id, [])
                if m.ts == ts and not m.deleted and not m.is_ephemeral
            ),
            None,
        )
        if message is None:
            raise SlackError("message_not_found")
        name = str(params.get("name") or "").strip(":")
        if not re.fullmatch(r"[a-z0-9_+'\-]+(::skin-tone-[2-6])?", name):
            raise SlackError("invalid_name")
        users = message.reactions.setdefault(name, [])
        if self.bot_user_id in users:
            raise SlackError("already_reacted")
        users.append(self.bot_user_id)
        return {}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger_id = str(params.get("trigger_id") or "")
        if not trigger_id:
            raise SlackError("invalid_arguments")
        if trigger_id in self._triggers_used:
            raise SlackError("exchanged_trigger_id")
        if not re.fullmatch(r"\d+\.\d+\.[0-9a-f]+", trigger_id):
            raise SlackError("invalid_trigger_id")
        issued = self._triggers_issued.get(trigger_id)
        if issued is not None and time.monotonic() - issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        view = self._checked_view(params, ("modal",))
        self._triggers_used.add(trigger_id)
        opened = self._new_view(view)
        self.views.append(copy.deepcopy(opened))
        return {"view": opened}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = str(params.get("view_id") or "")
        external_id = str(params.get("external_id") or "")
        if not view_id and not external_id:
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": ["[ERROR] either view_id or external_id is required"]
                },
            )
        current = (
            self._views_by_id.get(view_id)
            if view_id
            else next(
                (
                    v
                    for v in self._views_by_id.values()
                    if external_id and v["external_id"] == external_id
                ),
                None,
            )
        )
        if current is None:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._checked_view(params, (current["type"],))
        updated = self._new_view(view, view_id=current["id"], root=current["root_view_id"])
        return {"view": updated}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        if user_id not in self._users or self._users[user_id].is_bot:
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["invalid `user_id`"]}
            )
        view = self._checked_view(params, ("home",))
        if not self.home_tab_enabled:
            raise SlackError("not_enabled")
        current = self.homes.get(user_id)
        if current is not None and params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        published = self._new_view(view, view_id=current["id"] if current else None)
        self.homes[user_id] = copy.deepcopy(published)
        return {"view": published}

    def _checked_view(self, params: dict[str, Any], types: tuple[str, ...]) -> dict[str, Any]:
        """The `view` argument, or invalid_arguments with Slack's messages for what is wrong."""
        view = self._json_param(params, "view")
        if not isinstance(view, dict) or view.get("type") not in types:
            raise SlackError(
                "invalid_arguments",
                response_metadata={
                    "messages": [
                        f"[ERROR] must be one of {', '.join(types)} [json-pointer:/view/type]"
                    ]
                },
            )
        errors = view_errors(view) if self.validate_blocks else []
        if errors:
            raise SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        return view

    def _new_view(
        self, view: dict[str, Any], *, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        number = next(self._ids)
        view_id = view_id or f"V0{number:08d}"
        shown = {
            "id": view_id,
            "team_id": self.team_id,
            "type": view["type"],
            "blocks": self._with_block_ids(view.get("blocks", [])),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{self.start_ts + number}.{_block_id(str(number))}",
            "title": view.get("title"),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "close": view.get("close"),
            "submit": view.get("submit"),
            "previous_view_id": None,
            "root_view_id": root or view_id,
            "app_id": self.app_id,
            "external_id": view.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        self._views_by_id[view_id] = copy.deepcopy(shown)
        return shown

    # -- response_url ---------------------------------------------------------------------

    def _response_url(self, h: _Handler, rid: str, body: bytes) -> None:
        try:
            data = json.loads(body or b"null")
        except ValueError:
            data = None
        call = self._record(h, "response_url", data if isinstance(data, dict) else {}, "json")
        outcome = self._apply_fault(h, call, "response_url")
        if outcome == "answered":
            return
        with self._lock:
            status, text = self._respond(rid, data)
        if outcome == "drop_after":
            self._finish(call, 0, text, "drop after processing")
            self._drop(h)
            return
        self._finish(call, status, text)
        self._send(h, status, text.encode(), "text/html")

    def _respond(self, rid: str, data: Any) -> tuple[int, str]:
        target = self._response_urls.get(rid)
        if target is None:
            return 404, "no_service"
        if target.uses >= RESPONSE_URL_USES:
            return 404, "used_url"
        if not isinstance(data, dict):
            return 400, "invalid_payload"
        target.uses += 1
        if _truthy(data.get("delete_original")):
            original = self._original(target)
            if original is None:
                return 404, "message_not_found"
            original.deleted = True
            return 200, "ok"
        try:
            blocks = self._blocks(data)
            text, _ = self._text(data, bool(blocks))
        except SlackError as e:
            return 400, e.error
        if _truthy(data.get("replace_original")):
            original = self._original(target)
            if original is None:
                return 404, "message_not_found"
            edit_ts = self.next_ts()
            original.revisions.append(Revision(original.text, original.blocks, edit_ts))
            original.text, original.blocks = text, blocks
            original.edited = {"user": self.bot_user_id, "ts": edit_ts}
            return 200, "ok"
        response_type = data.get("response_type") or "ephemeral"
        message = Message(
            channel=target.channel,
            ts=self.next_ts(),
            user=self.bot_user_id,
            text=text,
            source="response_url",
            blocks=blocks,
            thread_ts=self._thread_root(target.channel, data.get("thread_ts") or None),
            bot_id=self.bot_id,
            app_id=self.app_id,
            ephemeral_to=None if response_type == "in_channel" else target.user,
            response_type=response_type,
        )
        self._ensure_channel(target.channel, target.user)
        self._append(message)
        return 200, "ok"

    def _original(self, target: _ResponseTarget) -> Message | None:
        if target.message_ts is None:
            return None
        for m in self._messages.get(target.channel, []):
            if m.ts == target.message_ts and not m.deleted:
                return m
        return None
