"""Structured JSON logs: one line per outbound effect or noteworthy request, every line JSON.

Configured once by the entry point (`configure_logging`); modules take a logger with
`get_logger()`. Every line is one JSON object with `event`, `level`, `logger` and
`timestamp`, rendered by the same structlog processors: the standard library's records (Bolt,
slack_sdk, gunicorn, Python warnings) through `ProcessorFormatter` on the root handler, our
own events straight through structlog's chain to that handler's stream. Ours skip stdlib
logging (a frame walk for the caller, a `LogRecord`, the formatter's copy of it), which was
most of their cost; they are written under the handler's lock, so the two kinds of line
never interleave.

Secrets never reach a log line: settings hold them as SecretStr, and the rendered line itself
is scrubbed of every registered secret (so log arguments, exception texts and tracebacks are
covered, in the raw and in the JSON-escaped form). `redact` does the same for text that goes
elsewhere (a reason shown to the author).

The correlation id of the request being served (Slack's event id, GitHub's delivery id) is
bound once per request with `bind_correlation`; every line logged while serving it carries
it, in whatever thread the work runs (`ContextExecutor` carries it to listener threads).
"""

from __future__ import annotations

import contextvars
import datetime
import functools
import json
import logging
import operator
import sys
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from types import MappingProxyType
from typing import Any, TypeVar

import structlog
from structlog.stdlib import ProcessorFormatter

LOGGER_NAME = "milestone-bot"
# Loggers whose library asks for debug lines by the logger's own level (`logger.level <=
# DEBUG`), not the effective one. Left NOTSET, slack_sdk's Web API client writes each call's
# JSON body and response headers into a debug message that the root then drops: a repr of
# every Block Kit message posted, about 3% of an answer's instructions (bench/README.md).
# Set to the level the root passes, they log exactly what they did.
LEVEL_TESTED = ("slack_sdk.web.base_client", "slack_sdk.socket_mode.builtin.client")
_SECRETS: list[str] = []
R = TypeVar("R")


def register_secrets(values: Iterable[str]) -> None:
    """Remember secret values so that `redact` and every log line scrub them."""
    for value in values:
        if not value or len(value) < 6:
            continue
        # The JSON-escaped form is how a secret with quotes, backslashes, newlines or
        # non-ASCII appears inside a rendered line; each long line of a PEM key on its own is
        # how it appears in a traceback that quotes part of it.
        forms = [value, json.dumps(value)[1:-1]]
        forms += [line.strip() for line in value.splitlines() if len(line.strip()) >= 16]
        for form in forms:
            if form not in _SECRETS:
                _SECRETS.append(form)
    _SECRETS.sort(key=len, reverse=True)  # the whole secret before any of its parts


def redact(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return text


def _redact_line(_: Any, __: str, line: MutableMapping[str, Any] | str) -> str:
    """The last step of rendering: the finished JSON line, scrubbed of every secret."""
    return redact(line if isinstance(line, str) else json.dumps(line, default=str))


# The context of the request being served (`bind_correlation`), in one variable: structlog's
# own contextvars keep a variable per key and find them by walking the whole context, which
# holds the web framework's variables too, on every line.
_CONTEXT: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "milestone_bot_log_context", default=MappingProxyType({})
)
# What structlog's add_log_level writes for the methods that are not level names.
_LEVELS = {"warn": "warning", "exception": "error", "err": "error", "fatal": "critical"}


def _merge_context(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """The request's context on the line, under what the line says itself."""
    for key, value in _CONTEXT.get().items():
        event_dict.setdefault(key, value)
    return event_dict


def _stamp(logger: Any, method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """What structlog's add_log_level, add_logger_name and TimeStamper(fmt="iso", utc=True)
    write, in one step: level, logger and the time in UTC."""
    event_dict["level"] = _LEVELS.get(method, method)
    record = event_dict.get("_record")
    event_dict["logger"] = logger.name if record is None else record.name
    now = datetime.datetime.now(tz=datetime.UTC).isoformat()
    event_dict["timestamp"] = now.replace("+00:00", "Z")
    return event_dict


# The key an event carries (true) when it is only to be counted: the observers see it, no
# line is written. For what happens on every answer and is worth a line only when it goes
# wrong or slowly (a Slack call that succeeded in time).
COUNT_ONLY = "_count_only"


def _drop_counted(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """After the observers: an event marked `COUNT_ONLY` ends here, unrendered."""
    if event_dict.pop(COUNT_ONLY, False):
        raise structlog.DropEvent
    return event_dict


def _shared(observers: Iterable[Any] = ()) -> list[Any]:
    """What every line gets before rendering: the request's context, level, logger, time."""
    return [_merge_context, *observers, _drop_counted, _stamp]


@functools.cache
def _encoder(default: Callable[[Any], Any]) -> json.JSONEncoder:
    return json.JSONEncoder(default=default)


def _dumps(obj: Any, *, default: Callable[[Any], Any]) -> str:
    """`json.dumps(obj, default=default)`, the same text, its encoder built once, not per line."""
    return _encoder(default).encode(obj)


def _rendering() -> list[Any]:
    """The last steps of every line: a traceback as text, JSON, secrets scrubbed."""
    return [
        structlog.processors.format_exc_info,
        structlog.processors.JSONRenderer(serializer=_dumps),
        _redact_line,
    ]


def json_formatter() -> logging.Formatter:
    """The stdlib records' formatter: a library's record as one redacted JSON line."""
    return ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[ProcessorFormatter.remove_processors_meta, *_rendering()],
    )


class _Sink:
    """The handler `configure_logging` installed on the root logger: our lines' destination."""

    handler: logging.StreamHandler[Any] | None = None


def _write(levelno: int, line: str) -> None:
    """One finished line onto the root handler's stream, as `StreamHandler.emit` writes."""
    handler = _Sink.handler
    if handler is None or handler not in logging.root.handlers:
        # Someone replaced the root's handlers since (a test restoring its own): the line,
        # already rendered, goes wherever the standard library now sends records.
        logging.getLogger(LOGGER_NAME).log(levelno, line)
        return
    try:
        with handler.lock:  # type: ignore[union-attr]
            handler.stream.write(line + handler.terminator)
            handler.stream.flush()
    except RecursionError:
        raise
    except Exception:  # noqa: BLE001 - as stdlib's emit: reported on stderr, never raised
        handler.handleError(logging.makeLogRecord({"name": LOGGER_NAME, "msg": line}))


class _LineLogger:
    """The logger structlog's bound loggers call with the rendered line: one method per level."""

    name = LOGGER_NAME

    def debug(self, line: str) -> None:
        _write(logging.DEBUG, line)

    def info(self, line: str) -> None:
        _write(logging.INFO, line)

    def warning(self, line: str) -> None:
        _write(logging.WARNING, line)

    def error(self, line: str) -> None:
        _write(logging.ERROR, line)

    def critical(self, line: str) -> None:
        _write(logging.CRITICAL, line)

    msg = info
    warn = warning
    exception = err = error
    fatal = critical


_LINE_LOGGER = _LineLogger()


def _line_logger(*_: Any) -> _LineLogger:
    """structlog's logger factory: one stateless logger for every name."""
    return _LINE_LOGGER


def configure_logging(
    level: str = "INFO", stream: Any = None, *, observers: Iterable[Any] = ()
) -> None:
    """JSON lines on stderr (or `stream`); `observers` are processors that see each of our
    events (the metrics counter) before it is rendered."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    _Sink.handler = handler
    structlog.configure(
        processors=[*_shared(observers), *_rendering()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_line_logger,
        # Module-level loggers must follow a later `configure_logging` (or a test's
        # `capture_logs`), which structlog's own cache would not: `_Logger` keeps one per
        # configuration instead.
        cache_logger_on_first_use=False,
    )
    # Libraries speak from WARNING up; our own events from `level` (filtered by the bound
    # logger; the stdlib logger's level only matters once the root's handlers are replaced).
    root.setLevel(logging.WARNING)
    for name in LEVEL_TESTED:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger(LOGGER_NAME).setLevel(level)
    logging.captureWarnings(True)


class _Logger:
    """What `get_logger` returns: safe at import time, it logs with the configuration in force
    when it logs. structlog's own lazy proxy assembles a bound logger on every line (a third
    of a line's cost) unless told to keep the first one for good, which a later
    `configure_logging` or a test's `capture_logs` would then not reach. This one keeps its
    bound logger until the configuration changes."""

    __slots__ = ("_bound", "_built_for", "_values")

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self._built_for: tuple[Any, ...] = ()
        self._bound: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current(), name)

    def _current(self) -> Any:
        config = structlog.get_config()
        # The same objects, not equal ones: `capture_logs` edits the processor list in place,
        # which the kept logger, holding that list, follows.
        key = (
            config["processors"],
            config["wrapper_class"],
            config["logger_factory"],
            config["context_class"],
        )
        if self._bound is None or not all(map(operator.is_, self._built_for, key)):
            # bind() on structlog's proxy returns the logger it assembles for this config.
            self._bound = structlog.get_logger(LOGGER_NAME, **self._values).bind()
            self._built_for = key
        return self._bound


_LOGGER = _Logger({})  # the one every module uses; a logger with values bound is its own


def get_logger(**bound: Any) -> Any:
    """A logger for our events, with `bound` on each of its lines."""
    return _Logger(bound) if bound else _LOGGER


def bind_correlation(correlation_id: str | None, **more: Any) -> None:
    """Start a request's log context: its correlation id (and `more`) on every line after."""
    _CONTEXT.set({"correlation_id": correlation_id, **more} if correlation_id else {})


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool whose tasks run in the submitting thread's context variables, so a
    listener's lines carry the correlation id its request bound."""

    def submit(self, fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Future[R]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
