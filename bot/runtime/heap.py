"""The long-lived heap of a serving process, set aside from the garbage collector.

By the time `serve` or `socket` starts taking requests it holds about 90,000 objects the
collector tracks, nearly all of them living as long as the process: modules, classes,
pydantic's and Bolt's schemas, the template, the flow. CPython's cyclic collector walks
them all on every full collection, and the answers' short-lived objects set one off again
and again; in a profile of the answer path the collector was about 5% of the server's CPU
(against under 1% for a bare Bolt app). `gc.freeze()` moves everything alive at start-up
into a generation the collector never walks (what CPython's documentation recommends before
a server forks), so a collection costs what the requests allocated, not what the process
imported. Cycles made later are still found.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collect once, then leave every object alive now out of future collections.

    Called once the app is built and before gunicorn forks its worker: the worker inherits
    the frozen generation, and pages holding those objects are not dirtied by the collector
    touching their headers.
    """
    gc.collect()
    gc.freeze()
