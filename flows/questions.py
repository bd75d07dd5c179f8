"""The drafting flow as data: the questions, in order, each with its own pure parser.

Labels and options are read from the template (milestones, invariant labels, gates), never
retyped here; `build_flow` refuses a template that lacks something a question relies on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flows import answers
from flows.draft import Draft
from flows.errors import InvalidAnswer, TemplateError
from flows.question import (
    FILE_ON_GITHUB,
    Flow,
    Formatter,
    Parser,
    Question,
    QuestionKind,
)
from flows.template import Template

__all__ = [
    "FILE_ON_GITHUB",
    "Flow",
    "Question",
    "QuestionKind",
    "blank_value",
    "build_flow",
    "parse_github_login",
]

FLOW_VERSION = 1
GITHUB_TITLE_LIMIT = 256

# Lines of the template the renderer writes answers after; a template without them would
# leave those answers nowhere to go.
TEMPLATE_LINES: tuple[str, ...] = (
    "Roadmap reference:",
    "Target milestone:",
    "Risk-reduction objective:",
    "additional invariant",
    "Commands:",
    "Scenario(s):",
    "Telemetry events touched:",
    "Docs touched:",
)


# GitHub logins: letters, digits and single inner hyphens, at most 39 characters. GitHub
# Enterprise Server also allows underscores (logins derived from LDAP or SAML names).
GITHUB_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_])){0,38}")
_PROFILE_URL = re.compile(r"^<?https?://[^/\s]+/([^/\s|>?#]+)/?(?:[|][^>]*)?>?$")


def parse_github_login(text: str) -> str:
    """A GitHub login as typed (`octocat`, `@octocat` or a profile link); its form only:
    whether GitHub has that user is checked where GitHub is reachable."""
    typed = answers.strip_invisible(answers.check_text(text))
    link = _PROFILE_URL.match(typed)
    login = (link.group(1) if link else typed).removeprefix("@")
    if not login:
        raise InvalidAnswer("Send your GitHub login, like `octocat`, or `skip`.")
    if " " in login or "\n" in login:
        raise InvalidAnswer("A GitHub login is one word, like `octocat`; send just that.")
    if not GITHUB_LOGIN.fullmatch(login):
        raise InvalidAnswer(
            f"`{login[:40]}` can't be a GitHub login: they're up to 39 letters, digits and "
            "single hyphens, not starting or ending with one. Check it, or `skip`."
        )
    return login


def _assignee_question() -> Question:
    return Question(
        id="assignee",
        title="GitHub login",
        prompt=(
            "What's your GitHub login? I'll assign the issue to you and mention you in its "
            "notes. I'll remember it for your next drafts."
        ),
        example="octocat",
        kind=QuestionKind.SHORT,
        required=False,
        parser=_single("assignee", parse_github_login),
        formatter=_text_formatter("assignee"),
        fields=("assignee",),
        aliases=("assignee", "github", "login"),
        how="Your GitHub username, with or without the @.",
        skip_hint="Optional: `skip` files without an assignee, and I won't ask again.",
    )


def _default(draft_field: str) -> Any:
    return Draft.model_fields[draft_field].get_default(call_default_factory=True)


def _single(field_name: str, parse: Callable[[str], Any]) -> Parser:
    return lambda text, draft: {field_name: parse(text)}


def _text_formatter(field_name: str) -> Formatter:
    return lambda draft: str(getattr(draft, field_name))


def _list_formatter(field_name: str, *, ordered: bool = False) -> Formatter:
    return lambda draft: answers.format_list(getattr(draft, field_name), ordered=ordered)


def _list_question(
    id: str,
    title: str,
    field_name: str,
    prompt: str,
    example: str,
    *,
    required: bool,
    why_required: str = "",
    ordered: bool = False,
    aliases: tuple[str, ...] = (),
    how: str = "",
) -> Question:
    what = title[0].lower() + title[1:]
    return Question(
        id=id,
        title=title,
        prompt=prompt,
        example=example,
        kind=QuestionKind.ORDERED_LIST if ordered else QuestionKind.LIST,
        required=required,
        why_required=why_required,
        parser=_single(
            field_name,
            lambda text: answers.parse_list(text, what=what, required=required, unique=not ordered),
        ),
        formatter=_list_formatter(field_name, ordered=ordered),
        fields=(field_name,),
        aliases=aliases,
        how=how or ("One step per line, in order." if ordered else "One per line."),
    )


def _check_template(template: Template) -> None:
    missing: list[str] = []
    for key in (
        "context",
        "problem",
        "invariants",
        "in_scope",
        "out_of_scope",
        "file_touch",
        "implementation",
        "unit_tests",
        "adversarial",
        "telemetry",
        "documentation",
        "notes",
    ):
        if key not in template.heading_keys:
            missing.append(f"the heading for {key.replace('_', ' ')}")
    missing += [f"the line “{line}”" for line in TEMPLATE_LINES if line not in template.source]
    if not template.milestones:
        missing.append("milestones on the “Target milestone:” line")
    if not template.invariant_labels:
        missing.append("invariant checkboxes under “Invariants Strengthened”")
    if not template.gates:
        missing.append("gate checkboxes")
    if missing:
        raise TemplateError("the template lacks what the flow relies on: " + "; ".join(missing))


def _keep_unknown(
    before: tuple[str, ...], picked: tuple[str, ...], options: tuple[str, ...]
) -> tuple[str, ...]:
    """`picked`, plus earlier picks the template no longer offers (kept, never dropped)."""
    return (*picked, *(label for label in before if label not in options))


def _gates_example(labels: list[str]) -> str:
    dashboards = next(
        (i for i, label in enumerate(labels, 1) if "dashboard" in label.lower()), len(labels)
    )
    done = 2 if len(labels) >= 2 and dashboards != 2 else 1
    return f"done {done}\nn/a {dashboards}: no dashboards for this service"


def build_flow(
    template: Template, *, ask_assignee: bool = False, file_words: str = FILE_ON_GITHUB
) -> Flow:
    """The Reliability Milestone flow for `template`; TemplateError names anything missing.

    `ask_assignee` adds the author's GitHub login as the last question (only where the bot
    files on GitHub: elsewhere there is nothing to assign). `file_words` says what `file`
    does where this flow runs.
    """
    _check_template(template)
    prefix = template.title_prefix
    title_limit = GITHUB_TITLE_LIMIT - len(prefix)
    milestones = template.milestones
    invariants = tuple(template.invariant_labels)
    gates = tuple(template.gate_labels)
    gate_groups = tuple(template.heading(c.section).text for c in template.gates)
    test_default = template.test_command_default
    heading = {key: template.heading(key).text for key in template.heading_keys}

    questions: tuple[Question, ...] = (
        Question(
            id="title",
            title="Title",
            prompt="What should the issue be called? Name the failure you're fixing.",
            example="Order reconciler double-submits cancels after a venue timeout",
            kind=QuestionKind.SHORT,
            required=True,
            why_required="every issue needs a title; it's what people see in lists and alerts.",
            parser=_single(
                "title", lambda t: answers.parse_title(t, limit=title_limit, prefix=prefix)
            ),
            formatter=_text_formatter("title"),
            fields=("title",),
            aliases=("issue title", "name"),
            how=f"One line, up to {title_limit} characters; I add “{prefix.strip()}” for you.",
        ),
        Question(
            id="milestone",
            title="Target milestone",
            prompt="Which roadmap milestone does this land in?",
            example=milestones[min(2, len(milestones) - 1)],
            kind=QuestionKind.SINGLE_CHOICE,
            required=True,
            why_required="the milestone places this work on the roadmap.",
            parser=_single(
                "target_milestone", lambda t: answers.parse_single_choice(t, milestones)
            ),
            formatter=_text_formatter("target_milestone"),
            options=milestones,
            fields=("target_milestone",),
            aliases=("milestone", "target"),
            how="Type the milestone or its number.",
        ),
        Question(
            id="objective",
            title="Risk-reduction objective",
            prompt="Which risk goes down once this ships?",
            example=(
                "A cancel that times out is never resubmitted blind, so open exposure stays "
                "bounded to one live order per instrument."
            ),
            kind=QuestionKind.SHORT,
            required=True,
            why_required="reviewers weigh the work against the risk it removes.",
            parser=_single(
                "risk_objective",
                lambda t: answers.parse_sentence(t, what="risk-reduction objective"),
            ),
            formatter=_text_formatter("risk_objective"),
            fields=("risk_objective",),
            aliases=("objective", "risk", "risk objective"),
            how="A sentence or two.",
        ),
        Question(
            id="problem",
            title="Problem statement",
            prompt="What goes wrong today? Describe the failure mode or reliability gap.",
            example=(
                "When a venue times out on a cancel, the reconciler treats the order as still "
                "live and sends a second cancel. If the first one landed, the venue rejects "
                "the duplicate and the reconciler retries until the rate limiter trips, "
                "blocking protective exits for up to 40 seconds."
            ),
            kind=QuestionKind.PARAGRAPH,
            required=True,
            why_required="without it, reviewers can't tell whether the plan fixes anything.",
            parser=_single(
                "problem_statement",
                lambda t: answers.parse_paragraph(t, what="problem statement"),
            ),
            formatter=_text_formatter("problem_statement"),
            fields=("problem_statement",),
            aliases=("problem", heading["problem"]),
            how="One paragraph, no blank lines.",
        ),
        Question(
            id="invariants",
            title="Invariants strengthened",
            prompt="Which of the standard invariants does this milestone strengthen?",
            example="1 3",
            kind=QuestionKind.MULTIPLE_CHOICE,
            required=True,
            why_required=(
                "reviewers check every milestone against the invariants; "
                "answer `none` if it strengthens none of them."
            ),
            parser=lambda text, draft: {
                "invariants": _keep_unknown(
                    draft.invariants, answers.parse_multiple_choice(text, invariants), invariants
                )
            },
            formatter=lambda d: answers.format_multiple_choice(d.invariants, invariants),
            options=invariants,
            fields=("invariants",),
            aliases=("invariants", heading["invariants"]),
            how="Numbers like `1 3`, or `all`, or `none`.",
        ),
        _list_question(
            "additional_invariants",
            "Additional invariants",
            "additional_invariants",
            "Any invariant of your own this milestone should hold, beyond those?",
            "- A cancel is sent at most once per order per venue session",
            required=False,
            aliases=("extra invariants", "other invariants"),
        ),
        _list_question(
            "in_scope",
            "In scope",
            "in_scope",
            "What does this milestone change?",
            "- Cancel path in the order reconciler\n- Timeout classification for venue cancel acks",
            required=True,
            why_required="scope is what reviewers hold the milestone to.",
            aliases=("scope",),
        ),
        _list_question(
            "out_of_scope",
            "Out of scope",
            "out_of_scope",
            "Anything a reviewer might expect that you're leaving out on purpose?",
            "- Replace and amend flows\n- Venue adapters other than the FIX gateway",
            required=False,
        ),
        _list_question(
            "file_touch",
            "File touch plan",
            "file_touch_plan",
            "Which files or modules do you expect to change?",
            "- execution/reconciler.py\n"
            "- execution/venues/timeouts.py\n"
            "- tests/execution/test_reconciler_cancel.py",
            required=True,
            why_required="the file plan lets reviewers spot collisions with other work.",
            aliases=("files", "file plan", heading["file_touch"]),
        ),
        _list_question(
            "implementation",
            "Implementation plan",
            "implementation_plan",
            "How will you do it? List the steps in order.",
            "1. Classify cancel timeouts as ambiguous instead of failed\n"
            "2. Reconcile ambiguous cancels against venue order status before any retry\n"
            "3. Cap cancel retries per order and journal every attempt",
            required=True,
            why_required="the plan is what reviewers approve.",
            ordered=True,
            aliases=("plan", "steps", heading["implementation"]),
        ),
        Question(
            id="test_commands",
            title="Test commands",
            prompt="Which commands run the tests for this work?",
            example="- pytest -q tests/execution\n- pytest -q -m chaos tests/chaos",
            kind=QuestionKind.LIST,
            required=False,
            parser=_single(
                "test_commands",
                lambda t: answers.parse_list(t, what="test commands", required=False),
            ),
            formatter=_list_formatter("test_commands"),
            fields=("test_commands",),
            aliases=("tests", "commands"),
            how="One command per line.",
            skip_hint=f"Optional: `skip` keeps `{test_default}`.",
        ),
        _list_question(
            "adversarial",
            "Adversarial scenarios",
            "adversarial_scenarios",
            "Which adversarial or chaos scenarios will show the invariants hold?",
            "- Venue acks the cancel after our timeout fires\n"
            "- Venue drops the cancel ack and the session resets",
            required=False,
            aliases=("scenarios", "chaos", heading["adversarial"]),
        ),
        _list_question(
            "telemetry",
            "Telemetry events",
            "telemetry_events",
            "Which telemetry events do you add or change?",
            "- order.cancel.ambiguous\n- reconcile.cancel.retry_capped",
            required=False,
            aliases=("telemetry", "events", "telemetry events touched"),
        ),
        _list_question(
            "docs",
            "Docs touched",
            "docs_touched",
            "Which docs or runbooks will you update?",
            "- docs/runbooks/venue_timeouts.md",
            required=False,
            aliases=("docs", "documentation", "runbooks"),
        ),
        _list_question(
            "notes",
            "Notes and assumptions",
            "notes",
            "Anything a reviewer should know: notes, assumptions, open questions?",
            "- Assumes venues answer an order status request within 2 seconds",
            required=False,
            aliases=("notes", "assumptions", heading["notes"]),
        ),
        Question(
            id="gates",
            title="Gates already settled",
            prompt=(
                "Any gates already done or not applicable? Most are work still to do: leave "
                "those, they stay unticked on the issue and I'll remind you."
            ),
            example=_gates_example(list(gates)),
            kind=QuestionKind.GATES,
            required=False,
            parser=lambda text, draft: {
                "gates": {
                    # A decision the template has no line for is kept (see flows.render.drift).
                    **{
                        label: state.model_dump(mode="json")
                        for label, state in draft.gates.items()
                        if label not in gates
                    },
                    **{
                        label: state.model_dump(mode="json")
                        for label, state in answers.parse_gates(text, gates).items()
                    },
                }
            },
            formatter=lambda d: answers.format_gates(d.gates, gates),
            options=gates,
            option_groups=gate_groups,
            skip_hint="Nothing settled yet? `skip`, and every gate stays open.",
            fields=("gates",),
            aliases=("gates", "checkboxes", "test gates"),
            how=(
                "One line per decision: `done 1 2` for gates already done, "
                "`n/a 8: reason` for gates that don't apply."
            ),
        ),
    )
    roadmap = Question(
        id="roadmap",
        title="Roadmap reference",
        prompt="Which roadmap document does this milestone belong to?",
        example=template.roadmap_default,
        kind=QuestionKind.SHORT,
        required=True,
        why_required="the roadmap reference ties this milestone to the plan.",
        parser=_single(
            "roadmap_reference", lambda t: answers.parse_line(t, what="roadmap reference")
        ),
        formatter=_text_formatter("roadmap_reference"),
        fields=("roadmap_reference",),
        aliases=("roadmap",),
        how="One line: a path or a link.",
        asked=False,
    )
    if ask_assignee:
        questions = (*questions, _assignee_question())
    return Flow(
        version=FLOW_VERSION,
        questions=questions,
        template=template,
        extras=(roadmap,),
        file_words=file_words,
    )


def blank_value(flow: Flow, draft_field: str) -> Any:
    """A field's value before the author said anything: the template's default, or empty."""
    if draft_field == "test_commands":
        return (flow.template.test_command_default,)
    if draft_field == "roadmap_reference":
        return flow.template.roadmap_default
    return _default(draft_field)
