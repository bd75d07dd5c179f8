"""The typed-answer grammar: what an author may type, and the exact fix when it does not parse.

Slack, the terminal and the tests all rely on this grammar, so it lives in one place:

- Control words are a whole message (trimmed, any case): `skip`, `back`, `preview`,
  `edit <section>`, `file`, `cancel`, `help`, and `none` (no answer to this question).
  In a message of several lines, a line that is only one of them is refused rather than
  taken as text: the author meant the word, and must send it alone (`command_lines`).
- Lists: one item per line; a leading `-`, `*`, `•`, `◦`, `1.` or `1)` marker is dropped,
  blank lines are ignored, whitespace is trimmed. Ordered lists keep the order typed.
  An item typed twice in an unordered list is refused, naming it (a plan's steps may
  repeat, so ordered lists keep repeats).
- Single choice: the option itself (any case) or its number in the list shown.
- Multiple choice: option numbers split by spaces or commas, or `all`, or `none`.
- Gates: one line per decision, numbers from the gate list shown: `done 1 2`,
  `n/a 8: no dashboards for this service` (a reason is required), or `none`.

Every parser here is pure and raises only InvalidAnswer, whose message names the fix.
Each `format_*` is the parser's inverse, so a current answer can be shown and retyped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from flows.draft import GateState, GateStatus
from flows.errors import InvalidAnswer

CONTROL_WORDS: tuple[str, ...] = (
    "skip",
    "back",
    "preview",
    "edit",
    "file",
    "cancel",
    "help",
    "none",
)

# Embedding/override/isolate controls: they make text display in an order other than the one
# it is stored in (the "Trojan Source" attack), so a reviewer could read something else.
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Invisible characters that sneak in through copy-paste; trimmed at the ends of single-line
# answers, refused inside titles (two titles that look alike must be alike).
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")

# What check_text refuses, found by the regex engine rather than a Python loop per
# character (it runs on every answer): the bidi controls above, and the control characters
# (Unicode category Cc: U+0000-U+001F and U+007F-U+009F) other than line feed and tab.
_BIDI = re.compile(f"[{''.join(sorted(BIDI_CONTROLS))}]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LIST_MARKER = re.compile(r"^(?:[-*•◦▪]|\d{1,3}[.)])(?:\s+|$)")
_SPLIT_NUMBERS = re.compile(r"[\s,]+")
_GATE_LINE = re.compile(r"^(done|n/?a)\b\s*(.*)$", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class Control:
    """A control word typed as the whole message; `argument` is the rest (for `edit`)."""

    word: str
    argument: str = ""


def parse_control(text: str) -> Control | None:
    """The control word `text` is, or None when it is an answer (a multi-line message is)."""
    cleaned = strip_invisible(text)
    if "\n" in cleaned or "\r" in cleaned:
        return None
    word, *rest = cleaned.split() or [""]
    word = word.lower()
    if word == "edit":
        return Control("edit", " ".join(rest))
    if word in CONTROL_WORDS and not rest:
        return Control(word)
    return None


def command_lines(text: str) -> list[tuple[str, Control]]:
    """The lines of a message of several lines that are each a control word on their own.

    Only a line without a list marker counts: `- cancel` is an item, `cancel` a command.
    """
    lines = re.split(r"\r\n|[\r\n\u2028\u2029]", text)
    if len([line for line in lines if line.strip()]) < 2:
        return []
    found: list[tuple[str, Control]] = []
    for raw in lines:
        line = strip_invisible(raw)
        control = parse_control(line) if line else None
        if control is not None:
            found.append((line, control))
    return found


def is_none(text: str) -> bool:
    """`none` typed as the whole message (any case)."""
    control = parse_control(text)
    return control is not None and control.word == "none"


def _char_name(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')}"


def check_text(text: str) -> str:
    """Refuse characters no answer needs; return the text with line endings normalized."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    bidi = sorted(set(_BIDI.findall(text)))
    if bidi:
        names = ", ".join(_char_name(ch) for ch in bidi)
        raise InvalidAnswer(
            f"Your answer contains an invisible text-direction character ({names}), which can "
            "make text read differently from how it runs (a Trojan Source risk). "
            "Retype it without that character."
        )
    controls = sorted(set(_CONTROLS.findall(text)))
    if controls:
        names = ", ".join(f"U+{ord(ch):04X}" for ch in controls)
        raise InvalidAnswer(
            f"Your answer contains a control character ({names}); retype it without."
        )
    return text


def strip_invisible(text: str) -> str:
    """Trim whitespace and zero-width characters at both ends, never inside."""
    return text.strip("".join(ZERO_WIDTH) + " \t\n\x0b\x0c\u00a0\u3000")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def parse_title(text: str, *, limit: int, prefix: str) -> str:
    """One line of at most `limit` characters; a typed copy of `prefix` is dropped."""
    text = strip_invisible(check_text(text))
    if "\n" in text:
        lines = len([line for line in text.split("\n") if line.strip()])
        raise InvalidAnswer(
            f"A title is one line; you sent {_count(lines, 'line')}. "
            "Put the detail in the problem statement."
        )
    if prefix.strip() and text.lower().startswith(prefix.strip().lower()):
        text = strip_invisible(text[len(prefix.strip()) :])
    hidden = sorted({ch for ch in text if ch in ZERO_WIDTH})
    if hidden:
        names = ", ".join(_char_name(ch) for ch in hidden)
        raise InvalidAnswer(
            f"The title contains an invisible character ({names}); retype it without, "
            "so it reads and searches as it looks."
        )
    if not text:
        raise InvalidAnswer("The title is empty; send one line naming the failure you're fixing.")
    if len(text) > limit:
        raise InvalidAnswer(
            f"Titles can be at most {limit} characters (GitHub's 256 minus "
            f"“{prefix.strip()} ”); yours is {len(text)}. Cut {len(text) - limit}."
        )
    return text


def parse_line(text: str, *, what: str) -> str:
    """One line; a message of several lines is refused."""
    text = strip_invisible(check_text(text))
    if "\n" in text:
        raise InvalidAnswer(f"The {what} is one line; send it without line breaks.")
    if not text:
        raise InvalidAnswer(f"The {what} is empty; send one line.")
    return text


def parse_sentence(text: str, *, what: str) -> str:
    """A sentence or two; line breaks become spaces (it sits on one line of the issue)."""
    text = check_text(text)
    joined = " ".join(strip_invisible(line) for line in text.split("\n") if line.strip())
    joined = strip_invisible(joined)
    if not joined:
        raise InvalidAnswer(f"The {what} is empty; send a sentence or two.")
    return joined


def parse_paragraph(text: str, *, what: str) -> str:
    """Exactly one paragraph: blank lines separate paragraphs, so none may appear inside."""
    text = check_text(text)
    lines = [line.rstrip() for line in text.split("\n")]
    paragraphs = 0
    previous_blank = True
    for line in lines:
        blank = not strip_invisible(line)
        if not blank and previous_blank:
            paragraphs += 1
        previous_blank = blank
    if paragraphs == 0:
        raise InvalidAnswer(f"The {what} is empty; describe it in one paragraph.")
    if paragraphs > 1:
        raise InvalidAnswer(
            f"The {what} should be one paragraph; you sent {paragraphs}. "
            "Join them, or move the extra detail to the notes."
        )
    return strip_invisible("\n".join(lines))


def parse_list(text: str, *, what: str, required: bool, unique: bool = True) -> tuple[str, ...]:
    """Items one per line, markers dropped, order kept; `none` clears an optional list.

    With `unique`, an item typed twice (any case or spacing) is refused, naming it.
    """
    text = check_text(text)
    if strip_invisible(text).lower() == "none":
        if required:
            raise InvalidAnswer(
                f"The {what} needs at least one item, so `none` can't answer it; send one per line."
            )
        return ()
    items: list[str] = []
    for raw in text.split("\n"):
        line = strip_invisible(raw)
        line = strip_invisible(_LIST_MARKER.sub("", line, count=1))
        if line:
            items.append(line)
    if not items:
        if required:
            raise InvalidAnswer(f"The {what} needs at least one item; send one per line.")
        raise InvalidAnswer("That's empty; send one item per line, `none`, or `skip`.")
    if unique:
        _refuse_repeats(items)
    return tuple(items)


def _refuse_repeats(items: list[str]) -> None:
    seen: dict[str, int] = {}
    for item in items:
        key = " ".join(item.split()).casefold()
        seen[key] = seen.get(key, 0) + 1
    repeated = [item for item in items if seen[" ".join(item.split()).casefold()] > 1]
    if not repeated:
        return
    first = repeated[0]
    times = seen[" ".join(first.split()).casefold()]
    others = len({" ".join(i.split()).casefold() for i in repeated}) - 1
    more = f" (and {_count(others, 'other item')} too)" if others else ""
    shown = first if len(first) <= 60 else first[:59] + "…"
    raise InvalidAnswer(
        f"“{shown}” is listed {times} times{more}; keep each item once and send the list again."
    )


def _option_number(token: str, count: int, *, pick: str = "numbers") -> int:
    """The 1-based option `token` names (a copied `3.` is fine), or InvalidAnswer."""
    token = token.rstrip(".)")
    if not token.isdecimal() or not token.isascii():
        raise InvalidAnswer(
            f"`{token[:20]}` is not an option number; pick {pick} from 1 to {count}."
        )
    # Compare as text first: int() of thousands of digits is refused by Python itself.
    n = int(token) if len(token) <= 6 else count + 1
    if not 1 <= n <= count:
        raise InvalidAnswer(
            f"There is no option {token.lstrip('0')[:20] or 0}; pick {pick} from 1 to {count}."
        )
    return n


def _numbers(text: str, count: int) -> list[int]:
    return [_option_number(t, count) for t in _SPLIT_NUMBERS.split(text) if t]


def parse_single_choice(text: str, options: Sequence[str]) -> str:
    """The option itself (any case) or its number."""
    cleaned = strip_invisible(check_text(text)).strip("`").strip()
    for option in options:
        if cleaned.casefold() == option.casefold():
            return option
    if cleaned.rstrip(".)").isdecimal() and cleaned.isascii():
        return options[_option_number(cleaned, len(options), pick="a number") - 1]
    shown = ", ".join(options)
    if cleaned and len(cleaned) <= 40 and "\n" not in cleaned:
        raise InvalidAnswer(
            f"`{cleaned}` isn't one of the choices. Pick one of {shown} (or its number)."
        )
    raise InvalidAnswer(f"Pick one of {shown} (or its number).")


def parse_multiple_choice(text: str, options: Sequence[str]) -> tuple[str, ...]:
    """Option numbers split by spaces or commas, `all`, or `none`; template order kept."""
    cleaned = strip_invisible(check_text(text)).lower()
    if cleaned == "all":
        return tuple(options)
    if cleaned == "none":
        return ()
    if not cleaned:
        raise InvalidAnswer("Pick option numbers like `1 3`, or `all`, or `none`.")
    picked = set(_numbers(cleaned, len(options)))
    return tuple(option for i, option in enumerate(options, 1) if i in picked)


def parse_gates(text: str, labels: Sequence[str]) -> dict[str, GateState]:
    """Gate decisions: `done 1 2`, `n/a 8: reason`, or `none`; unmentioned gates stay open."""
    text = check_text(text)
    lines = [strip_invisible(line) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if len(lines) == 1 and lines[0].lower() == "none":
        return {}
    if not lines:
        raise InvalidAnswer("Send `done 1 2`, `n/a 8: reason`, or `none`.")
    decided: dict[int, GateState] = {}
    for line in lines:
        match = _GATE_LINE.match(_LIST_MARKER.sub("", line, count=1))
        if not match:
            raise InvalidAnswer(
                f"I can't read “{line[:40]}”: start each line with `done` or `n/a`, "
                "e.g. `done 1 2` or `n/a 8: no dashboards for this service`."
            )
        verb, rest = match.group(1).lower(), match.group(2)
        if verb == "done":
            numbers_text = rest.lstrip(":")
            if ":" in numbers_text:
                raise InvalidAnswer(
                    "Only `n/a` lines take a reason; write `done 1 2` without a colon."
                )
            state = GateState(status=GateStatus.CHECKED)
        else:
            numbers_text, sep, reason = rest.partition(":")
            reason = " ".join(reason.split())
            if not sep or not reason:
                shown = numbers_text.strip() or "8"
                raise InvalidAnswer(
                    f"Say why it doesn't apply, e.g. `n/a {shown}: no dashboards for this service`."
                )
            state = GateState(status=GateStatus.NOT_APPLICABLE, reason=reason)
        numbers = _numbers(numbers_text, len(labels))
        if not numbers:
            raise InvalidAnswer(f"Name the gates by number, e.g. `{verb} 1 2`.")
        for n in numbers:
            if n in decided and decided[n] != state:
                raise InvalidAnswer(f"Gate {n} has two decisions; keep one line for it.")
            decided[n] = state
    return {labels[n - 1]: decided[n] for n in sorted(decided)}


def format_list(items: Iterable[str], *, ordered: bool = False) -> str:
    """The typed form of a list, as an author would send it again."""
    if ordered:
        return "\n".join(f"{i}. {item}" for i, item in enumerate(items, 1))
    return "\n".join(f"- {item}" for item in items)


def format_multiple_choice(picked: Iterable[str], options: Sequence[str]) -> str:
    chosen = set(picked)
    numbers = [str(i) for i, option in enumerate(options, 1) if option in chosen]
    return " ".join(numbers) if numbers else "none"


def format_gates(gates: Mapping[str, GateState], labels: Sequence[str]) -> str:
    """`done` on one line, then one `n/a` line per reason; `none` when nothing is settled."""
    done = [
        str(i)
        for i, label in enumerate(labels, 1)
        if gates.get(label, GateState()).status is GateStatus.CHECKED
    ]
    lines = [f"done {' '.join(done)}"] if done else []
    for i, label in enumerate(labels, 1):
        state = gates.get(label, GateState())
        if state.status is GateStatus.NOT_APPLICABLE:
            lines.append(f"n/a {i}: {state.reason}")
    return "\n".join(lines) or "none"
