"""The template and flow each draft uses: the version it started with, else the default.

A draft records its template's blob sha (and repository) when it starts; its questions,
preview, issue body and gates come from that version for as long as it lives, whatever the
repository's file becomes. A draft without one (stored before repositories had templates of
their own) uses the bundled or configured template, as it always did. Flows are built once
per version and kept.

Lookups take the caller's unit of work when there is one (`s`): a unit of work can't be
opened inside another on the same thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.errors import UnknownDraft
from bot.log import get_logger
from flows.draft import Draft, DraftStatus
from flows.errors import TemplateError
from flows.questions import Flow, build_flow
from flows.template import Template
from flows.template_version import TemplateVersion
from flows.tracking import TrackedIssue

if TYPE_CHECKING:
    from bot.storage.store import Session, Store

log = get_logger()


class DraftTemplates:
    """Per-draft templates and flows; safe to share between threads."""

    def __init__(self, store: Store, default: Flow, *, ask_assignee: bool) -> None:
        self.store = store
        self.default = default
        self.ask_assignee = ask_assignee
        self._lock = threading.Lock()
        self._flows: dict[tuple[str, str], Flow] = {}
        self._versions: dict[tuple[str, str], TemplateVersion] = {}
        # Filed drafts never change template: each tracked issue's draft is read once.
        self._by_draft: dict[str, Draft] = {}

    @property
    def default_template(self) -> Template:
        return self.default.template

    def remember(self, version: TemplateVersion) -> Flow:
        """The flow of `version` (built now if new); TemplateError if it can't serve."""
        key = (version.sha, (version.repository or "").lower())
        with self._lock:
            known = self._flows.get(key)
        if known is not None:
            return known
        flow = build_flow(version.template(), ask_assignee=self.ask_assignee)
        with self._lock:
            self._flows[key] = flow
            self._versions[key] = version
        return flow

    def version_for(self, draft: Draft, s: Session | None = None) -> TemplateVersion | None:
        """The version `draft` started with; None for a draft from before versions were kept."""
        if not draft.template_sha:
            return None
        # A repository without a usable template of its own drafts with the bundled version,
        # kept without a repository.
        keys = ((draft.template_sha, draft.repository.lower()), (draft.template_sha, ""))
        known = self._known(keys)
        if known is not None:
            return known
        # Every version kept so far is read at once: there are few, and a later lookup then
        # never needs a unit of work (speaking and rendering may happen inside one).
        if s is not None:
            self._load_all(s)
        else:
            with self.store.session(readonly=True) as own:
                self._load_all(own)
        version = self._known(keys)
        if version is None:
            # Never expected: the version is kept in the unit of work that starts the draft.
            log.warning("template.version_missing", draft_id=draft.id, sha=draft.template_sha)
            return None
        return version

    def _known(self, keys: tuple[tuple[str, str], ...]) -> TemplateVersion | None:
        with self._lock:
            return next((self._versions[k] for k in keys if k in self._versions), None)

    def _load_all(self, s: Session) -> None:
        found = {(v.sha, (v.repository or "").lower()): v for v in s.templates.all()}
        with self._lock:
            for key, version in found.items():
                self._versions.setdefault(key, version)

    def flow_for(self, draft: Draft, s: Session | None = None) -> Flow:
        """The flow `draft` is asked with."""
        version = self.version_for(draft, s)
        if version is None:
            return self.default
        try:
            return self.remember(version)
        except TemplateError:
            return self.default

    def template_for(self, draft: Draft, s: Session | None = None) -> Template:
        """The template `draft` renders with."""
        return self.flow_for(draft, s).template

    def template_of_draft(self, draft_id: str, s: Session | None = None) -> Template:
        """The template of the draft `draft_id` (the default one for a draft not stored)."""
        with self._lock:
            draft = self._by_draft.get(draft_id)
        if draft is None:
            try:
                if s is not None:
                    draft = s.drafts.get(draft_id)
                else:
                    with self.store.session(readonly=True) as own:
                        draft = own.drafts.get(draft_id)
            except UnknownDraft:
                return self.default.template
            if draft.status is DraftStatus.FILED:
                with self._lock:
                    self._by_draft[draft_id] = draft
        return self.template_for(draft, s)

    def issue_templates(self, s: Session | None = None) -> Callable[[TrackedIssue], Template]:
        """Each tracked issue's own template (flows.tracking.TemplateOf), read in `s` when
        given (then only while it lasts), else each in a unit of work of its own."""
        return lambda issue: self.template_of_draft(issue.draft_id, s)
