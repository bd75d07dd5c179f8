"""Domain errors in words for the author, said once, at the edge (see bot/errors.py)."""

from __future__ import annotations

from bot.errors import NotDraftAuthor, UnknownDraft


def refusal(exc: UnknownDraft | NotDraftAuthor, command: str) -> str:
    """What to tell the author when a draft they named can't be acted on: and the fix."""
    if isinstance(exc, NotDraftAuthor):
        return f"Only <@{exc.author}> can change draft `{exc.draft_id}`."
    return f"There is no draft `{exc.draft_id}`. `{command} drafts` lists yours."
