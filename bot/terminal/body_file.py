"""Where `file` puts the issue when GitHub isn't configured: a body file, never the working tree.

The file holds the issue body only, exactly what filing would send, so it can be pasted
into GitHub's "New issue" page as it is; the title and labels are said beside it. It goes
to the path the author chose (`chat --out PATH`, a file or a folder) or to the data folder,
`issues/` beside the database. A file that exists is only replaced when it is this draft's
own earlier body (it ends with the draft's marker).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.errors import LocalFileError
from flows.draft import Draft
from flows.render import as_filed, marker, render_issue
from flows.template import Template

ISSUES_FOLDER = "issues"


@dataclass(frozen=True)
class BodyFile:
    """The body file of one draft, and what to put in GitHub's title and labels."""

    path: Path
    title: str
    labels: tuple[str, ...]


def body_path(draft_id: str, *, out: Path | None, database: Path) -> Path:
    """Where `file` writes `draft_id`'s body: `out` (a folder gets `<id>.md`) or the data folder."""
    if out is None:
        return database.parent / ISSUES_FOLDER / f"{draft_id}.md"
    if out.is_dir():
        return out / f"{draft_id}.md"
    return out


def write_body(template: Template, draft: Draft, path: Path) -> BodyFile:
    """Write the body filing would send; LocalFileError (one line) when it can't be."""
    issue = render_issue(template, as_filed(draft))
    if path.exists() and marker(draft.id) not in _read(path):
        raise LocalFileError(
            f"{path} exists and isn't this draft's issue; choose another path with `--out`"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(issue.body.rstrip() + "\n", encoding="utf-8")
    except OSError as exc:
        raise LocalFileError(f"cannot write {path} ({exc.strerror})") from exc
    return BodyFile(path=path, title=issue.title, labels=issue.labels)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise LocalFileError(f"cannot read {path} ({exc.strerror})") from exc
