"""A bounded memory of the most recently used keys, safe to use from any thread.

For what a process may remember to save work, but never decides by: the Slack threads known
to be drafts' (bot/slack/threads.py), drafts by their stored text (bot/storage/drafts.py),
the failed deliveries whose author was already told (bot/listeners/failures.py). Past
`size` keys the least recently put or got one is forgotten (`in` and `add` of a kept key
leave its place alone).
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """At most `size` keys with their values, the least recently put or got dropped first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        """The value kept for `key` (now the most recent), or None."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            self._trim()

    def add(self, key: K, value: V) -> bool:
        """Keep `key` unless it is kept already; whether it was new."""
        with self._lock:
            if key in self._items:
                return False
            self._items[key] = value
            self._trim()
            return True

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def _trim(self) -> None:
        while len(self._items) > self._size:
            self._items.popitem(last=False)
