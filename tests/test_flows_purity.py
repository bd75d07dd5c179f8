"""flows/ is the pure core: no Slack, GitHub, database, network or clock in any of its modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FLOWS = Path(__file__).resolve().parent.parent / "flows"

# Top-level packages the core must never import, and why in one word each.
BANNED = {
    "slack_bolt": "Slack",
    "slack_sdk": "Slack",
    "github": "GitHub",
    "sqlite_utils": "database",
    "sqlite3": "database",
    "requests": "network",
    "urllib": "network",
    "urllib3": "network",
    "httpx": "network",
    "socket": "network",
    "http": "network",
    "time": "clock",
}
# Calls that read the clock even through an allowed import (datetime is fine as a type).
CLOCK_CALLS = {"now", "utcnow", "today"}


def violations(source: str, name: str = "<module>") -> list[str]:
    """Every banned import or clock read in `source`, as `name:line: what`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=name)):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module]
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in CLOCK_CALLS:
                found.append(f"{name}:{node.lineno}: reads the clock ({func.attr}())")
            dynamic = isinstance(func, ast.Name) and func.id == "__import__"
            dynamic |= isinstance(func, ast.Attribute) and func.attr == "import_module"
            if dynamic and node.args and isinstance(node.args[0], ast.Constant):
                modules = [str(node.args[0].value)]
        for module in modules:
            top = module.split(".")[0]
            if top in BANNED:
                found.append(f"{name}:{node.lineno}: imports {module} ({BANNED[top]})")
    return found


def flows_modules() -> list[Path]:
    return sorted(FLOWS.rglob("*.py"))


def test_flows_has_modules() -> None:
    """The walk below sees the core's modules (a wrong path would make it pass vacuously)."""
    names = {p.name for p in flows_modules()}
    assert {"engine.py", "questions.py", "answers.py", "prompts.py", "draft.py"} <= names


@pytest.mark.parametrize("path", flows_modules(), ids=lambda p: p.name)
def test_flows_module_is_pure(path: Path) -> None:
    """No module in flows/ imports Slack, GitHub, a database, the network or reads the clock."""
    assert violations(path.read_text(encoding="utf-8"), path.name) == []


@pytest.mark.parametrize(
    "source",
    [
        "import slack_sdk",
        "from slack_bolt import App",
        "import github.Issue",
        "from sqlite_utils import Database",
        "import sqlite3",
        "import urllib.request",
        "from http.client import HTTPConnection",
        "import time",
        "def f():\n    import socket",
        "import importlib\nimportlib.import_module('requests')",
        "from datetime import datetime\nx = datetime.now()",
    ],
)
def test_checker_catches_impurity(source: str) -> None:
    """The checker itself flags each kind of impurity, so a clean result means something."""
    assert violations(source)


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import datetime",
        "import re",
        "from flows.draft import Draft",
        "from . import x",
    ],
)
def test_checker_allows_pure_imports(source: str) -> None:
    """Types, the standard library's pure parts and the core's own modules are allowed."""
    assert violations(source) == []
