"""The emulator's repository contents and `push` webhooks: what a template source reads.

`GET /repos/{owner}/{repo}/contents/{path}?ref=` answers as GitHub's "Get repository content"
does (docs.github.com/rest/repos/contents): a file is an object with `type: "file"`,
`encoding: "base64"`, the content in base64 broken into 60-character lines (as GitHub's Ruby
encoder writes it), the blob `sha`, `size`, and its URLs; a directory is an array of entries
without content; a missing path or ref, or a repository the caller can't see, is 404; an App
installation without the `contents` permission gets 403 "Resource not accessible by
integration". The emulator's conditional-request step adds the ETag, and an If-None-Match
with it gets 304 (not counted against the rate limit), as on GitHub.

`push(emulator, repo, changed={...}, removed=[...])` changes the default branch's files and
returns a `push` event payload with the shape of octokit/webhooks' push example
(../shared/payloads/github/push/payload.json): ref, before, after, commits with
added/removed/modified, head_commit, the repository (with `master_branch`, `stargazers` and
integer timestamps, as push payloads carry), pusher and sender. Importing this module adds
the route to the emulator's table (github_api.py imports it at its end).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from tests.emulators import github_api as api

DOC_CONTENTS = f"{api.DOCS}/repos/contents#get-repository-content"
ZERO_SHA = "0" * 40


def _base64_lines(content: bytes) -> str:
    encoded = base64.b64encode(content).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def _entry_json(
    em: api.GitHubEmulator, repo: api.Repository, path: str, urls: api._Urls, ref: str
) -> dict[str, Any]:
    content = repo.files.get(path)
    is_file = content is not None
    sha = api.git_blob_sha(content) if content is not None else _tree_sha(repo, path)
    repo_api = f"{urls.api}/repos/{quote(repo.owner)}/{quote(repo.name)}"
    quoted = quote(path)
    self_url = f"{repo_api}/contents/{quoted}?ref={quote(ref, safe='')}"
    kind = "blob" if is_file else "tree"
    git_url = f"{repo_api}/git/{kind}s/{sha}"
    html_url = f"{urls.web}/{repo.full_name}/{kind}/{quote(ref, safe='')}/{quoted}"
    return {
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "size": len(content) if content is not None else 0,
        "url": self_url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": f"{urls.web}/{repo.full_name}/raw/{quote(ref, safe='')}/{quoted}"
        if is_file
        else None,
        "type": "file" if is_file else "dir",
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def _tree_sha(repo: api.Repository, directory: str) -> str:
    root = api._build_git_tree(repo.files)
    for path, entry in api._walk_tree(root):
        if path == directory and entry.subtree is not None:
            return entry.subtree.sha
    return root.sha


def get_contents(em: api.GitHubEmulator, ctx: api._Ctx, owner: str, repo: str, path: str) -> Any:
    record = em._visible_repo(ctx, owner, repo, DOC_CONTENTS)
    identity = ctx.identity
    if identity is not None and identity.kind == "installation":
        installation = em._installations.get(identity.installation_id or 0)
        app = em._apps.get(installation.app_id) if installation else None
        if app is None or app.permissions.get("contents") not in ("read", "write"):
            raise api._ApiError(403, "Resource not accessible by integration", DOC_CONTENTS)
    ref = ctx.param("ref") or record.default_branch
    if ref.removeprefix("refs/heads/") not in (record.default_branch, "HEAD"):
        raise api._ApiError(404, f"No commit found for the ref {ref}", DOC_CONTENTS)
    if not record.files:
        raise api._ApiError(404, "This repository is empty.", DOC_CONTENTS)
    path = path.strip("/")
    content = record.files.get(path)
    if content is not None:
        body = _entry_json(em, record, path, ctx.urls, ref)
        body["content"] = _base64_lines(content)
        body["encoding"] = "base64"
        return api._Reply(200, body)
    prefix = f"{path}/" if path else ""
    children = sorted(
        {p[len(prefix) :].split("/", 1)[0] for p in record.files if p.startswith(prefix)}
    )
    if not children:
        raise api._not_found(DOC_CONTENTS)
    entries = [_entry_json(em, record, f"{prefix}{name}", ctx.urls, ref) for name in children]
    return api._Reply(200, entries)


def push(
    em: api.GitHubEmulator,
    repo: str,
    *,
    changed: Mapping[str, str | bytes] | None = None,
    removed: Iterable[str] = (),
    pusher: str | None = None,
    message: str = "Update files",
    ref: str | None = None,
) -> dict[str, Any]:
    """Commit `changed` and `removed` to the default branch (or, with `ref`, a branch the
    emulator doesn't serve) and return the `push` event GitHub would deliver."""
    record = em.repo(repo)
    changed = {
        p.strip("/"): c.encode() if isinstance(c, str) else bytes(c)
        for p, c in (changed or {}).items()
    }
    gone = [p.strip("/") for p in removed]
    before_files = dict(record.files)
    branch = ref or record.default_branch
    if branch == record.default_branch:
        files = {p: c for p, c in before_files.items() if p not in gone}
        files.update(changed)
        em.set_files(repo, files)
    before = _commit_sha(before_files)
    after = _commit_sha(em.repo(repo).files if branch == record.default_branch else changed)
    who = pusher or record.owner
    account = em.account_json(who)
    urls = em._own_urls()
    web = f"{urls.web}/{record.full_name}"
    added = sorted(p for p in changed if p not in before_files)
    modified = sorted(p for p in changed if p in before_files)
    author = {"name": who, "email": f"{who}@users.noreply.github.com", "username": who}
    stamp = api._iso(em.clock())
    commit = {
        "id": after,
        "tree_id": hashlib.sha1(f"tree:{after}".encode()).hexdigest(),
        "distinct": True,
        "message": message,
        "timestamp": stamp,
        "url": f"{web}/commit/{after}",
        "author": author,
        "committer": author,
        "added": added,
        "removed": sorted(gone),
        "modified": modified,
    }
    repository = em.repo_json(repo)
    repository.pop("permissions", None)
    created = int(record.created_at.timestamp())
    repository.update(
        {
            "created_at": created,
            "pushed_at": int(em.clock().timestamp()),
            "stargazers": 0,
            "master_branch": record.default_branch,
        }
    )
    payload: dict[str, Any] = {
        "ref": f"refs/heads/{branch}",
        "before": before,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"{web}/compare/{before[:12]}...{after[:12]}",
        "commits": [commit],
        "head_commit": commit,
        "repository": repository,
        "pusher": {"name": who, "email": author["email"]},
        "sender": account,
    }
    installation = em.installation_for(repo)
    if installation is not None:
        payload["installation"] = {
            "id": installation.id,
            "node_id": api.node_id("IntegrationInstallation", installation.id),
        }
    return payload


def _commit_sha(files: Mapping[str, bytes]) -> str:
    if not files:
        return ZERO_SHA
    return hashlib.sha1(b"commit " + api._build_git_tree(files).sha.encode()).hexdigest()


ROUTES = [
    ("GET", api.re.compile(api._REPO + r"/contents/(?P<path>.*)"), get_contents, "token"),
]


def register() -> None:
    """Add the route to the emulator's table (once)."""
    if not any(route[2] is get_contents for route in api._ROUTES):
        api._ROUTES.extend(ROUTES)  # type: ignore[arg-type]


register()
