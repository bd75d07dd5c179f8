"""What a failed filing tells the author: what happened, that the draft is kept, and the
fix (theirs, or the operator's, naming the setting).

Pure functions of the classified GitHub error (bot.github.failures) and of what the filing
knew about the repository when it failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from bot.filing.outcome import FailureKind, FilingFailure, FilingOutcome, FilingResult, clock_time
from bot.github.client import GitHubConfig
from bot.github.failures import GitHubError
from flows.draft import Draft, DraftStatus

SAVED = "Your draft is saved"


@dataclass(frozen=True)
class Context:
    """What the words need beside the error: where filing was headed, as whom."""

    config: GitHubConfig
    login: str = ""  # the bot's account, once known
    repo_visible: bool = False  # a 404: the repository answered when asked again

    @property
    def repository(self) -> str:
        return self.config.repository

    @property
    def who(self) -> str:
        return f" (@{self.login})" if self.login else ""


def _trace(error: GitHubError) -> str:
    return f" (GitHub request ID `{error.request_id}`)" if error.request_id else ""


def failure_for(error: GitHubError, context: Context) -> FilingFailure:
    """The failure for `error`, by GitHub's status."""
    if error.sent:
        # Composed after a create that may have happened: whatever the status, "nothing was
        # filed" could be false, so the message says what is known instead.
        return FilingFailure(
            FailureKind.UNAVAILABLE, error.message or error.detail, error.status, error.request_id
        )
    words = BY_STATUS.get(error.status or 0, unavailable)
    return words(error, context)


def credentials(error: GitHubError, context: Context) -> FilingFailure:
    message = (
        f"GitHub turned down the bot's credentials ({error.detail}), so nothing was "
        f"filed. The operator needs to fix {context.config.credentials}{_trace(error)}. "
        f"{SAVED}: press Retry filing once that's done."
    )
    return FilingFailure(
        FailureKind.CREDENTIALS, message, error.status, error.request_id, operator=True
    )


def not_found(error: GitHubError, context: Context) -> FilingFailure:
    repo = context.repository
    if context.repo_visible:
        message = (
            f"GitHub answered {error.detail} when creating the issue in {repo}, though the "
            f"bot's account{context.who} can see the repository: it can't create issues there "
            "(a fine-grained token needs Issues: read and write). The operator needs to fix "
            f"its access{_trace(error)}. {SAVED}: press Retry filing after that."
        )
    else:
        app = f", or install the GitHub App on {repo}" if context.config.uses_app else ""
        message = (
            f"GitHub has no repository {repo} that the bot's account{context.who} can see, so "
            f"nothing was filed. The operator needs to check GITHUB_REPOSITORY or give the "
            f"bot access to {repo}{app}{_trace(error)}. {SAVED}."
        )
    return FilingFailure(
        FailureKind.NOT_FOUND, message, error.status, error.request_id, operator=True
    )


def issues_disabled(error: GitHubError, context: Context) -> FilingFailure:
    message = (
        f"Issues are turned off in {context.repository} ({error.detail}), so nothing was "
        "filed. A repository admin can turn them on (Settings → General → Features → Issues), "
        f"or the operator can point GITHUB_REPOSITORY elsewhere. {SAVED}."
    )
    return FilingFailure(
        FailureKind.ISSUES_DISABLED, message, error.status, error.request_id, operator=True
    )


def invalid(error: GitHubError, context: Context) -> FilingFailure:
    said = error.message or error.detail
    why = "; ".join(error.errors) or said
    message = (
        f"GitHub refused the issue: {said}"
        + (f" ({why})" if why != said else "")
        + f". Nothing was filed and {SAVED.lower()}: fix it with `edit <section>`, "
        "then file again."
    )
    return FilingFailure(FailureKind.INVALID, message, error.status, error.request_id)


def forbidden(error: GitHubError, context: Context) -> FilingFailure:
    message = (
        f"GitHub refused to file in {context.repository} ({error.detail}), so nothing was "
        f"filed. The operator needs to let the bot's account create issues there"
        f"{_trace(error)}. {SAVED}."
    )
    return FilingFailure(
        FailureKind.FORBIDDEN, message, error.status, error.request_id, operator=True
    )


def unavailable(error: GitHubError, context: Context) -> FilingFailure:
    message = (
        f"GitHub isn't answering properly right now ({error.detail}), so nothing was "
        f"filed. {SAVED}: press Retry filing in a minute."
    )
    return FilingFailure(FailureKind.UNAVAILABLE, message, error.status, error.request_id)


BY_STATUS: dict[int, Callable[[GitHubError, Context], FilingFailure]] = {
    401: credentials,
    403: forbidden,
    404: not_found,
    410: issues_disabled,
    422: invalid,
}


def rate_limited(error: GitHubError, at: datetime, tz: tzinfo | None) -> FilingFailure:
    """GitHub's rate limit lasts longer than filing may wait: retry after `at`."""
    when = clock_time(at, tz)
    return FilingFailure(
        FailureKind.RATE_LIMITED,
        f"GitHub is rate limiting the bot until {when}, so nothing was filed yet. Your "
        f"draft is saved: press Retry filing after {when}.",
        status=error.status,
        request_id=error.request_id,
        retry_at=at,
    )


def not_ready(draft: Draft) -> FilingResult:
    """The draft isn't at its preview: what to do first."""
    what = {
        DraftStatus.DRAFTING: "isn't finished yet: answer the remaining questions first",
        DraftStatus.CANCELLED: "was cancelled; resume it first",
        DraftStatus.ARCHIVED: "was archived; resume it first",
    }.get(draft.status, "isn't ready")
    failure = FilingFailure(FailureKind.NOT_READY, f"Draft `{draft.id}` {what}.")
    return FilingResult(FilingOutcome.FAILED, draft.id, failure=failure)
