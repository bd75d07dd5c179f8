"""Which issues a pull request's text references, and which pull request a revert undoes.

A reference is `#N` (the pull request's own repository), `owner/name#N`, or the issue's URL
(`https://HOST/owner/name/issues/N`, any host: GitHub Enterprise Server too), with or
without a closing keyword before it. Numbers inside words, code spans and fenced blocks are
still read: GitHub links them in titles and commit messages alike, and an author who quotes
an issue number in code means that issue.
"""

from __future__ import annotations

import re

_SHORT = re.compile(
    r"(?<![\w/#&])(?:(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<name>[\w.-]+))?#(?P<number>\d+)\b"
)
_URL = re.compile(
    r"https?://[^\s/]+/(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<name>[\w.-]+)/"
    r"(?:issues|pull)/(?P<number>\d+)\b"
)
# GitHub's "Revert" button writes `Reverts owner/name#N` in the body.
_REVERTS = re.compile(
    r"^\s*Reverts\s+(?:(?P<owner>[A-Za-z0-9][A-Za-z0-9-]*)/(?P<name>[\w.-]+))?#(?P<number>\d+)\b",
    re.IGNORECASE | re.MULTILINE,
)

Ref = tuple[str, int]  # (owner/name in lower case, number)


def _ref(match: re.Match[str], repository: str) -> Ref:
    owner, name = match.group("owner"), match.group("name")
    target = f"{owner}/{name}" if owner and name else repository
    return target.lower(), int(match.group("number"))


def references(text: str | None, repository: str) -> set[Ref]:
    """Issues `text` references, as (owner/name lower-cased, number)."""
    if not text:
        return set()
    found = {_ref(m, repository) for m in _URL.finditer(text)}
    found |= {_ref(m, repository) for m in _SHORT.finditer(text)}
    return found


def revert_of(title: str | None, body: str | None, repository: str) -> str | None:
    """`owner/name#N` of the pull request this one reverts, if it says so."""
    match = _REVERTS.search(body or "")
    if match is None:
        return None
    target, number = _ref(match, repository)
    if target == repository.lower():
        target = repository
    return f"{target}#{number}"
