"""What the engine hands back for one message: the new draft and what to say.

Surfaces (Slack, the terminal) turn replies into messages; they never decide the flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flows.draft import Draft

if TYPE_CHECKING:
    from flows.questions import Question


class ReplyKind(StrEnum):
    QUESTION = "question"  # ask `question`; text is the full prompt
    INVALID = "invalid"  # the answer was refused; text says what to fix, `question` is re-asked
    HELP = "help"  # the question's example and the grammar
    PREVIEW = "preview"  # show the rendered issue; text is a short lead-in
    INFO = "info"  # a plain remark (e.g. "Saved. Type `file` when ready.")
    CANCELLED = "cancelled"


class Action(StrEnum):
    """Something the surface must do beyond replying: the engine does no I/O."""

    FILE = "file"  # the author asked to file; the draft is complete
    CANCEL = "cancel"


@dataclass(frozen=True)
class Reply:
    kind: ReplyKind
    text: str
    question: Question | None = None
    progress: tuple[int, int] | None = None  # (question number, total) for QUESTION replies


@dataclass(frozen=True)
class Outcome:
    draft: Draft
    replies: tuple[Reply, ...]
    changes: dict[str, Any] = field(default_factory=dict)  # field -> new JSON value
    action: Action | None = None
    kind: str = "answer"  # journal entry kind: answer, rejected, control, edit, ...
    question_id: str | None = None  # the question this message answered, if any

    @property
    def rejected(self) -> bool:
        return any(r.kind is ReplyKind.INVALID for r in self.replies)
