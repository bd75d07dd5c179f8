"""The drafting engine: one message in, the new draft and what to say out. Pure.

States: DRAFTING, with `draft.flow.step` the question being asked, then PREVIEW once the
last question is behind the author. Control words are read before any question's grammar,
at every step, so no question has to handle them.

Rules of movement:
* After an answer (or `skip`) the next question is the first one not yet answered, in
  flow order; when there is none, or the question was reached with `edit` from the
  preview, the draft goes to PREVIEW.
* `back` asks the question before the current one in flow order, among those in the
  sequence (questions already known at start, such as a title given with the start
  command, are not in it and are not counted in "question N of M").
* `skip` leaves an optional question out, and keeps an answer already given; on a
  required question with no answer it is refused with the question's reason.
* `file` files only from the preview. Mid-flow it shows the preview first once every
  required answer is in; otherwise it names what is missing and asks the first of those.

Outcome.kind is what the store journals: start, answer, rejected, skip, back, edit,
preview, help, cancel, file. A "rejected" outcome never changes the draft, so the store
can keep the refused text without folding anything from it.

Nothing here reads a clock or does I/O: the store stamps times, the surfaces file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flows import prompts
from flows.answers import Control, command_lines, parse_control
from flows.draft import Draft, DraftStatus, FlowState, diff
from flows.errors import DraftReadOnly, InvalidAnswer
from flows.outcome import Action, Outcome, Reply, ReplyKind
from flows.questions import Flow, Question, QuestionKind, blank_value
from flows.render import MAX_BODY, body_budget, body_length_bound, drift

# Kinds whose answer could be prose starting with "edit" (a title like "Edit path ...").
_TEXT_KINDS = (
    QuestionKind.SHORT,
    QuestionKind.PARAGRAPH,
    QuestionKind.LIST,
    QuestionKind.ORDERED_LIST,
)


def start(flow: Flow, draft: Draft, *, kind: str = "start") -> Outcome:
    """Ask the first question (or the current one, or show the preview) of `draft`."""
    _ensure_writable(draft)
    prepared = _prepare(flow, draft)
    if prepared.status is DraftStatus.PREVIEW:
        lead = prompts.preview_lead((), finished=True, file_words=flow.file_words)
        reply = _preview_reply(flow, prepared, lead)
        return _outcome(draft, prepared, (reply,), kind=kind)
    question = flow.question(prepared.flow.step or "")
    after, reply = _ask(flow, prepared, question, editing=_editing(prepared, question))
    return _outcome(draft, after, (reply,), kind=kind)


def resume(flow: Flow, draft: Draft) -> Outcome:
    """Pick `draft` up again, as every surface does: a cancelled or archived draft comes
    back where it stood (journal kind "resume"); any other is started as it is."""
    if draft.status not in (DraftStatus.CANCELLED, DraftStatus.ARCHIVED):
        return start(flow, draft)
    back = draft.model_copy(update={"status": DraftStatus.DRAFTING})
    outcome = start(flow, back, kind="resume")
    return dataclasses.replace(outcome, changes=diff(draft, outcome.draft))


def advance(flow: Flow, draft: Draft, text: str) -> Outcome:
    """Take one message from the author: a control word, or an answer to the question asked."""
    _ensure_writable(draft)
    prepared = _prepare(flow, draft)
    control = parse_control(text)
    question = None
    if prepared.status is not DraftStatus.PREVIEW:
        question = flow.question(prepared.flow.step or "")
    stray = _stray_command(flow, text) if control is None and question is not None else None
    if control is not None:
        handler = _CONTROLS[control.word]
        outcome = handler(flow, draft, prepared, question, control.argument)
    elif question is None:
        reply = Reply(ReplyKind.INFO, prompts.not_an_answer(flow.file_words))
        outcome = _outcome(draft, prepared, (reply,), kind="rejected")
    elif stray is not None:
        reply = Reply(ReplyKind.INVALID, prompts.command_in_answer(*stray), question)
        outcome = _outcome(draft, prepared, (reply,), kind="rejected", question_id=question.id)
    else:
        outcome = _answer(flow, draft, prepared, question, text)
    if outcome.kind == "rejected":
        # A refused message changes nothing, not even a fresh draft's position.
        return dataclasses.replace(outcome, draft=draft, changes={})
    return outcome


def reanswer(flow: Flow, draft: Draft, question_id: str, text: str) -> Outcome:
    """Replace one question's answer (an edited Slack message); the flow stays where it is."""
    _ensure_writable(draft)
    question = flow.question(question_id)
    control = parse_control(text)
    if control is not None and control.word != "none":
        reply = Reply(ReplyKind.INVALID, prompts.control_in_edited_message(control.word), question)
        return _outcome(draft, draft, (reply,), kind="rejected", question_id=question_id)
    stray = _stray_command(flow, text)
    if stray is not None:
        reply = Reply(ReplyKind.INVALID, prompts.command_in_answer(*stray), question)
        return _outcome(draft, draft, (reply,), kind="rejected", question_id=question_id)
    try:
        after = _apply(flow, draft, question, text)
    except InvalidAnswer as exc:
        reply = Reply(ReplyKind.INVALID, str(exc), question)
        return _outcome(draft, draft, (reply,), kind="rejected", question_id=question_id)
    after = _mark_answered(after, question)
    reply = Reply(ReplyKind.INFO, prompts.updated(question))
    return _outcome(draft, after, (reply,), kind="answer", question_id=question_id)


def _stray_command(flow: Flow, text: str) -> tuple[str, str] | None:
    """(line, word) of the first line of a longer message that is a command on its own.

    `edit X` counts only when X names a section: "edit the config" is prose.
    """
    for line, control in command_lines(text):
        if _is_command(flow, control):
            return line, control.word
    return None


def _is_command(flow: Flow, control: Control) -> bool:
    return control.word != "edit" or not control.argument or flow.has_section(control.argument)


def progress(flow: Flow, draft: Draft) -> tuple[int, int]:
    """(questions answered, questions in the sequence): the drafts list's columns."""
    sequence = _sequence(flow, draft)
    answered = set(draft.flow.answered)
    return sum(1 for q in sequence if q.id in answered), len(sequence)


def missing_required(flow: Flow, draft: Draft) -> list[Question]:
    """Required sections with no answer yet, in flow order."""
    return [q for q in flow.sections if q.required and not _settled(q, draft)]


# -- positions -------------------------------------------------------------------------


def _ensure_writable(draft: Draft) -> None:
    if draft.status is DraftStatus.FILED:
        where = f" as #{draft.issue_number}" if draft.issue_number else ""
        raise DraftReadOnly(f"This draft is filed{where}; changes now go on GitHub.")
    if draft.status is DraftStatus.CANCELLED:
        raise DraftReadOnly("This draft was cancelled; start a new draft to write another.")
    if draft.status is DraftStatus.ARCHIVED:
        raise DraftReadOnly("This draft was archived after a long pause; start a new draft.")


def _prepare(flow: Flow, draft: Draft) -> Draft:
    """Settle a fresh draft (template defaults, known answers) and make sure it has a step."""
    state = draft.flow
    if draft.status is DraftStatus.DRAFTING and state.step is None and not state.history:
        defaults: dict[str, Any] = {}
        for name in ("test_commands", "roadmap_reference"):
            model_default = Draft.model_fields[name].get_default(call_default_factory=True)
            if getattr(draft, name) == model_default != blank_value(flow, name):
                defaults[name] = blank_value(flow, name)
        if defaults:
            draft = draft.with_changes(defaults)
        known = tuple(
            q.id
            for q in flow.questions
            if q.id not in state.answered and _prefilled(flow, q, draft)
        )
        state = state.model_copy(update={"answered": state.answered + known})
        draft = draft.model_copy(update={"flow": state, "flow_version": flow.version})
    if draft.status is DraftStatus.DRAFTING and not _is_question(flow, state.step):
        following = _next_question(flow, draft) or next(iter(missing_required(flow, draft)), None)
        if following is None:
            return _preview_state(draft)
        draft = _at(draft, following, history=True, return_to_preview=False)
    return draft


def _is_question(flow: Flow, question_id: str | None) -> bool:
    return question_id is not None and any(q.id == question_id for q in flow.sections)


def _prefilled(flow: Flow, question: Question, draft: Draft) -> bool:
    """The draft already holds an answer the author gave (e.g. a title with the command)."""
    return all(
        getattr(draft, name) not in ("", (), {}, None)
        and getattr(draft, name) != blank_value(flow, name)
        for name in question.fields
    )


def _settled(question: Question, draft: Draft) -> bool:
    if question.id in draft.flow.answered:
        return True
    return all(getattr(draft, name) not in ("", (), {}, None) for name in question.fields)


def _sequence(flow: Flow, draft: Draft) -> list[Question]:
    """The questions asked in turn: all but those answered before they were ever asked."""
    answered, asked = set(draft.flow.answered), set(draft.flow.history)
    return [q for q in flow.questions if q.id not in answered or q.id in asked]


def _next_question(flow: Flow, draft: Draft) -> Question | None:
    answered = set(draft.flow.answered)
    return next((q for q in flow.questions if q.id not in answered), None)


def _previous_question(flow: Flow, draft: Draft, current: Question | None) -> Question | None:
    before = flow.index(current.id) if current else len(flow.questions)
    earlier = [q for q in _sequence(flow, draft) if flow.index(q.id) < before]
    return earlier[-1] if earlier else None


def _editing(draft: Draft, question: Question) -> bool:
    return draft.flow.return_to_preview or question.id not in draft.flow.history


def _at(draft: Draft, question: Question, *, history: bool, return_to_preview: bool) -> Draft:
    state = draft.flow
    trail = state.history
    if history and (not trail or trail[-1] != question.id):
        trail = (*trail, question.id)
    state = FlowState(
        step=question.id,
        answered=state.answered,
        history=trail,
        return_to_preview=return_to_preview,
    )
    return draft.model_copy(update={"flow": state, "status": DraftStatus.DRAFTING})


def _preview_state(draft: Draft) -> Draft:
    state = draft.flow.model_copy(update={"step": None, "return_to_preview": False})
    return draft.model_copy(update={"flow": state, "status": DraftStatus.PREVIEW})


def _mark_answered(draft: Draft, question: Question) -> Draft:
    if question.id in draft.flow.answered:
        return draft
    state = draft.flow.model_copy(update={"answered": (*draft.flow.answered, question.id)})
    return draft.model_copy(update={"flow": state})


def _ask(
    flow: Flow,
    draft: Draft,
    question: Question,
    *,
    editing: bool = False,
    return_to_preview: bool = False,
) -> tuple[Draft, Reply]:
    """Put `question` to the author: the draft at that step, and the reply asking it."""
    draft = _at(draft, question, history=not editing, return_to_preview=return_to_preview)
    sequence = _sequence(flow, draft)
    numbers = {q.id: i for i, q in enumerate(sequence, 1)}
    number = numbers.get(question.id)
    shown = question.id in draft.flow.answered or not question.asked
    text = prompts.question_text(
        question,
        number or 0,
        len(sequence),
        current=question.current(draft) if shown else "",
        editing=editing or number is None,
    )
    reply = Reply(
        ReplyKind.QUESTION,
        text,
        question=question,
        progress=(number, len(sequence)) if number else None,
    )
    return draft, reply


def _move_on(flow: Flow, draft: Draft) -> tuple[Draft, tuple[Reply, ...]]:
    """After an answer: back to the preview, or on to the next unanswered question."""
    following = None if draft.flow.return_to_preview else _next_question(flow, draft)
    if following is None:
        missing = missing_required(flow, draft)
        if missing:
            draft, reply = _ask(flow, draft, missing[0])
            return draft, (reply,)
        draft = _preview_state(draft)
        lead = prompts.preview_lead((), finished=True, file_words=flow.file_words)
        return draft, (_preview_reply(flow, draft, lead),)
    draft, reply = _ask(flow, draft, following)
    return draft, (reply,)


def _preview_reply(flow: Flow, draft: Draft, lead: str) -> Reply:
    """A preview's lead line, followed by any answer the template has no place for."""
    kept = drift(flow.template, draft)
    text = f"{lead}\n{prompts.drift(kept)}" if kept else lead
    return Reply(ReplyKind.PREVIEW, text)


def _outcome(
    before: Draft,
    after: Draft,
    replies: tuple[Reply, ...],
    *,
    kind: str,
    question_id: str | None = None,
    action: Action | None = None,
) -> Outcome:
    return Outcome(
        draft=after,
        replies=replies,
        changes=diff(before, after),
        action=action,
        kind=kind,
        question_id=question_id,
    )


# -- answers ---------------------------------------------------------------------------


def _empty(value: Any) -> Any:
    if isinstance(value, str):
        return ""
    if isinstance(value, dict):
        return {}
    return []


def _apply(flow: Flow, draft: Draft, question: Question, text: str) -> Draft:
    """The draft with `text` as the answer; InvalidAnswer if it does not parse or fit."""
    after = draft.with_changes(question.parse(text, draft))
    if body_length_bound(flow.template, after) <= MAX_BODY:
        return after
    budget = body_budget(flow.template, after)
    # An answer that shrinks an issue already over the limit is still welcome.
    if budget < 0 and budget < body_budget(flow.template, draft):
        cleared = draft.with_changes({f: _empty(getattr(draft, f)) for f in question.fields})
        raise InvalidAnswer(
            prompts.over_budget(-budget, body_budget(flow.template, cleared), MAX_BODY)
        )
    return after


def _answer(flow: Flow, before: Draft, draft: Draft, question: Question, text: str) -> Outcome:
    try:
        after = _apply(flow, draft, question, text)
    except InvalidAnswer as exc:
        reply = Reply(ReplyKind.INVALID, str(exc), question)
        return _outcome(before, draft, (reply,), kind="rejected", question_id=question.id)
    after, replies = _move_on(flow, _mark_answered(after, question))
    return _outcome(before, after, replies, kind="answer", question_id=question.id)


# -- control words ---------------------------------------------------------------------


def _skip(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    if question is None:
        reply = Reply(ReplyKind.INFO, prompts.nothing_to_skip(flow.file_words))
        return _outcome(before, draft, (reply,), kind="skip")
    if question.required and not _settled(question, draft):
        reply = Reply(ReplyKind.INVALID, prompts.cannot_skip(question), question)
        return _outcome(before, draft, (reply,), kind="rejected", question_id=question.id)
    # Skipping keeps what is there; an emptied field gets the template's default back.
    restore = {
        name: blank_value(flow, name)
        for name in question.fields
        if getattr(draft, name) in ("", (), {}) and blank_value(flow, name) not in ("", (), {})
    }
    after = draft.with_changes(restore) if restore else draft
    after, replies = _move_on(flow, _mark_answered(after, question))
    return _outcome(before, after, replies, kind="skip", question_id=question.id)


def _back(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    target = _previous_question(flow, draft, question)
    if target is None:
        reply = Reply(ReplyKind.INFO, prompts.first_question())
        return _outcome(before, draft, (reply,), kind="back")
    from_preview = question is None or draft.flow.return_to_preview
    after, reply = _ask(flow, draft, target, return_to_preview=from_preview)
    return _outcome(before, after, (reply,), kind="back")


def _preview(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    missing = missing_required(flow, draft)
    if question is None or (draft.flow.return_to_preview and not missing):
        # At the preview, or leaving an edit begun there: the answer stays as it was.
        after = _preview_state(draft)
        text = prompts.preview_lead(missing, finished=True, file_words=flow.file_words)
        return _outcome(before, after, (_preview_reply(flow, after, text),), kind="preview")
    lead = _preview_reply(flow, draft, prompts.preview_lead(missing, finished=False))
    after, again = _ask(
        flow,
        draft,
        question,
        editing=_editing(draft, question),
        return_to_preview=draft.flow.return_to_preview,
    )
    return _outcome(before, after, (lead, again), kind="preview")


def _edit(flow: Flow, before: Draft, draft: Draft, question: Question | None, name: str) -> Outcome:
    try:
        target = flow.find_section(name)
    except InvalidAnswer as exc:
        message = str(exc)
        if name and question is not None and question.kind in _TEXT_KINDS:
            message = prompts.edit_as_answer(message)
        reply = Reply(ReplyKind.INVALID, message, question)
        qid = question.id if question else None
        return _outcome(before, draft, (reply,), kind="rejected", question_id=qid)
    from_preview = question is None or draft.flow.return_to_preview
    after, reply = _ask(flow, draft, target, editing=True, return_to_preview=from_preview)
    return _outcome(before, after, (reply,), kind="edit")


def _file(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    missing = missing_required(flow, draft)
    if missing:
        refusal = Reply(ReplyKind.INVALID, prompts.missing_before_filing(missing), missing[0])
        after, ask = _ask(flow, draft, missing[0])
        return _outcome(before, after, (refusal, ask), kind="file")
    if question is not None:
        # Mid-flow: show what would be filed first; filing happens from the preview only.
        after = _preview_state(draft)
        reply = _preview_reply(flow, after, prompts.ready_to_file(flow.file_words))
        return _outcome(before, after, (reply,), kind="preview")
    reply = Reply(ReplyKind.INFO, prompts.filing())
    return _outcome(before, draft, (reply,), kind="file", action=Action.FILE)


def _cancel(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    state = draft.flow.model_copy(update={"step": None, "return_to_preview": False})
    after = draft.model_copy(update={"flow": state, "status": DraftStatus.CANCELLED})
    reply = Reply(ReplyKind.CANCELLED, prompts.cancelled())
    return _outcome(before, after, (reply,), kind="cancel", action=Action.CANCEL)


def _none(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    """`none`: no answer to the question asked (each question says what that means)."""
    if question is None:
        reply = Reply(ReplyKind.INFO, prompts.not_an_answer(flow.file_words))
        return _outcome(before, draft, (reply,), kind="rejected")
    return _answer(flow, before, draft, question, "none")


def _help(flow: Flow, before: Draft, draft: Draft, question: Question | None, _: str) -> Outcome:
    if question is None:
        return _outcome(
            before,
            draft,
            (Reply(ReplyKind.HELP, prompts.preview_help(flow.file_words)),),
            kind="help",
        )
    reply = Reply(ReplyKind.HELP, prompts.help_text(question), question)
    return _outcome(before, draft, (reply,), kind="help")


_CONTROLS = {
    "skip": _skip,
    "back": _back,
    "preview": _preview,
    "edit": _edit,
    "file": _file,
    "cancel": _cancel,
    "help": _help,
    "none": _none,
}
