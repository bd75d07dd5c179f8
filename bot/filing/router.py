"""Filing each draft in its own repository, with its own template version.

`FilingRouter.file` reads the draft's repository (GITHUB_REPOSITORY for a draft without
one) and the template version it started with, and hands it to the FilingService for that
pair: one per repository and version, built on first use and kept, each with the
repository's own access (its App installation, when the bot is an App). Each FilingService
keeps its exactly-once guarantees; the router only chooses.
"""

from __future__ import annotations

import threading
from typing import Any

from bot.filing.once import FilingService
from bot.filing.outcome import FilingResult
from bot.github.client import GitHubAccess
from bot.storage.draft_templates import DraftTemplates
from bot.storage.store import Store


class FilingRouter:
    """The FilingService interface (`file`), routed by the draft's repository and template."""

    def __init__(
        self, store: Store, templates: DraftTemplates, access: GitHubAccess, **options: Any
    ) -> None:
        self.store = store
        self.templates = templates
        self.access = access
        self._options = options
        self._lock = threading.Lock()
        self._services: dict[tuple[str, str], FilingService] = {}

    @property
    def repository(self) -> str:
        return self.access.repository

    def service_for(self, draft_id: str) -> FilingService:
        with self.store.session(readonly=True) as s:
            draft = s.drafts.get(draft_id)
            template = self.templates.template_for(draft, s)
        repository = draft.repository or self.access.repository
        key = (repository.lower(), draft.template_sha)
        with self._lock:
            service = self._services.get(key)
            if service is None:
                access = self.access.for_repository(repository)
                service = FilingService(self.store, template, access, **self._options)
                self._services[key] = service
        return service

    def file(self, draft_id: str, **kwargs: Any) -> FilingResult:
        return self.service_for(draft_id).file(draft_id, **kwargs)
