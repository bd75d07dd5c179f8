"""Linking pull requests to tracked milestone issues, from what GitHub shows of them.

Shared by the webhook (a `pull_request` delivery) and the sweep (the listing of recently
updated pull requests, and the issues' timelines). A pull request is linked to each tracked
issue its title or body references (`#N`, `owner/name#N`, the issue's URL, closing keyword
or not), to the issue whose timeline cross-references it, and, when it is a revert, to the
issues of the pull request it undoes. A pull request linked to nothing is not kept.

The snapshot replaces the stored one; its files and checks are kept only while they still
belong to the same merge commit, so a later merge (or a re-read) starts them afresh.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.github.pulls import pull_from_json, referenced_issues
from bot.log import get_logger
from bot.storage.evidence import StoredPull
from bot.storage.store import Session
from flows.evidence import PullRequest

log = get_logger()


def _split(key: str) -> tuple[str, int] | None:
    repository, _, number = key.rpartition("#")
    return (repository, int(number)) if repository and number.isdigit() else None


def merged_snapshot(existing: StoredPull | None, pull: PullRequest) -> StoredPull:
    """`pull` as the new record, keeping what was read of the same merge commit."""
    if existing is None or existing.pull.merge_sha != pull.merge_sha or pull.merge_sha is None:
        return StoredPull(pull)
    kept = replace(
        pull,
        files=existing.pull.files,
        files_capped=existing.pull.files_capped,
        checks=existing.pull.checks,
    )
    return replace(existing, pull=kept)


def record_pull(
    s: Session, data: dict[str, Any], via: str, *, also: tuple[str, ...] = ()
) -> list[str]:
    """Store and link the pull request GitHub's JSON shows; the drafts it is linked to.

    `also` names drafts to link whatever the text says (a timeline's cross-reference).
    """
    pull = pull_from_json(data)
    if pull is None:
        return []
    drafts: list[str] = list(also)
    for repository, number in sorted(referenced_issues(data, pull.repository)):
        tracked = s.tracked.at(repository, number)
        if tracked is not None:
            drafts.append(tracked.draft_id)
    reverted = _split(pull.reverts) if pull.reverts else None
    if reverted is not None:
        drafts += s.evidence.drafts_of(*reverted)
    drafts += s.evidence.drafts_of(pull.repository, pull.number)
    drafts = list(dict.fromkeys(drafts))
    if not drafts:
        return []
    existing = s.evidence.pull(pull.repository, pull.number)
    s.evidence.save_pull(replace(merged_snapshot(existing, pull), seen_at=s.now))
    for draft_id in drafts:
        if s.evidence.link(draft_id, pull.repository, pull.number, via):
            log.info(
                "pull.linked", draft_id=draft_id, pull=pull.key, via=via, state=pull.state.value
            )
    return drafts


def checks_changed(s: Session, repository: str, sha: str) -> list[str]:
    """A check on `sha` completed: the merged pull requests whose checks to read again."""
    stale = []
    for stored in s.evidence.by_merge_sha(repository, sha):
        s.evidence.save_pull(replace(stored, checks_final=False))
        stale.append(stored.key)
    return stale
