"""The Slack emulator and the signed-request client, exercised with the real slack_sdk and Bolt."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from flask import Flask, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    CheckboxesElement,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.webhook import WebhookClient
from werkzeug.serving import make_server

from tests.emulators.slack_api import (
    ALICE,
    APP_ID,
    BOB,
    BOT_ID,
    BOT_TOKEN,
    BOT_USER_ID,
    CAROL,
    RANDOM,
    RELIABILITY,
    SECRET,
    SRE_PRIVATE,
    TEAM_ID,
    SlackEmulator,
    block_errors,
)
from tests.emulators.slack_requests import SIGNING_SECRET, SlackRequests, as_typed, signature

FIXED_NOW = 1_700_000_000


@pytest.fixture
def client(slack: SlackEmulator) -> WebClient:
    # No retry handlers: tests that want slack_sdk's retries add them explicitly.
    return WebClient(base_url=slack.url, token=BOT_TOKEN, retry_handlers=[], timeout=5)


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


class _Receiver:
    """A bare HTTP endpoint that keeps every request, standing in for the bot."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def __enter__(self) -> _Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    with _Receiver() as r:
        yield r


# --- Web API through the real WebClient ---------------------------------------------------------


def test_auth_test_reports_the_bot_identity(client: WebClient) -> None:
    """auth.test answers the bot's user_id, bot_id, team, url and app_id as Slack does."""
    reply = client.auth_test()
    assert reply["ok"] is True
    assert reply["user_id"] == BOT_USER_ID
    assert reply["bot_id"] == BOT_ID
    assert reply["team_id"] == TEAM_ID
    assert reply["app_id"] == APP_ID
    assert reply["team"] == "Acme Reliability"
    assert reply["user"] == "milestone-bot"
    assert reply["url"] == "https://acme-reliability.slack.com/"


def test_wrong_or_missing_token_is_refused(slack: SlackEmulator) -> None:
    """A wrong token gets invalid_auth and no token gets not_authed."""
    wrong = WebClient(base_url=slack.url, token="xoxb-not-the-right-one", retry_handlers=[])
    with pytest.raises(SlackApiError) as e:
        wrong.auth_test()
    assert e.value.response["error"] == "invalid_auth"
    anonymous = WebClient(base_url=slack.url, retry_handlers=[])
    with pytest.raises(SlackApiError) as e:
        anonymous.auth_test()
    assert e.value.response["error"] == "not_authed"


def test_threaded_post_and_update_are_kept_and_shown(
    slack: SlackEmulator, client: WebClient
) -> None:
    """A parent, a threaded reply and its edit come back in Slack's shapes and in order."""
    parent = client.chat_postMessage(channel=RELIABILITY, text="Let's draft a milestone")
    assert parent["channel"] == RELIABILITY
    assert parent["message"]["user"] == BOT_USER_ID
    assert parent["message"]["bot_id"] == BOT_ID
    assert parent["message"]["ts"] == parent["ts"]
    reply = client.chat_postMessage(channel=RELIABILITY, text="Title?", thread_ts=parent["ts"])
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert reply["message"]["parent_user_id"] == BOT_USER_ID
    assert float(reply["ts"]) > float(parent["ts"])

    updated = client.chat_update(channel=RELIABILITY, ts=reply["ts"], text="What is the title?")
    assert updated["text"] == "What is the title?"
    assert updated["message"]["edited"]["user"] == BOT_USER_ID

    thread = slack.messages(RELIABILITY, parent["ts"])
    assert [m.text for m in thread] == ["Let's draft a milestone", "What is the title?"]
    assert thread[1].revisions[0].text == "Title?"
    assert [m.ts for m in slack.messages(RELIABILITY)] == [parent["ts"]]
    assert "~ was: Title?" in slack.transcript(RELIABILITY, parent["ts"])


def test_form_and_json_bodies_are_both_understood(slack: SlackEmulator, client: WebClient) -> None:
    """Parameters arrive the same whether slack_sdk sends JSON, a form or a query string."""
    client.api_call("chat.postMessage", json={"channel": RELIABILITY, "text": "as json"})
    client.api_call("chat.postMessage", params={"channel": RELIABILITY, "text": "as form"})
    get = urllib.request.Request(
        f"{slack.url}users.info?user={ALICE}", headers={"Authorization": f"Bearer {BOT_TOKEN}"}
    )
    with urllib.request.urlopen(get) as reply:
        assert json.load(reply)["user"]["id"] == ALICE
    posts = slack.calls("chat.postMessage")
    assert [(c.encoding, c.params["text"]) for c in posts] == [
        ("json", "as json"),
        ("form", "as form"),
    ]
    assert (slack.calls("users.info")[0].encoding, slack.calls("users.info")[0].http_method) == (
        "query",
        "GET",
    )
    assert posts[0].header("authorization") == f"Bearer {BOT_TOKEN}"


def test_conversations_open_gives_a_dm_the_bot_can_post_in(
    slack: SlackEmulator, client: WebClient
) -> None:
    """conversations.open answers a D channel id, and posting to it (or to the user id) works."""
    opened = client.conversations_open(users=BOB)
    dm = opened["channel"]["id"]
    assert dm.startswith("D")
    again = client.conversations_open(users=BOB)
    assert again["channel"]["id"] == dm and again["already_open"] is True
    client.chat_postMessage(channel=dm, text="Reminder: two gates are unticked")
    by_user = client.chat_postMessage(channel=BOB, text="Another one")
    assert by_user["channel"] == dm
    assert [m.text for m in slack.messages(dm)] == [
        "Reminder: two gates are unticked",
        "Another one",
    ]
    info = client.conversations_info(channel=dm)
    assert info["channel"]["is_im"] is True and info["channel"]["user"] == BOB


def test_users_info_carries_time_zones(client: WebClient) -> None:
    """users.info answers names, profile and the user's tz, tz_label and tz_offset."""
    bob = client.users_info(user=BOB)["user"]
    assert bob["name"] == "bob"
    assert bob["real_name"] == "Bob Okafor"
    assert bob["profile"]["display_name"] == "bob.o"
    assert bob["tz"] == "Europe/Berlin"
    assert bob["tz_label"] == "Central European Time"
    assert bob["tz_offset"] == 3600
    assert client.users_info(user=ALICE)["user"]["tz_offset"] == -8 * 3600
    with pytest.raises(SlackApiError) as e:
        client.users_info(user="U0NOBODY01")
    assert e.value.response["error"] == "user_not_found"


def test_unknown_method_is_answered_like_slack(client: WebClient) -> None:
    """A method the emulator does not know answers unknown_method."""
    with pytest.raises(SlackApiError) as e:
        client.api_call("chat.scheduleMessage", json={"channel": RELIABILITY})
    assert e.value.response["error"] == "unknown_method"


def test_membership_decides_where_the_bot_may_post(slack: SlackEmulator, client: WebClient) -> None:
    """Public channels the bot is not in answer not_in_channel, private ones channel_not_found."""
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel=RANDOM, text="hi")
    assert e.value.response["error"] == "not_in_channel"
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel=SECRET, text="hi")
    assert e.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel=SRE_PRIVATE, text="hi")["ok"]

    joined = client.conversations_join(channel=RANDOM)
    assert joined["channel"]["is_member"] is True
    assert client.chat_postMessage(channel=RANDOM, text="now I can")["ok"]
    with pytest.raises(SlackApiError) as e:
        client.conversations_join(channel=SECRET)
    assert e.value.response["error"] == "channel_not_found"


def test_chat_write_public_allows_posting_without_joining() -> None:
    """With chat:write.public the bot posts to public channels it is not in, not private ones."""
    with SlackEmulator(chat_write_public=True) as slack:
        client = WebClient(base_url=slack.url, token=BOT_TOKEN, retry_handlers=[])
        assert client.chat_postMessage(channel=RANDOM, text="hello")["ok"]
        assert not slack.bot_is_member(RANDOM)
        with pytest.raises(SlackApiError) as e:
            client.chat_postMessage(channel=SECRET, text="hello")
        assert e.value.response["error"] == "channel_not_found"


def test_ephemeral_messages_are_flagged_and_visible_only_to_their_user(
    slack: SlackEmulator, client: WebClient
) -> None:
    """chat.postEphemeral answers message_ts, and only its user sees the message."""
    parent = client.chat_postMessage(channel=RELIABILITY, text="Draft started")
    sent = client.chat_postEphemeral(
        channel=RELIABILITY, user=ALICE, text="Only you can see this", thread_ts=parent["ts"]
    )
    assert sent["message_ts"]
    thread = slack.messages(RELIABILITY, parent["ts"])
    assert thread[1].ephemeral_to == ALICE and thread[1].is_ephemeral
    assert len(slack.messages(RELIABILITY, parent["ts"], viewer=BOB)) == 1
    assert "only alice sees" in slack.transcript(RELIABILITY, parent["ts"])
    client.conversations_open(users=CAROL)
    with pytest.raises(SlackApiError) as e:
        client.chat_postEphemeral(channel=SRE_PRIVATE, user=CAROL, text="hi")
    assert e.value.response["error"] == "user_not_in_channel"


def test_permalink_reaction_info_and_modal(slack: SlackEmulator, client: WebClient) -> None:
    """chat.getPermalink, reactions.add, conversations.info and views.open answer Slack's shapes."""
    parent = client.chat_postMessage(channel=RELIABILITY, text="Filed")
    reply = client.chat_postMessage(channel=RELIABILITY, text="link", thread_ts=parent["ts"])
    link = client.chat_getPermalink(channel=RELIABILITY, message_ts=reply["ts"])["permalink"]
    assert link.startswith(f"https://acme-reliability.slack.com/archives/{RELIABILITY}/p17")
    assert f"thread_ts={parent['ts']}" in link

    client.reactions_add(channel=RELIABILITY, timestamp=parent["ts"], name="white_check_mark")
    assert slack.message(RELIABILITY, parent["ts"]).reactions == {"white_check_mark": [BOT_USER_ID]}
    with pytest.raises(SlackApiError) as e:
        client.reactions_add(channel=RELIABILITY, timestamp=parent["ts"], name="white_check_mark")
    assert e.value.response["error"] == "already_reacted"

    info = client.conversations_info(channel=RELIABILITY)["channel"]
    assert info["name"] == "reliability" and info["is_member"] is True

    view = {"type": "modal", "title": {"type": "plain_text", "text": "Edit"}, "blocks": []}
    opened = client.views_open(trigger_id=slack.new_trigger_id(), view=view)
    assert opened["view"]["id"].startswith("V")
    assert slack.views[0]["title"]["text"] == "Edit"


def test_blocks_beyond_slack_limits_are_refused(client: WebClient) -> None:
    """A section over 3000 characters is refused with invalid_blocks and a json-pointer."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel=RELIABILITY, text="too long", blocks=blocks)
    assert e.value.response["error"] == "invalid_blocks"
    assert "/blocks/0/text/text" in e.value.response["errors"][0]
    assert block_errors([SectionBlock(text="fine").to_dict()]) == []
    assert block_errors([{"type": "actions", "elements": []}]) != []


def test_messages_get_increasing_timestamps(client: WebClient) -> None:
    """Every message gets a later ts of Slack's "seconds.micros" form."""
    stamps = [client.chat_postMessage(channel=RELIABILITY, text=str(i))["ts"] for i in range(3)]
    assert stamps == sorted(stamps, key=float)
    assert all(len(ts.split(".")[1]) == 6 for ts in stamps)
    assert stamps[0] == "1700000000.000100"


# --- faults ------------------------------------------------------------------------------------


def test_injected_error_comes_back_as_slack_api_error_once(
    slack: SlackEmulator, client: WebClient
) -> None:
    """fail() answers the given error for the next call only, then Slack behaves again."""
    slack.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel=RELIABILITY, text="hi")
    assert e.value.response["error"] == "channel_not_found"
    assert client.chat_postMessage(channel=RELIABILITY, text="hi")["ok"]
    assert [c.fault for c in slack.calls("chat.postMessage")] == ["error channel_not_found", None]


def test_rate_limit_carries_retry_after(slack: SlackEmulator, client: WebClient) -> None:
    """A rate-limited call answers HTTP 429, Retry-After and error ratelimited."""
    slack.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel=RELIABILITY, text="hi")
    assert e.value.response.status_code == 429
    assert e.value.response.headers["Retry-After"] == "7"
    assert e.value.response["error"] == "ratelimited"


def test_rate_limit_retry_handler_retries_and_succeeds(slack: SlackEmulator) -> None:
    """slack_sdk's RateLimitErrorRetryHandler waits out Retry-After and the retry succeeds."""
    slack.rate_limit("chat.postMessage", retry_after=0)
    client = WebClient(
        base_url=slack.url,
        token=BOT_TOKEN,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel=RELIABILITY, text="eventually")["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
    assert len(slack.messages(RELIABILITY)) == 1


def test_http_500_and_always_on_faults(slack: SlackEmulator, client: WebClient) -> None:
    """http_error() answers a bare 500, and times=None keeps a fault on until cleared."""
    slack.http_error("users.info")
    with pytest.raises(SlackApiError) as e:
        client.users_info(user=ALICE)
    assert e.value.response.status_code == 500
    slack.fail("users.info", "ratelimited", times=None)
    for _ in range(3):
        with pytest.raises(SlackApiError):
            client.users_info(user=ALICE)
    slack.clear_faults()
    assert client.users_info(user=ALICE)["ok"]


def test_dropped_connection_fails_the_call(slack: SlackEmulator, client: WebClient) -> None:
    """drop() closes the socket without an answer, which the client sees as a connection error."""
    slack.drop("chat.postMessage")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        client.chat_postMessage(channel=RELIABILITY, text="lost")
    assert client.chat_postMessage(channel=RELIABILITY, text="kept")["ok"]
    assert [m.text for m in slack.messages(RELIABILITY)] == ["kept"]


def test_answer_lost_after_processing_still_posts(slack: SlackEmulator, client: WebClient) -> None:
    """drop(after_processing=True) posts the message, then loses the answer."""
    slack.drop("chat.postMessage", after_processing=True)
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        client.chat_postMessage(channel=RELIABILITY, text="posted anyway")
    assert [m.text for m in slack.messages(RELIABILITY)] == ["posted anyway"]
    assert slack.calls("chat.postMessage")[0].fault == "drop after processing"


def test_slow_reply_outlasts_a_client_timeout(slack: SlackEmulator) -> None:
    """slow() holds the reply past the client's timeout, so the call times out."""
    slack.slow("auth.test", 30)
    impatient = WebClient(base_url=slack.url, token=BOT_TOKEN, retry_handlers=[], timeout=0.2)
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        impatient.auth_test()


# --- response_url ------------------------------------------------------------------------------


def test_response_url_posts_replace_and_are_recorded(
    slack: SlackEmulator, client: WebClient
) -> None:
    """Posting to a response_url answers "ok", adds an ephemeral reply or replaces the original."""
    url = slack.new_response_url(RELIABILITY, ALICE)
    reply = WebhookClient(url).send(text="Only you see this")
    assert (reply.status_code, reply.body) == (200, "ok")
    WebhookClient(url).send(text="Everyone sees this", response_type="in_channel")
    shown = slack.messages(RELIABILITY)
    assert [(m.text, m.ephemeral_to, m.source) for m in shown] == [
        ("Only you see this", ALICE, "response_url"),
        ("Everyone sees this", None, "response_url"),
    ]

    posted = client.chat_postMessage(channel=RELIABILITY, text="Pick one")
    action_url = slack.new_response_url(RELIABILITY, ALICE, message_ts=posted["ts"])
    WebhookClient(action_url).send(text="Picked: Payments", replace_original=True)
    assert slack.message(RELIABILITY, posted["ts"]).text == "Picked: Payments"
    assert slack.calls("response_url")[-1].params["replace_original"] is True
    assert WebhookClient(f"{slack.base_url}/response/nope").send(text="x").status_code == 404


# --- signed requests ---------------------------------------------------------------------------


def test_signed_requests_verify_with_slack_sdk(receiver: _Receiver) -> None:
    """Every kind of request verifies with slack_sdk's SignatureVerifier at the signing time."""
    requests = SlackRequests(receiver.url, clock=lambda: FIXED_NOW)
    requests.slash_command("new Payment retries")
    requests.message_event("hello")
    requests.block_action("approve", value="yes")
    requests.url_verification()
    verifier = SignatureVerifier(SIGNING_SECRET, clock=_FixedClock(FIXED_NOW + 60))
    assert len(receiver.requests) == 4
    for headers, body in receiver.requests:
        assert headers["X-Slack-Request-Timestamp"] == str(FIXED_NOW)
        assert verifier.is_valid_request(body, headers)
    assert requests.sent[0].headers["X-Slack-Signature"] == signature(
        SIGNING_SECRET, FIXED_NOW, receiver.requests[0][1]
    )


def test_tampered_or_stale_requests_do_not_verify(receiver: _Receiver) -> None:
    """A changed body under the old signature, or a timestamp over five minutes old, fails."""
    requests = SlackRequests(receiver.url, clock=lambda: FIXED_NOW)
    sent = requests.message_event("hello").request
    requests.replay(sent, body=sent.body.replace(b"hello", b"HELLO"))
    requests.message_event("late", timestamp=FIXED_NOW - 301)
    verifier = SignatureVerifier(SIGNING_SECRET, clock=_FixedClock(FIXED_NOW))
    original, tampered, stale = receiver.requests
    assert verifier.is_valid_request(original[1], original[0])
    assert not verifier.is_valid_request(tampered[1], tampered[0])
    assert not verifier.is_valid_request(stale[1], stale[0])


def test_retries_carry_retry_headers_and_the_same_event(receiver: _Receiver) -> None:
    """retry() resends the same event_id with X-Slack-Retry-Num and X-Slack-Retry-Reason."""
    requests = SlackRequests(receiver.url, clock=lambda: FIXED_NOW)
    first = requests.message_event("hello").request
    second = requests.retry(first).request
    requests.retry(second, reason="http_error")
    (h1, b1), (h2, _), (h3, b3) = receiver.requests
    assert "X-Slack-Retry-Num" not in h1
    assert (h2["X-Slack-Retry-Num"], h2["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    assert (h3["X-Slack-Retry-Num"], h3["X-Slack-Retry-Reason"]) == ("2", "http_error")
    assert json.loads(b1)["event_id"] == json.loads(b3)["event_id"]


def test_payload_shapes_match_slack(slack: SlackEmulator, receiver: _Receiver) -> None:
    """Slash commands, message events and their edits carry Slack's fields and nesting."""
    requests = SlackRequests(receiver.url, emulator=slack, clock=lambda: FIXED_NOW)
    requests.slash_command("new A & B <x>")
    requests.message_event("see https://github.com/acme/execution/issues/1")
    posted = requests.sent[-1].payload["event"]
    requests.message_event("an answer", thread_ts=posted["ts"], user=BOB)
    requests.message_changed(posted["ts"], "edited text")

    command = {k: v[0] for k, v in parse_qs(receiver.requests[0][1].decode()).items()}
    assert command["command"] == "/milestone" and command["text"] == "new A &amp; B &lt;x&gt;"
    assert command["response_url"].startswith(f"{slack.base_url}/response/")
    assert command["user_name"] == "alice" and command["channel_name"] == "reliability"
    expected = {"token", "team_id", "team_domain", "enterprise_id", "enterprise_name"}
    expected |= {"channel_id", "channel_name", "user_id", "user_name", "command", "text"}
    expected |= {"response_url", "trigger_id", "api_app_id", "is_enterprise_install"}
    assert set(receiver.requests[0][1].decode().replace("=", "&").split("&")[::2]) == expected

    event = json.loads(receiver.requests[1][1])
    assert event["type"] == "event_callback" and event["event_id"].startswith("Ev")
    assert event["authorizations"][0]["user_id"] == BOT_USER_ID
    assert event["event"]["text"] == as_typed("see https://github.com/acme/execution/issues/1")
    assert event["event"]["text"].startswith("see <https://")
    assert event["event"]["channel_type"] == "channel"
    reply = json.loads(receiver.requests[2][1])["event"]
    assert reply["thread_ts"] == posted["ts"] and reply["parent_user_id"] == ALICE
    changed = json.loads(receiver.requests[3][1])["event"]
    assert changed["subtype"] == "message_changed" and changed["hidden"] is True
    assert changed["message"]["text"] == "edited text"
    assert changed["previous_message"]["text"].startswith("see <https://")
    transcript = slack.transcript(RELIABILITY, posted["ts"])
    assert "alice: edited text  [edited 1×]" in transcript
    assert "bob: an answer" in transcript


def test_block_action_is_built_from_the_posted_message(
    slack: SlackEmulator, client: WebClient, receiver: _Receiver
) -> None:
    """A click, a select and ticked checkboxes carry block_id, option shapes and state values."""
    blocks = [
        SectionBlock(text="Pick an area").to_dict(),
        ActionsBlock(
            block_id="pick",
            elements=[
                ButtonElement(text="Skip", action_id="skip", value="skip"),
                StaticSelectElement(
                    action_id="area",
                    placeholder=PlainTextObject(text="Area"),
                    options=[Option(text=PlainTextObject(text="Payments"), value="p")],
                ),
                CheckboxesElement(
                    action_id="gates",
                    options=[
                        Option(text=MarkdownTextObject(text="*SLO*"), value="slo"),
                        Option(text=MarkdownTextObject(text="*Runbook*"), value="rb"),
                    ],
                ),
            ],
        ).to_dict(),
    ]
    posted = client.chat_postMessage(channel=RELIABILITY, text="Pick", blocks=blocks)
    requests = SlackRequests(receiver.url, emulator=slack, clock=lambda: FIXED_NOW)
    requests.block_action("skip", message_ts=posted["ts"])
    requests.block_action("area", selected="Payments", message_ts=posted["ts"])
    requests.block_action("gates", selected=["rb", "slo"], message_ts=posted["ts"])
    with pytest.raises(LookupError):
        requests.block_action("not-there", message_ts=posted["ts"])

    payloads = [json.loads(parse_qs(body.decode())["payload"][0]) for _, body in receiver.requests]
    button, select, checks = (p["actions"][0] for p in payloads)
    assert (button["type"], button["value"], button["block_id"]) == ("button", "skip", "pick")
    assert select["selected_option"]["value"] == "p"
    assert [o["value"] for o in checks["selected_options"]] == ["slo", "rb"]
    assert payloads[2]["state"]["values"]["pick"]["gates"]["type"] == "checkboxes"
    assert payloads[0]["type"] == "block_actions"
    assert payloads[0]["container"]["message_ts"] == posted["ts"]
    assert payloads[0]["message"]["blocks"][0]["block_id"]  # Slack fills missing block_ids
    assert payloads[0]["response_url"].startswith(slack.base_url)


# --- end to end with a real Bolt app -------------------------------------------------------------


@pytest.fixture
def bolt_url(slack: SlackEmulator) -> Iterator[str]:
    """A small Bolt app served over HTTP that talks to the emulator."""
    app = App(
        token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        client=WebClient(base_url=slack.url, token=BOT_TOKEN),
        process_before_response=True,
    )

    @app.command("/milestone")
    def command(ack: Any, respond: Any, say: Any, command: dict[str, Any]) -> None:
        ack()
        respond(f"Starting: {command['text']}")
        say(
            text="Milestone draft",
            blocks=[
                ActionsBlock(
                    elements=[ButtonElement(text="Cancel", action_id="cancel", value="c")]
                ).to_dict()
            ],
        )

    @app.event("message")
    def message(event: dict[str, Any], say: Any) -> None:
        say(text=f"Got: {event['text']}", thread_ts=event.get("thread_ts") or event["ts"])

    @app.action("cancel")
    def cancel(ack: Any, respond: Any) -> None:
        ack()
        respond(text="Cancelled", replace_original=True)

    flask_app = Flask(__name__)
    handler = SlackRequestHandler(app)
    flask_app.add_url_rule(
        "/slack/events", "events", lambda: handler.handle(request), methods=["POST"]
    )
    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()


def test_bolt_app_round_trip_through_both_emulators(slack: SlackEmulator, bolt_url: str) -> None:
    """Bolt accepts the signed requests, and its replies land in the emulator's conversation."""
    requests = SlackRequests(bolt_url, emulator=slack)
    assert requests.url_verification("abc").json() == {"challenge": "abc"}

    assert requests.slash_command("new Payment retries").status == 200
    starting, draft = slack.messages(RELIABILITY, viewer=ALICE)
    assert (starting.text, starting.ephemeral_to) == ("Starting: new Payment retries", ALICE)
    assert draft.text == "Milestone draft" and draft.blocks

    asked = requests.message_event("My answer")
    assert asked.status == 200 and asked.message is not None
    thread = slack.messages(RELIABILITY, asked.message.ts)
    assert [m.text for m in thread] == ["My answer", "Got: My answer"]

    assert requests.block_action("cancel", message_ts=draft.ts).status == 200
    assert slack.message(RELIABILITY, draft.ts).text == "Cancelled"

    before = len(slack.calls("chat.postMessage"))
    assert requests.echo(slack.message(RELIABILITY, draft.ts)).status == 200
    assert len(slack.calls("chat.postMessage")) == before  # Bolt ignores the bot's own message
    assert slack.internal_errors == []


def test_bolt_refuses_stale_and_tampered_requests(slack: SlackEmulator, bolt_url: str) -> None:
    """Bolt answers 401 to a request signed six minutes ago or with a changed body."""
    requests = SlackRequests(bolt_url, emulator=slack)
    # Bolt checks signatures against the real clock, so "six minutes ago" is measured from it.
    stale = requests.slash_command("late", timestamp=int(time.time()) - 360)
    assert stale.status == 401
    ok = requests.url_verification("abc")
    tampered = requests.replay(ok.request, body=ok.request.body.replace(b"abc", b"xyz"))
    assert tampered.status == 401
    assert slack.calls("chat.postMessage") == []
