"""The pure engine: moving through the flow, control words at every step, refusals, budget."""

from __future__ import annotations

import functools
from collections import deque

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.draft import Draft, DraftStatus, GateStatus
from flows.engine import advance, missing_required, progress, reanswer, resume, start
from flows.errors import DraftReadOnly
from flows.outcome import Action, Outcome, ReplyKind
from flows.questions import Flow, QuestionKind, build_flow
from flows.render import MAX_BODY, body_budget, render_body
from flows.template import load_template, parse_template

FLOW = build_flow(load_template())
CONTROL_WORDS = ["skip", "back", "preview", "edit problem", "file", "cancel", "help", "none"]


def fresh(**fields: object) -> Draft:
    return Draft(id="d-1", author="U1", **fields)


def run(flow: Flow, draft: Draft, *texts: str) -> Outcome:
    """Send each text in turn; the last outcome."""
    outcome = start(flow, draft)
    for text in texts:
        outcome = advance(flow, outcome.draft, text)
    return outcome


@functools.cache
def at(question_id: str) -> Draft:
    """A draft whose flow is asking `question_id`, earlier questions answered by example."""
    current = start(FLOW, fresh()).draft
    while current.flow.step != question_id:
        assert current.flow.step is not None, f"never reached {question_id}"
        current = advance(FLOW, current, FLOW.question(current.flow.step).example).draft
    return current


def at_preview() -> Draft:
    draft = at("gates")
    return advance(FLOW, draft, "skip").draft


def kinds(outcome: Outcome) -> list[ReplyKind]:
    return [r.kind for r in outcome.replies]


# -- start and moving on ------------------------------------------------------------------


def test_start_asks_the_first_question() -> None:
    """Starting a fresh draft asks question 1 of 16, the title."""
    outcome = start(FLOW, fresh())
    assert kinds(outcome) == [ReplyKind.QUESTION]
    reply = outcome.replies[0]
    assert reply.question is not None and reply.question.id == "title"
    assert reply.progress == (1, 16)
    assert reply.text.startswith("*Question 1 of 16 · Title*")
    assert outcome.draft.flow.step == "title"
    assert outcome.draft.status is DraftStatus.DRAFTING
    assert outcome.kind == "start"
    assert outcome.changes["flow"]["step"] == "title"


def test_title_given_at_start_is_skipped_and_not_counted() -> None:
    """A title given with the start command is not asked, and the total drops to 15."""
    outcome = start(FLOW, fresh(title="Cancel storm after venue timeout"))
    reply = outcome.replies[0]
    assert reply.question is not None and reply.question.id == "milestone"
    assert reply.progress == (1, 15)
    assert "title" in outcome.draft.flow.answered
    assert progress(FLOW, outcome.draft) == (0, 15)


def test_title_given_at_start_stays_editable() -> None:
    """`edit title` shows the given title, and answering returns to the question in hand."""
    draft = start(FLOW, fresh(title="Cancel storm")).draft
    edit = advance(FLOW, draft, "edit title")
    assert edit.kind == "edit" and edit.question_id is None
    text = edit.replies[0].text
    assert text.startswith("*Editing · Title*")
    assert "_Current answer:_ Cancel storm" in text
    after = advance(FLOW, edit.draft, "Cancel storm after a venue timeout")
    assert after.draft.title == "Cancel storm after a venue timeout"
    assert after.draft.flow.step == "milestone"
    assert after.replies[0].progress == (1, 15)


def test_start_on_a_draft_in_progress_reasks_the_current_question() -> None:
    """Starting again (resuming) asks the current question and changes nothing."""
    draft = at("problem")
    outcome = start(FLOW, draft)
    assert outcome.replies[0].question is not None
    assert outcome.replies[0].question.id == "problem"
    assert outcome.changes == {}


def test_start_at_preview_shows_the_preview() -> None:
    """Resuming a draft at the preview shows the preview again."""
    outcome = start(FLOW, at_preview())
    assert kinds(outcome) == [ReplyKind.PREVIEW]


def test_start_applies_the_templates_test_command() -> None:
    """A template with another test command makes that the draft's default."""
    source = load_template().source.replace("```bash\npytest -q\n```", "```bash\nmake test\n```")
    flow = build_flow(parse_template(source))
    outcome = start(flow, fresh())
    assert outcome.draft.test_commands == ("make test",)
    assert "test_commands" not in outcome.draft.flow.answered


def test_an_answer_moves_to_the_next_question() -> None:
    """A valid answer is stored, the question marked answered, and the next one asked."""
    draft = at("milestone")
    outcome = advance(FLOW, draft, "m4")
    assert outcome.kind == "answer" and outcome.question_id == "milestone"
    assert outcome.draft.target_milestone == "M4"
    assert outcome.changes["target_milestone"] == "M4"
    assert outcome.replies[0].progress == (3, 16)
    assert outcome.draft.flow.step == "objective"
    assert "milestone" in outcome.draft.flow.answered


def test_a_refused_first_message_leaves_a_fresh_draft_alone() -> None:
    """A refused message on a draft never started changes nothing at all."""
    draft = fresh()
    outcome = advance(FLOW, draft, "skip")
    assert outcome.kind == "rejected"
    assert outcome.draft == draft and outcome.changes == {}


def test_engine_is_deterministic() -> None:
    """The same draft and text give the same outcome: nothing hidden goes in."""
    draft = at("problem")
    first = advance(FLOW, draft, "The reconciler double-submits cancels.")
    second = advance(FLOW, draft, "The reconciler double-submits cancels.")
    assert first == second


def test_rejected_answer_changes_nothing_and_says_why() -> None:
    """A refused answer keeps the draft as it was and says what to fix, kind `rejected`."""
    draft = at("problem")
    outcome = advance(FLOW, draft, "One.\n\nTwo.\n\nThree.")
    assert outcome.kind == "rejected" and outcome.question_id == "problem"
    assert outcome.changes == {}
    assert outcome.draft == draft
    assert outcome.rejected
    reply = outcome.replies[0]
    assert reply.kind is ReplyKind.INVALID
    assert reply.text.startswith("The problem statement should be one paragraph; you sent 3.")
    assert reply.question is not None and reply.question.id == "problem"


def test_bidi_answer_is_rejected_and_journaled() -> None:
    """A Trojan-source answer is refused as `rejected` so the store keeps what was typed."""
    outcome = advance(FLOW, at("title"), "Fix \u202ereconciler")
    assert outcome.kind == "rejected"
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in outcome.replies[0].text


# -- skip -------------------------------------------------------------------------------


def test_skip_on_a_required_question_gives_the_reason() -> None:
    """`skip` on a required question is refused with that question's reason."""
    outcome = advance(FLOW, at("problem"), "skip")
    assert outcome.kind == "rejected" and outcome.changes == {}
    assert outcome.replies[0].kind is ReplyKind.INVALID
    assert outcome.replies[0].text == (
        "*Problem statement* can't be skipped: "
        "without it, reviewers can't tell whether the plan fixes anything."
    )


def test_skip_on_an_optional_question_moves_on() -> None:
    """`skip` leaves an optional question out and asks the next one."""
    outcome = advance(FLOW, at("out_of_scope"), "SKIP")
    assert outcome.kind == "skip" and outcome.question_id == "out_of_scope"
    assert outcome.draft.out_of_scope == ()
    assert "out_of_scope" in outcome.draft.flow.answered
    assert outcome.draft.flow.step == "file_touch"


def test_skip_keeps_the_default_test_command() -> None:
    """Skipping the test commands keeps the template's `pytest -q`."""
    outcome = advance(FLOW, at("test_commands"), "skip")
    assert outcome.draft.test_commands == ("pytest -q",)


def test_skip_after_clearing_test_commands_restores_the_default() -> None:
    """Test commands cleared with `none` come back as the default when the question is skipped."""
    cleared = advance(FLOW, at("test_commands"), "none").draft
    assert cleared.test_commands == ()
    again = advance(FLOW, cleared, "edit test commands").draft
    assert advance(FLOW, again, "skip").draft.test_commands == ("pytest -q",)


def test_skip_keeps_an_existing_answer_of_a_required_question() -> None:
    """After `back`, `skip` on an answered required question keeps the answer and moves on."""
    back = advance(FLOW, at("objective"), "back").draft
    assert back.flow.step == "milestone"
    outcome = advance(FLOW, back, "skip")
    assert outcome.kind == "skip"
    assert outcome.draft.target_milestone == "M3"
    assert outcome.draft.flow.step == "objective"


# -- back -------------------------------------------------------------------------------


def test_back_at_the_first_question() -> None:
    """`back` at the first question says there is nothing before it and changes nothing."""
    draft = at("title")
    outcome = advance(FLOW, draft, "back")
    assert kinds(outcome) == [ReplyKind.INFO]
    assert (
        outcome.replies[0].text == "This is the first question, so there's nothing to go back to."
    )
    assert outcome.changes == {} and outcome.draft.flow.step == "title"


def test_back_at_the_first_asked_question_when_the_title_was_given() -> None:
    """With the title given at start, the milestone question is the first: `back` goes nowhere."""
    draft = start(FLOW, fresh(title="Cancel storm")).draft
    outcome = advance(FLOW, draft, "back")
    assert kinds(outcome) == [ReplyKind.INFO]
    assert outcome.draft.flow.step == "milestone"


def test_back_shows_the_previous_answer_and_then_resumes() -> None:
    """`back` re-asks the previous question with its answer; answering returns to where you were."""
    draft = at("in_scope")
    back = advance(FLOW, draft, "back")
    assert back.kind == "back"
    reply = back.replies[0]
    assert reply.question is not None and reply.question.id == "additional_invariants"
    assert reply.progress == (6, 16)
    assert "_Current answer:_\n- A cancel is sent at most once" in reply.text
    twice = advance(FLOW, back.draft, "back").draft
    assert twice.flow.step == "invariants"
    after = advance(FLOW, twice, "all")
    assert after.draft.flow.step == "in_scope"
    assert len(after.draft.invariants) == 5


def test_back_over_a_skipped_question_shows_no_answer() -> None:
    """Going back to a skipped optional question asks it fresh, with its optional note."""
    draft = advance(FLOW, at("out_of_scope"), "skip").draft
    reply = advance(FLOW, draft, "back").replies[0]
    assert "_Current answer:_" not in reply.text
    assert reply.text.endswith("Optional: `skip` to leave it out.")


def test_back_at_preview_asks_the_last_question_and_returns() -> None:
    """`back` at the preview asks the last question; answering it shows the preview again."""
    back = advance(FLOW, at_preview(), "back")
    assert back.draft.flow.step == "gates"
    assert back.draft.status is DraftStatus.DRAFTING
    after = advance(FLOW, back.draft, "done 1")
    assert after.draft.status is DraftStatus.PREVIEW
    assert after.draft.gate(FLOW.question("gates").options[0]).status is GateStatus.CHECKED


# -- preview, edit, file, cancel, help ---------------------------------------------------


def test_preview_mid_flow_counts_what_is_left_and_reasks() -> None:
    """`preview` mid-flow shows the preview with the required questions left, then re-asks."""
    draft = at("problem")
    outcome = advance(FLOW, draft, "preview")
    assert kinds(outcome) == [ReplyKind.PREVIEW, ReplyKind.QUESTION]
    assert outcome.replies[0].text == (
        "Here's the issue so far. 5 required questions left: Problem statement, "
        "Invariants strengthened, In scope, File touch plan, Implementation plan."
    )
    assert outcome.replies[1].question is not None
    assert outcome.replies[1].question.id == "problem"
    assert outcome.draft.status is DraftStatus.DRAFTING
    assert outcome.changes == {}


def test_preview_mid_flow_when_everything_required_is_in() -> None:
    """`preview` after the last required question says `file` works whenever the author likes."""
    outcome = advance(FLOW, at("test_commands"), "preview")
    assert "Everything required is in" in outcome.replies[0].text


def test_edit_mid_flow_returns_to_the_question_in_hand() -> None:
    """`edit <section>` mid-flow asks that section, then goes back to the current question."""
    draft = at("in_scope")
    edit = advance(FLOW, draft, "edit prob")
    assert edit.kind == "edit"
    assert edit.draft.flow.step == "problem"
    assert edit.replies[0].text.startswith("*Editing · Problem statement*")
    after = advance(FLOW, edit.draft, "Cancels are resent after a venue timeout.")
    assert after.draft.problem_statement == "Cancels are resent after a venue timeout."
    assert after.draft.flow.step == "in_scope"


def test_edit_from_preview_returns_to_preview() -> None:
    """`edit <section>` at the preview asks it; the answer takes the author back to the preview."""
    preview = at_preview()
    edit = advance(FLOW, preview, "edit In Scope")
    assert edit.draft.flow.return_to_preview is True
    assert edit.draft.status is DraftStatus.DRAFTING
    assert "_Current answer:_\n- Cancel path in the order reconciler" in edit.replies[0].text
    after = advance(FLOW, edit.draft, "- Cancel path only")
    assert kinds(after) == [ReplyKind.PREVIEW]
    assert after.draft.status is DraftStatus.PREVIEW
    assert after.draft.in_scope == ("Cancel path only",)
    assert after.draft.flow.return_to_preview is False


def test_edit_from_preview_can_be_left_with_preview_or_skip() -> None:
    """During an edit begun at the preview, `preview` or `skip` goes back keeping the answer."""
    edit = advance(FLOW, at_preview(), "edit problem").draft
    for word in ("preview", "skip"):
        outcome = advance(FLOW, edit, word)
        assert outcome.draft.status is DraftStatus.PREVIEW
        assert outcome.draft.problem_statement == edit.problem_statement


def test_edit_roadmap_from_preview() -> None:
    """The roadmap reference, never asked, is edited with `edit roadmap`."""
    edit = advance(FLOW, at_preview(), "edit roadmap")
    text = edit.replies[0].text
    assert text.startswith("*Editing · Roadmap reference*")
    assert "_Current answer:_ docs/execution_roadmap_90d.md" in text
    after = advance(FLOW, edit.draft, "docs/roadmap_2025.md")
    assert after.draft.roadmap_reference == "docs/roadmap_2025.md"
    assert after.draft.status is DraftStatus.PREVIEW


def test_edit_unknown_section_lists_the_sections() -> None:
    """`edit` of an unknown section is refused with the section names, changing nothing."""
    outcome = advance(FLOW, at("milestone"), "edit budget")
    assert outcome.kind == "rejected" and outcome.changes == {}
    assert outcome.replies[0].text.startswith("There's no section “budget”. Sections: Title,")


def test_edit_unknown_section_at_a_text_question_says_how_to_answer_with_it() -> None:
    """A prose answer that starts with "edit" is refused with how to send it as an answer."""
    outcome = advance(FLOW, at("title"), "Edit path loses cancel acks")
    text = outcome.replies[0].text
    assert text.endswith(
        "To use that text as your answer, reword it so it doesn't start with “edit”."
    )


def test_file_at_preview_files() -> None:
    """`file` at the preview with every required answer asks the surface to file."""
    outcome = advance(FLOW, at_preview(), "file")
    assert outcome.action is Action.FILE
    assert outcome.kind == "file"
    assert outcome.changes == {}


def test_file_mid_flow_names_what_is_missing_and_asks_it() -> None:
    """`file` before the required answers are in names them and asks the first."""
    outcome = advance(FLOW, at("objective"), "file")
    assert outcome.action is None
    assert kinds(outcome) == [ReplyKind.INVALID, ReplyKind.QUESTION]
    assert outcome.replies[0].text == (
        "Before filing, I still need: Risk-reduction objective, Problem statement, "
        "Invariants strengthened, In scope, File touch plan, Implementation plan."
    )
    assert outcome.draft.flow.step == "objective"


def test_file_mid_flow_with_everything_required_shows_the_preview_first() -> None:
    """`file` once the required answers are in goes to the preview; filing takes a second `file`."""
    outcome = advance(FLOW, at("adversarial"), "file")
    assert outcome.action is None
    assert kinds(outcome) == [ReplyKind.PREVIEW]
    assert outcome.draft.status is DraftStatus.PREVIEW
    assert advance(FLOW, outcome.draft, "file").action is Action.FILE


def test_file_at_preview_with_a_required_answer_missing() -> None:
    """A preview missing a required answer refuses `file` and asks that question."""
    preview = at_preview()
    state = preview.flow.model_copy(
        update={"answered": tuple(a for a in preview.flow.answered if a != "problem")}
    )
    broken = preview.model_copy(update={"flow": state, "problem_statement": ""})
    outcome = advance(FLOW, broken, "file")
    assert outcome.action is None
    assert outcome.replies[0].text == "Before filing, I still need: Problem statement."
    assert outcome.draft.flow.step == "problem"


def test_cancel_cancels_and_then_the_draft_is_read_only() -> None:
    """`cancel` marks the draft cancelled; anything after that raises DraftReadOnly."""
    outcome = advance(FLOW, at("problem"), "cancel")
    assert outcome.action is Action.CANCEL and outcome.kind == "cancel"
    assert outcome.draft.status is DraftStatus.CANCELLED
    assert kinds(outcome) == [ReplyKind.CANCELLED]
    with pytest.raises(DraftReadOnly, match="cancelled"):
        advance(FLOW, outcome.draft, "hello")


def test_filed_draft_is_read_only() -> None:
    """A filed draft refuses every change, pointing at the issue on GitHub."""
    filed = at_preview().model_copy(update={"status": DraftStatus.FILED, "issue_number": 12})
    message = "This draft is filed as #12; changes now go on GitHub."
    with pytest.raises(DraftReadOnly) as exc:
        advance(FLOW, filed, "edit title")
    assert str(exc.value) == message
    with pytest.raises(DraftReadOnly, match="#12"):
        start(FLOW, filed)
    with pytest.raises(DraftReadOnly, match="#12"):
        reanswer(FLOW, filed, "title", "New title")


def test_plain_text_at_preview_says_what_to_type() -> None:
    """Text that is no command at the preview gets a note on what can be typed, and is kept."""
    outcome = advance(FLOW, at_preview(), "looks good to me")
    assert kinds(outcome) == [ReplyKind.INFO]
    assert "`file`" in outcome.replies[0].text and "`edit <section>`" in outcome.replies[0].text
    assert outcome.kind == "rejected" and outcome.changes == {}


def test_help_shows_the_example_and_grammar() -> None:
    """`help` answers with the question's grammar and example and does not move."""
    draft = at("implementation")
    outcome = advance(FLOW, draft, "help")
    assert kinds(outcome) == [ReplyKind.HELP]
    assert "one step per line" in outcome.replies[0].text.lower()
    assert "1. Classify cancel timeouts" in outcome.replies[0].text
    assert outcome.draft == draft


# -- reanswer ---------------------------------------------------------------------------


def test_reanswer_replaces_an_answer_in_place() -> None:
    """An edited message replaces that question's answer; the flow stays where it is."""
    draft = at("in_scope")
    outcome = reanswer(FLOW, draft, "milestone", "M5")
    assert outcome.draft.target_milestone == "M5"
    assert outcome.draft.flow == draft.flow
    assert outcome.changes == {"target_milestone": "M5"}
    assert outcome.replies[0].text == "Updated *Target milestone*."


def test_reanswer_refuses_an_invalid_edit() -> None:
    """An edited message that no longer parses is refused and the old answer kept."""
    outcome = reanswer(FLOW, at("in_scope"), "milestone", "M9")
    assert outcome.kind == "rejected" and outcome.changes == {}
    assert outcome.question_id == "milestone"


def test_reanswer_ignores_a_control_word() -> None:
    """An old message edited into a control word is refused: commands go in new messages."""
    outcome = reanswer(FLOW, at("in_scope"), "problem", "skip")
    assert outcome.kind == "rejected"
    assert "send `skip` as a new message" in outcome.replies[0].text


# -- budget ------------------------------------------------------------------------------


def test_answer_overflowing_the_body_is_refused_with_the_budget() -> None:
    """An answer pushing the body past 65,536 characters is refused, giving the room left."""
    draft = at("notes")
    filler = tuple("x" * 990 for _ in range(60))
    draft = draft.with_changes({"adversarial_scenarios": filler})
    room = body_budget(FLOW.template, draft)
    assert 0 < room < 10_000
    # The longest note that fits leaves a budget of exactly zero.
    longest = body_budget(FLOW.template, draft.with_changes({"notes": ["y"]})) + 1
    outcome = advance(FLOW, draft, "y" * (longest + 1))
    assert outcome.kind == "rejected" and outcome.changes == {}
    assert outcome.replies[0].text == (
        f"That would make the issue 1 character longer than GitHub allows ({MAX_BODY:,}). "
        f"This section has {room:,} characters left; shorten it or link to a doc."
    )
    fits = advance(FLOW, draft, "y" * longest)
    assert fits.kind == "answer"
    assert body_budget(FLOW.template, fits.draft) == 0


def test_answer_shrinking_an_overlong_draft_is_accepted() -> None:
    """When a draft is already over the limit, an answer that shortens it is still taken."""
    draft = at("notes").with_changes({"notes": ["z" * 70_000]})
    back = advance(FLOW, draft, "edit notes").draft
    outcome = advance(FLOW, back, "short note")
    assert outcome.kind == "answer"
    assert outcome.draft.notes == ("short note",)


# -- every control word at every kind of step ------------------------------------------


def _step_for(kind: QuestionKind) -> Draft:
    question = next(q for q in FLOW.questions if q.kind is kind)
    return at(question.id)


FIXED_KIND = {"back": "back", "preview": "preview", "edit problem": "edit", "cancel": "cancel"}


@pytest.mark.parametrize("word", CONTROL_WORDS)
@pytest.mark.parametrize("kind", list(QuestionKind), ids=lambda k: k.value)
def test_every_control_word_at_every_kind_of_step(kind: QuestionKind, word: str) -> None:
    """Each control word works the same way at a question of every kind."""
    draft = _step_for(kind)
    question = FLOW.question(draft.flow.step or "")
    outcome = advance(FLOW, draft, word.upper())
    assert outcome.replies
    if word == "skip":
        assert outcome.kind == ("rejected" if question.required else "skip")
    elif word == "file":
        # Before the required answers are in, `file` is refused; after, it shows the preview.
        assert outcome.kind == ("file" if missing_required(FLOW, draft) else "preview")
        assert outcome.action is None
    elif word == "help":
        assert kinds(outcome) == [ReplyKind.HELP]
        assert outcome.draft == draft
    elif word == "back" and question.id == "title":
        assert kinds(outcome) == [ReplyKind.INFO]
    elif word == "none":
        reads_none = kind in (QuestionKind.MULTIPLE_CHOICE, QuestionKind.GATES)
        expected = "answer" if reads_none or not question.required else "rejected"
        assert outcome.kind == expected
    else:
        assert outcome.kind == FIXED_KIND[word]
    if word == "cancel":
        assert outcome.draft.status is DraftStatus.CANCELLED


@pytest.mark.parametrize("word", CONTROL_WORDS)
def test_every_control_word_at_preview(word: str) -> None:
    """Each control word has a defined effect at the preview too."""
    preview = at_preview()
    outcome = advance(FLOW, preview, word)
    expected = {
        "skip": ([ReplyKind.INFO], None),
        "back": ([ReplyKind.QUESTION], None),
        "preview": ([ReplyKind.PREVIEW], None),
        "edit problem": ([ReplyKind.QUESTION], None),
        "file": ([ReplyKind.INFO], Action.FILE),
        "cancel": ([ReplyKind.CANCELLED], Action.CANCEL),
        "help": ([ReplyKind.HELP], None),
        "none": ([ReplyKind.INFO], None),
    }[word]
    assert (kinds(outcome), outcome.action) == expected


# -- the flow as a whole -----------------------------------------------------------------


def _finish(draft: Draft, limit: int) -> Outcome | None:
    """Answer by example until the draft is filed; None if that takes more than `limit`."""
    for _ in range(limit):
        if draft.status is DraftStatus.PREVIEW:
            return advance(FLOW, draft, "file")
        step = FLOW.question(draft.flow.step or "")
        draft = advance(FLOW, draft, step.example).draft
    return None


def test_every_question_is_reachable_and_every_path_ends() -> None:
    """Exploring every input at every state reaches every section, and every state can end."""
    inputs = ["example", "bad", "skip", "back", "preview", "file", "help"]
    inputs += [f"edit {q.title}" for q in FLOW.sections]
    first = start(FLOW, fresh()).draft
    seen: dict[tuple[object, ...], Draft] = {}
    queue = deque([first])
    steps_seen: set[str] = set()
    while queue:
        draft = queue.popleft()
        key = (
            draft.status,
            draft.flow.step,
            draft.flow.return_to_preview,
            len(draft.flow.answered),
        )
        if key in seen:
            continue
        seen[key] = draft
        if draft.flow.step:
            steps_seen.add(draft.flow.step)
        for text in inputs:
            if text == "example":
                text = FLOW.question(draft.flow.step).example if draft.flow.step else "file"
            elif text == "bad":
                text = "\u202e"
            outcome = advance(FLOW, draft, text)
            if outcome.action is None and outcome.draft.status is not DraftStatus.CANCELLED:
                queue.append(outcome.draft)
    assert steps_seen == {q.id for q in FLOW.sections}
    limit = 3 * len(FLOW.sections)
    for draft in seen.values():
        ending = _finish(draft, limit)
        assert ending is not None and ending.action is Action.FILE, draft.flow
        cancelled = advance(FLOW, draft, "cancel")
        assert cancelled.action is Action.CANCEL


def test_progress_counts_answered_questions() -> None:
    """progress() gives (answered, total) for the drafts list."""
    assert progress(FLOW, start(FLOW, fresh()).draft) == (0, 16)
    assert progress(FLOW, at("problem")) == (3, 16)
    assert progress(FLOW, at_preview()) == (16, 16)


@pytest.mark.parametrize("question_id", [q.id for q in FLOW.questions])
@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=300))
def test_any_message_gets_an_outcome(question_id: str, text: str) -> None:
    """Whatever an author sends at any question, the engine answers with an outcome."""
    draft = at(question_id)
    outcome = advance(FLOW, draft, text)
    assert outcome.replies
    if outcome.kind == "rejected":
        assert outcome.changes == {}


# -- one grammar: `none`, commands on their own line, repeats ------------------------------


@pytest.mark.parametrize(
    ("question_id", "field", "value"),
    [
        ("notes", "notes", ()),
        ("test_commands", "test_commands", ()),
        ("invariants", "invariants", ()),
        ("gates", "gates", {}),
    ],
)
def test_none_alone_answers_an_optional_question(
    question_id: str, field: str, value: object
) -> None:
    """`none` alone is "no answer" at every optional question, and the flow moves on."""
    outcome = advance(FLOW, at(question_id), "None")
    assert outcome.kind == "answer" and getattr(outcome.draft, field) == value
    assert outcome.draft.flow.step != question_id


@pytest.mark.parametrize("question_id", ["title", "problem", "in_scope", "implementation"])
def test_none_is_refused_by_a_required_question_with_its_reason(question_id: str) -> None:
    """A required question refuses `none` instead of storing the word as its answer."""
    question = FLOW.question(question_id)
    outcome = advance(FLOW, at(question_id), "none")
    assert outcome.kind == "rejected" and outcome.changes == {}
    assert f"*{question.title}* needs an answer" in outcome.replies[0].text or (
        "`none` can't answer it" in outcome.replies[0].text
    )


@pytest.mark.parametrize("word", ["none", "cancel", "skip", "edit title", "preview", "Back"])
def test_a_command_on_its_own_line_of_a_longer_answer_is_refused(word: str) -> None:
    """`- a` then a bare command line is refused naming the line, never stored as an item."""
    draft = at("out_of_scope")
    outcome = advance(FLOW, draft, f"- Replace flows\n{word}")
    assert outcome.kind == "rejected" and outcome.changes == {}
    assert f"“{word}”" in outcome.replies[0].text
    assert outcome.draft.status is DraftStatus.DRAFTING


def test_a_marked_item_or_prose_that_starts_like_a_command_is_text() -> None:
    """`- cancel` is an item, and "edit the config" names no section, so both are text."""
    outcome = advance(FLOW, at("out_of_scope"), "- cancel\nedit the config file")
    assert outcome.kind == "answer"
    assert outcome.draft.out_of_scope == ("cancel", "edit the config file")


def test_repeated_list_items_are_refused_by_name() -> None:
    """Eleven identical items are refused with the item named, and nothing is stored."""
    outcome = advance(FLOW, at("in_scope"), "\n".join(["- Retry budget"] * 11))
    assert outcome.kind == "rejected"
    assert "“Retry budget” is listed 11 times" in outcome.replies[0].text


# -- resume, `file` words, the edit list, template drift -------------------------------------


def test_resume_brings_a_cancelled_draft_back_where_it_stood() -> None:
    """A cancelled draft resumes at the question it was on, journaled as "resume"."""
    cancelled = advance(FLOW, at("problem"), "cancel").draft
    outcome = resume(FLOW, cancelled)
    assert outcome.kind == "resume"
    assert (outcome.draft.status, outcome.draft.flow.step) == (DraftStatus.DRAFTING, "problem")
    assert outcome.changes["status"] == "drafting"
    assert cancelled.with_changes(outcome.changes) == outcome.draft


def test_the_preview_says_what_file_does_where_the_flow_runs() -> None:
    """A flow built with its own `file` words says them at the preview."""
    local = build_flow(load_template(), file_words="write the issue to a file")
    outcome = advance(local, at_preview(), "preview")
    assert "Type `file` to write the issue to a file," in outcome.replies[0].text
    assert (
        "Type `file` to file it on GitHub,"
        in advance(FLOW, at_preview(), "preview").replies[0].text
    )


def test_edit_of_an_unknown_section_never_offers_the_roadmap() -> None:
    """`edit sceope` suggests a section and lists only sections the flow asks."""
    outcome = advance(FLOW, at_preview(), "edit sceope")
    text = outcome.replies[0].text
    assert "Did you mean `edit scope`?" in text and "Roadmap reference" not in text


def _template_without_dashboard_gate():
    source = load_template().source.replace("- [ ] Dashboard/alert impact reviewed.\n", "")
    return parse_template(source)


def test_a_gate_decision_the_template_dropped_is_reported_and_kept() -> None:
    """A stored N/A for a gate the template no longer has is named at the preview and kept."""
    decided = advance(FLOW, at("gates"), "n/a 6: no dashboards for this service").draft
    label = "Dashboard/alert impact reviewed."
    assert decided.gates[label].status is GateStatus.NOT_APPLICABLE
    changed = build_flow(_template_without_dashboard_gate())
    outcome = advance(changed, decided, "preview")
    text = outcome.replies[0].text
    assert f"gate “{label}” (N/A: no dashboards for this service)" in text
    assert label not in render_body(changed.template, outcome.draft)
    again = advance(changed, outcome.draft, "edit gates")
    answered = advance(changed, again.draft, "done 1")
    assert answered.draft.gates[label].reason == "no dashboards for this service"
