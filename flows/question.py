"""One question and the flow of them: what is asked, how an answer is typed, what it writes.

The questions themselves are data in flows.questions (build_flow); this module holds their
shape and the rules every question shares (`none`, finding a section by name).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from flows import answers
from flows.draft import Draft
from flows.errors import InvalidAnswer
from flows.template import Template


class QuestionKind(StrEnum):
    SHORT = "short"  # one line
    PARAGRAPH = "paragraph"  # one paragraph
    LIST = "list"  # one item per line
    ORDERED_LIST = "ordered_list"  # one step per line, order kept
    SINGLE_CHOICE = "single_choice"  # one of `options`
    MULTIPLE_CHOICE = "multiple_choice"  # any of `options`
    GATES = "gates"  # done / n/a decisions over the template's gates


# Kinds whose own grammar gives `none` a meaning (no option picked, no gate settled).
_READS_NONE = (QuestionKind.MULTIPLE_CHOICE, QuestionKind.GATES)

# What `file` does, as the preview and help say it; a surface that files elsewhere (the
# terminal without GitHub) builds its flow with its own words.
FILE_ON_GITHUB = "file it on GitHub"

Parser = Callable[[str, Draft], dict[str, Any]]
Formatter = Callable[[Draft], str]


@dataclass(frozen=True)
class Question:
    """One question: what it asks, how an answer is typed, and the draft fields it writes."""

    id: str
    title: str  # the section name as the author sees it
    prompt: str
    example: str  # a realistic answer, typed exactly as the grammar wants it
    kind: QuestionKind
    required: bool
    parser: Parser = field(repr=False, compare=False)
    formatter: Formatter = field(repr=False, compare=False)
    why_required: str = ""  # said when `skip` is typed on a required question
    options: tuple[str, ...] = ()
    option_groups: tuple[str, ...] = ()  # per option: the heading it sits under (gates)
    fields: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    how: str = ""  # one line on how to type the answer, shown under the prompt
    skip_hint: str = ""  # what `skip` does, when it is more than leaving the section out
    asked: bool = True  # False: never asked in turn, only reached with `edit`

    def parse(self, text: str, draft: Draft) -> dict[str, Any]:
        """The draft changes `text` stands for; raises InvalidAnswer saying what to fix.

        `none` means the same at every question: no answer. A choice or gate question
        reads it itself (no option, nothing settled); an optional question is emptied;
        a required one refuses it with its reason.
        """
        if answers.is_none(text) and self.kind not in _READS_NONE:
            if self.required:
                raise InvalidAnswer(
                    f"*{self.title}* needs an answer, so `none` can't be it: {self.why_required}"
                )
            return {name: _empty_like(getattr(draft, name)) for name in self.fields}
        return self.parser(text, draft)

    def current(self, draft: Draft) -> str:
        """The draft's answer typed as the grammar wants it, or "" when there is none."""
        return self.formatter(draft)

    def names(self) -> tuple[str, ...]:
        return (self.title, self.id.replace("_", " "), *self.aliases)


@dataclass(frozen=True)
class Flow:
    """The questions asked in turn, plus sections only reached by `edit`."""

    version: int
    questions: tuple[Question, ...]
    template: Template = field(repr=False, compare=False)
    extras: tuple[Question, ...] = ()  # editable, never asked in turn (roadmap)
    file_words: str = FILE_ON_GITHUB  # what `file` does, in the preview's words

    @property
    def sections(self) -> tuple[Question, ...]:
        return self.questions + self.extras

    @property
    def offered(self) -> tuple[Question, ...]:
        """The sections every `edit` list offers (a refusal, Slack's menu): those asked in
        turn. An extra such as the roadmap reference is reached by name only."""
        return self.questions

    def question(self, question_id: str) -> Question:
        for q in self.sections:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def index(self, question_id: str) -> int:
        """Position in the asked order; extras sort after every asked question."""
        for i, q in enumerate(self.questions):
            if q.id == question_id:
                return i
        return len(self.questions)

    def find_section(self, name: str) -> Question:
        """The section `name` means: a title, id or alias, any case, or an unambiguous prefix.

        A refusal lists only the sections asked in turn (an extra such as the roadmap
        reference is reached by name, never offered), and suggests the nearest name.
        """
        wanted = " ".join(name.split()).casefold().strip("`")
        listing = ", ".join(q.title for q in self.offered)
        if not wanted:
            raise InvalidAnswer(f"Edit which section? Type `edit <section>`; one of: {listing}.")
        exact = [q for q in self.sections if wanted in (n.casefold() for n in q.names())]
        if exact:
            return exact[0]
        matches = [
            q for q in self.sections if any(n.casefold().startswith(wanted) for n in q.names())
        ]
        if len(matches) == 1:
            return matches[0]
        if matches:
            which = ", ".join(q.title for q in matches)
            raise InvalidAnswer(f"“{name}” could be {which}; type more of the name.")
        near = difflib.get_close_matches(
            wanted, [n.casefold() for q in self.offered for n in q.names()], n=1, cutoff=0.7
        )
        if near:
            raise InvalidAnswer(
                f"There's no section “{name[:60]}”. Did you mean `edit {near[0]}`? "
                f"Sections: {listing}."
            )
        raise InvalidAnswer(f"There's no section “{name[:60]}”. Sections: {listing}.")

    def has_section(self, name: str) -> bool:
        """Whether `edit <name>` reaches a section."""
        try:
            self.find_section(name)
        except InvalidAnswer:
            return False
        return True


def _empty_like(value: Any) -> Any:
    if isinstance(value, str):
        return ""
    if isinstance(value, dict):
        return {}
    return []
