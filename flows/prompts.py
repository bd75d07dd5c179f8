"""What the bot says: question prompts, help, and the short lines around them.

Plain text with Slack mrkdwn emphasis (`*bold*`, `_italic_`, backticks), which reads fine
in a terminal too. Every line is written the way a thoughtful colleague would ask.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.questions import FILE_ON_GITHUB, Question, QuestionKind

COMMANDS = (
    "`back` previous question · `preview` the issue so far · `edit <section>` change an answer "
    "· `file` file it · `cancel` drop the draft"
)


def preview_commands(file_words: str = FILE_ON_GITHUB) -> str:
    """What the author can type at the preview; `file_words` is what `file` does here."""
    return (
        f"Type `file` to {file_words}, `edit <section>` to change an answer, "
        "`back` for the last question, or `cancel`."
    )


PREVIEW_COMMANDS = preview_commands()

_GRAMMAR: dict[QuestionKind, str] = {
    QuestionKind.PARAGRAPH: (
        "Send one paragraph. Line breaks are fine; a blank line would start a second paragraph."
    ),
    QuestionKind.LIST: (
        "Send one item per line. Bullets (`-`, `*`, `•`) or numbers in front are fine; "
        "blank lines are ignored."
    ),
    QuestionKind.ORDERED_LIST: (
        "Send one step per line, in the order you'll do them. I number them, so `1.` is optional."
    ),
    QuestionKind.SINGLE_CHOICE: "Send one option as shown, or its number.",
    QuestionKind.MULTIPLE_CHOICE: (
        "Send the numbers of every option that applies, split by spaces or commas "
        "(`1 3` or `1, 3`), or `all`, or `none`."
    ),
    QuestionKind.GATES: (
        "One line per decision, using the numbers above:\n"
        "`done 1 2` already done: ticked on the issue\n"
        "`n/a 8: reason` doesn't apply here: ticked, with your reason\n"
        "`none` nothing settled yet\n"
        "Gates you don't mention stay unticked, and I'll remind you about them after filing."
    ),
}


_LISTS = (QuestionKind.LIST, QuestionKind.ORDERED_LIST, QuestionKind.GATES)


def _options(question: Question) -> list[str]:
    if question.kind is QuestionKind.SINGLE_CHOICE and all(len(o) <= 12 for o in question.options):
        return [" · ".join(f"{i}. {o}" for i, o in enumerate(question.options, 1))]
    lines: list[str] = []
    group = None
    for i, option in enumerate(question.options, 1):
        if question.option_groups and question.option_groups[i - 1] != group:
            group = question.option_groups[i - 1]
            lines.append(f"_{group}_")
        lines.append(f"{i}. {option}")
    return lines


def _example(question: Question) -> list[str]:
    if "\n" in question.example or question.kind in _LISTS:
        return ["_Example:_", question.example]
    return [f"_Example:_ {question.example}"]


def _shows_example(question: Question) -> bool:
    # A choice's options already show what to type.
    return question.kind not in (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)


def _current(current: str, *, block: bool) -> list[str]:
    keep = "Send a new answer, or `skip` to keep this one."
    if block or "\n" in current:
        return ["_Current answer:_", current, keep]
    return [f"_Current answer:_ {current}", keep]


def question_text(
    question: Question, number: int, total: int, *, current: str = "", editing: bool = False
) -> str:
    """The prompt for `question`; `current` is its answer so far, shown to keep or replace."""
    heading = (
        f"*Editing · {question.title}*"
        if editing
        else f"*Question {number} of {total} · {question.title}*"
    )
    lines = [heading, question.prompt, question.how]
    if question.options:
        lines += _options(question)
    if current:
        lines += _current(current, block=question.kind in _LISTS)
    else:
        if _shows_example(question):
            lines += _example(question)
        if not question.required:
            lines.append(question.skip_hint or "Optional: `skip` to leave it out.")
    return "\n".join(line for line in lines if line)


def help_text(question: Question) -> str:
    """The question's grammar and example, and the words that work at every question."""
    grammar = _GRAMMAR.get(question.kind, question.how)
    lines = [f"*How to answer · {question.title}*", question.prompt, grammar]
    if not question.required and question.kind not in (
        QuestionKind.MULTIPLE_CHOICE,
        QuestionKind.GATES,
    ):
        lines.append("Send `none` to clear it.")
    if question.options:
        lines += _options(question)
    lines += _example(question)
    if question.required:
        lines.append("This one is required.")
    else:
        lines.append(question.skip_hint or "It's optional: `skip` leaves it out.")
    lines.append(f"Any time: {COMMANDS}.")
    return "\n".join(lines)


def preview_help(file_words: str = FILE_ON_GITHUB) -> str:
    return f"The draft is ready for review. {preview_commands(file_words)}"


def _names(questions: Sequence[Question]) -> str:
    return ", ".join(q.title for q in questions)


def preview_lead(
    missing: Sequence[Question], *, finished: bool, file_words: str = FILE_ON_GITHUB
) -> str:
    """The line above a preview: what is left, or what to do next."""
    if missing:
        count = "1 required question" if len(missing) == 1 else f"{len(missing)} required questions"
        return f"Here's the issue so far. {count} left: {_names(missing)}."
    if finished:
        return f"That's everything. Here's your issue. {preview_commands(file_words)}"
    return (
        "Here's the issue so far. Everything required is in, so you can `file` whenever you like."
    )


def missing_before_filing(missing: Sequence[Question]) -> str:
    return f"Before filing, I still need: {_names(missing)}."


def cannot_skip(question: Question) -> str:
    return f"*{question.title}* can't be skipped: {question.why_required}"


def first_question() -> str:
    return "This is the first question, so there's nothing to go back to."


def nothing_to_skip(file_words: str = FILE_ON_GITHUB) -> str:
    return f"There's no question to skip right now. {preview_commands(file_words)}"


def not_an_answer(file_words: str = FILE_ON_GITHUB) -> str:
    return f"I'm not asking anything right now. {preview_commands(file_words)}"


def command_in_answer(line: str, word: str) -> str:
    """A control word standing on a line of its own inside a longer message."""
    return (
        f"“{line[:40]}” on a line of its own is a command, not part of an answer. "
        f"To use it, send `{line[:40]}` alone; to keep it as text, reword that line."
        if word != "none"
        else "“none” on a line of its own means no answer, so it can't stand among other "
        "lines. Send `none` alone for no answer, or leave that line out."
    )


def drift(kept: Sequence[str]) -> str:
    """Answers the template has no place for: named, with their text, and kept."""
    listed = "; ".join(kept)
    return (
        f"The template has no place for {'this answer' if len(kept) == 1 else 'these answers'}, "
        f"so the issue won't show {'it' if len(kept) == 1 else 'them'}; "
        f"{'it stays' if len(kept) == 1 else 'they stay'} in the draft: {listed}."
    )


def over_budget(over: int, room: int, limit: int) -> str:
    return (
        f"That would make the issue {over:,} character{'s' if over != 1 else ''} longer than "
        f"GitHub allows ({limit:,}). "
        f"This section has {max(room, 0):,} characters left; shorten it or link to a doc."
    )


def edit_as_answer(message: str) -> str:
    return f"{message} To use that text as your answer, reword it so it doesn't start with “edit”."


def control_in_edited_message(word: str) -> str:
    return f"Editing an old message only changes an answer; send `{word}` as a new message."


def updated(question: Question) -> str:
    return f"Updated *{question.title}*."


def cancelled() -> str:
    return "Cancelled; nothing was filed. The draft is kept: resuming it brings it back."


def filing() -> str:
    return "Filing it on GitHub…"


def ready_to_file(file_words: str = FILE_ON_GITHUB) -> str:
    return f"Everything required is in. Here's the issue. {preview_commands(file_words)}"
