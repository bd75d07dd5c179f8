"""One version of an issue template: its text, where it came from, and git's blob sha for it.

A draft keeps the version it started with, so it renders exactly the same however the
repository's file changes later; the sha names the version (it is what GitHub's contents API
reports for the file, and what `git hash-object` gives for the bundled one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from flows.template import Template, parse_template


def blob_sha(text: str) -> str:
    """The SHA-1 git gives a blob holding `text` as UTF-8 (`git hash-object`)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@lru_cache(maxsize=64)
def _parsed(content: str, path: str) -> Template:
    return parse_template(content, path=path)


@dataclass(frozen=True)
class TemplateVersion:
    """A template's text and origin. `repository` None: the bundled file or TEMPLATE_PATH."""

    content: str
    path: str
    repository: str | None = None
    sha: str = field(default="")

    def __post_init__(self) -> None:
        if not self.sha:
            object.__setattr__(self, "sha", blob_sha(self.content))

    @property
    def from_repository(self) -> bool:
        return self.repository is not None

    @property
    def short_sha(self) -> str:
        return self.sha[:7]

    def template(self) -> Template:
        """The parsed template (TemplateError names what the flow misses in it)."""
        return _parsed(self.content, self.path)


def version_of(template: Template) -> TemplateVersion:
    """The version of a template loaded from a local file (bundled or TEMPLATE_PATH)."""
    return TemplateVersion(content=template.source, path=template.path)
