"""The Slack preview of a rendered issue: layout, escaping and Slack's limits."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block

from bot.slack.preview import (
    MAX_BLOCKS,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_TEXT,
    MAX_SECTION_TEXT,
    blocks_fallback_text,
    preview_messages,
)
from flows.draft import Draft, GateState, GateStatus
from flows.render import render_issue
from flows.template import load_template

TITLE = "[Reliability] Bound cancel/replace retries"

SAMPLE_BODY = """\
## Milestone Context

- Roadmap reference: `docs/execution_roadmap_90d.md`
- Target milestone: `M2`
- Risk-reduction objective: stop runaway order churn

## Problem Statement

Cancel/replace retries are **unbounded** when the exchange answers *ambiguously*;
see [the incident](https://example.com/inc?id=7&x=1).

## Invariants Strengthened

- [x] Protective exits remain unblocked.
- [x] No infinite create/cancel/replace loops.
- [ ] Worst-case exposure remains bounded under ambiguity.

## Scope

### In scope
- retry budget per order
- journal the budget

### Out of scope
- venue-specific tuning

## Implementation Plan

1. Add a retry budget.
2. Journal every spend.
3. Alert when a budget runs out.

## Test Gates (Required)

### Unit tests
- [x] Added/updated unit tests for new behavior.
- [ ] Existing related unit suites pass.

Commands:
```bash
pytest -q tests/test_retry_budget.py
```

## Telemetry and Observability

- [x] Dashboard/alert impact reviewed. — N/A: no dashboard reads these events
- [ ] New/changed behavior emits structured telemetry.

## Notes / Assumptions

- ~~old plan~~ replaced

<!-- milestone-draft: d-42 -->
"""


def _texts(message: list[dict]) -> list[str]:
    out = []
    for block in message:
        if block["type"] in ("header", "section"):
            out.append(block["text"]["text"])
        elif block["type"] == "context":
            out.extend(element["text"] for element in block["elements"])
    return out


def _all_text(messages: list[list[dict]]) -> str:
    return "\n".join(text for message in messages for text in _texts(message))


def _mrkdwn_text(messages: list[list[dict]]) -> str:
    return "\n".join(
        block["text"]["text"]
        for message in messages
        for block in message
        if block["type"] == "section"
    )


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _assert_valid(messages: list[list[dict]]) -> None:
    assert messages
    for message in messages:
        assert 1 <= len(message) <= MAX_BLOCKS
        assert sum(len(text) for text in _texts(message)) <= MAX_MESSAGE_TEXT
        for block in message:
            parsed = Block.parse(block)
            assert parsed is not None
            parsed.validate_json()
            assert parsed.to_dict() == block
            if block["type"] == "header":
                assert 1 <= len(block["text"]["text"]) <= MAX_HEADER_TEXT
            if block["type"] == "section":
                assert block["text"]["text"].strip()
                assert len(block["text"]["text"]) <= MAX_SECTION_TEXT


def _assert_no_slack_control(text: str) -> None:
    # Every raw "<" must open a link this module wrote; the body's own are escaped.
    for marker in ("<!", "<@", "<#"):
        assert marker not in text
    pos = text.find("<")
    while pos >= 0:
        assert text.startswith(("<http://", "<https://", "<mailto:"), pos)
        end = text.find(">", pos)
        assert end > 0 and "<" not in text[pos + 1 : end] and "\n" not in text[pos:end]
        pos = text.find("<", end)
    for amp in range(len(text)):
        if text[amp] == "&":
            assert text.startswith(("&amp;", "&lt;", "&gt;"), amp)


def test_full_sample_renders_every_kind_of_block() -> None:
    """A full rendered body shows headings, ☑/☐ boxes, N/A, lists, an ordered list and code."""
    messages = preview_messages(TITLE, SAMPLE_BODY)
    _assert_valid(messages)
    assert len(messages) == 1
    blocks = messages[0]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": TITLE, "emoji": True},
    }
    headers = [b["text"]["text"] for b in blocks if b["type"] == "header"]
    assert headers[1:4] == ["Milestone Context", "Problem Statement", "Invariants Strengthened"]
    text = _all_text(messages)
    assert "• Target milestone: `M2`" in text
    assert "☑ Protective exits remain unblocked." in text
    assert "☐ Worst-case exposure remains bounded under ambiguity." in text
    assert "☑ Dashboard/alert impact reviewed. — _N/A: no dashboard reads these events_" in text
    assert "*In scope*\n• retry budget per order\n• journal the budget" in text
    assert "1. Add a retry budget.\n2. Journal every spend.\n3. Alert when" in text
    assert "```\npytest -q tests/test_retry_budget.py\n```" in text
    assert "*unbounded*" in text and "_ambiguously_" in text and "~old plan~" in text
    assert "<https://example.com/inc?id=7&amp;x=1|the incident>" in text
    assert "milestone-draft" not in text
    sections = [b for b in blocks if b["type"] == "section"]
    assert all(b["text"]["type"] == "mrkdwn" and b["text"]["verbatim"] for b in sections)


def test_lead_comes_first_and_is_escaped() -> None:
    """The lead line is the first block, its `<` and `&` escaped, its bold kept."""
    messages = preview_messages(TITLE, "Body.", lead="*2 required* questions left <!here> & co")
    first = messages[0][0]
    assert first["type"] == "section"
    assert first["text"]["text"] == "*2 required* questions left &lt;!here&gt; &amp; co"
    assert messages[0][1]["type"] == "header"


def test_long_title_is_truncated_with_an_ellipsis() -> None:
    """A title over 150 characters is cut to 150 with a trailing ellipsis."""
    title = "[Reliability] " + "word " * 60
    header = preview_messages(title, "")[0][0]["text"]["text"]
    assert len(header) <= MAX_HEADER_TEXT
    assert header.endswith("…")
    assert header.startswith("[Reliability] word word")


def test_long_heading_becomes_a_bold_line_without_losing_words() -> None:
    """A `##` heading too long for a header block is shown whole as a bold line."""
    heading = " ".join(f"part{i}" for i in range(40))
    messages = preview_messages(TITLE, f"## {heading}\n\ntext\n")
    _assert_valid(messages)
    assert f"*{heading}*" in _all_text(messages)


def test_inline_markup_converts_to_mrkdwn() -> None:
    """Bold, italics, strike, links, images and inline code become their mrkdwn forms."""
    body = (
        "**bold** *it* _it2_ ~~gone~~ `a < b` [x](https://e.x/p) ![pic](https://e.x/i.png) "
        "<https://auto.example> [rel](../docs/a.md) line\nbreak"
    )
    text = _all_text(preview_messages(TITLE, body))
    assert (
        "*bold* _it_ _it2_ ~gone~ `a &lt; b` <https://e.x/p|x> <https://e.x/i.png|pic> "
        "<https://auto.example> rel line\nbreak"
    ) in text


def test_renderer_backslash_escapes_show_the_literal_character() -> None:
    """Backslash escapes such as \\#, \\-, \\[ and \\* show the character, not the backslash."""
    body = "\\# not a heading\n\n\\- not a list \\[not a link\\](x) \\*plain\\*\n"
    text = _all_text(preview_messages(TITLE, body))
    assert "# not a heading" in text
    assert "- not a list [not a link](x) *plain*" in text
    assert "\\" not in text


def test_hostile_labels_cannot_ping_or_link() -> None:
    """Mentions, entities and Slack link syntax in labels are escaped, never live in Slack."""
    body = (
        "- [ ] ping <!here> and <!channel> and <@U123> and <#C42>\n"
        "- [ ] entity \\&lt; and &lt;b&gt;\n"
        "- [ ] escaped \\<https://x|y\\>\n"
        "- [ ] raw <https://x|y>\n"
        "- [x] gate — N/A: <!everyone> said so\n"
        "\n```\n<!here> inside code & <@U1>\n```\n"
    )
    messages = preview_messages("<!here> title & <@U9>", body, lead="<!channel>")
    _assert_valid(messages)
    _assert_no_slack_control(_mrkdwn_text(messages))
    text = _all_text(messages)
    assert "☐ ping &lt;!here&gt; and &lt;!channel&gt; and &lt;@U123&gt; and &lt;#C42&gt;" in text
    assert "☐ entity &amp;lt; and &lt;b&gt;" in text
    assert "☐ escaped &lt;https://x|y&gt;" in text
    assert "<https://x|y>" not in text
    assert "☑ gate — _N/A: &lt;!everyone&gt; said so_" in text
    assert "&lt;!here&gt; inside code &amp; &lt;@U1&gt;" in text
    # A header is plain_text, which Slack never parses for mentions; it shows as typed.
    assert messages[0][1]["text"] == {
        "type": "plain_text",
        "text": "<!here> title & <@U9>",
        "emoji": True,
    }


def test_hidden_marker_and_html_comments_are_not_shown() -> None:
    """The draft marker and other HTML comments are hidden; other HTML shows as text."""
    body = (
        "<!-- milestone-draft: abc -->\n\n"
        "Seen <!-- hidden --> text<br>next\n\n"
        "<details>x</details>\n"
    )
    text = _all_text(preview_messages(TITLE, body))
    assert "milestone-draft" not in text and "hidden" not in text
    assert "Seen  text\nnext" in text
    assert "&lt;details&gt;x&lt;/details&gt;" in text


def test_long_sections_split_at_limits_without_breaking_entities() -> None:
    """Over-long paragraphs, lines, code and entity runs split into blocks within the limits."""
    body = "\n\n".join(
        [
            "## Big",
            "word " * 2000,
            "&" * 4000,
            "x" * 7000,
            "```\n" + ("code line <tag>\n" * 600) + "```",
            "- [ ] " + "label " * 900,
        ]
    )
    messages = preview_messages(TITLE, body)
    _assert_valid(messages)
    sections = [b["text"]["text"] for m in messages for b in m if b["type"] == "section"]
    assert len(sections) > 5
    for text in sections:
        _assert_no_slack_control(text)
        assert text.count("```") % 2 == 0
    joined = "".join(_unescape(text) for text in sections)
    assert joined.count("&") == 4000
    assert joined.count("x" * 100) >= 70


def test_many_blocks_start_new_valid_messages() -> None:
    """Past 50 blocks the preview continues in a new message that is valid on its own."""
    body = "\n\n".join(f"## Heading {i}\n\nText {i}." for i in range(80))
    messages = preview_messages(TITLE, body)
    _assert_valid(messages)
    assert len(messages) >= 4
    for number, message in enumerate(messages[1:], start=2):
        assert message[0]["type"] == "context"
        assert message[0]["elements"][0]["text"] == (
            f"Preview, continued ({number} of {len(messages)})"
        )
    for message in messages:
        assert message[-1]["type"] != "header"
    text = _all_text(messages)
    assert all(f"Heading {i}" in text and f"Text {i}." in text for i in range(80))


def test_sixty_kilobyte_body_splits_and_loses_no_words() -> None:
    """A 60 KB body comes out as several valid messages holding every word of it."""
    rng = random.Random(7)
    vocabulary = [f"w{i}ord" for i in range(500)]
    parts: list[str] = []
    size = 0
    while size < 60_000:
        kind = rng.choice(["heading", "sub", "para", "list", "tasks", "ordered", "code"])
        words = [rng.choice(vocabulary) for _ in range(rng.randint(3, 60))]
        if kind == "heading":
            part = "## " + " ".join(words[:5])
        elif kind == "sub":
            part = "### " + " ".join(words[:5])
        elif kind == "para":
            part = " ".join(words)
        elif kind == "list":
            part = "\n".join(f"- {w} & {w}" for w in words)
        elif kind == "tasks":
            part = "\n".join(f"- [{rng.choice(' x')}] {w} <{w}>" for w in words)
        elif kind == "ordered":
            part = "\n".join(f"{i}. {w}" for i, w in enumerate(words, start=1))
        else:
            part = "```\n" + "\n".join(words) + "\n```"
        parts.append(part)
        size += len(part) + 2
    body = "\n\n".join(parts)
    assert len(body.encode()) >= 60_000
    messages = preview_messages(TITLE, body)
    _assert_valid(messages)
    assert len(messages) >= 5
    text = _unescape(_all_text(messages))
    wanted = Counter(w for w in _words(body) if "ord" in w)
    found = Counter(w for w in _words(text) if "ord" in w)
    assert not wanted - found


def _words(text: str) -> list[str]:
    for mark in "<>*_":
        text = text.replace(mark, " ")
    return text.split()


def test_fallback_text_is_short_and_escaped() -> None:
    """The fallback text is the first line shown, escaped and at most 150 characters."""
    with_lead = preview_messages(TITLE, SAMPLE_BODY, lead="Here is the preview. 2 left.")
    assert blocks_fallback_text(with_lead[0]) == "Here is the preview. 2 left."
    title_only = preview_messages("Fix <!here> & more " + "x" * 300, "")
    fallback = blocks_fallback_text(title_only[0])
    assert fallback.startswith("Fix &lt;!here&gt; &amp; more")
    assert len(fallback) <= MAX_FALLBACK_TEXT and fallback.endswith("…")
    assert blocks_fallback_text([]) == "Issue preview"


def test_empty_body_and_title_still_make_a_valid_message() -> None:
    """An empty body and blank title still give one valid message with a header."""
    messages = preview_messages("   ", "")
    _assert_valid(messages)
    assert messages == [
        [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "(untitled issue)", "emoji": True},
            }
        ]
    ]


_MARKDOWNISH = st.lists(
    st.sampled_from(
        [*"ab &<>!@#|*_~`-[]()\\:/.1\n ", "http://x", "<!here>", "- [ ] ", "\n```\n", "\n## "]
    ),
    max_size=200,
).map("".join)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(body=st.one_of(st.text(max_size=800), _MARKDOWNISH), title=st.text(max_size=200))
def test_arbitrary_bodies_stay_within_limits_and_escaped(body: str, title: str) -> None:
    """For any body, every block is valid, within limits, and no raw `<` from it is live."""
    messages = preview_messages(title, body)
    _assert_valid(messages)
    for message in messages:
        for block in message:
            if block["type"] == "section":
                _assert_no_slack_control(block["text"]["text"])
    assert len(blocks_fallback_text(messages[0])) <= MAX_FALLBACK_TEXT


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(["", "## ", "### ", "- ", "- [ ] ", "- [x] ", "1. ", "> ", "    "]),
            st.lists(st.from_regex(r"[a-z]{1,12}", fullmatch=True), min_size=1, max_size=30),
        ),
        max_size=60,
    )
)
def test_words_of_structured_bodies_all_survive(lines: list[tuple[str, list[str]]]) -> None:
    """Whatever the mix of headings, lists, quotes and code, every word reaches the preview."""
    body = "\n".join(prefix + " ".join(words) for prefix, words in lines)
    messages = preview_messages(TITLE, body)
    _assert_valid(messages)
    found = Counter(_words(_all_text(messages)))
    wanted = Counter(word for _, words in lines for word in words)
    assert not wanted - found


def test_a_draft_rendered_by_flows_render_previews_safely() -> None:
    """A hostile draft rendered by flows.render previews with its words shown and escaped."""
    template = load_template()
    hostile = ("<!here> ping", "&lt; entity", "<https://x|y>", "# not heading", "[x](y)")
    gates = {template.gate_labels[0]: GateState(status=GateStatus.NOT_APPLICABLE, reason="n/a")}
    draft = Draft(id="d-1", title="Bound <!here> retries", in_scope=hostile, gates=gates)
    issue = render_issue(template, draft)
    messages = preview_messages(issue.title, issue.body)
    _assert_valid(messages)
    mrkdwn = _mrkdwn_text(messages)
    _assert_no_slack_control(mrkdwn)
    assert "• &lt;!here&gt; ping\n• &amp;lt; entity\n• &lt;https://x|y&gt;" in mrkdwn
    assert f"☑ {template.gate_labels[0]} — _N/A: n/a_" in mrkdwn
    assert "milestone-draft" not in _all_text(messages)
