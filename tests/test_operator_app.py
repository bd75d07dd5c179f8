"""The operator's routes as `socket` serves them (bot/runtime/server.py), over real HTTP: the
health check follows the connection to Slack, and each request's line is written only once
its answer has gone out."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
import structlog

from bot.runtime.metrics import Metrics
from bot.runtime.server import SLOW_REQUEST_SECONDS, create_operator_app, serve_in_background
from bot.storage.store import Store
from tests.e2e.harness import http_get


@pytest.fixture
def connection() -> threading.Event:
    """Whether the (pretend) Socket Mode connection is open; open to begin with."""
    up = threading.Event()
    up.set()
    return up


@pytest.fixture
def url(store: Store, connection: threading.Event) -> Iterator[str]:
    web = create_operator_app(store, Metrics(), connected=connection.is_set)
    server = serve_in_background(web, port=0, host="127.0.0.1")
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()


def test_healthz_follows_the_connection_to_slack(url: str, connection: threading.Event) -> None:
    status, body = http_get(url + "/healthz")
    assert (status, json.loads(body)) == (
        200,
        {"ok": True, "database": "ok", "socket": "connected"},
    )
    connection.clear()
    status, body = http_get(url + "/healthz")
    health = json.loads(body)
    assert status == 503 and health["ok"] is False and health["database"] == "ok"
    assert health["socket"].startswith("not connected")
    connection.set()
    assert http_get(url + "/healthz")[0] == 200


def test_a_requests_line_is_written_once_its_answer_is_closed(store: Store) -> None:
    """The line and the histogram wait for the response to be closed, which the server does
    after sending it: until then, nothing of the request is logged."""
    metrics = Metrics()
    client = create_operator_app(store, metrics, connected=lambda: True).test_client()
    with structlog.testing.capture_logs() as captured:
        response = client.get("/nowhere")
        assert response.status_code == 404
        assert [e for e in captured if e["event"] == "http.request"] == []
        response.close()
    [line] = [e for e in captured if e["event"] == "http.request"]
    assert (line["route"], line["status"], line["method"]) == ("unknown", 404, "GET")
    scraped = metrics.exposition()[0].decode()
    assert 'milestone_bot_request_seconds_count{route="unknown"} 1.0' in scraped


def test_a_request_answered_in_time_is_counted_not_logged(store: Store) -> None:
    """A health check that passes is a count in the histogram, not a line; one that fails
    has its line."""
    metrics = Metrics()
    healthy = True
    client = create_operator_app(store, metrics, connected=lambda: healthy).test_client()
    with structlog.testing.capture_logs() as captured:
        client.get("/healthz").close()
        healthy = False
        client.get("/healthz").close()
    lines = [e for e in captured if e["event"] == "http.request"]
    assert [(e["route"], e["status"]) for e in lines] == [("/healthz", 503)]
    scraped = metrics.exposition()[0].decode()
    assert 'milestone_bot_request_seconds_count{route="/healthz"} 2.0' in scraped


def test_a_slow_answer_keeps_its_line(store: Store) -> None:
    """An answer that took `SLOW_REQUEST_SECONDS` or more is logged even when it succeeded."""

    def slowly_up() -> bool:
        time.sleep(SLOW_REQUEST_SECONDS)
        return True

    client = create_operator_app(store, Metrics(), connected=slowly_up).test_client()
    with structlog.testing.capture_logs() as captured:
        client.get("/healthz").close()
    [line] = [e for e in captured if e["event"] == "http.request"]
    assert (line["route"], line["status"]) == ("/healthz", 200)
    assert line["duration_ms"] >= SLOW_REQUEST_SECONDS * 1000
