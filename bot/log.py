"""Structured JSON logs: one line per inbound request or outbound effect.

Configured once by the entry point (`configure_logging`); modules take a logger with
`get_logger()`. Secrets never reach a log line: settings hold them as SecretStr, and
`redact` scrubs the known ones from any string that might echo them (exception texts).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import Any

import structlog

_SECRETS: list[str] = []


def register_secrets(values: Iterable[str]) -> None:
    """Remember secret values so that `redact` and every log line scrub them."""
    for value in values:
        if value and len(value) >= 6 and value not in _SECRETS:
            _SECRETS.append(value)


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def _scrub(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def configure_logging(
    level: str = "INFO", stream: Any = None, *, observers: Iterable[Any] = ()
) -> None:
    """JSON lines on stderr (or `stream`); `observers` are processors that see each event
    (the metrics counter) before it is rendered."""
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        *observers,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        _scrub,
        structlog.processors.JSONRenderer(),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(lambda record: setattr(record, "msg", redact(str(record.msg))) or True)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def get_logger(**bound: Any) -> Any:
    """A lazy logger: safe at import time, it takes the configuration in force when it logs."""
    # bind() on structlog's lazy proxy would freeze the configuration of that moment.
    return structlog.get_logger("milestone-bot", **bound)
