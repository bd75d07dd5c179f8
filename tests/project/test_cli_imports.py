"""The command line loads only what a command needs (issue 12).

`gates`, `show`, `drafts` and `--help` run in CI and in a terminal: each runs here as a
subprocess and must not have imported Slack, GitHub, Flask or gunicorn by the time it exits.
The terminal commands resolve their two paths without pydantic-settings (`light_paths`),
so that resolution is held to PathSettings' answers. Within the storage layer and the pure
core too, a command loads only what it uses: `drafts` neither the Markdown parser nor the
tracking and evidence rules nor sqlite-utils (a database at this schema version is read
without it), `gates` no SQLite; the draft models are built on first use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.runtime.cli import DEFAULT_PATH, light_paths
from bot.settings import load_paths
from bot.storage import database

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("slack_bolt", "slack_sdk", "github", "flask", "gunicorn")
# What each command has no use for, beyond HEAVY (a package or a module, with its children).
UNUSED = {
    "drafts": (
        "markdown_it",
        "flows.template",
        "flows.tracking",
        "flows.evidence",
        "sqlite_utils",
    ),
    "gates": ("sqlite3", "sqlite_utils", "bot.storage.store"),
}

# Runs the command line in-process, then prints which of WATCHED are loaded, even after the
# command's SystemExit (argparse's --help, an exit code).
PROBE = """
import json, sys
from bot.runtime.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
watched = json.loads(WATCHED)
loaded = sorted(w for w in watched if any(m == w or m.startswith(w + ".") for m in sys.modules))
print("LOADED=" + json.dumps(loaded), file=sys.stderr)
"""

BODY = """## Acceptance Criteria

- [ ] Replays of the reconciler's journal match the venue's fills.
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a database holding one draft and an issue body."""
    from bot.storage.store import Store
    from flows.draft import Draft

    folder = tmp_path_factory.mktemp("cli-imports")
    store = Store(folder / "milestones.db")
    with store.session() as s:
        draft = Draft(id=s.drafts.new_id(), author="U012AB3CD", title="Bound retries")
        s.drafts.create(draft, location=None, actor="U012AB3CD", source="test", correlation_id="")
    (folder / "issue.md").write_text(BODY, encoding="utf-8")
    return folder


def _draft_id(folder: Path) -> str:
    from bot.storage.store import Store

    with Store(folder / "milestones.db").session(readonly=True) as s:
        return s.drafts.summaries(None, include_closed=True)[0].id


def _loaded(folder: Path, *args: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "GITHUB_", "DATABASE_", "TEMPLATE_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    code = PROBE.replace("WATCHED", repr(json.dumps(watched)))
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", str(folder / "milestones.db"), *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next(
        (x for x in done.stderr.splitlines() if x.startswith("LOADED=")),
        None,
    )
    assert line is not None, done.stderr
    return list(json.loads(line.removeprefix("LOADED=")))


@pytest.mark.parametrize(
    "args",
    [("--help",), ("gates", "issue.md"), ("drafts",), ("drafts", "--all"), ("show", "DRAFT")],
)
def test_terminal_commands_load_no_slack_github_or_web_stack(
    workdir: Path, args: tuple[str, ...]
) -> None:
    """Each terminal command exits without having imported slack_bolt, slack_sdk, github,
    flask or gunicorn."""
    args = tuple(_draft_id(workdir) if a == "DRAFT" else a for a in args)
    assert _loaded(workdir, *args) == []


@pytest.mark.parametrize(
    "args", [("drafts",), ("drafts", "--all"), ("gates", "issue.md")], ids=" ".join
)
def test_commands_load_only_the_parts_they_use(workdir: Path, args: tuple[str, ...]) -> None:
    """`drafts` loads neither the Markdown parser nor the template, tracking or evidence
    rules; `gates` loads no SQLite."""
    assert _loaded(workdir, *args, watched=UNUSED[args[0]]) == []


def test_the_draft_models_build_on_first_use_once_for_all_threads(workdir: Path) -> None:
    """The draft models are not built by `drafts`; built on first use by eight threads at
    once (as the server's listener pool may), every thread gets the same validated draft."""
    code = """
import json, sys, threading
from bot.runtime.cli import main
main(sys.argv[1:])
from flows.draft import Draft
unbuilt = not Draft.__pydantic_complete__
start, results = threading.Barrier(8), []

def first_use():
    start.wait()
    draft = Draft.model_validate({"id": "ms-7kq2vd", "gates": {"a": {"status": "checked"}}})
    results.append(draft.model_dump(mode="json"))

threads = [threading.Thread(target=first_use) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
same = len(results) == 8 and all(r == results[0] for r in results)
print("RESULT=" + json.dumps([unbuilt, same, results[0]["gates"]]), file=sys.stderr)
"""
    done = subprocess.run(
        [sys.executable, "-c", code, "--db", str(workdir / "milestones.db"), "drafts"],
        cwd=workdir,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    line = next((x for x in done.stderr.splitlines() if x.startswith("RESULT=")), None)
    assert line is not None, done.stderr
    assert json.loads(line.removeprefix("RESULT=")) == [
        True,
        True,
        {"a": {"status": "checked", "reason": ""}},
    ]


def test_the_probe_sees_a_heavy_import(workdir: Path) -> None:
    """The probe is not blind: `remind --dry-run` builds the sweep, which loads Slack's SDK."""
    loaded = _loaded(workdir, "remind", "--dry-run")
    assert "slack_sdk" in loaded or "github" in loaded


def test_the_written_out_default_is_the_stores() -> None:
    """The command line's default database path is the storage layer's."""
    assert DEFAULT_PATH == database.DEFAULT_PATH


@pytest.mark.parametrize(
    ("environment", "dotenv", "options"),
    [
        ({}, None, (None, None)),
        ({"DATABASE_PATH": "env.db"}, "DATABASE_PATH=dotenv.db\n", (None, None)),
        ({}, "DATABASE_PATH=dotenv.db\nTEMPLATE_PATH=t.md\n", (None, None)),
        ({"DATABASE_PATH": ""}, "DATABASE_PATH=dotenv.db\n", (None, None)),
        ({"database_path": "lower.db"}, None, (None, None)),
        ({"TEMPLATE_PATH": "env.md"}, "TEMPLATE_PATH=\n", (Path("opt.db"), None)),
        ({"DATABASE_PATH": "env.db"}, None, (Path("opt.db"), Path("opt.md"))),
        ({}, "export DATABASE_PATH='quoted db.db'\n# a comment\nOTHER=1\n", (None, None)),
    ],
)
def test_light_paths_answer_as_path_settings(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    environment: dict[str, str],
    dotenv: str | None,
    options: tuple[Path | None, Path | None],
) -> None:
    """The terminal commands' path resolution gives PathSettings' answer in each case of
    option, environment (any case, empty as unset) and `.env`."""
    for name in list(os.environ):
        if name.upper() in ("DATABASE_PATH", "TEMPLATE_PATH"):
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv, encoding="utf-8")
    db, template = options
    expected = load_paths(database_path=db, template_path=template)
    assert light_paths(db, template) == (expected.database_path, expected.template_path)
