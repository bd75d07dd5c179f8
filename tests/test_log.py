"""One JSON formatter for every line: ours, the libraries', warnings; the correlation id
bound once per request reaches listener threads."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from bot.log import (
    ContextExecutor,
    bind_correlation,
    configure_logging,
    get_logger,
)

FIELDS = {"event", "level", "logger", "timestamp"}


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """Logging configured onto a buffer, restored afterwards."""
    buffer = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(stream=buffer)
    try:
        yield buffer
    finally:
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()
        logging.captureWarnings(False)
        root.handlers[:], root.level = handlers, level


def entries(buffer: io.StringIO) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in buffer.getvalue().splitlines()]
    for entry in parsed:
        assert entry.keys() >= FIELDS, entry
    return parsed


def test_library_records_and_warnings_are_json_with_the_same_fields(lines: io.StringIO) -> None:
    """A Bolt-style stdlib record with arguments, a traceback and a warning are JSON lines."""
    get_logger().info("server.started", port=3000)
    logging.getLogger("slack_bolt.App").warning("Unhandled request (%s)", {"type": None})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("gunicorn.error").exception("Exception in worker")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        # pytest records each test's warnings itself: hand them back to logging, as in `serve`.
        logging.captureWarnings(False)
        logging.captureWarnings(True)
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    found = entries(lines)
    assert [e["logger"] for e in found] == [
        "milestone-bot",
        "slack_bolt.App",
        "gunicorn.error",
        "py.warnings",
    ]
    assert found[1]["event"] == "Unhandled request ({'type': None})"
    assert "ValueError: boom" in found[2]["exception"]
    assert "old API" in found[3]["event"]


def test_info_from_libraries_stays_out_and_ours_stays_in(lines: io.StringIO) -> None:
    """Libraries speak from WARNING up; the bot's own events from INFO."""
    logging.getLogger("slack_sdk.web.base_client").info("Sending a request")
    get_logger().info("http.request", status=200)
    assert [e["event"] for e in entries(lines)] == ["http.request"]


def test_the_correlation_id_reaches_listener_threads(lines: io.StringIO) -> None:
    """Bound once in the request's thread, it is on a line logged by a pooled listener."""
    bind_correlation("Ev0ABC")
    with ContextExecutor(max_workers=1) as pool:
        pool.submit(lambda: get_logger().info("answer.recorded")).result()
        bind_correlation("Ev0NEXT")
        pool.submit(lambda: logging.getLogger("slack_bolt.App").warning("late")).result()
    found = entries(lines)
    assert [e.get("correlation_id") for e in found] == ["Ev0ABC", "Ev0NEXT"]


def test_a_new_request_starts_a_clean_context(lines: io.StringIO) -> None:
    """A thread reused for the next request does not carry the last one's id."""
    bind_correlation("Ev0OLD")
    bind_correlation(None)
    get_logger().info("http.request")
    assert "correlation_id" not in entries(lines)[0]
