"""One JSON shape for every line: ours, the libraries', warnings; the correlation id bound
once per request reaches listener threads; our own lines, written without stdlib logging,
keep its guarantees (keys, tracebacks, redaction, levels, observers, whole lines)."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import warnings
from typing import Any

import pytest
import structlog
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient

from bot.log import (
    LEVEL_TESTED,
    LOGGER_NAME,
    ContextExecutor,
    bind_correlation,
    configure_logging,
    get_logger,
    register_secrets,
)
from bot.runtime.metrics import Metrics

FIELDS = {"event", "level", "logger", "timestamp"}


@pytest.fixture
def lines(restored: None) -> io.StringIO:
    """Logging configured onto a buffer, restored afterwards."""
    buffer = io.StringIO()
    configure_logging(stream=buffer)
    return buffer


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


def test_slack_clients_do_not_build_debug_messages_no_one_reads(lines: io.StringIO) -> None:
    """slack_sdk asks `logger.level <= DEBUG` of its own logger, not the effective level: left
    NOTSET it formats each call's body and headers for nothing. Set, its warnings still pass."""
    web_client = WebClient(token="xoxb-test")
    socket_client = SocketModeClient(app_token="xapp-test", web_client=web_client)
    for logger in (web_client.logger, socket_client.logger):
        assert logger.name in LEVEL_TESTED
        assert logger.level == logging.WARNING
    web_client.logger.warning("Rate limited")
    assert [e["event"] for e in entries(lines)] == ["Rate limited"]


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


def test_our_line_has_the_same_keys_in_the_same_order_as_a_stdlib_record_had(
    lines: io.StringIO,
) -> None:
    """The event's keys, then `event`, the bound context, `level`, `logger`, a UTC timestamp."""
    bind_correlation("Ev0KEYS")
    get_logger().info("answer.recorded", draft_id="d-1", question_id="q_impact", kind="text")
    logging.getLogger("slack_bolt.App").warning("late")
    ours, library = entries(lines)
    assert list(ours) == [
        "draft_id",
        "question_id",
        "kind",
        "event",
        "correlation_id",
        "level",
        "logger",
        "timestamp",
    ]
    assert ours["event"] == "answer.recorded" and ours["level"] == "info"
    assert ours["logger"] == LOGGER_NAME
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z", ours["timestamp"])
    assert list(library) == ["event", "correlation_id", "level", "logger", "timestamp"]
    assert library["logger"] == "slack_bolt.App" and library["correlation_id"] == "Ev0KEYS"


def test_a_traceback_is_formatted_and_its_secrets_redacted(lines: io.StringIO) -> None:
    """`log.exception` and `exc_info=error` give the traceback as text, the secret scrubbed."""
    secret = "xoxb-test-secret-0123456789"
    register_secrets([secret])
    try:
        raise RuntimeError(f"token {secret} refused")
    except RuntimeError as error:
        get_logger().exception("listener.failed", user="U1")
        caught = error
    get_logger().error("listener.failed", error="RuntimeError", exc_info=caught)
    assert secret not in lines.getvalue()
    found = entries(lines)
    assert [e["level"] for e in found] == ["error", "error"]
    for entry in found:
        assert entry["exception"].startswith("Traceback (most recent call last):")
        assert "RuntimeError: token [redacted] refused" in entry["exception"]


def test_a_logger_taken_at_import_writes_to_the_newest_stream(restored: None) -> None:
    """A module-level logger, taken before any configuration, follows each reconfiguration."""
    log = get_logger()  # as modules do at import time, before the entry point configures
    first, second = io.StringIO(), io.StringIO()
    configure_logging(stream=first)
    log.info("server.started")
    configure_logging(stream=second)
    log.info("http.request")
    logging.getLogger("gunicorn.error").warning("Worker exiting")
    assert [e["event"] for e in entries(first)] == ["server.started"]
    assert [e["event"] for e in entries(second)] == ["http.request", "Worker exiting"]


def test_a_logger_kept_between_lines_follows_capture_logs_and_back(restored: None) -> None:
    """The logger keeps what it assembled between lines, yet a test's `capture_logs`, which
    edits the processor list in place, and the configuration after it are both followed."""
    log, with_values = get_logger(), get_logger(component="sweep")
    stream = io.StringIO()
    configure_logging(stream=stream)
    log.info("server.started")
    with structlog.testing.capture_logs() as captured:
        log.info("answer.recorded", draft_id="ms-1")
        with_values.info("sweep.finished")
    log.info("http.request")
    with_values.info("sweep.finished")
    assert [(e["event"], e.get("component")) for e in captured] == [
        ("answer.recorded", None),
        ("sweep.finished", "sweep"),
    ]
    assert [(e["event"], e.get("component")) for e in entries(stream)] == [
        ("server.started", None),
        ("http.request", None),
        ("sweep.finished", "sweep"),
    ]


def test_observers_see_each_of_our_events_and_count_them(restored: None) -> None:
    """The metrics processor sees every event of ours that passes the level, with its context."""
    metrics = Metrics()
    seen: list[tuple[str, str, str | None]] = []

    def observer(_: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        seen.append((method, event_dict["event"], event_dict.get("correlation_id")))
        return event_dict

    configure_logging(stream=io.StringIO(), observers=[observer, metrics.processor])
    bind_correlation("Ev0OBS")
    get_logger().info("answer.recorded")
    get_logger().info("answer.rejected", reason="no such option")
    get_logger().debug("answer.parsed")  # below INFO: neither written nor counted
    logging.getLogger("slack_bolt.App").warning("library records are not events")
    assert seen == [("info", "answer.recorded", "Ev0OBS"), ("info", "answer.rejected", "Ev0OBS")]
    counted = {
        (sample.labels["event"], sample.labels["outcome"]): sample.value
        for family in metrics.registry.collect()
        for sample in family.samples
        if sample.name == "milestone_bot_events_total"
    }
    assert counted[("answer.recorded", "ok")] == counted[("answer.rejected", "refused")] == 1


def test_our_level_filters_ours_and_warning_filters_the_libraries(restored: None) -> None:
    """At WARNING our info is dropped and our warning kept; libraries stay at WARNING."""
    buffer = io.StringIO()
    configure_logging("WARNING", stream=buffer)
    get_logger().info("http.request")
    get_logger().warning("storage.ephemeral", path="/tmp/x.db")
    logging.getLogger("slack_sdk").info("Sending a request")
    logging.getLogger("slack_sdk").warning("Rate limited")
    assert [e["event"] for e in entries(buffer)] == ["storage.ephemeral", "Rate limited"]


class _Halting(io.StringIO):
    """A stream whose every write lets other threads run halfway, as a pipe's may."""

    def write(self, text: str) -> int:
        half = len(text) // 2
        super().write(text[:half])
        time.sleep(0)  # releases the GIL: an unlocked writer would interleave here
        return half + super().write(text[half:])


def test_lines_from_many_threads_never_interleave(restored: None) -> None:
    """Our lines and library lines written at once from many threads each stay whole."""
    stream = _Halting()
    configure_logging(stream=stream)

    def speak(n: int) -> None:
        for i in range(60):
            get_logger().info("answer.recorded", thread=n, i=i, text="x" * 300)
            logging.getLogger("slack_bolt.App").warning("busy %s %s %s", n, i, "y" * 300)

    threads = [threading.Thread(target=speak, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = entries(stream)
    assert len(found) == 8 * 60 * 2
    assert sum(e["event"] == "answer.recorded" for e in found) == 8 * 60


def test_a_broken_stream_is_reported_never_raised_at_the_caller(
    restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Writing to a closed stream fails as the standard library's handler fails: on stderr."""
    stream = io.StringIO()
    configure_logging(stream=stream)
    stream.close()
    get_logger().info("http.request")
    logging.getLogger("slack_bolt.App").warning("late")
    assert capsys.readouterr().err.count("--- Logging error ---") == 2


def test_with_the_root_handlers_replaced_our_lines_go_through_stdlib(restored: None) -> None:
    """Once someone else's handlers are on the root, our finished lines reach them as records."""
    configure_logging(stream=io.StringIO())
    records: list[logging.LogRecord] = []
    collector = logging.Handler()
    collector.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().handlers[:] = [collector]
    get_logger().warning("storage.ephemeral", path="/tmp/x.db")
    assert [r.name for r in records] == [LOGGER_NAME]
    assert json.loads(records[0].getMessage())["event"] == "storage.ephemeral"
