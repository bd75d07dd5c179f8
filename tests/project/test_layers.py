"""The layers in pyproject.toml hold, and a wrong-way import breaks them.

`lint-imports` checks imports (pyproject.toml, `[tool.importlinter]`); reading the clock is a
call, not an import, so the core's clock rule is checked here on the syntax tree.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(root)},
        timeout=120,
    )


def copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copy(ROOT / "pyproject.toml", root)
    for package in ("bot", "flows"):
        shutil.copytree(
            ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return root


def test_contracts_are_kept() -> None:
    """Every contract in pyproject.toml is kept by the code as it is."""
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "planted"),
    [
        ("flows/render.py", "import bot.storage.store"),  # the core reaching into bot
        ("flows/parse.py", "import sqlite3"),  # the core touching a database
        ("bot/storage/store.py", "import bot.slack.poster"),  # storage reaching up
        ("bot/slack/text.py", "import bot.github.client"),  # Slack importing GitHub
        ("bot/github/issues.py", "from slack_sdk import WebClient"),  # GitHub importing Slack
        ("bot/slack/poster.py", "import bot.reminders.digests"),  # a platform reaching up
    ],
)
def test_planted_reverse_import_fails(tmp_path: Path, module: str, planted: str) -> None:
    """A wrong-way import planted in a copy of the code makes lint-imports fail."""
    root = copy_project(tmp_path)
    target = root / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{planted}  # noqa\n")
    result = lint_imports(root)
    assert result.returncode != 0, result.stdout


def clock_reads(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename=name)):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
            found.append(f"{name}:{node.lineno}: reads the clock ({func.attr}())")
    return found


@pytest.mark.parametrize(
    "path", sorted((ROOT / "flows").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_core_reads_no_clock(path: Path) -> None:
    """No module in flows/ reads the clock: the engine is handed `now`."""
    assert clock_reads(path.read_text(encoding="utf-8"), path.name) == []


def test_clock_check_catches_a_clock_read() -> None:
    """The clock check flags `datetime.now()`, so a clean result means something."""
    assert clock_reads("from datetime import datetime\nx = datetime.now()", "x.py")
