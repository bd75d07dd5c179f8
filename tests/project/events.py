"""The log event names the code emits, read from its source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def _names(node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _names(node.body) | _names(node.orelse)
    return set()


def _is_logging_call(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name in LOG_METHODS or "log" in name.lower()


def emitted_events(package: str = "bot") -> dict[str, list[str]]:
    """Event name -> the files that emit it: the first argument of every logging call."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args and _is_logging_call(node):
                for name in _names(node.args[0]):
                    if "." in name and " " not in name and name.islower():
                        found.setdefault(name, []).append(path.name)
    return found
