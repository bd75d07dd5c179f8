"""Prometheus metrics: every log event counted by name and outcome, request latency, and the
time each Slack Web API call took.

The counters and the Slack calls' histogram come from the log stream itself (a structlog
processor), so a metric can never drift from the event it counts, and an event only counted
(`bot.log.COUNT_ONLY`) is still counted. One registry per process, built by `Metrics()`; the
web app exposes it at GET /metrics.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Buckets around Slack's 3-second ack deadline.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
# The events that time an outbound Slack Web API call, in `duration_ms`, by `method`.
SLACK_CALL_EVENTS = frozenset({"slack.call", "slack.call_failed"})


def outcome_of(level: str, event_dict: dict[str, Any]) -> str:
    """ok, refused or failed: a refusal or failure always carries a `reason`."""
    if level in ("error", "critical", "exception"):
        return "failed"
    if "reason" in event_dict:
        return "failed" if level == "warning" else "refused"
    return "ok"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "milestone_bot_events",
            "Log events by name and outcome.",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "milestone_bot_request_seconds",
            "Time to answer an inbound HTTP request (for Slack: the ack).",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.slack_call_seconds = Histogram(
            "milestone_bot_slack_call_seconds",
            "Time a Slack Web API call took, answered or failed.",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # Each (event, outcome)'s counter, as `labels()` returns it: looking it up again
        # validates and locks on every line. The events are the code's own names.
        self._counters: dict[tuple[str, str], Any] = {}
        self._timers: dict[str, Any] = {}
        self._calls: dict[str, Any] = {}

    def processor(self, _: Any, method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        """A structlog processor counting each event; it changes nothing in the line."""
        name = event_dict.get("event")
        if isinstance(name, str) and "." in name:
            key = (name, outcome_of(method, event_dict))
            counter = self._counters.get(key)
            if counter is None:
                counter = self._counters[key] = self.events.labels(*key)
            counter.inc()
            if name in SLACK_CALL_EVENTS:
                self._slack_call(event_dict)
        return event_dict

    def _slack_call(self, event_dict: dict[str, Any]) -> None:
        method, duration_ms = event_dict.get("method"), event_dict.get("duration_ms")
        if not isinstance(method, str) or not isinstance(duration_ms, int | float):
            return
        timer = self._calls.get(method)
        if timer is None:
            timer = self._calls[method] = self.slack_call_seconds.labels(method)
        timer.observe(duration_ms / 1000)

    def request_time(self, route: str) -> Any:
        """The request histogram's child for `route` (a route of the app, never a raw path)."""
        timer = self._timers.get(route)
        if timer is None:
            timer = self._timers[route] = self.request_seconds.labels(route)
        return timer

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
