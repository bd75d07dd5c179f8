"""Binding a listener to the services, so Bolt sees only the arguments it injects.

Bolt reads a listener's positional parameter names (`ack`, `body`, `command`, ...) and
passes what each names. A listener here takes the services as a keyword-only `services`
argument, which Bolt does not look at; `bound` fills it in and keeps the function's name for
Bolt's logs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.listeners.services import Services


def bound(listener: Callable[..., Any], services: Services) -> Callable[..., Any]:
    """`listener` with its keyword-only `services` argument filled in."""
    partial = functools.partial(listener, services=services)
    return functools.update_wrapper(partial, listener)
