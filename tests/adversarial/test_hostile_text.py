"""Hostile text: whatever an author (or a forged payload) sends, the issue keeps the template's
structure, nothing typed is lost, and the bot never answers with a server error.

* Forged Markdown structure (headings, task boxes, markers, fences, HTML and comments,
  tables, setext underlines, broadcast mentions): the body printed by `milestone-bot show`
  has exactly the template's headings and boxes, one marker, no raw HTML, and reads back to
  the stored answers; the Slack preview is accepted and pings nobody.
* 100 KB answers: refused with the room left, and the journal keeps what was sent.
* Invalid UTF-8 in the form body of a slash command and of an interaction, signed over
  the raw bytes: never a 500, nothing corrupted, the bot carries on.
* Bidirectional controls (refused, by name) and zero-width characters (refused inside a
  title, by name; trimmed at the ends; kept elsewhere).
* Slack entities that do not close: stored literally.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from flows.draft import Draft, DraftStatus
from flows.parse import parse_issue, unchecked_gates
from flows.render import body_budget, marker, render_body
from flows.template import Template
from tests.adversarial.support import (
    StoreView,
    builder_for,
    cli_process,
    database_path,
    log_events,
    replay_agrees,
    shown_issue,
    start_draft,
    structure,
)
from tests.e2e.harness import Author, BotProcess, message_text, wait_until
from tests.emulators.slack_api import SlackEmulator
from tests.emulators.slack_requests import SlackRequests

FORGED_MARKER = "<!-- milestone-draft: ms-zzzzzz -->"

# What a hostile author types for each question (Slack escapes it and wraps links, as
# its client does); every answer is valid, so each one lands in the issue.
HOSTILE: dict[str, str] = {
    "title": f"## Forged heading {FORGED_MARKER} - [x] `x` <!channel>",
    "milestone": "m2",
    "objective": "- [x] Added/updated unit tests for new behavior. # Not a heading @here <!here>",
    "problem": (
        "# Forged heading\n- [x] Existing related unit suites pass.\n```\n"
        f"{FORGED_MARKER}\n```\n<details><summary>x</summary>\n> quoted\n1. one\n---\n"
        "<!-- unclosed comment"
    ),
    "invariants": "none",
    "additional_invariants": (
        f"- ## Heading item\n- [ ] Protective exits remain unblocked.\n- {FORGED_MARKER}"
    ),
    # An opening and a closing fence (different lines: a list refuses an item typed twice).
    "in_scope": "```python\n- [x] Existing related unit suites pass.\n```",
    "out_of_scope": "<!--\n## Hidden heading\n-->",
    "file_touch": "| a | b |\n|---|---|\n| [x] | <b>x</b> |",
    "implementation": (
        "1. # heading\n2) [x] Added/updated unit tests for new behavior.\n3. Setext\n4. ==="
    ),
    "test_commands": "```\nrm -rf / ```` \n- [x] box",
    "adversarial": "<script>alert(1)</script>\n[^1]: footnote\n[x]: https://evil.example",
    "telemetry": "Setext heading\n===\n***\n$$\nx\n$$x$$",
    "docs": f"{FORGED_MARKER}\n&lt;!-- escaped --&gt;\n> [!WARNING]\n> forged alert",
    "notes": "    indented code\n\t- [x] tab box\n> - [x] quoted box\n<!channel> <@U0BOB00001>",
    "gates": "none",
}
LIST_FIELDS = (
    "additional_invariants",
    "in_scope",
    "out_of_scope",
    "file_touch_plan",
    "implementation_plan",
    "adversarial_scenarios",
    "telemetry_events",
    "docs_touched",
    "notes",
)


def _answer_each_step(
    author: Author, view: StoreView, answers: dict[str, str], *, typed: bool = True
) -> None:
    """Answer whatever the bot asks from `answers`, until the draft reaches the preview."""
    for _ in range(3 * len(answers)):
        draft = view.draft_in_thread(author.thread_ts)
        assert draft is not None
        if draft.status is DraftStatus.PREVIEW:
            return
        step = draft.flow.step or ""
        seen = len(author.bot_replies())
        sent = author.requests.message_event(
            answers[step],
            user=author.user,
            channel=author.channel,
            thread_ts=author.thread_ts,
            typed=typed,
        )
        assert sent.status == 200
        author.await_replies(seen)
        moved = view.draft_in_thread(author.thread_ts)
        assert moved is not None
        refused = moved.flow.step == step and moved.status is draft.status
        assert not refused, f"{step!r} refused: {message_text(author.bot_replies()[-1])}"
    raise AssertionError("the draft never reached the preview")


def _mrkdwn(params: dict[str, Any]) -> list[str]:
    """The texts of a chat.postMessage or chat.update that Slack reads for mentions: the
    call's `text` and every mrkdwn text object (a plain_text header shows `<!channel>`)."""
    blocks = params.get("blocks") or []
    found = [str(params.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return found


def _benign_twin(draft: Draft) -> Draft:
    """The same draft with plain words for every answer, and as many list items."""
    return draft.model_copy(
        update={
            "risk_objective": "plain",
            "problem_statement": "plain",
            "test_commands": ("true",) * len(draft.test_commands),
            **{f: ("plain",) * len(getattr(draft, f)) for f in LIST_FIELDS},
        }
    )


def test_forged_markdown_in_every_answer_adds_no_structure_to_the_issue(
    alice: Author,
    bot: BotProcess,
    slack: SlackEmulator,
    store_view: StoreView,
    template: Template,
) -> None:
    """Headings, boxes, markers, fences and HTML typed as answers stay text in the issue."""
    alice.start()
    _answer_each_step(alice, store_view, HOSTILE)
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    db = database_path(bot)
    title, body = shown_issue(db, draft.id)
    assert "\n" not in title

    shape = structure(body)
    assert shape.headings == [(h.level, h.text) for h in template.heading_keys.values()]
    assert shape.boxes == len(template.invariant_labels) + len(template.gate_labels)
    assert shape.ticked == 0  # "none" to invariants and gates: every box open
    assert shape.html_blocks == [marker(draft.id)]
    assert shape.html_inline == []
    assert shape.fences == 1  # the template's own `bash` block of test commands
    assert shape.blocks == structure(render_body(template, _benign_twin(draft))).blocks

    parsed = parse_issue(template, body)
    assert parsed.draft_id == draft.id
    assert {label for _, label in unchecked_gates(template, body)} == set(template.gate_labels)
    assert parsed.gates == {label: draft.gate(label) for label in template.gate_labels}
    for field, value in parsed.fields.items():
        if field != "gates":
            assert value == getattr(draft, field), field
    assert replay_agrees(db, draft.id)
    assert cli_process(db, "show", draft.id).out == f"{title}\n\n{body}"

    # The preview went to Slack in blocks Slack accepted, and pinged nobody.
    posts = slack.calls("chat.postMessage") + slack.calls("chat.update")
    assert all(call.response["ok"] for call in posts), [c.response for c in posts]
    assert sum(len(_mrkdwn(call.params)) for call in posts) > 2 * len(posts)
    assert "Milestone Context" in "\n".join(message_text(m) for m in alice.bot_replies())
    for call in posts:
        for said in _mrkdwn(call.params):
            for ping in ("<!channel>", "<!here>", "<!everyone>", "<@U0BOB00001>"):
                assert ping not in said, (ping, said[:300])
    assert not log_events(bot, "slack.call_failed")


def test_a_100_kb_answer_is_refused_with_the_room_left_and_journaled(
    alice: Author, store_view: StoreView, template: Template
) -> None:
    """A 100 KB problem statement is refused naming the characters left, and kept verbatim."""
    alice.start("new Bound retries")
    for text in ("m3", "Exposure stays bounded"):
        seen = len(alice.bot_replies())
        alice.say(text)
        alice.await_replies(seen)
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None and draft.flow.step == "problem"
    huge = " ".join(f"word{n % 10}" for n in range(20_000))  # 119,999 characters
    room = body_budget(template, draft)

    replies = alice.say(huge, expect="characters left")
    refusal = next(message_text(m) for m in replies if "characters left" in message_text(m))
    assert f"{room:,} characters left" in refusal
    assert len(refusal) < 3_000  # the answer is not echoed back
    last = store_view.journal(draft.id)[-1]
    assert (last["kind"], last["question_id"]) == ("rejected", "problem")
    assert last["input"] == huge
    assert store_view.draft(draft.id).problem_statement == ""
    assert replay_agrees(store_view.path, draft.id)
    alice.say("Cancels loop without bound.", expect="Question 4 of 15")


def test_a_100_kb_title_in_the_slash_command_is_refused_and_journaled(
    alice: Author, slack: SlackEmulator, store_view: StoreView
) -> None:
    """`/milestone new <100 KB>` says how much to cut, asks for a title, and keeps the text."""
    huge = "Bound " * 17_000
    start_draft(alice, f"new {huge}")
    assert "Question 1 of 16" in message_text(alice.bot_replies()[-1])
    note = wait_until(
        lambda: [
            m
            for m in slack.messages(alice.channel, viewer=alice.user)
            if m.source == "response_url" and "couldn't use that title" in (m.text or "")
        ],
        what="the refusal",
    )[0]
    assert f"yours is {len(huge.strip())}" in note.text
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None and draft.title == ""
    rejected = [e for e in store_view.journal(draft.id) if e["kind"] == "rejected"]
    assert [e["input"] for e in rejected] == [huge.strip()]
    alice.say("Bound retries", expect="Question 2 of 16")


PLACE = "RAWBYTESHERE"


def _form(fields: dict[str, str], raw: bytes) -> bytes:
    """The fields form-encoded, with the bytes `raw` in place of PLACE."""
    return urlencode(fields).encode().replace(PLACE.encode(), raw)


INVALID_UTF8 = {"raw bytes": b"\xff\xfe\xc3", "percent-encoded": b"%FF%FE%C3"}


@pytest.mark.parametrize("where", ["slash command", "interaction"])
@pytest.mark.parametrize("encoding", list(INVALID_UTF8))
def test_invalid_utf8_in_a_form_body_is_never_a_server_error(
    where: str,
    encoding: str,
    alice: Author,
    bot: BotProcess,
    requests: SlackRequests,
    slack: SlackEmulator,
    store_view: StoreView,
) -> None:
    """Bytes that are not UTF-8, correctly signed, get no 500 and corrupt nothing."""
    alice.start("new Bound retries")
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    build = builder_for(requests)
    if where == "slash command":
        build.slash_command(f"new Bound {PLACE} retries", typed=False)
        fields = build.sent[-1].payload
        body = _form(fields, INVALID_UTF8[encoding])
    else:
        question = next(
            m for m in reversed(alice.bot_replies()) if "Question 1 of 15" in message_text(m)
        )
        action = next(
            e["action_id"]
            for b in question.blocks or []
            if b.get("type") == "actions"
            for e in b["elements"]
            if e.get("text", {}).get("text") == "M3"
        )
        build.block_action(
            action,
            user=alice.user,
            channel=alice.channel,
            message_ts=question.ts,
            thread_ts=alice.thread_ts,
        )
        payload = build.sent[-1].payload
        payload["actions"][0]["value"] = json.dumps({"d": draft.id, "q": "milestone", "t": PLACE})
        body = _form({"payload": json.dumps(payload)}, INVALID_UTF8[encoding])
    before = store_view.counts()

    response = requests.post(body, "application/x-www-form-urlencoded")
    # Percent-encoded, the body is ASCII and verifies; raw, see below.
    assert response.status in ((200,) if encoding == "percent-encoded" else (200, 401))
    if response.status == 401:
        # Bolt checks the signature over the body decoded with replacement characters, so
        # bytes that are not UTF-8 never verify: refused, like any forgery.
        assert store_view.counts() == before
    elif where == "slash command":
        wait_until(lambda: len(store_view.drafts()) == 2, what="the second draft")
        made = store_view.drafts()[-1]
        assert "\ufffd" in made["title"]
        assert replay_agrees(store_view.path, made["id"])
    else:
        wait_until(lambda: len(store_view.journal(draft.id)) > before["journal"], what="the click")
        last = store_view.journal(draft.id)[-1]
        assert last["kind"] == "rejected"
        assert "\ufffd" in last["input"]
        assert store_view.draft(draft.id).target_milestone == ""
    assert not [line for line in bot.logs().splitlines() if "Traceback" in line]
    assert replay_agrees(store_view.path, draft.id)
    alice.say("m3", expect="Question 2 of 15")  # the bot carries on


def test_a_title_typed_with_the_slash_command_is_stored_as_typed(
    alice: Author, store_view: StoreView
) -> None:
    """`/milestone new TITLE` stores the title that TITLE typed in the thread would give."""
    typed = "Cancel & replace <loops> *now*"
    start_draft(alice, "new")
    alice.say(typed, expect="Question 2 of 16")
    in_thread = store_view.draft_in_thread(alice.thread_ts)
    start_draft(alice, f"new {typed}")
    with_command = store_view.draft_in_thread(alice.thread_ts)
    assert in_thread is not None and with_command is not None
    assert "&" in in_thread.title and "&amp;" not in in_thread.title
    assert with_command.title == in_thread.title


def test_bidi_controls_are_refused_by_name_and_zero_width_characters_handled(
    alice: Author, slack: SlackEmulator, store_view: StoreView
) -> None:
    """Text-direction overrides are refused naming the character; zero-width ones are trimmed
    at the ends, refused inside a title, and right-to-left scripts are kept as typed."""
    start_draft(alice, "new Bound \u202e retries")
    note = wait_until(
        lambda: [
            m
            for m in slack.messages(alice.channel, viewer=alice.user)
            if m.source == "response_url" and "U+202E" in (m.text or "")
        ],
        what="the refusal of the title",
    )[0]
    assert "RIGHT-TO-LEFT OVERRIDE" in note.text
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None

    alice.say("Bound\u200bretries", expect="U+200B ZERO WIDTH SPACE")
    alice.say("\u200bBound retries\u200b", expect="Question 2 of 16")
    assert store_view.draft(draft.id).title == "Bound retries"
    alice.say("m2", expect="Question 3 of 16")
    for control, name in (("\u202e", "U+202E"), ("\u2067", "U+2067"), ("\u202a", "U+202A")):
        alice.say(f"Exposure {control}stays bounded", expect=name)
    hebrew = "החשיפה נשארת \u200f(M2)"  # Hebrew, and a right-to-left mark: kept as typed
    alice.say(hebrew, expect="Question 4 of 16")
    # Arabic, with a zero-width space inside: kept as typed.
    arabic = "يعيد الإرسال\u200b بلا حد."
    alice.say(arabic, expect="Question 5 of 16")

    stored = store_view.draft(draft.id)
    assert stored.risk_objective == hebrew
    assert stored.problem_statement == arabic
    refused = [e["input"] for e in store_view.journal(draft.id) if e["kind"] == "rejected"]
    assert refused == [
        "Bound \u202e retries",
        "Bound\u200bretries",
        "Exposure \u202estays bounded",
        "Exposure \u2067stays bounded",
        "Exposure \u202astays bounded",
    ]
    assert replay_agrees(store_view.path, draft.id)


UNCLOSED = [
    "<https://x",
    "<@U123",
    "<#C1|",
    "<mailto:a@b",
    "<!here",
    "<@U0BOB00001|bob",
    "``` unclosed fence",
]
# Only in a raw payload: typed in Slack, its client links "https://x|label" as a URL with a
# label, and the bot rightly writes that link as [label](https://x).
RAW_ONLY = ["a <https://x|label b", "<https://x|<#C1|"]


@pytest.mark.parametrize("typed", [False, True], ids=["raw payload", "typed in Slack"])
def test_slack_entities_that_do_not_close_are_stored_literally(
    typed: bool, alice: Author, bot: BotProcess, store_view: StoreView, template: Template
) -> None:
    """`<https://x`, `<@U123`, `<#C1|` and friends are kept exactly as sent, and render."""
    alice.start("new Bound retries")
    draft = store_view.draft_in_thread(alice.thread_ts)
    assert draft is not None
    for text in ("m3", "Exposure stays bounded", "Cancels loop.", "none", "skip"):
        seen = len(alice.bot_replies())
        alice.say(text)
        alice.await_replies(seen)
    assert store_view.draft(draft.id).flow.step == "in_scope"
    items = UNCLOSED if typed else UNCLOSED + RAW_ONLY
    seen = len(alice.bot_replies())
    sent = alice.requests.message_event(
        "\n".join(items),
        user=alice.user,
        channel=alice.channel,
        thread_ts=alice.thread_ts,
        typed=typed,
    )
    assert sent.status == 200
    alice.await_replies(seen, "Question 7 of 15")
    assert store_view.draft(draft.id).in_scope == tuple(items)
    _, body = shown_issue(database_path(bot), draft.id)
    assert parse_issue(template, body).fields["in_scope"] == tuple(items)
    assert structure(body).html_inline == []
    assert replay_agrees(store_view.path, draft.id)
