"""Template versions drafts started with, kept by git blob sha (content-addressed).

A draft records the sha of its template version (`Draft.template_sha`); the text is kept
here once per sha, so the draft renders exactly as it started however the repository's file
changes later, and after a restart. A draft without a sha (stored before repositories had
templates of their own) uses the bundled or configured template.
"""

from __future__ import annotations

from typing import Any

from bot.storage.database import Transaction, iso, select_row, select_rows
from flows.template_version import TemplateVersion


class TemplateVersions:
    """The `template_versions` table, inside one unit of work."""

    def __init__(self, tx: Transaction) -> None:
        self._db = tx.db
        self._now = tx.now

    def keep(self, version: TemplateVersion) -> None:
        """Store `version` unless it is stored already (the text of a sha never changes)."""
        self._db.execute(
            "INSERT INTO template_versions (sha, repository, path, content, first_used_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha, repository) DO NOTHING",
            [
                version.sha,
                version.repository or "",
                version.path,
                version.content,
                iso(self._now),
            ],
        )

    def all(self) -> list[TemplateVersion]:
        """Every version kept, oldest first."""
        rows = select_rows(self._db, "SELECT * FROM template_versions ORDER BY first_used_at, sha")
        return [_version(row) for row in rows]

    def get(self, sha: str, repository: str | None = None) -> TemplateVersion | None:
        """The version with `sha` as `repository` keeps it (None: the bundled or configured)."""
        row = select_row(
            self._db,
            "SELECT * FROM template_versions WHERE sha = ? AND repository = ? COLLATE NOCASE",
            [sha, repository or ""],
        )
        return _version(row) if row else None


def _version(row: dict[str, Any]) -> TemplateVersion:
    return TemplateVersion(
        content=row["content"],
        path=row["path"],
        repository=row["repository"] or None,
        sha=row["sha"],
    )
